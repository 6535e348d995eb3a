"""The training sequence length, chosen from the corpus when `max-length` is not set.

The choice is the shortest length (a multiple of 32) at which `WHOLE_SHARE` of the training
examples fit whole, their prompt not fitted and their answer not cut; the rest are fitted
(`generate.prompt_fit`). It is capped by the model's positions and by memory: a training
step of `batch` sequences of the length, on each of the machine's ranks, must fit in half the
machine's memory, at `BYTES_PER_TOKEN` per token (scaled by the model's hidden size times its
layers). The machine's memory, not what is free at the moment: every rank and a resumed run
choose the same length.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

AUTO = 0  # the `max-length` value that asks for the choice
WHOLE_SHARE = 0.95
STEP = 32
MIN_LENGTH = 128
# Peak RSS growth of `docgen finetune` per token of one sequence, measured on the embedded
# default (SmolLM2-135M: hidden 576, 30 layers; fp32, lean LoRA layers, rank 16, batch 8) by
# `benchmarks/train_memory.py` (RESULTS.md, "Training memory"), rounded up.
BYTES_PER_TOKEN = 1_200_000
MEASURED_WIDTH = 576 * 30
MEMORY_SHARE = 0.5


@dataclass(frozen=True)
class LengthChoice:
    """The chosen length and the figures it came from (kept in the training record)."""

    max_length: int
    whole_length: int  # the length that keeps WHOLE_SHARE of the examples whole
    cap: int  # positions and memory
    whole_share: float  # share of examples whole at `max_length`
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        return (f"max-length {self.max_length} ({self.reason}; {self.whole_share:.0%} of the "
                "training examples fit whole, the others' prompts are fitted)")


def machine_memory() -> int:
    """Bytes of physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def memory_cap(config: Any, batch_size: int, memory: int | None = None, ranks: int = 1) -> int:
    """The longest sequence whose training step (at `batch_size`, on each of `ranks`
    processes sharing the machine) fits the memory budget."""
    width = int(getattr(config, "hidden_size", 576)) * int(getattr(config, "num_hidden_layers", 30))
    per_token = BYTES_PER_TOKEN * width / MEASURED_WIDTH
    budget = (machine_memory() if memory is None else memory) * MEMORY_SHARE
    return int(budget // (per_token * max(1, batch_size) * max(1, ranks)))


def _round_up(value: int) -> int:
    return int(math.ceil(value / STEP) * STEP)


def choose_max_length(lengths: Sequence[int], cap: int) -> LengthChoice:
    """`lengths`: each training example's prompt + answer tokens, before fitting."""
    cap = max(MIN_LENGTH, cap - cap % STEP)
    if not lengths:
        return LengthChoice(min(cap, 512), 0, cap, 1.0, "no examples")
    ordered = sorted(lengths)
    whole_length = _round_up(ordered[max(0, math.ceil(WHOLE_SHARE * len(ordered)) - 1)])
    chosen = max(MIN_LENGTH, min(whole_length, cap))
    whole = sum(n <= chosen for n in ordered) / len(ordered)
    reason = ("capped by memory and positions" if whole_length > cap
              else f"the length that keeps {WHOLE_SHARE:.0%} of the examples whole")
    return LengthChoice(chosen, whole_length, cap, round(whole, 4), reason)


def position_limit(config: Any) -> int:
    return int(getattr(config, "max_position_embeddings", 0) or 1 << 30)
