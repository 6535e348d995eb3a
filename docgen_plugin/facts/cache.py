"""Facts of unchanged files, kept between runs: one JSON file keyed by content hash.

A second run over an unchanged tree reads this instead of parsing anything. A cache that
cannot be read is reported and ignored (it is rebuilt); a failed write only costs speed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path
from typing import Any

from docgen_plugin import __version__
from docgen_plugin.facts.model import ModuleFacts, from_dict, to_dict
from docgen_plugin.files import atomic_open

logger = logging.getLogger(__name__)
# The code that turns a file into facts: editing it (a new field, a parser fix) must not
# revive facts the old code produced, so its hash is part of the cache file's name.
_PRODUCERS = ("extract.py", "docstrings.py", "numpy_entries.py", "model.py", "behaviour.py")


def code_version() -> str:
    digest = hashlib.blake2b(digest_size=6)
    for name in _PRODUCERS:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def encode(facts: ModuleFacts) -> str:
    """One module's facts as the JSON text the cache file holds: `to_dict` without the fields
    that hold their default (a third of the file; `from_dict` fills them in again)."""
    return json.dumps(_compact(facts), separators=(",", ":"))


def _compact(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            if f.name.startswith("_") or (
                f.default is not MISSING and type(value) is type(f.default) and value == f.default
            ):
                continue
            out[f.name] = _compact(value)
        return out
    if isinstance(obj, (list, tuple)):
        return [_compact(v) for v in obj]
    return to_dict(obj)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class FactsCache:
    """display path -> (content hash, ModuleFacts as JSON), for one docstring style."""

    def __init__(self, folder: Path | None, style: str) -> None:
        name = f"facts-{__version__}-{code_version()}-{style}.json"
        self.file = folder / name if folder else None
        self.entries: dict[str, dict] = {}  # as read from the file
        self.encoded: dict[str, tuple[str, str]] = {}  # display -> (hash, JSON), new this run
        self.dirty = False
        if self.file and self.file.exists():
            try:
                entries = json.loads(self.file.read_text(encoding="utf-8"))
                if not isinstance(entries, dict):
                    raise ValueError("not a JSON object")
                self.entries = entries
            except (OSError, ValueError) as error:
                logger.warning("%s: unreadable facts cache (%s); rebuilding it", self.file, error)

    def get(self, display: str, digest: str) -> ModuleFacts | None:
        entry = self.entries.get(display)
        if not isinstance(entry, dict) or entry.get("hash") != digest:
            return None
        try:
            return from_dict(ModuleFacts, entry["facts"])
        except (KeyError, TypeError, ValueError) as error:
            logger.warning("%s: bad facts cache entry for %s (%s); re-reading", self.file,
                           display, error)
            return None

    @property
    def enabled(self) -> bool:
        return self.file is not None

    def put(self, display: str, digest: str, facts: ModuleFacts) -> None:
        self.put_encoded(display, digest, encode(facts))

    def put_encoded(self, display: str, digest: str, facts_json: str) -> None:
        """Like `put`, with the facts already encoded (by a worker process)."""
        self.entries.pop(display, None)
        self.encoded[display] = (digest, facts_json)
        self.dirty = True

    def save(self, keep: set[str]) -> None:
        """Write atomically (temp file + rename), dropping files no longer in the tree."""
        if not self.file or not (self.dirty or set(self.entries) - keep):
            return
        try:
            with atomic_open(self.file) as out:
                # The same JSON object json.dump would write, joined from encoded pieces.
                separator = "{"
                for display, entry in self.entries.items():
                    if display in keep:
                        out.write(f"{separator}{json.dumps(display)}:")
                        out.write(json.dumps(entry, separators=(",", ":")))
                        separator = ","
                for display, (digest, facts_json) in self.encoded.items():
                    if display in keep:
                        out.write(f'{separator}{json.dumps(display)}:{{"hash":'
                                  f'{json.dumps(digest)},"facts":{facts_json}}}')
                        separator = ","
                out.write("{}" if separator == "{" else "}")
            style = self.file.name.rsplit("-", 1)[-1]
            for old in self.file.parent.glob(f"facts-*-{style}"):  # written by older code
                if old != self.file:
                    old.unlink(missing_ok=True)
        except OSError as error:
            logger.warning("%s: could not write the facts cache (%s)", self.file, error)
