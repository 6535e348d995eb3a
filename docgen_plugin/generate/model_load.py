"""Loading a resolved model (and its adapter) for inference; imports torch and transformers.

The embedded default is converted first if its cache is missing or broken, and its manifest's
hashes are checked while it loads.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen_plugin.errors import ModelError
from docgen_plugin.generate.hardware import (
    DTYPE_ENV,
    choose_device,
    choose_dtype,
    configure_threads,
)
from docgen_plugin.generate.model_convert import (
    ensure_converted,
    hash_problem,
    read_manifest,
    rebuild,
)
from docgen_plugin.generate.model_resolve import ResolvedModel
from docgen_plugin.generate.quantize import INT8, quantize_int8

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class LoadedModel:
    """A model ready for inference, with its tokenizer and what was chosen for it."""

    model: Any
    tokenizer: Any
    resolved: ResolvedModel
    dtype: str
    device: str
    load_seconds: float
    threads: int = 1


def load_model(
    resolved: ResolvedModel,
    *,
    dtype: str | None = None,
    device: str | None = None,
    progress: bool = True,
) -> LoadedModel:
    """Load the resolved model (converting the default first if needed) for inference."""
    start = time.perf_counter()
    threads = configure_threads()
    device = device or choose_device()
    dtype = dtype or choose_dtype(device)
    if dtype == INT8 and not device.startswith("cpu"):
        raise ModelError(f"${DTYPE_ENV}=int8 runs on the CPU only, not on {device}; unset it")
    # int8 quantises fp32 weights; with an adapter, load and merge in fp32 and cast after:
    # merging in bf16 loses the update
    weights_dtype = "float32" if dtype == INT8 else dtype
    load_dtype = "float32" if resolved.adapter is not None else weights_dtype
    if resolved.embedded:
        model, tokenizer = _load_embedded(resolved, load_dtype, progress=progress)
    else:
        model, tokenizer = _load_folder(resolved.path, load_dtype)
    if resolved.adapter is not None:
        model = apply_adapter(model, resolved.adapter)
    model = _ready(model, weights_dtype, device)
    if dtype == INT8:
        model = quantize_int8(model)
    seconds = time.perf_counter() - start
    logger.info(
        "loaded %s (%s, %s, %d threads) in %.1f s", resolved.name, dtype, device, threads, seconds
    )
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        resolved=resolved,
        dtype=dtype,
        device=device,
        load_seconds=seconds,
        threads=threads,
    )


def _load_embedded(resolved: ResolvedModel, dtype: str, *, progress: bool) -> tuple[Any, Any]:
    ensure_converted(resolved, progress=progress)
    manifest = read_manifest(resolved.path) or {}
    # hash the files on a second thread while the model loads (hashlib releases the GIL),
    # so checking the manifest's sha256 costs next to no wall time on two cores
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        check = pool.submit(hash_problem, resolved.path, manifest.get("files", {}))
        loaded: tuple[Any, Any] | None = None
        failure = ""
        try:
            loaded = _load_folder(resolved.path, dtype)
        except ModelError as error:  # same size but corrupt bytes; the hash says so too
            failure = str(error)
        problem = check.result() or failure or None
    if problem is None and loaded is not None:
        return loaded
    rebuild(resolved, problem or "it failed to load", progress=progress)
    return _load_folder(resolved.path, dtype)


def _load_folder(path: Path, dtype: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    options: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **options)
        model = AutoModelForCausalLM.from_pretrained(
            path, use_safetensors=True, dtype=dtype, **options
        )
    except (OSError, ValueError) as error:
        raise ModelError(f"{path}: cannot load the model ({error})", str(path)) from error
    return model, tokenizer


def load_tokenizer(resolved: ResolvedModel) -> Any:
    """The model's tokenizer alone (prompt fitting, the data card's token lengths)."""
    from transformers import AutoTokenizer

    if resolved.embedded:
        ensure_converted(resolved, progress=False)
    try:
        return AutoTokenizer.from_pretrained(resolved.path, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError) as error:
        raise ModelError(
            f"{resolved.path}: cannot load the tokenizer ({error})", str(resolved.path)) from error


def apply_adapter(model: Any, adapter: Path, *, merge: bool = True) -> Any:
    """`model` with the LoRA adapter: merged (drafting), or a `PeftModel` whose
    `disable_adapter()` gives the base back (the style check scores both ways)."""
    from peft import PeftModel

    try:
        with warnings.catch_warnings():  # peft asks transformers 5 a deprecated question
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
            with_adapter = PeftModel.from_pretrained(model, str(adapter), is_trainable=False)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise ModelError(
            f"{adapter}: cannot apply the adapter to this model ({error}); was it trained on it?",
            str(adapter),
        ) from error
    # merged once, the LoRA product costs nothing per token
    return with_adapter.merge_and_unload() if merge else with_adapter


def _ready(model: Any, dtype: str, device: str) -> Any:
    import torch

    model = model.to(device=device, dtype=getattr(torch, dtype))
    model.eval()
    model.requires_grad_(False)
    head = model.get_output_embeddings()
    if head is not None:
        head.register_forward_pre_hook(_contiguous_input)
    return model


def _contiguous_input(_module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    # generate() feeds the head the last position of a batched prefill, a non-contiguous
    # slice; torch's linear then broadcasts the [vocab x hidden] weight over the batch and
    # copies it (2 GB for 36 prompts): 11 of 29 s CPU in a profiled draft run
    return (args[0].contiguous(), *args[1:])
