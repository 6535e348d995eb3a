"""DG206: model cards with the required sections, and metadata that agrees with the files."""

from __future__ import annotations

import json
import textwrap

from docgen_plugin.checks.pages import check_page_files, discover_pages

CARD = """\
---
license: apache-2.0
library_name: peft
base_model: Qwen/Qwen2.5-0.5B
pipeline_tag: text-generation
---

# my-adapter

## Model Details

A LoRA adapter.

## Uses

Drafting docs.

## Bias, Risks, and Limitations

English only.

## Training Details

### Training Procedure

Three epochs of LoRA, rank 8.
"""
ADAPTER = {"peft_type": "LORA", "base_model_name_or_path": "Qwen/Qwen2.5-0.5B", "task_type": "CAUSAL_LM"}


def run(tmp_path, settings, facts, card=CARD, adapter=ADAPTER, config=None, name="README.md"):
    folder = tmp_path / "card"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(textwrap.dedent(card), encoding="utf-8")
    if adapter is not None:
        (folder / "adapter_config.json").write_text(json.dumps(adapter), encoding="utf-8")
    if config is not None:
        (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    settings = settings.merged(root=str(tmp_path))
    return sorted((f.code, f.line, f.subject) for f in
            check_page_files(discover_pages([str(folder)], settings), facts, settings))


def test_a_complete_card_with_matching_metadata_is_clean(tmp_path, tiny_settings, tiny_facts):
    assert run(tmp_path, tiny_settings, tiny_facts) == []


def test_missing_and_empty_sections(tmp_path, tiny_settings, tiny_facts):
    card = CARD.replace("## Uses\n\nDrafting docs.\n", "").replace(
        "Three epochs of LoRA, rank 8.", "[More Information Needed]")
    assert run(tmp_path, tiny_settings, tiny_facts, card) == [
        ("DG206", 8, "intended uses"), ("DG206", 19, "training procedure")]


def test_required_sections_come_from_settings(tmp_path, tiny_settings, tiny_facts):
    settings = tiny_settings.merged(model_card_sections=("evaluation",))
    assert run(tmp_path, settings, tiny_facts) == [("DG206", 8, "evaluation")]


def test_metadata_against_the_adapter(tmp_path, tiny_settings, tiny_facts):
    adapter = dict(ADAPTER, base_model_name_or_path="meta-llama/Llama-3.2-1B", task_type="SEQ_CLS")
    card = CARD.replace("library_name: peft", "library_name: transformers")
    assert run(tmp_path, tiny_settings, tiny_facts, card, adapter) == [
        ("DG206", 3, "library_name"), ("DG206", 4, "base_model"), ("DG206", 5, "pipeline_tag")]


def test_local_base_model_paths_are_not_compared(tmp_path, tiny_settings, tiny_facts):
    adapter = dict(ADAPTER, base_model_name_or_path="/home/me/models/qwen")
    assert run(tmp_path, tiny_settings, tiny_facts, adapter=adapter) == []


def test_pipeline_tag_against_config_architectures(tmp_path, tiny_settings, tiny_facts):
    card = CARD.replace("library_name: peft\n", "").replace("base_model: Qwen/Qwen2.5-0.5B\n", "")
    config = {"architectures": ["BertForSequenceClassification"]}
    assert run(tmp_path, tiny_settings, tiny_facts, card, None, config) == [("DG206", 3, "pipeline_tag")]


def test_other_readmes_are_not_cards(tmp_path, tiny_settings, tiny_facts):
    assert run(tmp_path, tiny_settings, tiny_facts, "# A project\n\nNo metadata.\n", None) == []
    assert run(tmp_path, tiny_settings, tiny_facts, CARD, None, name="card.md") == []
