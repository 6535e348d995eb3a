"""NumPy-style parameter entries read as numpydoc defines them, from the docstring's own text.

griffe's NumPy parser reads the first member of a choice set `{'lbfgs', 'sgd'}` as the default
(ignoring an explicit `default='sgd'` after it), and does not join a type wrapped onto the next
line after a `\\`. So the entry heads (`name1, name2 : type, default=value`) are re-read here:
the type (choice sets included), the default, and whether the entry says `optional`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_ENTRY_SECTIONS = frozenset({
    "parameters", "other parameters", "attributes", "keyword arguments", "keyword args",
    "params", "arguments", "args",
})
_HEAD = re.compile(r"^(?P<names>\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s*:(?!:)\s*(?P<type>.*)$")
_BARE = re.compile(r"^(?P<names>\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)$")
_DEFAULT_PART = re.compile(r"^defaults?\s*(?:=|:|\s+is\b|\s+to\b|\s)\s*(?P<value>.+)$", re.I | re.S)
_OPENERS, _CLOSERS = "([{", ")]}"


@dataclass(frozen=True)
class NumpyHead:
    """What an entry's head line says, continuation lines joined."""

    type: str | None
    default: str | None
    optional: bool
    continuation: str = ""  # the joined continuation line, as written (to drop from the text)


def _split_top_level(text: str) -> list[str]:
    """Split at commas outside brackets and quotes: `{'a', 'b'}, default=(1, 2)` -> 2 parts."""
    parts, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote and text[index - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def read_head(type_text: str) -> NumpyHead:
    """`{'lbfgs', 'sgd'}, default='sgd'` -> type `{'lbfgs', 'sgd'}`, default `'sgd'`."""
    types: list[str] = []
    default: str | None = None
    optional = False
    for part in _split_top_level(type_text):
        match = _DEFAULT_PART.match(part)
        if match and default is None:
            default = match.group("value").strip()
        elif part.lower().strip("*`") == "optional":
            optional = True
        else:
            types.append(part)
    return NumpyHead(", ".join(types) or None, default, optional)


def _sections(lines: list[str]) -> list[tuple[str, int, int]]:
    """(lowered title, first body line, end) of each underlined section."""
    starts = [(lines[i].strip().lower(), i + 2) for i in range(len(lines) - 1)
              if lines[i].strip() and _UNDERLINE.match(lines[i + 1])]
    return [(title, first, starts[n + 1][1] - 2 if n + 1 < len(starts) else len(lines))
            for n, (title, first) in enumerate(starts)]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _continues(head: str, following: str) -> bool:
    """A head wrapped onto the next line: after a `\\`, or a `default=` left for the next."""
    if head.endswith("\\"):
        return True
    return head.endswith(",") and bool(_DEFAULT_PART.match(following.strip()))


# Words that open a note, not an entry: "TODO: looks like not used yet" in a Parameters section.
_NOT_NAMES = frozenset({"todo", "note", "notes", "fixme", "xxx", "warning", "see", "example", "examples"})


def has_entry_section(text: str) -> bool:
    """Whether the text has an underlined parameters or attributes section."""
    return any(title in _ENTRY_SECTIONS for title, _, _ in _sections(text.expandtabs().split("\n")))


def numpy_heads(text: str) -> dict[str, NumpyHead]:
    """Name -> its head, for every entry of the NumPy parameter and attribute sections."""
    lines = text.expandtabs().split("\n")
    heads: dict[str, NumpyHead] = {}
    for title, first, end in _sections(lines):
        if title not in _ENTRY_SECTIONS:
            continue
        body = [i for i in range(first, end) if lines[i].strip()]
        if not body:
            continue
        base = min(_indent(lines[i]) for i in body)
        for i in body:
            if _indent(lines[i]) != base:
                continue
            match = _HEAD.match(lines[i].strip())
            bare = _BARE.match(lines[i].strip())
            if bare and bare.group("names").lower() not in _NOT_NAMES:  # an entry with no type: `x` alone
                for name in re.split(r"\s*,\s*", bare.group("names")):
                    heads.setdefault(name.lstrip("*"), NumpyHead(None, None, False))
            if not match:
                continue
            if match.group("names").lower() in _NOT_NAMES:
                continue
            type_text, continuation = match.group("type").strip(), ""
            if i + 1 < end and _continues(type_text, lines[i + 1]):
                continuation = lines[i + 1].strip()
                type_text = f"{type_text.rstrip(chr(92)).rstrip()} {continuation}"
            head = read_head(type_text)
            head = NumpyHead(head.type, head.default, head.optional, continuation)
            for name in re.split(r"\s*,\s*", match.group("names")):
                heads.setdefault(name.lstrip("*"), head)
    return heads
