"""The parameter entries of a docstring, read from its raw source text line by line.

griffe gives names, types and defaults but not where they are written; an edit needs the
exact lines and character spans, so the three styles are read here again, only as far as
entries go: Google (Hugging Face's `name (`int`, *optional*, defaults to 3):` included),
NumPy (`name : type` under an underlined heading) and Sphinx (`:param name:` fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")
_GOOGLE_HEADING = re.compile(
    r"^[ \t]*(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters|"
    r"Other Arguments|Kwargs|Attributes)[ \t]*:[ \t]*$", re.I)
_NUMPY_HEADING = re.compile(r"^[ \t]*(\w[\w ]*?)[ \t]*$")
_NUMPY_PARAMS = frozenset({"parameters", "params", "other parameters", "keyword arguments",
                           "attributes", "arguments"})
_UNDERLINE = re.compile(r"^[ \t]*-{3,}[ \t]*$")
_NAME = re.compile(r"[ \t]*(\**)([A-Za-z_]\w*)")
_NUMPY_HEAD = re.compile(r"^([ \t]*)(\**[A-Za-z_]\w*(?:[ \t]*,[ \t]*\**[A-Za-z_]\w*)*)[ \t]*"
                         r"(?:(:)[ \t]*(.*?))?[ \t]*$")
_SPHINX_PARAM = re.compile(r"^([ \t]*):(param|parameter|arg|argument|key|keyword)[ \t]+"
                           r"(?:([^:\n]*?)[ \t]+)?(\**)([A-Za-z_]\w*)[ \t]*:")
_SPHINX_TYPE = re.compile(r"^([ \t]*):type[ \t]+(\**)([A-Za-z_]\w*)[ \t]*:[ \t]*(.*?)[ \t]*$")


def split_lines(text: str) -> list[str]:
    """Lines with their own endings (CRLF stays CRLF); joined, they give `text` back."""
    return [m.group(0) for m in _LINE.finditer(text) if m.group(0)]


def content(line: str) -> str:
    return line.rstrip("\r\n")


def width(line: str) -> int:
    """Indentation width, tabs to 8 columns as Python's tokenizer counts them."""
    stripped = content(line)
    return len(stripped.expandtabs(8)) - len(stripped.lstrip().expandtabs(8)) if stripped.strip() \
        else -1


def leading(line: str) -> str:
    text = content(line)
    return text[:len(text) - len(text.lstrip(" \t"))]


@dataclass
class Entry:
    """One entry: lines `head` to `end` (exclusive, trailing blank lines not included)."""

    name: str | None  # None: several names (`x, y : int`) or unreadable
    head: int
    end: int
    name_span: tuple[int, int] = (0, 0)  # in the head line
    type_span: tuple[int, int] | None = None  # the type text in the head line
    text_start: int = 0  # where the description starts in the head line


@dataclass
class Section:
    """A parameters (or attributes) section, or for Sphinx the run of `:param:` fields."""

    style: str
    kind: str  # "params" or "attributes"
    heading: int  # line index of the heading (-1 for Sphinx)
    end: int
    entries: list[Entry] = field(default_factory=list)
    types: dict[str, Entry] = field(default_factory=dict)  # Sphinx `:type x:` fields

    def entry(self, name: str) -> Entry | None:
        return next((e for e in self.entries if e.name == name), None)


def _block_end(lines: list[str], start: int, stop: int, indent: int) -> int:
    """One past the last line, from `start`, indented deeper than `indent` (blank lines inside)."""
    end = start
    for index in range(start, stop):
        w = width(lines[index])
        if w == -1:
            continue
        if w <= indent:
            break
        end = index + 1
    return end


def _matching_paren(text: str, start: int) -> int | None:
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return None


