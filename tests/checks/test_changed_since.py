"""`docgen check --changed-since REF`: a real git repository in tmp_path, one change, and the
findings of a full run restricted to what the change affects."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pkgtools import write_package

from docgen_plugin.checks.changed import Affected, GitChanges, affected_by, affected_since
from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages import discover_pages
from docgen_plugin.cli import main
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.settings import load_settings

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

BASE = '''
class Base:
    """A base layer."""

    def __init__(self, hidden: int = 64, dropout: float = 0.1):
        """Build it.

        Args:
            hidden: Width.
            dropout: Dropout rate. Defaults to 0.1.
        """
'''

CHILD = '''
from pkg.base import Base


class Child(Base):
    """A layer on top of `Base`.

    Args:
        extra: Extra width.
        dropout: Dropout rate. Defaults to 0.1.
    """

    def __init__(self, extra: int = 1, **kwargs):
        super().__init__(**kwargs)
'''

OTHER = '''
def scale(x, factor=2.0):
    """Scale x.

    Args:
        x: Input.
        factor: Factor. Defaults to 3.0.
    """


def shift(x, by=1):
    """Shift x.

    Args:
        x: Input.
        by: Offset. Defaults to 1.
    """
'''

USES = '''
def build():
    """Build a child.

    Example:
        >>> from pkg.child import Child
        >>> Child(extra=2)
    """
'''

CHILD_PAGE = """
# `pkg.child.Child`

| Parameter | Default | Description |
|-----------|---------|-------------|
| `extra`   | `1`     | Extra width. |
| `dropout` | `0.1`   | Dropout rate. |
"""

OTHER_PAGE = """
# `pkg.other.shift`

