"""Behaviour facts from a body's syntax tree: raises, returns, submodules, config reads.

Read statically, never run: what an `if` guards, what a `return` gives back, what `__init__`
builds, which config attributes the code reads. Every fact is something the source states,
so the sections rendered from them are true by construction.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from docgen_plugin.facts.model import ConfigRead, Raise, Return, Submodule

Source = Callable[[ast.AST], str]  # a node's source text
_Memo = dict[int, tuple[ast.If, tuple[str, ...]]]  # id(if) -> (the if, what follows it runs under)
Resolve = Callable[[str], str]  # a dotted name as the module's imports resolve it

OWN_CONFIG = "<own>"  # ConfigRead.config: the config class of the class that reads it
SELF_CONFIG = "<self>"  # ConfigRead.config: a config class reading its own fields
# the words of a validation function's name: `KORNIA_CHECK_SHAPE`, `check_is_fitted`, `_assert`
_CHECK_NAME = re.compile(r"(?i)(?:^|_)(?:check|validate|verify|ensure|assert|require)s?(?:_|$)")
MAX_TEXT = 100  # longer source is cut: a fact quotes code, it does not copy it
CONTAINERS = frozenset({"torch.nn.ModuleList", "torch.nn.Sequential", "torch.nn.ModuleDict",
                        "torch.nn.ParameterList", "torch.nn.ParameterDict"})
WARN_FUNCTIONS = frozenset({"warnings.warn", "warnings.warn_explicit"})
CONFIG_NAMES = frozenset({"config", "cfg", "conf", "configuration", "hparams", "args_config"})
# `**asdict(config)`, `vars(config)`: every field is read
WHOLE_READS = frozenset({"dataclasses.asdict", "asdict", "vars", "dataclasses.fields", "fields",
                         "dataclasses.replace", "copy.deepcopy", "deepcopy", "dict"})
WHOLE_METHODS = frozenset({"to_dict", "to_diff_dict", "model_dump", "dict", "to_json_string",
                           "__dict__", "items", "keys", "values", "to_container"})
_NEGATED = {ast.Eq: "!=", ast.NotEq: "==", ast.Lt: ">=", ast.LtE: ">", ast.Gt: "<=",
            ast.GtE: "<", ast.In: "not in", ast.NotIn: "in", ast.Is: "is not", ast.IsNot: "is"}
_FunctionNode = (ast.FunctionDef, ast.AsyncFunctionDef)


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 5].rstrip() + " ..."


def negate(test: ast.expr, source: Source) -> str:
    """The source of `not test`, written the way a person would (`x != 1`, not `not x == 1`)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return source(test.operand)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _NEGATED:
        op = _NEGATED[type(test.ops[0])]
        return f"{source(test.left)} {op} {source(test.comparators[0])}"
    if isinstance(test, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
        return f"not {source(test)}"
    return f"not ({source(test)})"


def _exits(body: list[ast.stmt]) -> bool:
    """Whether a block always leaves the enclosing block (return, raise, continue, break)."""
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _leaves(body: list[ast.stmt]) -> bool:
    """Whether a block always returns (or skips the rest of a loop) without raising."""
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Continue, ast.Break))


MAX_RETURN_PATHS = 2  # returns inside one `if` a condition can still say readably


