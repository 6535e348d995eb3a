"""The cache primitive: keyed JSON entries, a corrupt or failing entry a miss (both layouts)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from docgen_plugin.store import JsonLog, JsonStore


def _no_text(data: dict) -> str | None:
    return None if isinstance(data.get("text"), str) else "`text` is not a string"


def test_a_store_entry_failing_its_check_is_discarded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = JsonStore(tmp_path, "draft")
    store.write("ab12", {"text": None})
    with caplog.at_level(logging.WARNING):
        assert store.read("ab12", check=_no_text) is None
    assert "`text` is not a string" in caplog.text and not store.has("ab12")
    store.write("ab12", {"text": "kept"})
    assert store.read("ab12", check=_no_text) == {"format": 1, "text": "kept"}


def test_a_log_skips_cut_and_failing_lines_and_the_last_line_of_a_key_wins(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"key": "a", "text": "one"}\n[1]\n{"key": "b", "text": 2}\n'
                     b'{"text": "no key"}\n{"key": "a", "text": "two"}\n{"key": "c", "te')
    log = JsonLog(path, check=_no_text)
    assert log.read("a") == {"key": "a", "text": "two"}
    assert log.read("b") is None and log.read("c") is None


def test_a_log_is_created_with_its_folder(tmp_path: Path) -> None:
    log = JsonLog(tmp_path / "out" / "log.jsonl")
    log.write("k", {"text": "caf\u00e9"})
    assert JsonLog(log.path).read("k") == {"key": "k", "text": "caf\u00e9"}
    assert json.loads(log.path.read_text(encoding="utf-8")) == {"key": "k", "text": "caf\u00e9"}
    assert "caf\u00e9" in log.path.read_text(encoding="utf-8")  # not escaped: the file stays readable


def test_an_entry_written_after_a_cut_line_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"key": "a", "text": "one"}\n{"key": "b", "te')  # a crash cut the last line
    JsonLog(path, check=_no_text).write("c", {"text": "three"})
    again = JsonLog(path, check=_no_text)
    assert again.read("c") == {"key": "c", "text": "three"} and again.read("a") is not None
