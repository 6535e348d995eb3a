"""Docstrings through griffe's parsers: style detection, documented defaults, malformed input.

griffe fills a parameter's type and default from the signature when it knows the parent; we
parse without a parent so every value here is what the docstring itself says.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import griffe

from docgen_plugin.facts.model import Diagnostic, DocParam, DocSection, Docstring
from docgen_plugin.facts.numpy_entries import NumpyHead, has_entry_section, numpy_heads

_CAPTURE = logging.getLogger("docgen_plugin.griffe_parse")
_CAPTURE.propagate = False
# griffe's warnings that mean "this docstring is malformed" (not merely incomplete). Not its
# "Confusing indentation": the Google style allows a hanging indent of 2 (or any) spaces, and
# griffe reads such a continuation line correctly anyway.
_MALFORMED = re.compile(
    r"Failed to (get|parse)|Could not parse line|Possible \w+ skipped|Duplicate parameter"
)
_WARNING_LINE = re.compile(r"^[^:]*:(\d+): (.*)$", re.S)
_ADMONITION_WARNING = re.compile(r"^\s*Warnings?:\s*$", re.M)

# A value may carry a Sphinx role, as PyTorch Geometric writes it: "(default: :obj:`False`)".
_VALUE = r"(?::\w+:)?(`[^`]+`|'[^']*'|\"[^\"]*\"|\(\)|\[\]|\{\}|[-+\w.]+(?:\([^)]*\))?)"
# "Defaults to 0.1", "Default: 0.1", "default=0.1", "default 0.1", "(default: `None`)".
_DEFAULT_IN_TEXT = re.compile(
    r"\bdefaults?\s*(?:to|is|[:=])\s*" + _VALUE + r"|\(default\s*[:=]?\s*" + _VALUE + r"\)",
    re.I,
)
# In a type field: "float, default=0.1", "int, optional, default 3", "bool, default: True",
# and the Hugging Face spelling "`int`, *optional*, defaults to `3`" (read "to" as a word, not
# as the value: "default to `silu`" used to yield "to").
_DEFAULT_IN_TYPE = re.compile(
    r"(?:^|,)\s*defaults?(?:\s+(?:to|is)\b(?:\s+be\b)?|\s*[:=]|\s)\s*" + _VALUE, re.I
)
# Words that follow "default(s) to" in prose ("defaults to the value of `x`"): not a value.
_PROSE_WORDS = frozenset({"the", "a", "an", "to", "is", "be", "value", "that", "this", "it",
                          "its", "whatever", "what", "same", "none."})
# A default stated in a sentence that opens with a condition ("When depths is a list, it
# defaults to True") is not the signature's default; "Apply it only when true, defaults to
# True" states an unconditional one.
_CONDITION = re.compile(r"\s*(?:if|when|whenever|unless|otherwise)\b", re.I)
_SENTENCE_END = re.compile(r"[.;!?](?:\s|$)|\n\s*\n")
# "optional", also emphasised or quoted as Hugging Face writes it: "*optional*", "`optional`".
_OPTIONAL_IN_TYPE = re.compile(r",?\s*[*`]*(?<!\.)\boptional\b(?!\s*\[)[*`]*", re.I)  # not Optional[...]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _griffe_warnings() -> Iterator[list[str]]:
    """Collect griffe's parse warnings instead of letting them reach the user's log.

    Hosts re-route griffe's logger (mkdocstrings sends it to `mkdocs.plugins.griffe`, where
    a warning fails `--strict`), so the logger griffe writes to is swapped, not listened to.
    """
    handler = _Collect()
    _CAPTURE.addHandler(handler)
    routed = griffe.logger._logger  # griffe's documented way to re-route is patch_loggers
    griffe.logger._logger = _CAPTURE
    try:
        yield handler.messages
    finally:
        griffe.logger._logger = routed
        _CAPTURE.removeHandler(handler)


def strip_value(text: str) -> str:
    """A documented value without its Markdown/RST quoting and trailing punctuation."""
    text = text.strip()
    while len(text) > 1 and text[0] == text[-1] == "`":
        text = text[1:-1].strip()
    return text.rstrip(".,;")


def _stated(value: str) -> str | None:
    # "defaults to the value of `x`" / "default is to ..." are prose, not a value.
    if value.lower() in _PROSE_WORDS and not value.startswith("`"):
        return "None" if value.lower() == "none." else None
    return strip_value(value)


def _conditional(text: str, start: int) -> bool:
    """Whether the sentence up to `start` makes the default conditional ("if x, defaults to")."""
    return bool(_CONDITION.match(_SENTENCE_END.split(text[:start])[-1]))


def _prose(value: str, after: str) -> bool:
    """A bare word followed by more words describes a value in English ("defaults to leaky
    ReLU", "the default is currently `merging`", "Holm-Sidak 'hs'"): not the value itself. So
    is a number with a unit or a condition ("95% confidence", "0 if the image is bool")."""
    if _QUALIFIED.match(after):
        return True
    return (_BARE_WORD.fullmatch(value) is not None and value.lower() not in ("true", "false", "none")
            and bool(_NEXT_WORD.match(after)))


_BARE_WORD = re.compile(r"[A-Za-z_][\w-]*")
_NEXT_WORD = re.compile(r"[ \t]+[`'\"\w(]")
_QUALIFIED = re.compile(r"\s*%|\s+(?:if|when|unless|for|otherwise|percent)\b", re.I)


def documented_default(description: str, annotation: str | None) -> str | None:
    """The default a docstring states for a parameter, in any common spelling, else None."""
    if annotation:
        match = _DEFAULT_IN_TYPE.search(annotation)
        if match:
            return _stated(match.group(1))
    for match in _DEFAULT_IN_TEXT.finditer(description):
        value = match.group(1) or match.group(2)
        if _prose(value, description[match.end():]):
            continue
        if not _conditional(description, match.start()):
            return _stated(value)
    return None


def clean_annotation(annotation: str | None) -> str | None:
    """The documented type without "optional" and "default ..." (they are not types)."""
    if not annotation:
        return None
    text = _DEFAULT_IN_TYPE.sub("", annotation)
    text = _OPTIONAL_IN_TYPE.sub("", text).strip(" ,")
    return text or None


def parse_docstring(
    text: str, line: int, end_line: int, style: str, file: str
) -> tuple[Docstring, list[Diagnostic]]:
    """Parse one docstring; malformed parts become DG003 diagnostics, never exceptions."""
    doc = griffe.Docstring(text, lineno=line, endlineno=end_line)
    if style == "auto":
        detected, _ = griffe.infer_docstring_style(doc)
        parser = detected or griffe.Parser.google
    else:
        parser = griffe.Parser(style)
    with _griffe_warnings() as warnings:
        try:
            sections = griffe.parse(doc, parser, warn_unknown_params=False, warn_missing_types=False)
        except Exception as error:  # griffe bug on odd input: report it, keep the raw text
            return (
                Docstring(text=text, style=parser.value, line=line, end_line=end_line),
                [Diagnostic("DG003", f"docstring could not be parsed: {error}", file, line)],
            )
    diagnostics = []
    for message in warnings:
        match = _WARNING_LINE.match(message)
        where, what = (int(match.group(1)), match.group(2)) if match else (line, message)
        if "'warning: description'" in what and _ADMONITION_WARNING.search(text):
            continue  # "Warnings:" is a prose admonition in Google style; griffe reads it as Warns
        if _MALFORMED.search(what):
            diagnostics.append(Diagnostic("DG003", f"malformed {parser.value} docstring: {what}",
                                          file, where))
    parsed = _from_sections(text, parser.value, line, end_line, sections)
    for entry in (*parsed.params, *parsed.attributes):
        # griffe takes `x (int:  the input` as a parameter named "x (int": say it is malformed.
        if not entry.name.isidentifier():
            diagnostics.append(Diagnostic(
                "DG003", f"malformed {parser.value} docstring: cannot read the entry "
                f"`{entry.name}`; write it as `name (type): description`", file, line))
    return parsed, diagnostics


def _from_sections(
    text: str, style: str, line: int, end_line: int, sections: list[griffe.DocstringSection]
) -> Docstring:
    params: list[DocParam] = []
    attributes: list[DocParam] = []
    out: list[DocSection] = []
    documents_params = False
    heads = numpy_heads(text) if style == "numpy" else {}
    # griffe reads a description line left unindented ("A tuple ...", "Refer to `imread`.") as
    # an entry: in NumPy style, only lines written as entries are
    only_heads = style == "numpy" and (bool(heads) or has_entry_section(text))
    for section in sections:
        kind = section.kind.value
        if kind in ("parameters", "other parameters", "attributes"):
            entries = section.value
            if only_heads:
                entries = [item for item in entries if item.name.lstrip("*") in heads]
            items = [_doc_param(item, heads.get(item.name.lstrip("*"))) for item in entries]
            if kind == "attributes":
                attributes.extend(items)
            else:
                documents_params = True
                params.extend(items)
            body = "\n".join(f"{p.name}: {p.description}" for p in items)
        elif isinstance(section.value, str):
            body = section.value
        elif isinstance(section.value, list):
            body = "\n".join(
                getattr(item, "description", "") or str(item) for item in section.value
            )
        else:
            body = getattr(section.value, "description", "") or ""
        out.append(DocSection(kind=kind, title=section.title, text=body))
    return Docstring(
        text=text, style=style, line=line, end_line=end_line, params=tuple(params),
        attributes=tuple(attributes), sections=tuple(out), documents_params=documents_params,
    )


_ENTRY_HEAD = re.compile(r"^(\**[A-Za-z_]\w*)\s*(?:\((.*)\))?\s*$", re.S)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _split_entry(name: str, description: str) -> tuple[str, str | None, str] | None:
    """(name, type, description) of an entry griffe split at the wrong colon, else None.

    griffe splits `x (:obj:`T`): text` and `x (Dict[str: T]): text` at their first colon and
    keeps the space of `x : text` / `x (int) : text` in the name; Napoleon reads all four as
    `x`. Entries still unreadable (`x (default: 1)` with no colon after) stay as they are.
    """
    head, newline, rest = f"{name}:{description}".partition("\n")
    depth = 0
    for index, char in enumerate(head):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ":" and depth == 0:
            match = _ENTRY_HEAD.match(head[:index])
            text = head[index + 1:].strip()
            if match is None or text.startswith("(") or not _balanced(match.group(2) or ""):
                return None
            return match.group(1), match.group(2), (text + newline + rest).strip()
    return None


def _numpy_param(item: griffe.DocstringParameter | griffe.DocstringAttribute,
                 head: NumpyHead) -> DocParam:
    """A NumPy entry from its own head line: a choice set is its type, not its default."""
    description = item.description or ""
    if head.continuation and description.lstrip().startswith(head.continuation):
        description = description.lstrip()[len(head.continuation):].lstrip("\n")
    # `int, optional` (or no word at all): the description states the default
    stated = (_stated(head.default) if head.default is not None
              else documented_default(_top_level(description), None))
    return DocParam(name=item.name.lstrip("*"), annotation=clean_annotation(head.type),
                    description=description, default=stated, line=0,
                    default_in_type=head.default is not None)


def _top_level(description: str) -> str:
    """The description without its nested blocks: a default stated in an indented block or a
    bullet list (`- 'violin_fc': ... Default is 'y'.`) is a sub-option's, not the parameter's."""
    kept, in_bullet = [], False
    for line in description.split("\n"):
        if line[:1].isspace():
            continue
        in_bullet = line.startswith(("- ", "* ", "+ "))
        if not in_bullet:
            kept.append(line)
    return "\n".join(kept)


def _doc_param(item: griffe.DocstringParameter | griffe.DocstringAttribute,
               head: NumpyHead | None = None) -> DocParam:
    if head is not None:
        return _numpy_param(item, head)
    annotation = str(item.annotation) if item.annotation is not None else None
    description = item.description or ""
    name = item.name
    if not name.isidentifier() and annotation is None:
        split = _split_entry(name, description)
        if split is not None:
            name, annotation, description = split
    default = getattr(item, "default", None)
    stated = documented_default(description, annotation)
    if stated is None and default is not None:  # numpy parser reads `x : int, default=1`
        stated = strip_value(str(default))
    return DocParam(
        name=name.lstrip("*"),
        annotation=clean_annotation(annotation),
        description=description,
        default=stated,
        line=0,
    )
