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

import time
from dataclasses import dataclass, field
from typing import Any

# imported only by `train.run_training`: `docgen finetune --help` never loads transformers
from transformers import Trainer, TrainerCallback

from docgen_plugin.finetune.training_data import IGNORE, GroupedSampler


@dataclass
class Meter:
    """What the training steps did: tokens, time, the last loss, and which examples each step saw."""

    tokens: int = 0
    step_seconds: float = 0.0
    last_loss: Any = None
    seen: list[list[int]] = field(default_factory=list)
    step_started: float | None = None

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.step_seconds if self.step_seconds > 0 else 0.0


class AnswerPositions:
    """Forward pre-hook on the output embedding: while `mask` is set, the head sees only the
    hidden states at those positions (`[batch, seq, hidden]` -> `[1, n, hidden]`)."""

    def __init__(self) -> None:
        self.mask: Any = None

    def __call__(self, _module: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        if self.mask is None:
            return None
        hidden = args[0]
        return (hidden[self.mask].unsqueeze(0), *args[1:])


def install_head_hook(model: Any) -> AnswerPositions:
    head = model.get_output_embeddings()
    if head is None:
        from docgen_plugin.errors import ModelError

        raise ModelError("the model has no output embedding; docgen fine-tunes causal LMs only")
    positions = AnswerPositions()
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

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        return GroupedSampler(self.lengths, self.args.per_device_train_batch_size, self.args.seed)

    def answer_loss(self, model: Any, inputs: dict[str, Any]) -> Any:
        import torch
        import torch.nn.functional as functional

        labels = inputs["labels"]
        # position t predicts token t+1: keep positions whose next token is an answer token
        targets = torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], IGNORE)], dim=1)
        mask = targets != IGNORE
        self.positions.mask = mask
        try:
            outputs = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
        finally:
            self.positions.mask = None
        logits = outputs.logits.reshape(-1, outputs.logits.shape[-1])
        if int(mask.sum()) == 0:  # nothing to learn in this batch: a zero that keeps the graph
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
