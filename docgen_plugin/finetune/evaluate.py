"""`docgen eval`: the base model, the base model with house-style examples, and the base model
with a LoRA adapter, compared on one split of a corpus.

    test records -> prompts per system -> the drafting path (Generator, its decoding, the
    catalogue's token budgets, `tidy`, `verify_draft`) -> scores against the human text

Systems:
- `base`: the record's prompt as is (exactly what drafting would send);
- `base-3shot`: the same prompt with `shots` records of the same label from the train split
  as earlier user/assistant turns (chosen once per label, seeded, short ones from different
  groups first), as `build_messages(..., examples=...)` would write them;
- `adapter`: the record's prompt, on the base model with the adapter merged (as drafting
  loads it).

Each raw generation is appended to `generations.jsonl` in the output folder as its batch
finishes, keyed by system, record, model and adapter hashes, prompt hash and decoding: a
rerun (after Ctrl-C, or with more systems) generates only what is missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from docgen_plugin.errors import CorpusError, ModelError, SettingsError
from docgen_plugin.finetune.metrics import ItemScore, Summary, aggregate_by_label, relative_gain
from docgen_plugin.finetune.metrics import score_item as _score
from docgen_plugin.finetune.records import CorpusRecord, by_label, read_split
from docgen_plugin.generate.generator import Decoding
from docgen_plugin.generate.messages import Message
from docgen_plugin.generate.prompt_fit import BudgetFitter
from docgen_plugin.generate.prompts import PROMPT_VERSION, Example, messages_hash
from docgen_plugin.sections.catalogue import Catalogue, SectionSpec, build_catalogue
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

BASE = "base"
FEW_SHOT = "base-3shot"
ADAPTER = "adapter"
SYSTEMS = (BASE, FEW_SHOT, ADAPTER)
GENERATIONS = "generations.jsonl"
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


@dataclass(frozen=True, kw_only=True)
class Output:
    """One system's answer to one record: raw and post-processed text, verdict, scores."""

    system: str
    record_id: str
    prompt_hash: str
    key: str
    raw: str
    text: str
    reasons: tuple[str, ...]
    score: ItemScore
    cached: bool = False

    @property
    def passed(self) -> bool:
        return not self.reasons


@dataclass(frozen=True, kw_only=True)
class EvalResult:
    """Everything `docgen eval` measured; `eval_report` writes it out."""

    corpus: Path
    split: str
    systems: tuple[str, ...]
    records: tuple[CorpusRecord, ...]
    outputs: Mapping[str, tuple[Output, ...]]  # system -> one output per record, in order
    summaries: Mapping[str, Mapping[str, Summary]]  # system -> label (and `all`) -> scores
    shots: Mapping[str, tuple[str, ...]]  # label -> ids of the train records used as examples
    model: Mapping[str, Any]
    seconds: Mapping[str, float]  # generation wall time per system; `load` for model loads
    settings: Mapping[str, Any]

    @property
    def labels(self) -> list[str]:
        return sorted({r.label for r in self.records})

    def gains(self) -> dict[str, dict[str, float | None]]:
        """ROUGE-L gain of the adapter over each other system, in percent, per label."""
        if ADAPTER not in self.summaries:
            return {}
        adapter = self.summaries[ADAPTER]
        return {
            f"{ADAPTER} vs {other}": {
                label: relative_gain(adapter[label].rouge_l, scores[label].rouge_l)
                for label in adapter
            }
            for other, scores in self.summaries.items()
            if other != ADAPTER
        }


# --- records, examples and prompts ------------------------------------------------------------


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


# --- the generation cache -------------------------------------------------------------------


