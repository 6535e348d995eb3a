"""Training memory per token of sequence: what `docgen finetune` uses to cap an automatic
`max-length` (`finetune/max_length.py`, `BYTES_PER_TOKEN`).

Runs `docgen finetune` (its defaults: lean LoRA layers, rank 16 on all projections, no
gradient checkpointing, fp32 where the CPU has no bf16) on the embedded default model for 2
steps of 8 sequences at each length, every sequence filled to the length (synthetic answers
cut to fit), each run in its own process, and reads the peak RSS from the training record.
The slope between lengths, per sequence and per token, is the figure; divide it by the
model's hidden size times its layers to scale it to another model.

    python benchmarks/train_memory.py                 # lengths 384 640 896, ~10 min on 2 cores
    python benchmarks/train_memory.py --lengths 384 1024
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from finetune_speed import BATCH, load_average, run_docgen, synthetic_corpus

from docgen_plugin.finetune.training_record import cpu_model


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[384, 640, 896])
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs; batch {BATCH}, {args.steps} steps per length")
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="docgen-mem-bench-") as tmp:
        root = Path(tmp)
        for length in args.lengths:
            # ~12-word sentences of ~1.5 tokens a word: enough answer to fill every sequence
            corpus = synthetic_corpus(root / f"corpus{length}", BATCH * args.steps,
                                      answer_sentences=length // 12)
            print(f"length {length} (load average {load_average()}) ...", flush=True)
            result = run_docgen(corpus, root / f"out{length}", args.steps, [], max_length=length)
            peaks[length] = float(result["peak_rss_gb"]) * 1e9
    print("\n| max-length | peak RSS |\n|---:|---:|")
    for length, peak in peaks.items():
        print(f"| {length} | {peak / 1e9:.2f} GB |")
    lengths = sorted(peaks)
    if len(lengths) > 1:
        low, high = lengths[0], lengths[-1]
        per_token = (peaks[high] - peaks[low]) / (BATCH * (high - low))
        print(f"\nper token of one sequence: {per_token / 1e6:.3f} MB "
              f"(slope {low} -> {high}, batch {BATCH})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
