"""DG401 on the tiny model and a tiny adapter: `docgen finetune` writes the calibration, the
scores separate the house's text from other text, a warm check loads no torch, suppression
works, and a missing or mismatched calibration is a one-line error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from trainkit import make_record, write_corpus

from docgen_plugin.cli import main

FLAGS = ["--no-progress", "--batch-size", "4", "--learning-rate", "5e-3", "--save-steps", "4",
         "--patience", "0"]
HOUSE = "maps a batch of hidden states to outputs. It keeps shapes. It keeps shapes."
OFF = "WELCOME TO THE MOST POWERFUL LIBRARY EVER MADE!!! BUY NOW AND SAVE ON EVERY ORDER TODAY!!!"


@pytest.fixture(scope="module")
def adapter(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("style")
    corpus = write_corpus(root / "corpus", train=16, validation=6)
    out = root / "adapter"
    assert main(["finetune", str(corpus), "-o", str(out), "--model", str(tiny_model_dir),
                 "--max-steps", "16", *FLAGS]) == 0
    return out


def _tree(root: Path, model: Path, adapter: Path, quantile: float = 0.0) -> Path:
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "models.py").write_text(textwrap.dedent(f'''\
        class Encoder:
            """`Encoder` {HOUSE}"""

            def __init__(self, hidden: int = 8) -> None:
                self.hidden = hidden


        class Shouter:
            """{OFF}"""


        class Quiet:  # docgen: ignore[DG401]
            """{OFF}"""
        '''), encoding="utf-8")
    extra = f"style-quantile = {quantile}\n" if quantile else ""
    (root / "pyproject.toml").write_text(
        f'[tool.docgen]\nmodel = "{model}"\nadapter = "{adapter}"\n{extra}', encoding="utf-8")
    return root


def test_finetune_writes_the_calibration(adapter: Path) -> None:
    data = json.loads((adapter / "style_calibration.json").read_text(encoding="utf-8"))
    assert data["adapter_hash"] and data["prompt_version"]
    assert len(data["kinds"]["overview"]) == 6
    assert data["kinds"]["overview"] == sorted(data["kinds"]["overview"])
    # the adapter learned these texts: under it, text like them is easier than under the base
    assert max(data["kinds"]["overview"]) < 0


def test_house_text_scores_lower_than_other_text(adapter: Path, tiny_model_dir: Path) -> None:
    from dataclasses import replace

    from docgen_plugin.finetune.style_scores import StyleScorer
    from docgen_plugin.settings import Settings

    house = make_record(2000)
    off = replace(house, completion=OFF)
    scorer = StyleScorer(Settings(model=str(tiny_model_dir), adapter=str(adapter)), progress=False)
    scores = scorer.scores([house, off, house], progress=False)
    assert scores[0] is not None and scores[1] is not None
    assert scores[0].score < scores[1].score
    assert scores[0].base_loss != scores[0].adapter_loss
    assert scores[2] == scores[0]  # batched with a different row, the same numbers
    assert scores[0].tokens > 5


def test_check_reports_the_off_style_section(tmp_path: Path, adapter: Path, tiny_model_dir: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, tiny_model_dir, adapter)
    monkeypatch.chdir(root)
    code = main(["check", "pkg", "--select", "DG4", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)
    assert code == 1
    flagged = {f["object"]: f for f in findings}
    assert "pkg.models.Quiet" not in flagged  # the same text, suppressed
    finding = flagged["pkg.models.Shouter"]
    assert finding["code"] == "DG401" and finding["line"] == 9
    assert "reads less like the house than" in finding["message"]

    # a section between docgen markers (a draft, or one a human took over) is scored too
    (root / "docs").mkdir()
    (root / "docs" / "shouter.md").write_text(
        "# Shouter\n\n<!-- docgen:begin object=pkg.models.Shouter section=overview -->\n"
        f"{OFF}\n<!-- docgen:end -->\n", encoding="utf-8")
    main(["check", "pkg", "docs", "--select", "DG4", "--format", "json"])
    pages = [f for f in json.loads(capsys.readouterr().out) if f["file"] == "docs/shouter.md"]
    assert [(f["code"], f["line"]) for f in pages] == [("DG401", 4)]
    (root / "docs" / "shouter.md").unlink()

    # warm: every score is cached, so the same run imports no torch
    script = ("import sys; from docgen_plugin.cli import main; code = main(['check', 'pkg', "
              "'--select', 'DG4', '--format', 'json']); print('TORCH', 'torch' in sys.modules, code)")
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                            text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=False)
    assert "TORCH False 1" in result.stdout, result.stderr
    assert json.loads(result.stdout.split("TORCH")[0]) == findings


def test_dg401_runs_only_when_selected(tmp_path: Path, adapter: Path, tiny_model_dir: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, tiny_model_dir, adapter)
    monkeypatch.chdir(root)
    main(["check", "pkg", "--format", "json"])
    assert all(f["code"] != "DG401" for f in json.loads(capsys.readouterr().out))


def test_missing_or_mismatched_calibration_is_one_line(tmp_path: Path, adapter: Path,
                                                       tiny_model_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    copy = tmp_path / "adapter-copy"
    shutil.copytree(adapter, copy)
    root = _tree(tmp_path / "tree", tiny_model_dir, copy)
    monkeypatch.chdir(root)
    calibration = copy / "style_calibration.json"
    data = json.loads(calibration.read_text(encoding="utf-8"))
    calibration.write_text(json.dumps({**data, "adapter_hash": "0" * 64}), encoding="utf-8")
    assert main(["check", "pkg", "--select", "DG401"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "measured with another adapter" in err
    assert "--calibrate-only" in err

    calibration.unlink()
    assert main(["check", "pkg", "--select", "DG401"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "style_calibration.json: missing" in err

    # the fix the message names writes it again, and the check runs
    corpus = adapter.parent / "corpus"
    assert main(["finetune", str(corpus), "-o", str(copy), "--model", str(tiny_model_dir),
                 "--calibrate-only", "--no-progress"]) == 0
    assert calibration.is_file()
    assert main(["check", "pkg", "--select", "DG401"]) in (0, 1)


def test_mkdocs_build_reports_dg401_when_selected(tmp_path: Path, adapter: Path,
                                                 tiny_model_dir: Path) -> None:
    root = _tree(tmp_path, tiny_model_dir, adapter)
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text(
        f"# Shouter\n\n::: pkg.models.Shouter\n\n## Overview of `Shouter`\n\n{OFF}\n",
        encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: t\nplugins:\n  - docgen:\n      packages: [pkg]\n      draft: false\n"
        "      check: {select: [DG4]}\n", encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=root,
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert "pkg/models.py:9: DG401" in result.stderr  # the docstring
    assert "docs/index.md:5: DG401" in result.stderr  # the page section, its heading line
    assert "Quiet" not in result.stderr

def test_calibration_ranks_against_its_kind_or_all_kinds(tmp_path: Path) -> None:
    from docgen_plugin.finetune.style_calibration import MIN_KIND, read_calibration

    overviews = [i / 10 for i in range(MIN_KIND)]
    (tmp_path / "style_calibration.json").write_text(json.dumps({
        "format": 1, "adapter_hash": "h", "prompt_version": _prompt_version(), "quantile": 0.9,
        "kinds": {"overview": overviews, "usage": [5.0, 6.0]}}), encoding="utf-8")
    calibration = read_calibration(tmp_path, "h")
    assert calibration.quantile == 0.9
    assert calibration.share_below("overview", 0.55) == (0.6, "overview", MIN_KIND)
    # two usage scores are too few to judge by: all twelve together
    assert calibration.share_below("usage", 5.5) == (11 / 12, "section", MIN_KIND + 2)


def test_a_corrupt_calibration_names_the_file_and_the_fix(tmp_path: Path) -> None:
    from docgen_plugin.errors import ModelError
    from docgen_plugin.finetune.style_calibration import read_calibration

    (tmp_path / "style_calibration.json").write_text('{"format": 1, "kinds": {"overview": ["x"]}}',
                                                     encoding="utf-8")
    with pytest.raises(ModelError, match=r"not a docgen style calibration.*--calibrate-only"):
        read_calibration(tmp_path, "h")


def test_dg4_is_selected_by_name_only() -> None:
    from docgen_plugin.checks.style_rule import style_selected
    from docgen_plugin.settings import Settings

    assert style_selected(Settings(select=("DG4",)))
    assert style_selected(Settings(select=("DG1", "DG401")))
    assert not style_selected(Settings(select=("ALL",)))  # it loads a model: opt-in by name
    assert not style_selected(Settings())
    assert not style_selected(Settings(select=("DG4",), ignore=("DG401",)))


def _prompt_version() -> str:
    from docgen_plugin.generate.prompts import PROMPT_VERSION

    return PROMPT_VERSION


def test_the_shipped_adapter_is_no_house(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    root = _tree(tmp_path, Path("default"), Path("unused"))
    (root / "pyproject.toml").write_text("[tool.docgen]\n", encoding="utf-8")
    monkeypatch.chdir(root)
    assert main(["check", "pkg", "--select", "DG4"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not the shipped docs adapter" in err
