"""Comparing values and types as docs write them with values and types as code writes them.

Both sides are normalised first, and a comparison that cannot be decided says so (None):
a rule reports only contradictions it is sure of, since noise is what gets linters disabled.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

UNKNOWN = _UNKNOWN = object()  # what `literal` returns for expressions and prose


def literal(text: str | None, bare_words_are_strings: bool = False) -> Any:
    """The Python value a default is written as, or _UNKNOWN for expressions/prose."""
    if text is None:
        return _UNKNOWN
    text = text.strip().strip("`").strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    if bare_words_are_strings and re.fullmatch(r"[A-Za-z_][\w-]*", text):
        return text
    return _UNKNOWN


def same_value(documented: str, code: str) -> bool | None:
    """True/False when both sides are literals, None when that cannot be decided."""
    code_value = literal(code)
    doc_value = literal(documented, bare_words_are_strings=isinstance(code_value, str))
    if code_value is _UNKNOWN or doc_value is _UNKNOWN:
        if code_value is _UNKNOWN and doc_value is _UNKNOWN:
            return None if _squash(documented) != _squash(code) else True
        return None
    if _rounded(documented, doc_value, code_value) or _broadcast(doc_value, code_value):
        return True
    if isinstance(doc_value, str) and not isinstance(code_value, str):
        # Prose quotes a value it means literally: "Defaults to 'True'" states `True`.
        unquoted = literal(doc_value)
        if unquoted is not _UNKNOWN and not isinstance(unquoted, str):
            return _equal(unquoted, code_value)
    if isinstance(doc_value, str) and isinstance(code_value, str) and doc_value != code_value:
        return _unescaped(doc_value) == _unescaped(code_value)
    if doc_value is None and isinstance(code_value, str) and code_value.lower() == "none":
        return None  # "Default is None" for the option `"none"`
    return _equal(doc_value, code_value)


_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f", "\v": "\\v",
            "\a": "\\a", "\x00": "\\0"}


def _unescaped(text: str) -> str:
    """One spelling of a string whichever way its escapes were read: a non-raw docstring turns
    `\\b` into a backspace and `\\\\w` into `\\w`, so both become `\\b`, `\\w` here."""
    for char, escape in _ESCAPES.items():
        text = text.replace(char, escape)
    while "\\\\" in text:
        text = text.replace("\\\\", "\\")
    return text


def _rounded(documented: str, doc_value: Any, code_value: Any) -> bool:
    """`0.910344` documents `0.910344004631042`: a long float rounded for the reader."""
    digits = re.fullmatch(r"[-+]?\d*\.(\d{4,})", documented.strip().strip("`"))
    return (digits is not None and type(code_value) is float and type(doc_value) is float
            and round(code_value, len(digits.group(1))) == doc_value)


def _broadcast(doc_value: Any, code_value: Any) -> bool:
    """`stride=1` documents `stride=(1, 1)` (and `[4]` documents `4`): one value, repeated."""
    for one, many in ((doc_value, code_value), (code_value, doc_value)):
        if (isinstance(many, (list, tuple)) and many and isinstance(one, (int, float))
                and not isinstance(one, bool) and all(_equal(one, v) for v in many)):
            return True
    return False


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0) or a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return a == b


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.strip().strip("`"))


# --- types ------------------------------------------------------------------------------------

# Types grouped so that members of a group never contradict each other (int where float is
# annotated is fine; list vs tuple is a sloppiness, not a lie).
_GROUPS = {
    "int": "number", "float": "number", "complex": "number", "bool": "number",
    "number": "number", "integer": "number", "double": "number",
    "str": "str", "string": "str",
    "bytes": "bytes",
    "list": "sequence", "tuple": "sequence", "sequence": "sequence",
    "dict": "mapping", "mapping": "mapping", "ordereddict": "mapping",
    "set": "set", "frozenset": "set",
    "tensor": "tensor", "floattensor": "tensor", "longtensor": "tensor", "booltensor": "tensor",
    "inttensor": "tensor", "halftensor": "tensor", "doubletensor": "tensor",
    "bytetensor": "tensor",
    "none": "none", "nonetype": "none",
}
_ALIASES = {"optional": None, "union": None}
_ROLE = re.compile(r":\w+:`~?([^`]+)`")


def _alternatives(text: str) -> list[str] | None:
    """Top-level alternatives of a type as written in code or docs; None when unreadable."""
    text = _ROLE.sub(r"\1", text).replace("`", "").replace("~", "").strip()
    text = re.sub(r"\s+of\s+.*$", "", text)  # "list of int", "Tensor of shape (b, s)"
    text = re.sub(r"\s*\(.*\)\s*$", "", text)  # trailing "(batch, seq)"
    try:
        node = ast.parse(text.replace(" or ", " | "), mode="eval").body
    except SyntaxError:
        return None
    out: list[str] = []

    def visit(n: ast.expr) -> bool:
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr):
            return visit(n.left) and visit(n.right)
        if isinstance(n, ast.Subscript):
            head = _name(n.value)
            if head is not None and head.lower() in ("optional", "union"):
                inner = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
                if head.lower() == "optional":
                    out.append("none")
                return all(visit(e) for e in inner)
            return visit(n.value)
        if isinstance(n, ast.Constant) and n.value is None:
            out.append("none")
            return True
        name = _name(n)
        if name is None:
            return False
        out.append(name.lower())
        return True

    return out if visit(node) else None


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def types_contradict(documented: str, annotation: str) -> bool:
    """True only when every side is a plain known type and no documented one fits the code."""
    doc = _alternatives(documented)
    code = _alternatives(annotation)
    if not doc or not code:
        return False
    if any(t not in _GROUPS for t in doc + code):
        return False
    doc_groups = {_GROUPS[t] for t in doc} - {"none"}
    code_groups = {_GROUPS[t] for t in code} - {"none"}
    if not doc_groups or not code_groups:
        return False  # None-ness alone is often left out of one side
    return not (doc_groups & code_groups)


def normalise_type(text: str) -> str:
    """A short spelling for messages: `Optional[int]` -> `int | None`."""
    alternatives = _alternatives(text)
    if not alternatives:
        return text
    seen = dict.fromkeys(a for a in alternatives if a != "none")
    return " | ".join([*seen, *(["None"] if "none" in alternatives else [])])
