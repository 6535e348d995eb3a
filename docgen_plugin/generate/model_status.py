"""`docgen model prepare` and `docgen model info`: convert the default now, or say what drafts.

`model_info` reads file headers only; it never loads or converts the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from docgen_plugin.generate.hardware import choose_device, choose_dtype, compute_path, cpu_info
from docgen_plugin.generate.model_convert import cache_problem, ensure_converted
from docgen_plugin.generate.model_hashing import weights_summary
from docgen_plugin.generate.model_resolve import ResolvedModel, adapter_origin, resolve_model
from docgen_plugin.generate.userdirs import docgen_home
from docgen_plugin.settings import Settings


def prepare_model(settings: Settings, *, progress: bool = True) -> ResolvedModel:
    """`docgen model prepare`: resolve, and convert (or fully verify) the default model now."""
    resolved = resolve_model(settings)
    if resolved.embedded:
        ensure_converted(resolved, progress=progress, verify=True)
    return resolved


def model_info(settings: Settings) -> dict[str, Any]:
    """`docgen model info`: what would draft, where its files are, and its hashes. Reads file
    headers only; never loads or converts the model."""
    resolved = resolve_model(settings)
    prepared = not resolved.embedded or cache_problem(resolved, full=False) is None
    info: dict[str, Any] = {
        "name": resolved.name,
        "kind": "embedded default" if resolved.embedded else "local folder",
        "source": str(resolved.source),
        "path": str(resolved.path),
        "prepared": prepared,
        "parameters": None,
        "size_bytes": resolved.source.stat().st_size if resolved.embedded else None,
        "stored_dtypes": [],
    }
    if prepared:
        info.update(weights_summary(resolved.path))
    device = choose_device()
    dtype = choose_dtype(device)
    cpu = cpu_info()
    info.update(
        device=device,
        dtype=dtype,
        cpu=cpu.describe(),
        compute=compute_path(device, dtype, cpu),
        model_hash=resolved.model_hash,
        adapter=str(resolved.adapter) if resolved.adapter else None,
        adapter_origin=adapter_origin(resolved),
        adapter_hash=resolved.adapter_hash,
        adapter_parameters=(
            weights_summary(resolved.adapter, "adapter_model.safetensors")["parameters"]
            if resolved.adapter
            else None
        ),
        home=str(docgen_home()),
        cache_dir=str(resolved.path) if resolved.embedded else None,
        lock=str(resolved.lock) if resolved.embedded else None,
    )
    return info


def describe(info: dict[str, Any]) -> Iterable[str]:
    """`model_info` as aligned `key: value` lines for the terminal."""
    width = max(len(key) for key in info)
    for key, value in info.items():
        if isinstance(value, list):
            value = ", ".join(map(str, value)) or "-"
        yield f"{key.ljust(width)}  {'-' if value is None else value}"
