"""A folder of small JSON entries: one file per key, written atomically, safe to share.

The cache primitive under the draft cache and the facts snapshots: a reader never sees half
a file (temp file + rename), two writers leave one whole entry, and a corrupt entry is a
warning and a miss, never an error.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from docgen_plugin.errors import CacheError
from docgen_plugin.files import atomic_write

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1


class JsonStore:
    """`folder/<key[:2]>/<key>.json` entries of one kind (`what`, for messages)."""

    def __init__(self, folder: Path, what: str) -> None:
        self.folder = Path(folder)
        self.what = what
        self._discarded: set[Path] = set()

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def read(self, key: str) -> dict[str, Any] | None:
        """The entry's data, or None (missing, or corrupt: a corrupt one is removed)."""
        path = self.path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            self.discard(key, str(error))
            return None
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            self.discard(key, "unknown format")
            return None
        return data

    def discard(self, key: str, why: str) -> None:
        path = self.path(key)
        if path in self._discarded:  # a read-only cache keeps it: say so once a run
            return
        self._discarded.add(path)
        logger.warning("docgen: discarding corrupt %s cache entry %s (%s)", self.what, path, why)
        try:
            path.unlink(missing_ok=True)
        except OSError as error:  # read-only cache: a miss is all we need
            logger.debug("could not remove %s: %s", path, error)

    def write(self, key: str, data: dict[str, Any]) -> None:
        try:
            atomic_write(self.path(key), json.dumps({"format": CACHE_FORMAT, **data},
                                                    sort_keys=True))
        except OSError as error:
            raise CacheError(f"cannot write the docgen cache at {self.folder}: {error}") from error

    def has(self, key: str) -> bool:
        return self.path(key).is_file()
