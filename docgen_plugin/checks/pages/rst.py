"""reStructuredText pages -> `Page`, through docutils' own parser, reporting silenced.

Sphinx directives and roles docutils does not know are tolerated: the ones that matter here
are stood in for while parsing (autodoc and `py:` object directives open a region for their
object, code directives become code blocks, cross-reference roles become code spans); any
other unknown directive is dropped with its error message, never raised.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from docutils import nodes, utils
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles

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
    Problem,
    Region,
    Span,
    Suppression,
    Table,
    ignore_codes,
)

_SETTINGS = {
    "report_level": 5, "halt_level": 5, "exit_status_level": 5, "warning_stream": io.StringIO(),
    "file_insertion_enabled": False, "raw_enabled": False, "syntax_highlight": "none",
    "input_encoding": "unicode", "_disable_config": True, "traceback": True,
    "line_length_limit": 100_000,
    # keep sections where they are: a promoted title or subtitle would drop a heading
    "doctitle_xform": False, "sectsubtitle_xform": False,
}
_PARAM_FIELDS = frozenset({"param", "parameter", "arg", "argument", "key", "keyword", "kwarg"})


class _Scope(nodes.General, nodes.Element):
    """The body of an object directive (`.. autoclass:: pkg.Obj`)."""


class _Module(nodes.General, nodes.Element):
    """`.. currentmodule:: pkg`: short names after it are under `pkg`."""


class _AnyOptions(dict):  # type: ignore[type-arg]
    """An option spec that accepts every option (their values do not matter here)."""

    def __init__(self) -> None:
        super().__init__(any=directives.unchanged)

    def __getitem__(self, key: str) -> Any:
        return directives.unchanged

    def __contains__(self, key: object) -> bool:
        return True


class _ObjectDirective(Directive):
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = _AnyOptions()
    has_content = True

    def run(self) -> list[nodes.Node]:
        node = _Scope()
        name = self.arguments[0].split("(")[0].strip() if self.arguments else ""
        node["object"] = name
        node["start"] = self.lineno
        node["end"] = self.content_offset + len(self.content)
        node.line = self.lineno
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class _ModuleDirective(Directive):
    optional_arguments = 1
    option_spec = _AnyOptions()
    has_content = True

    def run(self) -> list[nodes.Node]:
        node = _Module()
        node["module"] = self.arguments[0].strip() if self.arguments else ""
        return [node]


def _code_directive(default_language: str) -> type[Directive]:
    class _CodeDirective(Directive):
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = _AnyOptions()
        has_content = True

        def run(self) -> list[nodes.Node]:
            code = "\n".join(self.content)
            node = nodes.literal_block(code, code)
            node["language"] = (self.arguments[0].split()[0] if self.arguments
                                else default_language)
            node["first_line"] = self.content_offset + 1
            return [node]

    return _CodeDirective


def _code_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
               options: Any = None, content: Any = None) -> tuple[list[nodes.Node], list[Any]]:
    """`:class:`~pkg.Obj`` -> a code span holding `pkg.Obj`."""
    target = utils.unescape(text)
    titled = re.fullmatch(r"(?s)(.*?)\s*<(.+)>", target)
    if titled:
        target = titled.group(2)
    return [nodes.literal(rawtext, target.lstrip("~!."))], []


def _text_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
               options: Any = None, content: Any = None) -> tuple[list[nodes.Node], list[Any]]:
    """`:ref:`Title <label>`` -> its title as text."""
    target = utils.unescape(text)
    titled = re.fullmatch(r"(?s)(.*?)\s*<(.+)>", target)
    return [nodes.Text(titled.group(1) if titled else target)], []


_OBJECT_NAMES = ("docgen", "autoclass", "autofunction", "automodule", "automethod",
                 "autoexception", "autodata", "autoattribute", "class", "function", "method",
                 "exception", "py:class", "py:function", "py:method", "py:exception")
_CODE_NAMES = {"code": "", "code-block": "", "sourcecode": "", "testcode": "python",
               "testsetup": "python", "doctest": "pycon", "ipython": "ipython",
               "jupyter-execute": "python", "code-cell": "python"}
_CODE_ROLES = ("class", "func", "meth", "attr", "obj", "mod", "data", "exc", "const", "any",
               "paramref", "py:class", "py:func", "py:meth", "py:attr", "py:obj", "py:mod",
               "py:data", "py:exc", "py:const", "samp", "file")
_TEXT_ROLES = ("ref", "doc", "term", "numref", "download", "envvar", "program", "option",
               "guilabel", "menuselection", "kbd", "abbr", "cite", "footcite", "issue", "pr")


def _registry() -> tuple[dict[str, Any], dict[str, Any]]:
    found: dict[str, Any] = dict.fromkeys(_OBJECT_NAMES, _ObjectDirective)
    found.update({name: _code_directive(language) for name, language in _CODE_NAMES.items()})
    found.update(dict.fromkeys(("currentmodule", "module", "py:currentmodule", "py:module"),
                               _ModuleDirective))
    found_roles: dict[str, Any] = dict.fromkeys(_CODE_ROLES, _code_role)
    found_roles.update(dict.fromkeys(_TEXT_ROLES, _text_role))
    return found, found_roles


@contextmanager
def _tolerant() -> Iterator[None]:
    """docutils' directive and role tables replaced for one parse, as Sphinx does: inside a
    Sphinx build its own directives (which need a Sphinx environment) stay out of the way."""
    saved = directives._directives, roles._roles  # type: ignore[attr-defined]
    found, found_roles = _registry()
    directives._directives, roles._roles = found, found_roles  # type: ignore[attr-defined]
    try:
        yield
    finally:
        directives._directives, roles._roles = saved  # type: ignore[attr-defined]


def read_rst(text: str, path: str) -> Page:
    """The page's blocks, links, regions and suppressions."""
    try:
        with _tolerant():
            document = publish_doctree(text, source_path=path or None,
                                       settings_overrides=dict(_SETTINGS, warning_stream=io.StringIO()))
    except Exception as error:  # docutils on hostile input: say so, never crash the check
        return Page(path, "rst", problems=(Problem(
            "DG005", f"cannot read the page as reStructuredText: {type(error).__name__}: {error}"),))
    walker = _Walker(text.splitlines())
    walker.walk(document, level=0)
    state = walker.state
    return Page(path, "rst", tuple(state.blocks), {}, tuple(state.links), tuple(state.regions),
                tuple(state.suppressions))


