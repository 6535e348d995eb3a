"""The corpus split is leak-free (property-tested): no id, group or near-duplicate pair crosses
splits, and the same seed gives the same split."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from docgen_plugin.finetune.corpus_clean import near_duplicate_pairs
from docgen_plugin.finetune.corpus_split import SplitItem, assign_splits

items_strategy = st.lists(
    st.tuples(st.integers(0, 400), st.sampled_from([f"pkg.mod{i}" for i in range(12)])),
    min_size=1, max_size=80, unique_by=lambda t: t[0],
)


@settings(max_examples=150, deadline=None)
@given(raw=items_strategy, pair_picks=st.lists(st.tuples(st.integers(0, 79), st.integers(0, 79)),
                                                 max_size=20), seed=st.integers(0, 2**31))
def test_split_is_leak_free_and_deterministic(raw: list[tuple[int, str]],
                                              pair_picks: list[tuple[int, int]], seed: int) -> None:
    items = [SplitItem(f"id{n}", group) for n, group in raw]
    pairs = [(items[a % len(items)].id, items[b % len(items)].id) for a, b in pair_picks]
    chosen = assign_splits(items, pairs, validation_share=0.1, test_share=0.2, seed=seed)
    assert set(chosen) == {item.id for item in items}  # every id in exactly one split
    split_of_group: dict[str, str] = {}
    for item in items:
        assert split_of_group.setdefault(item.group, chosen[item.id]) == chosen[item.id]
    for a, b in pairs:
        assert chosen[a] == chosen[b]
    again = assign_splits(list(reversed(items)), list(reversed(pairs)), validation_share=0.1,
                          test_share=0.2, seed=seed)
    assert again == chosen


def test_shares_roughly_followed() -> None:
    items = [SplitItem(f"id{i}", f"mod{i % 50}") for i in range(1000)]
    chosen = assign_splits(items, [], validation_share=0.1, test_share=0.1, seed=0)
    counts = {s: list(chosen.values()).count(s) for s in ("train", "validation", "test")}
    assert 60 <= counts["test"] <= 140 and 60 <= counts["validation"] <= 140


def test_near_duplicates_found() -> None:
    base = "the encoder reads token ids and returns one hidden vector per token of the input"
    texts = [base, base + " sequence", "a completely different sentence about config files and yaml"]
    pairs = near_duplicate_pairs(texts, 0.7)
    assert [(i, j) for i, j, _ in pairs] == [(0, 1)]
