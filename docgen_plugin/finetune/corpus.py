"""`build_corpus`: an organisation's docs -> a labeled, cleaned, deduplicated, leak-free corpus.

    SRC (packages, pages) -> labeled items (corpus_sources) -> clean, drop noise, secrets,
    too short/long (corpus_clean) -> exact and near-duplicate dedupe (MinHash LSH) -> records
    (the draft-time prompt, the human text) -> split by source module (corpus_split) -> JSONL
    splits + data card (corpus_datacard)

Every record's prompt is `build_messages(obj, spec, facts)` for the object with the labeled
section taken out of its docstring, so no record's answer is quoted in its own prompt.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from docgen_plugin.checks.pages.reader import discover_pages
from docgen_plugin.errors import CorpusError
from docgen_plugin.facts.discover import resolve_target
from docgen_plugin.facts.model import Facts, ObjectFacts, to_dict
from docgen_plugin.finetune.corpus_clean import (
    clean,
    has_secret,
    jaccard,
    near_duplicate_pairs,
    normalise,
    reject_reason,
)
from docgen_plugin.finetune.corpus_datacard import build_card, licence_of, write_card
from docgen_plugin.finetune.corpus_docstrings import usage_text
from docgen_plugin.finetune.corpus_sources import Found, LabeledItem, docstring_items, page_items
from docgen_plugin.finetune.corpus_split import SplitItem, UnionFind, assign_splits
from docgen_plugin.finetune.records import SPLITS, CorpusRecord, record_id, write_split
from docgen_plugin.generate.prompts import PROMPT_VERSION, build_messages
from docgen_plugin.sections.catalogue import Catalogue, catalogue_from_settings
from docgen_plugin.sections.context import context_objects
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

# Which copy of a near-duplicate is kept: text people reviewed or wrote for readers first.
_ORIGIN_RANK = {"reviewed": 0, "page": 1, "model-card": 2, "docstring": 3}
SPLIT_MARGIN = 0.2  # near-duplicate pairs this far below the dedupe threshold still join groups


@dataclass(frozen=True)
class CorpusSummary:
    """What `build_corpus` wrote: records per split and label, removals by reason."""

    out: Path
    counts: dict[str, dict[str, int]]
    removed: dict[str, int]
    problems: tuple[str, ...] = ()
    sources: tuple[dict[str, object], ...] = field(default=())

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())


@dataclass(frozen=True)
class _Candidate:
    item: LabeledItem
    completion: str


def _is_code_target(path: Path) -> bool:
    if path.is_file():
        return path.suffix == ".py"
    return (path / "__init__.py").is_file() or any(
        (child / "__init__.py").is_file() for child in path.iterdir() if child.is_dir())


def _resolve(sources: Sequence[str], settings: Settings) -> tuple[list[str], list[str], dict[str, Path]]:
    """Code targets, page targets, and each source's folder (`SourceError` for a missing one)."""
    code: list[str] = []
    pages: list[str] = []
    folders: dict[str, Path] = {}
    for source in sources:
        path = resolve_target(source, settings.root_path)
        folders[source] = path if path.is_dir() else path.parent
        if _is_code_target(path):
            code.append(source)
        if path.is_dir() or path.suffix.lower() in (".md", ".markdown", ".rst"):
            pages.append(source)
    return code, pages, folders


def _group_of(facts: Facts) -> dict[str, str]:
    """file -> dotted module of the objects defined in it."""
    modules: dict[str, str] = {}
    for obj in facts.objects:
        if obj.kind in ("class", "function"):
            modules.setdefault(obj.file, obj.module)
    return modules


def _completion(item: LabeledItem, removed: Counter[str]) -> str | None:
    text = item.text
    if item.label == "usage" and "```" not in text and ">>>" in text:
        text = usage_text(text) or ""
    text = clean(text)
    if item.label == "usage" and "```" not in text:
        removed["no-code"] += 1
        return None
    if item.label == "usage" and text.startswith("```"):
        text = "Example:\n\n" + text  # the usage section opens with one short sentence
    return text


def _candidates(found: Found, settings: Settings) -> list[_Candidate]:
    out: list[_Candidate] = []
    for item in found.items:
        doc = item.obj.docstring
        if has_secret(item.text) or (doc is not None and has_secret(doc.text)):
            found.removed["secret"] += 1
            continue
        completion = _completion(item, found.removed)
        if completion is None:
            continue
        reason = reject_reason(completion, settings)
        if reason is not None:
            found.removed[reason] += 1
            continue
        out.append(_Candidate(item, completion))
    out.sort(key=lambda c: (_ORIGIN_RANK.get(c.item.origin, 9), c.item.source, c.item.line,
                            c.item.label, c.item.obj.path))
    return out


