"""The Trainer subclass: a completion-only loss that never computes prompt logits.

`Trainer` is kept whole (checkpoints, resume, evaluation, early stopping, `accelerate launch`,
`torchrun`, DeepSpeed and FSDP through accelerate); three methods change:

- `compute_loss`: the model runs as usual, through whatever wrapper (DDP, FSDP) owns it, but a
  forward pre-hook on the output embedding keeps only the positions whose next token is an
  answer token, so the `[tokens x vocabulary]` product (49k columns for SmolLM2) is computed for
  the answer alone, then cross-entropy in fp32. Calling the decoder body directly would do the
  same arithmetic but bypass DDP's forward, and with it the gradient all-reduce.
- `prediction_step`: validation loss the same way.
- `_get_train_sampler`: length-grouped batches in an order fixed by (seed, epoch), so a resumed
  run sees the batches an uninterrupted one would.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# imported only by `train.run_training`: `docgen finetune --help` never loads transformers
from transformers import Trainer, TrainerCallback

from docgen_plugin.finetune.training_data import IGNORE, GroupedSampler, next_token_targets


@dataclass
class Meter:
    """What the training steps did: tokens, time, the last loss, and which examples each step saw.
    Saved in every checkpoint, so a resumed run's record counts the steps before the crash too."""

    tokens: int = 0
    step_seconds: float = 0.0
    last_loss: Any = None
    seen: list[list[int]] = field(default_factory=list)
    step_started: float | None = None
    earlier_wall: float = 0.0  # wall seconds of the segments before a resume
    segment_started: float = field(default_factory=time.perf_counter)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.step_seconds if self.step_seconds > 0 else 0.0

    @property
    def wall_seconds(self) -> float:
        return self.earlier_wall + time.perf_counter() - self.segment_started

    def save(self, folder: Path, rank: int) -> None:
        state = {"tokens": self.tokens, "step_seconds": self.step_seconds, "seen": self.seen,
                 "wall_seconds": self.wall_seconds}
        (folder / meter_file(rank)).write_text(json.dumps(state) + "\n", encoding="utf-8")

    @classmethod
    def resumed(cls, folder: Path, rank: int) -> Meter:
        """The meter saved in checkpoint `folder` (a fresh one if it has none)."""
        try:
            state = json.loads((folder / meter_file(rank)).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        return cls(tokens=int(state["tokens"]), step_seconds=float(state["step_seconds"]),
                   seen=[list(batch) for batch in state["seen"]], earlier_wall=float(state["wall_seconds"]))


def meter_file(rank: int) -> str:
    return f"docgen_meter_rank{rank}.json"


class AnswerPositions:
    """Forward pre-hook on the output embedding: while `mask` is set, the head sees only the
    hidden states at those positions (`[batch, seq, hidden]` -> `[1, n, hidden]`).

    With `capture` on (the lean layers' fused loss), the hook keeps those hidden states in
    `hidden` and hands the head none at all: `lean_layers.answer_cross_entropy` computes the
    loss from them in chunks, never holding every answer position's logits."""

    def __init__(self, weight: Any = None) -> None:
        self.mask: Any = None
        self.weight = weight
        self.capture = False
        self.hidden: Any = None

    def __call__(self, _module: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        if self.mask is None:
            return None
        hidden = args[0][self.mask]
        if self.capture:
            self.hidden = hidden
            hidden = hidden[:0]
        return (hidden.unsqueeze(0), *args[1:])


def install_head_hook(model: Any) -> AnswerPositions:
    head = model.get_output_embeddings()
    if head is None:
        from docgen_plugin.errors import ModelError

        raise ModelError("the model has no output embedding; docgen fine-tunes causal LMs only")
    positions = AnswerPositions(head.weight)
    head.register_forward_pre_hook(positions)
    return positions


class CompletionTrainer(Trainer):
    """`Trainer` with docgen's completion-only loss and length-grouped, resumable order."""

    def __init__(
        self, *args: Any, positions: AnswerPositions, meter: Meter, lengths: list[int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.positions = positions
        self.meter = meter
        self.lengths = lengths
        # our loss is a mean over the batch's answer tokens: let Trainer scale it for accumulation
        self.model_accepts_loss_kwargs = False

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        # the meter goes in before Trainer writes trainer_state.json, the mark of a complete checkpoint
        folder = Path(self._get_output_dir(trial=trial)) / f"checkpoint-{self.state.global_step}"
        folder.mkdir(parents=True, exist_ok=True)
        self.meter.save(folder, self.args.process_index)
        super()._save_checkpoint(model, trial)

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        return GroupedSampler(self.lengths, self.args.per_device_train_batch_size, self.args.seed)

    def answer_loss(self, model: Any, inputs: dict[str, Any]) -> Any:
        import torch.nn.functional as functional

        # keep positions whose next token is an answer token
        targets = next_token_targets(inputs["labels"])
        mask = targets != IGNORE
        answered = bool(mask.any())
        self.positions.mask = mask
        attention = inputs["attention_mask"]
        if bool((attention[:, 1:] <= attention[:, :-1]).all()):
            # right padding under a causal mask: no real token can see a pad, and pad positions
            # carry no loss, so the padding mask changes nothing; without it SDPA runs its
            # plain causal kernel and no [batch, 1, seq, seq] mask is built or kept per layer
            attention = None
        try:
            outputs = model(input_ids=inputs["input_ids"], attention_mask=attention)
        finally:
            self.positions.mask = None
        if self.positions.capture:
            from docgen_plugin.finetune.lean_layers import answer_cross_entropy

            hidden, self.positions.hidden = self.positions.hidden, None
            if not answered:  # nothing to learn in this batch: a zero that keeps the graph
                return hidden.sum() * 0.0
            return answer_cross_entropy(hidden, self.positions.weight, targets[mask])
        logits = outputs.logits.reshape(-1, outputs.logits.shape[-1])
        if not answered:
            return logits.sum() * 0.0
        return functional.cross_entropy(logits.float(), targets[mask])

    def compute_loss(
        self,
        model: Any,
        inputs: dict[str, Any],
        return_outputs: bool = False,
        num_items_in_batch: Any = None,
    ) -> Any:
        index = inputs.pop("index", None)
        loss = self.answer_loss(model, inputs)
        if model.training:
            self.meter.tokens += int(inputs["attention_mask"].sum())
            self.meter.last_loss = loss.detach()
            if index is not None:
                self.meter.seen.append([int(i) for i in index])
        return (loss, None) if return_outputs else loss

    def prediction_step(
        self,
        model: Any,
        inputs: dict[str, Any],
        prediction_loss_only: bool,
        ignore_keys: list[str] | None = None,
    ) -> tuple[Any, Any, Any]:
        import torch

        inputs = self._prepare_inputs(inputs)
        inputs.pop("index", None)
        with torch.no_grad(), self.compute_loss_context_manager():
            loss = self.answer_loss(model, inputs)
        return loss.detach(), None, None


class StepTimer(TrainerCallback):
    """Times the optimizer steps (not evaluation or checkpointing) for tokens/s."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.meter.step_started = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.meter.step_started is not None:
            self.meter.step_seconds += time.perf_counter() - self.meter.step_started
            self.meter.step_started = None


class ReleaseFreedMemory(TrainerCallback):
    """After each step, hands the memory glibc's malloc holds free back to the system.

    A step frees GBs of activations of varying sizes; glibc keeps them in fragmented arenas, so
    a run's RSS grew step by step (2.8 -> 6.4 GB over 80 steps) and steps slowed by half.
    `malloc_trim(0)` after each step kept RSS flat and made steps faster (RESULTS.md)."""

    def __init__(self) -> None:
        self.trim = malloc_trim()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.trim is not None:
            self.trim(0)


def malloc_trim() -> Any:
    """glibc's `malloc_trim`, or None on other C libraries (macOS, musl, Windows)."""
    import ctypes
    import ctypes.util
    import platform

    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


class ProgressBar(TrainerCallback):
    """One tqdm bar on the main process: steps, loss, tokens/s; validation losses as lines."""

    def __init__(self, meter: Meter, enabled: bool) -> None:
        self.meter = meter
        self.enabled = enabled
        self.bar: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        from tqdm.auto import tqdm

        if self.enabled and state.is_world_process_zero:
            self.bar = tqdm(
                total=state.max_steps, initial=state.global_step, desc="docgen: training", unit="step"
            )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is None:
            return
        loss = self.meter.last_loss
        self.bar.set_postfix(
            loss=f"{float(loss):.3f}" if loss is not None else "-",
            tok_s=f"{self.meter.tokens_per_second:.0f}",
            refresh=False,
        )
        self.bar.update(state.global_step - self.bar.n)

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: Any = None, **kwargs: Any) -> None:
        if self.bar is not None and metrics and "eval_loss" in metrics:
            self.bar.write(f"docgen: step {state.global_step}: validation loss {metrics['eval_loss']:.4f}")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class StopOnSignal(TrainerCallback):
    """After Ctrl-C (SIGINT) or SIGTERM: save a checkpoint at the end of this step and stop.
    Under several processes the flag is all-reduced, so every rank stops at the same step."""

    def __init__(self) -> None:
        self.requested = False
        self.stopped_at: int | None = None

    def request(self, *_: Any) -> None:
        self.requested = True

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not self._any_rank_requested():
            return
        control.should_save = True
        control.should_training_stop = True
        self.stopped_at = state.global_step

    def _any_rank_requested(self) -> bool:
        import torch
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            flag = torch.tensor([1.0 if self.requested else 0.0])
            if dist.get_backend() == "nccl":
                flag = flag.cuda()
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            return bool(flag.item() > 0)
        return self.requested
