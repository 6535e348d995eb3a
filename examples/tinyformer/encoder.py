"""`TinyTransformerEncoder`: token and position embeddings under a stack of encoder layers."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import torch
from torch import Tensor, nn

from .config import EncoderConfig
from .layers import EncoderLayer
from .modeling import TinyformerModel


class TinyTransformerEncoder(TinyformerModel):
    """A small Transformer encoder over token ids.

    Token embeddings plus learned position embeddings go through `num_layers` pre-norm
    encoder layers and a final layer norm. Padding (`pad_token_id`) is masked out of
    attention unless an explicit mask is given.

    Args:
        vocab_size (int): Number of token ids the embedding table holds.
        d_model (int): Width of every hidden vector. Defaults to 64.
        num_heads (int): Attention heads per layer; must divide `d_model`. Defaults to 4.
        num_layers (int): Number of encoder layers. Defaults to 2.
        dim_feedforward (int): Hidden width of the feed-forward blocks. Defaults to 128.
        dropout (float): Dropout probability inside every layer. Defaults to 0.1.
        max_len (int): Longest sequence the position table covers. Defaults to 128.
        activation (str): Feed-forward activation, `gelu` or `relu`. Defaults to `"gelu"`.
        pad_token_id (int): Token id of padding. Defaults to 0.
        **kwargs: Passed on to `TinyformerModel` (`init_std`).
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 64,
        num_heads: int = 4,
        num_layers: int = 2,
        dim_feedforward: int = 128,
        dropout: float = 0.1,
        max_len: int = 128,
        activation: str = "gelu",
        pad_token_id: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.d_model = d_model
        self.max_len = max_len
        self.pad_token_id = pad_token_id
        self.token_embedding = nn.Embedding(vocab_size, d_model)
        self.position_embedding = nn.Embedding(max_len, d_model)
        self.embedding_dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(
            EncoderLayer(d_model, num_heads, dim_feedforward, dropout, activation)
            for _ in range(num_layers)
        )
        self.final_norm = nn.LayerNorm(d_model)
        self.init_weights()

    @classmethod
    def from_config(cls, config: EncoderConfig) -> TinyTransformerEncoder:
        """Build the model from a config dataclass.

        Args:
            config (EncoderConfig): Every field is passed on as a keyword argument.

        Returns:
            A freshly initialised model.
        """
        return cls(**asdict(config))

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """Encode a batch of token ids.

        Args:
            input_ids (Tensor): Token ids of shape `(batch, seq)`, with `seq <= max_len`.
            attention_mask (Tensor, optional): `True` (or 1) for real tokens, of shape
                `(batch, seq)`. Defaults to `input_ids != pad_token_id`.

        Returns:
            Hidden states of shape `(batch, seq, d_model)`.
        """
        seq = input_ids.size(1)
        if seq > self.max_len:
            raise ValueError(f"sequence of {seq} tokens is longer than max_len={self.max_len}")
        if attention_mask is None:
            attention_mask = input_ids != self.pad_token_id
        positions = torch.arange(seq, device=input_ids.device)
        hidden = self.token_embedding(input_ids) + self.position_embedding(positions)
        hidden = self.embedding_dropout(hidden)
        for layer in self.layers:
            hidden = layer(hidden, attention_mask)
        return self.final_norm(hidden)
