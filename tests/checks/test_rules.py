"""Every DG0xx/DG1xx rule: a case it must report and a close case it must not."""

from __future__ import annotations

import pytest
from pkgtools import check, codes


def one(findings, code):
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, findings
    return found[0]


GOOD = '''
from torch import nn


class Block(nn.Module):
    """A block.

    Args:
        hidden (int): Width. Defaults to 64.
        dropout (float): Dropout. Default: 0.1
    """

    def __init__(self, hidden: int = 64, dropout: float = 1e-1):
        super().__init__()
'''


def test_clean_code_has_no_findings(tmp_path):
    assert check(tmp_path, {"m.py": GOOD}) == []


def test_dg101_documented_parameter_not_in_signature(tmp_path):
    source = GOOD.replace("dropout (float): Dropout", "dropuot (float): Dropout")
    finding = one(check(tmp_path, {"m.py": source}), "DG101")
    assert "`dropuot`" in finding.message and "did you mean `dropout`?" in finding.message
    assert (finding.file, finding.line) == ("pkg/m.py", 9)


def test_dg101_not_reported_for_names_read_from_kwargs(tmp_path):
    source = '''
    def build(name, **kwargs):
        """Build.

        Args:
            name: The name.
            cache_dir: Passed on through kwargs.
        """
    '''
    assert check(tmp_path, {"m.py": source}) == []


def test_dg101_reports_a_typo_even_with_kwargs(tmp_path):
    source = '''
    def build(model_name, **kwargs):
        """Build.

        Args:
            model_nmae: The name.
        """
    '''
    assert "DG101" in codes(check(tmp_path, {"m.py": source}))


def test_dg101_forwarded_kwargs_are_accepted(tmp_path):
    source = GOOD + '''

class Deep(Block):
    """Deep.

    Args:
        depth (int): Layers.
        hidden (int): Passed to Block.
    """

    def __init__(self, depth: int = 2, **kwargs):
        super().__init__(**kwargs)
'''
    assert check(tmp_path, {"m.py": source}) == []


def test_dg102_undocumented_parameter(tmp_path):
    source = GOOD.replace("dropout: float = 1e-1)", "dropout: float = 1e-1, eps: float = 1e-5)")
    finding = one(check(tmp_path, {"m.py": source}), "DG102")
    assert "`eps`" in finding.message and finding.line == 4


def test_dg102_not_reported_without_a_parameters_section(tmp_path):
    source = '''
    def f(a, b):
        """Add two numbers."""
    '''
    assert check(tmp_path, {"m.py": source}) == []


def test_dg102_init_docstring_counts_for_the_class(tmp_path):
    source = '''
    from torch import nn

    class M(nn.Module):
        """Model.

        Args:
            a: A.
        """

        def __init__(self, a, b):
            """Init.

            Args:
                b: B.
                a: A.
            """
    '''
    assert codes(check(tmp_path, {"m.py": source})) == ["DG106"]


@pytest.mark.parametrize("documented,code_default", [
    ("Defaults to 0.2.", "0.1"),
    ("Default: `True`", "False"),
    ("Defaults to `'relu'`.", "'gelu'"),
])
def test_dg103_wrong_default(tmp_path, documented, code_default):
    source = f'''
    def f(x={code_default}):
        """F.

        Args:
            x: X. {documented}
        """
    '''
    finding = one(check(tmp_path, {"m.py": source}), "DG103")
    assert "`x`" in finding.message and code_default in finding.message


@pytest.mark.parametrize("documented,code_default", [
    ("Defaults to 1e-1.", "0.1"),
    ("Defaults to `gelu`.", "'gelu'"),
    ("Defaults to 0.1 when None.", "None"),
    ("Defaults to the model width.", "64"),
    ("Defaults to `DEFAULT`.", "compute()"),
])
def test_dg103_equal_or_undecidable_defaults(tmp_path, documented, code_default):
    source = f'''
    def f(x={code_default}):
        """F.

        Args:
            x: X. {documented}
        """
    '''
    assert check(tmp_path, {"m.py": source}) == []


def test_dg103_numpy_default_spelling(tmp_path):
    source = '''
    def f(x=0.5):
        """F.

        Parameters
        ----------
        x : float, default=0.1
            X.
        """
    '''
    assert codes(check(tmp_path, {"m.py": source})) == ["DG103"]


def test_dg104_type_contradiction(tmp_path):
    source = GOOD.replace("hidden (int): Width", "hidden (str): Width")
    finding = one(check(tmp_path, {"m.py": source}), "DG104")
    assert "`str`" in finding.message and "`int`" in finding.message


@pytest.mark.parametrize("documented,annotation", [
    ("int, optional", "Optional[int]"),
    ("int or None", "int | None"),
    ("list of int", "Tuple[int, ...]"),
    ("`torch.FloatTensor` of shape `(batch, seq)`", "torch.Tensor"),
    ("float", "int"),
    ("MyType", "str"),
])
def test_dg104_compatible_types(tmp_path, documented, annotation):
    source = f'''
    from typing import Optional, Tuple
    import torch

    def f(x: {annotation}):
        """F.

        Args:
            x ({documented}): X.
        """
    '''
    assert check(tmp_path, {"m.py": source}) == []


