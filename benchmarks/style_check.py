"""DG401's detection quality: the house adapter's style scores on in-style and off-style sections.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/style_check.py HOUSE_CORPUS OTHER_CORPUS \
        --adapter ADAPTER [--limit 60] [--edits 60] [--cache-dir build/style-cache]

ADAPTER was trained on HOUSE_CORPUS's train split (`docgen finetune`, which also wrote its
calibration from the validation split). Scored, each as the answer to its own prompt:
- in-style: HOUSE_CORPUS's test split;
- off-style: OTHER_CORPUS's test split (another organisation's docs);
- edited: the in-style test overviews broken on purpose (all caps, marketing tone, another
  language, a licence text pasted in), each under its own prompt.
Prints per section kind the ROC AUC of in-style against each off-style set, and at the
calibration's quantiles the share of in-style sections flagged and the precision and recall
on the off-style corpus: the table in RESULTS.md (DG401).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from docgen_plugin.finetune.records import CorpusRecord, read_split
from docgen_plugin.finetune.style_calibration import read_calibration
from docgen_plugin.finetune.style_scores import cached_scores
from docgen_plugin.generate.hardware import cpu_info
from docgen_plugin.generate.model_resolve import resolve_model
from docgen_plugin.settings import Settings

QUANTILES = (0.9, 0.95, 0.97, 0.99)
MIN_N = 5  # kinds with fewer sections on either side are left out of the mean AUC
MARKETING = (
    "Unlock blazing-fast, state-of-the-art results with `{name}`! Our revolutionary, "
    "industry-leading design delivers unmatched performance and effortless scalability. "
    "Try it today and supercharge your workflow!",
    "Meet `{name}`: the game-changing solution your team has been waiting for. Seamless, "
    "powerful and built for the enterprise, it takes your models to the next level.",
    "Say goodbye to slow pipelines! `{name}` is the world's most loved component, trusted by "
    "thousands of happy teams. Don't miss out: upgrade now and see the difference.",
)
GERMAN = (
    "`{name}` ist eine Klasse, die die Eingaben des Modells verarbeitet und die Ausgaben "
    "zurückgibt. Die Parameter werden beim Erstellen des Objekts festgelegt.",
    "Diese Funktion berechnet das Ergebnis für `{name}` und gibt es als Tensor zurück. Bitte "
    "beachten Sie, dass die Eingabe die richtige Form haben muss.",
    "Mit `{name}` lässt sich das Netz einfach konfigurieren. Die Standardwerte eignen sich für "
    "die meisten Anwendungen.",
)
LICENCE = (
    "Licensed under the Apache License, Version 2.0 (the \"License\"); you may not use this "
    "file except in compliance with the License. You may obtain a copy of the License at "
    "http://www.apache.org/licenses/LICENSE-2.0. Unless required by applicable law or agreed "
    "to in writing, software distributed under the License is distributed on an \"AS IS\" "
    "BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied."
)


def edited(records: Sequence[CorpusRecord], seed: int = 0) -> dict[str, list[CorpusRecord]]:
    """The in-style sections broken on purpose, each kept under its own prompt."""
    rng = random.Random(seed)

    def name(r: CorpusRecord) -> str:
        return r.object.rsplit(".", 1)[-1]

    return {
        "all caps": [replace(r, completion=r.completion.upper()) for r in records],
        "marketing": [replace(r, completion=rng.choice(MARKETING).format(name=name(r))) for r in records],
        "German": [replace(r, completion=rng.choice(GERMAN).format(name=name(r))) for r in records],
        "licence": [replace(r, completion=LICENCE) for r in records],
    }


def auc(inside: Sequence[float], outside: Sequence[float]) -> float | None:
    """P(an off-style score > an in-style score), ties half: the Mann-Whitney ROC AUC."""
    if not inside or not outside:
        return None
    wins = sum((o > i) + 0.5 * (o == i) for o in outside for i in inside)
    return wins / (len(inside) * len(outside))


def limited(records: list[CorpusRecord], limit: int, seed: int = 0) -> list[CorpusRecord]:
    """At most `limit` records per kind, a seeded choice."""
    rng = random.Random(seed)
    by_kind: dict[str, list[CorpusRecord]] = {}
    for record in records:
        by_kind.setdefault(record.label, []).append(record)
    out: list[CorpusRecord] = []
    for kind in sorted(by_kind):
        group = by_kind[kind]
        out += group if len(group) <= limit else rng.sample(group, limit)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("house", type=Path)
    parser.add_argument("other", type=Path)
    parser.add_argument("--adapter", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=60, help="test sections per kind and corpus")
    parser.add_argument("--edits", type=int, default=60, help="in-style overviews edited")
    parser.add_argument("--cache-dir", default="build/style-cache")
    args = parser.parse_args()
    settings = Settings(adapter=str(args.adapter), cache_dir=args.cache_dir)
    resolved = resolve_model(settings)
    calibration = read_calibration(args.adapter, resolved.adapter_hash)
    print(f"{time.strftime('%Y-%m-%d %H:%M')} | {cpu_info().describe()} | {os.cpu_count()} CPUs")
    print(f"calibration: {', '.join(f'{len(v)} {k}' for k, v in calibration.kinds.items())}")
    # the kinds DG401 judges: those the calibration holds (the ones the adapter trained on)
    house = [r for r in limited(read_split(args.house, "test"), args.limit) if calibration.knows(r.label)]
    other = [r for r in limited(read_split(args.other, "test"), args.limit) if calibration.knows(r.label)]
    overviews = [r for r in house if r.label == "overview"][: args.edits]
    sets = {"house": house, "other corpus": other, **edited(overviews)}
    start = time.perf_counter()
    scores: dict[str, list[tuple[str, float]]] = {}
    for name, records in sets.items():
        values = cached_scores(records, settings)
        scores[name] = [(r.label, s.score) for r, s in zip(records, values) if s is not None]
    print(f"scored {sum(len(v) for v in sets.values())} sections in {time.perf_counter() - start:.0f} s")
    kinds = sorted({k for k, _ in scores["house"]})
    off_sets = [n for n in sets if n != "house"]
    print("\n| kind | in-style n | " + " | ".join(f"AUC vs {n} (n)" for n in off_sets) + " |")
    print("|---|---:|" + "---:|" * len(off_sets))
    per_kind: dict[str, list[float]] = {n: [] for n in off_sets}
    for kind in kinds:
        inside = [s for k, s in scores["house"] if k == kind]
        cells = []
        for name in off_sets:
            outside = [s for k, s in scores[name] if k == kind]
            value = auc(inside, outside)
            if value is not None and min(len(inside), len(outside)) >= MIN_N:
                per_kind[name].append(value)
            cells.append("-" if value is None else f"{value:.3f} ({len(outside)})")
        print(f"| {kind} | {len(inside)} | " + " | ".join(cells) + " |")
    means = [f"{sum(v) / len(v):.3f} ({len(v)} kinds)" if v else "-" for v in per_kind.values()]
    print(f"| mean over kinds with n >= {MIN_N} | | " + " | ".join(means) + " |")
    print("\n| quantile | in-style flagged % | " + " | ".join(f"{k} flagged %" for k in kinds)
          + " | other corpus: precision | recall | "
          + " | ".join(f"{n} recall" for n in off_sets[1:]) + " |")
    print("|---:|---:|" + "---:|" * len(kinds) + "---:|---:|" + "---:|" * len(off_sets[1:]))
    for quantile in QUANTILES:
        def flagged(pairs: list[tuple[str, float]], q: float = quantile) -> int:
            return sum(calibration.share_below(k, s)[0] >= q for k, s in pairs)

        def share(pairs: list[tuple[str, float]]) -> str:
            return f"{100 * flagged(pairs) / len(pairs):.1f}" if pairs else "-"

        false_alarms = flagged(scores["house"])
        hits = flagged(scores["other corpus"])
        precision = hits / (hits + false_alarms) if hits + false_alarms else 0.0
        by_kind = [share([(k, s) for k, s in scores["house"] if k == kind]) for kind in kinds]
        print(f"| {quantile:.2f} | {share(scores['house'])} | " + " | ".join(by_kind) +
              f" | {100 * precision:.1f} | {share(scores['other corpus'])} | "
              + " | ".join(share(scores[n]) for n in off_sets[1:]) + " |")

if __name__ == "__main__":
    main()
