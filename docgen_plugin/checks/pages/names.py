"""What an object accepts, and the names and values a page's tables and lists state."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from docgen_plugin.checks.docstring_rules import CLOSE_MATCH, TYPO_MATCH, adds_words, did_you_mean
from docgen_plugin.checks.pages.model import Entry, Inline, Paragraph, Span, Table
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.sections.catalogue import normalise
from docgen_plugin.sections.context import context_objects

NAME_HEADERS = frozenset({
    "name", "names", "parameter", "parameters", "param", "params", "argument", "arguments",
    "arg", "args", "field", "fields", "key", "keys", "option", "options", "hyperparameter",
    "hyperparameters", "hyper parameter", "setting", "settings", "config key", "config option",
    "keyword", "keyword argument", "kwarg", "kwargs", "input", "inputs", "parameter name",
    "argument name", "field name", "key name",
})
INPUT_HEADERS = frozenset({"input", "inputs"})
DEFAULT_HEADERS = frozenset({"default", "defaults", "default value", "default values"})
# What follows the name that opens a list item written as an entry: "`x` (int): ...", "`x` - ...".
_ENTRY_TAIL = re.compile("^\\s*(?:\\(|:|-|\u2013|\u2014|=)")
_PARENTHESISED = re.compile(r"^\s*\(([^()]*)\)")


@dataclass(frozen=True)
class Accepts:
    """The names an object takes (constructor, config fields, `forward`) and their defaults."""

    obj: ObjectFacts
    names: frozenset[str]
    open: bool  # unresolved **kwargs: any name may be accepted
    defaults: dict[str, str]  # name -> the code's default (source text), None left out
    expected: tuple[str, ...]  # what a complete parameter/config table lists
    inputs: tuple[str, ...]  # what a complete inputs table lists (forward)

    @property
    def what(self) -> str:
        return "field" if self.obj.is_config else "parameter"


def accepts(obj: ObjectFacts, facts: Facts) -> Accepts:
    names: set[str] = set()
    defaults: dict[str, str] = {}
    for part in context_objects(obj, facts):
        for signature in part.signatures:
            for param in signature.params:
                if param.is_variadic or param.name in ("self", "cls"):
                    continue
                names.add(param.name)
                if param.default is not None and signature.name in ("__init__", part.name):
                    defaults.setdefault(param.name, param.default)
        for item in part.fields:
            names.add(item.name)
            if item.default is not None:
                defaults.setdefault(item.name, item.default)
    call = obj.call_signature
    if obj.is_config and obj.fields:
        expected = tuple(f.name for f in obj.fields)
    elif call is not None:
        expected = tuple(p.name for p in call.shown_params if not p.is_variadic)
    else:
        expected = ()
    forward = obj.signature("forward") or obj.signature("__call__")
    inputs = tuple(p.name for p in forward.shown_params if not p.is_variadic) if forward else ()
    return Accepts(
        obj=obj,
        names=frozenset(names),
        open=call is not None and call.accepts_any_keyword,
        defaults=defaults,
        expected=tuple(n for n in expected if not n.startswith("_")),
        inputs=tuple(n for n in inputs if not n.startswith("_")),
    )


def unknown_hint(found: Accepts, name: str, certain: bool) -> str | None:
    """The did-you-mean hint ("" for none) when `name` should be reported, else None."""
    if name in found.names:
        return None
    candidates = sorted(found.names)
    if found.open or not certain:
        guess = did_you_mean(name, candidates, TYPO_MATCH if found.open else CLOSE_MATCH)
        if guess is None or adds_words(name, guess):
            return None  # may be read from **kwargs, or be about something else
        return f"; did you mean `{guess}`?"
    guess = did_you_mean(name, candidates, CLOSE_MATCH)
    return f"; did you mean `{guess}`?" if guess else ""


def is_name(text: str) -> bool:
    return text.isidentifier() and not keyword.iskeyword(text) and text not in ("True", "False", "None")


def cell_name(cell: Inline) -> str | None:
    """The parameter a table cell names: its leading code span, or its whole plain text."""
    spans = [s for s in cell.spans if s.text.strip()]
    if not spans:
        return None
    if spans[0].kind == "code":
        text = spans[0].text.strip()
    elif len(spans) == 1:
        text = spans[0].text.strip().strip("*_")
    else:
        return None
    return text if is_name(text) else None


def column(header: tuple[Inline, ...], names: frozenset[str]) -> int | None:
    for index, cell in enumerate(header):
        if normalise(cell.plain) in names:
            return index
    return None


@dataclass(frozen=True)
class TableNames:
    """The names of a parameter-like table, their rows, and its Default column."""

    names: tuple[tuple[str, int, Inline | None], ...]  # name, row line, default cell
    inputs: bool


def table_names(table: Table) -> TableNames | None:
    """None for tables that are not about parameters (no name column)."""
    name_col = column(table.header, NAME_HEADERS)
    if name_col is None:
        firsts = [cell_name(row[0]) if row else None for row in table.rows]
        bare = (not table.header or not table.header[0].plain.strip())
        if not (bare and len(firsts) >= 2 and all(firsts)
                and all(row[0].spans and row[0].spans[0].kind == "code" for row in table.rows)):
            return None
        name_col = 0
    default_col = column(table.header, DEFAULT_HEADERS)
    found = []
    for row, line in zip(table.rows, table.row_lines):
        if name_col >= len(row):
            continue
        name = cell_name(row[name_col])
        if name is not None:
            default = row[default_col] if default_col is not None and default_col < len(row) else None
            found.append((name, line, default))
    inputs = name_col < len(table.header) and normalise(table.header[name_col].plain) in INPUT_HEADERS
    return TableNames(tuple(found), inputs)


@dataclass(frozen=True)
class EntryText:
    """A `name: description` entry: a definition, an RST field, a list item opening with
    the name in code."""

    name: str
    annotation: str | None
    description: str
    line: int


def entry_text(block: Entry | Paragraph) -> EntryText | None:
    if isinstance(block, Entry):
        name = cell_name(block.term)
        if name is None:
            return None
        plain_term = block.term.spans and block.term.spans[0].kind == "text"
        if plain_term and "_" not in name:
            return None  # a glossary word, not a parameter
        rest = "".join(s.text for s in block.term.spans[1:])
        annotation = _PARENTHESISED.match(rest)
        description = " ".join(b.text for b in block.body)
        return EntryText(name, annotation.group(1) if annotation else None, description, block.line)
    if not block.item or not block.inline.spans or block.inline.spans[0].kind != "code":
        return None
    name = block.inline.spans[0].text.strip()
    tail = Inline(block.inline.spans[1:]).text
    if not is_name(name) or not _ENTRY_TAIL.match(tail):
        return None
    annotation = _PARENTHESISED.match(tail)
    description = tail[annotation.end():] if annotation else tail
    return EntryText(name, annotation.group(1) if annotation else None,
                     description.lstrip(" :-\u2013\u2014"), block.line)


_SENTENCE_END = re.compile(r"[.;!?](?=\s|$)")


def sentences(inline: Inline) -> list[list[Span]]:
    """The inline split into sentences (only prose ends a sentence; code spans never do)."""
    out: list[list[Span]] = [[]]
    for span in inline.spans:
        if span.kind == "code":
            out[-1].append(span)
            continue
        rest = span.text
        while True:
            match = _SENTENCE_END.search(rest)
            if match is None:
                if rest:
                    out[-1].append(Span("text", rest, span.line))
                break
            out[-1].append(Span("text", rest[: match.end()], span.line))
            out.append([])
            rest = rest[match.end():]
    return [s for s in out if s]
