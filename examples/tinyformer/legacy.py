"""Pieces of tinyformer 0.1, kept to load old checkpoints.

Their docs went stale on purpose: `docgen check examples/tinyformer` reports every problem in
this module, and nothing anywhere else in the package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor


@dataclass
class LegacyEncoderConfig:
    """Config of the 0.1 encoder, as stored next to its checkpoints."""

    hidden_size: int = field(
        default=64, metadata={"help": "Width of every hidden vector. Defaults to 32."}
    )
    num_layers: int = field(default=2, metadata={"help": "Number of encoder layers."})
    layer_norm_eps: float = 1e-5


def sinusoidal_positions(
    num_positions: int, dim: int, base: float = 10000.0, dtype: torch.dtype = torch.float32
) -> Tensor:
    """Fixed sine and cosine position encodings, which 0.1 used instead of learned ones.

    Args:
        max_positions (int): Number of positions to encode.
        dim (int): Width of each encoding; must be even.
        base (float): Wavelength of the lowest frequency, in positions. Defaults to 1000.0.

    Returns:
        Tensor of shape `(num_positions, dim)`.
    """
    if dim % 2:
        raise ValueError(f"dim must be even, not {dim}")
    position = torch.arange(num_positions, dtype=dtype).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, dim, 2, dtype=dtype) * (-math.log(base) / dim))
    encoding = torch.zeros(num_positions, dim, dtype=dtype)
    encoding[:, 0::2] = torch.sin(position * frequency)
    encoding[:, 1::2] = torch.cos(position * frequency)
    return encoding
