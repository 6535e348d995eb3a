"""The draft cache: content-addressed, one small JSON file per entry, safe to share.

A key hashes everything a draft depends on: the facts fingerprint, the section, the exact
prompt (so `PROMPT_VERSION` and few-shot examples count), the model and adapter hashes and the
generation settings. Entries are written atomically (temp file + `os.replace`), so two runs
writing at once leave one whole entry, and a reader never sees half a file. A corrupt entry
is a warning and a miss, never an error.

Next to the drafts, the facts a section was written from are kept by fingerprint, so DG301
and `--update` can say what changed since.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from docgen_plugin.facts.model import ObjectFacts
from docgen_plugin.facts.snapshots import FactsSnapshots
from docgen_plugin.store import CACHE_FORMAT, JsonStore

logger = logging.getLogger(__name__)
__all__ = ["CACHE_FORMAT", "CacheEntry", "DraftCache", "cache_key"]


@dataclass(frozen=True)
class CacheEntry:
    """One cached draft."""

    key: str
    object: str
    section: str
    text: str
    status: str
    reasons: tuple[str, ...] = ()
    facts: str = ""


def cache_key(
    *,
    facts: str,
    section: str,
    prompt: str,
    model_hash: str,
    adapter_hash: str | None,
    generation: Mapping[str, Any],
    mode: str = "draft",
) -> str:
    """The content address of a draft (`prompt` is a hash of the messages, which carry
    PROMPT_VERSION's text; the version is hashed in as well so a bump always misses)."""
    from docgen_plugin.generate.prompts import PROMPT_VERSION

    payload = json.dumps(
        {
            "format": CACHE_FORMAT,
            "prompt_version": PROMPT_VERSION,
            "facts": facts,
            "section": section,
            "prompt": prompt,
            "model": model_hash,
            "adapter": adapter_hash,
            "generation": dict(generation),
            "mode": mode,
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


class DraftCache:
    """Drafts and facts snapshots under a cache directory (`Settings.cache_path`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.drafts = self.root / "drafts"
        self.store = JsonStore(self.drafts, "draft")
        self.snapshots = FactsSnapshots(self.root)

    def get(self, key: str) -> CacheEntry | None:
        """The entry for a key, or None (missing or corrupt: corrupt ones are removed)."""
        # checked by type: `str(None)` once put the word "None" on a page
        data = self.store.read(key, check=_entry_problem)
        if data is None:
            return None
        entry = CacheEntry(
            key=data["key"], object=data["object"], section=data["section"], text=data["text"],
            status=data["status"], reasons=tuple(data.get("reasons", ())),
            facts=data.get("facts", ""),
        )
        if entry.key != key:
            self.store.discard(key, "key does not match its file name")
            return None
        return entry

    def put(self, entry: CacheEntry) -> None:
        self.store.write(entry.key, asdict(entry))

    def put_facts(self, fingerprint: str, objects: Sequence[ObjectFacts]) -> None:
        """Keep the facts a section was written from (`FactsSnapshots.put_facts`)."""
        self.snapshots.put_facts(fingerprint, objects)

    def get_facts(self, fingerprint: str) -> tuple[ObjectFacts, ...] | None:
        return self.snapshots.get_facts(fingerprint)


def _entry_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a draft entry's fields, by type; None when nothing is."""
    for name in ("key", "object", "section", "text", "status"):
        if name not in data:
            return f"no `{name}`"
        if not isinstance(data[name], str):
            return f"`{name}` is {type(data[name]).__name__}, not a string"
    reasons = data.get("reasons", [])
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        return "`reasons` is not a list of strings"
    if not isinstance(data.get("facts", ""), str):
        return "`facts` is not a string"
    return None
