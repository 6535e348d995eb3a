"""docgen's lean LoRA layers compute what peft's LoRA layers compute: losses and gradients of
a real (tiny, random) Llama with LoRA on all projections, compared in fp32; backward formulas
checked by `gradcheck` in float64; the chunked head loss against `cross_entropy`."""

from __future__ import annotations

import copy
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from docgen_plugin.finetune import lean_layers  # noqa: E402
from docgen_plugin.finetune.lean_layers import (  # noqa: E402
    Group,
    Lora,
    MlpBlock,
    ProjectGroup,
    answer_cross_entropy,
)

VOCAB = 64


def tiny_llama(attn: str = "sdpa") -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
        tie_word_embeddings=True, attn_implementation=attn,
    )
    return LlamaForCausalLM(config).float()


def with_lora(model: Any, dropout: float = 0.0) -> Any:
    from peft import LoraConfig, get_peft_model

    from docgen_plugin.generate.default_model import EMBEDDED

    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=dropout, target_modules=list(EMBEDDED.lora_targets),
                        task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, config)
    torch.manual_seed(1)
    for name, param in peft_model.named_parameters():
        if "lora_B" in name:  # peft starts B at zero, which would leave A without gradient
            torch.nn.init.normal_(param, std=0.2)
    return peft_model


def batch() -> tuple[Any, Any, Any]:
    """Two right-padded rows; targets are the next token on the second half of each row."""
    torch.manual_seed(2)
    ids = torch.randint(0, VOCAB, (2, 12))
    attention = torch.ones_like(ids)
    attention[1, 9:] = 0
    targets = torch.full_like(ids, -100)
    targets[0, 5:11] = ids[0, 6:12]
    targets[1, 4:8] = ids[1, 5:9]
    return ids, attention, targets


def peft_loss(model: Any, ids: Any, attention: Any, targets: Any) -> Any:
    logits = model(input_ids=ids, attention_mask=attention).logits
    mask = targets != -100
    return torch.nn.functional.cross_entropy(logits[mask], targets[mask])


def lean_loss(model: Any, ids: Any, targets: Any) -> Any:
    """The lean path as the trainer runs it: no padding mask (right padding), fused head loss."""
    hidden = model.get_base_model().model(input_ids=ids).last_hidden_state
    mask = targets != -100
    head = model.get_output_embeddings().weight
    return answer_cross_entropy(hidden[mask], head, targets[mask])


def lora_grads(model: Any) -> dict[str, Any]:
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_loss_and_gradients_match_peft(attn: str) -> None:
    reference = with_lora(tiny_llama(attn))
    lean = copy.deepcopy(reference)
    assert lean_layers.unsupported(lean) is None
    assert lean_layers.install(lean, dropout=0.0) == 2
    ids, attention, targets = batch()
    reference.train()
    lean.train()
    expected = peft_loss(reference, ids, attention, targets)
    expected.backward()
    got = lean_loss(lean, ids, targets)
    got.backward()
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    want, have = lora_grads(reference), lora_grads(lean)
    assert want.keys() == have.keys() and len(want) == 2 * 7 * 2
    for name in want:
        torch.testing.assert_close(have[name], want[name], rtol=1e-4, atol=1e-5, msg=name)
    # the projections' weights became views of one stacked tensor; their values are unchanged
    for name, tensor in reference.state_dict().items():
        torch.testing.assert_close(lean.state_dict()[name], tensor, msg=name)


def test_eval_mode_has_no_dropout_and_training_mode_has() -> None:
    reference = with_lora(tiny_llama())
    lean = copy.deepcopy(reference)
    lean_layers.install(lean, dropout=0.5)
    ids, _attention, targets = batch()
    lean.eval()
    reference.eval()
    with torch.no_grad():
        torch.testing.assert_close(lean_loss(lean, ids, targets), peft_loss(reference, ids, None, targets))
        lean.train()
        torch.manual_seed(3)
        first = lean_loss(lean, ids, targets)
        second = lean_loss(lean, ids, targets)
    assert not torch.allclose(first, second)  # a new mask each pass


def _group(rows: int, sizes: list[int], rank: int, dropout: float) -> tuple[Group, list[Any]]:
    members, params = [], []
    weight = torch.randn(sum(sizes), rows, dtype=torch.float64)
    bias = torch.randn(sum(sizes), dtype=torch.float64)
    start = 0
    for size in sizes:
        a = torch.nn.Parameter(torch.randn(rank, rows, dtype=torch.float64))
        b = torch.nn.Parameter(torch.randn(size, rank, dtype=torch.float64))
        members.append(Lora(weight=weight[start:start + size], bias=bias[start:start + size],
                            lora_a=a, lora_b=b, scaling=0.5))
        params += [a, b]
        start += size
    return Group(weight=weight, bias=bias, members=tuple(members), dropout=dropout), params


