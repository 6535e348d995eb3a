"""`docgen corpus SRC... -o DIR`: build a fine-tuning corpus from an organisation's docs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from docgen_plugin.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the command."""
    parser.add_argument("sources", nargs="+", metavar="SRC",
                        help="Packages (paths or importable names), docs folders, pages, model cards.")
    parser.add_argument("-o", "--out", required=True, type=Path, metavar="DIR",
                        help="Folder for train/validation/test.jsonl and the data card.")
    parser.add_argument("--seed", type=int, default=None, help="Seed of the split (default: settings).")
    parser.add_argument("--threshold", type=float, default=None,
                        help="MinHash Jaccard above which two texts are near-duplicates.")
    parser.add_argument("--min-chars", type=int, default=None, help="Drop shorter texts.")
    parser.add_argument("--max-chars", type=int, default=None, help="Drop longer texts.")
    parser.add_argument("--validation-share", type=float, default=None, help="Share for validation.")
    parser.add_argument("--test-share", type=float, default=None, help="Share for the test split.")
    parser.add_argument("--force", action="store_true",
                        help="Write into DIR even when it holds files that are not a docgen corpus.")


def _settings(args: argparse.Namespace, settings: Settings) -> Settings:
    from docgen_plugin.errors import SettingsError

    merged = settings.merged(
        seed=args.seed, near_duplicate_threshold=args.threshold, corpus_min_chars=args.min_chars,
        corpus_max_chars=args.max_chars, validation_share=args.validation_share,
        test_share=args.test_share,
    )
    if not 0 < merged.near_duplicate_threshold <= 1:
        raise SettingsError("--threshold must be in (0, 1], e.g. 0.8")
    shares = (merged.validation_share, merged.test_share)
    if any(s < 0 for s in shares) or sum(shares) >= 1:
        raise SettingsError("validation and test shares must be >= 0 and sum to less than 1")
    if merged.corpus_min_chars > merged.corpus_max_chars:
        raise SettingsError("--min-chars must not exceed --max-chars")
    return merged


def check_out_folder(out: Path, *, force: bool) -> None:
    """Before any work: `CorpusError` for an output that is a file, or a folder holding other
    things than a docgen corpus (its files would sit beside the splits) unless `force`."""
    from docgen_plugin.errors import CorpusError
    from docgen_plugin.finetune.records import DATACARD_JSON, DATACARD_MD, SPLITS

    if out.exists() and not out.is_dir():
        raise CorpusError(f"-o {out}: it is a file; give a folder for the corpus (new or empty)",
                          str(out))
    if not out.is_dir() or force or (out / DATACARD_JSON).is_file():
        return  # new, forced, or a corpus written before: rewritten in place
    ours = {f"{split}.jsonl" for split in SPLITS} | {DATACARD_JSON, DATACARD_MD}
    others = sorted(p.name for p in out.iterdir() if p.name not in ours)
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise CorpusError(f"-o {out}: the folder holds other files ({shown}) and no docgen "
                          "corpus; give a new or empty folder, or --force to write into it",
                          str(out))


def run(args: argparse.Namespace, settings: Settings) -> int:
    from docgen_plugin.finetune.corpus import build_corpus
    from docgen_plugin.finetune.records import SPLITS

    settings = _settings(args, settings)
    check_out_folder(args.out, force=args.force)
    start = time.perf_counter()
    summary = build_corpus(args.sources, args.out, settings)
    seconds = time.perf_counter() - start
    out = sys.stdout
    labels = sorted({label for counts in summary.counts.values() for label in counts})
    print(f"corpus: {summary.total} records in {args.out} ({seconds:.1f} s)", file=out)
    width = max([len(label) for label in labels] + [5])
    print(f"  {'label':<{width}} " + " ".join(f"{s:>10}" for s in SPLITS), file=out)
    for label in labels:
        row = " ".join(f"{summary.counts[s].get(label, 0):>10}" for s in SPLITS)
        print(f"  {label:<{width}} {row}", file=out)
    row = " ".join(f"{sum(summary.counts[s].values()):>10}" for s in SPLITS)
    print(f"  {'all':<{width}} {row}", file=out)
    if summary.removed:
        removed = ", ".join(f"{reason} {count}" for reason, count in sorted(summary.removed.items()))
        print(f"removed: {removed}", file=out)
    for problem in summary.problems[:10]:
        print(f"skipped: {problem}", file=sys.stderr)
    if len(summary.problems) > 10:
        print(f"skipped: ... {len(summary.problems) - 10} more (see the data card)", file=sys.stderr)
    print(f"data card: {args.out / 'datacard.md'}", file=out)
    return 0
