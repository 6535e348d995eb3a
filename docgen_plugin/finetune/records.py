"""The corpus format shared by `docgen corpus`, `docgen finetune` and `docgen eval`.

A corpus is a folder: `train.jsonl`, `validation.jsonl`, `test.jsonl` (one `CorpusRecord`
per line) and a data card (`datacard.md`, `datacard.json`). A record holds the exact
draft-time prompt (from `generate.prompts.build_messages`), the human text as completion,
and the facts the prompt was built from, so evaluation can verify a generated answer
against the same facts the drafting path would.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from docgen_plugin.errors import CorpusError
from docgen_plugin.facts.model import Facts, ObjectFacts, from_dict
from docgen_plugin.files import atomic_open
from docgen_plugin.generate.messages import Message

SPLITS = ("train", "validation", "test")
DATACARD_JSON = "datacard.json"
DATACARD_MD = "datacard.md"



@dataclass(frozen=True, kw_only=True)
class CorpusRecord:
    """One labeled example: prompt messages (system + user) and the human completion."""

    id: str = field(metadata={"help": "Content hash of label, object and completion."})
    label: str = field(metadata={"help": "Section kind from the catalogue (overview, usage...)."})
    object: str = field(metadata={"help": "Dotted path of the documented object."})
    group: str = field(metadata={"help": "Split group: the source module; never crosses splits."})
    source: str = field(metadata={"help": "File the human text was read from."})
    line: int = field(default=1, metadata={"help": "Line of the text in `source`."})
    origin: str = field(
        default="docstring", metadata={"help": "docstring, page, model-card or reviewed."}
    )
    package: str = field(default="", metadata={"help": "Top-level package (licence lookup)."})
    messages: tuple[Message, ...] = field(
        default=(), metadata={"help": "The draft-time prompt: system and user turns."}
    )
    completion: str = field(default="", metadata={"help": "The human-written section text."})
    facts: tuple[dict[str, Any], ...] = field(
        default=(), metadata={"help": "`to_dict` of the prompt's context objects, object first."}
    )
    prompt_version: str = field(default="", metadata={"help": "PROMPT_VERSION at build time."})

    @property
    def user(self) -> str:
        """The last user turn (used as a 3-shot example's question)."""
        return next(m["content"] for m in reversed(self.messages) if m["role"] == "user")

    def object_facts(self) -> ObjectFacts:
        """The documented object, as the prompt saw it."""
        if not self.facts:
            raise CorpusError(f"record {self.id} ({self.object}) carries no facts", self.source)
        return from_dict(ObjectFacts, self.facts[0])

    def context(self) -> Facts:
        """The prompt's context objects as `Facts`, for the verifier."""
        return Facts(objects=tuple(from_dict(ObjectFacts, d) for d in self.facts))


def record_id(label: str, obj: str, completion: str) -> str:
    return hashlib.sha256(f"{label}\0{obj}\0{completion}".encode()).hexdigest()[:16]


def record_to_json(record: CorpusRecord) -> str:
    return json.dumps(asdict(record), ensure_ascii=False, sort_keys=True)


def record_from_json(line: str, path: Path, number: int) -> CorpusRecord:
    try:
        data = json.loads(line)
        data["messages"] = tuple(data.get("messages", ()))
        data["facts"] = tuple(data.get("facts", ()))
        return CorpusRecord(**data)
    except (json.JSONDecodeError, TypeError) as error:
        raise CorpusError(
            f"{path}:{number}: not a corpus record ({error}); rebuild it with `docgen corpus`",
            str(path),
        ) from error


def split_path(corpus: Path, split: str) -> Path:
    return corpus / f"{split}.jsonl"


def write_split(corpus: Path, split: str, records: Iterable[CorpusRecord]) -> int:
    """Write one split atomically; returns the number of records."""
    count = 0
    corpus.mkdir(parents=True, exist_ok=True)
    with atomic_open(split_path(corpus, split)) as out:
        for record in records:
            out.write(record_to_json(record) + "\n")
            count += 1
    return count


def read_split(corpus: Path, split: str) -> list[CorpusRecord]:
    """The records of one split; `CorpusError` naming the file, line and fix."""
    if split not in SPLITS:
        raise CorpusError(f"unknown split `{split}` (splits: {', '.join(SPLITS)})")
    path = split_path(corpus, split)
    if not path.is_file():
        raise CorpusError(
            f"{path}: no such file; build the corpus first with `docgen corpus SRC -o {corpus}`",
            str(path),
        )
    records = []
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise CorpusError(f"{path}:{number}: not UTF-8 text; rebuild the corpus with "
                                  "`docgen corpus`", str(path)) from error
            if line.strip():
                records.append(record_from_json(line, path, number))
    return records


def corpus_hash(corpus: Path) -> str:
    """A hash of the data card (it lists every split's content hash), for training records."""
    card = corpus / DATACARD_JSON
    if not card.is_file():
        raise CorpusError(f"{card}: no data card; rebuild the corpus with `docgen corpus`", str(card))
    return hashlib.sha256(card.read_bytes()).hexdigest()[:16]


def by_label(records: Sequence[CorpusRecord]) -> dict[str, list[CorpusRecord]]:
    grouped: dict[str, list[CorpusRecord]] = {}
    for record in records:
        grouped.setdefault(record.label, []).append(record)
    return grouped
