"""Building blocks: attention, feed-forward, a pre-norm encoder layer and an MLP head."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Tensor | None = None,
    dropout_p: float = 0.0,
    training: bool = True,
) -> Tensor:
    """Softmax attention of ``query`` over ``key``, applied to ``value``.

    The same result as :func:`torch.nn.functional.scaled_dot_product_attention`, written out
    so that the attention weights can be inspected.

    :param query: Queries of shape ``(batch, heads, seq, head_dim)``.
    :type query: Tensor
    :param key: Keys of shape ``(batch, heads, seq, head_dim)``.
    :type key: Tensor
    :param value: Values of shape ``(batch, heads, seq, head_dim)``.
    :type value: Tensor
    :param mask: Boolean mask broadcastable to ``(batch, heads, seq, seq)``; ``True`` where a
        query may attend to a key. ``None`` attends everywhere.
    :type mask: Tensor or None
    :param dropout_p: Dropout probability on the attention weights, defaults to 0.0
    :type dropout_p: float
    :param training: Apply dropout only when true, defaults to True
    :type training: bool
    :returns: The attended values, of shape ``(batch, heads, seq, head_dim)``.
    :rtype: Tensor
    """
    scores = query @ key.transpose(-2, -1) / math.sqrt(query.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    weights = functional.dropout(scores.softmax(dim=-1), p=dropout_p, training=training)
    return weights @ value


class MultiHeadSelfAttention(nn.Module):
    """Self-attention with several heads over one sequence.

    Args:
        d_model (int): Width of the input and output vectors.
        num_heads (int): Number of heads; must divide `d_model`. Defaults to 4.
        dropout (float): Dropout probability on the attention weights. Defaults to 0.0.
        bias (bool): Whether the projections have a bias. Defaults to True.
    """

    def __init__(
        self, d_model: int, num_heads: int = 4, dropout: float = 0.0, bias: bool = True
    ) -> None:
        super().__init__()
        if d_model % num_heads:
            raise ValueError(f"num_heads ({num_heads}) must divide d_model ({d_model})")
        self.num_heads = num_heads
        self.dropout = dropout
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, hidden_states: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """Attend every position to every position that the mask keeps.

        Args:
            hidden_states (Tensor): Input of shape `(batch, seq, d_model)`.
            attention_mask (Tensor, optional): Boolean, of shape `(batch, seq)`: `True` for
                real tokens, `False` for padding. Defaults to None.

        Returns:
            Tensor of shape `(batch, seq, d_model)`.
        """
        batch, seq, width = hidden_states.shape
        heads = self.qkv(hidden_states).view(batch, seq, 3, self.num_heads, -1)
        query, key, value = heads.permute(2, 0, 3, 1, 4)
        mask = None if attention_mask is None else attention_mask[:, None, None, :].bool()
        attended = scaled_dot_product_attention(
            query, key, value, mask, dropout_p=self.dropout, training=self.training
        )
        return self.out(attended.transpose(1, 2).reshape(batch, seq, width))


class FeedForward(nn.Module):
    """Position-wise feed-forward block: linear, activation, dropout, linear.

    Args:
        d_model (int): Width of the input and output vectors.
        dim_feedforward (int): Width of the hidden layer.
        dropout (float): Dropout probability after the activation. Default: 0.1
        activation (str): `"gelu"` or `"relu"`. Defaults to `"gelu"`.
    """

    def __init__(
        self, d_model: int, dim_feedforward: int, dropout: float = 0.1, activation: str = "gelu"
    ) -> None:
        super().__init__()
        if activation not in ("gelu", "relu"):
            raise ValueError(f"activation must be `gelu` or `relu`, not {activation!r}")
        self.net = nn.Sequential(
            nn.Linear(d_model, dim_feedforward),
            nn.GELU() if activation == "gelu" else nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(dim_feedforward, d_model),
        )

    def forward(self, hidden_states: Tensor) -> Tensor:
        """Transform every position on its own.

        Args:
            hidden_states (Tensor): Input of shape `(..., d_model)`.

        Returns:
            Tensor of the same shape.
        """
        return self.net(hidden_states)


class EncoderLayer(nn.Module):
    """A pre-norm Transformer encoder layer: attention and feed-forward, each with a residual.

    Args:
        d_model (int): Width of the hidden vectors.
        num_heads (int): Attention heads. Defaults to 4.
        dim_feedforward (int): Hidden width of the feed-forward block. Defaults to 128.
        dropout (float): Dropout probability on both residual branches. Defaults to 0.1.
        activation (str): Feed-forward activation, `gelu` or `relu`. Defaults to `gelu`.
        layer_norm_eps (float): Added to the variance in the layer norms. Defaults to 1e-5.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int = 4,
        dim_feedforward: int = 128,
        dropout: float = 0.1,
        activation: str = "gelu",
        layer_norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.attention = MultiHeadSelfAttention(d_model, num_heads, dropout=dropout)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.feed_forward = FeedForward(d_model, dim_feedforward, dropout, activation)
        self.dropout = nn.Dropout(dropout)

    def forward(self, hidden_states: Tensor, attention_mask: Tensor | None = None) -> Tensor:
        """Apply attention, then the feed-forward block.

        Args:
            hidden_states (Tensor): Input of shape `(batch, seq, d_model)`.
            attention_mask (Tensor, optional): Boolean `(batch, seq)`, `False` for padding.

        Returns:
            Tensor of shape `(batch, seq, d_model)`.
        """
        attended = self.attention(self.norm1(hidden_states), attention_mask)
        hidden_states = hidden_states + self.dropout(attended)
        return hidden_states + self.dropout(self.feed_forward(self.norm2(hidden_states)))


class MLPHead(nn.Module):
    """Two-layer perceptron that maps one vector per sequence to class logits.

    Parameters
    ----------
    in_features : int
        Width of the input vectors.
    num_classes : int
        Number of output logits.
    hidden_features : int, optional
        Width of the hidden layer; ``None`` uses ``in_features``.
    dropout : float, default=0.1
        Dropout probability before the output layer.
    activation : str, default="gelu"
        Hidden activation, ``"gelu"`` or ``"relu"``.

    Examples
    --------
    >>> head = MLPHead(64, num_classes=3)
    >>> head(torch.randn(8, 64)).shape
    torch.Size([8, 3])
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        hidden_features: int | None = None,
        dropout: float = 0.1,
        activation: str = "gelu",
    ) -> None:
        super().__init__()
        hidden = hidden_features or in_features
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.GELU() if activation == "gelu" else nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, features: Tensor) -> Tensor:
        """Logits for a batch of vectors.

        Parameters
        ----------
        features : Tensor
            Input of shape ``(batch, in_features)``.

        Returns
        -------
        Tensor
            Logits of shape ``(batch, num_classes)``.
        """
        return self.net(features)
