"""Drafting with a local model: resolution, batched generation, prompts, verification, cache.

Importing this package is cheap: names load on first use (as in `docgen_plugin/__init__.py`), so
a module that needs only `generate.cache` or `generate.verify` never loads the model code, and
torch and transformers load only when a model does.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Decoding": "docgen_plugin.generate.generator",
    "Generation": "docgen_plugin.generate.generator",
    "Generator": "docgen_plugin.generate.generator",
    "LoadedModel": "docgen_plugin.generate.models",
    "ResolvedModel": "docgen_plugin.generate.models",
    "clean_prose": "docgen_plugin.generate.generator",
    "load_model": "docgen_plugin.generate.models",
    "model_info": "docgen_plugin.generate.models",
    "prepare_model": "docgen_plugin.generate.models",
    "resolve_model": "docgen_plugin.generate.models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'docgen_plugin.generate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
