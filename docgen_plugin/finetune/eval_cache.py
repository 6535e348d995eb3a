"""`docgen eval`'s generation cache: each raw answer, appended to `generations.jsonl` in the
output folder as its batch finishes, keyed by system, record, model and adapter hashes, prompt
hash and decoding: a rerun (after Ctrl-C, or with more systems) generates only what is missing.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from docgen_plugin.generate.generator import Decoding
from docgen_plugin.generate.hardware import numerics_key
from docgen_plugin.store import JsonLog

GENERATIONS = "generations.jsonl"


def generation_key(
    *,
    system: str,
    record_id: str,
    prompt_hash: str,
    model_hash: str,
    adapter_hash: str | None,
    max_new_tokens: int,
    decoding: Decoding,
) -> str:
    """What one cached generation depends on, hashed: the dtype too (`numerics_key`), so an
    int8 or bf16 run never reads fp32 answers."""
    payload = json.dumps(
        {
            "system": system,
            "record": record_id,
            "prompt": prompt_hash,
            "model": model_hash,
            "adapter": adapter_hash,
            "generation": {"max_new_tokens": max_new_tokens, **decoding.as_dict(),
                           **numerics_key()},
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


class GenerationCache:
    """Raw generations by key, in an append-only JSONL file (one line per finished answer)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.log = JsonLog(path, check=_line_problem)

    def get(self, key: str) -> str | None:
        """The raw answer cached under `key`, or None."""
        entry = self.log.read(key)
        return None if entry is None else str(entry["raw"])

    def put(self, key: str, raw: str, **about: str) -> None:
        """Append the answer (`about`: what it answers, for a reader of the file)."""
        self.log.write(key, {**about, "raw": raw})


def _line_problem(entry: dict[str, Any]) -> str | None:
    return None if "raw" in entry else "no `raw`"
