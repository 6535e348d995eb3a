"""The training record written next to an adapter: JSON (for tools), Markdown (for people), loss plot.

It says what was trained (base model and its hash, corpus data card hash, prompt version),
how (hyper-parameters, examples cut or dropped), what came out (loss curves, final metrics),
and on what (hardware, library versions, wall time, tokens/s, peak RSS).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from docgen_plugin.files import atomic_write
from docgen_plugin.finetune.training_options import TrainOptions

RECORD_JSON = "training_record.json"
RECORD_MD = "training_record.md"
LOSS_PNG = "loss.png"
RECORD_FORMAT = 1


def peak_rss_bytes() -> int:
    """This process's peak resident set size (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> dict[str, Any]:
    """CPU model and cores, GPUs if any, and torch's thread count."""
    import torch

    from docgen_plugin.generate.hardware import cpu_has_bf16, usable_cpus

    gpus = []
    if torch.cuda.is_available():
        gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return {
        "cpu": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "cpu_bf16": cpu_has_bf16(),
        "threads": torch.get_num_threads(),
        "gpus": gpus,
        "platform": platform.platform(),
    }


def versions() -> dict[str, str]:
    import peft
    import torch
    import transformers

    import docgen_plugin

    return {
        "docgen": docgen_plugin.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
    }


def curves(log_history: list[dict[str, Any]]) -> dict[str, list[list[float]]]:
    """`[step, loss]` pairs of the training and validation loss from `Trainer.state.log_history`."""
    train = [[e["step"], e["loss"]] for e in log_history if "loss" in e and "step" in e]
    validation = [[e["step"], e["eval_loss"]] for e in log_history if "eval_loss" in e]
    return {"train": train, "validation": validation}


def write_record(folder: Path, record: dict[str, Any]) -> None:
    """`training_record.json`, `training_record.md` and `loss.png` into `folder`."""
    record = {"format": RECORD_FORMAT, **record}
    atomic_write(folder / RECORD_JSON, json.dumps(record, indent=2, sort_keys=False) + "\n")
    plot_losses(folder / LOSS_PNG, record.get("curves", {}))
    atomic_write(folder / RECORD_MD, markdown(record))


def plot_losses(path: Path, losses: dict[str, list[list[float]]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.5), dpi=100)
    for name, style in (("train", "-"), ("validation", "o-")):
        points = losses.get(name) or []
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], style, label=name)
    axes.set_xlabel("step")
    axes.set_ylabel("loss (answer tokens)")
    axes.grid(alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return f"`{json.dumps(value)}`"
    return str(value)


def markdown(record: dict[str, Any]) -> str:
    data = record.get("data", {})
    lines = [
        "# Training record",
        "",
        f"Adapter trained by docgen {record.get('versions', {}).get('docgen', '?')} on "
        f"{record.get('finished', '?')}.",
        "",
        "## Inputs",
        "",
        "| | |",
        "|---|---|",
        f"| base model | {record['base_model']['name']} (`{record['base_model']['hash'][:16]}`) |",
        f"| corpus | {record['corpus']['path']} (data card `{record['corpus']['hash']}`) |",
        f"| prompt version | {record['prompt_version']} |",
        f"| started from adapter | {record.get('from_adapter') or '-'} |",
        "",
        "## Data",
        "",
        "| split | examples | prompts fitted | prompt tokens cut (median / max) | answers cut "
        "| dropped | tokens |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for split in ("train", "validation"):
        s = data.get(split, {})
        cut = s.get("prompt_tokens_cut", {})
        lines.append(
            f"| {split} | {s.get('examples', 0)} | {s.get('prompts_fitted', 0)} | "
            f"{cut.get('median', 0)} / {cut.get('max', 0)} | {s.get('truncated', 0)} | "
            f"{s.get('dropped', 0)} | {s.get('tokens', 0)} |"
        )
    length = data.get("max_length") or {}
    if length:
        lines += ["", f"max-length {length.get('max_length')}: {length.get('reason')}"
                  + (f" (whole at {length['whole_length']}, cap {length['cap']}, "
                     f"{length['whole_share']:.0%} of the training examples whole)"
                     if "whole_length" in length else "")]
    lines += ["", "## Hyper-parameters", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in record.get("hyperparameters", {}).items()]
    lines += ["", "## Results", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in record.get("metrics", {}).items()]
    sweep = record.get("sweep") or []
    if sweep:
        lines += ["", "## Sweep", "", "| trial | settings | validation loss | kept |", "|---|---|---:|---|"]
        for trial in sweep:
            lines.append(
                f"| {trial['trial']} | {_fmt(trial['overrides'])} | {_fmt(trial['eval_loss'])} "
                f"| {'yes' if trial.get('kept') else ''} |"
            )
    lines += ["", f"![loss]({LOSS_PNG})", "", "## Environment", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in record.get("hardware", {}).items()]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in record.get("versions", {}).items()]
    return "\n".join(lines) + "\n"


def build_record(
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
    """The record of a finished run (rank 0): what was trained, how, on what, and its curves."""
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
            "best_checkpoint_step": step_of(state.best_model_checkpoint),
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


def step_of(checkpoint: str | None) -> int | None:
    """The step number of a `checkpoint-N` folder."""
    if not checkpoint:
        return None
    tail = Path(checkpoint).name.rpartition("-")[2]
    return int(tail) if tail.isdigit() else None
