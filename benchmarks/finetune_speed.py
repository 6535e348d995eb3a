"""Fine-tuning speed and memory: `docgen finetune` against TRL's `SFTTrainer` with its defaults.

Both sides train the same LoRA (rank, alpha, dropout, all attention and MLP projections) on
the same base model (the embedded default, fp32 weights as loaded), the same corpus, the same
batch (8 sequences, max length 384) and the same number of steps, each in its own process,
one after the other. The corpus is synthetic with realistic lengths: docgen's system prompt,
a class's facts (signature, parameters, docstring) and a ~120-token human answer, ~340-384
tokens in all. Tokens/s counts non-padding tokens (prompt + answer) per second of optimizer
steps (model load, evaluation and checkpoints excluded, on both sides); peak RSS is the
child's `ru_maxrss`.

    python benchmarks/finetune_speed.py              # 10 steps each (~5 min on 2 cores)
    python benchmarks/finetune_speed.py --steps 20 --only docgen

TRL's defaults that matter here: gradient checkpointing on, bf16 autocast, full-vocabulary
logits over every position (prompt tokens included) before the completion mask applies.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docgen_plugin.finetune.records import DATACARD_JSON, CorpusRecord, record_id, write_split
from docgen_plugin.generate.prompts import SYSTEM

BATCH = 8
MAX_LENGTH = 384
RANK, ALPHA, DROPOUT, LR = 16, 32, 0.05, 2e-4
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
WORDS = ("hidden", "states", "attention", "weights", "tensor", "layer", "batch", "dimension",
         "embedding", "projection", "sequence", "heads", "dropout", "normalised", "residual")


def _sentence(seed: int, words: int) -> str:
    picked = [WORDS[(seed * 7 + i * 3) % len(WORDS)] for i in range(words)]
    return " ".join(picked).capitalize() + "."


def synthetic_corpus(folder: Path, count: int, answer_sentences: int = 6) -> Path:
    records = []
    for i in range(count):
        name = f"Block{i}"
        params = "\n".join(f"- `{w}_{j}`: int = {j * 64} -- {_sentence(i + j, 9)}"
                           for j, w in enumerate(WORDS[: 3 + i % 4]))
        user = (
            f"Section: overview\nObject: class `tinyformer.layers.{name}`\n"
            f"Signature: {name}(dim: int = 256, heads: int = 4, dropout: float = 0.1)\n"
            f"Parameters:\n{params}\nDocstring:\n> {_sentence(i, 14)}\n> {_sentence(i + 5, 12)}\n"
            "Write the overview section."
        )
        completion = " ".join(_sentence(i + k, 12) for k in range(answer_sentences + i % 3))
        records.append(CorpusRecord(
            id=record_id("overview", name, completion), label="overview", object=name,
            group=f"g{i % 5}", source="tinyformer/layers.py",
            messages=({"role": "system", "content": SYSTEM}, {"role": "user", "content": user}),
            completion=completion, prompt_version="1",
        ))
    write_split(folder, "train", records)
    write_split(folder, "validation", records[:8])
    write_split(folder, "test", [])
    (folder / DATACARD_JSON).write_text(json.dumps({"synthetic": count}), encoding="utf-8")
    return folder


def run_docgen(corpus: Path, out: Path, steps: int, extra: list[str],
               max_length: int = MAX_LENGTH) -> dict[str, object]:
    command = [sys.executable, "-m", "docgen_plugin.cli", "finetune", str(corpus), "-o", str(out),
               "--max-steps", str(steps), "--batch-size", str(BATCH), "--max-length", str(max_length),
               "--lora-rank", str(RANK), "--lora-alpha", str(ALPHA), "--lora-dropout", str(DROPOUT),
               "--learning-rate", str(LR), "--save-steps", str(steps * 10), "--no-progress", *extra]
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=out.parent)
    wall = time.perf_counter() - start
    metrics = json.loads((out / "training_record.json").read_text())["metrics"]
    return {"tokens": metrics["train_tokens"], "step_seconds": metrics["train_step_seconds"],
            "tokens_per_second": metrics["tokens_per_second"], "peak_rss_gb":
            metrics["peak_rss_bytes_rank0"] / 1e9, "wall_seconds": round(wall, 1),
            "final_loss": metrics["final_train_loss"]}


def trl_child(corpus: Path, out: Path, steps: int, result: Path) -> None:
    """Runs in a child process: TRL SFTTrainer with its defaults on the same data."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from docgen_plugin.finetune.records import read_split
    from docgen_plugin.generate.model_load import load_model
    from docgen_plugin.generate.model_resolve import resolve_model
    from docgen_plugin.settings import Settings

    loaded = load_model(resolve_model(Settings()), dtype="float32", device="cpu", progress=False)
    model = loaded.model
    model.train()
    model.requires_grad_(True)
    rows = [{"prompt": [dict(m) for m in r.messages],
             "completion": [{"role": "assistant", "content": r.completion}]}
            for r in read_split(corpus, "train")]
    timer = {"seconds": 0.0, "tokens": 0, "started": 0.0}

    class Timer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            timer["started"] = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            timer["seconds"] += time.perf_counter() - timer["started"]

    config = SFTConfig(output_dir=str(out), per_device_train_batch_size=BATCH, max_length=MAX_LENGTH,
                       max_steps=steps, learning_rate=LR, report_to=[], save_strategy="no",
                       logging_steps=1, disable_tqdm=True, include_num_input_tokens_seen="non_padding",
                       use_cpu=True)  # TRL refuses its bf16 default on CPU without it
    lora = LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=DROPOUT, target_modules=TARGETS,
                      task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_list(rows),
                         processing_class=loaded.tokenizer, peft_config=lora, callbacks=[Timer()])
    trainer.train()
    tokens = int(trainer.state.num_input_tokens_seen)
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result.write_text(json.dumps({
        "tokens": tokens, "step_seconds": round(timer["seconds"], 2),
        "tokens_per_second": round(tokens / timer["seconds"], 1), "peak_rss_gb": peak / 1e9,
        "final_loss": losses[-1] if losses else None,
    }))


