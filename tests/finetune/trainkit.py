"""Helpers for the training tests: a small hand-written corpus in the fixed format."""

from __future__ import annotations

import json
from pathlib import Path

from docgen_plugin.finetune.records import DATACARD_JSON, CorpusRecord, record_id, write_split

SYSTEM = "You write one section of the documentation of a Python library, in Markdown."
NAMES = ("Encoder", "Decoder", "Attention", "FeedForward", "LayerNorm", "Embedding", "Pooler", "Head")


def make_record(index: int, *, words: int = 12) -> CorpusRecord:
    name = f"{NAMES[index % len(NAMES)]}{index}"
    completion = f"`{name}` maps a batch of hidden states to outputs. " + " ".join(
        ["It keeps shapes."] * max(1, words // 3)
    )
    messages = (
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"Write the overview section of class `pkg.{name}`."},
    )
    return CorpusRecord(
        id=record_id("overview", f"pkg.{name}", completion),
        label="overview",
        object=f"pkg.{name}",
        group="pkg.models",
        source="pkg/models.py",
        messages=messages,
        completion=completion,
        prompt_version="1",
    )


def write_corpus(folder: Path, train: int = 16, validation: int = 4, **kwargs: int) -> Path:
    write_split(folder, "train", [make_record(i, **kwargs) for i in range(train)])
    write_split(folder, "validation", [make_record(1000 + i, **kwargs) for i in range(validation)])
    write_split(folder, "test", [])
    (folder / DATACARD_JSON).write_text(json.dumps({"splits": {"train": train}}), encoding="utf-8")
    return folder
