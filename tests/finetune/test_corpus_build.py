"""`docgen corpus`: labels from docstrings, pages, model cards and reviewed markers; cleaning,
dedupe, leakage and the data card, on small packages and pages built in tmp_path."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from docgen_plugin.cli import main
from docgen_plugin.errors import SourceError
from docgen_plugin.finetune.corpus import build_corpus
from docgen_plugin.finetune.corpus_clean import clean, normalise
from docgen_plugin.finetune.corpus_docstrings import errors_text, split_docstring, usage_text
from docgen_plugin.finetune.records import DATACARD_JSON, DATACARD_MD, SPLITS, read_split
from docgen_plugin.generate.prompts import PROMPT_VERSION, build_messages, context_objects
from docgen_plugin.markers import content_hash
from docgen_plugin.sections.catalogue import build_catalogue
from docgen_plugin.settings import Settings

MODULE = '''
"""Blocks of the demo package."""

import torch.nn as nn


class Scaler(nn.Module):
    """Multiplies every input element by one learned factor, so a residual branch starts small.

    The factor is a scalar parameter initialised to `init`, shared by all positions.

    Args:
        init (float): Initial value of the factor. Defaults to 1.0.

    Raises:
        ValueError: If `init` is negative, since a negative factor flips the branch.

    Note:
        The factor is not clipped during training, so it can grow without bound.

    Examples::

        >>> layer = Scaler(init=0.5)
        >>> layer(torch.ones(2))
        tensor([0.5000, 0.5000])
    """

    def __init__(self, init: float = 1.0) -> None:
        super().__init__()

    def forward(self, x):
        """Scale a batch of vectors by the learned factor.

        Returns:
            A tensor of the same shape as `x`, scaled by the factor.
        """
        return x


def smooth(values: list[float], window: int = 3) -> list[float]:
    """Moving average of a list of floats over a sliding window of the given width.

    Contact owner@example.com for questions about the smoothing kernel and its edges.

    Args:
        values: The series to smooth.
        window: Width of the window, in elements.
    """
    return values


def leaky(token: str) -> None:
    """Send a heartbeat to the metrics server with the configured credentials file.

    Example:
        >>> leaky(api_key="sk-abcdefghijklmnopqrstuvwxyz123456")
    """


def deprecated_helper() -> None:
    """Deprecated. Use `smooth` instead; this helper will be removed in the next release."""


def copy_one() -> None:
    """Normalise a batch of feature vectors to unit length along the last dimension for retrieval."""


def copy_two() -> None:
    """Normalise a batch of feature vectors to unit length along the last dimension for retrieval."""
'''

BROKEN = "def broken(:\n    pass\n"

PAGE = """# Scaler guide

## `Scaler`

The `Scaler` block keeps residual branches small at the start of training, which makes deep
stacks of blocks train stably without warm-up. Reach for it in very deep networks.

## Limitations

- `Scaler` learns one factor for all channels; use a per-channel layer when channels differ.
- It does not support sparse inputs at all.

## Intended use

Deep residual networks built from `Scaler` blocks whose branches should start close to the
identity function for stability; not meant as a normalisation layer.

## Error handling

This section talks about nothing the package defines, so no object can be linked to it at all.

## Usage

<!-- docgen:begin object=demo.blocks.Scaler section=usage facts=abc draft={draft} status=draft -->
{generated}
<!-- docgen:end -->

## Overview of the helper

<!-- docgen:begin object=demo.blocks.smooth section=overview facts=abc draft=000000 status=reviewed -->
Smooths a series with a moving average; a human reviewed this text and kept it as it reads.
<!-- docgen:end -->
"""

GENERATED = "Build it with `Scaler(init=1.0)` and call it on a tensor; docgen drafted this text."

CARD = """---
license: mit
library_name: pytorch
docgen:
  objects: [demo.blocks.Scaler]
---

# demo-scaler

## Model description

A tiny demonstration model card for the `Scaler` block: one learned factor, no other weights.
<!-- a comment that must not reach the corpus -->

## Out-of-scope use

