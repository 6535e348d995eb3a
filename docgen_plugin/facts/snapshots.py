"""The facts a section was written from, kept by their fingerprint (next to the drafts), so
that DG301 and `--update` can say what changed since."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from docgen_plugin.facts.model import ObjectFacts, from_dict, to_dict
from docgen_plugin.store import JsonStore


class FactsStore(Protocol):
    """What reads snapshots back: `FactsSnapshots`, or a draft cache that holds them."""

    def get_facts(self, fingerprint: str) -> tuple[ObjectFacts, ...] | None: ...


class FactsSnapshots:
    """Facts snapshots under a cache directory (`Settings.cache_path`)."""

    def __init__(self, root: Path) -> None:
        self.store = JsonStore(Path(root) / "facts", "facts")

    def put_facts(self, fingerprint: str, objects: Sequence[ObjectFacts]) -> None:
        """Keep the facts a section was written from (once per fingerprint)."""
        if not self.store.has(fingerprint):
            self.store.write(fingerprint, {"fingerprint": fingerprint,
                                           "objects": [to_dict(o) for o in objects]})

    def get_facts(self, fingerprint: str) -> tuple[ObjectFacts, ...] | None:
        """The facts kept for a fingerprint, or None."""
        data = self.store.read(fingerprint)
        if data is None:
            return None
        try:
            return tuple(from_dict(ObjectFacts, o) for o in data["objects"])
        except (KeyError, TypeError, ValueError) as error:
            self.store.discard(fingerprint, str(error))
            return None
