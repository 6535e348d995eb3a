"""`docgen check --fix` per fix and per docstring style: files before and after, compared exactly."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from docgen_plugin.cli import main


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, *args: str) -> tuple[int, str]:
    package = tmp_path / "pkg"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    path = package / "m.py"
    if not path.exists():
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = main(["check", "pkg", "--no-cache", *args])
    return code, path.read_text(encoding="utf-8")


def _after(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


GOOGLE = '''
import torch.nn as nn


class Block(nn.Module):
    """A block.

    Args:
        hidden (int): Width of the layer.
        dropuot (float): Dropout probability. Defaults to 0.1.
        extra (int): Gone.
    """

    def __init__(self, hidden: int, dropout: float = 0.2, eps: float = 1e-5):
        super().__init__()


class Norm(nn.Module):
    """A norm.

    Args:
        eps (float): Added to the variance for stability.
        hidden (str): Width.
    """

    def __init__(self, hidden: int, eps: float = 1e-5):
        super().__init__()


def f(x, scale=2.0):
    """F.

    Args:
        x: Input.
    """
'''

GOOGLE_FIXED = '''
import torch.nn as nn


class Block(nn.Module):
    """A block.

    Args:
        hidden (int): Width of the layer.
        dropout (float): Dropout probability. Defaults to 0.2.
        eps (float): Added to the variance for stability. Defaults to 1e-5.
    """

    def __init__(self, hidden: int, dropout: float = 0.2, eps: float = 1e-5):
        super().__init__()


class Norm(nn.Module):
    """A norm.

    Args:
        hidden (int): Width.
        eps (float): Added to the variance for stability.
    """

    def __init__(self, hidden: int, eps: float = 1e-5):
        super().__init__()


def f(x, scale=2.0):
    """F.

    Args:
        x: Input.
        scale: TODO(docgen): describe. Defaults to 2.0.
    """
'''


def test_google_every_fix(tmp_path, monkeypatch, capsys):
    code, text = _run(tmp_path, monkeypatch, GOOGLE, "--fix")
    assert text == _after(GOOGLE_FIXED)
    assert code == 0
    err = capsys.readouterr().err
    assert "DG101 fixed (entry renamed)" in err and "DG101 fixed (entry removed)" in err
    assert "description: sibling from pkg.m.Norm" in err and "description: todo" in err
    assert err.strip().splitlines()[-1].startswith("docgen: fixed 8 findings")


def test_fix_is_idempotent_and_a_second_check_is_clean(tmp_path, monkeypatch, capsys):
    _, once = _run(tmp_path, monkeypatch, GOOGLE, "--fix")
    _, twice = _run(tmp_path, monkeypatch, GOOGLE, "--fix")
    assert once == twice
    capsys.readouterr()
    assert main(["check", "pkg", "--no-cache", "--select", "DG101,DG102,DG103,DG104,DG106"]) == 0


def test_diff_prints_and_changes_nothing(tmp_path, monkeypatch, capsys):
    code, text = _run(tmp_path, monkeypatch, GOOGLE, "--diff")
    assert code == 1 and text == _after(GOOGLE)
    out = capsys.readouterr().out
    assert out.startswith("--- a/pkg/m.py\n+++ b/pkg/m.py\n")
    assert "-        dropuot (float): Dropout probability. Defaults to 0.1.\n" in out
    assert "+        dropout (float): Dropout probability. Defaults to 0.2.\n" in out
    _run(tmp_path, monkeypatch, GOOGLE, "--fix")
    capsys.readouterr()
    code, _ = _run(tmp_path, monkeypatch, GOOGLE, "--diff")
    assert code == 0 and capsys.readouterr().out == ""


NUMPY = '''
def f(x, alpha=0.5, beta=2, kind="linear"):
    """Do it.

    Parameters
    ----------
    beta : int, default=3
        Beta.
    x : array
        Input.
    kind : str, default='cubic'
        Kind.

    Returns
    -------
    float
    """
'''

NUMPY_FIXED = '''
def f(x, alpha=0.5, beta=2, kind="linear"):
    """Do it.

    Parameters
    ----------
    x : array
        Input.
    alpha : float, default=0.5
        TODO(docgen): describe.
    beta : int, default=2
        Beta.
    kind : str, default='linear'
        Kind.

    Returns
    -------
    float
    """
'''


def test_numpy(tmp_path, monkeypatch):
    code, text = _run(tmp_path, monkeypatch, NUMPY, "--fix")
    assert text == _after(NUMPY_FIXED)
    assert code == 0


SPHINX = '''
def f(a, b=0.2, c: int = 1):
    """Sphinx.

    :param b: The b (default: 0.3)
    :type b: float
    :param a: The a.
    :type a: int
    :returns: Nothing.
    """
'''

SPHINX_FIXED = '''
def f(a, b=0.2, c: int = 1):
    """Sphinx.

    :param a: The a.
    :type a: int
    :param b: The b (default: 0.2)
    :type b: float
    :param c: TODO(docgen): describe. (default: 1)
    :type c: int
    :returns: Nothing.
    """
'''


def test_sphinx(tmp_path, monkeypatch):
    code, text = _run(tmp_path, monkeypatch, SPHINX, "--fix")
    assert text == _after(SPHINX_FIXED)
    assert code == 0


HF = '''
def f(x, num_layers: int = 3, act: str = "gelu", cache: bool = True):
    """HF.

    Args:
        x (`torch.Tensor`):
            Input.
        num_layers (`str`, *optional*, defaults to 4):
            Layers.
        act (`str`, *optional*, defaults to `"relu"`):
            Activation. Defaults to `"relu"`.
    """
'''

HF_FIXED = '''
def f(x, num_layers: int = 3, act: str = "gelu", cache: bool = True):
    """HF.

    Args:
        x (`torch.Tensor`):
            Input.
        num_layers (`int`, *optional*, defaults to 3):
            Layers.
        act (`str`, *optional*, defaults to `"gelu"`):
            Activation. Defaults to `"gelu"`.
        cache (`bool`, *optional*, defaults to `True`):
            TODO(docgen): describe.
    """
'''


def test_hugging_face(tmp_path, monkeypatch):
    code, text = _run(tmp_path, monkeypatch, HF, "--fix")
    assert text == _after(HF_FIXED)
    assert code == 0


def test_reuse_needs_the_same_type_and_default(tmp_path, monkeypatch):
    source = '''
    def a(x, dropout: float = 0.1):
        """A.

        Args:
            x: X.
            dropout: Probability of zeroing an activation.
        """


    def b(x, dropout: float = 0.3):
        """B.

        Args:
            x: X.
        """
    '''
    _, text = _run(tmp_path, monkeypatch, source, "--fix")
    assert "dropout: TODO(docgen): describe. Defaults to 0.3." in text


NUMPY_CHOICES = '''
def f(x, kernel="epa", legend_loc="upper left"):
    """F.

    Parameters
    ----------
    x : array
        Input.
    kernel : {'biw', 'cos', 'epa'}, optional
        Kernel.
    legend_loc : str, optional
        The location of the legend. Default is upper left.
    """
'''


def test_numpy_choice_sets_and_prose_values_are_kept(tmp_path, monkeypatch, capsys):
    _, text = _run(tmp_path, monkeypatch, NUMPY_CHOICES, "--fix")
    assert text == _after(NUMPY_CHOICES)  # a choice set is the type, not a wrong default
    if "legend_loc" in capsys.readouterr().err:  # read as `upper`: left, never "upper left" left
        assert "Default is upper left." in text


KEPT = '''
import functools


def deprecate_kwarg(old, new):
    return functools.wraps


class Base:
    def __init__(self, x, **kwargs):
        pass


class Cond(Base):
    """C.

    Parameters
    ----------
    x : int
        X.
    groups : array_like
        Read from the keyword arguments.
    """


class Effects:
    """E.

    Parameters
    ----------
    pursuit : bool
        P.
    parent : object
        The parent.
    """

    def __init__(self, pursuit):
        pass

    def stats(self, parent):
        pass


def rvs(n, rng=None):
    """R.

    Parameters
    ----------
    n : int
        N.
    random_state : int, optional
        .. deprecated:: 0.15

           Use rng.
    rng : Generator, optional
        R.
    """


@deprecate_kwarg("seed", "rng")
def sim(n, rng=None):
    """S.

    Parameters
    ----------
    n : int
        N.
    seed : int
        Seed.
    rng : Generator, optional
        R.
    """
'''


def test_entries_the_code_may_still_take_are_kept(tmp_path, monkeypatch, capsys):
    _, text = _run(tmp_path, monkeypatch, KEPT, "--fix")
    assert text == _after(KEPT)
    err = capsys.readouterr().err
    assert "left (`parent` is a parameter of `stats`" in err
    assert "left (the entry documents a deprecated parameter" in err
    assert "`seed`" not in err  # renamed by the decorator: not even a finding


MISREAD = '''
def f(x, link="probit", flag=1, n=30):
    """F.

    Parameters
    ----------
    x : array
        X.
    link : str
        The default is currently 'probit' which uses the normal distribution.
    flag : bool
        Whether to. Default is True.
    n : int
        Iterations. Default is 20.
    """
'''


def test_defaults_read_from_prose_are_rewritten_only_when_they_are_values(tmp_path, monkeypatch, capsys):
    _, text = _run(tmp_path, monkeypatch, MISREAD, "--fix")
    assert text == _after(MISREAD).replace("Default is 20.", "Default is 30.")


def test_a_description_from_another_file_needs_two_agreeing_siblings(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    entry = '''
def {name}(x, eps: float = 1e-5):
    """F.

    Args:
        x: X.
        eps: {text}
    """
'''
    (package / "a.py").write_text(entry.format(name="a", text="Added for stability."))
    (package / "b.py").write_text(entry.format(name="b", text="Added for stability."))
    (package / "c.py").write_text(entry.format(name="c", text="Once, about c alone."))
    lone = 'def d(x, eps: float = 1e-5):\n    """D.\n\n    Args:\n        x: X.\n    """\n'
    _, text = _run(tmp_path, monkeypatch, lone, "--fix")
    assert "        eps: Added for stability. Defaults to 1e-5.\n" in text
    (package / "a.py").unlink()
    (package / "m.py").write_text(lone)
    _, text = _run(tmp_path, monkeypatch, lone, "--fix")
    assert "eps: TODO(docgen): describe. Defaults to 1e-5." in text  # one far sibling is not enough


def test_an_untyped_parameter_takes_words_only_from_its_own_kind(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    cls = '''
class {name}:
    """C.

    Parameters
    ----------
    model : object
        M.
    results : object
        {text}
    """

    def __init__(self, model, results):
        pass
'''
    for name in ("AMargins", "BMargins"):
        (package / f"{name.lower()}.py").write_text(cls.format(name=name, text="Discrete choice results."))
    lone = '''
class CResults:
    """C.

    Parameters
    ----------
    model : object
        M.
    """

    def __init__(self, model, results):
        pass
'''
    _, text = _run(tmp_path, monkeypatch, lone, "--fix")
    assert "Discrete choice" not in text and "TODO(docgen): describe." in text
    for name in ("AResults", "BResults"):
        (package / f"{name.lower()}.py").write_text(cls.format(name=name, text="Fitted results."))
    (package / "m.py").write_text(textwrap.dedent(lone).lstrip("\n"))
    _, text = _run(tmp_path, monkeypatch, lone, "--fix")
    assert "    results\n        Fitted results.\n" in text
