"""Docstrings as labels: split a raw docstring into its sections, turn sections into label text,
and rebuild the docstring without a labeled section (so a prompt never quotes its own answer).

The splitter reads Google (`Args:`, `Examples::`), NumPy (`Returns` + dashes), Sphinx fields
(`:raises ValueError: ...`), RST admonitions (`.. note::`) and bare doctest sessions. It works
on the raw text griffe cleaned (`Docstring.text`), so a rebuilt docstring reads as written.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, replace

from docgen_plugin.facts.model import DocSection, Docstring
from docgen_plugin.sections.catalogue import DOCSTRING_SECTIONS

# heading (lower case) -> block kind
_HEADINGS: dict[str, str] = {
    **dict.fromkeys(("args", "arguments", "parameters", "params", "keyword args", "keyword arguments",
                     "other parameters", "other args", "kwargs", "keyword parameters"), "parameters"),
    **dict.fromkeys(("attributes", "members"), "attributes"),
    **dict.fromkeys(("returns", "return", "yields", "yield"), "returns"),
    **dict.fromkeys(("raises", "raise", "exceptions", "except"), "raises"),
    **dict.fromkeys(("example", "examples", "usage", "usage example"), "examples"),
    **dict.fromkeys(("note", "notes", "warning", "warnings", "caution", "attention", "danger",
                     "important", "limitations"), "admonition"),
    **dict.fromkeys(("shape", "shapes"), "shape"),
    **dict.fromkeys(("see also", "references", "todo", "methods", "warns", "receives", "tip",
                     "hint", "reference", "math", "inputs", "outputs", "output", "input",
                     "deprecated", "versionadded", "versionchanged"), "other"),
}
_GOOGLE = re.compile(r"^(?P<name>[A-Za-z][A-Za-z ]{1,30}?)\s*::?\s*$")
_DASHES = re.compile(r"^\s*-{3,}\s*$")
_FIELD = re.compile(r"^:(?P<name>[a-zA-Z]+)(?:\s+[^:`]+)?:(?:\s|$)")
_DIRECTIVE = re.compile(r"^\.\.\s+(?P<name>[\w:-]+)::")
_FIELD_KINDS = {
    **dict.fromkeys(("param", "parameter", "arg", "argument", "key", "keyword", "type"), "parameters"),
    **dict.fromkeys(("raises", "raise", "except", "exception"), "raises"),
    **dict.fromkeys(("returns", "return", "rtype", "yields", "yield", "ytype"), "returns"),
    **dict.fromkeys(("var", "ivar", "cvar", "vartype"), "attributes"),
}
_ADMONITIONS = frozenset({"note", "warning", "caution", "attention", "danger", "important"})


@dataclass(frozen=True)
class Block:
    """One section of a raw docstring: lines [start, end) of its text."""

    kind: str  # text, parameters, attributes, returns, raises, examples, admonition, shape, other
    title: str
    body: str  # the content, heading left out, dedented
    start: int
    end: int


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _heading(lines: list[str], i: int) -> tuple[str, str, int] | None:
    """(kind, title, first content line) when line i opens a section."""
    line = lines[i]
    if _indent(line) == 0 and i + 1 < len(lines) and _DASHES.match(lines[i + 1]):
        name = line.strip().lower()
        if name in _HEADINGS:
            return _HEADINGS[name], line.strip(), i + 2
    match = _GOOGLE.match(line)
    if match and _indent(line) == 0:
        name = match.group("name").strip().lower()
        if name in _HEADINGS:
            return _HEADINGS[name], match.group("name").strip(), i + 1
    directive = _DIRECTIVE.match(line)
    if directive:
        name = directive.group("name").lower()
        kind = "admonition" if name in _ADMONITIONS else (
            "examples" if name in ("testcode", "doctest", "code-block", "code") else "other")
        return kind, name, i
    field = _FIELD.match(line)
    if field and _indent(line) == 0:
        return _FIELD_KINDS.get(field.group("name").lower(), "other"), field.group("name"), i
    if line.startswith(">>>"):
        return "examples", "", i
    return None


def _end(lines: list[str], start: int, body: int, numpy: bool, kind: str, title: str) -> int:
    """Where a section opened at `start` (content from `body`) stops."""
    j = body
    if title == "" and kind == "examples":  # a bare doctest session: until a prose paragraph
        while j < len(lines):
            if not lines[j].strip() and j + 1 < len(lines) and lines[j + 1].strip() and \
                    not lines[j + 1].startswith(">>>"):
                break
            j += 1
        return j
    if _FIELD.match(lines[start]) and body == start:  # one Sphinx field and its continuation
        j = start + 1
        while j < len(lines) and lines[j].strip() and _indent(lines[j]) > 0:
            j += 1
        return j
    if body == start:  # a directive: its indented body
        j = start + 1
    if numpy:  # until the next NumPy heading or a directive at the margin
        while j < len(lines) and not (
            (j + 1 < len(lines) and _DASHES.match(lines[j + 1]) and _indent(lines[j]) == 0
             and lines[j].strip())
            or _DIRECTIVE.match(lines[j])
        ):
            j += 1
    else:  # Google or directive: blank or indented lines
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > 0):
            j += 1
    while j > body and not lines[j - 1].strip():
        j -= 1
    return j


def split_docstring(text: str) -> list[Block]:
    """The sections of a raw docstring, in order; prose between sections is `text`."""
    lines = text.strip("\n").split("\n")
    blocks: list[Block] = []
    prose_start: int | None = None
    i = 0
    while i < len(lines):
        found = _heading(lines, i)
        if found is None:
            if prose_start is None and lines[i].strip():
                prose_start = i
            i += 1
            continue
        kind, title, body = found
        numpy = body == i + 2
        end = max(_end(lines, i, body, numpy, kind, title), i + 1)
        if prose_start is not None:
            blocks.append(_block("text", "", lines, prose_start, prose_start, i))
            prose_start = None
        first = body + 1 if body == i and _DIRECTIVE.match(lines[i]) else body
        content = _directive_rest(lines[i]) if body == i and _DIRECTIVE.match(lines[i]) else ""
        block = _block(kind, title, lines, i, first, end)
        if content:
            block = replace(block, body=(content + "\n" + block.body).strip())
        if body == i and _FIELD.match(lines[i]):
            block = replace(block, body="\n".join([lines[i], *lines[i + 1:end]]))
        blocks.append(block)
        i = end
    if prose_start is not None:
        blocks.append(_block("text", "", lines, prose_start, prose_start, len(lines)))
    return [b for b in blocks if b.body.strip() or b.kind != "text"]


def _directive_rest(line: str) -> str:
    return line.split("::", 1)[1].strip()


def _block(kind: str, title: str, lines: list[str], start: int, body: int, end: int) -> Block:
    content = textwrap.dedent("\n".join(lines[body:end])).strip("\n")
    return Block(kind, title, content.rstrip(), start, end)


def join_blocks(text: str, blocks: list[Block], drop: set[int]) -> str:
    """The raw docstring without the blocks whose index is in `drop`."""
    lines = text.strip("\n").split("\n")
    kept: list[str] = []
    cursor = 0
    for index, block in enumerate(blocks):
        if index in drop:
            kept += lines[cursor:block.start]
            cursor = block.end
    kept += lines[cursor:]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def without_sections(doc: Docstring, drop: set[int], blocks: list[Block], label: str) -> Docstring:
    """The docstring with the dropped blocks out of its text and its griffe sections."""
    kinds = DOCSTRING_SECTIONS.get(label, ())
    sections: list[DocSection] = []
    removed_text = False
    for section in doc.sections:
        if section.kind in kinds:
            if section.kind == "text" and removed_text:
                sections.append(section)
                continue
            removed_text = removed_text or section.kind == "text"
            continue
        sections.append(section)
    return replace(doc, text=join_blocks(doc.text, blocks, drop), sections=tuple(sections))


# --- label text from blocks -------------------------------------------------------------------

_PROMPT = re.compile(r"^(>>>|\.\.\.)( |$)")
_DOCTEST_DIRECTIVE = re.compile(r"\s*#\s*(doctest|xdoctest):.*$")
_FENCE = re.compile(r"^```+\s*(?P<lang>[\w+-]*)\s*$")


def usage_text(body: str) -> str | None:
    """An examples section as the usage section asks: one short sentence, one python block."""
    lines = body.split("\n")
    lead: list[str] = []
    code: list[str] = []
    state = "prose"  # prose | code | output | fence
    for raw in lines:
        line = raw.rstrip()
        stripped = line.lstrip()
        fence = _FENCE.match(stripped)
        if state == "fence":
            if fence:
                state = "prose"
                continue
            if stripped.startswith((">>>", "...")) and _PROMPT.match(stripped):
                code.append(_DOCTEST_DIRECTIVE.sub("", stripped[4:] if len(stripped) > 3 else ""))
            elif any(_PROMPT.match(c.lstrip()) for c in lines):
                continue  # output inside a fenced doctest session
            else:
                code.append(line)
            continue
        if fence:
            state = "fence"
            continue
        if _PROMPT.match(stripped):
            code.append(_DOCTEST_DIRECTIVE.sub("", stripped[4:] if len(stripped) > 3 else ""))
            state = "code"
        elif not stripped:
            state = "prose" if state != "code" else "output"
        elif state in ("code", "output"):
            state = "output"  # output lines are dropped
        else:
            if code:
                code.append("# " + stripped)
            else:
                lead.append(stripped)
    if not code:
        candidate = textwrap.dedent(body).strip()
        if not candidate or not _parses(candidate) or len(candidate.split()) < 2:
            return None
        code, lead = candidate.split("\n"), []
    source = textwrap.dedent("\n".join(code)).strip("\n")
    while source.endswith("\n#") or source.split("\n")[-1].startswith("# "):
        source = source.rsplit("\n", 1)[0] if "\n" in source else ""
    if not source.strip() or not _parses(source):
        return None
    sentence = _lead_sentence(" ".join(lead))
    return f"{sentence}\n\n```python\n{source.rstrip()}\n```"


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _lead_sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(":").strip()
    if not text or len(text) > 200:
        return "Example:"
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".:")
    return first + ":" if len(first) <= 200 else "Example:"


_RAISES_GOOGLE = re.compile(r"^(?P<name>[A-Za-z_][\w.]*(?:\s*\|\s*[A-Za-z_][\w.]*)*)\s*:\s*(?P<text>.*)$")
_RAISES_FIELD = re.compile(r"^:(raises?|except|exception)\s+(?P<name>[^:]+):\s*(?P<text>.*)$")


def raises_entries(blocks: list[Block]) -> list[tuple[str, str]]:
    """(exception, when) pairs of every raises block."""
    entries: list[tuple[str, str]] = []
    for block in blocks:
        lines = block.body.split("\n")
        field = _RAISES_FIELD.match(lines[0]) if lines else None
        if field:
            text = " ".join([field.group("text"), *(x.strip() for x in lines[1:])]).strip()
            entries.append((field.group("name").strip(), text))
            continue
        current: list[str] | None = None
        for line in lines:
            if not line.strip():
                continue
            match = _RAISES_GOOGLE.match(line) if _indent(line) == 0 else None
            bare = _indent(line) == 0 and re.fullmatch(r"[A-Za-z_][\w.]*", line.strip())
            if match or bare:
                name = match.group("name") if match else line.strip()
                current = [name, match.group("text") if match else ""]
                entries.append(("", ""))  # placeholder, filled below
                entries[-1] = (current[0], current[1])
            elif current is not None:
                current[1] = (current[1] + " " + line.strip()).strip()
                entries[-1] = (current[0], current[1])
    return [(name, text) for name, text in entries if name and text]


def errors_text(blocks: list[Block]) -> str | None:
    entries = raises_entries(blocks)
    if not entries:
        return None
    return "\n".join(f"- `{name.strip('`')}`: {_lower_first(text)}" for name, text in entries)


def _lower_first(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def bullets_text(body: str) -> str:
    """A note or warning as a short bullet list (lists stay lists)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    out = []
    for paragraph in paragraphs:
        if re.match(r"^[-*+] ", paragraph):
            out.append(paragraph)
        else:
            out.append("- " + " ".join(paragraph.split()))
    return "\n".join(out)
