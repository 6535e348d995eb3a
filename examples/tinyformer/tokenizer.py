"""`ConvTokenizer`: learned tokens from raw bytes, for text without a vocabulary."""

from __future__ import annotations

from dataclasses import asdict

from torch import Tensor, nn

from .config import ConvTokenizerConfig


class ConvTokenizer(nn.Module):
    """Learned tokenizer: byte embeddings downsampled by a strided 1-D convolution.

    Args:
        vocab_size (int): Number of distinct byte values. Defaults to 256.
        d_model (int): Width of the output token vectors. Defaults to 64.
        kernel_size (int): Width of the convolution window, in bytes. Defaults to 4.
        stride (int): Bytes per output token. Defaults to 4.
    """

    def __init__(
        self, vocab_size: int = 256, d_model: int = 64, kernel_size: int = 4, stride: int = 4
    ) -> None:
        super().__init__()
        self.stride = stride
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.conv = nn.Conv1d(d_model, d_model, kernel_size, stride=stride)
        self.norm = nn.LayerNorm(d_model)

    @classmethod
    def from_config(cls, config: ConvTokenizerConfig) -> ConvTokenizer:
        """Build the tokenizer from its config.

        Args:
            config (ConvTokenizerConfig): Every field is passed on as a keyword argument.

        Returns:
            A freshly initialised tokenizer.
        """
        return cls(**asdict(config))

    def forward(self, byte_ids: Tensor) -> Tensor:
        """Token vectors for a batch of byte sequences.

        Args:
            byte_ids (Tensor): Byte values of shape `(batch, length)`, with
                `length >= kernel_size`.

        Returns:
            Token vectors of shape `(batch, tokens, d_model)`, where `tokens` is about
            `length / stride`.
        """
        embedded = self.embedding(byte_ids).transpose(1, 2)
        return self.norm(self.conv(embedded).transpose(1, 2))
