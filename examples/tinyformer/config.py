"""Config dataclasses of the tinyformer models, and a YAML reader for them.

`EncoderConfig` and `ClassifierConfig` describe every field in `metadata["help"]`, the way
peft configs do; `ConvTokenizerConfig` is a plain dataclass described by its docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import yaml

ConfigT = TypeVar("ConfigT")


@dataclass
class EncoderConfig:
    """Hyper-parameters of `TinyTransformerEncoder`; `configs/base.yaml` holds the defaults."""

    vocab_size: int = field(
        default=1000, metadata={"help": "Number of token ids the embedding table holds."}
    )
    d_model: int = field(
        default=64, metadata={"help": "Width of every hidden vector. Defaults to 64."}
    )
    num_heads: int = field(
        default=4, metadata={"help": "Attention heads per layer; must divide `d_model`."}
    )
    num_layers: int = field(default=2, metadata={"help": "Number of encoder layers."})
    dim_feedforward: int = field(
        default=128, metadata={"help": "Hidden width of the feed-forward blocks. Default: 128"}
    )
    dropout: float = field(
        default=0.1, metadata={"help": "Dropout probability inside every layer. Default: 0.1"}
    )
    max_len: int = field(
        default=128, metadata={"help": "Longest sequence the position table covers."}
    )
    activation: str = field(
        default="gelu", metadata={"help": "Feed-forward activation: `gelu` or `relu`."}
    )
    pad_token_id: int = field(
        default=0, metadata={"help": "Token id of padding, masked out of attention."}
    )
    init_std: float = field(
        default=0.02,
        metadata={"help": "Standard deviation of the initial weights (default: 0.02)."},
    )

    def __post_init__(self) -> None:
        if self.d_model % self.num_heads:
            raise ValueError(
                f"num_heads ({self.num_heads}) must divide d_model ({self.d_model})"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), not {self.dropout}")
        if self.activation not in ("gelu", "relu"):
            raise ValueError(f"activation must be `gelu` or `relu`, not {self.activation!r}")


@dataclass
class ClassifierConfig(EncoderConfig):
    """Hyper-parameters of `TextClassifier`: the encoder's, plus those of the head."""

    num_classes: int = field(default=2, metadata={"help": "Number of labels."})
    pooling: str = field(
        default="mean",
        metadata={"help": "`mean` over real tokens, or the `first` token. Defaults to `mean`."},
    )
    classifier_dropout: float = field(
        default=0.1, metadata={"help": "Dropout probability inside the classification head."}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.pooling not in ("mean", "first"):
            raise ValueError(f"pooling must be `mean` or `first`, not {self.pooling!r}")


@dataclass
class ConvTokenizerConfig:
    """Settings of `ConvTokenizer`, which turns raw bytes into token vectors.

    Attributes:
        vocab_size (int): Number of distinct byte values. Defaults to 256.
        d_model (int): Width of the output token vectors. Defaults to 64.
        kernel_size (int): Width of the convolution window, in bytes. Defaults to 4.
        stride (int): Bytes per output token. Defaults to 4.
    """

    vocab_size: int = 256
    d_model: int = 64
    kernel_size: int = 4
    stride: int = 4


def load_config(path: str | Path, config_class: type[ConfigT]) -> ConfigT:
    """Read a YAML file into a config dataclass.

    Args:
        path (str | Path): The YAML file; its top-level keys are field names.
        config_class (type): The dataclass to fill in, such as `EncoderConfig`.

    Returns:
        An instance of `config_class`; fields the file leaves out keep their defaults.

    Raises:
        ValueError: When the file holds a key that is not a field of `config_class`.
    """
    data: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    known = {f.name for f in fields(config_class)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(
            f"{path}: unknown keys {', '.join(unknown)} for {config_class.__name__}"
        )
    return config_class(**data)
