"""Markdown (and MyST) pages -> `Page`, through markdown-it-py: CommonMark, GFM tables, front
matter and definition lists. Structure comes from the parser's tokens, never from regexes over
the page; lines are the parser's, shifted so they count from the top of the file.

Understood beyond CommonMark: mkdocstrings' `::: pkg.Obj` and doc-builder's `[[autodoc]]`
(links), Material admonitions and tabs (`!!! note`, `??? tip`, `=== "Tab"`: their indented
body is read as Markdown), MyST directives (`{code-block} python`, `{autoclass} pkg.Obj`,
`{eval-rst}`), docgen's markers (regions) and `<!-- docgen: ignore[...] -->` comments.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from docgen_plugin.checks.pages.model import (
    WHOLE_PAGE,
    ApiLink,
    Block,
    Code,
    Entry,
    Heading,
    Inline,
    Page,
    Paragraph,
    Region,
    Span,
    Suppression,
    Table,
    ignore_codes,
)
from docgen_plugin.markers import MarkerError, parse_markers

_IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*")
_CONTAINER = re.compile(r"^(?:!!!|\?\?\?\+?|===)[ \t]+\S")  # Material admonitions and tabs
_API_PREFIXES = (":::", "[[autodoc]]")
# MyST directives whose argument names the object they document.
_OBJECT_DIRECTIVES = frozenset({
    "docgen", "autoclass", "autofunction", "automodule", "automethod", "autoexception",
    "py:class", "py:function", "py:method", "autodoc",
})
_CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode", "testcode", "doctest",
                              "ipython", "jupyter-execute", "code-cell"})
MAX_DEPTH = 4  # admonitions inside admonitions...


def _parser() -> MarkdownIt:
    # maxNesting bounds the parser's recursion on hostile input (deep block quotes, lists).
    md = MarkdownIt("commonmark", {"maxNesting": 20})
    return md.enable("table").use(front_matter_plugin).use(deflist_plugin)


_MD = _parser()


def inline_of(token: Token, line: int) -> Inline:
    """An inline token's text and code spans, each with its page line."""
    spans: list[Span] = []
    current = line
    for child in token.children or ():
        if child.type == "text" and child.content:
            if spans and spans[-1].kind == "text":
                spans[-1] = Span("text", spans[-1].text + child.content, spans[-1].line)
            else:
                spans.append(Span("text", child.content, current))
        elif child.type == "code_inline":
            spans.append(Span("code", child.content, current))
        elif child.type in ("softbreak", "hardbreak"):
            spans.append(Span("text", " ", current))
            current += 1
    return Inline(tuple(spans), line)


@dataclass
class _State:
    blocks: list[Block] = field(default_factory=list)
    links: list[ApiLink] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def read_markdown(text: str, path: str) -> Page:
    """The page's blocks, links, regions and suppressions."""
    state = _State()
    _read(text, 0, state, top=True, depth=0)
    try:
        markers = parse_markers(text, path)
    except MarkerError:
        markers = []  # DG302 reports it; the page is still checked
    regions = tuple(Region(m.object, m.begin_line, m.end_line, m.section) for m in markers)
    return Page(path, "markdown", tuple(state.blocks), state.meta, tuple(state.links), regions,
                tuple(state.suppressions))


