"""The hyper-parameters of one training run, and `--sweep`'s grid of them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from docgen_plugin.errors import SettingsError
from docgen_plugin.settings import Settings

# TrainOptions field -> the `[tool.docgen]` setting it takes its default, help and value from:
# one declaration of each (`batch_size` is `train-batch-size` there: `batch-size` is drafting's)
FROM_SETTINGS = {
    "learning_rate": "learning_rate",
    "epochs": "epochs",
    "batch_size": "train_batch_size",
    "max_length": "max_length",
    "lora_rank": "lora_rank",
    "lora_alpha": "lora_alpha",
    "lora_dropout": "lora_dropout",
    "weight_decay": "weight_decay",
    "save_steps": "save_steps",
    "early_stopping_patience": "early_stopping_patience",
    "seed": "seed",
}
_SETTINGS = {f.name: f for f in fields(Settings)}


def _setting(name: str) -> Any:
    """The field of TrainOptions `name`: default and help of its setting."""
    source = _SETTINGS[FROM_SETTINGS[name]]
    return field(default=source.default, metadata=source.metadata)


@dataclass(frozen=True, kw_only=True)
class TrainOptions:
    """Hyper-parameters of one run: the settings of the train group (`FROM_SETTINGS`), and
    options of a run only, which the command line sets."""

    learning_rate: float = _setting("learning_rate")
    epochs: float = _setting("epochs")
    batch_size: int = _setting("batch_size")
    max_length: int = _setting("max_length")
    lora_rank: int = _setting("lora_rank")
    lora_alpha: int = _setting("lora_alpha")
    lora_dropout: float = _setting("lora_dropout")
    weight_decay: float = _setting("weight_decay")
    save_steps: int = _setting("save_steps")
    early_stopping_patience: int = _setting("early_stopping_patience")
    seed: int = _setting("seed")
    max_steps: int = field(default=-1, metadata={"help": "Stop after N optimizer steps (-1: the epochs)."})
    gradient_accumulation: int = field(default=1, metadata={"help": "Batches per optimizer step."})
    gradient_checkpointing: bool = field(default=False, metadata={
        "help": "Recompute activations in the backward pass: less memory, ~30% slower."})
    warmup_ratio: float = field(default=0.0, metadata={
        "help": "Share of the steps warming up the learning rate."})
    lean_layers: bool = field(default=True, metadata={
        "help": "docgen's fused LoRA layers (Llama models; half the memory, ~2x faster)."})

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
        """The train group of `settings`, with `overrides` (None: not given) on top."""
        values: dict[str, Any] = {name: getattr(settings, key) for name, key in FROM_SETTINGS.items()}
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
