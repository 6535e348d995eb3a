"""Calls that construct a loaded object with literal arguments, found in a project's files.

Tests, example scripts and docs pages show how an object is really called
(`TextClassifier(num_classes=3, vocab_size=512)`); a usage section prefers such a call to one
docgen makes up. Read statically: files are parsed, never run or imported.
"""

from __future__ import annotations

import ast
import builtins
import copy
import os
import textwrap
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from docgen_plugin.facts.examples import doctest_source, example_blocks, is_doctest
from docgen_plugin.facts.model import Facts, ObjectFacts

SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "env", "node_modules", "site", "_build",
                          "build", "dist", "__pycache__", ".cache", ".tox", ".nox",
                          ".mypy_cache", ".pytest_cache", ".ruff_cache"})
MAX_FILES = 3000  # a project bigger than this: the first files found are enough for examples
MAX_BYTES = 1_000_000
MAX_CALL_CHARS = 400  # a usage example should be read at a glance (a model of 17 options is)
# Libraries whose calls may build an example's inputs (`torch.randn(4, 16)`), besides the
# documented package itself.
DATA_LIBRARIES = frozenset({"torch", "numpy", "math", "random", "collections", "functools",
                            "itertools", "dataclasses", "typing"})


@dataclass(frozen=True)
class CallSite:
    """`code` calls `object` (a full path) at `file:line`; `setup` holds the imports and the
    statements before it that its arguments need (`x = torch.randn(4, 16)`), so that the
    lines together run as written."""

    object: str
    code: str
    file: str
    line: int
    setup: tuple[str, ...] = ()
    complete: bool = True  # False: the lines it needs could not be found (values only)
    # `vq = VectorQuantize(...)` then `out = vq(x)`: the name the result is bound to, and what
    # the same scope does next with it (the call's own setup lines, then the call)
    bound_as: str = ""
    then: tuple[str, ...] = ()


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


