"""The flat public API: every name resolves, and nothing public is left out of it."""

from __future__ import annotations

import subprocess
import sys

import docgen_plugin
from docgen_plugin import checks, errors, facts  # noqa: F401


def test_all_is_sorted_and_resolves():
    assert docgen_plugin.__all__ == sorted(docgen_plugin.__all__)
    for name in docgen_plugin.__all__:
        assert getattr(docgen_plugin, name) is not None


def test_public_data_types_and_errors_are_exported():
    import docgen_plugin.checks.finding as finding_module
    import docgen_plugin.errors as errors_module
    import docgen_plugin.facts.model as model_module

    for module in (errors_module, model_module, finding_module):
        for name, value in vars(module).items():
            if isinstance(value, type) and value.__module__ == module.__name__ and not name.startswith("_"):
                if name in ("ModuleFacts",):  # cache unit, internal
                    continue
                assert name in docgen_plugin.__all__, f"{module.__name__}.{name} is not exported"


def test_import_is_light():
    code = (
        "import sys, docgen_plugin; "
        "print(sorted(m for m in ('griffe', 'torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
