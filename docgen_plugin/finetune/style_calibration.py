"""The style score's distribution on a corpus's validation split, stored next to the adapter.

`docgen finetune` writes `style_calibration.json` after training (`--calibrate-only` for an
adapter trained elsewhere); DG401 reads it and reports a section whose score is beyond the
chosen quantile of its kind's validation scores. The file names the adapter hash and prompt
version it was measured with: scores under another adapter or prompt mean nothing against it.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen_plugin.errors import ModelError
from docgen_plugin.files import atomic_write
from docgen_plugin.finetune.records import CorpusRecord
from docgen_plugin.generate.model_hashing import STYLE_CALIBRATION
from docgen_plugin.settings import Settings

CALIBRATION_FORMAT = 1
MIN_KIND = 10  # a kind with fewer validation scores is judged against all of them together
# the default threshold: the quantile `benchmarks/style_check.py` chose (RESULTS.md, DG401)
DEFAULT_QUANTILE = 0.95
ALL_KINDS = "section"


@dataclass(frozen=True)
class Calibration:
    """Sorted validation scores per section kind, and what they were measured with."""

    path: Path
    adapter_hash: str
    prompt_version: str
    quantile: float
    kinds: dict[str, tuple[float, ...]]

    def knows(self, kind: str) -> bool:
        """Whether sections of this kind are judged at all (the adapter was trained on it)."""
        return bool(self.kinds.get(kind))

    def scores_for(self, kind: str) -> tuple[str, tuple[float, ...]]:
        """The kind's own scores when there are enough of them, else all kinds' together."""
        own = self.kinds.get(kind, ())
        if len(own) >= MIN_KIND or not own:
            return kind, own
        return ALL_KINDS, tuple(sorted(s for scores in self.kinds.values() for s in scores))

    def share_below(self, kind: str, score: float) -> tuple[float, str, int]:
        """The share of validation scores under `score`, the kind it was judged among, and
        how many scores that kind has."""
        judged, scores = self.scores_for(kind)
        if not scores:
            return 0.0, judged, 0
        return bisect.bisect_left(scores, score) / len(scores), judged, len(scores)


def write_calibration(adapter: Path, records: Sequence[CorpusRecord], settings: Settings, *,
                      progress: bool = True) -> Calibration:
    """Score `records` (a validation split) under `adapter` and store the distribution."""
    from dataclasses import replace

    from docgen_plugin.finetune.style_scores import cached_scores
    from docgen_plugin.generate.model_resolve import resolve_model
    from docgen_plugin.generate.prompts import PROMPT_VERSION

    if not records:
        raise ModelError(f"{adapter}: no validation records to calibrate the style check on; "
                         "build the corpus with a validation split (`validation-share`)")
    settings = replace(settings, adapter=str(adapter))
    resolved = resolve_model(settings)
    scores = cached_scores(records, settings, progress=progress)
    kinds: dict[str, list[float]] = {}
    for record, score in zip(records, scores):
        if score is not None:
            kinds.setdefault(record.label, []).append(round(score.score, 6))
    calibration = Calibration(
        path=adapter / STYLE_CALIBRATION, adapter_hash=resolved.adapter_hash or "",
        prompt_version=PROMPT_VERSION, quantile=DEFAULT_QUANTILE,
        kinds={k: tuple(sorted(v)) for k, v in sorted(kinds.items())})
    data = {"format": CALIBRATION_FORMAT, "adapter_hash": calibration.adapter_hash,
            "model_hash": resolved.model_hash, "prompt_version": PROMPT_VERSION,
            "quantile": DEFAULT_QUANTILE, "score": "mean answer-token loss, adapter minus base",
            "kinds": {k: list(v) for k, v in calibration.kinds.items()}}
    atomic_write(calibration.path, json.dumps(data, indent=1) + "\n")
    return calibration


def calibrate_on_corpus(corpus: Path, adapter: Path, settings: Settings, *, progress: bool = True
                        ) -> Calibration:
    """`write_calibration` on the corpus's validation split, the kinds training uses."""
    from docgen_plugin.finetune.records import read_split
    from docgen_plugin.finetune.training_corpus import drafted_only

    split = corpus / "validation.jsonl"
    if not split.is_file():
        raise ModelError(f"{split}: missing; the style calibration is measured on the corpus's "
                         "validation split (build it with `docgen corpus SRC -o CORPUS`)", str(split))
    # the kinds the adapter was trained on: on the others (usage, limitations...) it knows no
    # house voice, and their scores flagged 22 % of in-style usage sections (RESULTS.md, DG401)
    records = drafted_only(read_split(corpus, "validation"))
    return write_calibration(adapter, records, settings, progress=progress)


def describe(calibration: Calibration) -> str:
    """One line for the command's output: how many validation scores of which kinds."""
    kinds = ", ".join(f"{len(v)} {k}" for k, v in calibration.kinds.items())
    return f"style calibration ({kinds}) written to {calibration.path}"


def read_calibration(adapter: Path, adapter_hash: str | None) -> Calibration:
    """The adapter's calibration; a missing, corrupt or mismatched file is a one-line error."""
    from docgen_plugin.generate.prompts import PROMPT_VERSION

    path = adapter / STYLE_CALIBRATION
    fix = f"run `docgen finetune CORPUS -o {adapter} --calibrate-only` with the adapter's corpus"
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; DG401 needs the adapter's style calibration: {fix}",
                         str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path}: unreadable style calibration ({error}); {fix}", str(path)) from error
    kinds = data.get("kinds") if isinstance(data, dict) else None
    if (data.get("format") if isinstance(data, dict) else None) != CALIBRATION_FORMAT or \
            not isinstance(kinds, dict) or not all(
                isinstance(v, list) and all(isinstance(s, (int, float)) for s in v)
                for v in kinds.values()):
        raise ModelError(f"{path}: not a docgen style calibration (format {CALIBRATION_FORMAT}); "
                         f"{fix}", str(path))
    if data.get("adapter_hash") != adapter_hash:
        raise ModelError(f"{path}: measured with another adapter (the adapter's files changed "
                         f"since); {fix}", str(path))
    if data.get("prompt_version") != PROMPT_VERSION:
        raise ModelError(f"{path}: measured with prompt version {data.get('prompt_version')}, "
                         f"docgen's is {PROMPT_VERSION}; {fix}", str(path))
    quantile = data.get("quantile", DEFAULT_QUANTILE)
    return Calibration(path=path, adapter_hash=adapter_hash or "", prompt_version=PROMPT_VERSION,
                       quantile=float(quantile),
                       kinds={str(k): tuple(sorted(float(s) for s in v)) for k, v in kinds.items()})
