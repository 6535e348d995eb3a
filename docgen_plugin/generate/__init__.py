"""Drafting with a local model: resolution, batched generation, prompts, verification, cache.

Importing this package is cheap: torch and transformers load only when a model does.
"""

from __future__ import annotations

from docgen_plugin.generate.generator import Decoding, Generation, Generator, clean_prose
from docgen_plugin.generate.models import (
    LoadedModel,
    ResolvedModel,
    load_model,
    model_info,
    prepare_model,
    resolve_model,
)

__all__ = [
    "Decoding",
    "Generation",
    "Generator",
    "LoadedModel",
    "ResolvedModel",
    "clean_prose",
    "load_model",
    "model_info",
    "prepare_model",
    "resolve_model",
]
