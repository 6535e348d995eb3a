"""The example package works: every model runs a forward pass and builds from its config."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONFIGS = EXAMPLES / "tinyformer" / "configs"


@pytest.fixture(scope="module")
def tf():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import tinyformer
        import tinyformer.legacy

        yield tinyformer
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def count(model):
    return sum(p.numel() for p in model.parameters())


def batch(vocab_size=100, size=(3, 10)):
    ids = torch.randint(1, vocab_size, size)
    ids[0, 7:] = 0  # padding at the end of the first sequence
    return ids


def test_encoder_forward(tf):
    model = tf.TinyTransformerEncoder(vocab_size=100, d_model=32, num_heads=4, max_len=16).eval()
    hidden = model(batch())
    assert hidden.shape == (3, 10, 32)
    assert torch.isfinite(hidden).all()


def test_encoder_rejects_too_long_input(tf):
    model = tf.TinyTransformerEncoder(vocab_size=100, d_model=32, max_len=8)
    with pytest.raises(ValueError, match="max_len"):
        model(batch())


def test_classifier_forward_and_backward(tf):
    model = tf.TextClassifier(num_classes=3, vocab_size=100, d_model=32, init_std=0.05)
    logits = model(batch())
    assert logits.shape == (3, 3)
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2])).backward()
    assert model.token_embedding.weight.grad is not None
    assert model.init_std == 0.05  # handed from TextClassifier through the encoder to the base


def test_classifier_first_token_pooling(tf):
    model = tf.TextClassifier(num_classes=2, pooling="first", vocab_size=100).eval()
    assert model(batch()).shape == (3, 2)


def test_padding_does_not_change_mean_pooled_logits(tf):
    model = tf.TextClassifier(num_classes=2, vocab_size=100, dropout=0.0).eval()
    ids = batch(size=(1, 6))
    padded = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    assert torch.allclose(model(ids), model(padded), atol=1e-5)


def test_tokenizer_forward(tf):
    tokenizer = tf.ConvTokenizer(d_model=16, kernel_size=4, stride=4)
    tokens = tokenizer(torch.randint(0, 256, (2, 32)))
    assert tokens.shape == (2, 8, 16)


def test_mlp_head_forward(tf):
    head = tf.MLPHead(16, num_classes=5, hidden_features=8)
    assert head(torch.randn(4, 16)).shape == (4, 5)


def test_attention_matches_torch(tf):
    q, k, v = (torch.randn(2, 4, 5, 8) for _ in range(3))
    mask = torch.rand(2, 1, 1, 5) > 0.3
    mask[..., 0] = True
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    got = tf.scaled_dot_product_attention(q, k, v, mask, training=False)
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_num_parameters(tf):
    model = tf.TinyTransformerEncoder(vocab_size=10, d_model=8, num_heads=2, num_layers=1)
    assert model.num_parameters() == count(model)
    model.token_embedding.weight.requires_grad_(False)
    assert model.num_parameters(trainable_only=True) == model.num_parameters() - 10 * 8


@pytest.mark.parametrize(
    ("config_file", "config_name", "model_name"),
    [
        ("base.yaml", "EncoderConfig", "TinyTransformerEncoder"),
        ("small.yaml", "EncoderConfig", "TinyTransformerEncoder"),
        ("classifier.yaml", "ClassifierConfig", "TextClassifier"),
        ("tokenizer.yaml", "ConvTokenizerConfig", "ConvTokenizer"),
    ],
)
def test_models_build_from_yaml_configs(tf, config_file, config_name, model_name):
    config_class = getattr(tf, config_name)
    config = tf.load_config(CONFIGS / config_file, config_class)
    model_class = getattr(tf, model_name)
    model = model_class.from_config(config).eval()
    same = model_class(**asdict(config)).eval()
    assert count(model) == count(same)
    if model_name == "ConvTokenizer":
        out = model(torch.randint(0, config.vocab_size, (2, 16)))
        assert out.shape == (2, 16 // config.stride, config.d_model)
    else:
        out = model(batch(vocab_size=config.vocab_size))
        last = config.num_classes if model_name == "TextClassifier" else config.d_model
        assert out.shape[-1] == last


def test_config_defaults_match_the_models(tf):
    """The YAML defaults, the dataclass defaults and the model defaults agree."""
    base = tf.load_config(CONFIGS / "base.yaml", tf.EncoderConfig)
    assert base == tf.EncoderConfig()


def test_config_validation(tf):
    with pytest.raises(ValueError, match="num_heads"):
        tf.EncoderConfig(d_model=30, num_heads=4)
    with pytest.raises(ValueError, match="pooling"):
        tf.ClassifierConfig(pooling="max")


def test_load_config_rejects_unknown_keys(tf, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("d_model: 32\nhidden_size: 64\n", encoding="utf-8")
    with pytest.raises(ValueError, match="hidden_size"):
        tf.load_config(path, tf.EncoderConfig)


def test_legacy_positions(tf):
    encoding = tf.legacy.sinusoidal_positions(6, 8)
    assert encoding.shape == (6, 8)
    assert torch.equal(encoding[0, 1::2], torch.ones(4))