def _google_entry(lines: list[str], index: int, stop: int, indent: int) -> Entry:
    text = content(lines[index])
    end = _block_end(lines, index + 1, stop, indent) or index + 1
    end = max(end, index + 1)
    match = _NAME.match(text)
    if match is None:
        return Entry(None, index, end)
    position, type_span = match.end(), None
    rest = text[position:]
    spaces = len(rest) - len(rest.lstrip(" \t"))
    if rest[spaces:spaces + 1] == "(":
        close = _matching_paren(text, position + spaces)
        if close is None:
            return Entry(None, index, end)
        type_span, position = (position + spaces + 1, close), close + 1
        rest = text[position:]
        spaces = len(rest) - len(rest.lstrip(" \t"))
    if rest[spaces:spaces + 1] != ":" or rest[spaces:spaces + 2] == "::":
        return Entry(None, index, end)
    return Entry(match.group(2), index, end, match.span(2), type_span, position + spaces + 1)


def _google(lines: list[str]) -> list[Section]:
    sections = []
    index = 0
    while index < len(lines):
        heading = _GOOGLE_HEADING.match(content(lines[index]))
        if heading is None:
            index += 1
            continue
        indent = width(lines[index])
        kind = "attributes" if heading.group(1).lower() == "attributes" else "params"
        end = _block_end(lines, index + 1, len(lines), indent)
        section = Section("google", kind, index, max(end, index + 1))
        first = next((i for i in range(index + 1, end) if width(lines[i]) > indent), None)
        if first is not None:
            entry_indent = width(lines[first])
            for i in range(first, end):
                if width(lines[i]) == entry_indent:
                    section.entries.append(_google_entry(lines, i, end, entry_indent))
                elif width(lines[i]) != -1 and width(lines[i]) < entry_indent:
                    section.entries.append(Entry(None, i, i + 1))  # odd indentation: unreadable
        sections.append(section)
        index = max(end, index + 1)
    return sections


def _numpy_heading(lines: list[str], index: int) -> str | None:
    if index + 1 >= len(lines) or not _UNDERLINE.match(content(lines[index + 1])):
        return None
    match = _NUMPY_HEADING.match(content(lines[index]))
    return match.group(1).lower() if match else None


def _numpy(lines: list[str]) -> list[Section]:
    sections = []
    index = 0
    while index < len(lines):
        title = _numpy_heading(lines, index)
        if title is None:
            index += 1
            continue
        if title not in _NUMPY_PARAMS:
            index += 2
            continue
        indent = width(lines[index])
        section = Section("numpy", "attributes" if title == "attributes" else "params", index, index + 2)
        i = index + 2
        while i < len(lines):
            w = width(lines[i])
            if w == -1:
                i += 1
                continue
            if w < indent or _numpy_heading(lines, i) is not None:
                break
            match = _NUMPY_HEAD.match(content(lines[i]))
            if w > indent or match is None:
                break  # prose at the entries' indentation: the section ended
            end = max(_block_end(lines, i + 1, len(lines), indent), i + 1)
            names = match.group(2)
            entry = Entry(None if "," in names else names.lstrip("*"), i, end)
            if entry.name is not None:
                stars = len(names) - len(names.lstrip("*"))
                entry.name_span = (match.start(2) + stars, match.end(2))
                if match.group(3):
                    entry.type_span = match.span(4)
                entry.text_start = len(content(lines[i]))
            section.entries.append(entry)
            section.end = end
            i = end
        sections.append(section)
        index = max(i, index + 2)
    return sections


def _sphinx(lines: list[str]) -> list[Section]:
    section = Section("sphinx", "params", -1, 0)
    for index, line in enumerate(lines):
        text = content(line)
        param, typed = _SPHINX_PARAM.match(text), _SPHINX_TYPE.match(text)
        if param is None and typed is None:
            continue
        end = max(_block_end(lines, index + 1, len(lines), width(line)), index + 1)
        if param is not None:
            entry = Entry(param.group(5), index, end, param.span(5),
                          param.span(3) if param.group(3) else None, param.end())
            section.entries.append(entry)
        elif typed is not None:
            section.types[typed.group(3)] = Entry(typed.group(3), index, end, typed.span(3),
                                                  typed.span(4), typed.end())
        section.end = max(section.end, end)
    return [section] if section.entries else []


def read_sections(body: str, style: str) -> tuple[list[str], list[Section]]:
    """The body's lines and its parameter/attribute sections, in the docstring's style."""
    lines = split_lines(body)
    reader = {"numpy": _numpy, "sphinx": _sphinx}.get(style, _google)
    return lines, reader(lines)