Anything beyond demonstrating how docgen reads model cards; it is not a trained model at all.
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    pkg = tmp_path / "demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""Demo package."""\n')
    (pkg / "blocks.py").write_text(MODULE)
    (pkg / "broken.py").write_text(BROKEN)
    other = tmp_path / "demo" / "more.py"
    other.write_text('def third():\n    """Normalise a batch of feature vectors to unit length along the '
                     'last dimension for retrieval."""\n')
    docs = tmp_path / "docs"
    docs.mkdir()
    page = PAGE.replace("{draft}", content_hash(GENERATED)).replace("{generated}", GENERATED)
    (docs / "scaler.md").write_text(page)
    (docs / "bad.md").write_bytes(b"\xff\xfe not utf-8 \x00")
    card = tmp_path / "card"
    card.mkdir()
    (card / "README.md").write_text(CARD)
    return tmp_path


def _settings(root: Path, **extra: object) -> Settings:
    return Settings(root=str(root), cache_dir=str(root / ".cache"), **extra)  # type: ignore[arg-type]


def _records(out: Path) -> list:
    return [r for split in SPLITS for r in read_split(out, split)]


@pytest.fixture()
def built(project: Path) -> tuple[Path, list, object]:
    out = project / "corpus"
    summary = build_corpus(["demo", "docs", "card"], out, _settings(project))
    return out, _records(out), summary


def test_docstring_labels(built: tuple[Path, list, object]) -> None:
    _, records, _ = built
    by = {(r.object, r.label): r for r in records if r.origin == "docstring"}
    assert by[("demo.blocks.Scaler", "overview")].completion.startswith("Multiplies every input")
    usage = by[("demo.blocks.Scaler", "usage")].completion
    assert usage.startswith("Example:\n\n```python\n") and "layer = Scaler(init=0.5)" in usage
    assert ">>>" not in usage and "tensor([0.5000" not in usage  # prompts stripped, output dropped
    assert by[("demo.blocks.Scaler", "errors")].completion.startswith("- `ValueError`: if `init`")
    assert by[("demo.blocks.Scaler", "limitations")].completion.startswith("- The factor is not clipped")
    assert "same shape as `x`" in by[("demo.blocks.Scaler", "inputs")].completion
    assert "@" not in by[("demo.blocks.smooth", "overview")].completion  # e-mail removed


def test_records_are_the_draft_time_prompt(built: tuple[Path, list, object], project: Path) -> None:
    from docgen_plugin.facts.loader import load_facts
    from docgen_plugin.facts.model import ObjectFacts, from_dict

    _, records, _ = built
    facts = load_facts(["demo"], _settings(project))
    catalogue = build_catalogue()
    for record in records:
        assert record.prompt_version == PROMPT_VERSION
        assert [m["role"] for m in record.messages] == ["system", "user"]
        obj = from_dict(ObjectFacts, record.facts[0])
        assert list(record.messages) == build_messages(obj, catalogue.specs[record.label], facts)
        assert record.facts[0]["path"] == record.object
        assert len(record.facts) == len(context_objects(obj, facts))
        assert record.group.startswith("demo.")


def test_no_completion_in_its_own_prompt(built: tuple[Path, list, object]) -> None:
    _, records, _ = built
    assert records
    for record in records:
        assert normalise(record.completion) not in normalise(record.user), record.object
    scaler = next(r for r in records if r.object == "demo.blocks.Scaler" and r.label == "overview"
                  and r.origin == "docstring")
    assert "Args:" in scaler.user and "Multiplies every" not in scaler.user  # other sections kept


def test_pages_cards_and_markers(built: tuple[Path, list, object]) -> None:
    _, records, summary = built
    origins = {(r.origin, r.label, r.object) for r in records}
    assert ("page", "limitations", "demo.blocks.Scaler") in origins
    assert ("page", "intended-use", "demo.blocks.Scaler") in origins
    assert ("page", "overview", "demo.blocks.Scaler") in origins
    assert ("model-card", "overview", "demo.blocks.Scaler") in origins
    assert ("model-card", "limitations", "demo.blocks.Scaler") in origins  # "Out-of-scope use"
    assert ("reviewed", "overview", "demo.blocks.smooth") in origins
    assert all("docgen drafted" not in r.completion for r in records)
    assert all("<!--" not in r.completion for r in records)
    removed = summary.removed  # type: ignore[attr-defined]
    assert removed["generated"] == 1 and removed["no-object"] >= 1
    assert removed["secret"] >= 1 and removed["boilerplate"] >= 1
    assert removed["duplicate"] + removed.get("near-duplicate", 0) >= 2  # copy_one/two/third
    assert removed["unreadable-page"] == 1
    assert any("bad.md" in p for p in summary.problems)  # type: ignore[attr-defined]


