"""Edits of parameter entries in a docstring's raw lines, each in the entry's own spelling.

Every function takes the lines and a section read by entries.py and returns new lines (or a
reason why it cannot edit). Nothing here knows about findings or files.
"""

from __future__ import annotations

import ast
import re
import textwrap

from docgen_plugin.checks.fix.entries import Entry, Section, content, leading, width

_VALUE = r"(`[^`\n]+`|'[^'\n]*'|\"[^\"\n]*\"|\(\)|\[\]|\{\}|[-+\w.]+(?:\([^)\n]*\))?)"
# The spellings facts/docstrings.py reads, so that what is rewritten is what was read.
_IN_TYPE = re.compile(r"(?:^|,)\s*defaults?(?:\s+(?:to|is)\b(?:\s+be\b)?|\s*[:=]|\s)\s*" + _VALUE, re.I)
_IN_TEXT = re.compile(r"\bdefaults?\s*(?:to|is|[:=])\s*" + _VALUE + r"|\(default\s*[:=]?\s*" + _VALUE
                      + r"\)", re.I)
_CONDITION = re.compile(r"\s*(?:if|when|whenever|unless|otherwise)\b", re.I)
_SENTENCE_END = re.compile(r"[.;!?](?:\s|$)|\n\s*\n")
_OPTIONAL = re.compile(r"^\s*[*`]*optional[*`]*\s*$", re.I)
_DEFAULT_PART = re.compile(r"^\s*defaults?\b", re.I)
_WRAPPED = re.compile(r"^(:\w+:)?(`+)(.*?)(`+)$", re.S)


def newline_of(lines: list[str]) -> str:
    endings = [line[len(content(line)):] for line in lines if line != content(line)]
    return max(set(endings), key=endings.count) if endings else "\n"


def _value_span(match: re.Match[str]) -> tuple[int, int]:
    group = 1 if match.group(1) is not None else 2
    start, end = match.span(group)
    while end > start + 1 and match.string[end - 1] in ".,;":
        end -= 1  # "Defaults to 0.1." ends a sentence; the period is not the value's
    return start, end


def spell_value(old: str, code: str) -> str:
    """The code's default in the old value's spelling: backticks kept, quotes as it had them."""
    wrapped = re.fullmatch(r"(`+)(.*?)(`+)", old, re.S)
    inner = wrapped.group(2) if wrapped else old
    new = code
    if code[:1] in "'\"" and inner[:1] not in "'\"":
        try:
            value = ast.literal_eval(code)
        except (ValueError, SyntaxError):
            value = None
        if isinstance(value, str) and re.fullmatch(r"[\w.-]+", value):
            new = value  # the docs wrote the string bare: "Defaults to gelu"
    elif code[:1] in "'\"" and inner[:1] in "'\"" and inner[:1] != code[:1]:
        try:
            new = repr(ast.literal_eval(code)) if inner[:1] == "'" else code
        except (ValueError, SyntaxError):
            new = code
    return f"{wrapped.group(1)}{new}{wrapped.group(3)}" if wrapped else new


def _conditional(text: str, start: int) -> bool:
    return bool(_CONDITION.match(_SENTENCE_END.split(text[:start])[-1]))


def _bare(code: str) -> str | None:
    """A string default's text without quotes ("upper left" -> upper left), else None."""
    try:
        value = ast.literal_eval(code)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _misread(value: str, rest: str, code: str) -> str | None:
    """Why the stated value read from prose is not what the docs mean, or None.

    "Default is upper left" states `"upper left"`, read as `upper`; "The default is currently
    'probit'" states `'probit'`, read as `currently`; "Default is True" for a code `1` is equal.
    """
    bare = _bare(code)
    sentence = (value + _SENTENCE_END.split(rest, 1)[0]).lower()
    if bare and re.search(rf"(?<![\w-]){re.escape(bare.lower())}(?![\w-])", sentence):
        return "the docs state the code's default in words; the value read is not the one meant"
    if not re.fullmatch(r"`*['\"]?[-+\w.()\[\]{}]*['\"]?`*", value) or (
            value.strip("`").isalpha() and value.strip("`").lower() not in ("true", "false", "none")
            and bare is None):
        return "the stated default is a word, not a value"
    flags = {"true": 1, "false": 0}
    if flags.get(value.strip("`").lower()) is not None and code.strip() in ("0", "1"):
        return "True and 1 are equal in Python; state the flag as the code means it by hand"
    return None


