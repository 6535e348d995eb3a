"""`TextClassifier`: the encoder with pooling and an MLP head on top."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from .encoder import TinyTransformerEncoder
from .layers import MLPHead


class TextClassifier(TinyTransformerEncoder):
    """Sequence classifier: a `TinyTransformerEncoder`, pooling, then an `MLPHead`.

    Args:
        num_classes (int): Number of labels.
        pooling (str): How token vectors become one vector: `"mean"` over real tokens, or
            the `"first"` token. Defaults to "mean".
        classifier_dropout (float): Dropout probability inside the head. Default: 0.1
        **kwargs: Encoder settings (`vocab_size`, `d_model`, ...), passed on to
            `TinyTransformerEncoder`.
    """

    def __init__(
        self,
        num_classes: int,
        pooling: str = "mean",
        classifier_dropout: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if pooling not in ("mean", "first"):
            raise ValueError(f"pooling must be `mean` or `first`, not {pooling!r}")
        self.pooling = pooling
        self.head = MLPHead(self.d_model, num_classes, dropout=classifier_dropout)
        self.init_weights()

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """Class logits for a batch of token ids.

        Args:
            input_ids (Tensor): Token ids of shape `(batch, seq)`.
            attention_mask (Tensor, optional): `True` for real tokens, of shape `(batch, seq)`.
                Defaults to `input_ids != pad_token_id`.

        Returns:
            Logits of shape `(batch, num_classes)`.
        """
        if attention_mask is None:
            attention_mask = input_ids != self.pad_token_id
        hidden = super().forward(input_ids, attention_mask)
        if self.pooling == "first":
            pooled = hidden[:, 0]
        else:
            weights = attention_mask.to(hidden.dtype).unsqueeze(-1)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return self.head(pooled)
