"""`docgen finetune` end to end on the tiny model: loss goes down, the adapter is a plain PEFT
adapter that changes the output, the training record is complete; continuing and sweeping."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from trainkit import write_corpus

from docgen_plugin.cli import main

FLAGS = ["--no-progress", "--batch-size", "4", "--learning-rate", "5e-3", "--save-steps", "4",
         "--patience", "0"]


@pytest.fixture(scope="module")
def trained(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("finetune")
    corpus = write_corpus(root / "corpus", train=8, validation=4)
    out = root / "adapter"
    code = main(["finetune", str(corpus), "-o", str(out), "--model", str(tiny_model_dir),
                 "--max-steps", "12", *FLAGS])
    assert code == 0
    return corpus, out


def test_loss_goes_down(trained: tuple[Path, Path]) -> None:
    record = json.loads((trained[1] / "training_record.json").read_text())
    train = [loss for _, loss in record["curves"]["train"]]
    validation = [loss for _, loss in record["curves"]["validation"]]
    assert len(train) == 12 and len(validation) == 3
    assert train[-1] < train[0] * 0.9
    assert validation[-1] < validation[0]


def test_training_record_has_the_fields(trained: tuple[Path, Path], tiny_model_dir: Path) -> None:
    from docgen_plugin.finetune.records import corpus_hash
    from docgen_plugin.generate.model_resolve import resolve_model
    from docgen_plugin.generate.prompts import PROMPT_VERSION
    from docgen_plugin.settings import Settings

    corpus, out = trained
    record = json.loads((out / "training_record.json").read_text())
    assert record["base_model"]["hash"] == resolve_model(Settings(model=str(tiny_model_dir))).model_hash
    assert record["corpus"]["hash"] == corpus_hash(corpus)
    assert record["prompt_version"] == PROMPT_VERSION
    hyper = record["hyperparameters"]
    assert hyper["learning_rate"] == 5e-3 and hyper["batch_size"] == 4 and hyper["lora_rank"] == 16
    assert hyper["lean_layers"] and hyper["lean_layers_used"]  # a Llama model: the fused layers
    assert set(hyper["target_modules"]) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                            "up_proj", "down_proj"}
    assert record["data"]["train"]["examples"] == 8 and record["data"]["train"]["dropped"] == 0
    # no --max-length: chosen from the corpus, and the record says how
    length = record["data"]["max_length"]
    assert hyper["max_length"] == length["max_length"] >= 128 and "whole" in length["reason"]
    assert length["whole_share"] == 1.0 and record["data"]["train"]["prompts_fitted"] == 0
    assert "max-length" in (out / "training_record.md").read_text()
    metrics = record["metrics"]
    for key in ("validation_loss", "final_train_loss", "tokens_per_second", "wall_seconds",
                "peak_rss_bytes_rank0", "train_tokens"):
        assert metrics[key], key
    assert record["hardware"]["cpu"] and record["hardware"]["cpu_cores"]
    # every usable CPU, whatever else ran when the model loaded (drafting's rule is not training's)
    assert record["hardware"]["threads"] == len(os.sched_getaffinity(0))
    assert set(record["versions"]) >= {"docgen", "torch", "transformers", "peft"}
    assert (out / "loss.png").stat().st_size > 1000
    assert "## Hyper-parameters" in (out / "training_record.md").read_text()
    assert not (out / "checkpoints").exists()  # removed after success


def test_adapter_loads_with_plain_peft_and_changes_output(
    trained: tuple[Path, Path], tiny_model_dir: Path
) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out = trained[1]
    assert (out / "adapter_config.json").is_file() and (out / "adapter_model.safetensors").is_file()
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    ids = torch.tensor([[1, 2, 3, 4, 5, 6]])
    with torch.no_grad():
        before = base(input_ids=ids).logits
        tuned = PeftModel.from_pretrained(base, str(out))
        after = tuned(input_ids=ids).logits
    assert not torch.allclose(before, after, atol=1e-4)


def test_adapter_setting_drafts_with_it(trained: tuple[Path, Path], tiny_model_dir: Path) -> None:
    from docgen_plugin.generate.model_load import load_model
    from docgen_plugin.generate.model_resolve import resolve_model
    from docgen_plugin.settings import Settings

    resolved = resolve_model(Settings(model=str(tiny_model_dir), adapter=str(trained[1])))
    assert resolved.adapter_hash
    assert load_model(resolved, dtype="float32", progress=False).model is not None


def test_continue_from_adapter_and_sweep(trained: tuple[Path, Path], tiny_model_dir: Path,
                                         tmp_path: Path) -> None:
    corpus, first = trained
    out = tmp_path / "org"
    code = main(["finetune", str(corpus), "-o", str(out), "--model", str(tiny_model_dir),
                 "--from-adapter", str(first), "--max-steps", "4", *FLAGS,
                 "--sweep", "lr=1e-3,5e-3"])
    assert code == 0
    record = json.loads((out / "training_record.json").read_text())
    assert record["from_adapter"] == str(first)
    trials = record["sweep"]
    assert [t["overrides"]["learning_rate"] for t in trials] == [1e-3, 5e-3]
    assert sum(bool(t.get("kept")) for t in trials) == 1
    kept = min(trials, key=lambda t: t["eval_loss"])
    assert kept["kept"] and record["metrics"]["best_validation_loss"] == kept["eval_loss"]
    # continued, it starts where the first adapter ended: below the first run's first loss
    first_record = json.loads((first / "training_record.json").read_text())
    assert record["curves"]["train"][0][1] < first_record["curves"]["train"][0][1]
    assert (out / "adapter_model.safetensors").is_file()




def test_lean_layers_train_like_peft_layers(trained: tuple[Path, Path], tiny_model_dir: Path,
                                            tmp_path: Path) -> None:
    """Through the whole Trainer, without dropout: the fused layers and peft's layers give the
    same losses step by step (bf16 rounding apart)."""
    corpus = trained[0]
    curves = {}
    for name, extra in (("lean", []), ("peft", ["--no-lean-layers"])):
        out = tmp_path / name
        code = main(["finetune", str(corpus), "-o", str(out), "--model", str(tiny_model_dir),
                     "--max-steps", "4", "--lora-dropout", "0", *FLAGS, *extra])
        assert code == 0
        record = json.loads((out / "training_record.json").read_text())
        assert record["hyperparameters"]["lean_layers_used"] is (name == "lean")
        curves[name] = [loss for _, loss in record["curves"]["train"]]
    assert len(curves["lean"]) == 4
    assert curves["lean"] == pytest.approx(curves["peft"], rel=0.02)
