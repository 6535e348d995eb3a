"""The corpus splits a run trains and validates on: the sections the model drafts, no others."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from docgen_plugin.errors import CorpusError

logger = logging.getLogger(__name__)


def load_corpus(corpus: Path) -> tuple[list[Any], list[Any], str]:
    """The train and validation records of `corpus` (drafted sections only) and its hash."""
    from docgen_plugin.finetune.records import corpus_hash, read_split

    if not corpus.is_dir():
        raise CorpusError(
            f"{corpus}: no such corpus folder; build it first with `docgen corpus SRC -o {corpus}`",
            str(corpus),
        )
    train_records = drafted_only(read_split(corpus, "train"))
    if not train_records:
        raise CorpusError(
            f"{corpus / 'train.jsonl'}: the train split is empty; rebuild the corpus from more "
            "documented code (`docgen corpus SRC -o CORPUS`)",
            str(corpus / "train.jsonl"),
        )
    validation = read_split(corpus, "validation") if (corpus / "validation.jsonl").is_file() else []
    return train_records, drafted_only(validation), corpus_hash(corpus)


def drafted_only(records: list[Any]) -> list[Any]:
    """The records of sections the model drafts: those docgen renders from facts (usage,
    error handling, ...) are never asked of it, so it is not trained on them."""
    from docgen_plugin.sections.catalogue import SECTIONS

    prose = {s.kind for s in SECTIONS if not s.deterministic}
    kept = [r for r in records if r.label in prose]
    if len(kept) < len(records):
        logger.info("docgen: %d records of sections rendered from facts left out of training",
                    len(records) - len(kept))
    return kept