def test_dg105_config_field_without_description(tmp_path):
    source = '''
    from dataclasses import dataclass, field

    @dataclass
    class TrainConfig:
        """Training."""

        lr: float = field(default=3e-4, metadata={"help": "Learning rate."})
        epochs: int = 3
    '''
    finding = one(check(tmp_path, {"m.py": source}), "DG105")
    assert "`epochs`" in finding.message and finding.line == 8


def test_dg105_described_in_docstring_or_help_is_clean(tmp_path):
    source = '''
    from dataclasses import dataclass, field

    @dataclass
    class TrainConfig:
        """Training.

        Attributes:
            epochs: Passes over the data.
        """

        lr: float = field(default=3e-4, metadata={"help": "Learning rate."})
        epochs: int = 3
    '''
    assert check(tmp_path, {"m.py": source}) == []


def test_dg105_docstring_and_help_disagree(tmp_path):
    source = '''
    from dataclasses import dataclass, field

    @dataclass
    class TrainConfig:
        """Training.

        Attributes:
            lr: Learning rate. Defaults to 1e-3.
        """

        lr: float = field(default=None, metadata={"help": "Learning rate. Defaults to 3e-4."})
    '''
    finding = one(check(tmp_path, {"m.py": source}), "DG105")
    assert "1e-3" in finding.message and "3e-4" in finding.message


def test_dg106_order(tmp_path):
    source = '''
    def f(x, mask=None):
        """F.

        Args:
            mask: Mask.
            x: Input.
        """
    '''
    finding = one(check(tmp_path, {"m.py": source}), "DG106")
    assert finding.line == 6


def test_dg107_model_and_config_without_docstring(tmp_path):
    source = '''
    from dataclasses import dataclass
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()

    @dataclass
    class EncoderConfig:
        hidden: int = 4

    class _Private(nn.Module):
        pass

    class Helper:
        pass
    '''
    found = [f for f in check(tmp_path, {"m.py": source}) if f.code == "DG107"]
    assert [f.obj for f in found] == ["pkg.m.Encoder", "pkg.m.EncoderConfig"]


def test_dg107_model_through_loaded_base(tmp_path):
    source = '''
    from torch import nn

    class Base(nn.Module):
        """Base."""

    class Child(Base):
        pass
    '''
    assert [f.obj for f in check(tmp_path, {"m.py": source})] == ["pkg.m.Child"]


def test_dg001_dg002_dg003_and_the_rest_is_still_checked(tmp_path):
    findings = check(tmp_path, {
        "broken.py": "def f(:\n    pass\n",
        "m.py": GOOD.replace("dropout (float): Dropout", "dropuot (float): Dropout"),
        "odd.py": '''
        def g(x):
            """G.

            Args:
                x (int:  broken
            """
        ''',
    })
    (tmp_path / "pkg" / "latin.py").write_bytes(b"# caf\xe9\nx = 1\n")
    from pkgtools import settings_for

    from docgen_plugin.checks.run import run_checks
    from docgen_plugin.facts.loader import load_facts

    settings = settings_for(tmp_path)
    findings = run_checks(load_facts([tmp_path / "pkg"], settings), settings)
    by_code = {f.code: f for f in findings}
    assert by_code["DG001"].file == "pkg/broken.py" and by_code["DG001"].line == 1
    assert by_code["DG002"].file == "pkg/latin.py" and by_code["DG002"].line == 1
    assert by_code["DG003"].file == "pkg/odd.py" and by_code["DG003"].line == 2
    assert "DG101" in by_code


def test_inline_suppression(tmp_path):
    source = GOOD.replace("dropout (float): Dropout", "dropuot (float): Dropout").replace(
        "class Block(nn.Module):", "class Block(nn.Module):  # docgen: ignore[DG101, DG102]")
    assert check(tmp_path, {"m.py": source}) == []
    other = GOOD.replace("dropout (float): Dropout", "dropuot (float): Dropout").replace(
        "class Block(nn.Module):", "class Block(nn.Module):  # docgen: ignore[DG103]")
    assert "DG101" in codes(check(tmp_path / "b", {"m.py": other}))


def test_select_ignore_and_per_file_ignores(tmp_path):
    source = GOOD.replace("dropout (float): Dropout", "dropuot (float): Dropout")
    assert "DG101" not in codes(check(tmp_path / "a", {"m.py": source}, ignore=("DG1",)))
    assert codes(check(tmp_path / "b", {"m.py": source}, select=("DG102",))) == ["DG102"]
    assert check(tmp_path / "c", {"m.py": source}, per_file_ignores={"pkg/m.py": ("DG1",)}) == []
