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


TUNER = '''\
class Tuner:
    """Tuner.

    Args:
        model: The model.
        state_dict: TODO
    """

    def __init__(self, model, state_dict=None):
        self.model = model
        self.inject(model, state_dict=state_dict)

    def inject(self, model, state_dict=None):
        """Inject.

        Args:
            model: The model to inject into.
            state_dict: Keys that decide which layers are adapted.
        """
'''


def _tuned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str, base: str = TUNER) -> str:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(base.replace("        state_dict: TODO\n", ""))
    (package / "m.py").write_text("from pkg.base import Tuner\n\n\n" + code)
    monkeypatch.chdir(tmp_path)
    main(["check", "pkg", "--no-cache", "--fix"])
    return (package / "m.py").read_text()


def test_an_inherited_init_passing_it_to_a_self_method(tmp_path, monkeypatch):
    """`LoraModel(BaseTuner)` has no `__init__`: the base's passes `state_dict` to
    `self.inject_adapter`, whose entry describes it."""
    code = 'class Lora(Tuner):\n    """Lora.\n\n    Args:\n        model: The model.\n    """\n'
    assert "        state_dict: Keys that decide which layers are adapted.\n" in _tuned(
        tmp_path, monkeypatch, code)


def test_followed_through_a_callee_that_does_not_document_it(tmp_path, monkeypatch):
    """`AdamssModel.__init__` passes `state_dict` to `BaseTuner.__init__`, which does not
    document it but hands it to `self.inject_adapter`, which does."""
    code = ('class Lora(Tuner):\n    """Lora.\n\n    Args:\n        model: The model.\n    """\n\n'
            "    def __init__(self, model, state_dict=None):\n"
            "        super().__init__(model, state_dict=state_dict)\n")
    assert "        state_dict: Keys that decide which layers are adapted.\n" in _tuned(
        tmp_path, monkeypatch, code)


def test_a_callee_entry_written_without_its_colon(tmp_path, monkeypatch):
    """peft's `state_dict (`dict`, *optional*, defaults to `None`)` has no colon: griffe drops
    the entry (DG003 there), but its indented text is still the callee's words for it."""
    base = TUNER.replace("            state_dict: Keys that decide which layers are adapted.\n",
                         "            state_dict (`dict`, *optional*)\n"
                         "                Keys that decide\n                which layers are adapted.\n")
    code = 'class Lora(Tuner):\n    """Lora.\n\n    Args:\n        model: The model.\n    """\n'
    assert "        state_dict: Keys that decide which layers are adapted.\n" in _tuned(
        tmp_path, monkeypatch, code, base)


def test_a_self_method_the_class_overrides_is_the_one_read(tmp_path, monkeypatch):
    code = ('class Lora(Tuner):\n    """Lora.\n\n    Args:\n        model: The model.\n    """\n\n'
            '    def inject(self, model, state_dict=None):\n        """Own inject."""\n')
    assert "        state_dict: TODO(docgen): describe." in _tuned(tmp_path, monkeypatch, code)


SIGNIFICANCE = '''\
class TestC:
    """Test for continuous variables.

    Args:
        model: The model.
        nested: Number of nested resamples.
    """

    def __init__(self, model, nested=3):
        self.model = model
        self.nested = nested

    def statistic(self):
        return self.model + self._spread()

    def _spread(self):
        return self.nested


class TestD(TestC):
    """Test for categorical variables.

    Args:
        model: The model.
    """

    def statistic(self):
        return self.model
'''


def test_no_sibling_words_where_the_class_overrides_every_reader(tmp_path, monkeypatch):
    """TestD keeps `nested` only for `_spread`, which only `statistic` calls, and TestD
    overrides `statistic`: TestC's words would be false in TestD, which is told that nothing
    reads it. Where TestD still runs the reader, they are reused."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "m.py").write_text(SIGNIFICANCE)
    monkeypatch.chdir(tmp_path)
    main(["check", "pkg", "--no-cache", "--fix"])
    assert ("nested: Kept but not used by `TestD`: only `TestC._spread` reads it, and `TestD` no "
            "longer runs it. Defaults to 3.") in " ".join((package / "m.py").read_text().split())
    # read from outside the class (`test.nested`): not known to be unused
    (package / "m.py").write_text(SIGNIFICANCE + "\n\ndef show(test):\n    return test.nested\n")
    main(["check", "pkg", "--no-cache", "--fix"])
    assert "Kept but not used" not in (package / "m.py").read_text()
    kept = SIGNIFICANCE.replace("    def statistic(self):\n        return self.model\n",
                                "    def other(self):\n        return 1\n")
    (package / "m.py").write_text(kept)
    main(["check", "pkg", "--no-cache", "--fix"])
    assert "        nested: Number of nested resamples. Defaults to 3.\n" in (package / "m.py").read_text()


RESULTS = '''\
class Results:
    """Results.

    Args:
        model: The model.
        results: The filter output.
        cov_type: Chosen from `results` when None.
        exog: The regressors.
        dates: Dates, for an endog or exog without an index.
    """

    def __init__(self, model, results, cov_type=None, exog=None, dates=None):
        pass
'''


def test_the_callee_s_words_name_the_caller_s_parameters(tmp_path, monkeypatch):
    """`results` in MLEResults' words is `filter_results` in the subclass that passes it so;
    words about `exog` are no description for a model that passes `exog=None`."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(RESULTS)
    (package / "m.py").write_text(
        "from pkg.base import Results\n\n\n"
        'class Varmax:\n    """Varmax.\n\n    Args:\n        model: The model.\n    """\n\n'
        "    def __init__(self, model, filter_results, cov_type=None, dates=None):\n"
        "        self.inner = Results(model, filter_results, cov_type, exog=None, dates=dates)\n")
    monkeypatch.chdir(tmp_path)
    main(["check", "pkg", "--no-cache", "--fix"])
    text = (package / "m.py").read_text()
    assert "        cov_type: Chosen from `filter_results` when None.\n" in text
    assert "        dates: TODO(docgen): describe.\n" in text
    assert "        filter_results: The filter output.\n" in text