def _imports(tree: ast.AST) -> dict[str, tuple[str, str]]:
    """Local name -> (dotted path, the import statement that binds it), anywhere in a file."""
    names: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = (alias.name, f"import {alias.name} as {alias.asname}")
                else:
                    head = alias.name.split(".")[0]
                    names[head] = (head, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                line = f"from {node.module} import {alias.name}"
                line += f" as {alias.asname}" if alias.asname else ""
                names[alias.asname or alias.name] = (f"{node.module}.{alias.name}", line)
    return names


def dotted_name(node: ast.expr) -> str | None:
    """`a.b.c` for a name or an attribute chain on one, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _accepts(obj: ObjectFacts, call: ast.Call, spread: Collection[str] = ()) -> bool:
    """The call binds to the object's signature: known keywords, every required one given.
    `spread`: the keys of a `**kwargs` dict the call passes, when known."""
    signature = obj.call_signature
    if signature is None:
        return not call.args and not call.keywords
    params = list(signature.params)
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    if any(k.arg is None for k in call.keywords) and not spread:
        return False
    given = {k.arg for k in call.keywords if k.arg} | set(spread)
    positional = [p for p in params if p.kind in ("positional-only", "positional-or-keyword")]
    if len(call.args) > len(positional) and not any(p.kind == "var-positional" for p in params):
        return False
    given |= {p.name for p in positional[: len(call.args)]}
    names = {p.name for p in params}
    if not signature.accepts_any_keyword and not given <= names:
        return False
    return all(p.name in given for p in params if p.required)


_BUILTINS = frozenset(dir(builtins))
_Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef


def _free_names(node: ast.AST) -> list[str]:
    """Names an expression reads that it does not bind itself (lambda arguments,
    comprehension variables)."""
    bound: set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Lambda):
            bound.update(a.arg for a in (*inner.args.posonlyargs, *inner.args.args,
                                         *inner.args.kwonlyargs))
            bound.update(a.arg for a in (inner.args.vararg, inner.args.kwarg) if a)
        elif isinstance(inner, ast.comprehension):
            bound.update(n.id for n in ast.walk(inner.target) if isinstance(n, ast.Name))
    names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Load) and n.id not in bound]
    return list(dict.fromkeys(names))


def _parametrized(scope: _Scope) -> dict[str, ast.expr]:
    """`@pytest.mark.parametrize("a, b", [(1, 2), ...])`: each name's first value."""
    values: dict[str, ast.expr] = {}
    for decorator in getattr(scope, "decorator_list", []):
        if not (isinstance(decorator, ast.Call) and dotted_name(decorator.func) in (
                "pytest.mark.parametrize", "mark.parametrize") and len(decorator.args) >= 2):
            continue
        names, cases = decorator.args[0], decorator.args[1]
        if not (isinstance(names, ast.Constant) and isinstance(names.value, str)
                and isinstance(cases, (ast.List, ast.Tuple)) and cases.elts):
            continue
        keys = [k.strip() for k in names.value.split(",") if k.strip()]
        first = cases.elts[0]
        items = first.elts if len(keys) > 1 and isinstance(first, (ast.Tuple, ast.List)) else [first]
        values.update(zip(keys, items))
    return values


@dataclass
class _Setup:
    """What a call needs run before it: import lines and statements, in order."""

    imports: dict[str, None]
    statements: dict[str, None]


class _ScopeReader:
    """The calls of one scope (a module, a test function) and the lines their arguments need."""

    MAX_SETUP = 8  # more than this and the example is a test, not an example

    def __init__(self, code: str, imports: dict[str, tuple[str, str]], scope: _Scope,
                 roots: Collection[str]) -> None:
        self.code = code
        self.imports = imports
        self.roots = roots
        self.params = _parametrized(scope)
        self.earlier: dict[str, ast.stmt] = {}

    def setup(self, node: ast.AST, needs: _Setup, depth: int = 0, bound: Collection[str] = ()) -> bool:
        """Add what `node` needs to `needs`; False when a name has no self-contained source.
        `bound`: names the example defines itself."""
        if depth > 4:
            return False
        for name in _free_names(node):
            if name in bound:
                continue
            if name in self.imports:
                if self.imports[name][0].split(".")[0] not in self.roots:
                    return False  # `argparse`, `os`, a dataset loader: not a self-contained example
                needs.imports[self.imports[name][1]] = None
            elif name in self.earlier:
                stmt = self.earlier[name]
                local = self.on_default_device(stmt)
                if not self.setup(local.value, needs, depth + 1, bound):  # type: ignore[attr-defined]
                    return False
                needs.statements[_source(self.code, stmt) if local is stmt
                                 else ast.unparse(local)] = None
            elif name in self.params:
                value = self.params[name]
                if not self.setup(value, needs, depth + 1, bound):
                    return False
                needs.statements[f"{name} = {_source(self.code, value)}"] = None
            elif name not in _BUILTINS:
                return False
        return len(needs.statements) <= self.MAX_SETUP

    def on_default_device(self, stmt: ast.stmt) -> ast.stmt:
        """The statement without `device=device` where `device` is a test's fixture: tests
        run on every device, an example on the default one (same values otherwise)."""
        known = set(self.imports) | set(self.earlier) | set(self.params)
        calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call) and any(
            k.arg == "device" and not set(_free_names(k.value)) <= known for k in n.keywords)]
        if not calls:
            return stmt
        copied = copy.deepcopy(stmt)
        for node in ast.walk(copied):
            if isinstance(node, ast.Call):
                node.keywords = [k for k in node.keywords if not (
                    k.arg == "device" and not set(_free_names(k.value)) <= known)]
        return copied

    def spread_keys(self, call: ast.Call) -> list[str] | None:
        """The keys of the `**name` dicts a call passes (`kwargs = dict(a=1)`), or None."""
        keys: list[str] = []
        for keyword in call.keywords:
            if keyword.arg is not None:
                continue
            value = keyword.value
            if isinstance(value, ast.Name) and value.id in self.earlier:
                value = self.earlier[value.id].value  # type: ignore[attr-defined]
            if isinstance(value, ast.Call) and dotted_name(value.func) == "dict" and not value.args:
                keys += [k.arg for k in value.keywords if k.arg]
            elif isinstance(value, ast.Dict) and all(
                    isinstance(k, ast.Constant) and isinstance(k.value, str) for k in value.keys):
                keys += [k.value for k in value.keys]  # type: ignore[union-attr]
            else:
                return None
        return keys

    def remember(self, stmt: ast.stmt) -> None:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            self.earlier[stmt.targets[0].id] = stmt
        else:  # anything else that binds a name makes its earlier value unknown here
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    self.earlier.pop(node.id, None)


def _scopes(tree: ast.Module) -> Iterator[_Scope]:
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _calls(stmt: ast.stmt) -> Iterator[ast.Call]:
    """Calls in one statement, not in the bodies of nested definitions or blocks."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            yield node
        for name, value in ast.iter_fields(node):
            if name in ("body", "orelse", "finalbody", "handlers"):
                continue
            stack.extend(v for v in (value if isinstance(value, list) else [value])
                         if isinstance(v, ast.AST))


def calls_in(code: str, display: str, line_of: Callable[[int], int], facts: Facts,
             wanted: Collection[str], context: dict[str, tuple[str, str]] | None = None
             ) -> Iterator[CallSite]:
    """Calls of `wanted` objects in one piece of Python source whose arguments are literals
    or names the same scope binds, before the call, to self-contained expressions (a pytest
    `parametrize` value included); `line_of` maps a line of `code` to the file's."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return
    imports = {**(context or {}), **_imports(tree)}
    roots = DATA_LIBRARIES | {o.path.split(".")[0] for o in facts.objects[:1]} | {
        w.split(".")[0] for w in wanted}
    for scope in _scopes(tree):
        reader = _ScopeReader(code, imports, scope, roots)
        for index, stmt in enumerate(scope.body):
            for call in _calls(stmt):
                site = _site(call, reader, facts, wanted, display, line_of)
                if site is not None and site.complete:
                    site = _followed(site, stmt, call, scope.body[index + 1:], reader)
                if site is not None:
                    yield site
            reader.remember(stmt)


