"""A leak-free split: whole components (source modules joined by near-duplicate pairs) go to one
split, in an order fixed by a hash of the seed and the component, so the same seed gives the same
split and no module or near-duplicate pair crosses splits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from docgen_plugin.finetune.records import SPLITS


@dataclass(frozen=True)
class SplitItem:
    """What the split needs of a record: its id and its group (source module)."""

    id: str
    group: str


class UnionFind:
    """Disjoint sets of strings (path halving, union by name order: deterministic)."""

    def __init__(self, items: Iterable[str] = ()) -> None:
        self.parent: dict[str, str] = {}
        for item in items:
            self.parent.setdefault(item, item)

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        while parent != item:
            grand = self.parent[parent]
            self.parent[item] = grand
            item, parent = parent, self.parent[grand]
        return item

    def union(self, a: str, b: str) -> None:
        left, right = self.find(a), self.find(b)
        if left != right:
            low, high = sorted((left, right))
            self.parent[high] = low


def _order_key(seed: int, name: str) -> str:
    return hashlib.sha256(f"{seed}\0{name}".encode()).hexdigest()


def assign_splits(
    items: Sequence[SplitItem],
    pairs: Iterable[tuple[str, str]],
    *,
    validation_share: float,
    test_share: float,
    seed: int,
) -> dict[str, str]:
    """id -> split. Items of one group, and of groups joined by a pair of ids, share a split."""
    groups = UnionFind(item.group for item in items)
    group_of = {item.id: item.group for item in items}
    for a, b in pairs:
        if a in group_of and b in group_of:
            groups.union(group_of[a], group_of[b])
    sizes: dict[str, int] = {}
    for item in items:
        root = groups.find(item.group)
        sizes[root] = sizes.get(root, 0) + 1
    total = len(items)
    targets = {"test": test_share * total, "validation": validation_share * total}
    counts = dict.fromkeys(SPLITS, 0)
    chosen: dict[str, str] = {}
    for root in sorted(sizes, key=lambda name: _order_key(seed, name)):
        size = sizes[root]
        split = "train"
        for name in ("test", "validation"):
            # a component goes to an evaluation split while at least half of it fits
            if counts[name] + size / 2 <= targets[name]:
                split = name
                break
        chosen[root] = split
        counts[split] += size
    return {item.id: chosen[groups.find(item.group)] for item in items}
