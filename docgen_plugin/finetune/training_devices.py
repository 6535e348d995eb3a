"""Where a run trains: its rank among the launched processes, threads, device, precision, and
the `transformers.TrainingArguments` that say so."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docgen_plugin.finetune.training_checkpoints import CHECKPOINTS
from docgen_plugin.finetune.training_options import TrainOptions


def rank_info() -> tuple[int, int, int]:
    """(rank, local rank, world size) from the launcher's environment (torchrun, accelerate)."""
    return (
        int(os.environ.get("RANK", "0")),
        int(os.environ.get("LOCAL_RANK", "0")),
        int(os.environ.get("WORLD_SIZE", "1")),
    )


def share_threads(local_world: int) -> None:
    """All usable CPUs, shared among this machine's ranks. Not drafting's rule (CPUs minus those
    busy at load time): a process busy for a moment at start would halve an hour-long run."""
    import torch

    from docgen_plugin.generate.hardware import THREADS_ENV, usable_cpus

    if not os.environ.get(THREADS_ENV):
        torch.set_num_threads(max(1, usable_cpus() // max(1, local_world)))


def use_cuda() -> bool:
    """CUDA when present, unless `$DOCGEN_DEVICE` is `cpu`."""
    import torch

    return torch.cuda.is_available() and os.environ.get("DOCGEN_DEVICE", "") != "cpu"


def use_bf16() -> bool:
    """bf16 autocast where the GPU, or else the CPU, computes it natively."""
    import torch

    from docgen_plugin.generate.hardware import cpu_has_bf16

    return torch.cuda.is_bf16_supported() if use_cuda() else cpu_has_bf16()


def training_arguments(
    out: Path, options: TrainOptions, *, evaluate: bool, world_size: int, progress: bool
) -> Any:
    """The `TrainingArguments` of a run: its options, devices and checkpoint schedule."""
    from transformers import TrainingArguments

    cuda = use_cuda()
    bf16 = use_bf16()
    extra: dict[str, Any] = {}
    if world_size > 1 and not cuda:
        extra["ddp_backend"] = "gloo"
    if options.gradient_checkpointing:
        extra["activation_checkpointing_kwargs"] = {"use_reentrant": False}
    return TrainingArguments(
        output_dir=str(out / CHECKPOINTS),
        per_device_train_batch_size=options.batch_size,
        per_device_eval_batch_size=options.batch_size,
        gradient_accumulation_steps=options.gradient_accumulation,
        learning_rate=options.learning_rate,
        weight_decay=options.weight_decay,
        num_train_epochs=options.epochs,
        max_steps=options.max_steps,
        warmup_steps=options.warmup_ratio,
        lr_scheduler_type="linear",
        logging_steps=1,
        save_strategy="steps",
        save_steps=options.save_steps,
        save_total_limit=2,
        eval_strategy="steps" if evaluate else "no",
        eval_steps=options.save_steps if evaluate else None,
        load_best_model_at_end=evaluate,
        metric_for_best_model="eval_loss" if evaluate else None,
        greater_is_better=False if evaluate else None,
        bf16=bf16,
        use_cpu=not cuda,
        activation_checkpointing=options.gradient_checkpointing,
        seed=options.seed,
        data_seed=options.seed,
        report_to=[],
        disable_tqdm=True,
        remove_unused_columns=False,
        label_names=["labels"],
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,
        **extra,
    )
