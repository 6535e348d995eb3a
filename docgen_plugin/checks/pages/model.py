"""A docs page as the page rules see it, whatever it was written in (Markdown, MyST, RST).

Readers turn a page into a flat list of blocks in document order, each with the line it
starts on in the source file (front matter counted), so every finding points at the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from docgen_plugin.checks.codeblocks import CodeBlock as Code  # one code-block type for all readers

SpanKind = Literal["text", "code"]


@dataclass(frozen=True)
class Span:
    """A piece of inline text: prose, or a code span (``code``, `:class:` roles...)."""

    kind: SpanKind
    text: str
    line: int


@dataclass(frozen=True)
class Inline:
    """The inline content of a paragraph, heading, cell or term."""

    spans: tuple[Span, ...] = ()
    line: int = 0

    @property
    def text(self) -> str:
        """As written, code spans back in backticks: what value parsers expect."""
        return "".join(f"`{s.text}`" if s.kind == "code" else s.text for s in self.spans)

    @property
    def plain(self) -> str:
        return "".join(s.text for s in self.spans)

    @property
    def codes(self) -> list[Span]:
        return [s for s in self.spans if s.kind == "code"]


@dataclass(frozen=True)
class Heading:
    level: int
    inline: Inline
    line: int


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; `item` when it opens a list item (where `name: text` entries live)."""

    inline: Inline
    line: int
    item: bool = False


@dataclass(frozen=True)
class Entry:
    """A term and its description: a definition list item, an RST field (`:param x:`)."""

    term: Inline
    body: tuple[Inline, ...]
    line: int


@dataclass(frozen=True)
class Table:
    header: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]
    row_lines: tuple[int, ...]
    line: int



Block = Heading | Paragraph | Entry | Table | Code


@dataclass(frozen=True)
class Region:
    """Lines that document one object: a docgen marker pair, an RST `autoclass` body."""

    object: str
    start: int
    end: int
    section: str = ""  # the marker's `section=`, when it has one

    def __contains__(self, line: int) -> bool:
        return self.start <= line <= self.end


@dataclass(frozen=True)
class ApiLink:
    """A page's explicit link to an object: `::: pkg.Obj`, `.. autoclass::`, front matter."""

    object: str
    line: int


@dataclass(frozen=True)
class Suppression:
    """`docgen: ignore[...]` for the lines start..end; no codes means every rule."""

    codes: frozenset[str]
    start: int
    end: int

    def covers(self, code: str, line: int) -> bool:
        return self.start <= line <= self.end and (not self.codes or code in self.codes)


@dataclass(frozen=True)
class Problem:
    """Input the reader could not read (a DG0xx diagnostic)."""

    code: str
    message: str
    line: int = 1


@dataclass(frozen=True)
class Page:
    path: str
    format: Literal["markdown", "rst"]
    blocks: tuple[Block, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    links: tuple[ApiLink, ...] = ()
    regions: tuple[Region, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    problems: tuple[Problem, ...] = ()

    def suppressed(self, code: str, line: int) -> bool:
        return any(s.covers(code, line) for s in self.suppressions)

    def headings(self) -> Iterator[Heading]:
        return (b for b in self.blocks if isinstance(b, Heading))


# `docgen: ignore` or `docgen: ignore[DG201, DG202]`, in an HTML or RST comment.
IGNORE = re.compile(r"^\s*docgen:\s*ignore(?:\[(?P<codes>[\w\s,]*)\])?\s*$")
WHOLE_PAGE = 10**9


def ignore_codes(comment: str) -> frozenset[str] | None:
    """The codes a suppression comment names (empty: all), or None for another comment."""
    match = IGNORE.match(comment)
    if match is None:
        return None
    return frozenset(c.strip().upper() for c in (match.group("codes") or "").split(",") if c.strip())


@dataclass(frozen=True)
class PageSource:
    """A docs page as the build sees it: where it is and its Markdown (after front matter)."""

    path: str  # as findings show it, relative to the docs project root
    text: str
    objects: tuple[str, ...] = ()  # front matter `docgen: {objects: [...]}`
    sections: tuple[str, ...] = ()  # front matter `docgen: {sections: [...]}`
    api: tuple[str, ...] = ()  # mkdocstrings `::: identifier` blocks (overview drafts)