def guarded(body: list[ast.stmt], source: Source, guards: tuple[str, ...] = (),
            memo: _Memo | None = None) -> Iterator[tuple[ast.stmt, tuple[str, ...]]]:
    """Every statement of a body (nested blocks included, nested defs excluded) with the
    conditions under which it runs. After `if x: return`, the rest runs under `not x`.
    `memo` is the walk's own record of `_not_returned` (one per outermost call)."""
    memo = {} if memo is None else memo
    for stmt in body:
        yield stmt, guards
        if isinstance(stmt, ast.If):
            yield from guarded(stmt.body, source, (*guards, source(stmt.test)), memo)
            if stmt.orelse:
                yield from guarded(stmt.orelse, source, (*guards, negate(stmt.test, source)), memo)
            # After `if x: return`, the rest runs only when `not x`. Not after `if x: raise`:
            # a raise ends the call, so "built only when the input was valid" says nothing.
            if _leaves(stmt.body) and not _exits(stmt.orelse):
                guards = (*guards, negate(stmt.test, source))
            elif _leaves(stmt.orelse) and not _exits(stmt.body):
                guards = (*guards, source(stmt.test))
            else:  # `if return_mems: ... if not return_intermediates: return ...`
                guards = (*guards, *_not_returned(stmt, source, memo))
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            loop = f"for {source(stmt.target)} in {source(stmt.iter)}"
            yield from guarded(stmt.body, source, (*guards, loop), memo)
            yield from guarded(stmt.orelse, source, guards, memo)
        elif isinstance(stmt, ast.While):
            yield from guarded(stmt.body, source, (*guards, f"while {source(stmt.test)}"), memo)
            yield from guarded(stmt.orelse, source, guards, memo)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from guarded(stmt.body, source, guards, memo)
        elif isinstance(stmt, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            yield from guarded(stmt.body, source, guards, memo)
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                caught = f"except {source(handler.type)}" if handler.type else "except"
                yield from guarded(handler.body, source, (*guards, caught), memo)
            yield from guarded(stmt.orelse, source, guards, memo)  # type: ignore[attr-defined]
            yield from guarded(stmt.finalbody, source, guards, memo)  # type: ignore[attr-defined]
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                pattern = f"{source(stmt.subject)} matches {source(case.pattern)}"
                if case.guard is not None:
                    pattern += f" and {source(case.guard)}"
                yield from guarded(case.body, source, (*guards, pattern), memo)


def _not_returned(stmt: ast.If, source: Source, memo: _Memo) -> tuple[str, ...]:
    """What the rest of the block runs under after an `if` that returns only on some paths
    inside it: not any of those paths. Nothing where a path is in a loop (not expressible) or
    there are too many to read. Remembered per statement for the walk: each enclosing `if`
    asks again while it walks its body, and an `elif` chain is nested `if`s, so without it 40
    branches took 2^40 walks (`docgen corpus` over torch, scipy and co. ran 45 minutes without
    finishing). Not a global cache: holding every file's trees slowed a cold check by 20 %."""
    known = memo.get(id(stmt))
    if known is not None and known[0] is stmt:
        return known[1]
    paths = [(source(stmt.test), *inner) for inner in _return_paths(stmt.body, source, memo)]
    if stmt.orelse:
        paths += [(negate(stmt.test, source), *inner)
                  for inner in _return_paths(stmt.orelse, source, memo)]
    conditions = _unless(paths)
    memo[id(stmt)] = (stmt, conditions)
    return conditions


def _unless(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    """`not (...)` of the paths that return, or nothing where it cannot be said readably."""
    if not paths or len(paths) > MAX_RETURN_PATHS or any(
            g.startswith(("for ", "while ", "except")) for path in paths for g in path):
        return ()
    either = " or ".join(" and ".join(path) if len(paths) == 1 else f"({' and '.join(path)})"
                         for path in paths)
    return (f"not ({either})",)


def _return_paths(body: list[ast.stmt], source: Source, memo: _Memo) -> list[tuple[str, ...]]:
    return [guards for inner, guards in guarded(body, source, (), memo)
            if isinstance(inner, ast.Return)]


def _expressions(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of one statement, without descending into nested blocks or definitions
    (`guarded` yields those statements itself)."""
    stack: list[ast.AST] = [stmt]
    while stack:
        node = stack.pop()
        yield node
        for name, value in ast.iter_fields(node):
            if node is stmt and name in ("body", "orelse", "finalbody", "handlers", "cases"):
                continue
            children = value if isinstance(value, list) else [value]
            for child in children:
                if isinstance(child, ast.AST) and not isinstance(
                        child, (*_FunctionNode, ast.ClassDef, ast.Lambda)):
                    stack.append(child)


@dataclass
class BodyReader:
    """Reads the behaviour of the functions of one module."""

    source: Source
    resolve: Resolve
    module_functions: Mapping[str, ast.AST] = field(default_factory=dict)
    loop_names: dict[str, list[str]] = field(default_factory=dict)  # of the function read now
    helper_raises: dict[int, list[Raise]] = field(default_factory=dict)  # node id -> raises

    def name(self, node: ast.expr) -> str:
        return self.resolve(self.source(node))

    def text(self, node: ast.AST) -> str:
        return shorten(self.source(node))

    # --- raises ---------------------------------------------------------------------------

    def raises(self, function: ast.AST, method: str = "",
               helpers: Mapping[str, ast.AST] | None = None) -> list[Raise]:
        """What a function raises, warns and asserts; with `helpers` (private methods of its
        class and private functions of its module), also what those raise, one level deep."""
        found: list[Raise] = []
        body = getattr(function, "body", [])
        params, assigned = _parameters(function), _assigned_names(function)
        for stmt, guards in guarded(body, self.source):
            condition = guards
            if isinstance(stmt, ast.Assert):
                condition = (*guards, negate(stmt.test, self.source))
            if assigned and isinstance(stmt, (ast.Raise, ast.Assert)):
                rebound, computed = _split(_rebound(condition, assigned, stmt.lineno), params)
            else:
                rebound = computed = ()
            if isinstance(stmt, ast.Raise) and stmt.exc is not None:
                found.append(replace(self._raise(stmt, guards, method), rebound=rebound,
                                     computed=computed))
            elif isinstance(stmt, ast.Assert):
                message = self._message(stmt.msg) if stmt.msg is not None else None
                found.append(Raise("AssertionError", message, condition, "assert", method,
                                   line=stmt.lineno, rebound=rebound, computed=computed))
            check = self._check(stmt, guards, method, helpers)
            if check is not None:
                found.append(check)
            for node in _expressions(stmt):
                if not isinstance(node, ast.Call):
                    continue
                warning = self._warning(node, guards, method)
                if warning is not None:
                    found.append(warning)
                helper = self._helper(node, helpers)
                if helper is not None:
                    name, helper_node = helper
                    if id(helper_node) not in self.helper_raises:  # helpers are called often
                        self.helper_raises[id(helper_node)] = self.raises(helper_node)
                    for inner in self.helper_raises[id(helper_node)]:
                        found.append(Raise(inner.exception, inner.message,
                                           (*guards, *inner.guards), inner.kind, method, name,
                                           inner.line, inner.rebound, inner.computed))
        return found

    def self_calls(self, method: ast.AST, name: str) -> list[str]:
        """`self.x(...)` calls of a method, as "method>x" (private helpers are read inline)."""
        calls = []
        for node in ast.walk(method):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
                    and not node.func.attr.startswith("_")):
                calls.append(f"{name}>{node.func.attr}")
        return list(dict.fromkeys(calls))

    def _helper(self, call: ast.Call, helpers: Mapping[str, ast.AST] | None
                ) -> tuple[str, ast.AST] | None:
        if helpers is None:
            return None
        func = call.func
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id in ("self", "cls")):
            name = func.attr
        elif isinstance(func, ast.Name):
            name = func.id
            if not name.startswith("_"):  # a public function of the module, where given
                node = helpers.get(name)
                return (name, node) if node is not None else None
        else:
            return None
        if not name.startswith("_") or name.startswith("__"):
            return None
        node = helpers.get(name)
        return (name, node) if node is not None else None

    def _check(self, stmt: ast.stmt, guards: tuple[str, ...], method: str,
               helpers: Mapping[str, ast.AST] | None) -> Raise | None:
        """A bare call to a validation function (`KORNIA_CHECK_SHAPE(x, [...])`,
        `check_is_fitted(self)`): it raises when its check fails, whatever its module."""
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return None
        func = stmt.value.func
        if not _is_dotted(func) or (isinstance(func, ast.Attribute) and _root(func) in ("self", "cls")):
            return None
        name = self.name(func)
        if not _CHECK_NAME.search(name.rsplit(".", 1)[-1]) or self._helper(stmt.value, helpers):
            return None
        return Raise(name, shorten(self.source(stmt.value), 300), guards, "check", method,
                     line=stmt.lineno)

    def _raise(self, stmt: ast.Raise, guards: tuple[str, ...], method: str) -> Raise:
        exc = stmt.exc
        assert exc is not None
        if isinstance(exc, ast.Call):
            message = self._message(exc.args[0]) if exc.args else None
            return Raise(self.name(exc.func), message, guards, "raise", method, line=stmt.lineno)
        return Raise(self.name(exc), None, guards, "raise", method, line=stmt.lineno)

    def _warning(self, call: ast.Call, guards: tuple[str, ...], method: str) -> Raise | None:
        if self.name(call.func) not in WARN_FUNCTIONS:
            return None
        category = next((k.value for k in call.keywords if k.arg == "category"), None)
        if category is None and len(call.args) > 1:
            category = call.args[1]
        exception = self.name(category) if category is not None else "UserWarning"
        message = self._message(call.args[0]) if call.args else None
        return Raise(exception, message, guards, "warn", method, line=call.lineno)

    def _message(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return shorten(node.value, 300)
        return shorten(self.source(node), 300)

    # --- returns --------------------------------------------------------------------------

    def returns(self, function: ast.AST, method: str = "") -> list[Return]:
        found = []
        params, assigned = _parameters(function), _assigned_names(function)
        for stmt, guards in guarded(getattr(function, "body", []), self.source):
            if isinstance(stmt, ast.Return):
                returned = self._return(stmt.value, guards, method, stmt.lineno)
                rebound, computed = _split(_rebound(guards, assigned, stmt.lineno), params)
                found.append(replace(returned, rebound=rebound, computed=computed)
                             if rebound or computed else returned)
        return found

    def _return(self, value: ast.expr | None, guards: tuple[str, ...], method: str,
                line: int) -> Return:
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return Return("none", "None", guards=guards, method=method, line=line)
        if isinstance(value, ast.Tuple):  # (its elements say it all)
            elements = tuple(shorten(self.source(e), 60) for e in value.elts)
            return Return("tuple", elements=elements, guards=guards, method=method, line=line)
        text = self.text(value)
        if isinstance(value, ast.Dict):
            keys = tuple(
                k.value if isinstance(k, ast.Constant) and isinstance(k.value, str)
                else ("**" + shorten(self.source(v), 40) if k is None else shorten(self.source(k), 40))
                for k, v in zip(value.keys, value.values)
            )
            return Return("dict", text, elements=keys, guards=guards, method=method, line=line)
        if isinstance(value, ast.Call) and _is_dotted(value.func):
            callee = self.source(value.func)
            resolved = callee if callee.startswith("self.") else self.resolve(callee)
            keywords = tuple(k.arg for k in value.keywords if k.arg)
            return Return("call", text, resolved, keywords, guards, method, line)
        if isinstance(value, ast.Name):
            return Return("name", text, guards=guards, method=method, line=line)
        return Return("expr", text, guards=guards, method=method, line=line)

    # --- submodules -----------------------------------------------------------------------

    def submodules(self, init: ast.AST, helpers: Mapping[str, ast.AST] | None = None
                   ) -> list[Submodule]:
        """`self.x = SomeClass(...)` in `__init__` (and in private methods it calls)."""
        found: list[Submodule] = []
        seen: set[str] = set()
        local: dict[str, Submodule] = {}  # `unet = Unet(...)` (if unet is None); `self.unet = unet`
        for stmt, guards in guarded(getattr(init, "body", []), self.source):
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        built = self._built(target.id, stmt.value, guards, stmt.lineno)
                        if built is not None:
                            local[target.id] = built
                        else:
                            local.pop(target.id, None)
                    elif (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                            and target.value.id == "self"):
                        for built in self._assigned(target.attr, stmt.value, guards, stmt.lineno, local):
                            _add_built(found, built, target.attr in seen)
                            seen.add(target.attr)
            elif (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                  and helpers is not None):
                helper = self._helper(stmt.value, helpers)
                if helper is not None:
                    for inner in self.submodules(helper[1]):
                        if inner.name not in seen:
                            seen.add(inner.name)
                            found.append(Submodule(inner.name, inner.type, inner.args,
                                                   inner.container, inner.count,
                                                   (*guards, *inner.guards), inner.line))
        return _with_rebound(init, self._appended(init, found))

    def _appended(self, init: ast.AST, found: list[Submodule]) -> list[Submodule]:
        """An empty container filled by `self.layers.append(Block(...))`: what it holds."""
        empty = {p.name: i for i, p in enumerate(found)
                 if p.type in CONTAINERS and p.container is None and p.args in ("", "[]")}
        dropped: set[int] = set()
        for node in ast.walk(init) if empty else ():
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "append" and len(node.args) == 1):
                continue
            owner = node.func.value
            if (isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name)
                    and owner.value.id == "self" and owner.attr in empty):
                item = node.args[0]
                i = empty.pop(owner.attr)
                if isinstance(item, ast.Call) and _is_dotted(item.func):
                    found[i] = replace(found[i], type=self.name(item.func), container=found[i].type,
                                       args=shorten(call_arguments(item, self.source)))
                else:  # filled with something built elsewhere: not "an empty ModuleList"
                    dropped.add(i)
        return [p for i, p in enumerate(found) if i not in dropped]

    def _assigned(self, name: str, value: ast.expr, guards: tuple[str, ...], line: int,
                  local: Mapping[str, Submodule]) -> list[Submodule]:
        """What `self.name = value` builds: a class call, a local built before, or either
        branch of `A(...) if cond else B(...)`."""
        if isinstance(value, ast.IfExp):
            test = self.source(value.test)
            return [*self._assigned(name, value.body, (*guards, test), line, local),
                    *self._assigned(name, value.orelse, (*guards, negate(value.test, self.source)),
                                    line, local)]
        if isinstance(value, ast.Name) and value.id in local:
            return [replace(local[value.id], name=name, guards=(*guards, *local[value.id].guards))]
        built = self._built(name, value, guards, line)
        return [built] if built is not None else []

    def _built(self, name: str, value: ast.expr, guards: tuple[str, ...], line: int
               ) -> Submodule | None:
        if not isinstance(value, ast.Call):
            return None
        called = self.name(value.func)
        if not _looks_like_class(called):
            return None
        if called in CONTAINERS and len(value.args) >= 1:
            inner = value.args[0]
            if isinstance(inner, (ast.GeneratorExp, ast.ListComp)) and isinstance(inner.elt, ast.Call):
                count = _range_count(inner, self.source)
                args = shorten(call_arguments(inner.elt, self.source))
                return Submodule(name, self.name(inner.elt.func), args, called, count, guards, line)
            if isinstance(inner, (ast.List, ast.Tuple)) and inner.elts and all(
                    isinstance(e, ast.Call) for e in inner.elts):
                types = {self.name(e.func) for e in inner.elts}  # type: ignore[attr-defined]
                args = {call_arguments(e, self.source) for e in inner.elts}  # type: ignore[arg-type]
                if len(types) == 1:  # the arguments only where all agree
                    return Submodule(name, types.pop(), shorten(args.pop()) if len(args) == 1 else "",
                                     called, str(len(inner.elts)), guards, line)
        return Submodule(name, called, shorten(call_arguments(value, self.source)), None, None, guards, line)

    # --- config reads ---------------------------------------------------------------------

    def config_reads(self, node: ast.AST, in_class: bool = False) -> list[ConfigRead]:
        """Config attributes read anywhere under `node` (a class or a function).

        A config is `self.config`, `self.cfg`, or a name such as `config`/`cfg`/`*_config`;
        its class is the annotation of the parameter of that name; in a class, an unannotated
        `config`/`self.config` is the class's own (`OWN_CONFIG`, resolved once classes are
        linked: `config_class` is often set on a base).
        """
        config_class = OWN_CONFIG if in_class else None
        reads: list[ConfigRead] = []
        for function in _functions(node):
            known: dict[str, str] = {}
            for arg in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs):
                if arg.annotation is not None:
                    known[arg.arg] = self.name(arg.annotation)
            reads += self._reads_in(function, known, config_class)
        unique: dict[tuple[str, str | None, bool], ConfigRead] = {}
        for read in reads:  # the first read of each name is enough to report or to count
            unique.setdefault((read.name, read.config, read.optional), read)
        return list(unique.values())

    def _config_of(self, node: ast.expr, known: Mapping[str, str], default: str | None
                   ) -> tuple[bool, str | None]:
        """Whether an expression is a config, and its class when known: an annotated name
        (a single class, not a union), or the class's own for `self.config`/`config`. A
        sub-config (`config.text_config`, `self.model.config`) is a config of unknown class."""
        if isinstance(node, ast.Name):
            name = node.id
            annotated = known.get(name)
            single = annotated if annotated is not None and _is_path(annotated) else None
            if single is not None and _config_like(single.rsplit(".", 1)[-1]):
                return True, single
            if _config_name(name):
                return True, single or (default if name in ("config", "cfg") and
                                        annotated is None else None)
            return False, None
        if isinstance(node, ast.Attribute) and _config_name(node.attr):
            own = (isinstance(node.value, ast.Name) and node.value.id == "self"
                   and node.attr in ("config", "cfg"))
            return True, default if own else None
        return False, None

    def _reads_in(self, function: ast.AST, known: Mapping[str, str], default: str | None
                  ) -> list[ConfigRead]:
        reads: list[ConfigRead] = []
        nodes = list(ast.walk(function))  # walked once, read three times
        guarded_names = _hasattr_guarded(nodes)
        self.loop_names = _literal_loops(nodes)
        for node in nodes:
            if isinstance(node, ast.Attribute):
                is_config, cls = self._config_of(node.value, known, default)
                if is_config and not node.attr.startswith("__"):
                    store = isinstance(node.ctx, (ast.Store, ast.Del))
                    name = "*" if node.attr in WHOLE_METHODS else node.attr
                    reads.append(ConfigRead(name, cls, store or node.attr in guarded_names,
                                            node.lineno))
            elif isinstance(node, ast.Call):
                reads += self._call_reads(node, known, default, guarded_names)
            elif isinstance(node, ast.Subscript):
                is_config, cls = self._config_of(node.value, known, default)
                key = node.slice
                if is_config and isinstance(key, ast.Constant) and isinstance(key.value, str):
                    reads.append(ConfigRead(key.value, cls, True, node.lineno))
                elif is_config:
                    reads.append(ConfigRead("*", cls, True, node.lineno))
            elif isinstance(node, (ast.For, ast.comprehension)):
                is_config, cls = self._config_of(node.iter, known, default)
                if is_config:
                    reads.append(ConfigRead("*", cls, True, getattr(node, "lineno", 0)))
        return reads

    def _call_reads(self, call: ast.Call, known: Mapping[str, str], default: str | None,
                    guarded_names: set[str]) -> list[ConfigRead]:
        func = self.source(call.func)
        line = call.lineno
        if func in ("getattr", "hasattr", "setattr", "delattr") and len(call.args) >= 2:
            is_config, cls = self._config_of(call.args[0], known, default)
            if not is_config:
                return []
            key = call.args[1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                optional = func != "getattr" or len(call.args) > 2 or key.value in guarded_names
                return [ConfigRead(key.value, cls, optional, line)]
            if isinstance(key, ast.Name) and key.id in self.loop_names:  # `for k in [...]`
                return [ConfigRead(name, cls, True, line) for name in self.loop_names[key.id]]
            # `getattr(config, f"output_{k}")`: every field with that prefix may be read
            prefix = (key.values[0].value if isinstance(key, ast.JoinedStr) and key.values
                      and isinstance(key.values[0], ast.Constant) else "")
            return [ConfigRead(f"{prefix}*", cls, True, line)]
        reads = []
        spread = [k.value for k in call.keywords if k.arg is None]
        wrapped = [a for a in call.args if isinstance(a, ast.Call)]
        for value in (*spread, *call.args):
            is_config, cls = self._config_of(value, known, default)
            if is_config and (value in spread or self.resolve(func) in WHOLE_READS):
                reads.append(ConfigRead("*", cls, True, line))
        for value in (*spread, *wrapped):
            if isinstance(value, ast.Call) and value.args and (
                    self.resolve(self.source(value.func)) in WHOLE_READS):
                is_config, cls = self._config_of(value.args[0], known, default)
                if is_config:
                    reads.append(ConfigRead("*", cls, True, line))
        return reads


def own_field_reads(cls: ast.ClassDef) -> list[ConfigRead]:
    """A config class's reads of its own fields: `self.x` loaded in its methods (a property,
    a derived value), and fields handed to the base in `super().__init__(x=x)` (the base
    class, often not loaded, reads those)."""
    reads: dict[str, ConfigRead] = {}
    for function in _functions(cls):
        for node in ast.walk(function):
            if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
                    and isinstance(node.value, ast.Name) and node.value.id == "self"):
                reads.setdefault(node.attr, ConfigRead(node.attr, SELF_CONFIG, True, node.lineno))
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "__init__" and isinstance(node.func.value, ast.Call)
                  and isinstance(node.func.value.func, ast.Name)
                  and node.func.value.func.id == "super"):
                passed = [k.arg for k in node.keywords if k.arg]
                passed += [a.id for a in node.args if isinstance(a, ast.Name)]
                passed += [k.value.id for k in node.keywords if isinstance(k.value, ast.Name)]
                for name in passed:
                    reads.setdefault(name, ConfigRead(name, SELF_CONFIG, True, node.lineno))
    return list(reads.values())


def attribute_map(cls: ast.ClassDef) -> list[str]:
    """`attribute_map = {"hidden_size": "n_embd"}` in a config's body, as "alias=field"."""
    for stmt in cls.body:
        if (isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "attribute_map"
                        for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]))):
            return [f"{k.value}={v.value}" for k, v in zip(stmt.value.keys, stmt.value.values)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)]
    return []


