"""The corpus's data card: sources and licences, counts, removals, lengths and an audit, as JSON
(for tools: `corpus_hash` reads it) and as Markdown (for people)."""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from docgen_plugin.finetune.records import DATACARD_JSON, DATACARD_MD, SPLITS, CorpusRecord, split_path

IMBALANCE_LIMIT = 10.0


def licence_of(package: str, folder: Path | None) -> str:
    """The licence of an installed distribution, else from files beside the source, else unknown."""
    from importlib import metadata

    try:
        dists = metadata.packages_distributions().get(package, [])
    except Exception:
        dists = []
    for dist in dists:
        try:
            meta = metadata.metadata(dist)
        except metadata.PackageNotFoundError:
            continue
        expression = meta.get("License-Expression")
        if expression:
            return str(expression)
        text = meta.get("License")
        if text and len(text) < 80 and "\n" not in text:
            return str(text)
        classifiers = [c.rsplit("::", 1)[-1].strip() for c in meta.get_all("Classifier") or []
                       if c.startswith("License ::")]
        if classifiers:
            return ", ".join(classifiers)
        if text:
            return text.strip().split("\n", 1)[0][:80]
    return _licence_from_files(folder) if folder is not None else "unknown"


def _licence_from_files(folder: Path) -> str:
    for parent in [folder, *list(folder.parents)[:3]]:
        pyproject = parent / "pyproject.toml"
        if pyproject.is_file():
            found = re.search(r'^license\s*=\s*(?:\{\s*text\s*=\s*)?"([^"]+)"',
                              pyproject.read_text(encoding="utf-8", errors="replace"), re.M)
            if found:
                return found.group(1)
        for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING"):
            candidate = parent / name
            if candidate.is_file():
                head = candidate.read_text(encoding="utf-8", errors="replace").strip().split("\n", 1)[0]
                return head.strip()[:80] or "see " + name
    return "unknown"