def _front_matter(content: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(content)
    except (yaml.YAMLError, RecursionError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read(text: str, offset: int, state: _State, *, top: bool, depth: int) -> None:
    """Read `text`, whose first line is page line `offset + 1`, into `state`."""
    tokens = _MD.parse(text)
    lines = text.splitlines()
    walker = _Walker(tokens, lines, offset, state, depth)
    walker.run(top)


class _Walker:
    """One pass over a token stream, keeping the containers that change a block's meaning."""

    def __init__(self, tokens: list[Token], lines: list[str], offset: int, state: _State,
                 depth: int) -> None:
        self.tokens = tokens
        self.lines = lines
        self.offset = offset
        self.state = state
        self.depth = depth
        self.entry: tuple[Inline, list[Inline], int] | None = None  # open definition
        self.pending: tuple[frozenset[str], int] | None = None  # ignore comment, its level

    def line(self, token: Token) -> int:
        return (token.map[0] if token.map else 0) + 1 + self.offset

    def run(self, top: bool) -> None:
        tokens = self.tokens
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type == "front_matter":
                self.state.meta = _front_matter(token.content)
                i += 1
                continue
            if self.pending is not None and token.map is not None and token.nesting >= 0 \
                    and token.level == self.pending[1] and token.type != "html_block":
                codes, _ = self.pending
                self.state.suppressions.append(Suppression(
                    codes, self.line(token), token.map[1] + self.offset))
                self.pending = None
            if token.type == "html_block":
                self._comment(token, page_top=top and not any(
                    not (isinstance(b, Heading) and b.level == 1) for b in self.state.blocks))
            i = self._token(i)

    def _comment(self, token: Token, page_top: bool) -> None:
        for comment in _comments(token.content):
            codes = ignore_codes(comment)
            if codes is None:
                continue
            if page_top:
                self.state.suppressions.append(Suppression(codes, 1, WHOLE_PAGE))
            else:
                self.pending = (codes, token.level)

    def _token(self, i: int) -> int:
        """Handle the token at i; the index of the next token to look at."""
        token = self.tokens[i]
        kind = token.type
        if kind == "heading_open":
            self.state.blocks.append(Heading(int(token.tag[1:]), inline_of(
                self.tokens[i + 1], self.line(token)), self.line(token)))
            return i + 3
        if kind == "paragraph_open":
            return self._paragraph(i)
        if kind == "table_open":
            return self._table(i)
        if kind == "dt_open":
            self._close_entry()
            self.entry = (inline_of(self.tokens[i + 1], self.line(token)), [], self.line(token))
            return i + 3
        if kind == "dl_close":
            self._close_entry()
        elif kind == "fence":
            self._fence(token)
        elif kind == "code_block":
            self.state.blocks.append(Code("", token.content, self.line(token)))
        return i + 1

    def _table(self, i: int) -> int:
        """GFM table: header cells, then rows of cells, each cell's inline with its line."""
        tokens = self.tokens
        line = self.line(tokens[i])
        header: list[Inline] = []
        rows: list[tuple[Inline, ...]] = []
        row_lines: list[int] = []
        in_head = False
        current: list[Inline] = []
        row_line = line
        i += 1
        while i < len(tokens) and tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "thead_open":
                in_head = True
            elif token.type == "tbody_open":
                in_head = False
            elif token.type == "tr_open":
                current, row_line = [], self.line(token)
            elif token.type == "inline":
                current.append(inline_of(token, row_line))
            elif token.type == "tr_close":
                if in_head:
                    header = current
                else:
                    rows.append(tuple(current))
                    row_lines.append(row_line)
            i += 1
        self.state.blocks.append(Table(tuple(header), tuple(rows), tuple(row_lines), line))
        return i + 1

    def _close_entry(self) -> None:
        if self.entry is not None:
            term, body, line = self.entry
            self.state.blocks.append(Entry(term, tuple(body), line))
            self.entry = None

    def _paragraph(self, i: int) -> int:
        token, inline = self.tokens[i], self.tokens[i + 1]
        line = self.line(token)
        first_line = inline.content.split("\n", 1)[0].strip()
        if first_line.startswith(_API_PREFIXES):
            words = first_line.split()
            if len(words) >= 2 and _IDENTIFIER.fullmatch(words[1]):
                self.state.links.append(ApiLink(words[1], line))
            return self._skip_indented(i + 3)  # options of the block, not code
        if (token.level == 0 and self.depth < MAX_DEPTH and token.map is not None
                and _CONTAINER.match(first_line)):
            return self._container(i)
        content = inline_of(inline, line)
        if self.entry is not None and token.level > 0:
            self.entry[1].append(content)
        else:
            item = i > 0 and self.tokens[i - 1].type == "list_item_open"
            self.state.blocks.append(Paragraph(content, line, item))
        return i + 3

    def _skip_indented(self, i: int) -> int:
        while i < len(self.tokens) and self.tokens[i].type == "code_block":
            i += 1
        return i

    def _container(self, i: int) -> int:
        """An admonition or tab: its indented body is Markdown, read with its own lines."""
        token = self.tokens[i]
        start = token.map[0]  # type: ignore[index]
        end = token.map[1]  # type: ignore[index]
        j = i + 3
        while j < len(self.tokens) and self.tokens[j].type == "code_block" \
                and self.tokens[j].map is not None:
            end = self.tokens[j].map[1]  # type: ignore[index]
            j += 1
        body = textwrap.dedent("\n".join(self.lines[start + 1:end]))
        _read(body, self.offset + start + 1, self.state, top=False, depth=self.depth + 1)
        return j

    def _fence(self, token: Token) -> None:
        info = token.info.strip()
        line = self.line(token) + 1
        if info.startswith("{"):
            name, _, rest = info[1:].partition("}")
            name, argument = name.strip().lower(), rest.strip()
            if name in _OBJECT_DIRECTIVES and _IDENTIFIER.fullmatch(argument.split("(")[0] or "-"):
                self.state.links.append(ApiLink(argument.split("(")[0], line - 1))
                return
            if name == "eval-rst":
                self._eval_rst(token.content, line - 1)
                return
            if name not in _CODE_DIRECTIVES:
                return  # a note, a figure...: not code
            info = argument or ("python" if name in ("testcode", "doctest", "ipython") else "")
            body = _without_options(token.content)
            line += token.content.count("\n") - body.count("\n")
            self.state.blocks.append(Code(info, body, line))
            return
        self.state.blocks.append(Code(info, token.content, line))

    def _eval_rst(self, content: str, line: int) -> None:
        from docgen_plugin.checks.pages.rst import read_rst

        page = read_rst(content, "")
        shift = line  # the block's first line is page line `line + 1`
        for block in page.blocks:
            self.state.blocks.append(_shifted(block, shift))
        self.state.links.extend(ApiLink(link.object, link.line + shift) for link in page.links)


def _comments(html: str) -> list[str]:
    """The HTML comments of an HTML block, found in one pass (a regex rescans unclosed ones)."""
    out, start = [], html.find("<!--")
    while start != -1:
        end = html.find("-->", start + 4)
        if end == -1:
            break
        out.append(html[start + 4:end])
        start = html.find("<!--", end + 3)
    return out


def _without_options(content: str) -> str:
    """A MyST code directive's body without its `:option: value` lines."""
    lines = content.split("\n")
    skip = 0
    while skip < len(lines) and lines[skip].startswith(":") and not lines[skip].startswith("::"):
        skip += 1
    if skip < len(lines) and skip and not lines[skip].strip():
        skip += 1
    return "\n".join(lines[skip:])


def _shifted(block: Block, shift: int) -> Block:
    from dataclasses import replace

    if isinstance(block, Table):
        return replace(block, line=block.line + shift, header=tuple(_shift(c, shift) for c in block.header),
                       rows=tuple(tuple(_shift(c, shift) for c in row) for row in block.rows),
                       row_lines=tuple(n + shift for n in block.row_lines))
    if isinstance(block, Entry):
        return replace(block, line=block.line + shift, term=_shift(block.term, shift),
                       body=tuple(_shift(b, shift) for b in block.body))
    if isinstance(block, (Heading, Paragraph)):
        return replace(block, line=block.line + shift, inline=_shift(block.inline, shift))
    return replace(block, line=block.line + shift)


def _shift(inline: Inline, shift: int) -> Inline:
    return Inline(tuple(Span(s.kind, s.text, s.line + shift) for s in inline.spans),
                  inline.line + shift)
