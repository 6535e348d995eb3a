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
from pathlib import Path
from typing import Any

from docgen_plugin.files import atomic_write

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
