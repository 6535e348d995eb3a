"""Shared fixtures: offline Hugging Face, a per-session docgen home, tiny and default models.

Models are built once per test session and shared between pytest-xdist workers (a file lock
guards the build), because building them costs seconds (tiny) to ~20 s (default model).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# before anything imports transformers: nothing in the test suite may reach the network
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TINY_CONFIG = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 1024,
    "tie_word_embeddings": True,
    # wide init: peaked logits, so greedy picks are not near-ties decided by rounding noise
    "initializer_range": 0.5,
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "default_model: runs the real embedded default model (slow-ish, ~30 s)"
    )


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    # under xdist each worker has its own basetemp; their parent is this run's, shared
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_build(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder built once per test run by whichever worker gets there first."""
    from filelock import FileLock

    root = _shared_root(factory)
    folder = root / name
    done = root / f"{name}.done"
    with FileLock(str(root / f"{name}.lock")):
        if not done.exists():
            folder.mkdir(parents=True, exist_ok=True)
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session", autouse=True)
def docgen_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`$DOCGEN_HOME` for the session: tests never touch the real user cache."""
    home = tmp_path_factory.mktemp("docgen-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCGEN_HOME", str(home))
        yield home


def smollm2_tokenizer() -> object:
    """The SmolLM2 tokenizer (with its chat template), read from the embedded GGUF."""
    from transformers import AutoTokenizer

    from docgen_plugin.generate.model_resolve import default_gguf

    gguf = default_gguf()
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


def build_tiny_model(folder: Path) -> None:
    """A random 2-layer Llama with the real SmolLM2 tokenizer, saved as safetensors."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = smollm2_tokenizer()
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),  # type: ignore[arg-type]
        bos_token_id=tokenizer.bos_token_id,  # type: ignore[attr-defined]
        eos_token_id=tokenizer.eos_token_id,  # type: ignore[attr-defined]
        pad_token_id=tokenizer.pad_token_id,  # type: ignore[attr-defined]
        **TINY_CONFIG,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-init causal LM folder (safetensors, SmolLM2 tokenizer, chat template).
    Shared by the whole run: copy it before changing anything in it."""
    return shared_build(tmp_path_factory, "tiny-model", build_tiny_model)


def build_tiny_gpt2(folder: Path) -> None:
    """A random 2-layer GPT-2 (Conv1D projections, no q_proj) with the SmolLM2 tokenizer."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = smollm2_tokenizer()  # its chat template: docgen drafts instruct models only
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(tokenizer), n_positions=1024, n_embd=32, n_layer=2, n_head=2,  # type: ignore[arg-type]
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,  # type: ignore[attr-defined]
        pad_token_id=tokenizer.pad_token_id,  # type: ignore[attr-defined]
    )
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def tiny_gpt2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A causal LM that is not a Llama, for the tests of other architectures."""
    return shared_build(tmp_path_factory, "tiny-gpt2", build_tiny_gpt2)


@pytest.fixture(scope="session")
def default_model_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A docgen home where the embedded default model is already converted (once per run).
    Use it with `monkeypatch.setenv("DOCGEN_HOME", str(default_model_home))`."""
    from docgen_plugin.generate.model_status import prepare_model
    from docgen_plugin.settings import Settings

    def build(folder: Path) -> None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DOCGEN_HOME", str(folder))
            prepare_model(Settings(), progress=False)

    return shared_build(tmp_path_factory, "default-home", build)
