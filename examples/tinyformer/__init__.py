"""tinyformer: a small Transformer text classifier in plain PyTorch.

The models take their hyper-parameters as keyword arguments, or from the config dataclasses
in `tinyformer.config`, which the YAML files under `configs/` fill in:

    >>> from tinyformer import ClassifierConfig, TextClassifier, load_config
    >>> config = load_config("configs/classifier.yaml", ClassifierConfig)  # doctest: +SKIP
    >>> model = TextClassifier.from_config(config)  # doctest: +SKIP
"""

from .classifier import TextClassifier
from .config import ClassifierConfig, ConvTokenizerConfig, EncoderConfig, load_config
from .encoder import TinyTransformerEncoder
from .layers import (
    EncoderLayer,
    FeedForward,
    MLPHead,
    MultiHeadSelfAttention,
    scaled_dot_product_attention,
)
from .modeling import TinyformerModel
from .tokenizer import ConvTokenizer

__all__ = [
    "ClassifierConfig",
    "ConvTokenizer",
    "ConvTokenizerConfig",
    "EncoderConfig",
    "EncoderLayer",
    "FeedForward",
    "MLPHead",
    "MultiHeadSelfAttention",
    "TextClassifier",
    "TinyTransformerEncoder",
    "TinyformerModel",
    "load_config",
    "scaled_dot_product_attention",
]
