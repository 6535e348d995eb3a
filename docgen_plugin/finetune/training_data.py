"""Training examples: corpus records tokenised exactly as drafting renders them, and batching.

The prompt is the chat template's rendering of the record's messages with the generation
prompt, tokenised without special tokens: token for token what `Generator.render` feeds the
model at draft time. The answer is what the same template appends for an assistant turn
(the human text and the end-of-turn token, e.g. `<|im_end|>`), tokenised on its own. Labels
are -100 on every prompt token and the answer's ids after it: an exact completion-only mask,
with no response-template search that could miss and silently drop an example.

A prompt too long for the room its answer leaves is fitted (`generate.prompt_fit`, the same
cuts drafting makes at the same budget) before any answer is cut or example dropped.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from docgen_plugin.errors import CorpusError, ModelError
from docgen_plugin.finetune.records import CorpusRecord

IGNORE = -100
# an example is kept (its answer cut) only if this many answer tokens fit after the prompt
MIN_ANSWER_TOKENS = 16


@dataclass(frozen=True)
class Example:
    """One tokenised record: prompt and answer ids, what was cut from the prompt to fit, and
    whether the answer was cut."""

    record_id: str
    prompt_ids: tuple[int, ...]
    answer_ids: tuple[int, ...]
    truncated: bool = False
    prompt_cut: int = 0  # prompt tokens the fitting removed
    cuts: tuple[str, ...] = ()  # the fitting's steps (`prompt_fit.CUTS`)

    @property
    def input_ids(self) -> list[int]:
        return [*self.prompt_ids, *self.answer_ids]

    @property
    def labels(self) -> list[int]:
        return [IGNORE] * len(self.prompt_ids) + list(self.answer_ids)

    def __len__(self) -> int:
        return len(self.prompt_ids) + len(self.answer_ids)


@dataclass(frozen=True)
class Encoded:
    """A split's examples and what happened to the rest."""

    examples: tuple[Example, ...]
    truncated: tuple[str, ...] = field(default=())
    dropped: tuple[str, ...] = field(default=())

    @property
    def tokens(self) -> int:
        return sum(len(e) for e in self.examples)

    @property
    def fitted(self) -> tuple[Example, ...]:
        return tuple(e for e in self.examples if e.cuts)

    @property
    def dropped_share(self) -> float:
        total = len(self.examples) + len(self.dropped)
        return len(self.dropped) / total if total else 0.0

    def summary(self) -> dict[str, Any]:
        fitted = self.fitted
        cut = sorted(e.prompt_cut for e in fitted)
        return {
            "examples": len(self.examples),
            "truncated": len(self.truncated),
            "dropped": len(self.dropped),
            "tokens": self.tokens,
            "prompts_fitted": len(fitted),
            "prompt_tokens_cut": {
                "total": sum(cut),
                "median": cut[len(cut) // 2] if cut else 0,
                "max": cut[-1] if cut else 0,
            },
            "cuts": dict(sorted(Counter(c for e in fitted for c in e.cuts).items())),
            "truncated_ids": list(self.truncated),
            "dropped_ids": list(self.dropped),
        }


def _check_template(tokenizer: Any) -> None:
    if not getattr(tokenizer, "chat_template", None):
        raise ModelError("the tokenizer has no chat template; fine-tune an instruct model")


def _messages(record: CorpusRecord) -> list[dict[str, str]]:
    messages = [dict(m) for m in record.messages]
    if not messages:
        raise CorpusError(f"record {record.id} ({record.object}) has no prompt messages", record.source)
    return messages


def _render(tokenizer: Any, messages: list[dict[str, str]], completion: str) -> tuple[str, str]:
    """The prompt text (with the generation prompt) and what the template appends for the answer."""
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    turn = [*messages, {"role": "assistant", "content": completion}]
    full = tokenizer.apply_chat_template(turn, add_generation_prompt=False, tokenize=False)
    if not full.startswith(prompt):
        raise ModelError(
            "the chat template does not render an assistant turn as the generation prompt plus "
            "the answer; docgen cannot mask the prompt exactly with this model's template"
        )
    return prompt, full[len(prompt) :]


def _ids(tokenizer: Any, text: str) -> list[int]:
    # the template writes the special tokens itself (as `Generator.render` relies on)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def prompt_budget(max_length: int, answer_tokens: int) -> int:
    """Tokens the prompt may take: what the answer leaves, but never under half the length
    (a long answer is cut rather than the prompt emptied)."""
    return max(max_length - answer_tokens, max_length // 2)


def record_lengths(tokenizer: Any, record: CorpusRecord) -> tuple[int, int]:
    """The record's prompt and answer tokens before any fitting."""
    _check_template(tokenizer)
    prompt, answer = _render(tokenizer, _messages(record), record.completion)
    return len(_ids(tokenizer, prompt)), len(_ids(tokenizer, answer))


def encode_record(tokenizer: Any, record: CorpusRecord, max_length: int) -> Example | None:
    """`record` as an `Example`: its prompt fitted to what the answer leaves of `max_length`
    (`prompt_fit`, as drafting fits it to the same budget), the answer cut only if the fitted
    prompt still leaves too little; None if not even `MIN_ANSWER_TOKENS` of it fit."""
    from docgen_plugin.generate.prompt_fit import fit_messages, token_counter

    _check_template(tokenizer)
    messages = _messages(record)
    _, answer = _render(tokenizer, messages, record.completion)
    answer_ids = _ids(tokenizer, answer)
    fitted = fit_messages(messages, prompt_budget(max_length, len(answer_ids)), token_counter(tokenizer))
    prompt, _ = _render(tokenizer, fitted.messages, record.completion)
    prompt_ids = _ids(tokenizer, prompt)
    room = max_length - len(prompt_ids)
    if room < min(MIN_ANSWER_TOKENS, len(answer_ids)) or not answer_ids:
        return None
    return Example(
        record_id=record.id,
        prompt_ids=tuple(prompt_ids),
        answer_ids=tuple(answer_ids[:room]),
        truncated=len(answer_ids) > room,
        prompt_cut=fitted.original_tokens - fitted.tokens,
        cuts=fitted.cuts,
    )


def encode_records(tokenizer: Any, records: Sequence[CorpusRecord], max_length: int) -> Encoded:
    """Tokenise a split; counts (never hides) the prompts fitted, answers cut, examples dropped."""
    examples: list[Example] = []
    truncated: list[str] = []
    dropped: list[str] = []
    for record in records:
        example = encode_record(tokenizer, record, max_length)
        if example is None:
            dropped.append(record.id)
            continue
        if example.truncated:
            truncated.append(record.id)
        examples.append(example)
    return Encoded(examples=tuple(examples), truncated=tuple(truncated), dropped=tuple(dropped))


class ExampleDataset:
    """A map-style dataset of examples for the Trainer (items carry their index)."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self.examples = list(examples)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, Any]:
        example = self.examples[index]
        return {"input_ids": example.input_ids, "labels": example.labels, "index": index}

    @property
    def lengths(self) -> list[int]:
        return [len(e) for e in self.examples]


@dataclass(frozen=True)
class Collator:
    """Pads a batch to its longest row rounded up to `multiple` (right padding); keeps the
    dataset indices. Rounding makes batch shapes repeat: every new shape costs oneDNN new
    kernels, and their caches grew a run's memory and step time without bound (RESULTS.md)."""

    pad_token_id: int
    multiple: int = 1

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        width = max(len(f["input_ids"]) for f in features)
        width += -width % self.multiple
        rows = len(features)
        input_ids = torch.full((rows, width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((rows, width), IGNORE, dtype=torch.long)
        attention = torch.zeros((rows, width), dtype=torch.long)
        for row, feature in enumerate(features):
            size = len(feature["input_ids"])
            input_ids[row, :size] = torch.tensor(feature["input_ids"], dtype=torch.long)
            labels[row, :size] = torch.tensor(feature["labels"], dtype=torch.long)
            attention[row, :size] = 1
        index = torch.tensor([f["index"] for f in features], dtype=torch.long)
        return {"input_ids": input_ids, "attention_mask": attention, "labels": labels, "index": index}


def next_token_targets(labels: Any) -> Any:
    """Position t predicts token t+1: the labels shifted left, IGNORE at each row's end."""
    import torch

    return torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], IGNORE)], dim=1)


