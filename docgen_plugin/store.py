"""Keyed JSON entries on disk: the cache primitive under the draft cache, the facts snapshots and
`docgen eval`'s generations. A corrupt entry is a miss, never an error; `check` says which
entries are corrupt beyond bad JSON (a field of the wrong type, say).

Two layouts, one way to use them (`read(key, check)`, `write(key, data)`):

- `JsonStore`: a folder of small JSON files, one per key, written atomically, safe to share: a
  reader never sees half a file (temp file + rename), two writers leave one whole entry, and a
  corrupt entry is a warning, removed, and a miss.
- `JsonLog`: one append-only JSON Lines file, read once when opened, for one writer that may
  be stopped at any time: each finished entry is a line, and a line cut by a crash is skipped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docgen_plugin.errors import CacheError
from docgen_plugin.files import atomic_write

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
# What is wrong with an entry's data (None: nothing): a wrong entry is a miss like a corrupt one.
Check = Callable[[dict[str, Any]], str | None]


class JsonStore:
    """`folder/<key[:2]>/<key>.json` entries of one kind (`what`, for messages)."""

    def __init__(self, folder: Path, what: str) -> None:
        self.folder = Path(folder)
        self.what = what
        self._discarded: set[Path] = set()

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def read(self, key: str, check: Check | None = None) -> dict[str, Any] | None:
        """The entry's data, or None (missing, or corrupt or failing `check`: removed)."""
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
        problem = check(data) if check is not None else None
        if problem is not None:
            self.discard(key, problem)
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


class JsonLog:
    """Entries appended to one JSON Lines file, `{"key": ..., **data}` a line; the last line of
    a key wins. Lines that are not whole JSON objects with a `key`, or that fail `check`, are
    skipped (a debug message: a crash cuts the last line, and the next run writes it again)."""

    def __init__(self, path: Path, check: Check | None = None) -> None:
        self.path = Path(path)
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            with self.path.open("rb") as lines:
                for number, line in enumerate(lines, 1):
                    try:
                        entry = json.loads(line)  # bytes: a bad byte is a bad line too
                    except ValueError:
                        entry = None
                    if (not isinstance(entry, dict) or "key" not in entry
                            or (check is not None and check(entry) is not None)):
                        logger.debug("%s:%d: unreadable cache line skipped", self.path, number)
                        continue
                    self.entries[str(entry["key"])] = entry

    def read(self, key: str) -> dict[str, Any] | None:
        """The entry's line, as written, or None."""
        return self.entries.get(key)

    def write(self, key: str, data: dict[str, Any]) -> None:
        """Append the entry as one line (`ensure_ascii=False`: the text stays readable)."""
        entry = {"key": key, **data}
        self.entries[key] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as out:
            out.seek(0, 2)
            if out.tell() and (out.seek(-1, 2), out.read(1))[1] != b"\n":
                out.write(b"\n")  # a line cut by a crash ends here: this entry is a line of its own
            out.write((json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
