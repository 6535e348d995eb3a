"""Content hashes of model files, and what safetensors headers say, without importing torch.

The draft cache keys on these hashes, so they are computed on every docs build: small files are
hashed whole, multi-GB weights by size, header and samples, and the default model's GGUF hash is
remembered by path, size and mtime.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docgen_plugin.errors import ModelError
from docgen_plugin.files import atomic_write
from docgen_plugin.generate.userdirs import models_dir

logger = logging.getLogger(__name__)

# The converted default model's manifest: it records hashes, so it is not hashed itself.
MANIFEST = "docgen-manifest.json"
# written next to an adapter after training (the style check's calibration): shapes no output,
# and its adapter hash is stored in it, so it is not part of that hash
STYLE_CALIBRATION = "style_calibration.json"
SOURCES = "sources.json"
# Files that change what a model writes; READMEs and the like do not.
HASHED_SUFFIXES = (".json", ".jinja", ".safetensors", ".model", ".txt", ".tiktoken")
FULL_HASH_LIMIT = 64 << 20  # bigger files are fingerprinted by header, size and samples
SAMPLE_SIZE = 64 << 10
SAMPLES = 32


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
            digest.update(read_header_bytes(stream))
        for index in range(SAMPLES):  # the first sample starts the file, the last ends it
            stream.seek((size - SAMPLE_SIZE) * index // (SAMPLES - 1))
            digest.update(stream.read(SAMPLE_SIZE))
    return "sampled:" + digest.hexdigest()


def _hashed_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        unhashed = path.name in (MANIFEST, STYLE_CALIBRATION)
        if path.is_file() and path.suffix in HASHED_SUFFIXES and not unhashed:
            yield path


def folder_fingerprint(folder: Path) -> str:
    """One hash over the files of a model or adapter folder that shape its output."""
    digest = hashlib.sha256()
    for path in _hashed_files(folder):
        digest.update(f"{path.name}\0{file_fingerprint(path)}\n".encode())
    return digest.hexdigest()


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


def read_header_bytes(stream: Any) -> bytes:
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
        header = json.loads(read_header_bytes(stream))
    if not isinstance(header, dict):
        raise ValueError("safetensors header is not a JSON object")
    return header


_DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2,
                "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def whole_safetensors(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The header of a safetensors file whose tensors all lie, at their declared sizes, in
    the file, and fill it to its end (as safetensors itself demands); else None and why."""
    try:
        with path.open("rb") as stream:
            raw = read_header_bytes(stream)
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
