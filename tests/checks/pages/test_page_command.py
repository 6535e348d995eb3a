"""Pages in `docgen check` (discovery, select, per-file-ignores, baseline) and in docs builds."""

from __future__ import annotations

import json

from pkgtools import settings_for, write_package

from docgen_plugin.cli import main
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.integrations.core import PageSource, check_build

MODEL = '''
from torch import nn


class Net(nn.Module):
    """A net.

    Args:
        hidden (int): Width. Defaults to 8.
        dropout (float): Dropout. Defaults to 0.1.
    """

    def __init__(self, hidden: int = 8, dropout: float = 0.1):
        super().__init__()
'''
PAGE = """---
title: Net
---

# `Net`

| Name | Default |
|---|---|
| `hidden` | 8 |
| `dropout` | 0.2 |
| `widht` | 3 |
"""


def project(tmp_path):
    write_package(tmp_path, {"model.py": MODEL})
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "net.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.docgen]\n", encoding="utf-8")
    return tmp_path


def report(tmp_path, capsys, *args):
    status = main(["check", "pkg", "docs", "--format", "json", "--no-cache", *args])
    out = capsys.readouterr().out
    return status, sorted((f["code"], f["line"]) for f in json.loads(out or "[]"))


def test_check_reports_pages_under_the_paths(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(project(tmp_path))
    assert report(tmp_path, capsys) == (1, [("DG201", 11), ("DG202", 10)])
    assert report(tmp_path, capsys, "--select", "DG202") == (1, [("DG202", 10)])
    assert main(["check", "pkg", "--no-cache"]) == 0  # the docs folder was not named


def test_per_file_ignores_and_baseline_cover_pages(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(project(tmp_path))
    (tmp_path / "pyproject.toml").write_text(
        '[tool.docgen]\nper-file-ignores = { "docs/*" = ["DG201"] }\n', encoding="utf-8")
    assert report(tmp_path, capsys) == (1, [("DG202", 10)])
    assert main(["check", "pkg", "docs", "--no-cache", "--baseline", "base.json"]) == 0
    capsys.readouterr()
    # a line moved by an edit elsewhere: still in the baseline
    (tmp_path / "docs" / "net.md").write_text(PAGE.replace("# `Net`", "# `Net`\n\nIntro."))
    assert report(tmp_path, capsys, "--baseline", "base.json") == (0, [])


def test_docs_builds_get_page_findings_on_the_source_lines(tmp_path):
    root = project(tmp_path)
    settings = settings_for(root)
    facts = load_facts([root / "pkg"], settings)
    stripped = PAGE.split("---\n", 2)[2].lstrip("\n")  # what MkDocs hands over
    on_disk = PageSource("docs/net.md", stripped)
    in_memory = PageSource("docs/generated.md", stripped)
    findings = check_build(facts, [on_disk, in_memory], settings)
    assert sorted((f.file, f.code, f.line) for f in findings) == [
        ("docs/generated.md", "DG201", 7), ("docs/generated.md", "DG202", 6),
        ("docs/net.md", "DG201", 11), ("docs/net.md", "DG202", 10)]
