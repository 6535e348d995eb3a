"""Crash safety of `docgen finetune`: kill -9 then `--resume` ends where an uninterrupted run
ends; Ctrl-C saves a checkpoint and exits 130 with how to resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from trainkit import write_corpus

STEPS = 16


def command(corpus: Path, out: Path, model: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "docgen_plugin.cli", "finetune", str(corpus), "-o", str(out),
            "--model", str(model), "--max-steps", str(STEPS), "--save-steps", "4", "--batch-size", "4",
            "--learning-rate", "5e-3", "--patience", "0", "--no-progress", *extra]


def environment(home: Path) -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "DOCGEN_HOME": str(home), "DOCGEN_THREADS": "1"}


def start_and_signal(cmd: list[str], out: Path, sig: int, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start training; once checkpoint-4 is complete, send `sig`."""
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marker = out / "checkpoints" / "checkpoint-4" / "trainer_state.json"
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no checkpoint after 120 s"
        time.sleep(0.02)
    process.send_signal(sig)
    return process


def adapter_tensors(out: Path) -> dict[str, object]:
    from safetensors.torch import load_file

    return load_file(str(out / "adapter_model.safetensors"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("resume") / "corpus", train=16, validation=4)


def test_resume_after_kill_matches_uninterrupted_run(
    corpus: Path, tiny_model_dir: Path, tmp_path: Path, docgen_home: Path
) -> None:
    import torch

    env = environment(docgen_home)
    whole, crashed = tmp_path / "whole", tmp_path / "crashed"
    done = subprocess.run(command(corpus, whole, tiny_model_dir), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    process = start_and_signal(command(corpus, crashed, tiny_model_dir), crashed, signal.SIGKILL, env)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not (crashed / "adapter_model.safetensors").exists()

    resumed = subprocess.run(command(corpus, crashed, tiny_model_dir, "--resume"), env=env,
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    record = json.loads((crashed / "training_record.json").read_text())
    reference = json.loads((whole / "training_record.json").read_text())
    assert record["resumed_from"] and record["metrics"]["steps"] == STEPS
    assert record["metrics"]["validation_loss"] == pytest.approx(
        reference["metrics"]["validation_loss"], rel=1e-3)
    # the record counts the steps before the crash too, not just the resumed segment
    assert record["metrics"]["train_tokens"] == reference["metrics"]["train_tokens"]
    assert record["metrics"]["train_step_seconds"] > 0
    ranks = json.loads((crashed / "ranks" / "rank0.json").read_text())
    assert ranks == json.loads((whole / "ranks" / "rank0.json").read_text())
    ours, theirs = adapter_tensors(crashed), adapter_tensors(whole)
    assert ours.keys() == theirs.keys()
    for name, tensor in ours.items():
        assert torch.allclose(tensor, theirs[name], atol=1e-4), name  # type: ignore[arg-type]


def test_ctrl_c_saves_a_checkpoint_and_exits_130(
    corpus: Path, tiny_model_dir: Path, tmp_path: Path, docgen_home: Path
) -> None:
    env = environment(docgen_home)
    out = tmp_path / "adapter"
    process = start_and_signal(command(corpus, out, tiny_model_dir), out, signal.SIGINT, env)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    message = [line for line in stderr.splitlines() if line.startswith("docgen: interrupted")]
    assert len(message) == 1 and "--resume" in message[0]
    saved = message[0].split("checkpoint saved in ")[1].split(";")[0]
    assert (Path(saved) / "trainer_state.json").is_file()
    assert not (out / "adapter_model.safetensors").exists()

    resumed = subprocess.run(command(corpus, out, tiny_model_dir, "--resume"), env=env,
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "adapter_model.safetensors").is_file()


def test_resume_without_checkpoint_is_an_error(
    corpus: Path, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from docgen_plugin.cli import main

    code = main(command(corpus, tmp_path / "none", tiny_model_dir, "--resume")[3:])
    assert code == 2
    assert "--resume: no checkpoint in" in capsys.readouterr().err