def set_default(lines: list[str], section: Section, entry: Entry, code: str) -> list[str] | str:
    """The stated default rewritten to the code's; a reason where it cannot be."""
    out = list(lines)
    spans = []
    if entry.type_span is not None:
        spans.append((entry.head, entry.type_span, _IN_TYPE))
    typed = section.types.get(entry.name or "")
    if typed is not None and typed.type_span is not None:
        spans.append((typed.head, typed.type_span, _IN_TYPE))
    for line, (start, end), pattern in spans:
        text = content(out[line])
        match = pattern.search(text[start:end])
        if match is not None:
            a, b = _value_span(match)
            value = text[start + a:start + b]
            out[line] = text[:start + a] + spell_value(value, code) + out[line][start + b:]
            return _same_in_text(out, entry, value, code)
    block = "".join(out[entry.head:entry.end])
    base = entry.text_start
    for match in _IN_TEXT.finditer(block, base):
        if _conditional(block[base:], match.start() - base):
            continue
        a, b = _value_span(match)
        doubt = _misread(block[a:b], block[b:], code)
        if doubt is not None:
            return doubt
        new = block[:a] + spell_value(block[a:b], code) + block[b:]
        return out[:entry.head] + _relines(new) + out[entry.end:]
    return "the stated default's spelling was not found"


def _same_in_text(lines: list[str], entry: Entry, old: str, code: str) -> list[str]:
    """The description's own statements of the old default (HF writes it twice) follow the type's."""
    block = "".join(lines[entry.head:entry.end])
    pieces, last = [], entry.text_start
    for match in _IN_TEXT.finditer(block, entry.text_start):
        a, b = _value_span(match)
        if block[a:b].strip("`'\"") == old.strip("`'\""):
            pieces += [block[last:a], spell_value(block[a:b], code)]
            last = b
    if not pieces:
        return lines
    new = block[:entry.text_start] + "".join(pieces) + block[last:]
    return lines[:entry.head] + _relines(new) + lines[entry.end:]


def _relines(text: str) -> list[str]:
    from docgen_plugin.checks.fix.entries import split_lines

    return split_lines(text)


def _type_parts(text: str) -> tuple[int, int] | None:
    """The span of the type itself in a type field: without `optional` and `default ...`."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text + ","):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append((start, index))
            start = index + 1
    kept = [(a, b) for a, b in parts if not _OPTIONAL.match(text[a:b])
            and not _DEFAULT_PART.match(text[a:b]) and text[a:b].strip()]
    if not kept:
        return None
    a, b = kept[0][0], kept[-1][1]
    while a < b and text[a] in " \t":
        a += 1
    while b > a and text[b - 1] in " \t":
        b -= 1
    return a, b


def set_type(lines: list[str], section: Section, entry: Entry, new: str) -> list[str] | None:
    """The documented type rewritten, its quoting (`int`, :obj:`int`) and the rest kept."""
    typed = section.types.get(entry.name or "")
    where = (typed.head, typed.type_span) if typed is not None and typed.type_span else (
        entry.head, entry.type_span)
    line, span = where
    if span is None:
        return None
    text = content(lines[line])
    field_text = text[span[0]:span[1]]
    part = _type_parts(field_text)
    if part is None:
        return None
    old = field_text[part[0]:part[1]]
    wrapped = _WRAPPED.match(old)
    spelled = f"{wrapped.group(1) or ''}{wrapped.group(2)}{new}{wrapped.group(4)}" if wrapped else new
    a, b = span[0] + part[0], span[0] + part[1]
    out = list(lines)
    out[line] = text[:a] + spelled + lines[line][b:]
    return out


def rename(lines: list[str], section: Section, entry: Entry, new: str) -> list[str]:
    out = list(lines)
    a, b = entry.name_span
    out[entry.head] = lines[entry.head][:a] + new + lines[entry.head][b:]
    typed = section.types.get(entry.name or "")
    if typed is not None:
        a, b = typed.name_span
        out[typed.head] = lines[typed.head][:a] + new + lines[typed.head][b:]
    return out


def _next_head(section: Section, entry: Entry) -> int | None:
    later = [e.head for e in section.entries if e.head > entry.head]
    return min(later) if later else None


def remove(lines: list[str], section: Section, entry: Entry) -> list[str] | str:
    """The entry's lines removed (with the blank line after it, when one separates entries)."""
    if len(section.entries) == 1 and section.style != "sphinx":
        return "it is the only entry of its section"
    following = _next_head(section, entry)
    end = following if following is not None and all(
        width(line) == -1 for line in lines[entry.end:following]) else entry.end
    drop = set(range(entry.head, end))
    typed = section.types.get(entry.name or "")
    if typed is not None:
        drop.update(range(typed.head, typed.end))
    return [line for index, line in enumerate(lines) if index not in drop]


