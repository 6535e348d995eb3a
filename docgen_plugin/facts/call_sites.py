"""Calls that construct a loaded object with literal arguments, found in a project's files.

Tests, example scripts and docs pages show how an object is really called
(`TextClassifier(num_classes=3, vocab_size=512)`); a usage section prefers such a call to one
docgen makes up. Read statically: files are parsed, never run or imported.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from docgen_plugin.facts.examples import doctest_source, example_blocks, is_doctest
from docgen_plugin.facts.model import Facts, ObjectFacts

SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "env", "node_modules", "site", "_build",
                          "build", "dist", "__pycache__", ".cache", ".tox", ".nox",
                          ".mypy_cache", ".pytest_cache", ".ruff_cache"})
MAX_FILES = 3000  # a project bigger than this: the first files found are enough for examples
MAX_BYTES = 1_000_000
MAX_CALL_CHARS = 240  # a usage example should be read at a glance


@dataclass(frozen=True)
class CallSite:
    """`code` calls `object` (a full path) at `file:line`, every argument a literal."""

    object: str
    code: str
    file: str
    line: int


def project_files(root: Path) -> Iterator[Path]:
    """Python files and docs pages under `root`, without virtualenvs, builds and caches."""
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith((".py", ".md", ".rst")):
                count += 1
                if count > MAX_FILES:
                    return
                yield Path(folder) / name


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _imports(tree: ast.AST) -> dict[str, str]:
    """Local name -> dotted path, from the imports anywhere in a file."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _accepts(obj: ObjectFacts, call: ast.Call) -> bool:
    """The call binds to the object's signature: known keywords, every required one given."""
    signature = obj.call_signature
    if signature is None:
        return not call.args and not call.keywords
    params = list(signature.params)
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    if any(k.arg is None for k in call.keywords):
        return False
    given = {k.arg for k in call.keywords}
    positional = [p for p in params if p.kind in ("positional-only", "positional-or-keyword")]
    if len(call.args) > len(positional) and not any(p.kind == "var-positional" for p in params):
        return False
    given |= {p.name for p in positional[: len(call.args)]}
    names = {p.name for p in params}
    if not signature.accepts_any_keyword and not given <= names:
        return False
    return all(p.name in given for p in params if p.required)


def calls_in(code: str, display: str, line_of: Callable[[int], int], facts: Facts,
             wanted: Collection[str], context: dict[str, str] | None = None) -> Iterator[CallSite]:
    """Literal-argument calls of `wanted` objects in one piece of Python source; `line_of`
    maps a line of `code` to the file's."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return
    names = {**(context or {}), **_imports(tree)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        if dotted is None:
            continue
        head, dot, rest = dotted.partition(".")
        target = facts.find(f"{names[head]}{dot}{rest}") if head in names else None
        if target is None or target.path not in wanted:
            continue
        values = [*node.args, *(k.value for k in node.keywords)]
        if not all(_literal(v) for v in values) or not _accepts(target, node):
            continue
        text = ast.get_source_segment(code, node) or ast.unparse(node)
        if len(text) <= MAX_CALL_CHARS:
            yield CallSite(target.path, text, display, line_of(node.lineno))


def find_call_sites(root: Path, facts: Facts, wanted: Collection[str]) -> dict[str, list[CallSite]]:
    """For each wanted object path, its literal calls in the project, shortest first."""
    found: dict[str, list[CallSite]] = {}
    wanted = set(wanted)
    if not wanted:
        return found
    names = {o.name for o in facts.objects if o.path in wanted}
    for path in project_files(root):
        try:
            if path.stat().st_size > MAX_BYTES:
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if not any(name in text for name in names):
            continue
        display = path.relative_to(root).as_posix()
        for site in _sites_in_file(path, text, display, facts, wanted):
            found.setdefault(site.object, []).append(site)
    for sites in found.values():
        sites.sort(key=lambda s: (len(s.code), s.file, s.line))
    return found


def _sites_in_file(path: Path, text: str, display: str, facts: Facts, wanted: set[str]
                   ) -> Iterator[CallSite]:
    if path.suffix == ".py":
        yield from calls_in(text, display, lambda n: n, facts, wanted)
        return
    # a page: its Python blocks share the imports the page made earlier
    context: dict[str, str] = {}
    for code, first, _language in example_blocks(text):
        origin: list[int] = []
        if is_doctest(code):
            code, origin = doctest_source(code)
        try:
            context.update(_imports(ast.parse(code)))
        except (SyntaxError, ValueError):
            continue

        def line_of(n: int, first: int = first, origin: list[int] = origin) -> int:
            return first - 1 + (origin[n - 1] if 0 < n <= len(origin) else n)

        yield from calls_in(code, display, line_of, facts, wanted, context)
