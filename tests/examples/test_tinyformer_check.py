"""`docgen check` on the example package: clean, except the deliberately stale `legacy.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from docgen_plugin.checks.run import run_checks
from docgen_plugin.cli import main
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.settings import Settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# What the README shows: each kind of stale docs once, all in legacy.py.
LEGACY_FINDINGS = {
    ("DG101", "tinyformer.legacy.sinusoidal_positions", "max_positions"),  # renamed parameter
    ("DG102", "tinyformer.legacy.sinusoidal_positions", "num_positions"),  # ... its new name
    ("DG102", "tinyformer.legacy.sinusoidal_positions", "dtype"),  # added, never documented
    ("DG103", "tinyformer.legacy.sinusoidal_positions", "base"),  # stale default in the docs
    ("DG103", "tinyformer.legacy.LegacyEncoderConfig", "hidden_size"),  # stale default in help
    ("DG105", "tinyformer.legacy.LegacyEncoderConfig", "layer_norm_eps"),  # no description
}


def test_only_legacy_module_has_findings(tmp_path):
    settings = Settings(root=str(EXAMPLES), cache_dir=str(tmp_path))
    findings = run_checks(load_facts(["tinyformer"], settings), settings)
    assert {(f.code, f.obj, f.subject) for f in findings} == LEGACY_FINDINGS
    assert {f.file for f in findings} == {"tinyformer/legacy.py"}


@pytest.mark.parametrize(("extra", "status"), [([], 1), (["--exclude", "*legacy.py"], 0)])
def test_cli_exit_status(extra, status, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    assert main(["check", "examples/tinyformer", "--no-cache", *extra]) == status
    out = capsys.readouterr().out
    assert ("legacy.py" in out) == bool(status)
