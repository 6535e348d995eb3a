"""Memory and step time over a long fine-tuning run, with and without docgen's two remedies.

The same batches in the same order as `docgen finetune` (length-grouped, seed 0) go through
forward + backward + AdamW of the default model with docgen's lean LoRA layers, outside
Trainer, so only the allocator and batch shapes differ between runs. After each step: its
time and the process RSS (`/proc/self/status`, Linux).

    python benchmarks/finetune_drift.py build/default-adapter/corpus --steps 40
    python benchmarks/finetune_drift.py CORPUS --steps 40 --trim --multiple 64

`--trim`: glibc `malloc_trim(0)` after each step; `--multiple N`: batch widths rounded up to
N tokens (what `docgen finetune` does: `ReleaseFreedMemory`, `Collator(multiple=64)`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1e6
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="?", default=Path("build/default-adapter/corpus"),
                        help="A `docgen corpus` folder (default: the one `make default-adapter` builds).")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--trim", action="store_true")
    parser.add_argument("--multiple", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not (args.corpus / "train.jsonl").is_file():
        print(f"skipped: no corpus at {args.corpus} (build one with `make default-adapter` or "
              "`docgen corpus SRC -o DIR`)")
        return 0

    import torch
    from peft import LoraConfig, get_peft_model

    from docgen_plugin.finetune import lean_layers
    from docgen_plugin.finetune.records import read_split
    from docgen_plugin.finetune.training_data import (
        IGNORE,
        Collator,
        encode_records,
        grouped_order,
        next_token_targets,
    )
    from docgen_plugin.finetune.training_loop import install_head_hook, malloc_trim
    from docgen_plugin.generate.default_model import EMBEDDED
    from docgen_plugin.generate.hardware import usable_cpus
    from docgen_plugin.generate.model_load import load_model
    from docgen_plugin.generate.model_resolve import resolve_model
    from docgen_plugin.settings import Settings

    loaded = load_model(resolve_model(Settings(adapter="none")), dtype="bfloat16", device="cpu",
                        progress=False)
    torch.set_num_threads(usable_cpus())
    data = encode_records(loaded.tokenizer, read_split(args.corpus, "train"), args.max_length)
    model = loaded.model
    model.train()
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05,
                                             target_modules=list(EMBEDDED.lora_targets),
                                             task_type="CAUSAL_LM"))
    positions = install_head_hook(model)
    lean_layers.install(model, 0.05)
    positions.capture = True
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4)
    collate = Collator(pad_token_id=0, multiple=args.multiple)
    order = grouped_order([len(e) for e in data.examples], 8, 0, 0)
    trim = malloc_trim() if args.trim else None
    started = time.perf_counter()
    for step in range(args.steps):
        rows = order[step * 8 : (step + 1) * 8]
        batch = collate([{"input_ids": data.examples[i].input_ids, "labels": data.examples[i].labels,
                          "index": i} for i in rows])
        begin = time.perf_counter()
        labels = batch["labels"]
        targets = next_token_targets(labels)
        positions.mask = targets != IGNORE
        with torch.autocast("cpu", dtype=torch.bfloat16):
            model(input_ids=batch["input_ids"])
        loss = lean_layers.answer_cross_entropy(positions.hidden, positions.weight,
                                                targets[positions.mask])
        positions.mask = positions.hidden = None
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if trim is not None:
            trim(0)
        print(f"step {step:3d} width {labels.shape[1]:4d} {time.perf_counter() - begin:6.2f} s "
              f"RSS {rss_gb():.2f} GB", flush=True)
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