def run_trl(corpus: Path, out: Path, steps: int, extra: list[str]) -> dict[str, object]:
    result = out.with_suffix(".json")
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--trl-child", str(corpus), str(out), str(steps), str(result)],
                   check=True)
    data = json.loads(result.read_text())
    data["wall_seconds"] = round(time.perf_counter() - start, 1)
    return data


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--only", choices=("docgen", "trl"))
    parser.add_argument("--docgen-args", default="", help="Extra `docgen finetune` flags, quoted.")
    parser.add_argument("--trl-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.trl_child:
        corpus, out, steps, result = args.trl_child
        trl_child(Path(corpus), Path(out), int(steps), Path(result))
        return 0
    with tempfile.TemporaryDirectory(prefix="docgen-ft-bench-") as tmp:
        root = Path(tmp)
        corpus = synthetic_corpus(root / "corpus", BATCH * args.steps)
        from docgen_plugin.finetune.training_record import cpu_model
        from docgen_plugin.generate.hardware import cpu_has_bf16

        print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs, bf16 {'yes' if cpu_has_bf16() else 'no'}; "
              f"{args.steps} steps of {BATCH} x <= {MAX_LENGTH} tokens; LoRA r={RANK} on all projections")
        results = {}
        for name, runner in (("docgen finetune", run_docgen), ("TRL SFTTrainer (defaults)", run_trl)):
            if args.only and not name.lower().startswith(args.only):
                continue
            print(f"running {name} (load average {load_average()}) ...", flush=True)
            folder = root / name.split()[0].lower()
            results[name] = runner(corpus, folder, args.steps, args.docgen_args.split())
        print()
        print("| | tokens/s | peak RSS | step time | final loss | wall (incl. load) |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, r in results.items():
            print(f"| {name} | {r['tokens_per_second']} | {r['peak_rss_gb']:.2f} GB | "
                  f"{r['step_seconds']} s | {r['final_loss']:.3f} | {r['wall_seconds']} s |")
        if len(results) == 2:
            ours, theirs = results.values()
            speed = float(ours["tokens_per_second"]) / float(theirs["tokens_per_second"])
            print(f"\nspeed-up: {speed:.2f}x; "
                  f"memory: {float(theirs['peak_rss_gb']) / float(ours['peak_rss_gb']):.2f}x less")
    return 0


if __name__ == "__main__":
    sys.exit(main())