MAX_LOOKAHEAD = 6  # statements after the construction searched for its first call


def _followed(site: CallSite, stmt: ast.stmt, call: ast.Call, rest: list[ast.stmt],
              reader: _ScopeReader) -> CallSite:
    """The site with the scope's first call of what it built (`out = vq(x)`), where that
    call's arguments have self-contained sources: an example that shows the object used."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and (stmt.value is call or _on_device(stmt.value, call, reader))):
        return site
    name = stmt.targets[0].id
    ahead = copy.copy(reader)
    ahead.earlier = dict(reader.earlier)
    before: list[str] = []  # `hardnet.eval()` between: the call may need it
    for later in rest[:MAX_LOOKAHEAD]:
        for inner in _calls(later):
            if isinstance(inner.func, ast.Name) and inner.func.id == name:
                needs = _Setup({}, {})
                arguments = ast.Tuple([*inner.args, *(k.value for k in inner.keywords)], ast.Load())
                if not isinstance(later, (ast.Assign, ast.Expr)) or not ahead.setup(
                        arguments, needs, bound={name}):
                    return site
                statement = _source(reader.code, later)
                return replace(site, bound_as=name, then=(
                    *needs.imports, *needs.statements, *before, statement))
        if any(isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load)
               for n in ast.walk(later)):
            return site  # rebound before it is called
        if (isinstance(later, ast.Expr) and isinstance(later.value, ast.Call)
                and isinstance(later.value.func, ast.Attribute)
                and isinstance(later.value.func.value, ast.Name) and later.value.func.value.id == name):
            if later.value.args or later.value.keywords:
                return site  # `model.load_state_dict(weights)`: not known to be self-contained
            before.append(_source(reader.code, later))
        ahead.remember(later)
    return site


def _on_device(value: ast.expr, call: ast.Call, reader: _ScopeReader) -> bool:
    """`HardNet().to(device)` with `device` a test's fixture: an example runs on the default
    device, so what is bound is the construction itself."""
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr == "to" and value.func.value is call and not value.keywords
            and len(value.args) == 1 and isinstance(value.args[0], ast.Name)
            and value.args[0].id not in reader.earlier and value.args[0].id not in reader.imports
            and value.args[0].id not in reader.params)


def _site(call: ast.Call, reader: _ScopeReader, facts: Facts, wanted: Collection[str],
          display: str, line_of: Callable[[int], int]) -> CallSite | None:
    dotted = dotted_name(call.func)
    if dotted is None:
        return None
    head, dot, rest = dotted.partition(".")
    imported = reader.imports.get(head)
    parametrized = reader.params.get(head)  # `@parametrize("Model", [Net, ...])`: `Model(...)`
    if imported is None and isinstance(parametrized, ast.Name):
        imported = reader.imports.get(parametrized.id)
        complete = False  # the call names the class through the test's parameter
    else:
        complete = True
    target = facts.find(f"{imported[0]}{dot}{rest}") if imported else None
    if target is None or target.path not in wanted:
        return None
    text = _as_statement(reader.code, call)
    spread = reader.spread_keys(call)
    needs = _Setup({}, {})
    arguments = ast.Tuple([*call.args, *(k.value for k in call.keywords)], ast.Load())
    if spread is not None and not _accepts(target, call, spread):
        return None  # not a call the signature takes: no example, and no values either
    if spread is None or not reader.setup(arguments, needs):
        complete = False
    if not complete:  # not an example to show, but its literal values are the project's
        return CallSite(target.path, text, display, line_of(call.lineno), complete=False)
    if len(ast.unparse(call)) > MAX_CALL_CHARS:  # the call itself: its comments do not count
        return None
    own_import = imported[1] if imported else ""  # type: ignore[index]
    setup = (own_import, *(i for i in needs.imports if i != own_import), *needs.statements)
    return CallSite(target.path, text, display, line_of(call.lineno), setup)


def _as_statement(code: str, call: ast.Call) -> str:
    """The call's source, its continuation lines moved left with its first line."""
    text = ast.get_source_segment(code, call) or ast.unparse(call)
    first = code.split("\n")[call.lineno - 1]
    indent = len(first) - len(first.lstrip())
    lines = text.split("\n")
    return "\n".join([lines[0], *(line[indent:] if not line[:indent].strip() else line.lstrip()
                                  for line in lines[1:])])


def _source(code: str, node: ast.AST) -> str:
    text = ast.get_source_segment(code, node) or ast.unparse(node)
    return textwrap.dedent(" " * getattr(node, "col_offset", 0) + text).strip()


def site_order(site: CallSite) -> tuple[bool, bool, int, str, int]:
    """Sites that can be shown before the others, then those whose scope goes on to call what
    they built (a usage example that only constructs shows half of it), then shortest first,
    setup lines included."""
    return (not site.complete, not site.then, len(site.code) + sum(map(len, site.setup)),
            site.file, site.line)


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
        sites.sort(key=site_order)
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