@dataclass
class _State:
    blocks: list[Block] = field(default_factory=list)
    links: list[ApiLink] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)


class _Walker:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.state = _State()
        self.module = ""

    def locate(self, text: str, hint: int | None) -> int:
        """The line holding `text` nearest to docutils' hint (its lines are not always exact)."""
        needle = text.strip().split("\n", 1)[0].strip()
        hint = hint or 1
        if not needle:
            return hint
        for distance in range(0, 40):
            for line in (hint - distance, hint + distance):
                if 1 <= line <= len(self.lines) and needle in self.lines[line - 1]:
                    return line
        return hint

    def walk(self, node: nodes.Element, level: int) -> None:
        children = list(node.children)
        for index, child in enumerate(children):
            self.visit(child, level, children[index + 1:] if index + 1 < len(children) else [])

    def visit(self, node: nodes.Node, level: int, following: list[nodes.Node]) -> None:
        if isinstance(node, (nodes.system_message, nodes.Text, nodes.raw, nodes.substitution_definition)):
            return
        if isinstance(node, nodes.section):
            self.walk(node, level + 1)
        elif isinstance(node, nodes.title):
            if isinstance(node.parent, (nodes.section, nodes.document)):
                line = self.locate(node.astext(), node.line)
                depth = 1 if isinstance(node.parent, nodes.document) else max(level, 1)
                self.state.blocks.append(Heading(depth, self.inline(node, line), line))
        elif isinstance(node, nodes.paragraph):
            item = isinstance(node.parent, nodes.list_item) and node.parent.index(node) == 0
            line = node.line or self.locate(node.astext(), None)
            self.state.blocks.append(Paragraph(self.inline(node, line), line, item))
        elif isinstance(node, nodes.table):
            self.table(node)
        elif isinstance(node, nodes.field):
            self.field(node)
        elif isinstance(node, nodes.definition_list_item):
            self.definition(node)
        elif isinstance(node, nodes.literal_block):
            self.code(node)
        elif isinstance(node, nodes.doctest_block):
            text = node.astext()
            self.state.blocks.append(Code("pycon", text, self.locate(text, node.line)))
        elif isinstance(node, nodes.comment):
            self.comment(node, following)
        elif isinstance(node, _Module):
            self.module = node["module"]
        elif isinstance(node, _Scope):
            self.scope(node, level)
        elif isinstance(node, nodes.Element):
            self.walk(node, level)

    def inline(self, node: nodes.Element, line: int) -> Inline:
        spans: list[Span] = []
        current = line

        def visit(n: nodes.Node) -> None:
            nonlocal current
            if isinstance(n, nodes.system_message):
                return
            if isinstance(n, (nodes.literal, nodes.title_reference)):
                text = n.astext()
                spans.append(Span("code", text.replace("\n", " "), current))
                current += text.count("\n")
            elif isinstance(n, nodes.Text):
                text = n.astext()
                spans.append(Span("text", text.replace("\n", " "), current))
                current += text.count("\n")
            elif isinstance(n, nodes.Element):
                for child in n.children:
                    visit(child)

        for child in node.children:
            visit(child)
        return Inline(tuple(spans), line)

    def table(self, node: nodes.table) -> None:
        header: list[Inline] = []
        rows: list[tuple[Inline, ...]] = []
        row_lines: list[int] = []
        first = 0
        for part in node.findall(lambda n: isinstance(n, (nodes.thead, nodes.tbody))):
            for row in part.children:
                if not isinstance(row, nodes.row):
                    continue
                lines = [p.line for p in row.findall(nodes.paragraph) if p.line]
                line = min(lines) if lines else (row_lines[-1] + 1 if row_lines else 0)
                cells = tuple(self.entry(entry, line) for entry in row.children
                              if isinstance(entry, nodes.entry))
                first = first or line
                if isinstance(part, nodes.thead):
                    header = list(cells)
                else:
                    rows.append(cells)
                    row_lines.append(line)
        if header or rows:
            self.state.blocks.append(Table(tuple(header), tuple(rows), tuple(row_lines), first))

    def entry(self, entry: nodes.entry, line: int) -> Inline:
        paragraphs = [p for p in entry.children if isinstance(p, nodes.paragraph)]
        if not paragraphs:
            return Inline((), line)
        inlines = [self.inline(p, p.line or line) for p in paragraphs]
        spans = tuple(s for i in inlines for s in (*i.spans, Span("text", " ", i.line)))[:-1]
        return Inline(spans, inlines[0].line)

    def field(self, node: nodes.field) -> None:
        name = node.children[0].astext().split() if node.children else []
        if len(name) == 2 and name[0].lower() in _PARAM_FIELDS:
            term = name[1]
        elif len(name) == 3 and name[0].lower() in _PARAM_FIELDS:
            term = name[2]  # `:param float dropout:`
        elif len(name) == 1 and name[0].isidentifier():
            term = name[0]
        else:
            return
        line = node.line or 0
        body = [self.inline(p, p.line or line) for p in node.findall(nodes.paragraph)]
        self.state.blocks.append(Entry(Inline((Span("code", term, line),), line), tuple(body), line))

    def definition(self, node: nodes.definition_list_item) -> None:
        term = next((c for c in node.children if isinstance(c, nodes.term)), None)
        definition = next((c for c in node.children if isinstance(c, nodes.definition)), None)
        if term is None:
            return
        line = term.line or node.line or 0
        body = [self.inline(p, p.line or line) for p in definition.children
                if isinstance(p, nodes.paragraph)] if definition is not None else []
        self.state.blocks.append(Entry(self.inline(term, line), tuple(body), line))
        if definition is not None:  # code and tables inside a definition are still blocks
            for child in definition.children:
                if not isinstance(child, nodes.paragraph):
                    self.visit(child, 0, [])

    def code(self, node: nodes.literal_block) -> None:
        text = node.astext()
        language = node.get("language") or ""
        classes = [c for c in node.get("classes", []) if c != "code"]
        if not language and classes:
            language = classes[0]
        line = node.get("first_line") or self.locate(text, node.line)
        self.state.blocks.append(Code(language, text, line))

    def comment(self, node: nodes.comment, following: list[nodes.Node]) -> None:
        codes = ignore_codes(node.astext())
        if codes is None:
            return
        content = [b for b in self.state.blocks if not (isinstance(b, Heading) and b.level == 1)]
        if not content:
            self.state.suppressions.append(Suppression(codes, 1, WHOLE_PAGE))
            return
        target = next((n for n in following if not isinstance(n, (nodes.comment, nodes.Text))), None)
        if target is None:
            return
        start = self.locate(node.astext(), node.line)
        self.state.suppressions.append(Suppression(codes, start, _last_line(target, start)))

    def scope(self, node: _Scope, level: int) -> None:
        name = node["object"]
        if name and self.module and "." not in name:
            name = f"{self.module}.{name}"
        if name:
            self.state.links.append(ApiLink(name, node["start"]))
            self.state.regions.append(Region(name, node["start"], node["end"]))
        self.walk(node, level)


def _last_line(node: nodes.Node, start: int) -> int:
    """The last line a block reaches, from the lines its parts carry."""
    last = start
    for part in node.findall(nodes.Element):
        line = part.line or 0
        if isinstance(part, (nodes.literal_block, nodes.doctest_block, nodes.paragraph)) and line:
            line = (part.get("first_line") or line) + part.astext().count("\n")
        last = max(last, line)
    return last
