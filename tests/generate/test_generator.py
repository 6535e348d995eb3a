"""Batched generation (tiny real model), clean-up of prose, and the default model end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from docgen_plugin.errors import ModelError
from docgen_plugin.generate import Decoding, Generator, clean_prose, load_model, resolve_model
from docgen_plugin.generate.model_load import LoadedModel
from docgen_plugin.settings import Settings

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
PROMPTS = [
    [
        {"role": "system", "content": "You document Python code."},
        {"role": "user", "content": " ".join(WORDS[: n + 1]) * (n + 1)},  # lengths differ
    ]
    for n in range(7)
]
BUDGETS = [5, 12, 20, 12, 7, 20, 16]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> LoadedModel:
    resolved = resolve_model(Settings(model=str(tiny_model_dir)))
    return load_model(resolved, dtype="float32", progress=False)


def test_batched_equals_one_at_a_time_in_input_order(tiny: LoadedModel) -> None:
    batched = Generator(tiny, batch_size=3, progress=False).generate_detailed(PROMPTS, BUDGETS)
    single = Generator(tiny, batch_size=1, progress=False)
    alone = [single.generate_detailed([p], [b])[0] for p, b in zip(PROMPTS, BUDGETS)]
    assert [g.index for g in batched] == list(range(len(PROMPTS)))
    assert [g.text for g in batched] == [g.text for g in alone]
    assert all(g.text for g in batched)
    # every prompt got its own budget, even when batched with longer ones
    assert [g.new_tokens for g in batched] == [g.new_tokens for g in alone]
    assert all(g.new_tokens <= b for g, b in zip(batched, BUDGETS))


def test_generation_is_deterministic(tiny: LoadedModel) -> None:
    generator = Generator(tiny, batch_size=4, progress=False)
    assert generator.generate(PROMPTS, 8) == generator.generate(PROMPTS, 8)


def test_on_result_gets_every_answer(tiny: LoadedModel) -> None:
    seen: dict[int, str] = {}
    texts = Generator(tiny, batch_size=2, progress=False).generate(
        PROMPTS, 6, on_result=seen.__setitem__
    )
    assert seen == dict(enumerate(texts))


def test_ctrl_c_keeps_finished_batches(tiny: LoadedModel) -> None:
    generator = Generator(tiny, batch_size=3, progress=False)
    prefills = 0

    def interrupt_in_second_batch(_module: object, _args: object, kwargs: dict) -> None:
        nonlocal prefills
        prefills += kwargs["input_ids"].shape[1] > 1  # a batch starts with its whole prompts
        if prefills == 2:
            raise KeyboardInterrupt  # as Ctrl-C would, in the middle of the model's work

    handle = tiny.model.register_forward_pre_hook(interrupt_in_second_batch, with_kwargs=True)
    seen: dict[int, str] = {}
    try:
        with pytest.raises(KeyboardInterrupt):
            generator.generate(PROMPTS, 3, on_result=seen.__setitem__)
    finally:
        handle.remove()
    # batch one holds the three shortest prompts (equal budgets sort by length)
    assert sorted(seen) == [0, 1, 2]
    assert all(seen.values())


def test_eos_ends_an_answer_and_counts_once(tiny: LoadedModel) -> None:
    generator = Generator(tiny, progress=False)
    eos, pad = generator.eos_token_ids[0], generator.pad_token_id
    words = tiny.tokenizer("Scales the input.", add_special_tokens=False)["input_ids"]
    finished = generator._finish(0, [*words, eos, pad, pad])
    assert finished.text == "Scales the input."
    assert finished.finished and finished.new_tokens == len(words) + 1
    cut = generator._finish(1, words)
    assert not cut.finished and cut.new_tokens == len(words)


def test_budget_count_must_match_prompts(tiny: LoadedModel) -> None:
    with pytest.raises(ValueError, match="2 token budgets for 7 prompts"):
        Generator(tiny, progress=False).generate(PROMPTS, [4, 4])


def test_tokenizer_without_chat_template_is_refused(tiny: LoadedModel) -> None:
    class Plain:
        chat_template = None

    bare = LoadedModel(
        model=tiny.model, tokenizer=Plain(), resolved=tiny.resolved, dtype="float32",
        device="cpu", load_seconds=0.0,
    )
    with pytest.raises(ModelError, match="no chat template"):
        Generator(bare)


def test_signature_names_the_decoding() -> None:
    assert Decoding().as_dict() == {
        "strategy": "greedy", "repetition_penalty": 1.2, "no_repeat_ngram_size": 4, "seed": 0
    }
    with pytest.raises(ValueError):
        Decoding(repetition_penalty=0.5)


# --- clean_prose ------------------------------------------------------------------------------


def test_clean_prose_drops_code_when_prose_was_asked() -> None:
    text = "```python\nclass Conv2d:\n    pass\n```\n\nApplies a 2D convolution."
    assert clean_prose(text) == "Applies a 2D convolution."


def test_clean_prose_unwraps_a_markdown_fence() -> None:
    assert clean_prose("```markdown\nNormalises each layer.\n```") == "Normalises each layer."


def test_clean_prose_drops_an_unterminated_code_block() -> None:
    text = "Embeds token ids.\n\n```python\nimport torch\nx = torch.nn.Emb"
    assert clean_prose(text) == "Embeds token ids."


def test_clean_prose_cuts_a_repeated_sentence() -> None:
    text = (
        "LayerNorm normalises the last dimension. It is used in transformers. "
        "It is used in transformers. It is used in transformers"
    )
    assert clean_prose(text) == (
        "LayerNorm normalises the last dimension. It is used in transformers."
    )


def test_clean_prose_trims_to_the_last_full_sentence() -> None:
    text = "Dropout zeroes activations at random. During evaluation it does"
    assert clean_prose(text) == "Dropout zeroes activations at random."


def test_clean_prose_keeps_lists_and_abbreviations() -> None:
    text = "Options, e.g. the size:\n\n- `hidden_size`: width\n- `num_layers`: depth"
    assert clean_prose(text) == text


def test_clean_prose_cuts_at_a_heading_after_prose() -> None:
    text = "## Overview\nEncodes log-mel spectrograms.\n# Example:\nUse it in your code!"
    assert clean_prose(text) == "Encodes log-mel spectrograms."


def test_clean_prose_of_only_code_is_empty() -> None:
    assert clean_prose("```python\nclass FeedForward(nn.Module):\n    pass\n```") == ""


def test_clean_prose_keeps_a_lone_fragment() -> None:
    assert clean_prose("Returns the logits") == "Returns the logits"


# --- the real default model -------------------------------------------------------------------


@pytest.mark.default_model
def test_default_model_drafts_prose(default_model_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCGEN_HOME", str(default_model_home))
    generator = Generator.from_settings(Settings(batch_size=2), progress=False)
    prompt = [
        {"role": "system", "content": "You write short, accurate API documentation."},
        {
            "role": "user",
            "content": "Write one paragraph describing the PyTorch module `Linear`, which "
            "applies y = xW^T + b. Parameters: in_features (int), out_features (int), "
            "bias (bool, default True).",
        },
    ]
    (answer,) = generator.generate_detailed([prompt], 60)
    text = clean_prose(answer.text)
    assert len(text.split()) >= 5
    assert "```" not in text
