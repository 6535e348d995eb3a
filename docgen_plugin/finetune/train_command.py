"""`docgen finetune CORPUS -o ADAPTER`: train a LoRA adapter on a corpus.

Arguments only; the work is in `finetune.train` (imported when the command runs, so
`docgen finetune --help` never imports torch).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from docgen_plugin.finetune.training_options import FROM_SETTINGS, TrainOptions
from docgen_plugin.settings import Settings

# flag -> TrainOptions field; help and type come from the field, unset flags fall back to the
# [tool.docgen] setting of the train group (`FROM_SETTINGS`)
FLAGS: tuple[tuple[str, str], ...] = (
    ("--learning-rate", "learning_rate"),
    ("--epochs", "epochs"),
    ("--batch-size", "batch_size"),
    ("--max-length", "max_length"),
    ("--lora-rank", "lora_rank"),
    ("--lora-alpha", "lora_alpha"),
    ("--lora-dropout", "lora_dropout"),
    ("--weight-decay", "weight_decay"),
    ("--save-steps", "save_steps"),
    ("--patience", "early_stopping_patience"),
    ("--seed", "seed"),
    ("--max-steps", "max_steps"),
    ("--gradient-accumulation", "gradient_accumulation"),
    ("--warmup-ratio", "warmup_ratio"),
)
_OPTIONS = {f.name: f for f in fields(TrainOptions)}


def _help(dest: str) -> str:
    """The field's help, naming its setting (`%` doubled: argparse formats help texts)."""
    text = _OPTIONS[dest].metadata["help"].replace("%", "%%")
    setting = FROM_SETTINGS.get(dest)
    return f"{text.rstrip('.')} (setting {setting.replace('_', '-')})." if setting else text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the command."""
    parser.add_argument("corpus", type=Path, help="A corpus folder written by `docgen corpus`.")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="ADAPTER",
                        help="Folder for the adapter, its training record and checkpoints.")
    parser.add_argument("--model", help="Base model: `default` or a local HF folder (setting model).")
    parser.add_argument("--from-adapter", type=Path, metavar="DIR",
                        help="Continue training this LoRA adapter instead of starting a new one.")
    parser.add_argument("--resume", action="store_true",
                        help="Continue from the latest checkpoint in ADAPTER/checkpoints.")
    parser.add_argument("--sweep", action="append", default=[], metavar="KEY=V1,V2",
                        help="Train every combination (e.g. lr=1e-4,3e-4 rank=8,16); keep the best "
                             "by validation loss. Repeatable.")
    parser.add_argument("--gradient-checkpointing", action="store_true", default=None,
                        help=_help("gradient_checkpointing"))
    parser.add_argument("--no-lean-layers", dest="lean_layers", action="store_false", default=None,
                        help="Train with peft's own LoRA layers, not " + _help("lean_layers"))
    parser.add_argument("--keep-checkpoints", action="store_true",
                        help="Keep ADAPTER/checkpoints after a successful run.")
    parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
    parser.add_argument("--calibrate-only", action="store_true",
                        help="Train nothing: (re)write ADAPTER/style_calibration.json, the "
                             "style check's (DG401) scores on CORPUS's validation split.")
    for flag, dest in FLAGS:
        parser.add_argument(flag, dest=dest, type=type(_OPTIONS[dest].default), help=_help(dest))


def run(args: argparse.Namespace, settings: Settings) -> int:
    from docgen_plugin.errors import ModelError, SettingsError

    if args.output.exists() and not args.output.is_dir():  # before anything is loaded
        raise SettingsError(f"-o {args.output}: it is a file; give a folder for the adapter "
                            "(a new one, or one `docgen finetune` wrote)")
    from docgen_plugin.finetune.train import sweep, train
    from docgen_plugin.finetune.training_devices import rank_info
    from docgen_plugin.finetune.training_options import parse_sweep

    if args.model:
        settings = settings.merged(model=args.model)
    overrides = {dest: getattr(args, dest, None) for _, dest in FLAGS}
    overrides["gradient_checkpointing"] = args.gradient_checkpointing
    overrides["lean_layers"] = args.lean_layers
    options = TrainOptions.from_settings(settings, **overrides)
    grid = parse_sweep(args.sweep)
    if args.resume and args.sweep:
        raise SettingsError("--resume and --sweep cannot be combined; resume one trial's folder instead")
    progress = not args.no_progress
    out: Path = args.output
    if args.calibrate_only:
        return _calibrate(args.corpus, out, settings, progress)
    if len(grid) > 1 or args.sweep:
        result = sweep(corpus=args.corpus, out=out, settings=settings, options=options, grid=grid,
                       from_adapter=args.from_adapter, progress=progress)
    else:
        result = train(args.corpus, out, settings, options, resume=args.resume,
                       from_adapter=args.from_adapter, keep_checkpoints=args.keep_checkpoints,
                       progress=progress)
    rank, _, _ = rank_info()
    if result.interrupted:
        if rank == 0:
            print(
                f"docgen: interrupted: checkpoint saved in {result.checkpoint}; continue with "
                f"`docgen finetune {args.corpus} -o {out} --resume`",
                file=sys.stderr,
            )
        return 130
    if rank == 0:
        metrics = result.record.get("metrics", {})
        print(
            f"docgen: adapter written to {out} ({metrics.get('steps')} steps, validation loss "
            f"{_fmt(metrics.get('validation_loss'))}, {_fmt(metrics.get('tokens_per_second'))} tokens/s); "
            f"record: {out / 'training_record.md'}"
        )
        try:
            return _calibrate(args.corpus, out, settings, progress)
        except ModelError as error:  # the adapter is written: the check's calibration waits
            print(f"docgen: no style calibration: {error}", file=sys.stderr)
    return 0


def _calibrate(corpus: Path, adapter: Path, settings: Settings, progress: bool) -> int:
    from docgen_plugin.finetune.style_calibration import calibrate_on_corpus, describe

    print(f"docgen: {describe(calibrate_on_corpus(corpus, adapter, settings, progress=progress))}")
    return 0


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
