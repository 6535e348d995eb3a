"""Code spans `escape_html` leaves unescaped: only those both renderers read as code."""

from __future__ import annotations

import re

import markdown
import markdown_it
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docgen_plugin.sections.code_spans import shielded_spans
from docgen_plugin.sections.render import escape_html

COMMONMARK = markdown_it.MarkdownIt("commonmark")


def python_markdown(text: str) -> str:
    """As MkDocs renders: Python-Markdown with `fenced_code`, one of its default extensions
    (escape_html leaves fenced blocks alone on that reading)."""
    return markdown.markdown(text, extensions=["fenced_code"])


def codes(text: str) -> list[str]:
    return [text[a:b] for a, b in shielded_spans(text)]


def test_plain_spans_are_shielded() -> None:
    assert codes("use `List<int>` or ``a`b`` here\n\nand `x`") == ["`List<int>`", "``a`b``", "`x`"]


@pytest.mark.parametrize("text", [
    "``[```<b>```",      # Python-Markdown skips past the first ``` after an opener it cannot close
    "```a`<b>`",         # Python-Markdown closes ``` with a shorter run, CommonMark does not
    "`a\nb` `<b>`",      # a span over a line end: a list item there would start a new block
    "\\``<b>`",          # an escape to CommonMark, literal text in a span to Python-Markdown
])
def test_spans_the_renderers_read_differently_shield_nothing(text: str) -> None:
    assert shielded_spans(text) == []
    for html in (python_markdown(escape_html(text)), COMMONMARK.render(escape_html(text))):
        assert "<b>" not in html


def test_a_disagreement_stays_in_its_paragraph() -> None:
    assert codes("``[```<b>```\n\nuse `List<int>`") == ["`List<int>`"]


PIECES = ["`", "``", "```", "a", " ", "\n", "\n\n", "- ", "# ", "<b>", "\\"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=16).map("".join))
def test_every_shielded_span_is_code_to_both_renderers(text: str) -> None:
    escaped = escape_html(text)
    for html in (python_markdown(escaped), COMMONMARK.render(escaped)):
        outside_code = re.sub(r"<code>.*?</code>", "", html, flags=re.DOTALL)
        assert "<b>" not in outside_code, (text, escaped, html)