def reorder(lines: list[str], section: Section, order: dict[str, int]) -> list[str]:
    """Entries named in `order` put in its order, in the slots they take; text untouched."""
    slots = [e for e in section.entries if e.name in order]
    wanted = sorted(slots, key=lambda e: order[e.name or ""])
    out = list(lines[:section.entries[0].head]) if section.entries else list(lines)
    moved = {id(a): b for a, b in zip(slots, wanted)}
    entries = section.entries
    for index, entry in enumerate(entries):
        source = moved.get(id(entry), entry)
        out += _with_type(lines, section, source)
        gap_end = entries[index + 1].head if index + 1 < len(entries) else entry.end
        out += [line for i, line in enumerate(lines[entry.end:gap_end], entry.end)
                if not _is_moved_type(section, i)]
    consumed = entries[-1].end if entries else 0
    out += [line for i, line in enumerate(lines[consumed:], consumed) if not _is_moved_type(section, i)]
    return out


def _attached_type(section: Section, entry: Entry) -> Entry | None:
    typed = section.types.get(entry.name or "")
    return typed if typed is not None and typed.head == entry.end else None


def _is_moved_type(section: Section, index: int) -> bool:
    return any(t is not None and t.head <= index < t.end
               for t in (_attached_type(section, e) for e in section.entries))


def _with_type(lines: list[str], section: Section, entry: Entry) -> list[str]:
    typed = _attached_type(section, entry)
    return lines[entry.head:entry.end] + (lines[typed.head:typed.end] if typed else [])


class EntryStyle:
    """How a section's existing entries are written, to write a new one alike."""

    def __init__(self, lines: list[str], section: Section) -> None:
        entries = [e for e in section.entries if e.name is not None] or section.entries
        first = entries[0] if entries else None
        self.style = section.style
        self.indent = leading(lines[first.head]) if first else "    "
        continuation = [leading(lines[i]) for e in entries for i in range(e.head + 1, e.end)
                        if width(lines[i]) > width(lines[e.head])]
        unit = "\t" if self.indent.startswith("\t") else "    "
        self.continuation = min(continuation, key=len) if continuation else self.indent + unit
        heads = [content(lines[e.head]) for e in entries]
        types = [content(lines[e.head])[e.type_span[0]:e.type_span[1]] for e in entries if e.type_span]
        self.typed = (bool(types) and len(types) * 2 >= len(entries)) or bool(section.types)
        self.hugging_face = any("*optional*" in t or "`" in t for t in types)
        self.optional = any(re.search(r"\boptional\b", t) for t in types)
        below = [not content(lines[e.head])[e.text_start:].strip() for e in entries]
        self.text_below = bool(below) and sum(below) * 2 > len(below)  # most entries do
        self.blank_between = len(entries) > 1 and all(
            width(lines[e.end]) == -1 for e in entries[:-1] if e.end < len(lines))
        self.default_form = _default_form(heads, types, "".join(lines))
        self.sphinx_types = bool(section.types)

    def default_in_type(self) -> bool:
        return self.default_form in ("default=", "defaults to (type)")


