"""`--fix` describes a parameter passed on unchanged to a documented callee in the callee's
words, and only then: not a transformed value, an undocumented one, or one whose position is
not known."""

from __future__ import annotations

from pathlib import Path

import pytest

from docgen_plugin.cli import main

BASE = '''\
class Base:
    """Base.

    Args:
        endog: The observed series.
        exog: The regressors.
        missing: How missing values are handled.
        size: The block size.
        extra: Unused.
    """

    def __init__(self, endog, exog, missing="none", size=1, extra=None):
        pass


class Quiet:
    """Quiet."""

    def __init__(self, size):
        pass
'''


def _fixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str) -> str:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(BASE)
    (package / "m.py").write_text("from pkg.base import Base, Quiet\n\n\n" + code)
    monkeypatch.chdir(tmp_path)
    main(["check", "pkg", "--no-cache", "--fix"])
    return (package / "m.py").read_text()


def _cls(init: str, body: str) -> str:
    return (f'class C(Base):\n    """C.\n\n    Args:\n        endog: E.\n    """\n\n'
            f"    def __init__(self, endog, {init}):\n        {body}\n")


def test_super_init_keyword_and_positional(tmp_path, monkeypatch):
    text = _fixed(tmp_path, monkeypatch, _cls('exog, missing="none"',
                                              "super().__init__(endog, exog, missing=missing)"))
    assert "        exog: The regressors.\n" in text
    assert '        missing: How missing values are handled. Defaults to "none".\n' in text


def test_base_init_with_self_skips_self(tmp_path, monkeypatch):
    text = _fixed(tmp_path, monkeypatch, _cls("exog", "Base.__init__(self, endog, exog)"))
    assert "        exog: The regressors.\n" in text


def test_a_call_to_another_package_class(tmp_path, monkeypatch):
    code = ('def f(x, block_size):\n    """F.\n\n    Args:\n        x: X.\n    """\n'
            "    return Base(x, None, size=block_size)\n")
    assert "        block_size: The block size.\n" in _fixed(tmp_path, monkeypatch, code)


@pytest.mark.parametrize("init, body", [
    ("exog", "super().__init__(endog, exog * 2)"),  # transformed
    ("exog", "exog = list(exog)\n        super().__init__(endog, exog)"),  # changed first
    ("exog", "Quiet(size=exog)"),  # the callee does not document it
    ("exog, *args", "super().__init__(*args, exog)"),  # position unknown after *args
    ("exog", "super().__init__(endog, None, None, 1, None, exog)"),  # past the positions
])
def test_no_forwarded_description(tmp_path, monkeypatch, init, body):
    text = _fixed(tmp_path, monkeypatch, _cls(init, body))
    assert "        exog: TODO(docgen): describe.\n" in text
