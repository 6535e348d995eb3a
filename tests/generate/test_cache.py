"""The draft cache: content addressed, atomic, corrupt entries discarded, concurrent-safe."""

from __future__ import annotations

import json
import logging
import multiprocessing

import pytest
from sections.sample_package import load_sample

from docgen_plugin.errors import CacheError
from docgen_plugin.files import atomic_write
from docgen_plugin.generate.cache import CacheEntry, DraftCache, cache_key


def key(**changes):
    parts = dict(facts="f1", section="usage", prompt="p1", model_hash="m1", adapter_hash=None,
                 generation={"max_new_tokens": 100})
    parts.update(changes)
    return cache_key(**parts)


def test_key_changes_with_every_input(monkeypatch):
    base = key()
    for change in (dict(facts="f2"), dict(section="overview"), dict(prompt="p2"),
                   dict(model_hash="m2"), dict(adapter_hash="a1"),
                   dict(generation={"max_new_tokens": 101}), dict(mode="update")):
        assert key(**change) != base, change
    import docgen_plugin.generate.prompts as prompts

    monkeypatch.setattr(prompts, "PROMPT_VERSION", "999")
    assert key() != base


def entry(k, text="Text."):
    return CacheEntry(k, "pkg.M", "usage", text, "accepted", ("r",), "f1")


def test_round_trip_and_one_small_file_per_entry(tmp_path):
    cache = DraftCache(tmp_path)
    k = key()
    assert cache.get(k) is None
    cache.put(entry(k))
    assert cache.get(k) == entry(k)
    files = list((tmp_path / "drafts").rglob("*.json"))
    assert files == [tmp_path / "drafts" / k[:2] / f"{k}.json"]
    assert files[0].stat().st_size < 1000


@pytest.mark.parametrize(
    "content", ["{not json", "[]", json.dumps({"format": 1, "key": "other"}), "\xff"]
)
def test_corrupt_entry_is_discarded_with_a_warning(tmp_path, caplog, content):
    cache = DraftCache(tmp_path)
    k = key()
    path = tmp_path / "drafts" / k[:2] / f"{k}.json"
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert cache.get(k) is None
    assert "corrupt" in caplog.text
    assert not path.exists()
    cache.put(entry(k))  # and regenerated
    assert cache.get(k) == entry(k)


def test_facts_snapshots_round_trip(tmp_path):
    facts = load_sample(tmp_path / "src")
    cache = DraftCache(tmp_path / "cache")
    objects = facts.objects[:2]
    cache.put_facts("abc123", objects)
    assert cache.get_facts("abc123") == objects
    assert cache.get_facts("missing") is None


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "page.md"
    atomic_write(target, "one")
    atomic_write(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["page.md"]


def test_unwritable_cache_is_a_cache_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(CacheError, match="cannot write the docgen cache"):
        DraftCache(blocker).put(entry(key()))


def _writer(root: str, text: str, rounds: int) -> None:
    cache = DraftCache(root)
    for i in range(rounds):
        cache.put(entry(key(prompt=f"p{i % 5}"), text * 200))


def test_two_concurrent_writers_leave_whole_entries(tmp_path):
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_writer, args=(str(tmp_path), t, 60)) for t in "ab"]
    for proc in procs:
        proc.start()
    reader = DraftCache(tmp_path)
    seen = 0
    while any(p.is_alive() for p in procs):
        for i in range(5):
            got = reader.get(key(prompt=f"p{i}"))
            if got is not None:
                assert got.text in ("a" * 200, "b" * 200)
                seen += 1
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0
    for i in range(5):
        assert reader.get(key(prompt=f"p{i}")).text in ("a" * 200, "b" * 200)
    assert not list(tmp_path.rglob("*.tmp"))
