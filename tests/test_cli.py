"""`docgen check` and `docgen rule` as a user runs them: exit codes, formats, settings, baseline."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from pkgtools import write_package

from docgen_plugin.checks.rules import RULES
from docgen_plugin.cli import main

STALE = '''
def f(x, dropout=0.2):
    """F.

    Args:
        x: Input.
        dropout: Dropout. Defaults to 0.1.
    """
'''


@pytest.fixture()
def project(tmp_path, monkeypatch):
    write_package(tmp_path, {"m.py": STALE})
    (tmp_path / "pyproject.toml").write_text('[tool.docgen]\npackages = ["pkg"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_exit_codes_and_text_report(project, capsys):
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "pkg/m.py:6: DG103 documented default of `dropout` is `0.1`, the code's is `0.2`" in out
    (project / "pkg" / "m.py").write_text(STALE.replace("0.2", "0.1"))
    assert main(["check"]) == 0


def test_missing_path_is_one_line_and_exit_2(project, capsys):
    assert main(["check", "nope/"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nope/" in err


def test_unknown_setting_names_the_closest_key(project, capsys):
    (project / "pyproject.toml").write_text('[tool.docgen]\npackges = ["pkg"]\n')
    assert main(["check"]) == 2
    assert "did you mean `packages`?" in capsys.readouterr().err


def test_unknown_rule_code_is_an_error(project, capsys):
    assert main(["check", "--select", "DG999"]) == 2
    assert "DG999" in capsys.readouterr().err


def test_settings_from_pyproject_apply(project, capsys):
    (project / "pyproject.toml").write_text('[tool.docgen]\npackages = ["pkg"]\nignore = ["DG103"]\n')
    assert main(["check"]) == 0


def test_json_github_and_sarif(project, capsys):
    main(["check", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data[0]["code"] == "DG103" and data[0]["line"] == 6
    main(["check", "--format", "github"])
    assert capsys.readouterr().out.startswith("::warning file=pkg/m.py,line=6,title=DG103::")
    main(["check", "--format", "sarif"])
    sarif = json.loads(capsys.readouterr().out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["rules"][0]["id"] == "DG103"
    result = run["results"][0]
    assert result["ruleId"] == "DG103"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/m.py"


def test_baseline_reports_only_new_findings(project, capsys):
    baseline = project / "docgen-baseline.json"
    assert main(["check", "--baseline", str(baseline)]) == 0
    assert baseline.exists()
    assert main(["check", "--baseline", str(baseline)]) == 0
    # A line moved by an edit above keeps its baseline entry; a new finding is reported.
    source = "import os\n\n" + STALE + '''

def g(y):
    """G.

    Args:
        z: Renamed.
    """
'''
    (project / "pkg" / "m.py").write_text(source)
    capsys.readouterr()
    assert main(["check", "--baseline", str(baseline)]) == 1
    out = capsys.readouterr().out
    assert "DG101" in out and "DG103" not in out


def test_corrupt_baseline_is_a_clear_error(project, capsys):
    baseline = project / "b.json"
    baseline.write_text("{not json")
    assert main(["check", "--baseline", str(baseline)]) == 2
    assert "not a docgen baseline" in capsys.readouterr().err


def test_rule_docs(capsys):
    assert main(["rule"]) == 0
    listing = capsys.readouterr().out
    assert all(code in listing for code in ("DG101", "DG107", "DG001"))
    assert main(["rule", "DG101"]) == 0
    doc = capsys.readouterr().out
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in doc
    assert main(["rule", "DG999"]) == 2


def test_every_rule_has_a_complete_doc():
    from docgen_plugin.checks import run  # noqa: F401  (registers the rules)

    for rule in RULES.values():
        assert rule.summary and "## What it does" in rule.doc and "## Example" in rule.doc


def test_warm_cache_gives_the_same_findings(project, capsys):
    main(["check", "--format", "json"])
    cold = capsys.readouterr().out
    assert list((project / ".cache" / "docgen").glob("facts-*.json"))
    main(["check", "--format", "json"])
    assert capsys.readouterr().out == cold


def test_corrupt_cache_is_rebuilt(project, capsys, caplog):
    main(["check"])
    cold = capsys.readouterr().out
    for cache in (project / ".cache" / "docgen").glob("facts-*.json"):
        cache.write_text("{truncated")
    main(["check"])
    assert capsys.readouterr().out == cold
    assert "unreadable facts cache" in caplog.text


def test_check_never_imports_torch(project):
    code = textwrap.dedent("""
        import sys
        from docgen_plugin.cli import main
        main(["check"])
        heavy = sorted(m for m in ("torch", "transformers", "peft") if m in sys.modules)
        print("HEAVY", heavy)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=project, check=False)
    assert "HEAVY []" in result.stdout, result.stderr
