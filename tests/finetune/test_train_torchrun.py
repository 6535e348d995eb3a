"""`docgen finetune` under `torchrun --nproc_per_node 2` on CPU (gloo): each rank trains on
disjoint data, and only rank 0 writes the adapter and the training record."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from trainkit import write_corpus


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_processes_see_disjoint_data_and_write_once(
    tiny_model_dir: Path, tmp_path: Path, docgen_home: Path
) -> None:
    # 16 examples, 2 ranks x 4 per batch: 2 steps per epoch, no batch repeated to even out ranks
    corpus = write_corpus(tmp_path / "corpus", train=16, validation=4)
    out = tmp_path / "adapter"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "DOCGEN_HOME": str(docgen_home), "DOCGEN_THREADS": "1",
           "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
           "-m", "docgen_plugin.cli", "finetune", str(corpus), "-o", str(out),
           "--model", str(tiny_model_dir), "--max-steps", "4", "--save-steps", "2", "--batch-size", "4",
           "--learning-rate", "5e-3", "--no-progress"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]

    ranks = [json.loads((out / "ranks" / f"rank{n}.json").read_text()) for n in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2]
    for epoch in range(2):  # per epoch, the two ranks' batches split the training set
        seen = [{i for batch in r["batches"][2 * epoch : 2 * epoch + 2] for i in batch} for r in ranks]
        assert len(seen[0]) == len(seen[1]) == 8
        assert not seen[0] & seen[1]
    assert done.stdout.count("docgen: adapter written to") == 1
    record = json.loads((out / "training_record.json").read_text())
    assert record["hyperparameters"]["world_size"] == 2
    assert record["hyperparameters"]["effective_batch_size"] == 8
    assert record["metrics"]["steps"] == 4
    assert (out / "adapter_model.safetensors").is_file()
    weights = sorted(p.name for p in out.iterdir() if p.suffix == ".safetensors")
    assert weights == ["adapter_model.safetensors"]
