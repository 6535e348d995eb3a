"""Markers in pages: parse, detect human edits, write drafts atomically inside markers only."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from docgen_plugin.errors import DocgenError
from docgen_plugin.markers import (
    MarkerError,
    apply_drafts,
    content_hash,
    parse_markers,
    read_page,
    render_block,
    write_page,
)


@dataclass(frozen=True)
class D:
    object: str
    section: str
    text: str
    facts: str = "f1"


PAGE = """# Models

Intro written by hand.

<!-- docgen:begin object=pkg.M section=overview -->
<!-- docgen:end -->

Between, by hand.

<!-- docgen:begin object=pkg.M section=usage facts=f0 draft=000000000000 status=draft -->
Old usage a human rewrote.
<!-- docgen:end -->

Footer by hand.
"""


def test_parse_blocks():
    blocks = parse_markers(PAGE)
    assert [(b.object, b.section, b.begin_line, b.end_line) for b in blocks] == [
        ("pkg.M", "overview", 5, 6), ("pkg.M", "usage", 10, 12)
    ]
    assert blocks[0].is_empty and not blocks[0].is_edited
    assert blocks[1].facts == "f0" and blocks[1].is_edited  # hash does not match its text


def test_round_trip_is_not_an_edit():
    block = parse_markers(render_block(D("pkg.M", "usage", "Some text.\n")) + "\n")[0]
    assert block.content == "Some text.\n"
    assert block.draft == content_hash("Some text.")
    assert not block.is_edited
    reviewed = render_block(D("pkg.M", "usage", "x")).replace("status=draft", "status=reviewed")
    assert parse_markers(reviewed)[0].is_edited


def test_apply_fills_empty_keeps_edited_touches_nothing_outside():
    drafts = [D("pkg.M", "overview", "New overview."), D("pkg.M", "usage", "New usage.")]
    text, outcomes = apply_drafts(PAGE, drafts)
    assert [o.action for o in outcomes] == ["written", "kept-edited"]
    assert "New overview." in text and "New usage." not in text
    assert "Old usage a human rewrote." in text
    outside = [line for line in PAGE.splitlines() if "docgen:" not in line]
    kept = [line for line in text.splitlines() if "docgen:" not in line]
    assert [line for line in kept if line in outside] == outside


def test_force_overwrites_edited_and_rewriting_is_idempotent():
    drafts = [D("pkg.M", "overview", "New overview."), D("pkg.M", "usage", "New usage.")]
    text, _ = apply_drafts(PAGE, drafts, force=True)
    assert "Old usage" not in text and "New usage." in text
    again, outcomes = apply_drafts(text, drafts)
    assert again == text
    assert [o.action for o in outcomes] == ["unchanged", "unchanged"]


def test_update_may_edit_a_stale_block_but_not_a_current_one():
    stale = D("pkg.M", "usage", "Edited for the change.", facts="f1")
    text, outcomes = apply_drafts(PAGE, [stale], update=True)
    assert outcomes[0].action == "written" and "Edited for the change." in text
    block = parse_markers(text)[1]
    assert block.status == "updated" and block.is_edited  # still the human's, to review
    _, outcomes = apply_drafts(text, [D("pkg.M", "usage", "Fresh.", facts="f1")])
    assert outcomes[0].action == "kept-edited"
    current = D("pkg.M", "usage", "Regenerated.", facts="f0")
    _, outcomes = apply_drafts(PAGE, [current], update=True)
    assert outcomes[0].action == "kept-edited"


def test_drafts_without_markers_are_appended_with_headings():
    text, outcomes = apply_drafts("# API\n", [D("pkg.Other", "usage", "Use it.")])
    assert outcomes[0].action == "appended"
    assert text.startswith("# API\n\n## `Other`\n\n### Usage\n\n<!-- docgen:begin object=pkg.Other")
    assert parse_markers(text)[0].content == "Use it.\n"


def test_crlf_pages_stay_crlf(tmp_path):
    page = tmp_path / "p.md"
    page.write_bytes(PAGE.replace("\n", "\r\n").encode())
    text, _ = apply_drafts(read_page(page), [D("pkg.M", "overview", "One.\nTwo.")])
    write_page(page, text)
    raw = page.read_bytes()
    assert b"One.\r\nTwo.\r\n" in raw
    assert raw.count(b"\n") == raw.count(b"\r\n")


@pytest.mark.parametrize(
    ("page", "message", "line"),
    [
        ("<!-- docgen:begin object=a section=b -->\ntext\n", "without a docgen:end", 1),
        ("x\n<!-- docgen:end -->\n", "without a docgen:begin", 2),
        ("<!-- docgen:begin object=a section=b -->\n<!-- docgen:begin object=a section=c -->\n",
         "inside the block opened on line 1", 2),
        ("<!-- docgen:begin section=b -->\n<!-- docgen:end -->\n", "without object", 1),
    ],
)
def test_malformed_markers(page, message, line):
    with pytest.raises(MarkerError, match=message) as info:
        parse_markers(page, "p.md")
    assert info.value.line == line
    assert isinstance(info.value, DocgenError)


def test_read_missing_page_is_empty(tmp_path):
    assert read_page(tmp_path / "none.md") == ""