def _parameters(function: ast.AST) -> set[str]:
    args = getattr(function, "args", None)
    if args is None:
        return set()
    return {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)} - {"self", "cls"}


def _assigned_names(function: ast.AST) -> dict[str, int]:
    """Names the body assigns (parameters and locals), with the first line that does."""
    if getattr(function, "args", None) is None:
        return {}
    # loop and comprehension variables are named by their own guard (`for x in xs`)
    targets = {id(name) for node in ast.walk(function)
               if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension))
               for name in ast.walk(node.target)}
    first: dict[str, int] = {}
    for node in ast.walk(function):
        if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
                and node.id not in ("self", "cls") and id(node) not in targets):
            first[node.id] = min(first.get(node.id, node.lineno), node.lineno)
    return first


def _rebound(guards: tuple[str, ...], assigned: dict[str, int], line: int) -> tuple[str, ...]:
    named = set(re.findall(r"[A-Za-z_]\w*", " ".join(guards)))
    return tuple(sorted(n for n in named if n in assigned and assigned[n] < line))


def _split(names: tuple[str, ...], params: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names set before a statement: (the parameters among them, the locals)."""
    return tuple(n for n in names if n in params), tuple(n for n in names if n not in params)


def _with_rebound(init: ast.AST, found: list[Submodule]) -> list[Submodule]:
    """Mark the guards that name what `__init__` set before the build: a parameter it
    reassigned (`rotary_pos_emb = rotary_pos_emb or rotary_xpos`) or a local of its own
    (`no_abs_pos_emb = ...`) is no condition on what the caller passed."""
    params, assigned = _parameters(init), _assigned_names(init)
    first, last = getattr(init, "lineno", 0), getattr(init, "end_lineno", 0) or 0
    out = []
    for part in found:
        names = _rebound(part.guards, assigned, part.line) if first <= part.line <= last else ()
        rebound, computed = _split(names, params)
        out.append(replace(part, rebound=rebound, computed=computed) if names else part)
    return out


def _add_built(found: list[Submodule], built: Submodule, again: bool) -> None:
    """Add what an assignment builds; an attribute assigned again replaces what it held
    (`self.decoder = Wrapper(self.decoder)`), or, under a further condition, leaves the
    earlier value only where that condition does not hold."""
    if again:
        earlier = [i for i, p in enumerate(found) if p.name == built.name]
        extra = tuple(g for g in built.guards if all(g not in found[i].guards for i in earlier))
        for i in reversed(earlier):
            if not extra:
                del found[i]
            elif not found[i].guards:  # a default overridden later (branches have guards)
                found[i] = replace(found[i], guards=(*found[i].guards,
                                                     f"not ({' and '.join(extra)})"))
    found.append(built)


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _is_path(text: str) -> bool:
    return all(part.isidentifier() for part in text.split("."))


def _literal_loops(nodes: list[ast.AST]) -> dict[str, list[str]]:
    """Loop variables that run over a literal list of strings: `for k in ["a", "b"]`, also
    through a name bound to one (`names = [...]; for k in names`)."""
    def strings(node: ast.expr) -> list[str] | None:
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and node.elts and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            return [e.value for e in node.elts]  # type: ignore[attr-defined]
        return None

    bound = {t.id: found for n in nodes if isinstance(n, ast.Assign)
             for t in n.targets if isinstance(t, ast.Name) and (found := strings(n.value))}
    loops = {}
    for node in nodes:
        if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name):
            found = strings(node.iter) or (bound.get(node.iter.id)
                                           if isinstance(node.iter, ast.Name) else None)
            if found:
                loops[node.target.id] = found
    return loops


def _is_dotted(node: ast.expr) -> bool:
    return _root(node) != ""


def _functions(node: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The function itself, or a class's methods (a method's walk covers the functions nested
    in it; nested classes are read as classes of their own)."""
    if isinstance(node, _FunctionNode):
        yield node
    elif isinstance(node, ast.ClassDef):
        yield from (stmt for stmt in node.body if isinstance(stmt, _FunctionNode))


def _hasattr_guarded(nodes: list[ast.AST]) -> set[str]:
    """Attribute names a function tests with `hasattr(x, "name")` (its reads are optional)."""
    names = set()
    for node in nodes:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "hasattr" and len(node.args) == 2
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            names.add(node.args[1].value)
    return names


def _config_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in CONFIG_NAMES or lowered.endswith(("_config", "_cfg", "config_"))


def _config_like(class_name: str) -> bool:
    return class_name.endswith(("Config", "Configuration", "Settings", "HParams", "Hparams",
                                "Params", "Args", "Arguments", "Options"))


def _looks_like_class(path: str) -> bool:
    last = path.rsplit(".", 1)[-1]
    return bool(last) and last[0].isupper() and not last.isupper()


def call_arguments(call: ast.Call, source: Source) -> str:
    """A call's arguments as source: `d_model, num_classes, dropout=0.1`."""
    parts = [source(a) for a in call.args]
    parts += [f"{k.arg}={source(k.value)}" if k.arg else f"**{source(k.value)}"
              for k in call.keywords]
    return ", ".join(parts)


def _range_count(comprehension: ast.GeneratorExp | ast.ListComp, source: Source) -> str | None:
    if len(comprehension.generators) != 1:
        return None
    iterator = comprehension.generators[0].iter
    if (isinstance(iterator, ast.Call) and isinstance(iterator.func, ast.Name)
            and iterator.func.id == "range" and len(iterator.args) == 1):
        return source(iterator.args[0])
    return source(iterator)


# --- defaults a body gives a `None` parameter ---------------------------------------------


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _named(node: ast.expr) -> str | None:
    """`x` or `self.x` (also `self._x`): the parameter a test or assignment is about."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr.lstrip("_")
    return None


def _none_test(test: ast.expr) -> tuple[str, bool] | None:
    """`x is None` -> (x, True), `x is not None` -> (x, False); else None."""
    if (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], (ast.Is, ast.IsNot, ast.Eq, ast.NotEq))):
        left, right = test.left, test.comparators[0]
        subject = left if _is_none(right) else right if _is_none(left) else None
        name = _named(subject) if subject is not None else None
        if name is not None:
            return name, isinstance(test.ops[0], (ast.Is, ast.Eq))
    return None


def _replacement(value: ast.expr, name: str) -> ast.expr | None:
    """What `value` gives `name` when it is None: `5 if x is None else x`, `x or 5`."""
    if isinstance(value, ast.IfExp):
        test = _none_test(value.test)
        if test is not None and test[0] == name:
            kept, other = (value.orelse, value.body) if test[1] else (value.body, value.orelse)
            return other if _named(kept) == name else None
    if (isinstance(value, ast.BoolOp) and isinstance(value.op, ast.Or) and len(value.values) == 2
            and _named(value.values[0]) == name):
        return value.values[1]
    return None


def _resolution(stmt: ast.stmt) -> tuple[str, ast.expr] | None:
    """(parameter, value) when `stmt` turns a None parameter into a value."""
    if isinstance(stmt, ast.If):
        test = _none_test(stmt.test)
        if test is None or not test[1] or _exits(stmt.body):
            return None  # `if x is None: raise ...` rejects None; it does not replace it
        assigned = [s.value for s in stmt.body if isinstance(s, (ast.Assign, ast.AnnAssign))
                    and s.value is not None
                    and any(_named(t) == test[0] for t in (s.targets if isinstance(s, ast.Assign)
                                                           else [s.target]))]
        return (test[0], assigned[-1]) if assigned else None
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            name = _named(target)
            replaced = _replacement(stmt.value, name) if name else None
            if name and replaced is not None:
                return name, replaced
    return None


def _statements(function: ast.AST) -> list[ast.stmt]:
    body = list(getattr(function, "body", []))
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return body


def resolved_defaults(function: ast.AST, names: set[str], source: Source) -> dict[str, str]:
    """Parameter -> the value the body gives it when it is None, where the body does so before
    any other use (`if x is None: x = 5`, `x = 5 if x is None else x`, `x = x or 5`)."""
    used: set[str] = set()
    out: dict[str, str] = {}
    for stmt in _statements(function):
        found = _resolution(stmt)
        if found is not None and found[0] in names and found[0] not in used | set(out):
            out[found[0]] = source(found[1])
        used |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        if names <= used:  # every parameter used or resolved: the rest cannot resolve one
            break
    return out


def none_handled(scope: ast.AST) -> set[str]:
    """Names the code tests for None (or truthiness) anywhere in `scope`, or hands to a helper
    that normalises them: a None default that stands for a value computed later."""
    handled: set[str] = set()
    for node in ast.walk(scope):
        if isinstance(node, ast.Compare):
            test = _none_test(node)
            if test is not None:
                handled.add(test[0])
        elif isinstance(node, ast.BoolOp):
            handled.update(n for v in node.values if (n := _named(v)))
        elif isinstance(node, (ast.If, ast.IfExp, ast.While)):
            test = node.test.operand if isinstance(node.test, ast.UnaryOp) else node.test
            if (name := _named(test)) is not None:
                handled.add(name)
        elif isinstance(node, ast.Call) and _RESOLVER.search(_called(node.func)):
            # `self._process_parameters(mean, cov)`, `check_array(x)`: helpers that normalise
            # their arguments, None included
            handled.update(n for a in (*node.args, *(k.value for k in node.keywords))
                           if (n := _named(a)))
    return handled


_RESOLVER = re.compile(r"^_(?!_)|check|valid|process|resolve|default|normali[sz]e|^get_", re.I)


def _called(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


_KWARGS_READS = frozenset({"pop", "get", "setdefault"})


def keyword_reads(function: ast.AST, kwargs: str, source: Source) -> dict[str, str | None]:
    """Names the body reads from its `**kwargs` (`kwargs.pop("dt", True)`, `kwargs["dt"]`), with
    the default the read gives them (None where there is none): keywords it accepts."""
    found: dict[str, str | None] = {}
    for node in ast.walk(function):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _KWARGS_READS and _named(node.func.value) == kwargs
                and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            if len(node.args) > 1:
                default: str | None = source(node.args[1])
            else:  # `get` gives None; `pop` without a default requires the keyword
                default = None if node.func.attr == "pop" else "None"
            found.setdefault(node.args[0].value, default)
        elif (isinstance(node, ast.Subscript) and _named(node.value) == kwargs
              and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            found.setdefault(node.slice.value, None)
    return {k: v for k, v in found.items() if k.isidentifier()}


_RENAMING_DECORATOR = re.compile(r"deprecat|renam", re.I)


def renamed_keywords(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Old names a decorator still accepts: `@deprecate_kwarg("seed", "rng")`,
    `@_rename_parameter("old", "new")` take the first string argument as a keyword."""
    names = []
    for decorator in function.decorator_list:
        if (isinstance(decorator, ast.Call) and _RENAMING_DECORATOR.search(_called(decorator.func))
                and decorator.args and isinstance(decorator.args[0], ast.Constant)
                and isinstance(decorator.args[0].value, str) and decorator.args[0].value.isidentifier()):
            names.append(decorator.args[0].value)
    return names


def kwargs_helpers(function: ast.AST, kwargs: str, methods: Mapping[str, ast.AST]) -> list[ast.AST]:
    """Methods of the class that `function` hands its `**kwargs` to (`self._fit_irls(**kwargs)`)."""
    out = []
    for node in ast.walk(function):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
                and node.func.attr in methods
                and any(k.arg is None and _named(k.value) == kwargs for k in node.keywords)):
            out.append(methods[node.func.attr])
    return out
