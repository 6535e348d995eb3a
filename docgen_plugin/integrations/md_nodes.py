"""Markdown drafts as docutils nodes, for Sphinx pages written in reStructuredText.

Built from markdown-it tokens, never through raw HTML: whatever a draft contains ends up as
text, literal or table nodes, so nothing from a docstring can inject markup into the site.
"""

from __future__ import annotations

from collections.abc import Iterator

from docutils import nodes
from markdown_it import MarkdownIt
from markdown_it.token import Token

_MD = MarkdownIt("commonmark").enable("table")


def markdown_to_nodes(text: str) -> list[nodes.Node]:
    """Block-level docutils nodes for a Markdown draft."""
    tokens = _MD.parse(text)
    out, _ = _blocks(tokens, 0, None)
    return out


def _blocks(tokens: list[Token], i: int, stop: str | None) -> tuple[list[nodes.Node], int]:
    out: list[nodes.Node] = []
    while i < len(tokens):
        token = tokens[i]
        if stop is not None and token.type == stop:
            return out, i + 1
        kind = token.type
        if kind == "paragraph_open":
            para = nodes.paragraph()
            para.extend(_inline(tokens[i + 1]))
            out.append(para)
            i += 3
        elif kind == "heading_open":
            rubric = nodes.rubric()
            rubric.extend(_inline(tokens[i + 1]))
            out.append(rubric)
            i += 3
        elif kind in ("fence", "code_block"):
            language = (token.info or "").split()[0] if token.info else ""
            block = nodes.literal_block(token.content, token.content)
            if language:
                block["language"] = language
            out.append(block)
            i += 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lst = nodes.bullet_list() if kind == "bullet_list_open" else nodes.enumerated_list()
            i += 1
            while tokens[i].type == "list_item_open":
                children, i = _blocks(tokens, i + 1, "list_item_close")
                item = nodes.list_item()
                item.extend(children)
                lst.append(item)
            out.append(lst)
            i += 1
        elif kind == "blockquote_open":
            children, i = _blocks(tokens, i + 1, "blockquote_close")
            quote = nodes.block_quote()
            quote.extend(children)
            out.append(quote)
        elif kind == "table_open":
            table, i = _table(tokens, i)
            out.append(table)
        elif kind in ("html_block",):
            out.append(nodes.literal_block(token.content, token.content))
            i += 1
        else:
            i += 1
    return out, i


def _rows(tokens: list[Token], i: int) -> Iterator[tuple[str, list[list[nodes.Node]]]]:
    section = "thead"
    while tokens[i].type != "table_close":
        token = tokens[i]
        if token.type in ("thead_open", "tbody_open"):
            section = token.type[:5]
        elif token.type == "tr_open":
            cells: list[list[nodes.Node]] = []
            i += 1
            while tokens[i].type != "tr_close":
                if tokens[i].type in ("th_open", "td_open"):
                    cells.append(_inline(tokens[i + 1]))
                    i += 3
                else:
                    i += 1
            yield section, cells
        i += 1


def _table(tokens: list[Token], i: int) -> tuple[nodes.Node, int]:
    rows = list(_rows(tokens, i))
    end = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
    width = max((len(cells) for _, cells in rows), default=1)
    table = nodes.table()
    group = nodes.tgroup(cols=width)
    table += group
    group.extend(nodes.colspec(colwidth=1) for _ in range(width))
    head, body = nodes.thead(), nodes.tbody()
    for section, cells in rows:
        row = nodes.row()
        for cell in cells + [[] for _ in range(width - len(cells))]:
            entry = nodes.entry()
            para = nodes.paragraph()
            para.extend(cell)
            entry += para
            row += entry
        (head if section == "thead" else body).append(row)
    if len(head):
        group += head
    group += body
    return table, end + 1


def _inline(token: Token) -> list[nodes.Node]:
    out: list[nodes.Node] = []
    stack: list[nodes.Element] = []

    def add(node: nodes.Node) -> None:
        (stack[-1] if stack else out).append(node)  # type: ignore[union-attr]

    for child in token.children or []:
        kind = child.type
        if kind in ("text", "html_inline"):
            add(nodes.Text(child.content))
        elif kind == "code_inline":
            add(nodes.literal(child.content, child.content))
        elif kind in ("softbreak", "hardbreak"):
            add(nodes.Text(" "))
        elif kind in ("strong_open", "em_open", "link_open"):
            if kind == "link_open":
                href = str(child.attrs.get("href", ""))
                element: nodes.Element = nodes.reference(refuri=href) if _local(href) else nodes.inline()
            else:
                element = nodes.strong() if kind == "strong_open" else nodes.emphasis()
            stack.append(element)
        elif kind in ("strong_close", "em_close", "link_close") and stack:
            element = stack.pop()
            add(element)
    while stack:
        add(stack.pop())
    return out


def _local(href: str) -> bool:
    """Only the project's own pages are linked: no schemes, no protocol-relative URLs."""
    return bool(href) and ":" not in href.split("/")[0] and not href.startswith("//")