def _lengths(records: Sequence[CorpusRecord]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    by_label: dict[str, list[int]] = {}
    for record in records:
        by_label.setdefault(record.label, []).append(len(record.completion))
    for label, values in sorted(by_label.items()):
        values.sort()
        out[label] = {"min": values[0], "median": int(statistics.median(values)),
                      "p90": values[min(len(values) - 1, int(0.9 * len(values)))], "max": values[-1]}
    return out


def token_lengths(records: Sequence[CorpusRecord], tokenizer: Any) -> dict[str, dict[str, dict[str, int]]]:
    """Prompt and answer tokens per label (before any fitting), under the model's tokenizer:
    what `max-length` has to hold, visible before training."""
    from docgen_plugin.finetune.training_data import record_lengths

    by_label: dict[str, tuple[list[int], list[int]]] = {}
    for record in records:
        prompt, answer = record_lengths(tokenizer, record)
        prompts, answers = by_label.setdefault(record.label, ([], []))
        prompts.append(prompt)
        answers.append(answer)
    return {label: {"prompt": _spread(prompts), "answer": _spread(answers),
                    "total": _spread([p + a for p, a in zip(prompts, answers)])}
            for label, (prompts, answers) in sorted(by_label.items())}


def _spread(values: list[int]) -> dict[str, int]:
    values = sorted(values)
    return {"min": values[0], "median": int(statistics.median(values)),
            "p90": values[min(len(values) - 1, int(0.9 * len(values)))],
            "p95": values[min(len(values) - 1, int(0.95 * len(values)))], "max": values[-1]}


def _bias(records: Sequence[CorpusRecord], terms: Sequence[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    patterns = {term: re.compile(rf"\b{re.escape(term)}\b", re.I) for term in terms}
    for record in records:
        for term, pattern in patterns.items():
            hits = len(pattern.findall(record.completion))
            if not hits:
                continue
            entry = found.setdefault(term, {"count": 0, "records": 0, "examples": []})
            entry["count"] += hits
            entry["records"] += 1
            if len(entry["examples"]) < 3:
                entry["examples"].append(f"{record.source}:{record.line} ({record.object}, {record.label})")
    return dict(sorted(found.items()))


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_card(
    *,
    out: Path,
    splits: Mapping[str, Sequence[CorpusRecord]],
    sources: Sequence[Mapping[str, Any]],
    removed: Mapping[str, int],
    clusters: Sequence[int],
    bias_terms: Sequence[str],
    prompt_version: str,
    settings: Mapping[str, Any],
    problems: Sequence[str],
    tokens: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The data card's content (JSON-ready)."""
    records = [r for split in SPLITS for r in splits.get(split, ())]
    per_label = Counter(r.label for r in records)
    counts = {split: dict(sorted(Counter(r.label for r in splits.get(split, ())).items()))
              for split in SPLITS}
    ratio = (max(per_label.values()) / min(per_label.values())) if per_label else 0.0
    top = Counter(r.source for r in records).most_common(10)
    return {
        "prompt_version": prompt_version,
        "sources": list(sources),
        "records": {split: len(splits.get(split, ())) for split in SPLITS},
        "counts": counts,
        "labels": dict(sorted(per_label.items())),
        "origins": dict(sorted(Counter(r.origin for r in records).items())),
        "groups": {split: len({r.group for r in splits.get(split, ())}) for split in SPLITS},
        "removed": dict(sorted(removed.items())),
        "lengths": _lengths(records),
        "token_lengths": dict(tokens or {}),
        "audit": {
            "label_imbalance": {"ratio": round(ratio, 2), "flagged": ratio > IMBALANCE_LIMIT,
                                "limit": IMBALANCE_LIMIT},
            "near_duplicate_clusters": {"count": len(clusters), "largest": max(clusters, default=0)},
            "bias_terms": _bias(records, bias_terms),
            "top_sources": [{"source": s, "records": n} for s, n in top],
        },
        "sha256": {split: sha256_file(split_path(out, split)) for split in SPLITS},
        "settings": dict(settings),
        "problems": list(problems[:50]),
    }


def card_markdown(card: Mapping[str, Any]) -> str:
    """The data card for people."""
    lines = ["# Data card", "", f"Prompt version: `{card['prompt_version']}`", "", "## Sources", "",
             "| Source | Package | Licence | Records |", "| --- | --- | --- | --- |"]
    lines += [f"| `{s['source']}` | {s.get('package', '')} | {s.get('licence', 'unknown')} | "
              f"{s.get('records', 0)} |" for s in card["sources"]]
    labels = sorted(card["labels"])
    lines += ["", "## Records per label and split", "",
              "| Label | " + " | ".join(SPLITS) + " | total |", "| --- |" + " --- |" * (len(SPLITS) + 1)]
    for label in labels:
        row = [str(card["counts"][s].get(label, 0)) for s in SPLITS]
        lines.append(f"| {label} | " + " | ".join(row) + f" | {card['labels'][label]} |")
    totals = [str(card["records"][s]) for s in SPLITS]
    lines.append("| **all** | " + " | ".join(totals) + f" | {sum(card['records'].values())} |")
    lines += ["", "## Removed", "", "| Reason | Items |", "| --- | --- |"]
    lines += [f"| {reason} | {count} |" for reason, count in card["removed"].items()] or ["| (none) | 0 |"]
    lines += ["", "## Length of completions (characters)", "", "| Label | min | median | p90 | max |",
              "| --- | --- | --- | --- | --- |"]
    lines += [f"| {label} | {v['min']} | {v['median']} | {v['p90']} | {v['max']} |"
              for label, v in card["lengths"].items()]
    lines += _token_lines(card.get("token_lengths") or {})
    audit = card["audit"]
    imbalance = audit["label_imbalance"]
    flag = " **flagged**" if imbalance["flagged"] else ""
    clusters = audit["near_duplicate_clusters"]
    lines += ["", "## Audit", "",
              f"- Label imbalance (largest / smallest label): {imbalance['ratio']}x{flag} "
              f"(flagged above {imbalance['limit']}x)",
              f"- Near-duplicate clusters removed: {clusters['count']} (largest: {clusters['largest']})",
              "", "### Terms", ""]
    if audit["bias_terms"]:
        lines += ["| Term | Count | Records | Examples |", "| --- | --- | --- | --- |"]
        lines += [f"| {term} | {v['count']} | {v['records']} | {'; '.join(v['examples'])} |"
                  for term, v in audit["bias_terms"].items()]
    else:
        lines.append("None of the configured terms occur.")
    lines += ["", "### Top sources", "", "| Source | Records |", "| --- | --- |"]
    lines += [f"| `{t['source']}` | {t['records']} |" for t in audit["top_sources"]]
    lines += ["", "## Files", "", "| Split | sha256 |", "| --- | --- |"]
    lines += [f"| {split}.jsonl | `{digest}` |" for split, digest in card["sha256"].items()]
    if card.get("problems"):
        lines += ["", "## Input that could not be read", ""] + [f"- {p}" for p in card["problems"]]
    return "\n".join(lines) + "\n"


def _token_lines(tokens: Mapping[str, Any]) -> list[str]:
    lines = ["", "## Length of prompts and answers (tokens)", ""]
    if "note" in tokens or not tokens.get("labels"):
        return [*lines, tokens.get("note", "Not measured.")]
    lines += [f"Tokenizer of `{tokens['model']}`, prompts before fitting. `docgen finetune` fits "
              "longer prompts to `max-length` and chooses it from these when it is not set.", "",
              "| Label | prompt median | prompt p95 | answer median | answer p95 | total p95 | total max |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, v in tokens["labels"].items():
        lines.append(f"| {label} | {v['prompt']['median']} | {v['prompt']['p95']} | "
                     f"{v['answer']['median']} | {v['answer']['p95']} | {v['total']['p95']} | "
                     f"{v['total']['max']} |")
    return lines


def write_card(out: Path, card: Mapping[str, Any]) -> None:
    from docgen_plugin.files import atomic_write

    atomic_write(out / DATACARD_JSON, json.dumps(card, indent=2, sort_keys=True) + "\n")
    atomic_write(out / DATACARD_MD, card_markdown(card))
