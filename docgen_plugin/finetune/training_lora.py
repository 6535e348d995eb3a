"""The LoRA adapter a run trains: a new one on the model's projections, or one continued."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from docgen_plugin.finetune.training_options import TrainOptions
from docgen_plugin.generate.default_model import EMBEDDED

logger = logging.getLogger(__name__)

# LoRA on every attention and MLP projection: the Llama family's names (the embedded default,
# Qwen2, Mistral ...); any other causal LM gets peft's "all-linear" (every Linear/Conv1D but
# the head), so a GPT-2 or another architecture trains without a table per model.
ALL_LINEAR = "all-linear"


def peft_model(model: Any, options: TrainOptions, from_adapter: Path | None) -> Any:
    """`model` with a trainable LoRA adapter: new, or `from_adapter` continued."""
    import warnings

    with warnings.catch_warnings():  # peft asks transformers 5 a deprecated question
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        return _lora(model, options, from_adapter)


def _lora(model: Any, options: TrainOptions, from_adapter: Path | None) -> Any:
    from peft import LoraConfig, PeftModel, get_peft_model

    from docgen_plugin.errors import ModelError

    if from_adapter is not None:
        try:
            return PeftModel.from_pretrained(model, str(from_adapter), is_trainable=True)
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise ModelError(
                f"{from_adapter}: cannot continue this adapter on this model ({error})", str(from_adapter)
            ) from error
    config = LoraConfig(
        r=options.lora_rank,
        lora_alpha=options.lora_alpha,
        lora_dropout=options.lora_dropout,
        target_modules=lora_targets(model),
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def lora_targets(model: Any) -> list[str] | str:
    """The default model's targets (its Llama-family projections) where the model has them
    all, else peft's "all-linear"."""
    names = {name.rpartition(".")[2] for name, _ in model.named_modules()}
    targets = EMBEDDED.lora_targets
    return list(targets) if set(targets) <= names else ALL_LINEAR


def install_lean_layers(model: Any, options: TrainOptions, *, main: bool) -> bool:
    """docgen's fused LoRA layers where the model allows them (`lean_layers.unsupported`)."""
    if not options.lean_layers:
        return False
    from docgen_plugin.finetune import lean_layers

    reason = lean_layers.unsupported(model)
    if reason is None and options.gradient_checkpointing:
        reason = "--gradient-checkpointing is on"
    if reason is not None:
        if main:
            logger.info("training with peft's LoRA layers: %s", reason)
        return False
    lean_layers.install(model, options.lora_dropout)
    return True