| Parameter | Default | Description |
|-----------|---------|-------------|
| `x`       |         | Input. |
| `by`      | `1`     | Offset. |
"""


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
         *args], cwd=root, check=True, capture_output=True, text=True,
    ).stdout


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_package(tmp_path, {"base.py": BASE, "child.py": CHILD, "other.py": OTHER, "uses.py": USES})
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "child.md").write_text(CHILD_PAGE.lstrip(), encoding="utf-8")
    (tmp_path / "docs" / "other.md").write_text(OTHER_PAGE.lstrip(), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.docgen]\npackages = ["pkg", "docs"]\n')
    (tmp_path / ".gitignore").write_text(".cache/\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "initial")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def findings(capsys: pytest.CaptureFixture[str], *args: str) -> list[Finding]:
    code = main(["check", "--format", "json", *args])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    return [Finding(d["code"], d["message"], d["file"], d["line"], d["object"]) for d in json.loads(out)]


def affected(root: Path, ref: str = "HEAD") -> Affected:
    settings = load_settings(root)
    facts = load_facts([], settings)
    found = affected_since(ref, facts, discover_pages(settings.packages, settings), settings)
    assert found is not None
    return found


def test_same_findings_as_a_full_run_on_what_changed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo / "pkg" / "base.py", "dropout: float = 0.1", "dropout: float = 0.2")
    full = findings(capsys)
    changed = findings(capsys, "--changed-since", "HEAD")
    scope = affected(repo)
    assert changed == [f for f in full if scope.covers(f)]
    places = {(f.code, f.file) for f in changed}
    assert ("DG103", "pkg/base.py") in places  # the changed file
    assert ("DG103", "pkg/child.py") in places  # a subclass whose forwarded `dropout` changed
    assert ("DG202", "docs/child.md") in places  # a page about that subclass
    # the stale docstring and the page the change does not touch are left out
    assert {f.file for f in full} - {f.file for f in changed} == {"pkg/other.py"}
    assert "pkg.other.scale" not in scope.objects and "docs/other.md" not in scope.pages
    assert {"pkg.base.Base", "pkg.child.Child", "pkg.uses.build"} <= scope.objects  # example names Child


def test_a_page_linking_a_changed_object_is_checked(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo / "pkg" / "other.py", "by=1", "by=5")
    git(repo, "commit", "-q", "-am", "change shift")
    changed = findings(capsys, "--changed-since", "HEAD~1")
    assert [(f.code, f.file) for f in changed] == [
        ("DG202", "docs/other.md"), ("DG103", "pkg/other.py"), ("DG103", "pkg/other.py")]
    assert "DG202" in {f.code for f in findings(capsys)}  # the full run agrees on the page
    scope = affected(repo, "HEAD~1")
    assert scope.pages == {"docs/other.md"}
    assert "docs/child.md" not in scope.pages


def test_nothing_changed_checks_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--changed-since", "HEAD"]) == 0
    assert "no findings" in capsys.readouterr().out
    assert main(["check"]) == 1  # the full run has findings in the unchanged files


def test_untracked_and_changed_pages_count(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_package(repo, {"new.py": OTHER.replace("scale", "grow")})
    edit(repo / "docs" / "child.md", "`extra`   | `1`", "`extra`   | `3`")
    files = {f.file for f in findings(capsys, "--changed-since", "HEAD")}
    assert files == {"pkg/new.py", "docs/child.md"}


def test_a_changed_settings_file_checks_everything(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(repo / "pyproject.toml", "[tool.docgen]\n", "[tool.docgen]\nexclude = []\n")
    assert findings(capsys, "--changed-since", "HEAD") == findings(capsys)


def test_config_files_model_cards_and_examples(tmp_path: Path) -> None:
    package = write_package(tmp_path, {
        "conf.py": '''
            from dataclasses import dataclass


            @dataclass
            class TrainConfig:
                """Training."""

                lr: float = 0.1
        ''',
        "other.py": USES.replace("build", "make").replace("Child", "TrainConfig"),
    })
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "train.yaml").write_text("lr: 0.5\n")
    (tmp_path / "card").mkdir()
    (tmp_path / "card" / "config.json").write_text("{}\n")
    (tmp_path / "card" / "README.md").write_text("# Card\n")
    settings = load_settings(tmp_path).merged(
        root=str(tmp_path), config_files={"configs/*.yaml": "pkg.conf.TrainConfig"})
    facts = load_facts([package, tmp_path / "configs"], settings, use_cache=False)
    pages = discover_pages([str(tmp_path / "card")], settings)
    changes = GitChanges("HEAD", frozenset({(package / "conf.py").resolve(),
                                            (tmp_path / "card" / "config.json").resolve()}))
    scope = affected_by(changes, facts, pages, settings)
    assert scope.config_files == {"configs/train.yaml"}  # its config class changed
    assert scope.pages == {"card/README.md"}  # a model card next to a changed config.json
    assert "pkg.other.make" in scope.objects  # its example calls the changed class


def test_removed_class_named_in_an_example(repo: Path) -> None:
    edit(repo / "pkg" / "child.py", "class Child(Base):", "class Renamed(Base):")
    scope = affected(repo)
    assert "pkg.uses.build" in scope.objects  # `Child(...)` in its example now names nothing


def test_not_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    write_package(tmp_path, {"other.py": OTHER})
    (tmp_path / "pyproject.toml").write_text('[tool.docgen]\npackages = ["pkg"]\n')
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--changed-since", "origin/main"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--changed-since origin/main" in err and "not in a git repository" in err


def test_unknown_ref(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--changed-since", "origin/nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "origin/nope" in err and "unknown git revision" in err
    assert "fetch-depth: 0" in err


def test_a_baseline_is_not_written_from_a_partial_run(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--changed-since", "HEAD", "--baseline", str(repo / "b.json")]) == 2
    assert "--changed-since" in capsys.readouterr().err
    assert not (repo / "b.json").exists()


def test_settings_in_a_subfolder_of_the_repository(repo: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Git names files from the repository's top; findings from the docgen root."""
    project = repo / "project"
    project.mkdir()
    for name in ("pkg", "docs", "pyproject.toml"):
        shutil.move(str(repo / name), project / name)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "move")
    monkeypatch.chdir(project)
    edit(project / "pkg" / "other.py", "by=1", "by=5")
    files = [f.file for f in findings(capsys, "--changed-since", "HEAD")]
    assert files == ["docs/other.md", "pkg/other.py", "pkg/other.py"]


def test_cli_help_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "--changed-since REF" in capsys.readouterr().out
