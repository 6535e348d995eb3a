"""NumPy-style entries read as numpydoc defines them (issue 16): each case is a false DG103 seen
on a NumPy-style library, next to the close true case that must still be reported."""

from __future__ import annotations

import pytest
from pkgtools import check

from docgen_plugin.checks.values import same_value
from docgen_plugin.facts.numpy_entries import numpy_heads, read_head


def dg103(tmp_path, signature: str, entry: str, body: str = "pass") -> list[str]:
    source = f'''
from typing import Literal


def f({signature}):
    """F.

    Parameters
    ----------
    {entry}
    """
    {body}
'''
    return [f.message for f in check(tmp_path, {"m.py": source}) if f.code in ("DG103", "DG104")]


def test_choice_set_is_the_type_not_the_default():
    head = read_head("{'lbfgs', 'sgd'}, default='sgd'")
    assert (head.type, head.default, head.optional) == ("{'lbfgs', 'sgd'}", "'sgd'", False)
    assert read_head("int, optional").optional
    assert read_head("tuple, default=(1, 2)").default == "(1, 2)"
    assert read_head("str, default: 'same'").default == "'same'"


def test_continuation_and_shared_entries_are_joined():
    text = ("Parameters\n----------\nkernel : {'linear', 'rbf'} or callable, \\\n"
            "        default='rbf'\n    Kernel.\na, b : float, default=0.5\n    Both.\n")
    heads = numpy_heads(text)
    assert heads["kernel"].default == "'rbf'" and heads["kernel"].type == "{'linear', 'rbf'} or callable"
    assert heads["a"].default == heads["b"].default == "0.5"


@pytest.mark.parametrize("code,entry", [
    ("solver='sgd'", "solver : {'lbfgs', 'sgd'}, default='sgd'\n        Solver."),
    ("kernel='rbf'", "kernel : {'linear', 'rbf'} or callable, \\\\\n            default='rbf'\n        K."),
    ("mode='merging'", 'mode : str\n        The default is currently `"merging"`.'),
    ("act='LEAKYRELU'", "act : str\n        Defaults to leaky ReLU."),
    ("alpha=0.95", "alpha : float, optional\n        Default is 95% confidence."),
    ("order=None", "order : int, optional\n        The default is 0 if the image is bool, else 1."),
    ("btype='low'", "btype : {'lowpass', 'highpass'}, optional\n        Default is 'lowpass'."),
    ("flag=1", "flag : bool, optional\n        Default is True."),
    ("n_alphas='deprecated'", "n_alphas : int, default=100\n        Count.\n\n"
                              "        .. deprecated:: 1.7\n           Use `alphas`."),
    ("pattern=r'(?u)\\b\\w\\w+\\b'", 'pattern : str, default=r"(?u)\\\\b\\\\w\\\\w+\\\\b"\n        Regex.'),
    ("xname=None", 'xname : list of str, optional\n        Names, default is "var_xx".'),
    ("opts=None", "opts : dict, optional\n        Options::\n\n          - 'fc', color. Default is 'y'."),
])
def test_not_a_wrong_default(tmp_path, code, entry):
    assert dg103(tmp_path, code, entry) == []


@pytest.mark.parametrize("code,entry,expected", [
    ("solver='lbfgs'", "solver : {'lbfgs', 'sgd'}, default='sgd'\n        Solver.", "`'sgd'`"),
    ("kernel='linear'", "kernel : {'linear', 'rbf'} or callable, \\\\\n            default='rbf'\n        K.",
     "`'rbf'`"),
    ("n_jobs=None", "n_jobs : int, default=5\n        Jobs.", "the code's is `None`"),
    ("btype='high'", "btype : {'lowpass', 'highpass'}, optional\n        Default is 'lowpass'.", "`'high'`"),
    ("n_alphas=100", "n_alphas : int, default=10\n        Count.\n\n"
                     "        .. deprecated:: 1.7\n           Gone.", "`100`"),
])
def test_still_a_wrong_default(tmp_path, code, entry, expected):
    (message,) = dg103(tmp_path, code, entry)
    assert expected in message


@pytest.mark.parametrize("body,resolved", [
    ("if x is None:\n        x = 5", "5"),
    ("x = 5 if x is None else x", "5"),
    ("x = x or 5", "5"),
    ("self = object()\n    self.x = x if x is not None else 5", "5"),
    ("y = x", None),  # stored, never tested: the code's default is None
])
def test_none_resolved_in_the_body(tmp_path, body, resolved):
    found = dg103(tmp_path, "x=None", "x : int, default=7\n        X.", body)
    if resolved is None:
        assert found == ["documented default of `x` is `7`, the code's is `None`"]
    else:
        assert found == [f"documented default of `x` is `7`, the code's default is `None`, "
                         f"which `f` turns into `{resolved}`"]
    assert dg103(tmp_path / "ok", "x=None", f"x : int, default={resolved or 'None'}\n        X.", body) == []


