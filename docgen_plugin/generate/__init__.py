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
    "LoadedModel": "docgen_plugin.generate.model_load",
    "ResolvedModel": "docgen_plugin.generate.model_resolve",
    "clean_prose": "docgen_plugin.generate.generator",
    "load_model": "docgen_plugin.generate.model_load",
    "model_info": "docgen_plugin.generate.model_status",
    "prepare_model": "docgen_plugin.generate.model_status",
    "resolve_model": "docgen_plugin.generate.model_resolve",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
