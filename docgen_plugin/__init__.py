"""docgen: complete, true-to-the-code docs for ML model code.

The public API, re-exported flat. Names load on first use, so importing the package (as
MkDocs and Sphinx do at start-up) costs nothing and never imports torch.
"""

from __future__ import annotations

from docgen_plugin.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "CacheError": "docgen_plugin.errors",
    "ConfigField": "docgen_plugin.facts.model",
    "ConfigFileFacts": "docgen_plugin.facts.model",
    "ConfigKey": "docgen_plugin.facts.model",
    "ConfigRead": "docgen_plugin.facts.model",
    "CorpusError": "docgen_plugin.errors",
    "CorpusRecord": "docgen_plugin.finetune.records",
    "Diagnostic": "docgen_plugin.facts.model",
    "DocParam": "docgen_plugin.facts.model",
    "DocSection": "docgen_plugin.facts.model",
    "DocgenError": "docgen_plugin.errors",
    "Docstring": "docgen_plugin.facts.model",
    "Draft": "docgen_plugin.generate.drafting",
    "DraftRequest": "docgen_plugin.generate.drafting",
    "Facts": "docgen_plugin.facts.model",
    "Finding": "docgen_plugin.checks.finding",
    "MarkerError": "docgen_plugin.markers",
    "ModelError": "docgen_plugin.errors",
    "ObjectFacts": "docgen_plugin.facts.model",
    "PathError": "docgen_plugin.errors",
    "PROMPT_VERSION": "docgen_plugin.generate.prompts",
    "Param": "docgen_plugin.facts.model",
    "RULES": "docgen_plugin.checks.rules",
    "Raise": "docgen_plugin.facts.model",
    "Return": "docgen_plugin.facts.model",
    "Rule": "docgen_plugin.checks.rules",
    "SectionSpec": "docgen_plugin.sections.catalogue",
    "ServerError": "docgen_plugin.generate.server",
    "ServerGenerator": "docgen_plugin.generate.server",
    "Settings": "docgen_plugin.settings",
    "SettingsError": "docgen_plugin.errors",
    "Signature": "docgen_plugin.facts.model",
    "Submodule": "docgen_plugin.facts.model",
    "SourceError": "docgen_plugin.errors",
    "Verification": "docgen_plugin.generate.verify",
    "build_catalogue": "docgen_plugin.sections.catalogue",
    "build_corpus": "docgen_plugin.finetune.corpus",
    "build_messages": "docgen_plugin.generate.prompts",
    "check_markers": "docgen_plugin.checks.staleness",
    "check_pages": "docgen_plugin.checks.pages",
    "draft_sections": "docgen_plugin.generate.drafting",
    "evaluate": "docgen_plugin.finetune.evaluate",
    "load_facts": "docgen_plugin.facts.loader",
    "load_settings": "docgen_plugin.settings",
    "main": "docgen_plugin.cli",
    "read_split": "docgen_plugin.finetune.records",
    "resolve_model": "docgen_plugin.generate.model_resolve",
    "run_checks": "docgen_plugin.checks.run",
    "train": "docgen_plugin.finetune.train",
    "verify_draft": "docgen_plugin.generate.verify",
}

__all__ = sorted([*_EXPORTS, "__version__"])

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
