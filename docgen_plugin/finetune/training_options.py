"""The hyper-parameters of one training run, and `--sweep`'s grid of them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from docgen_plugin.errors import SettingsError
from docgen_plugin.finetune.max_length import AUTO
from docgen_plugin.settings import Settings


@dataclass(frozen=True, kw_only=True)
class TrainOptions:
    """Hyper-parameters of one run (defaults: the `Settings` keys of the same meaning)."""

    learning_rate: float = field(default=2e-4, metadata={"help": "Peak learning rate (linear decay)."})
    epochs: float = field(default=2.0, metadata={"help": "Passes over the training split."})
    batch_size: int = field(default=8, metadata={"help": "Sequences per step and process."})
    max_length: int = field(
        default=AUTO, metadata={"help": "Tokens per sequence (prompt + answer); 0: chosen from the corpus."})
    lora_rank: int = field(default=16, metadata={"help": "LoRA rank r."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha (scale alpha / r)."})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout probability."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay."})
    save_steps: int = field(default=50, metadata={"help": "Checkpoint and validate every N steps."})
    early_stopping_patience: int = field(default=3, metadata={"help": "Validations without gain; 0: off."})
    seed: int = field(default=0, metadata={"help": "Seed of the order, dropout and LoRA init."})
    max_steps: int = field(default=-1, metadata={"help": "Stop after N steps (-1: the epochs)."})
    gradient_accumulation: int = field(default=1, metadata={"help": "Batches per optimizer step."})
    gradient_checkpointing: bool = field(default=False, metadata={"help": "Less memory, ~30% slower."})
    warmup_ratio: float = field(default=0.0, metadata={"help": "Share of steps warming up the lr."})
    lean_layers: bool = field(default=True, metadata={"help": "docgen's fused LoRA layers (Llama)."})

    def __post_init__(self) -> None:
        positive = ("learning_rate", "epochs", "batch_size", "lora_rank", "lora_alpha",
                    "save_steps", "gradient_accumulation")
        for name in positive:
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name.replace('_', '-')} must be positive, not {getattr(self, name)}")
        if self.max_length < 0:
            raise SettingsError(
                f"max-length must be positive (or 0: chosen from the corpus), not {self.max_length}")
        if not 0 <= self.lora_dropout < 1 or self.weight_decay < 0 or self.early_stopping_patience < 0:
            raise SettingsError("lora-dropout must be in [0, 1); weight-decay and patience >= 0")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TrainOptions:
        values: dict[str, Any] = {
            "learning_rate": settings.learning_rate,
            "epochs": settings.epochs,
            "batch_size": settings.train_batch_size,
            "max_length": settings.max_length,
            "lora_rank": settings.lora_rank,
            "lora_alpha": settings.lora_alpha,
            "lora_dropout": settings.lora_dropout,
            "weight_decay": settings.weight_decay,
            "save_steps": settings.save_steps,
            "early_stopping_patience": settings.early_stopping_patience,
            "seed": settings.seed,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


# sweep keys: the option names, the settings keys, and short forms
SWEEP_ALIASES = {
    "lr": "learning_rate",
    "rank": "lora_rank",
    "r": "lora_rank",
    "alpha": "lora_alpha",
    "dropout": "lora_dropout",
    "batch": "batch_size",
    "train_batch_size": "batch_size",
    "patience": "early_stopping_patience",
}


def parse_sweep(specs: Sequence[str]) -> list[dict[str, Any]]:
    """`["lr=1e-4,3e-4", "rank=8,16"]` -> the grid of overrides (every combination)."""
    names = {f.name: f for f in fields(TrainOptions)}
    axes: list[list[tuple[str, Any]]] = []
    for spec in specs:
        key, sep, values = spec.partition("=")
        name = SWEEP_ALIASES.get(key.strip().replace("-", "_"), key.strip().replace("-", "_"))
        if not sep or name not in names or not values.strip():
            raise SettingsError(
                f"--sweep {spec!r}: use KEY=V1,V2 with KEY one of "
                f"{', '.join(sorted({*names, *SWEEP_ALIASES}))}"
            )
        kind = type(names[name].default)
        try:
            parsed = [_parse_value(kind, v.strip()) for v in values.split(",") if v.strip()]
        except ValueError as error:
            raise SettingsError(f"--sweep {spec!r}: {error}") from error
        axes.append([(name, v) for v in parsed])
    return [dict(combo) for combo in itertools.product(*axes)] if axes else [{}]


def _parse_value(kind: type, text: str) -> Any:
    if kind is bool:
        return text.lower() in ("1", "true", "yes", "on")
    if kind is int:
        return int(float(text)) if float(text).is_integer() else int(text)
    return kind(text)