def grouped_order(lengths: Sequence[int], batch_size: int, seed: int, epoch: int) -> list[int]:
    """A shuffled order where each batch holds similar lengths: shuffle, sort within mega-batches
    of 50 batches, shuffle the batches. Depends only on (seed, epoch): a resumed run sees the
    same order as an uninterrupted one."""
    import torch

    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(len(lengths), generator=generator).tolist()
    mega = max(batch_size * 50, 1)
    sorted_order: list[int] = []
    for start in range(0, len(order), mega):
        chunk = sorted(order[start : start + mega], key=lambda i: -lengths[i])
        sorted_order.extend(chunk)
    batches = [sorted_order[i : i + batch_size] for i in range(0, len(sorted_order), batch_size)]
    if len(batches) > 1:
        # the longest batch first: an out-of-memory error shows at step 1, not at hour 3
        rest = torch.randperm(len(batches) - 1, generator=generator).tolist()
        batches = [batches[0], *(batches[1 + i] for i in rest)]
    return [i for batch in batches for i in batch]


class GroupedSampler:
    """Length-grouped, epoch-seeded sampler (`set_epoch` is called by accelerate/Trainer)."""

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int) -> None:
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        return iter(grouped_order(self.lengths, self.batch_size, self.seed, self.epoch))


def steps_per_epoch(examples: int, batch_size: int, world_size: int = 1, accumulation: int = 1) -> int:
    return max(1, math.ceil(examples / (batch_size * world_size * accumulation)))