def _dedupe(candidates: list[_Candidate], settings: Settings, removed: Counter[str]
            ) -> tuple[list[_Candidate], list[tuple[int, int]], list[int]]:
    """Candidates left after exact and near dedupe (one per cluster, per label), the pairs of
    kept ones similar enough to stay in one split, and the sizes of near-duplicate clusters."""
    seen: set[tuple[str, str]] = set()
    exact: list[_Candidate] = []
    for candidate in candidates:
        key = (candidate.item.label, normalise(candidate.completion))
        if key in seen:
            removed["duplicate"] += 1
            continue
        seen.add(key)
        exact.append(candidate)
    threshold = settings.near_duplicate_threshold
    low = max(0.3, threshold - SPLIT_MARGIN)
    pairs = near_duplicate_pairs([c.completion for c in exact], low)
    clusters = UnionFind(str(i) for i in range(len(exact)))
    for i, j, score in pairs:
        if score >= threshold and exact[i].item.label == exact[j].item.label:
            clusters.union(str(i), str(j))
    members: dict[str, list[int]] = {}
    for index in range(len(exact)):
        members.setdefault(clusters.find(str(index)), []).append(index)
    keep = sorted(min(group) for group in members.values())  # the best-ranked copy of each
    sizes = [len(group) for group in members.values() if len(group) > 1]
    if len(exact) > len(keep):
        removed["near-duplicate"] += len(exact) - len(keep)
    position = {old: new for new, old in enumerate(keep)}
    split_pairs = [(position[i], position[j]) for i, j, _ in pairs if i in position and j in position]
    return [exact[i] for i in keep], split_pairs, sizes


def _prompt_object(candidate: _Candidate, threshold: float) -> ObjectFacts:
    """The object as the prompt quotes it: a page label's near-copy in the docstring is left out."""
    obj = candidate.item.obj
    doc = obj.docstring
    if candidate.item.origin == "docstring" or doc is None or not doc.text.strip():
        return obj
    completion = normalise(candidate.completion)
    if completion in normalise(doc.text) or jaccard(doc.text, candidate.completion) >= threshold * 0.5:
        return replace(obj, docstring=replace(doc, text="", sections=()))
    return obj


def _leaks(completion: str, messages: list[dict[str, str]]) -> bool:
    needle = normalise(completion)
    return bool(needle) and any(needle in normalise(m["content"]) for m in messages)


def _record(candidate: _Candidate, facts: Facts, catalogue: Catalogue, groups: dict[str, str],
            threshold: float) -> CorpusRecord | None:
    item = candidate.item
    spec = catalogue.specs[item.label]
    obj = _prompt_object(candidate, threshold)
    messages = build_messages(obj, spec, facts)
    if _leaks(candidate.completion, messages) and obj.docstring is not None:
        obj = replace(obj, docstring=replace(obj.docstring, text="", sections=()))
        messages = build_messages(obj, spec, facts)
    if _leaks(candidate.completion, messages):
        return None
    return CorpusRecord(
        id=record_id(item.label, obj.path, candidate.completion),
        label=item.label,
        object=obj.path,
        group=groups.get(obj.file) or obj.module,
        source=item.source,
        line=item.line,
        origin=item.origin,
        package=obj.path.split(".")[0],
        messages=tuple(messages),
        completion=candidate.completion,
        facts=tuple(to_dict(o) for o in context_objects(obj, facts)),
        prompt_version=PROMPT_VERSION,
    )


def section_records(found: Found, facts: Facts, catalogue: Catalogue, settings: Settings
                    ) -> list[tuple[LabeledItem, CorpusRecord]]:
    """Every found section that cleaning keeps, with its record (the prompt it answers),
    neither deduplicated nor split: the written sections of one tree as the style check
    scores them."""
    groups = _group_of(facts)
    pairs = []
    for candidate in _candidates(found, settings):
        record = _record(candidate, facts, catalogue, groups, settings.near_duplicate_threshold)
        if record is not None:
            pairs.append((candidate.item, record))
    return pairs


