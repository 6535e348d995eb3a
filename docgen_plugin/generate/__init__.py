"""Drafting with a local model: resolution, batched generation, prompts, verification, cache.

Importing this package is cheap: names load on first use (as in `docgen_plugin/__init__.py`), so
a module that needs only `generate.cache` or `generate.verify` never loads the model code, and
torch and transformers load only when a model does.
"""

from __future__ import annotations

from docgen_plugin.lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
