"""`docgen eval CORPUS --adapter DIR`: compare the base model, the base model with house-style
examples, and the adapter on a corpus's test split (see `finetune.evaluate`).

    docgen eval CORPUS [--adapter DIR] [--model DIR] [--systems base,base-3shot,adapter]
                [--shots 3] [--split test] [--limit N] [--batch-size N] [-o DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from docgen_plugin.errors import CorpusError
from docgen_plugin.finetune.eval_plan import ADAPTER, SYSTEMS, EvalOptions
from docgen_plugin.finetune.records import SPLITS
from docgen_plugin.settings import Settings


def _systems(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the command."""
    parser.add_argument("corpus", type=Path, metavar="CORPUS",
                        help="A corpus folder written by `docgen corpus`.")
    parser.add_argument("--adapter", help="The LoRA adapter folder `docgen finetune` wrote "
                        "(default: `adapter` from [tool.docgen]; without one, only the base systems run).")
    parser.add_argument("--model", help="`default`, or a local Hugging Face model folder "
                        "(overrides `model` in [tool.docgen]).")
    parser.add_argument("--systems", type=_systems, metavar="LIST",
                        help=f"Comma-separated systems to compare (default: {','.join(SYSTEMS)}; "
                        "without an adapter the base ones).")
    parser.add_argument("--shots", type=int, default=3,
                        help="Train examples in the base-3shot prompt (default: 3).")
    parser.add_argument("--split", choices=SPLITS, default="test", help="Split to evaluate on.")
    parser.add_argument("--limit", type=int, metavar="N",
                        help="Evaluate the first N records after a seeded shuffle.")
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help="Prompts generated together (overrides `batch-size`).")
    parser.add_argument("--output", "-o", type=Path, metavar="DIR",
                        help="Where eval.json, eval.md and eval.png go "
                        "(default: CORPUS/eval-<adapter name>).")
    parser.add_argument("--quiet", action="store_true", help="No progress bars.")


def _absolute(value: str | None) -> str | None:
    """A path given on the command line is relative to the current folder, not `root`."""
    if value is None or value.strip().lower() in ("default", "none", ""):
        return value
    return str(Path(value).expanduser().resolve())


def run(args: argparse.Namespace, settings: Settings) -> int:
    from docgen_plugin.finetune.eval_report import text_table, write_reports
    from docgen_plugin.finetune.evaluate import check_adapter, evaluate

    settings = settings.merged(model=_absolute(args.model), adapter=_absolute(args.adapter),
                               batch_size=args.batch_size)
    corpus: Path = args.corpus
    if not corpus.is_dir():
        raise CorpusError(f"corpus folder {corpus} not found: build one with "
                          f"`docgen corpus SRC -o {corpus}`", str(corpus))
    systems = args.systems or (SYSTEMS if settings.adapter else tuple(
        s for s in SYSTEMS if s != ADAPTER))
    adapter = check_adapter(settings) if ADAPTER in systems or args.adapter else None
    out = args.output or corpus / f"eval-{adapter.name if adapter else 'base'}"
    if out.exists() and not out.is_dir():  # before the models run, not after
        raise CorpusError(f"-o {out}: it is a file; give a folder for the report", str(out))
    options = EvalOptions(out=out, systems=systems, shots=args.shots, split=args.split,
                          limit=args.limit, progress=not args.quiet)
    result = evaluate(corpus, settings, options)
    paths = write_reports(result, out)
    print(text_table(result))
    print(f"docgen: {len(result.records)} {args.split} records; report in {paths['md']} "
          f"(details {paths['json'].name}, plot {paths['png'].name})")
    return 0
