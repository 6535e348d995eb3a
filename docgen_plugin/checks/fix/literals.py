"""Docstring literals located in a source file by exact character span.

Edits replace the body of one literal and nothing else, so every other byte of the file (line
endings, tabs, comments, quotes and prefixes) stays as it was.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

_NEWLINE = re.compile(r"\r\n|\r|\n")
_OPENING = re.compile(r"([rRuU]?)('''|\"\"\")")


@dataclass(frozen=True)
class Literal:
    """One docstring literal: `text[start:end]` is prefix + quotes + body + quotes."""

    start: int
    end: int
    prefix: str
    quote: str
    line: int  # first and last source line (1-based), as griffe and the facts count them
    end_line: int

    @property
    def body_start(self) -> int:
        return self.start + len(self.prefix) + len(self.quote)

    @property
    def body_end(self) -> int:
        return self.end - len(self.quote)

    @property
    def raw(self) -> bool:
        return "r" in self.prefix.lower()


@dataclass(frozen=True)
class SourceDocstrings:
    """The docstring literals of one module, by their line span, and the runtime-built ones."""

    literals: dict[tuple[int, int], Literal]
    skipped: dict[tuple[int, int], str]  # line span -> why it cannot be edited
    runtime: frozenset[str]  # qualified names whose `__doc__` is assigned at run time
    methods: dict[str, dict[str, frozenset[str]]]  # class qualname -> method -> parameter names


def line_starts(text: str) -> list[int]:
    """Offset of each line's first character (index 0 is line 1), as Python splits lines."""
    return [0, *(m.end() for m in _NEWLINE.finditer(text))]


def _offset(text: str, starts: list[int], line: int, byte_col: int) -> int:
    # ast columns count UTF-8 bytes; offsets here count characters
    begin = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text)
    return begin + len(text[begin:end].encode("utf-8")[:byte_col].decode("utf-8", "replace"))


def _single_string_token(segment: str) -> bool:
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(segment).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    except (tokenize.TokenError, SyntaxError):
        return False
    return len(tokens) == 1 and tokens[0].type == tokenize.STRING


def _docstring_nodes(tree: ast.Module) -> list[ast.Expr]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                out.append(first)
    return out


def _runtime_docs(tree: ast.Module) -> frozenset[str]:
    """`Foo.__doc__ = ...`, `__doc__ += ...` in a class body: the source literal is not the doc."""
    names: set[str] = set()

    def visit(body: list[ast.stmt], scope: str) -> None:
        for stmt in body:
            targets: list[ast.expr] = []
            if isinstance(stmt, ast.Assign):
                targets = list(stmt.targets)
            elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
                targets = [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id == "__doc__":
                    names.add(scope)
                elif isinstance(target, ast.Attribute) and target.attr == "__doc__":
                    dotted = ast.unparse(target.value)
                    names.add(f"{scope}.{dotted}" if scope else dotted)
            if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(stmt.body, f"{scope}.{stmt.name}" if scope else stmt.name)

    visit(tree.body, "")
    return frozenset(names)


def find_docstrings(text: str) -> SourceDocstrings:
    """Every docstring literal of a module's source (already known to parse)."""
    bom = 1 if text.startswith("\ufeff") else 0
    tree = ast.parse(text[bom:])
    starts = [bom + s for s in line_starts(text[bom:])]
    literals: dict[tuple[int, int], Literal] = {}
    skipped: dict[tuple[int, int], str] = {}
    for node in _docstring_nodes(tree):
        span = (node.lineno, node.end_lineno or node.lineno)
        start = _offset(text, starts, node.lineno, node.col_offset)
        end = _offset(text, starts, span[1], node.end_col_offset or 0)
        segment = text[start:end]
        opening = _OPENING.match(segment)
        if not _single_string_token(segment):
            skipped[span] = "the docstring is several literals joined"
        elif opening is None or not segment.endswith(opening.group(2)):
            skipped[span] = "the docstring is not triple-quoted"
        else:
            literals[span] = Literal(start, end, opening.group(1), opening.group(2), *span)
    return SourceDocstrings(literals, skipped, _runtime_docs(tree), _methods(tree))


def _methods(tree: ast.Module) -> dict[str, dict[str, frozenset[str]]]:
    """Every class's methods and their parameter names (documented or not: facts skip some)."""
    out: dict[str, dict[str, frozenset[str]]] = {}

    def visit(body: list[ast.stmt], scope: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                name = f"{scope}.{stmt.name}" if scope else stmt.name
                out[name] = {
                    f.name: frozenset(a.arg for a in (*f.args.posonlyargs, *f.args.args, *f.args.kwonlyargs))
                    for f in stmt.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
                visit(stmt.body, name)

    visit(tree.body, "")
    return out