def build_corpus(sources: Sequence[str], out: Path, settings: Settings) -> CorpusSummary:
    """Read the sources, write `out/{train,validation,test}.jsonl` and the data card."""
    from docgen_plugin.facts.loader import load_facts

    catalogue = catalogue_from_settings(settings)
    code, pages, folders = _resolve(sources, settings)
    facts = load_facts(code or list(settings.packages), settings) if (code or settings.packages) else Facts()
    found = Found(items=[], removed=Counter(), problems=[])
    found.problems += [f"{d.file}:{d.line}: {d.code} {d.message}" for d in facts.diagnostics
                       if d.code in ("DG001", "DG002", "DG007")]
    if code:
        docstring_items(facts, found)
    if pages:
        page_items(discover_pages(pages, settings), facts, catalogue, found)
    candidates = _candidates(found, settings)
    kept, pairs, clusters = _dedupe(candidates, settings, found.removed)
    groups = _group_of(facts)
    records: list[CorpusRecord] = []
    kept_pairs: list[tuple[str, str]] = []
    ids: dict[int, str] = {}
    for index, candidate in enumerate(kept):
        record = _record(candidate, facts, catalogue, groups, settings.near_duplicate_threshold)
        if record is None:
            found.removed["leak"] += 1
            continue
        ids[index] = record.id
        records.append(record)
    if not records:  # nothing to write: say why instead of writing an empty corpus
        raise CorpusError(_why_empty(sources, code, folders, found))
    kept_pairs = [(ids[i], ids[j]) for i, j in pairs if i in ids and j in ids]
    chosen = assign_splits([SplitItem(r.id, r.group) for r in records], kept_pairs,
                           validation_share=settings.validation_share, test_share=settings.test_share,
                           seed=settings.seed)
    splits: dict[str, list[CorpusRecord]] = {split: [] for split in SPLITS}
    for record in sorted(records, key=lambda r: (r.group, r.object, r.label, r.id)):
        splits[chosen[record.id]].append(record)
    for split in SPLITS:
        write_split(out, split, splits[split])
    source_rows = _source_rows(sources, folders, code, records, settings.root_path)
    card = build_card(
        out=out, splits=splits, sources=source_rows, removed=found.removed, clusters=clusters,
        bias_terms=settings.bias_terms, prompt_version=PROMPT_VERSION,
        settings={"seed": settings.seed, "near_duplicate_threshold": settings.near_duplicate_threshold,
                  "corpus_min_chars": settings.corpus_min_chars,
                  "corpus_max_chars": settings.corpus_max_chars,
                  "validation_share": settings.validation_share, "test_share": settings.test_share},
        problems=found.problems,
        tokens=_token_lengths(records, settings),
    )
    write_card(out, card)
    return CorpusSummary(out=out, counts=card["counts"], removed=dict(card["removed"]),
                         problems=tuple(found.problems), sources=tuple(source_rows))


def _token_lengths(records: Sequence[CorpusRecord], settings: Settings) -> dict[str, Any]:
    """The data card's token lengths under the base model's tokenizer, when it is ready to
    load (a model not yet converted is not converted for this)."""
    from docgen_plugin.errors import DocgenError
    from docgen_plugin.finetune.corpus_datacard import token_lengths
    from docgen_plugin.generate.model_convert import cache_problem
    from docgen_plugin.generate.model_load import load_tokenizer
    from docgen_plugin.generate.model_resolve import resolve_model

    try:
        resolved = resolve_model(replace(settings, adapter="none"))
        if resolved.embedded and cache_problem(resolved, full=False):
            return {"note": "Not measured: the default model is not prepared yet "
                            "(`docgen model prepare`, then rebuild the corpus)."}
        tokenizer = load_tokenizer(resolved)
        return {"model": resolved.name, "labels": token_lengths(records, tokenizer)}
    except DocgenError as error:
        return {"note": f"Not measured: {error}"}


def _why_empty(sources: Sequence[str], code: list[str], folders: dict[str, Path],
               found: Found) -> str:
    named = ", ".join(sources)
    if found.removed:
        removed = ", ".join(f"{reason} {count}" for reason, count in sorted(found.removed.items()))
        return (f"no record left from {named}: every text found was removed ({removed}); "
                "see --min-chars/--max-chars and the sources' docstrings")
    loose = [s for s in sources if s not in code and folders[s].is_dir()
             and any(folders[s].rglob("*.py"))]
    if loose:
        return (f"no docstrings or doc sections found in {named}: {loose[0]} has Python files but "
                "no __init__.py, so it was read as docs pages, not code; name the package "
                "folder (the one with __init__.py), or add one")
    return (f"no docstrings or doc sections found in {named}: give packages whose public "
            "objects have docstrings, or docs pages with sections (Usage, Parameters, ...)")


def _source_rows(sources: Sequence[str], folders: dict[str, Path], code: list[str],
                 records: list[CorpusRecord], root: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    packages = Counter(r.package for r in records)
    for source in sources:
        folder = folders[source]
        if source in code:
            package = _package_name(source, folder)
            rows.append({"source": source, "kind": "package", "package": package,
                         "licence": licence_of(package, folder), "records": packages.get(package, 0)})
        else:
            count = sum(1 for r in records if r.origin != "docstring" and
                        _under(root / r.source, folder))
            rows.append({"source": source, "kind": "pages", "package": "",
                         "licence": licence_of("", folder), "records": count})
    return rows


def _package_name(source: str, folder: Path) -> str:
    if not Path(source).exists() and source.replace(".", "").replace("_", "").isalnum():
        return source.split(".")[0]
    top = folder
    while (top.parent / "__init__.py").is_file():
        top = top.parent
    return top.name if (top / "__init__.py").is_file() else folder.name


def _under(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())