def test_datacard(built: tuple[Path, list, object]) -> None:
    out, records, _ = built
    card = json.loads((out / DATACARD_JSON).read_text())
    assert card["prompt_version"] == PROMPT_VERSION
    assert sum(card["records"].values()) == len(records)
    assert set(card["sha256"]) == set(SPLITS)
    licences = {s["source"]: s["licence"] for s in card["sources"]}
    assert set(licences) == {"demo", "docs", "card"}
    assert {"min", "median", "p90", "max"} <= set(card["lengths"]["overview"])
    audit = card["audit"]
    assert {"label_imbalance", "near_duplicate_clusters", "bias_terms", "top_sources"} <= set(audit)
    assert "Data card" in (out / DATACARD_MD).read_text()
    # the session's home has no converted default model: token lengths are not measured, and
    # the card says how to get them (nothing is converted for a data card)
    assert "docgen model prepare" in card["token_lengths"]["note"]


def test_datacard_token_lengths(project: Path, tiny_model_dir: Path) -> None:
    from docgen_plugin.finetune.training_data import record_lengths
    from docgen_plugin.generate.model_load import load_tokenizer
    from docgen_plugin.generate.model_resolve import resolve_model

    out = project / "tokens"
    settings = _settings(project, model=str(tiny_model_dir))
    build_corpus(["demo", "docs"], out, settings)
    card = json.loads((out / DATACARD_JSON).read_text())
    tokens = card["token_lengths"]["labels"]
    tokenizer = load_tokenizer(resolve_model(settings))
    overview = [r for r in _records(out) if r.label == "overview"]
    prompts = sorted(record_lengths(tokenizer, r)[0] for r in overview)
    assert tokens["overview"]["prompt"]["max"] == prompts[-1]
    assert tokens["overview"]["prompt"]["min"] == prompts[0]
    assert {"prompt", "answer", "total"} <= set(tokens["overview"])
    assert "prompts and answers (tokens)" in (out / DATACARD_MD).read_text()


def test_same_seed_same_corpus(project: Path) -> None:
    settings = _settings(project, seed=7)
    build_corpus(["demo", "docs"], project / "a", settings)
    build_corpus(["demo", "docs"], project / "b", settings)
    for split in SPLITS:
        first, second = (project / name / f"{split}.jsonl" for name in ("a", "b"))
        assert first.read_bytes() == second.read_bytes()


def test_cli(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    assert main(["corpus", "demo", "docs", "-o", "out", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "records" in printed and "removed:" in printed and "overview" in printed
    assert main(["corpus", "nowhere_at_all", "-o", "out"]) == 2
    error = capsys.readouterr().err.strip()
    assert "nowhere_at_all" in error and "\n" not in error


def test_missing_source_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="missing_pkg"):
        build_corpus(["missing_pkg"], tmp_path / "out", _settings(tmp_path))


# --- the pieces -------------------------------------------------------------------------------


def test_clean_markup() -> None:
    text = clean(":class:`~torch.nn.Linear` and :func:`torch.sum` use ``x``; see [`BertModel`].\n"
                 ".. note::\n<b>bold</b> <!-- hidden --> text   \n[[autodoc]] BertModel\n")
    assert text == "`Linear` and `torch.sum` use `x`; see `BertModel`. bold text"


def test_split_and_labels_numpy_and_sphinx() -> None:
    doc = textwrap.dedent("""\
        Compute things.

        Parameters
        ----------
        x : int
            The input.

        Raises
        ------
        KeyError
            When the key is missing.

        Examples
        --------
        Build one first.

        >>> f(1)
        2
        """)
    blocks = split_docstring(doc)
    assert [b.kind for b in blocks] == ["text", "parameters", "raises", "examples"]
    assert errors_text([blocks[2]]) == "- `KeyError`: when the key is missing."
    assert usage_text(blocks[3].body) == "Build one first:\n\n```python\nf(1)\n```"
    sphinx = split_docstring("Do it.\n\n:param x: the input\n:raises ValueError: if x < 0\n")
    assert errors_text([b for b in sphinx if b.kind == "raises"]) == "- `ValueError`: if x < 0"


def test_test_suites_are_no_house_style() -> None:
    from docgen_plugin.finetune.corpus_sources import is_test_code

    assert is_test_code("numpy.lib.tests.test_loadtxt.test_string_no_length_given")
    assert is_test_code("pkg.testing.assert_close")
    assert not is_test_code("torch.nn.modules.linear.Linear")
    assert not is_test_code("scipy.stats.ttest_ind")  # a library function named like a test
