"""`--fix` on real files: only docstring bodies change (CRLF, tabs, quotes, prefixes, comments
kept), broken neighbours are reported and skipped, an interrupted write leaves the file as it
was, and docstrings that are not the source's own are never touched."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from docgen_plugin.cli import main

STALE = '''\
# a comment   with  spacing
def f(x, dropout=0.2):  # trailing comment
    r"""F with a \\d regex.

    Args:
        x: Input.
        dropout: Dropout. Defaults to 0.1.
    """
    return x  # body
'''
FIXED = STALE.replace("Defaults to 0.1.", "Defaults to 0.2.")


def _package(tmp_path: Path, files: dict[str, bytes]) -> Path:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_bytes(b"")
    for name, data in files.items():
        (package / name).write_bytes(data)
    return package


def _fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.chdir(tmp_path)
    return main(["check", "pkg", "--no-cache", "--fix", *args])


def test_crlf_tabs_prefix_and_comments_are_kept(tmp_path, monkeypatch):
    tabbed = STALE.replace("    ", "\t").replace("\n", "\r\n")
    package = _package(tmp_path, {"m.py": tabbed.encode()})
    assert _fix(tmp_path, monkeypatch) == 0
    assert (package / "m.py").read_bytes() == FIXED.replace("    ", "\t").replace("\n", "\r\n").encode()


def test_single_quotes_and_an_inserted_entry_use_crlf(tmp_path, monkeypatch):
    source = "def f(x, y=1):\r\n    '''F.\r\n\r\n    Args:\r\n        x: X.\r\n    '''\r\n"
    package = _package(tmp_path, {"m.py": source.encode()})
    _fix(tmp_path, monkeypatch)
    assert (package / "m.py").read_bytes() == source.replace(
        "x: X.\r\n", "x: X.\r\n        y: TODO(docgen): describe. Defaults to 1.\r\n").encode()


def test_broken_neighbours_are_skipped(tmp_path, monkeypatch, capsys):
    latin = (b"# -*- coding: latin-1 -*-\ndef g(x, y=2):\n    \"\"\"G \xe9.\n\n    Args:\n"
             b"        x: X.\n    \"\"\"\n")
    package = _package(tmp_path, {
        "m.py": STALE.encode(), "bad.py": b"def broken(:\n", "latin.py": b"\xff\xfe" + latin,
    })
    before = {p.name: p.read_bytes() for p in package.iterdir()}
    assert _fix(tmp_path, monkeypatch) == 1  # the DG001/DG002 findings remain
    assert (package / "m.py").read_text() == FIXED
    for name in ("bad.py", "latin.py"):
        assert (package / name).read_bytes() == before[name]
    out = capsys.readouterr().out
    assert "DG001" in out and "DG002" in out


def test_an_interrupted_write_leaves_the_file_as_it_was(tmp_path, monkeypatch, capsys):
    package = _package(tmp_path, {"m.py": STALE.encode()})
    (package / "m.py").chmod(0o640)

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    assert _fix(tmp_path, monkeypatch) == 2
    assert (package / "m.py").read_text() == STALE
    assert sorted(p.name for p in package.iterdir()) == ["__init__.py", "m.py"]  # no temp file left
    assert "no space left" in capsys.readouterr().err
    monkeypatch.undo()
    assert _fix(tmp_path, monkeypatch) == 0
    assert (package / "m.py").stat().st_mode & 0o777 == 0o640  # the mode carries over


def test_a_symlink_stays_a_link(tmp_path, monkeypatch):
    package = _package(tmp_path, {})
    real = tmp_path / "real.py"
    real.write_text(STALE)
    (package / "m.py").symlink_to(real)
    _fix(tmp_path, monkeypatch)
    assert (package / "m.py").is_symlink() and real.read_text() == FIXED


NEVER = '''
from transformers.utils import add_start_docstrings

DOC = """Doc."""


@add_start_docstrings(DOC)
def decorated(x, dropout=0.2):
    """D.

    Args:
        x: X.
        dropout: Dropout. Defaults to 0.1.
    """


def assigned(x, dropout=0.2):
    """A.

    Args:
        x: X.
        dropout: Dropout. Defaults to 0.1.
    """


assigned.__doc__ = assigned.__doc__.replace("A", "B")


def ignored(x, dropout=0.2):  # docgen: ignore
    """I.

    Args:
        x: X.
        dropout: Dropout. Defaults to 0.1.
    """


def malformed(x, dropout=0.2):
    """M.

    Args:
        x (int: the input
        dropout: Dropout. Defaults to 0.1.
    """
'''


def test_runtime_ignored_and_malformed_docstrings_are_never_touched(tmp_path, monkeypatch, capsys):
    source = textwrap.dedent(NEVER).lstrip()
    package = _package(tmp_path, {"m.py": source.encode()})
    assert _fix(tmp_path, monkeypatch) == 1
    assert (package / "m.py").read_text() == source
    err = capsys.readouterr().err
    assert "left (the docstring is built at run time (@add_start_docstrings))" in err
    assert "left (the docstring is assigned at run time" in err
    assert "DG003" in err and "left (the docstring could not be parsed (DG003)" in err
    assert "ignored" not in err


def test_a_read_only_file_is_left(tmp_path, monkeypatch, capsys):
    package = _package(tmp_path, {"m.py": STALE.encode()})
    (package / "m.py").chmod(0o444)
    if os.access(package / "m.py", os.W_OK) and os.geteuid() != 0:
        pytest.skip("the file system ignores the mode")
    assert _fix(tmp_path, monkeypatch) == 1
    assert (package / "m.py").read_text() == STALE
    assert "left (the file is read-only)" in capsys.readouterr().err