def generation_key(
    *,
    system: str,
    record_id: str,
    prompt_hash: str,
    model_hash: str,
    adapter_hash: str | None,
    max_new_tokens: int,
    decoding: Decoding,
) -> str:
    """What one cached generation depends on, hashed."""
    payload = json.dumps(
        {
            "system": system,
            "record": record_id,
            "prompt": prompt_hash,
            "model": model_hash,
            "adapter": adapter_hash,
            "generation": {"max_new_tokens": max_new_tokens, **decoding.as_dict()},
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


class GenerationCache:
    """Raw generations by key, in an append-only JSONL file (one line per finished answer)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, str] = {}
        if path.is_file():
            with path.open("rb") as lines:
                for number, line in enumerate(lines, 1):
                    try:
                        entry = json.loads(line)  # bytes: a bad byte is a bad line too
                        self.entries[str(entry["key"])] = str(entry["raw"])
                    except (ValueError, KeyError, TypeError):  # a line cut by a crash
                        logger.debug("%s:%d: unreadable cache line skipped", path, number)

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def put(self, key: str, raw: str, **about: str) -> None:
        self.entries[key] = raw
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"key": key, **about, "raw": raw}, ensure_ascii=False) + "\n")


# --- running --------------------------------------------------------------------------------


@dataclass
class _Pending:
    system: str
    index: int
    messages: list[Message]
    key: str
    budget: int


GeneratorFactory = Callable[[Settings], Any]  # settings -> a Generator


def _load_generator(settings: Settings, progress: bool) -> Any:
    from docgen_plugin.generate.generator import Generator
    from docgen_plugin.generate.model_load import load_model
    from docgen_plugin.generate.model_resolve import resolve_model

    loaded = load_model(resolve_model(settings), progress=progress)
    return Generator(loaded, batch_size=settings.batch_size, progress=progress)


def _model_settings(settings: Settings, system: str) -> Settings:
    return settings if system == ADAPTER else replace(settings, adapter="none")


def evaluate(
    corpus: Path,
    settings: Settings,
    options: EvalOptions,
    *,
    make_generator: GeneratorFactory | None = None,
) -> EvalResult:
    """Generate (or read from the cache) every system's answer to every selected record,
    post-process and verify them as drafting does, and score them against the human text."""
    from docgen_plugin.generate.drafting import tidy
    from docgen_plugin.generate.model_resolve import resolve_model
    from docgen_plugin.generate.sentences import verify_prose
    from docgen_plugin.generate.verify import verify_draft

    if ADAPTER in options.systems and not settings.adapter:
        raise SettingsError("the `adapter` system needs --adapter DIR (or `adapter` in "
                            "[tool.docgen]); or choose --systems base,base-3shot")
    catalogue = build_catalogue(settings.section_synonyms)
    records = select_records(read_split(corpus, options.split), options.limit, settings.seed)
    if not records:
        raise CorpusError(f"{corpus}: the {options.split} split is empty; nothing to evaluate")
    specs = [spec_for(r, catalogue) for r in records]
    kept = [(r, s) for r, s in zip(records, specs) if not s.deterministic]
    if len(kept) < len(records):
        logger.warning("skipping %d record(s) of table sections (rendered, never generated)",
                       len(records) - len(kept))
    records, specs = [r for r, _ in kept], [s for _, s in kept]
    stale = {r.prompt_version for r in records} - {PROMPT_VERSION, ""}
    if stale:
        logger.warning("the corpus was built with prompt version %s, drafting now uses %s: "
                       "rebuild it with `docgen corpus` to evaluate today's prompts",
                       ", ".join(sorted(stale)), PROMPT_VERSION)

    examples: dict[str, list[Example]] = {}
    shots: dict[str, tuple[str, ...]] = {}
    if FEW_SHOT in options.systems:
        train = by_label(read_split(corpus, "train"))
        evaluated = frozenset(r.completion for r in records)
        for label in sorted({r.label for r in records}):
            chosen = choose_shots(train.get(label, []), options.shots, settings.seed,
                                  exclude=evaluated)
            if len(chosen) < options.shots:
                logger.warning("label %s: only %d train example(s) for %d shots", label,
                               len(chosen), options.shots)
            examples[label] = as_examples(chosen)
            shots[label] = tuple(r.id for r in chosen)

    decoding = Decoding()
    resolved = {
        system: resolve_model(_model_settings(settings, system)) for system in options.systems
    }
    cache = GenerationCache(options.out / GENERATIONS)
    raws: dict[str, list[str | None]] = {s: [None] * len(records) for s in options.systems}
    cached: dict[str, set[int]] = {s: set() for s in options.systems}
    pending: dict[str, list[_Pending]] = {s: [] for s in options.systems}
    prompt_hashes: dict[str, list[str]] = {s: [] for s in options.systems}
    keys: dict[str, list[str]] = {s: [] for s in options.systems}
    fit = BudgetFitter(settings)  # the base model's tokenizer: the adapter does not change it
    for system in options.systems:
        model = resolved[system]
        for index, (record, spec) in enumerate(zip(records, specs)):
            messages = fit(prompt_for(system, record, examples.get(record.label, ())))
            budget = min(spec.max_new_tokens, settings.max_new_tokens)
            prompt_hash = messages_hash(messages)
            key = generation_key(
                system=system, record_id=record.id, prompt_hash=prompt_hash,
                model_hash=model.model_hash, adapter_hash=model.adapter_hash,
                max_new_tokens=budget, decoding=decoding,
            )
            prompt_hashes[system].append(prompt_hash)
            keys[system].append(key)
            hit = cache.get(key)
            if hit is not None:
                raws[system][index] = hit
                cached[system].add(index)
            else:
                pending[system].append(_Pending(system, index, messages, key, budget))

    seconds: dict[str, float] = {"load": 0.0}
    make = make_generator or (lambda s: _load_generator(s, options.progress))
    # base systems share one loaded model; the adapter system loads it again with the
    # adapter merged, exactly as drafting does
    for group in ([s for s in options.systems if s != ADAPTER], [ADAPTER]):
        todo = [s for s in group if s in options.systems and pending[s]]
        if not todo:
            continue
        start = time.perf_counter()
        generator = make(_model_settings(settings, todo[0]))
        seconds["load"] += time.perf_counter() - start
        for system in todo:
            jobs = pending[system]
            logger.info("docgen eval: %s: generating %d answer(s) (%d cached)", system,
                        len(jobs), len(cached[system]))

            def keep(position: int, raw: str, jobs: list[_Pending] = jobs) -> None:
                job = jobs[position]
                raws[job.system][job.index] = raw
                cache.put(job.key, raw, system=job.system, id=records[job.index].id)

            start = time.perf_counter()
            texts = generator.generate([j.messages for j in jobs], [j.budget for j in jobs],
                                       on_result=keep)
            seconds[system] = time.perf_counter() - start
            for position, text in enumerate(texts):  # generators that do not stream
                if raws[system][jobs[position].index] is None:
                    keep(position, text)
        del generator

    outputs: dict[str, tuple[Output, ...]] = {}
    for system in options.systems:
        scored: list[Output] = []
        for index, (record, spec) in enumerate(zip(records, specs)):
            raw = raws[system][index] or ""
            text = tidy(raw, spec)
            verdict = verify_draft(text, record.object_facts(), record.context(), section=spec)
            # what a page would show: the sentences the facts support (a code draft: all)
            check = None if spec.code else verify_prose(
                text, record.object_facts(), record.context(), section=spec)
            shown = text if check is None else check.text
            scored.append(Output(
                system=system, record_id=record.id, prompt_hash=prompt_hashes[system][index],
                key=keys[system][index], raw=raw, text=shown,
                reasons=tuple(map(str, verdict.reasons)),
                score=_score(shown, record.completion, passed=verdict.ok, label=record.label,
                             sentences=len(check.kept) + len(check.dropped) if check else 0,
                             kept=len(check.kept) if check else 0),
                cached=index in cached[system],
            ))
        outputs[system] = tuple(scored)
    summaries = {s: aggregate_by_label([o.score for o in outputs[s]]) for s in options.systems}
    any_model = resolved[options.systems[0]]
    adapter = resolved.get(ADAPTER)
    return EvalResult(
        corpus=corpus,
        split=options.split,
        systems=options.systems,
        records=tuple(records),
        outputs=outputs,
        summaries=summaries,
        shots=shots,
        model={
            "name": any_model.name,
            "model_hash": any_model.model_hash,
            "adapter": str(adapter.adapter) if adapter is not None else None,
            "adapter_hash": adapter.adapter_hash if adapter is not None else None,
            "decoding": decoding.as_dict(),
            "prompt_version": PROMPT_VERSION,
        },
        seconds=seconds,
        settings={
            "seed": settings.seed,
            "shots": options.shots,
            "limit": options.limit,
            "max_new_tokens": settings.max_new_tokens,
            "batch_size": settings.batch_size,
        },
    )


def check_adapter(settings: Settings) -> Path:
    """The adapter folder `settings` names, checked; a `ModelError` that says what to do."""
    value = (settings.adapter or "").strip()
    leave_out = "or leave --adapter out (--systems base,base-3shot) to evaluate the base model"
    if value.lower() in ("", "none"):
        raise ModelError(f"--adapter {value or '(empty)'}: give the folder `docgen finetune` "
                         f"wrote (it holds adapter_config.json), {leave_out}")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else settings.root_path / path
    if not path.is_dir():
        raise ModelError(f"adapter folder {path} not found: train one with `docgen finetune "
                         f"CORPUS -o {path}` or fix --adapter, {leave_out}", str(path))
    if not (path / "adapter_config.json").is_file():
        raise ModelError(f"{path}: no adapter_config.json, so not a PEFT LoRA adapter folder; "
                         f"point --adapter at what `docgen finetune` wrote, {leave_out}", str(path))
    return path
