"""Prompts fitted to a token budget: within budget, cut in the documented order, the same for
drafting and training, and the answer and instructions never touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from sections.sample_package import CONFIG, load_sample

from docgen_plugin.finetune.records import CorpusRecord
from docgen_plugin.finetune.training_data import encode_record
from docgen_plugin.generate.prompt_fit import (
    CUTS,
    DOCSTRING_CUT,
    BudgetFitter,
    fit_messages,
    split_list,
    token_counter,
)
from docgen_plugin.generate.prompts import Example, build_messages, training_record
from docgen_plugin.sections import build_catalogue
from docgen_plugin.settings import Settings

PARAMS = "\n".join(f"    p{i} : int, default {i}\n        Width number {i} of the block." for i in range(14))
MODELS = f'''
import torch
from torch import nn

from .config import TinyConfig


class WideNet(nn.Module):
    """A wide network for tabular inputs.

    It stacks many blocks and mixes them with a learned gate. Each block is a linear layer
    followed by a GELU, and the gate is a softmax over the blocks.

    Parameters
    ----------
{PARAMS}

    Raises
    ------
    ValueError
        If p0 is negative.
    """

    def __init__(self, config: TinyConfig, {", ".join(f"p{i}: int = {i}" for i in range(14))}) -> None:
        super().__init__()
        if p0 < 0:
            raise ValueError("p0 must not be negative")
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)
'''


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path) -> object:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)  # SmolLM2's, with its chat template


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    facts = load_sample(tmp_path_factory.mktemp("fit"), {"config.py": CONFIG, "models.py": MODELS})
    return facts.get("pkg.models.WideNet"), facts


def _user(messages: list[dict[str, str]]) -> str:
    return messages[-1]["content"]


def test_long_prompts_are_fitted_within_budget_and_keep_the_instructions(tokenizer, wide) -> None:
    obj, facts = wide
    spec = build_catalogue().spec("overview")
    messages = build_messages(obj, spec, facts)
    count = token_counter(tokenizer)
    full = count(messages)
    for budget in (full - 40, full - 150, 260):
        fitted = fit_messages(messages, budget, count)
        assert fitted.fits and fitted.tokens <= budget and count(fitted.messages) == fitted.tokens
        assert fitted.original_tokens == full and fitted.cuts
        user = _user(fitted.messages)
        # never cut: the system message, the object line, the section and its instructions
        assert fitted.messages[0] == messages[0]
        assert user.split("\n\n", 1)[1] == _user(messages).split("\n\n", 1)[1]
        assert "object: pkg.models.WideNet" in user and spec.instructions in user
        # the docstring's summary stays longest
        assert ("> A wide network for tabular inputs." in user) == ("summary" not in fitted.cuts)
    # a short enough prompt is left alone
    assert fit_messages(messages, full, count).messages == messages
    assert not fit_messages(messages, full, count).fitted


def test_cuts_follow_the_documented_order(tokenizer, wide) -> None:
    obj, facts = wide
    messages = build_messages(obj, build_catalogue().spec("overview"), facts)
    count = token_counter(tokenizer)
    full = count(messages)
    light = fit_messages(messages, full - 30, count)
    assert light.cuts == ("docstring",)
    user = _user(light.messages)
    assert DOCSTRING_CUT in user and "It stacks many blocks" in user  # only the tail went
    assert "p13: int = 13" in user  # the lists are not cut yet
    heavy = fit_messages(messages, 230, count)
    # each step only after the ones before it (steps with nothing to cut are skipped)
    assert list(heavy.cuts) == sorted(heavy.cuts, key=CUTS.index)
    assert heavy.cuts[:3] == ("docstring", "lists", "config")
    user = _user(heavy.messages)
    assert "It stacks many blocks" not in user
    call = "call: WideNet(config: TinyConfig, p0: int = 0, p1: int = 1, p2: int = 2, ... (11 more)) -> None"
    assert call in user
    # impossible budgets come back cut as far as they go, and say so
    tiny = fit_messages(messages, 10, count)
    assert not tiny.fits and tiny.cuts[-1] == "summary" and "docstring" not in _user(tiny.messages)


def test_house_examples_go_before_the_behaviour_facts(tokenizer, wide) -> None:
    obj, facts = wide
    spec = build_catalogue().spec("overview")
    shots = [Example(user=f"Facts:\nobject: a.B{i} (class)\n\nSection: Overview", assistant="x " * 80)
             for i in range(3)]
    messages = build_messages(obj, spec, facts, examples=shots)
    count = token_counter(tokenizer)
    bare = count(build_messages(obj, spec, facts))
    fitted = fit_messages(messages, bare - 60, count)
    assert fitted.fits and fitted.cuts[-1] == "examples"
    users = [m["content"] for m in fitted.messages if m["role"] == "user"]
    assert "a.B0" in users[0] and not any("a.B2" in u for u in users)  # the last one went first
    assert len(users) < 4 and "raises: ValueError if p0 < 0" in users[-1]  # behaviour kept


def test_training_prompt_is_the_draft_prompt_fitted_to_the_same_budget(tokenizer, wide) -> None:
    obj, facts = wide
    spec = build_catalogue().spec("overview")
    answer = "`WideNet` mixes many blocks with a learned gate."
    data = training_record(obj, spec, answer, facts)
    messages = [m for m in data["messages"] if m["role"] != "assistant"]  # type: ignore[union-attr]
    record = CorpusRecord(id="r", label="overview", object=obj.path, group="g", source="s",
                          messages=tuple(messages), completion=answer)
    count = token_counter(tokenizer)
    full = count(messages)
    max_length = full - 40  # the prompt must give up tokens for the answer to fit
    example = encode_record(tokenizer, record, max_length)
    assert example is not None and not example.truncated and len(example) <= max_length
    assert example.cuts and example.prompt_cut > 0
    # drafting the same object at the training example's prompt budget sees the same tokens
    draft = fit_messages(build_messages(obj, spec, facts), len(example.prompt_ids), count)
    text = tokenizer.apply_chat_template(draft.messages, add_generation_prompt=True, tokenize=False)
    assert tuple(tokenizer(text, add_special_tokens=False)["input_ids"]) == example.prompt_ids


def test_drafting_fits_to_prompt_tokens_and_loads_no_tokenizer_for_short_prompts(
        tiny_model_dir: Path, wide) -> None:
    obj, facts = wide
    messages = build_messages(obj, build_catalogue().spec("overview"), facts)
    off = BudgetFitter(Settings(model=str(tiny_model_dir)))
    assert off(messages) == messages and off._count is None
    roomy = BudgetFitter(Settings(model=str(tiny_model_dir), prompt_tokens=100_000))
    assert roomy(messages) == messages and roomy._count is None  # under the byte bound: not counted
    tight = BudgetFitter(Settings(model=str(tiny_model_dir), prompt_tokens=300))
    fitted = tight(messages)
    assert tight._count is not None and tight._count(fitted) <= 300 < tight._count(messages)


def test_split_list_keeps_brackets_and_quotes_whole() -> None:
    assert split_list("a: int = 1, b: tuple = (1, 2), c='x,y', d: dict[str, int] = {}") == [
        "a: int = 1", "b: tuple = (1, 2)", "c='x,y'", "d: dict[str, int] = {}"]