def _default_form(heads: list[str], types: list[str], text: str) -> str:
    counts = {
        "defaults to (type)": sum(bool(re.search(r"\bdefaults? to\b", t)) for t in types),
        "default=": sum(bool(re.search(r"\bdefault\s*[=:]", t)) for t in types),
        "Defaults to": len(re.findall(r"\bDefaults to\b", text)),
        "Default:": len(re.findall(r"\bDefault:", text)),
        "(default: )": len(re.findall(r"\(default:", text)),
        "Default is": len(re.findall(r"\bDefault is\b", text)),
    }
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ""


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else text + "."


def format_entry(style: EntryStyle, name: str, type_text: str | None, default: str | None,
                 description: str, newline: str, line_width: int) -> list[str]:
    """A new entry's lines in the section's style (each ending with `newline`)."""
    optional = default is not None
    # a reused description that states the default already ("Default is 'none'.") says it once
    shown = default if default not in (None, "None") and not _IN_TEXT.search(description) else None
    form = style.default_form or ("default=" if style.style == "numpy" else "Defaults to")
    if style.hugging_face and not style.default_form:
        form = "defaults to (type)"
    text = _sentence(description)
    if shown is not None and not (form in ("default=", "defaults to (type)") and style.style != "sphinx"):
        text += {"Default:": f" Default: {shown}.", "(default: )": f" (default: {shown})",
                 "Default is": f" Default is {shown}."}.get(form, f" Defaults to {shown}.")
    if style.style == "sphinx":
        head = f"{style.indent}:param {name}: "
        out = _wrap(head, text, style.continuation, line_width, newline, below=False)
        if style.sphinx_types and type_text:
            out.append(f"{style.indent}:type {name}: {type_text}{newline}")
        return out
    parts = []
    if type_text:
        parts.append(f"`{type_text}`" if style.hugging_face else type_text)
    if optional and (style.optional or style.hugging_face):
        parts.append("*optional*" if style.hugging_face else "optional")
    if shown is not None and form == "defaults to (type)":
        parts.append(f"defaults to `{shown}`" if style.hugging_face else f"defaults to {shown}")
    elif shown is not None and form == "default=":
        parts.append(f"default={shown}")
    if style.style == "numpy":
        head = f"{style.indent}{name} : {', '.join(parts)}" if parts else f"{style.indent}{name}"
        return [head + newline, *_wrap(style.continuation, text, style.continuation, line_width,
                                       newline, below=False)]
    typed = f" ({', '.join(parts)})" if parts and (style.typed or style.hugging_face) else ""
    head = f"{style.indent}{name}{typed}:"
    if style.text_below:
        return [head + newline, *_wrap(style.continuation, text, style.continuation, line_width,
                                       newline, below=False)]
    return _wrap(head + " ", text, style.continuation, line_width, newline, below=False)


def _wrap(first: str, text: str, indent: str, line_width: int, newline: str, below: bool) -> list[str]:
    lines = textwrap.wrap(text, width=max(line_width, 40), initial_indent=first, subsequent_indent=indent,
                          break_long_words=False, break_on_hyphens=False)
    return [line + newline for line in lines] or [first.rstrip() + newline]


def insert(lines: list[str], section: Section, new: list[str], after: Entry | None,
           before: Entry | None, blank: str | None) -> list[str]:
    """`new` placed after an entry (its attached `:type` too) or before one."""
    if after is not None:
        typed = _attached_type(section, after)
        at = typed.end if typed is not None else after.end
        block = ([blank] if blank else []) + new
    elif before is not None:
        at = before.head
        block = new + ([blank] if blank else [])
    else:
        at = section.end
        block = new
    return lines[:at] + block + lines[at:]
