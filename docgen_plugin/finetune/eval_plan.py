"""What `docgen eval` runs: its options, the records it evaluates, and each system's prompt.

Systems:
- `base`: the record's prompt as is (exactly what drafting would send);
- `base-3shot`: the same prompt with `shots` records of the same label from the train split
  as earlier user/assistant turns (chosen once per label, seeded, short ones from different
  groups first), as `build_messages(..., examples=...)` would write them;
- `adapter`: the record's prompt, on the base model with the adapter merged (as drafting
  loads it).
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from docgen_plugin.errors import CorpusError, SettingsError
from docgen_plugin.finetune.records import CorpusRecord, by_label, read_split
from docgen_plugin.generate.messages import Message
from docgen_plugin.generate.prompts import PROMPT_VERSION, Example
from docgen_plugin.sections.catalogue import Catalogue, SectionSpec, build_catalogue
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

BASE = "base"
FEW_SHOT = "base-3shot"
ADAPTER = "adapter"
SYSTEMS = (BASE, FEW_SHOT, ADAPTER)
MAX_SHOT_CHARS = 600  # longer examples are used only when a label has too few short ones


@dataclass(frozen=True, kw_only=True)
class EvalOptions:
    """What `docgen eval` compares, on which records, and where the results go."""

    out: Path = field(metadata={"help": "Output folder (eval.json, eval.md, eval.png, cache)."})
    systems: tuple[str, ...] = field(default=SYSTEMS, metadata={"help": "Systems to compare."})
    shots: int = field(default=3, metadata={"help": "Train examples in the few-shot prompt."})
    split: str = field(default="test", metadata={"help": "Split evaluated on."})
    limit: int | None = field(
        default=None, metadata={"help": "First N records after a seeded shuffle; None: all."}
    )
    progress: bool = field(default=True, metadata={"help": "Show progress bars."})

    def __post_init__(self) -> None:
        unknown = [s for s in self.systems if s not in SYSTEMS]
        if unknown or not self.systems:
            raise SettingsError(
                f"unknown system `{unknown[0] if unknown else ''}` "
                f"(systems: {', '.join(SYSTEMS)})"
            )
        if self.shots < 1:
            raise SettingsError("--shots must be at least 1")
        if self.limit is not None and self.limit < 1:
            raise SettingsError("--limit must be positive")


def eval_records(
    corpus: Path, settings: Settings, options: EvalOptions
) -> tuple[list[CorpusRecord], list[SectionSpec]]:
    """The records `options` selects from its split, with their specs: those of sections
    rendered from facts are left out (never generated), and a stale prompt version is said."""
    catalogue = build_catalogue(settings.section_synonyms)
    records = read_split(corpus, options.split)
    if not records:
        raise CorpusError(f"{corpus}: the {options.split} split is empty; nothing to evaluate")
    # table sections first: `--limit N` means N generated items, not N before the skip
    specs = {r.id: spec_for(r, catalogue) for r in records}
    drafted = [r for r in records if not specs[r.id].deterministic]
    if len(drafted) < len(records):
        logger.warning("skipping %d record(s) of table sections (rendered, never generated)",
                       len(records) - len(drafted))
    records = select_records(drafted, options.limit, settings.seed)
    stale = {r.prompt_version for r in records} - {PROMPT_VERSION, ""}
    if stale:
        logger.warning("the corpus was built with prompt version %s, drafting now uses %s: "
                       "rebuild it with `docgen corpus` to evaluate today's prompts",
                       ", ".join(sorted(stale)), PROMPT_VERSION)
    return records, [specs[r.id] for r in records]


def few_shot_examples(
    corpus: Path, records: Sequence[CorpusRecord], options: EvalOptions, seed: int
) -> tuple[dict[str, list[Example]], dict[str, tuple[str, ...]]]:
    """The few-shot examples of each label evaluated (none unless `base-3shot` runs), and the
    ids of the train records they are, by label."""
    examples: dict[str, list[Example]] = {}
    shots: dict[str, tuple[str, ...]] = {}
    if FEW_SHOT in options.systems:
        train = by_label(read_split(corpus, "train"))
        evaluated = frozenset(r.completion for r in records)
        for label in sorted({r.label for r in records}):
            chosen = choose_shots(train.get(label, []), options.shots, seed,
                                  exclude=evaluated)
            if len(chosen) < options.shots:
                logger.warning("label %s: only %d train example(s) for %d shots", label,
                               len(chosen), options.shots)
            examples[label] = as_examples(chosen)
            shots[label] = tuple(r.id for r in chosen)
    return examples, shots


def select_records(
    records: Sequence[CorpusRecord], limit: int | None, seed: int
) -> list[CorpusRecord]:
    """The first `limit` records after a seeded shuffle (all of them, shuffled, without one):
    the same records on every run and machine, a fair sample of every label."""
    chosen = sorted(records, key=lambda r: r.id)
    random.Random(seed).shuffle(chosen)
    return chosen[:limit] if limit is not None else chosen


def _rank(seed: int, record: CorpusRecord) -> str:
    return hashlib.sha256(f"{seed}\0{record.id}".encode()).hexdigest()


def choose_shots(
    candidates: Sequence[CorpusRecord],
    count: int,
    seed: int,
    *,
    exclude: frozenset[str] = frozenset(),
) -> list[CorpusRecord]:
    """`count` examples from `candidates` (one label's train records), deterministically:
    seeded order, short completions first, each from a different group while one is left.
    Records whose completion is in `exclude` (texts under evaluation) are never chosen."""
    usable = [r for r in candidates if r.completion.strip() and r.completion not in exclude]
    short = [r for r in usable if len(r.completion) + len(r.user) <= 4 * MAX_SHOT_CHARS
             and len(r.completion) <= MAX_SHOT_CHARS]
    if len(short) < count:  # too few short ones: the shortest of the rest make up the number
        rest = sorted((r for r in usable if r not in short), key=lambda r: len(r.completion))
        short += rest[: count - len(short)]
    ordered = sorted(short, key=lambda r: _rank(seed, r))
    chosen: list[CorpusRecord] = []
    groups: set[str] = set()
    for record in ordered:  # one per group first
        if len(chosen) < count and record.group not in groups:
            chosen.append(record)
            groups.add(record.group)
    for record in ordered:  # then fill up from groups already used
        if len(chosen) < count and record not in chosen:
            chosen.append(record)
    return chosen


def as_examples(shots: Sequence[CorpusRecord]) -> list[Example]:
    """Train records as house-style examples (their prompt's user turn, the human answer)."""
    return [Example(user=r.user, assistant=r.completion) for r in shots]


def few_shot_messages(record: CorpusRecord, examples: Sequence[Example]) -> list[Message]:
    """The record's prompt with `examples` as user/assistant turns after the system message:
    what `build_messages(..., examples=examples)` writes for the same facts."""
    messages = [dict(m) for m in record.messages]
    if not messages or messages[0].get("role") != "system":
        raise CorpusError(
            f"record {record.id} ({record.object}): its prompt does not start with a system "
            "message; rebuild the corpus with `docgen corpus`",
            record.source,
        )
    turns: list[Message] = []
    for example in examples:
        turns.append({"role": "user", "content": example.user})
        turns.append({"role": "assistant", "content": example.assistant})
    return [messages[0], *turns, *messages[1:]]


def prompt_for(system: str, record: CorpusRecord, examples: Sequence[Example]) -> list[Message]:
    """The chat prompt `system` gets for `record`."""
    if system == FEW_SHOT:
        return few_shot_messages(record, examples)
    return [dict(m) for m in record.messages]


def spec_for(record: CorpusRecord, catalogue: Catalogue) -> SectionSpec:
    """The catalogue's spec for the record's label; `CorpusError` naming the record if none."""
    try:
        return catalogue.spec(record.label)
    except SettingsError as error:
        raise CorpusError(
            f"record {record.id} ({record.object}): {error}; rebuild the corpus with this "
            "catalogue or add the label to `section-synonyms`",
            record.source,
        ) from error
