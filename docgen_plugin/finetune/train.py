"""LoRA training of the drafting model on a corpus: `train` (one run) and `sweep` (several).

The base model is the one drafting resolves (`generate.model_resolve`): the embedded default or a
local folder, safetensors only, no remote code. A PEFT LoRA adapter on every attention and MLP
projection is trained by `training_loop.CompletionTrainer` (a `transformers.Trainer`), so
`accelerate launch` and `torchrun` run it on several processes unchanged: each rank reads
disjoint batches, and only rank 0 writes the adapter and the training record.

Output folder: `adapter_config.json` + `adapter_model.safetensors` (what `PeftModel.from_pretrained`
and docgen's `adapter` setting load), `training_record.{json,md}`, `loss.png`, `ranks/rank{N}.json`
(the record ids each rank trained on), and `checkpoints/` while training (removed on success).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from docgen_plugin.errors import CorpusError
from docgen_plugin.finetune.max_length import AUTO
from docgen_plugin.finetune.training_checkpoints import CHECKPOINTS, prepare_checkpoints
from docgen_plugin.finetune.training_corpus import load_corpus
from docgen_plugin.finetune.training_devices import (
    rank_info,
    share_threads,
    training_arguments,
    use_bf16,
)
from docgen_plugin.finetune.training_lora import install_lean_layers, peft_model
from docgen_plugin.finetune.training_options import TrainOptions
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

RANKS = "ranks"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
PAD_MULTIPLE = 64  # batch widths round up to this: a handful of shapes per run, not hundreds
MAX_DROPPED_SHARE = 0.05  # more examples than this not fitting is an error, not a warning


@dataclass(frozen=True)
class TrainResult:
    """What a run left: the adapter folder, the record (rank 0), and whether it was interrupted."""

    adapter: Path
    record: dict[str, Any]
    interrupted: bool = False
    checkpoint: Path | None = None


def train(
    corpus: Path,
    out: Path,
    settings: Settings,
    options: TrainOptions,
    *,
    resume: bool = False,
    from_adapter: Path | None = None,
    keep_checkpoints: bool = False,
    progress: bool = True,
) -> TrainResult:
    """Train one adapter into `out`. Raises `DocgenError` subclasses for bad input."""
    from docgen_plugin.generate.model_resolve import check_adapter_dir, resolve_model

    train_records, validation_records, data_hash = load_corpus(corpus)
    # the base is the model alone: an `adapter` setting is for drafting (use --from-adapter)
    resolved = resolve_model(replace(settings, adapter="none"))
    if from_adapter is not None:
        check_adapter_dir(from_adapter)
    checkpoints = out / CHECKPOINTS
    run_identity = {
        "corpus_hash": data_hash,
        "model_hash": resolved.model_hash,
        "from_adapter": str(from_adapter) if from_adapter else None,
        "options": asdict(options),
    }
    rank, _local_rank, _world = rank_info()
    resume_from = prepare_checkpoints(checkpoints, run_identity, resume=resume, main=rank == 0)
    return run_training(
        train_records,
        validation_records,
        out,
        options,
        resolved=resolved,
        corpus=corpus,
        data_hash=data_hash,
        resume_from=resume_from,
        from_adapter=from_adapter,
        keep_checkpoints=keep_checkpoints,
        progress=progress,
    )


def run_training(
    train_records: Sequence[Any],
    validation_records: Sequence[Any],
    out: Path,
    options: TrainOptions,
    *,
    resolved: Any,
    corpus: Path,
    data_hash: str,
    resume_from: str | None = None,
    from_adapter: Path | None = None,
    keep_checkpoints: bool = False,
    progress: bool = True,
) -> TrainResult:
    from transformers import EarlyStoppingCallback, PrinterCallback, ProgressCallback, set_seed

    from docgen_plugin.finetune.training_data import Collator, ExampleDataset, encode_records
    from docgen_plugin.finetune.training_loop import (
        CompletionTrainer,
        Meter,
        ProgressBar,
        ReleaseFreedMemory,
        StepTimer,
        StopOnSignal,
        install_head_hook,
    )
    from docgen_plugin.finetune.training_record import build_record, write_record
    from docgen_plugin.generate.model_load import load_model

    started = time.perf_counter()
    rank, _local_rank, world_size = rank_info()
    main = rank == 0
    # The frozen base is stored in bf16 where bf16 autocast runs anyway: half the weight and
    # activation memory, no per-step casts; the LoRA weights stay fp32 (peft upcasts them).
    base_dtype = "bfloat16" if use_bf16() else "float32"
    loaded = load_model(resolved, dtype=base_dtype, device="cpu", progress=progress and main)
    share_threads(int(os.environ.get("LOCAL_WORLD_SIZE", world_size)))
    tokenizer = loaded.tokenizer
    length_choice = None
    if options.max_length == AUTO:
        length_choice = _choose_length(tokenizer, train_records, loaded.model.config, options)
        options = replace(options, max_length=length_choice.max_length)
        if main:
            print(f"docgen: {length_choice.describe()}")
    train_data = encode_records(tokenizer, train_records, options.max_length)
    validation_data = encode_records(tokenizer, validation_records, options.max_length)
    for name, data in (("train", train_data), ("validation", validation_data)):
        if data.dropped_share > MAX_DROPPED_SHARE:
            split = corpus / f"{name}.jsonl"
            raise CorpusError(
                f"{split}: {len(data.dropped)} of {len(data.examples) + len(data.dropped)} "
                f"examples do not fit max-length {options.max_length} even with their prompt "
                "fitted; raise --max-length, or rebuild the corpus with a lower `corpus-max-chars`",
                str(split),
            )
    if main:
        for name, data in (("train", train_data), ("validation", validation_data)):
            if data.fitted or data.truncated or data.dropped:
                print(
                    f"docgen: {name}: {len(data.fitted)} prompts fitted, {len(data.truncated)} "
                    f"answers cut and {len(data.dropped)} examples dropped to fit max-length "
                    f"{options.max_length}"
                )
    evaluate = bool(validation_data.examples)
    if not evaluate and main:
        logger.warning("no validation examples: no early stopping, the last step is kept")

    set_seed(options.seed)
    model = loaded.model
    model.train()
    model.config.use_cache = False
    model = peft_model(model, options, from_adapter)
    if options.gradient_checkpointing:
        model.enable_input_require_grads()
    positions = install_head_hook(model)
    lean = install_lean_layers(model, options, main=main)
    positions.capture = lean
    meter = Meter.resumed(Path(resume_from), rank) if resume_from else Meter()
    meter.segment_started = started  # this segment's wall time includes loading the model
    stopper = StopOnSignal()
    callbacks: list[Any] = [StepTimer(meter), ProgressBar(meter, progress), stopper, ReleaseFreedMemory()]
    if evaluate and options.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=options.early_stopping_patience))
    train_set = ExampleDataset(train_data.examples)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    trainer = CompletionTrainer(
        model=model,
        args=training_arguments(out, options, evaluate=evaluate, world_size=world_size, progress=progress),
        train_dataset=train_set,
        eval_dataset=ExampleDataset(validation_data.examples) if evaluate else None,
        data_collator=Collator(pad_token_id=int(pad), multiple=PAD_MULTIPLE),
        callbacks=callbacks,
        positions=positions,
        meter=meter,
        lengths=train_set.lengths,
    )
    for default in (ProgressCallback, PrinterCallback):
        trainer.remove_callback(default)

    previous = {sig: signal.signal(sig, stopper.request) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        output = trainer.train(resume_from_checkpoint=resume_from)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _write_ranks(out, train_set, meter, rank, world_size)
    if stopper.stopped_at is not None:
        checkpoint = out / CHECKPOINTS / f"checkpoint-{stopper.stopped_at}"
        return TrainResult(adapter=out, record={}, interrupted=True, checkpoint=checkpoint)

    log_history = list(trainer.state.log_history)  # the curves: before the best model's final check
    final = trainer.evaluate() if evaluate else {}
    tokens = _all_ranks_sum(meter.tokens)
    record: dict[str, Any] = {}
    if main:
        # the name drafting checks the adapter against (not the converted cache's path)
        trainer.model.peft_config["default"].base_model_name_or_path = (
            resolved.name if resolved.embedded else str(resolved.path))
        trainer.model.save_pretrained(str(out))
        record = build_record(
            trainer=trainer,
            log_history=log_history,
            output=output,
            final=final,
            options=options,
            resolved=resolved,
            corpus=corpus,
            data_hash=data_hash,
            from_adapter=from_adapter,
            data={"train": train_data.summary(), "validation": validation_data.summary(),
                  "max_length": length_choice.as_dict() if length_choice else {
                      "max_length": options.max_length, "reason": "set"}},
            tokens=tokens,
            meter=meter,
            wall=meter.wall_seconds,
            world_size=world_size,
            resumed=resume_from,
        )
        write_record(out, record)
        if not keep_checkpoints:
            shutil.rmtree(out / CHECKPOINTS, ignore_errors=True)
    trainer.accelerator.wait_for_everyone()
    return TrainResult(adapter=out, record=record)


def _choose_length(tokenizer: Any, records: Sequence[Any], config: Any, options: TrainOptions) -> Any:
    from docgen_plugin.finetune.max_length import choose_max_length, memory_cap, position_limit
    from docgen_plugin.finetune.training_data import record_lengths

    lengths = [sum(record_lengths(tokenizer, r)) for r in records]
    ranks = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    cap = min(position_limit(config), memory_cap(config, options.batch_size, ranks=ranks))
    return choose_max_length(lengths, cap)


def _all_ranks_sum(value: int) -> int:
    import torch
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        total = torch.tensor([float(value)])
        if dist.get_backend() == "nccl":
            total = total.cuda()
        dist.all_reduce(total)
        return int(total.item())
    return value


def _write_ranks(out: Path, dataset: Any, meter: Any, rank: int, world_size: int) -> None:
    folder = out / RANKS
    folder.mkdir(parents=True, exist_ok=True)
    steps = [[dataset.examples[i].record_id for i in batch] for batch in meter.seen]
    payload = {"rank": rank, "world_size": world_size, "batches": steps}
    (folder / f"rank{rank}.json").write_text(json.dumps(payload) + "\n", encoding="utf-8")


def sweep(
    corpus: Path,
    out: Path,
    settings: Settings,
    options: TrainOptions,
    grid: Sequence[dict[str, Any]],
    *,
    from_adapter: Path | None = None,
    progress: bool = True,
) -> TrainResult:
    """Train each combination of `grid` into `out/sweep/trial-N`; keep the best by validation loss."""
    rank, _, _ = rank_info()
    trials: list[dict[str, Any]] = []
    results: list[TrainResult] = []
    for number, overrides in enumerate(grid, 1):
        trial_options = replace(options, **overrides)
        folder = out / "sweep" / f"trial-{number}"
        if rank == 0:
            print(f"docgen: sweep trial {number}/{len(grid)}: {overrides}")
        result = train(corpus, folder, settings, trial_options, from_adapter=from_adapter, progress=progress)
        if result.interrupted:
            return result
        results.append(result)
        metrics = result.record.get("metrics", {})
        loss = metrics.get("best_validation_loss") or metrics.get("validation_loss")
        trials.append({"trial": number, "overrides": overrides, "eval_loss": loss, "path": str(folder)})
        if rank == 0:
            print(f"docgen: sweep trial {number}: validation loss {loss}")
    if rank != 0:
        return TrainResult(adapter=out, record={})
    scored = [t for t in trials if t["eval_loss"] is not None]
    if not scored:
        raise CorpusError(f"{corpus}: --sweep needs a validation split to compare trials", str(corpus))
    best = min(scored, key=lambda t: t["eval_loss"])
    best["kept"] = True
    source = Path(best["path"])
    for name in ADAPTER_FILES:
        shutil.copy2(source / name, out / name)
    record = {**results[best["trial"] - 1].record, "sweep": trials}
    from docgen_plugin.finetune.training_record import write_record

    write_record(out, record)
    return TrainResult(adapter=out, record=record)
