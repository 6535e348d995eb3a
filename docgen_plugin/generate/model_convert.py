"""The embedded default model, converted once from its GGUF to safetensors in the user cache.

Reading a GGUF through transformers takes ~20 s (dequantisation and a slow metadata reader), so
the first use converts it once to safetensors in the user cache
(`<docgen home>/models/smollm2-135m-instruct-<gguf sha256 prefix>/`); later loads take ~2 s,
0.8 s of it ours (the rest is transformers importing its Llama modules). The conversion runs
under a file lock, is written to a temporary folder and renamed into place, and records the
sha256 of every file in a manifest that each load checks.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from docgen_plugin.errors import ModelError
from docgen_plugin.generate.model_hashing import (
    MANIFEST,
    file_sha256,
    safetensors_header,
    source_sha256,
)
from docgen_plugin.generate.model_resolve import CONVERTER_VERSION, ResolvedModel

logger = logging.getLogger(__name__)

MANIFEST_FORMAT = 1
LOCK_TIMEOUT_S = 900.0


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The conversion manifest in `folder`, or None when it is missing or not a JSON object."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def cache_problem(resolved: ResolvedModel, *, full: bool) -> str | None:
    """Why the converted default model cannot be used as is (`None`: it can). The quick check
    (manifest, converter version, file sizes, header) runs on every load; `full` also
    compares every file's sha256 with the manifest."""
    folder = resolved.path
    if not folder.is_dir():
        return "not converted yet"
    manifest = read_manifest(folder)
    if manifest is None:
        return f"{MANIFEST} is missing or unreadable"
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("converter") != CONVERTER_VERSION:
        return "made by another docgen version"
    files = manifest.get("files")
    if not isinstance(files, dict) or "model.safetensors" not in files:
        return f"{MANIFEST} lists no model.safetensors"
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if path.stat().st_size != expected.get("size"):
            return f"{name} is truncated or changed (size differs from the manifest)"
    try:
        safetensors_header(folder / "model.safetensors")
    except (OSError, ValueError) as error:
        return f"model.safetensors is corrupt ({error})"
    if full:
        return hash_problem(folder, files)
    return None


def hash_problem(folder: Path, files: dict[str, Any]) -> str | None:
    """The first file whose sha256 differs from the manifest's `files`, said in words."""
    for name, expected in files.items():
        if file_sha256(folder / name) != expected.get("sha256"):
            return f"{name} does not match its sha256 in the manifest"
    return None


def ensure_converted(resolved: ResolvedModel, *, progress: bool = True, verify: bool = False) -> None:
    """Convert the embedded default model unless a usable conversion is in place.

    `verify` hashes every file (~0.5 s) instead of the quick size/header check.
    """
    problem = cache_problem(resolved, full=verify)
    if problem is not None:
        rebuild(resolved, problem, progress=progress)


def rebuild(resolved: ResolvedModel, problem: str, *, progress: bool = True) -> None:
    """(Re)convert the default model under the file lock; another process may have done it
    while we waited, in which case nothing is left to do."""
    from filelock import FileLock, Timeout

    resolved.path.parent.mkdir(parents=True, exist_ok=True)
    if resolved.path.exists():
        logger.warning("%s: %s; rebuilding it from %s", resolved.path, problem, resolved.source)
    else:
        logger.info("converting the default model to %s (once, ~20 s)", resolved.path)
    lock = FileLock(str(resolved.lock))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.info("waiting for another docgen process to convert %s", resolved.path)
        try:
            lock.acquire(timeout=LOCK_TIMEOUT_S)
        except Timeout as error:
            raise ModelError(
                f"{resolved.lock}: another docgen process has held this lock for "
                f"{LOCK_TIMEOUT_S:.0f} s; if none is running, delete the file",
                str(resolved.lock),
            ) from error
    try:
        # whoever held the lock before us may have converted it already
        if resolved.path.exists() and cache_problem(resolved, full=True) is None:
            return
        _convert_into_place(resolved, progress=progress)
    finally:
        lock.release()


def _convert_into_place(resolved: ResolvedModel, *, progress: bool) -> None:
    folder = resolved.path
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        convert_gguf(resolved.source, staging, progress=progress)
        _write_manifest(staging, resolved)
        if folder.exists():
            # a directory cannot be replaced in one rename: move the broken one aside first
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _write_manifest(folder: Path, resolved: ResolvedModel) -> None:
    import transformers

    files = {
        path.name: {"size": path.stat().st_size, "sha256": file_sha256(path)}
        for path in sorted(folder.iterdir())
        if path.is_file()
    }
    manifest = {
        "format": MANIFEST_FORMAT,
        "converter": CONVERTER_VERSION,
        "name": resolved.name,
        "source": str(resolved.source),
        "source_sha256": source_sha256(resolved.source),
        "model_hash": resolved.model_hash,
        "transformers": transformers.__version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def convert_gguf(gguf: Path, out: Path, *, progress: bool = True) -> None:
    """Dequantise a GGUF causal LM into `out` as fp32 safetensors, with its tokenizer."""
    import torch
    from tqdm.auto import tqdm
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf.parent), gguf.name
    options: dict[str, Any] = {"gguf_file": name, "local_files_only": True}
    steps = tqdm(total=4, desc="docgen: converting the default model", disable=not progress)
    with steps:
        config = AutoConfig.from_pretrained(folder, **options)
        steps.update()
        quantised = AutoModelForCausalLM.from_pretrained(
            folder, config=config, trust_remote_code=False, **options
        )
        steps.update()
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False, **options)
        steps.update()
        # transformers refuses save_pretrained on a GGUF-loaded model: rebuild a plain model
        # from the config without its quantization_config and move the weights over
        plain = config.to_dict()
        plain.pop("quantization_config", None)
        plain.pop("_name_or_path", None)
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(type(config).from_dict(plain))
        model.load_state_dict(quantised.state_dict(), assign=True, strict=True)
        model.tie_weights()
        model.generation_config = quantised.generation_config
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        steps.update()
