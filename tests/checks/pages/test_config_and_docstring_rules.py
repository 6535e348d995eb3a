"""DG205 on config files and DG204/DG006 on docstring examples, through `run_checks`."""

from __future__ import annotations

from pkgtools import check

CONFIG = '''
from dataclasses import dataclass, field


@dataclass
class TrainConfig:
    """Training settings.

    Attributes:
        learning_rate: Step size.
        epochs: Passes over the data.
        optimizer: Name of the optimizer.
        betas: Adam betas.
    """

    learning_rate: float = 1e-3
    epochs: int = 3
    optimizer: str = "adamw"
    betas: tuple[float, float] = (0.9, 0.999)
'''


def dg2(findings):
    return sorted((f.code, f.file.rsplit("/", 1)[-1], f.line, f.subject) for f in findings
                  if f.code.startswith(("DG2", "DG006")))


def test_dg205_key_typo_and_wrong_type(tmp_path):
    files = {"config.py": CONFIG, "configs/train.yaml": (
        "learning_rate: 1e-4\nepoch: 3\noptimizer: adamw\nbetas: [0.9, 0.95]\n")}
    assert dg2(check(tmp_path, files)) == [("DG205", "train.yaml", 2, "epoch")]
    files["configs/train.yaml"] = "learning_rate: fast\nepochs: 3.0\noptimizer: [adamw]\n"
    findings = check(tmp_path, files)
    assert dg2(findings) == [("DG205", "train.yaml", 1, "learning_rate"),
                             ("DG205", "train.yaml", 3, "optimizer")]
    assert "`learning_rate: 'fast'` is a str, but `learning_rate` of `TrainConfig` is `float`" in {
        f.message for f in findings}


def test_dg205_other_keys_of_a_guessed_class_are_left_alone(tmp_path):
    files = {"config.py": CONFIG,
             "configs/run.json": '{"learning_rate": 0.1, "epochs": 2, "optimizer": "sgd", "seed": 3}'}
    assert dg2(check(tmp_path, files)) == []
    # ... but not when settings say which class the file is
    mapped = check(tmp_path, files, config_files={"*run.json": "pkg.config.TrainConfig"})
    assert dg2(mapped) == [("DG205", "run.json", 1, "seed")]


def test_dg205_hydra_target(tmp_path):
    files = {"config.py": CONFIG, "configs/opt.yaml": (
        "_target_: pkg.config.TrainConfig\nlearning_rate: 0.1\nwarmup: 10\n")}
    assert dg2(check(tmp_path, files)) == [("DG205", "opt.yaml", 3, "warmup")]


MODEL = '''
from torch import nn


class Net(nn.Module):
    """A net.

    Args:
        hidden (int): Width. Defaults to 8.

    Examples:
        >>> net = Net(hiden=4)
        >>> net(x, mask=None)

        ```python
        Net(hidden=4,
        ```
    """

    def __init__(self, hidden: int = 8):
        super().__init__()

    def forward(self, x):
        """Run it.

        Examples
        --------
        .. code-block:: python

           Net(width=2)
        """
        return x


class Quiet(nn.Module):  # docgen: ignore[DG204]
    """Quiet.

    >>> Quiet(nope=1)
    """

    def __init__(self):
        super().__init__()
'''


def test_dg204_and_dg006_in_docstring_examples_point_at_source_lines(tmp_path):
    findings = check(tmp_path, {"model.py": MODEL})
    assert dg2(findings) == [
        ("DG006", "model.py", 15, "'(' was never closed"),
        ("DG204", "model.py", 11, "pkg.model.Net:hiden"),
        ("DG204", "model.py", 12, "pkg.model.Net.forward:mask"),
        ("DG204", "model.py", 29, "pkg.model.Net:width"),
    ]


def test_prompts_named_in_prose_are_not_a_session(tmp_path):
    source = '''
def split(text):
    """Split a session: every `>>>` line is code, and `...]` after output is output.

    Examples:
        >>> split("a")
        ['a',
        ...]
    """
    return [text]
'''
    assert dg2(check(tmp_path, {"text.py": source})) == []