def test_project_group_backward_is_the_gradient() -> None:
    torch.manual_seed(0)
    group, params = _group(6, [5, 3, 3], rank=2, dropout=0.0)
    x = torch.randn(7, 6, dtype=torch.float64, requires_grad=True)
    norm = torch.randn(6, dtype=torch.float64)

    def run(x: Any, *params: Any) -> Any:
        return ProjectGroup.apply(x, norm, 1e-6, group, True, *params)

    assert torch.autograd.gradcheck(run, (x, *params))


def test_mlp_block_backward_is_the_gradient() -> None:
    torch.manual_seed(0)
    gate_up, params_in = _group(6, [4, 4], rank=2, dropout=0.0)
    down, params_out = _group(4, [6], rank=2, dropout=0.0)
    x = torch.randn(5, 6, dtype=torch.float64, requires_grad=True)
    norm = torch.randn(6, dtype=torch.float64)

    def run(x: Any, *params: Any) -> Any:
        return MlpBlock.apply(x, norm, 1e-6, gate_up, down, True, *params)

    assert torch.autograd.gradcheck(run, (x, *params_in, *params_out))


def test_dropout_acts_on_the_rank_activations() -> None:
    """B · dropout(A · x) with the mask the RNG draws: the same values and gradients as plain
    autograd given that mask."""
    torch.manual_seed(0)
    group, params = _group(6, [5, 3], rank=4, dropout=0.5)
    x = torch.randn(9, 6, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(7)
    got = ProjectGroup.apply(x, None, 0.0, group, True, *params)
    (got * torch.arange(got.numel(), dtype=torch.float64).view_as(got)).sum().backward()
    have = [x.grad.clone(), *(p.grad.clone() for p in params)]
    for tensor in (x, *params):
        tensor.grad = None
    torch.manual_seed(7)
    keep = (torch.rand(9, 8) >= 0.5).double() / 0.5
    assert 0 < keep.count_nonzero() < keep.numel()
    low = (x @ torch.cat([m.lora_a for m in group.members]).t()) * keep
    expected = torch.nn.functional.linear(x, group.weight, group.bias) + torch.cat(
        [low[:, :4] @ group.members[0].lora_b.t(), low[:, 4:] @ group.members[1].lora_b.t()], dim=1
    ) * 0.5
    torch.testing.assert_close(got, expected)
    (expected * torch.arange(got.numel(), dtype=torch.float64).view_as(got)).sum().backward()
    for mine, theirs in zip(have, [x.grad, *(p.grad for p in params)], strict=True):
        torch.testing.assert_close(mine, theirs)


def test_chunked_head_loss_equals_cross_entropy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lean_layers, "HEAD_CHUNK", 3)  # several chunks and a short last one
    torch.manual_seed(0)
    hidden = torch.randn(10, 8, dtype=torch.float64, requires_grad=True)
    head = torch.randn(20, 8, dtype=torch.float64)
    targets = torch.randint(0, 20, (10,))
    got = answer_cross_entropy(hidden, head, targets)
    (got * 3).backward()
    have = hidden.grad.clone()
    hidden.grad = None
    expected = torch.nn.functional.cross_entropy(hidden @ head.t(), targets)
    (expected * 3).backward()
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(have, hidden.grad)
    with torch.no_grad():
        torch.testing.assert_close(answer_cross_entropy(hidden, head, targets), expected.detach())


def test_unsupported_models_fall_back_with_a_reason() -> None:
    from peft import LoraConfig, get_peft_model
    from transformers import GPT2Config, GPT2LMHeadModel

    gpt2 = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=VOCAB))
    peft_gpt2 = get_peft_model(gpt2, LoraConfig(r=2, target_modules=["c_attn"], task_type="CAUSAL_LM"))
    assert "not llama" in str(lean_layers.unsupported(peft_gpt2))
    partial = get_peft_model(tiny_llama(), LoraConfig(r=2, target_modules=["q_proj"], task_type="CAUSAL_LM"))
    assert "seven projections" in str(lean_layers.unsupported(partial))
    dora = get_peft_model(
        tiny_llama(),
        LoraConfig(r=2, use_dora=True, target_modules=["q_proj"], task_type="CAUSAL_LM"),
    )
    assert "DoRA" in str(lean_layers.unsupported(dora))
