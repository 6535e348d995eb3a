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

import itertools
import json
import logging
import os
import shutil
import signal
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from docgen_plugin.errors import CorpusError, SettingsError
from docgen_plugin.finetune.max_length import AUTO
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

# LoRA on every attention and MLP projection: the Llama family's names (the embedded default,
# Qwen2, Mistral ...); any other causal LM gets peft's "all-linear" (every Linear/Conv1D but
# the head), so a GPT-2 or another architecture trains without a table per model.
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
ALL_LINEAR = "all-linear"
CHECKPOINTS = "checkpoints"
RUN_FILE = "docgen_run.json"
RANKS = "ranks"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
PAD_MULTIPLE = 64  # batch widths round up to this: a handful of shapes per run, not hundreds
MAX_DROPPED_SHARE = 0.05  # more examples than this not fitting is an error, not a warning


@dataclass(frozen=True, kw_only=True)
class TrainOptions:
    """Hyper-parameters of one run (defaults: the `Settings` keys of the same meaning)."""

    learning_rate: float = field(default=2e-4, metadata={"help": "Peak learning rate (linear decay)."})
    epochs: float = field(default=2.0, metadata={"help": "Passes over the training split."})
    batch_size: int = field(default=8, metadata={"help": "Sequences per step and process."})
    max_length: int = field(
        default=AUTO, metadata={"help": "Tokens per sequence (prompt + answer); 0: chosen from the corpus."})
    lora_rank: int = field(default=16, metadata={"help": "LoRA rank r."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha (scale alpha / r)."})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout probability."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay."})
    save_steps: int = field(default=50, metadata={"help": "Checkpoint and validate every N steps."})
    early_stopping_patience: int = field(default=3, metadata={"help": "Validations without gain; 0: off."})
    seed: int = field(default=0, metadata={"help": "Seed of the order, dropout and LoRA init."})
    max_steps: int = field(default=-1, metadata={"help": "Stop after N steps (-1: the epochs)."})
    gradient_accumulation: int = field(default=1, metadata={"help": "Batches per optimizer step."})
    gradient_checkpointing: bool = field(default=False, metadata={"help": "Less memory, ~30% slower."})
    warmup_ratio: float = field(default=0.0, metadata={"help": "Share of steps warming up the lr."})
    lean_layers: bool = field(default=True, metadata={"help": "docgen's fused LoRA layers (Llama)."})

    def __post_init__(self) -> None:
        positive = ("learning_rate", "epochs", "batch_size", "lora_rank", "lora_alpha",
                    "save_steps", "gradient_accumulation")
        for name in positive:
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name.replace('_', '-')} must be positive, not {getattr(self, name)}")
        if self.max_length < 0:
            raise SettingsError(
                f"max-length must be positive (or 0: chosen from the corpus), not {self.max_length}")
        if not 0 <= self.lora_dropout < 1 or self.weight_decay < 0 or self.early_stopping_patience < 0:
            raise SettingsError("lora-dropout must be in [0, 1); weight-decay and patience >= 0")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> TrainOptions:
        values: dict[str, Any] = {
            "learning_rate": settings.learning_rate,
            "epochs": settings.epochs,
            "batch_size": settings.train_batch_size,
            "max_length": settings.max_length,
            "lora_rank": settings.lora_rank,
            "lora_alpha": settings.lora_alpha,
            "lora_dropout": settings.lora_dropout,
            "weight_decay": settings.weight_decay,
            "save_steps": settings.save_steps,
            "early_stopping_patience": settings.early_stopping_patience,
            "seed": settings.seed,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


# sweep keys: the option names, the settings keys, and short forms
SWEEP_ALIASES = {
    "lr": "learning_rate",
    "rank": "lora_rank",
    "r": "lora_rank",
    "alpha": "lora_alpha",
    "dropout": "lora_dropout",
    "batch": "batch_size",
    "train_batch_size": "batch_size",
    "patience": "early_stopping_patience",
}


def parse_sweep(specs: Sequence[str]) -> list[dict[str, Any]]:
    """`["lr=1e-4,3e-4", "rank=8,16"]` -> the grid of overrides (every combination)."""
    names = {f.name: f for f in fields(TrainOptions)}
    axes: list[list[tuple[str, Any]]] = []
    for spec in specs:
        key, sep, values = spec.partition("=")
        name = SWEEP_ALIASES.get(key.strip().replace("-", "_"), key.strip().replace("-", "_"))
        if not sep or name not in names or not values.strip():
            raise SettingsError(
                f"--sweep {spec!r}: use KEY=V1,V2 with KEY one of "
                f"{', '.join(sorted({*names, *SWEEP_ALIASES}))}"
            )
        kind = type(names[name].default)
        try:
            parsed = [_parse_value(kind, v.strip()) for v in values.split(",") if v.strip()]
        except ValueError as error:
            raise SettingsError(f"--sweep {spec!r}: {error}") from error
        axes.append([(name, v) for v in parsed])
    return [dict(combo) for combo in itertools.product(*axes)] if axes else [{}]


def _parse_value(kind: type, text: str) -> Any:
    if kind is bool:
        return text.lower() in ("1", "true", "yes", "on")
    if kind is int:
        return int(float(text)) if float(text).is_integer() else int(text)
    return kind(text)


@dataclass(frozen=True)
class TrainResult:
    """What a run left: the adapter folder, the record (rank 0), and whether it was interrupted."""

    adapter: Path
    record: dict[str, Any]
    interrupted: bool = False
    checkpoint: Path | None = None


def rank_info() -> tuple[int, int, int]:
    """(rank, local rank, world size) from the launcher's environment (torchrun, accelerate)."""
    return (
        int(os.environ.get("RANK", "0")),
        int(os.environ.get("LOCAL_RANK", "0")),
        int(os.environ.get("WORLD_SIZE", "1")),
    )


def load_corpus(corpus: Path) -> tuple[list[Any], list[Any], str]:
    from docgen_plugin.finetune.records import corpus_hash, read_split

    if not corpus.is_dir():
        raise CorpusError(
            f"{corpus}: no such corpus folder; build it first with `docgen corpus SRC -o {corpus}`",
            str(corpus),
        )
    train_records = drafted_only(read_split(corpus, "train"))
    if not train_records:
        raise CorpusError(
            f"{corpus / 'train.jsonl'}: the train split is empty; rebuild the corpus from more "
            "documented code (`docgen corpus SRC -o CORPUS`)",
            str(corpus / "train.jsonl"),
        )
    validation = read_split(corpus, "validation") if (corpus / "validation.jsonl").is_file() else []
    return train_records, drafted_only(validation), corpus_hash(corpus)


def drafted_only(records: list[Any]) -> list[Any]:
    """The records of sections the model drafts: those docgen renders from facts (usage,
    error handling, ...) are never asked of it, so it is not trained on them."""
    from docgen_plugin.sections.catalogue import SECTIONS

    prose = {s.kind for s in SECTIONS if not s.deterministic}
    kept = [r for r in records if r.label in prose]
    if len(kept) < len(records):
        logger.info("docgen: %d records of sections rendered from facts left out of training",
                    len(records) - len(kept))
    return kept


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
    resume_from = _prepare_checkpoints(checkpoints, run_identity, resume=resume, main=rank == 0)
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


def _prepare_checkpoints(
    checkpoints: Path, identity: dict[str, Any], *, resume: bool, main: bool
) -> str | None:
    run_file = checkpoints / RUN_FILE
    if resume:
        last = latest_checkpoint(checkpoints)
        if last is None:
            raise SettingsError(f"--resume: no checkpoint in {checkpoints}; start without --resume")
        try:
            saved = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = None
        if saved is not None and saved != identity:
            changed = sorted(k for k in identity if saved.get(k) != identity[k])
            raise SettingsError(
                f"--resume: {checkpoints} was trained with other {', '.join(changed)}; "
                "resume with the same corpus, model and options, or start without --resume"
            )
        return last
    if main:
        if checkpoints.exists():
            logger.warning("%s: starting over (use --resume to continue)", checkpoints)
            shutil.rmtree(checkpoints)
        checkpoints.mkdir(parents=True, exist_ok=True)
        run_file.write_text(json.dumps(identity, indent=2) + "\n", encoding="utf-8")
    return None


def latest_checkpoint(checkpoints: Path) -> str | None:
    """The newest complete checkpoint: a kill -9 while saving leaves one without
    `trainer_state.json` (written last), which is skipped."""
    if not checkpoints.is_dir():
        return None
    complete = [
        p for p in checkpoints.glob("checkpoint-*")
        if p.name.rpartition("-")[2].isdigit() and (p / "trainer_state.json").is_file()
    ]
    if not complete:
        return None
    return str(max(complete, key=lambda p: int(p.name.rpartition("-")[2])))


def _threads(local_world: int) -> None:
    """All usable CPUs, shared among this machine's ranks. Not drafting's rule (CPUs minus those
    busy at load time): a process busy for a moment at start would halve an hour-long run."""
    import torch

    from docgen_plugin.generate.hardware import THREADS_ENV, usable_cpus

    if not os.environ.get(THREADS_ENV):
        torch.set_num_threads(max(1, usable_cpus() // max(1, local_world)))


def _peft_model(model: Any, options: TrainOptions, from_adapter: Path | None) -> Any:
    import warnings

    with warnings.catch_warnings():  # peft asks transformers 5 a deprecated question
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        return _lora(model, options, from_adapter)


def _lora(model: Any, options: TrainOptions, from_adapter: Path | None) -> Any:
    from peft import LoraConfig, PeftModel, get_peft_model

    from docgen_plugin.errors import ModelError

    if from_adapter is not None:
        try:
            return PeftModel.from_pretrained(model, str(from_adapter), is_trainable=True)
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise ModelError(
                f"{from_adapter}: cannot continue this adapter on this model ({error})", str(from_adapter)
            ) from error
    config = LoraConfig(
        r=options.lora_rank,
        lora_alpha=options.lora_alpha,
        lora_dropout=options.lora_dropout,
        target_modules=lora_targets(model),
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def lora_targets(model: Any) -> list[str] | str:
    """The Llama-family projections where the model has them all, else peft's "all-linear"."""
    names = {name.rpartition(".")[2] for name, _ in model.named_modules()}
    return list(TARGET_MODULES) if set(TARGET_MODULES) <= names else ALL_LINEAR


def _install_lean_layers(model: Any, options: TrainOptions, *, main: bool) -> bool:
    """docgen's fused LoRA layers where the model allows them (`lean_layers.unsupported`)."""
    if not options.lean_layers:
        return False
    from docgen_plugin.finetune import lean_layers

    reason = lean_layers.unsupported(model)
    if reason is None and options.gradient_checkpointing:
        reason = "--gradient-checkpointing is on"
    if reason is not None:
        if main:
            logger.info("training with peft's LoRA layers: %s", reason)
        return False
    lean_layers.install(model, options.lora_dropout)
    return True


def _use_cuda() -> bool:
    import torch

    return torch.cuda.is_available() and os.environ.get("DOCGEN_DEVICE", "") != "cpu"


def _use_bf16() -> bool:
    import torch

    from docgen_plugin.generate.hardware import cpu_has_bf16

    return torch.cuda.is_bf16_supported() if _use_cuda() else cpu_has_bf16()


def _training_arguments(
    out: Path, options: TrainOptions, *, evaluate: bool, world_size: int, progress: bool
) -> Any:
    from transformers import TrainingArguments


    cuda = _use_cuda()
    bf16 = _use_bf16()
    extra: dict[str, Any] = {}
    if world_size > 1 and not cuda:
        extra["ddp_backend"] = "gloo"
    if options.gradient_checkpointing:
        extra["activation_checkpointing_kwargs"] = {"use_reentrant": False}
    return TrainingArguments(
        output_dir=str(out / CHECKPOINTS),
        per_device_train_batch_size=options.batch_size,
        per_device_eval_batch_size=options.batch_size,
        gradient_accumulation_steps=options.gradient_accumulation,
        learning_rate=options.learning_rate,
        weight_decay=options.weight_decay,
        num_train_epochs=options.epochs,
        max_steps=options.max_steps,
        warmup_steps=options.warmup_ratio,
        lr_scheduler_type="linear",
        logging_steps=1,
        save_strategy="steps",
        save_steps=options.save_steps,
        save_total_limit=2,
        eval_strategy="steps" if evaluate else "no",
        eval_steps=options.save_steps if evaluate else None,
        load_best_model_at_end=evaluate,
        metric_for_best_model="eval_loss" if evaluate else None,
        greater_is_better=False if evaluate else None,
        bf16=bf16,
        use_cpu=not cuda,
        activation_checkpointing=options.gradient_checkpointing,
        seed=options.seed,
        data_seed=options.seed,
        report_to=[],
        disable_tqdm=True,
        remove_unused_columns=False,
        label_names=["labels"],
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,
        **extra,
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
    from docgen_plugin.generate.model_load import load_model

    started = time.perf_counter()
    rank, _local_rank, world_size = rank_info()
    main = rank == 0
    # The frozen base is stored in bf16 where bf16 autocast runs anyway: half the weight and
    # activation memory, no per-step casts; the LoRA weights stay fp32 (peft upcasts them).
    base_dtype = "bfloat16" if _use_bf16() else "float32"
    loaded = load_model(resolved, dtype=base_dtype, device="cpu", progress=progress and main)
    _threads(int(os.environ.get("LOCAL_WORLD_SIZE", world_size)))
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
    model = _peft_model(model, options, from_adapter)
    if options.gradient_checkpointing:
        model.enable_input_require_grads()
    positions = install_head_hook(model)
    lean = _install_lean_layers(model, options, main=main)
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
        args=_training_arguments(out, options, evaluate=evaluate, world_size=world_size, progress=progress),
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
        record = _record(
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
        from docgen_plugin.finetune.training_record import write_record

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


def _record(
    *,
    trainer: Any,
    log_history: list[dict[str, Any]],
    output: Any,
    final: dict[str, Any],
    options: TrainOptions,
    resolved: Any,
    corpus: Path,
    data_hash: str,
    from_adapter: Path | None,
    data: dict[str, Any],
    tokens: int,
    meter: Any,
    wall: float,
    world_size: int,
    resumed: str | None,
) -> dict[str, Any]:
    from docgen_plugin.finetune.training_record import curves, hardware, peak_rss_bytes, versions
    from docgen_plugin.generate.prompts import PROMPT_VERSION

    state = trainer.state
    history = curves(log_history)
    train_losses = [loss for _, loss in history["train"]]
    adapter_config = trainer.model.peft_config["default"]
    hyper = {
        **asdict(options),
        "world_size": world_size,
        "effective_batch_size": options.batch_size * options.gradient_accumulation * world_size,
        "bf16": bool(trainer.args.bf16),
        "lean_layers_used": bool(trainer.positions.capture),
        "target_modules": sorted(adapter_config.target_modules or []),
        "lora_rank_used": adapter_config.r,
        "lora_alpha_used": adapter_config.lora_alpha,
    }
    seconds = meter.step_seconds
    return {
        "base_model": {
            "name": resolved.name,
            "embedded": resolved.embedded,
            "path": str(resolved.path),
            "hash": resolved.model_hash,
        },
        "corpus": {"path": str(corpus), "hash": data_hash},
        "prompt_version": PROMPT_VERSION,
        "from_adapter": str(from_adapter) if from_adapter else None,
        "resumed_from": resumed,
        "hyperparameters": hyper,
        "data": data,
        "curves": history,
        "metrics": {
            "steps": state.global_step,
            "epochs": round(float(state.epoch or 0.0), 4),
            "first_train_loss": train_losses[0] if train_losses else None,
            "final_train_loss": train_losses[-1] if train_losses else None,
            "mean_train_loss": float(output.training_loss),
            "validation_loss": final.get("eval_loss"),
            "best_validation_loss": state.best_metric,
            "best_checkpoint_step": _step_of(state.best_model_checkpoint),
            "train_tokens": tokens,
            "tokens_per_second": round(tokens / seconds, 1) if seconds > 0 else None,
            "train_step_seconds": round(seconds, 2),
            "wall_seconds": round(wall, 2),
            "peak_rss_bytes_rank0": peak_rss_bytes(),
        },
        "hardware": hardware(),
        "versions": versions(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _step_of(checkpoint: str | None) -> int | None:
    if not checkpoint:
        return None
    tail = Path(checkpoint).name.rpartition("-")[2]
    return int(tail) if tail.isdigit() else None


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
