"""Facts of unchanged files, kept between runs: one JSON file keyed by content hash.

A second run over an unchanged tree reads this instead of parsing anything. A cache that
cannot be read is reported and ignored (it is rebuilt); a failed write only costs speed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from docgen_plugin import __version__
from docgen_plugin.facts.model import ModuleFacts, from_dict, to_dict

logger = logging.getLogger(__name__)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class FactsCache:
    """display path -> (content hash, ModuleFacts as JSON), for one docstring style."""

    def __init__(self, folder: Path | None, style: str) -> None:
        self.file = folder / f"facts-{__version__}-{style}.json" if folder else None
        self.entries: dict[str, dict] = {}
        self.dirty = False
        if self.file and self.file.exists():
            try:
                self.entries = json.loads(self.file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                logger.warning("%s: unreadable facts cache (%s); rebuilding it", self.file, error)

    def get(self, display: str, digest: str) -> ModuleFacts | None:
        entry = self.entries.get(display)
        if not entry or entry.get("hash") != digest:
            return None
        try:
            return from_dict(ModuleFacts, entry["facts"])
        except (KeyError, TypeError, ValueError) as error:
            logger.warning("%s: bad facts cache entry for %s (%s); re-reading", self.file,
                           display, error)
            return None

    def put(self, display: str, digest: str, facts: ModuleFacts) -> None:
        self.entries[display] = {"hash": digest, "facts": to_dict(facts)}
        self.dirty = True

    def save(self, keep: set[str]) -> None:
        """Write atomically (temp file + rename), dropping files no longer in the tree."""
        if not self.file or not (self.dirty or set(self.entries) - keep):
            return
        entries = {k: v for k, v in self.entries.items() if k in keep}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.file.parent, prefix=".facts-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(entries, out, separators=(",", ":"))
            os.replace(tmp, self.file)
        except OSError as error:
            logger.warning("%s: could not write the facts cache (%s)", self.file, error)
