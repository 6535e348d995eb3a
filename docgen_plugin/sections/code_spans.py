"""Code spans that both renderers of a docs build read alike, so their text may keep its `<`.

MkDocs renders with Python-Markdown, Sphinx/MyST with markdown-it (CommonMark), and the two
pair backtick runs differently: CommonMark pairs a run with the next run of the same length,
while Python-Markdown 3.11 falls back to a shorter closing run and, after an opening run it
cannot close, skips twice that run's length. `escape_html` escapes `<` everywhere but inside
the spans returned here; a span is returned only where every reading agrees on it, so a
disagreement costs an escaped `<` shown in code, never raw HTML.
"""

from __future__ import annotations

import re

Span = tuple[int, int]  # [start, stop) of a whole span, backticks included

_BLANK_LINE = re.compile(r"\n[ \t]*(?:\r?\n|$)")
_RUN = re.compile(r"`+")
_PYTHON_MARKDOWN_START = re.compile(r"(?<!\\)`")


def shielded_spans(text: str) -> list[Span]:
    """The code spans of `text` that Python-Markdown and CommonMark both read, paragraph by
    paragraph (inline markup never runs over a blank line)."""
    spans: list[Span] = []
    start = 0
    for blank in [*_BLANK_LINE.finditer(text), None]:
        stop = blank.start() if blank else len(text)
        spans += [(start + a, start + b) for a, b in _agreed(text[start:stop])]
        start = blank.end() if blank else stop
    return spans


def _agreed(paragraph: str) -> list[Span]:
    """The paragraph's spans if both renderers agree on all of them, read as one block and
    line by line (a list item or heading starts a new block inside what looks like one
    paragraph); else none. A backslash before a backtick is an escape to one renderer and
    literal text inside a span to the other: then none either."""
    if "\\`" in paragraph:
        return []
    whole = _commonmark(paragraph)
    if whole != _python_markdown(paragraph) or any("\n" in paragraph[a:b] for a, b in whole):
        return []
    by_line: list[Span] = []
    offset = 0
    for line in paragraph.split("\n"):
        line_spans = _commonmark(line)
        if line_spans != _python_markdown(line):
            return []
        by_line += [(offset + a, offset + b) for a, b in line_spans]
        offset += len(line) + 1
    return whole if by_line == whole else []


def _commonmark(text: str) -> list[Span]:
    """CommonMark: a run opens a span closed by the next run of exactly its length; a run
    with none is literal text and reading goes on after it."""
    runs = [(m.start(), m.end()) for m in _RUN.finditer(text)]
    spans: list[Span] = []
    index = 0
    while index < len(runs):
        start, stop = runs[index]
        closer = next((j for j in range(index + 1, len(runs))
                       if runs[j][1] - runs[j][0] == stop - start), None)
        if closer is None:
            index += 1
            continue
        spans.append((start, runs[closer][1]))
        index = closer + 1
    return spans


def _python_markdown(text: str) -> list[Span]:
    """Python-Markdown 3.11's `BacktickInlineProcessor`, step for step (quirks included)."""
    spans: list[Span] = []
    position = 0
    while match := _PYTHON_MARKDOWN_START.search(text, position):
        begin = match.start()
        start, end = _python_markdown_pair(text, begin)
        if end is None:
            position = start
            continue
        spans.append((begin, end + (start - begin)))
        position = end + (start - begin)
    return spans


def _python_markdown_pair(text: str, start: int) -> tuple[int, int | None]:
    """`BacktickInlineProcessor.find_code_spans`: (start of code text, its end or None)."""
    ticks = 0
    while start < len(text) and text[start] == "`":
        ticks += 1
        start += 1
    longest = end = 0
    for run in _RUN.finditer(text, start):
        length = run.end() - run.start()
        if length == ticks:
            return start, run.start()
        if length > longest:
            longest, end = length, run.end()
    if 0 < longest < ticks:
        return start - (ticks - longest), end - longest
    return start + ticks, None  # the processor's own skip: past the run, and as far again