def test_none_used_before_it_is_replaced_is_not_resolved(tmp_path):
    body = "print(x)\n    if x is None:\n        x = 5"
    assert dg103(tmp_path, "x=None", "x : int, default=7\n        X.", body) == []  # tested: handled


def test_escapes_compared_as_python_reads_them():
    assert same_value('r"(?u)\\b\\w\\w+\\b"', 'r"(?u)\\b\\w\\w+\\b"') is True
    assert same_value('r"(?u)\x08\\w\\w+\x08"', 'r"(?u)\\b\\w\\w+\\b"') is True  # `\b` read as backspace
    assert same_value('r"(?u)\\b\\w+\\b"', 'r"(?u)\\b\\w\\w+\\b"') is False


def dg101(tmp_path, source: str) -> list[str]:
    return [f.subject for f in check(tmp_path, {"m.py": source}) if f.code == "DG101"]


NUMPY_ENTRIES = '''
    Parameters
    ----------
    {entries}
    """
'''


@pytest.mark.parametrize("source", [
    # `sample1, sample2, ...` documents `*samples`, as numpydoc shows
    'def f(*samples, axis=0):\n    """F.\n' + NUMPY_ENTRIES.format(
        entries="sample1, sample2, ... : array_like\n        Samples.\n    axis : int\n        Axis."),
    # a description line left unindented is not an entry
    'def f(a, limits):\n    """F.\n' + NUMPY_ENTRIES.format(
        entries="a : array\n    limits : tuple\n    A tuple of the lower and upper limit.\n"
                "    TODO: looks unused"),
    'def f(image):\n    """F.\n' + NUMPY_ENTRIES.format(entries="Refer to ``imread``."),
    # a keyword a deprecation decorator still accepts
    'from x import deprecate_kwarg\n\n\n@deprecate_kwarg("seed", "rng")\ndef f(rng=None):\n    """F.\n'
    + NUMPY_ENTRIES.format(entries="rng : Generator, optional\n        RNG.\n    seed : int, optional\n"
                                   "        .. deprecated:: 0.15"),
])
def test_dg101_not_a_stale_entry(tmp_path, source):
    assert dg101(tmp_path, source) == []


CLASS = '''
class Base:
    def __init__(self):
        pass


class System(Base):
    """System.

    Parameters
    ----------
    order : int
        Order.
    {entry} : float, optional
        Sampling time.
    """

    def __new__(cls, *system, **kwargs):
        if kwargs.get("dt") is None:
            return super().__new__(cls)
        return super().__new__(cls)

    def __init__(self, *system, order=1, **kwargs):
        self.rate = self._rate(**kwargs)
        super().__init__()

    def _rate(self, **options):
        return options.pop("rate", 1.0)

    def __call__(self, dim=None):
        return dim
'''


@pytest.mark.parametrize("entry", ["dt", "rate", "dim"])
def test_keywords_read_elsewhere_are_accepted(tmp_path, entry):
    assert dg101(tmp_path, CLASS.format(entry=entry)) == []


def test_a_misspelt_entry_is_still_stale(tmp_path):
    assert dg101(tmp_path, CLASS.format(entry="rates")) == ["rates"]


@pytest.mark.parametrize("annotation,expected", [
    ('Literal["lbfgs", "sgd"]', []),
    ('Literal["lbfgs", "sgd", "adam"]', []),  # the docs may leave out an option
    ('Literal["lbfgs"] | None', ["documented choices of `solver` include `'sgd'`, which the annotation "
                                 "`Literal['lbfgs'] | None` does not accept"]),
    ("str", []),
])
def test_choice_set_checked_against_literal(tmp_path, annotation, expected):
    found = dg103(tmp_path, f'solver: {annotation} = "lbfgs"',
                  "solver : {'lbfgs', 'sgd'}, default='lbfgs'\n        Solver.")
    assert found == expected


def test_a_deprecation_note_hides_only_a_sentinel(tmp_path):
    note = "\n\n        .. deprecated:: 1.7\n           'sag' will be removed."
    assert dg103(tmp_path, "solver='lbfgs'", "solver : str, default='sgd'\n        Solver." + note) != []
    assert dg103(tmp_path / "b", "solver='deprecated'",
                 "solver : str, default='sgd'\n        Solver." + note) == []
