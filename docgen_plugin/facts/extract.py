"""One source file -> ModuleFacts, statically, with griffe. User code is never imported.

Runs in worker processes, so everything in and out is plain data. Unreadable input becomes a
DG0xx diagnostic and the rest of the file (and of the tree) is still read.
"""

from __future__ import annotations

import ast
import codecs
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import griffe

from docgen_plugin.facts.behaviour import (
    OWN_CONFIG,
    BodyReader,
    attribute_map,
    keyword_reads,
    kwargs_helpers,
    none_handled,
    own_field_reads,
    renamed_keywords,
    resolved_defaults,
)
from docgen_plugin.facts.discover import unreadable_diagnostic
from docgen_plugin.facts.docstrings import parse_docstring
from docgen_plugin.facts.model import (
    ConfigField,
    ConfigRead,
    Diagnostic,
    Docstring,
    ModuleFacts,
    ObjectFacts,
    Param,
    Signature,
)

_MENTIONS_DEFAULT = re.compile(r"default", re.I)
KWARGS_READ = "**kwargs"  # Param.forwarded_from of a keyword read from `**kwargs`
SIGNATURE_METHODS = ("__init__", "forward", "__call__")
_KINDS = {
    "positional-only": "positional-only",
    "positional or keyword": "positional-or-keyword",
    "variadic positional": "var-positional",
    "keyword-only": "keyword-only",
    "variadic keyword": "var-keyword",
}
_DATACLASS_DECORATORS = {"dataclasses.dataclass", "pydantic.dataclasses.dataclass",
                         "flax.struct.dataclass", "chex.dataclass"}
_ATTRS_DECORATORS = {"attr.s", "attr.attrs", "attr.define", "attr.frozen", "attr.mutable",
                     "attrs.define", "attrs.frozen", "attrs.mutable"}
_SUPPRESS = re.compile(r"#\s*docgen:\s*ignore(?:\[([\w\s,]+)\])?")
_FIELD_CALLS = {"field", "Field", "ib", "attrib"}
_CONFIG_SUFFIXES = ("Config", "Configuration", "Settings", "HParams", "Hparams", "Params", "Cfg",
                    "Args", "Arguments", "Options")


def read_source(path: Path, display: str) -> tuple[str | None, list[Diagnostic]]:
    """The file's text, decoded as Python does (UTF-8, or the encoding a PEP 263 coding line
    names), or a DG002 diagnostic naming the bad byte's line (DG007: the file is unreadable)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, [unreadable_diagnostic(path, display, error)]
    bom = data.startswith(codecs.BOM_UTF8)
    encoding, declared = "utf-8-sig" if bom else "utf-8", _coding_line(data)
    if declared is not None:
        try:
            named = codecs.lookup(declared).name
        except LookupError:
            return None, [Diagnostic("DG002", f"unknown encoding {declared!r} in the coding line; "
                                     "fix it, or save the file as UTF-8 without one", display)]
        if bom and named != "utf-8":
            return None, [Diagnostic("DG002", f"the coding line says {declared} but the file "
                                     "starts with a UTF-8 BOM; fix the coding line", display)]
        encoding = encoding if bom else named
    try:
        return data.decode(encoding), []
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        said = "UTF-8" if declared is None else f"{declared}, as its coding line says"
        return None, [Diagnostic(
            "DG002", f"not valid {said} (byte 0x{data[error.start]:02x}); save the file as UTF-8",
            display, line,
        )]


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_BLANK_OR_COMMENT = re.compile(rb"^[ \t\f]*(?:#.*)?\r?$")


def _coding_line(data: bytes) -> str | None:
    """The encoding a PEP 263 coding line names: on line 1, or on line 2 after a comment."""
    first, _, rest = data.removeprefix(codecs.BOM_UTF8).partition(b"\n")
    for line in (first, rest.partition(b"\n")[0]):
        match = _CODING.match(line)
        if match:
            return match.group(1).decode("ascii")
        if not _BLANK_OR_COMMENT.match(line):
            return None
    return None


def extract_module(path: Path, module: str, display: str, style: str = "auto") -> ModuleFacts:
    """Facts of every class, function and method defined in one file."""
    code, diagnostics = read_source(path, display)
    if code is None:
        return ModuleFacts(module, display, diagnostics=tuple(diagnostics))
    keep = _KeepTree()
    try:
        griffe_module = griffe.visit(module.split(".")[-1], path, code,
                                     parent=_parents(module, path),
                                     extensions=griffe.load_extensions(keep))
    except SyntaxError as error:
        message = f"syntax error: {error.msg}; fix the code (the rest of the tree is still checked)"
        return ModuleFacts(module, display, diagnostics=(
            Diagnostic("DG001", message, display, error.lineno or 1),
        ))
    except Exception as error:  # griffe fails on rare valid code: report, do not crash
        return ModuleFacts(module, display, diagnostics=(
            Diagnostic("DG001", f"griffe could not read this module: {error}", display, 1),
        ))
    tree = keep.tree if keep.tree is not None else ast.parse(code, filename=display)
    names = _imported_names(griffe_module)
    reader = _Reader(display, style, code, _ast_index(tree), names)
    for member in griffe_module.members.values():
        reader.visit(member)
    return ModuleFacts(module, display, tuple(reader.objects), tuple(reader.diagnostics),
                       reader.module_config_reads(tree), _reexports(module, names))


def _imported_names(module: griffe.Module) -> dict[str, str]:
    """Module-level name -> full path: imports as they resolve, and the module's own objects."""
    names = {}
    for name, member in module.members.items():
        try:
            names[name] = member.target_path if member.is_alias else member.path  # type: ignore[union-attr]
        except Exception:  # an alias griffe cannot follow: the name stays as written
            continue
    return names


def _reexports(module: str, names: dict[str, str]) -> tuple[str, ...]:
    """`Name=target` for each imported name that points at another module of the same
    top-level package (what `from pkg.vit import ViT` in `pkg/__init__.py` makes)."""
    package = module.split(".")[0] + "."
    return tuple(
        f"{name}={target}" for name, target in names.items()
        if target.startswith(package) and target != f"{module}.{name}"
    )


class _KeepTree(griffe.Extension):
    """Keeps the syntax tree griffe parses, so that each file is parsed once, not twice."""

    def __init__(self) -> None:
        super().__init__()
        self.tree: ast.Module | None = None

    def on_module_node(self, *, node: ast.AST | griffe.ObjectNode, **kwargs: object) -> None:
        if isinstance(node, ast.Module):
            self.tree = node


def _parents(module: str, path: Path) -> griffe.Module | None:
    """Empty parent modules, so griffe resolves relative imports to full canonical paths."""
    parts = module.split(".")[:-1]
    folder = path.parent if path.name != "__init__.py" else path.parent.parent
    parent = None
    for depth, name in enumerate(parts):
        init = folder.parents[len(parts) - depth - 2] if len(parts) - depth - 2 >= 0 else folder
        parent = griffe.Module(name, filepath=init / "__init__.py", parent=parent)
    return parent


def _ast_index(tree: ast.Module) -> dict[str, ast.AST]:
    """Qualified name inside the module -> its ast node (to look into function bodies)."""
    index: dict[str, ast.AST] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                index[name] = child
                if isinstance(child, ast.ClassDef):
                    walk(child, name + ".")

    walk(tree, "")
    return index


class _Reader:
    """Turns griffe objects of one module into ObjectFacts."""

    def __init__(self, file: str, style: str, code: str, nodes: dict[str, ast.AST],
                 names: dict[str, str] | None = None) -> None:
        self.file = file
        self.style = style
        self.code = code
        self.lines = code.splitlines()
        self.source_lines: list[str] | None = None  # split as ast counts lines
        self.handled: dict[int, set[str]] = {}  # id(class or function node) -> names tested for None
        self.methods: dict[int, dict[str, ast.AST]] = {}  # id(class node) -> its methods by name
        self.nodes = nodes
        self.objects: list[ObjectFacts] = []
        self.diagnostics: list[Diagnostic] = []
        self.names = names or {}
        # module-level functions: what a class's `__init__` or `forward` raises through one
        # of them (`get_bins(size)` raising ValueError) is raised when it is called; the
        # private ones are also read for validation and config reads everywhere
        self.module_functions = {
            name: node for name, node in nodes.items()
            if "." not in name and not name.startswith("__")
            and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        self.private_functions = {n: f for n, f in self.module_functions.items() if n.startswith("_")}
        self.body = BodyReader(self.source_text, self.resolve, self.private_functions)

    def source_text(self, node: ast.AST) -> str:
        """A node's source on one line (as written; `ast.unparse` where positions are off)."""
        text = self.segment(node) if hasattr(node, "end_lineno") else None  # type: ignore[arg-type]
        return " ".join((text or ast.unparse(node)).split())

    def text_of(self, node: ast.AST) -> str:
        """The source lines of a node, as one string (a cheap test before walking it)."""
        first, last = getattr(node, "lineno", 1), getattr(node, "end_lineno", None) or 0
        return "\n".join(self.lines[first - 1:last])

    def resolve(self, dotted: str) -> str:
        """`nn.Linear` -> `torch.nn.Linear`, through the module's imports and definitions."""
        head, dot, rest = dotted.partition(".")
        target = self.names.get(head)
        return f"{target}{dot}{rest}" if target else dotted

    def module_config_reads(self, tree: ast.Module) -> tuple[ConfigRead, ...]:
        """Config reads of module-level functions (helpers that take a config)."""
        return tuple(
            read for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            for read in self.body.config_reads(node)
        )

    def visit(self, obj: griffe.Object | griffe.Alias) -> None:
        if obj.is_alias:
            return
        if isinstance(obj, griffe.Class):
            self.objects.append(self.read_class(obj))
            for member in obj.members.values():
                if isinstance(member, (griffe.Class, griffe.Function)) and not member.is_alias:
                    self.visit(member)
        elif isinstance(obj, griffe.Function) and not obj.has_labels("property"):
            if any(d.callable_path in ("typing.overload", "overload") for d in obj.decorators):
                return
            # Methods matter only with a docstring to check; the class carries the signatures.
            if obj.docstring is None and (isinstance(obj.parent, griffe.Class) or not obj.is_public):
                return
            self.objects.append(self.read_function(obj))

    # --- shared pieces --------------------------------------------------------------------

    def definition_line(self, obj: griffe.Object) -> int:
        """The `def`/`class` line (griffe's lineno is the first decorator's)."""
        line = obj.lineno or 1
        for number in range(line, min(line + 50, len(self.lines)) + 1):
            if self.lines[number - 1].lstrip().startswith(("def ", "async def ", "class ")):
                return number
        return line

    def suppressed(self, first: int, last: int) -> tuple[str, ...]:
        codes: set[str] = set()
        for number in range(first, min(last, len(self.lines)) + 1):
            match = _SUPPRESS.search(self.lines[number - 1])
            if match:
                named = match.group(1)
                codes.update(c.strip() for c in named.split(",") if c.strip()) if named else codes.add("*")
        return tuple(sorted(codes))

    def docstring(self, obj: griffe.Object) -> Docstring | None:
        if obj.docstring is None:
            return None
        raw = obj.docstring
        line, end = raw.lineno or obj.lineno or 1, raw.endlineno or raw.lineno or 1
        parsed, diagnostics = parse_docstring(raw.value, line, end, self.style, self.file)
        self.diagnostics.extend(diagnostics)
        return self.locate_params(parsed)

    def locate_params(self, doc: Docstring) -> Docstring:
        """Give each documented parameter the source line where the docstring names it."""
        from dataclasses import replace

        lines = self.lines[doc.line - 1:min(doc.end_line, len(self.lines))]
        first = _first_lines(lines, doc.line)  # one pass: a regex per name was quadratic

        def line_of(name: str) -> int:
            if _WORD.fullmatch(name):
                return first.get(name, doc.line)
            pattern = re.compile(rf"^\s*(?::\w+\s+(?:[^:]*\s)?)?\**{re.escape(name)}\b")
            return next((doc.line + i for i, text in enumerate(lines) if pattern.search(text)),
                        doc.line)

        return replace(
            doc,
            params=tuple(replace(p, line=line_of(p.name)) for p in doc.params),
            attributes=tuple(replace(p, line=line_of(p.name)) for p in doc.attributes),
        )

    def node(self, obj: griffe.Object) -> ast.AST | None:
        return self.nodes.get(obj.path[len(obj.module.path) + 1:])

    def source_defaults(self, function: griffe.Function) -> dict[str, str]:
        """Defaults as the source spells them (`1e-5`, not griffe's `1e-05`)."""
        node = self.node(function)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return {}
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        return {arg.arg: self.segment(default) or ast.unparse(default) for arg, default in pairs}

    def segment(self, node: ast.expr) -> str | None:
        """`ast.get_source_segment` without re-splitting the whole file on every call."""
        # (get_source_segment splits the source each time: quadratic on big modules.)
        if self.source_lines is None:
            self.source_lines = self.code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        try:
            first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[operator]
            lines = [line.encode() for line in self.source_lines[first:last + 1]]
            if first == last:
                return lines[0][node.col_offset:node.end_col_offset].decode()
            lines[0], lines[-1] = lines[0][node.col_offset:], lines[-1][:node.end_col_offset]
            return b"\n".join(lines).decode()
        except (TypeError, IndexError, UnicodeDecodeError):
            return None

    def signature(self, function: griffe.Function) -> Signature:
        defaults = self.source_defaults(function)
        params = []
        for p in function.parameters:
            kind = _KINDS.get(p.kind.value if p.kind else "", "positional-or-keyword")
            default = None
            if p.default is not None and kind not in ("var-positional", "var-keyword"):
                default = defaults.get(p.name, str(p.default))
            params.append(Param(
                name=p.name,
                kind=kind,  # type: ignore[arg-type]
                annotation=str(p.annotation) if p.annotation is not None else None,
                default=" ".join(default.split()) if default is not None else None,
            ))
        returns = str(function.returns) if function.returns is not None else None
        # What the body makes of a None matters only to a docstring that states a default
        # (a subclass may document the keywords a base reads from **kwargs: always read).
        if _MENTIONS_DEFAULT.search(self.documenting_text(function)):
            params = self.none_defaults(function, params)
        if any(p.kind == "var-keyword" for p in params) or function.decorators:
            params = params + self.kwargs_params(function, params)
        return Signature(function.name, tuple(params), returns, self.definition_line(function))

    def kwargs_params(self, function: griffe.Function, params: list[Param]) -> list[Param]:
        """Keywords the body reads from `**kwargs` (`kwargs.pop("dt", True)`): accepted names,
        marked as forwarded (from `**kwargs`) so they are not required to be documented."""
        node = self.node(function)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return []
        present = {p.name for p in params}
        read: dict[str, str | None] = dict.fromkeys(renamed_keywords(node))  # required: no default
        kwargs = next((p.name for p in params if p.kind == "var-keyword"), None)
        if kwargs is not None:
            for body in (node, *self.kwargs_readers(function, node, kwargs)):
                var_keyword = body.args.kwarg.arg if body.args.kwarg else kwargs  # type: ignore[attr-defined]
                for name, default in keyword_reads(body, var_keyword, self.source_text).items():
                    read.setdefault(name, default)
        return [Param(name, "keyword-only", None, default, forwarded_from=KWARGS_READ)
                for name, default in read.items() if name not in present]

    def kwargs_readers(self, function: griffe.Function, node: ast.AST, kwargs: str) -> list[ast.AST]:
        """Where else a method's `**kwargs` are read: the class's `__new__` (for `__init__`) and
        the methods it hands them to."""
        cls = self.node(function.parent) if isinstance(function.parent, griffe.Class) else None
        if not isinstance(cls, ast.ClassDef):
            return []
        if id(cls) not in self.methods:
            self.methods[id(cls)] = {m.name: m for m in cls.body
                                     if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
        methods = self.methods[id(cls)]
        extra = [methods["__new__"]] if function.name == "__init__" and "__new__" in methods else []
        return extra + [m for m in kwargs_helpers(node, kwargs, methods) if m is not node]

    @staticmethod
    def documenting_text(function: griffe.Function) -> str:
        """The docstrings that may document a signature: its own, and its class's for
        `__init__`/`forward`/`__call__`."""
        texts = [function.docstring.value] if function.docstring else []
        parent = function.parent
        if isinstance(parent, griffe.Class) and function.name in SIGNATURE_METHODS and parent.docstring:
            texts.append(parent.docstring.value)
        return "\n".join(texts)

    def none_defaults(self, function: griffe.Function, params: list[Param]) -> list[Param]:
        """Parameters defaulting to None, with what the body makes of the None (DG103)."""
        names = {p.name for p in params if p.default == "None"}
        node = self.node(function)
        if not names or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return params
        resolved = resolved_defaults(node, names, self.source_text)
        # a method's None may be handled by another method (`fit` reads `self.x`)
        parent = self.node(function.parent) if isinstance(function.parent, griffe.Class) else None
        scope = parent if isinstance(parent, ast.ClassDef) else node
        if id(scope) not in self.handled:  # one walk per class, not one per method
            self.handled[id(scope)] = none_handled(scope)
        handled = self.handled[id(scope)] & names
        return [replace(p, resolved_default=resolved.get(p.name), none_handled=p.name in handled)
                if p.name in names else p for p in params]

    # --- classes and functions -----------------------------------------------------------

    def read_class(self, cls: griffe.Class) -> ObjectFacts:
        line = self.definition_line(cls)
        doc = self.docstring(cls)
        signatures = tuple(
            self.signature(member)
            for name in SIGNATURE_METHODS
            if isinstance(member := cls.members.get(name), griffe.Function) and not member.is_alias
        )
        decorators = tuple(d.callable_path for d in cls.decorators)
        if any(d in _DATACLASS_DECORATORS for d in decorators):
            config_kind = "dataclass"
        elif any(d in _ATTRS_DECORATORS for d in decorators):
            config_kind = "attrs"
        else:
            config_kind = None  # pydantic, PretrainedConfig-style and inherited kinds: see link
        return ObjectFacts(
            path=cls.path,
            kind="class",
            file=self.file,
            line=line,
            end_line=cls.endlineno or line,
            docstring=doc,
            signatures=signatures,
            bases=tuple(_base_path(b) for b in cls.bases),
            decorators=decorators,
            config_kind=config_kind,
            fields=self.class_fields(cls),
            suppressed=self.suppressed(cls.lineno or line, (doc.line - 1) if doc else line),
            forwards_kwargs_to_base=self.forwards_kwargs(cls),
            exported=_exported(cls),
            attributes=self.attribute_names(cls),
            **self.class_behaviour(cls),
        )

    def class_behaviour(self, cls: griffe.Class) -> dict[str, Any]:
        """Raises, returns, submodules and config reads of a class, from its body."""
        node = self.node(cls)
        if not isinstance(node, ast.ClassDef):
            return {}
        methods = {
            stmt.name: stmt for stmt in node.body
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        private_methods = {n: m for n, m in methods.items() if n.startswith("_") and not n.startswith("__")}
        helpers = {**self.private_functions, **private_methods}
        config_class = self.config_class(node, methods.get("__init__"))
        raises = [r for name in SIGNATURE_METHODS if name in methods
                  for r in self.body.raises(methods[name], name,
                                            {**self.module_functions, **private_methods})]
        # other public methods: what they raise runs when a base's `__init__` calls them
        raises += [r for name, method in methods.items()
                   if name not in SIGNATURE_METHODS and not name.startswith("_")
                   and any(word in self.text_of(method) for word in ("raise", "assert", "warn"))
                   for r in self.body.raises(method, name)]
        returns = [r for name in ("forward", "__call__") if name in methods
                   for r in self.body.returns(methods[name], name)]
        init = methods.get("__init__")
        reads = [r if r.config != config_class or config_class is None  # shorter in the cache
                 else replace(r, config=OWN_CONFIG)
                 for r in self.body.config_reads(node, in_class=True)]
        if _may_be_config(node, self.resolve):  # a config's own reads: see `own_field_reads`
            reads += own_field_reads(node)
        return {
            "raises": tuple(raises),
            "returns": tuple(returns),
            "submodules": tuple(self.body.submodules(init, helpers)) if init else (),
            "config_reads": tuple(reads),
            "aliases": tuple(attribute_map(node)),
            "config_class": config_class,
            "self_calls": tuple(c for n in SIGNATURE_METHODS if n in methods
                                for c in self.body.self_calls(methods[n], n)),
            "super_calls": tuple(n for n in SIGNATURE_METHODS if n in methods
                                 and "super(" in self.text_of(methods[n])
                                 and _calls_super(methods[n], n)),
        }

    def config_class(self, node: ast.ClassDef, init: ast.AST | None) -> str | None:
        """`config_class = XConfig` in the class body, else the annotation of `config`."""
        for stmt in node.body:
            value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
            targets = (stmt.targets if isinstance(stmt, ast.Assign)
                       else [stmt.target] if isinstance(stmt, ast.AnnAssign) else [])
            named = any(isinstance(t, ast.Name) and t.id == "config_class" for t in targets)
            if named and isinstance(value, (ast.Name, ast.Attribute)):
                return self.resolve(self.source_text(value))
        if isinstance(init, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for arg in (*init.args.args, *init.args.kwonlyargs):
                if arg.arg in ("config", "cfg") and arg.annotation is not None:
                    annotation = self.source_text(arg.annotation).strip("'\"")
                    if all(part.isidentifier() for part in annotation.split(".")):
                        return self.resolve(annotation)
        return None

    def attribute_names(self, cls: griffe.Class) -> tuple[str, ...]:
        """Every name an instance can have: members, and `self.x = ...` in any method."""
        names = set(cls.members)
        for node in ast.walk(self.node(cls) or ast.Module(body=[], type_ignores=[])):
            if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                    and isinstance(node.value, ast.Name) and node.value.id == "self"):
                names.add(node.attr)
        return tuple(sorted(names))

    def read_function(self, function: griffe.Function) -> ObjectFacts:
        line = self.definition_line(function)
        doc = self.docstring(function)
        return ObjectFacts(
            path=function.path,
            kind="method" if isinstance(function.parent, griffe.Class) else "function",
            file=self.file,
            line=line,
            end_line=function.endlineno or line,
            docstring=doc,
            signatures=(self.signature(function),),
            decorators=tuple(d.callable_path for d in function.decorators),
            suppressed=self.suppressed(function.lineno or line, (doc.line - 1) if doc else line),
            **self.function_behaviour(function),
        )

    def function_behaviour(self, function: griffe.Function) -> dict[str, Any]:
        node = self.node(function)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or (
                isinstance(function.parent, griffe.Class) and function.name in SIGNATURE_METHODS):
            return {}  # `__init__`/`forward`: their class holds what they raise and return
        helpers: dict[str, ast.AST] = dict(self.private_functions)
        if isinstance(function.parent, griffe.Class):  # a method: its class's private methods
            owner = self.node(function.parent)
            helpers.update({
                stmt.name: stmt for stmt in getattr(owner, "body", [])
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
                and stmt.name.startswith("_") and not stmt.name.startswith("__")
            })
        helpers.pop(function.name, None)
        return {
            "raises": tuple(self.body.raises(node, "", helpers)),
            "returns": tuple(self.body.returns(node)),
        }

    def class_fields(self, cls: griffe.Class) -> tuple[ConfigField, ...]:
        """Annotated class attributes, with `field(...)`/`Field(...)` defaults and help text."""
        node = self.node(cls)
        # Only annotations written in the class body are fields (not `self.x: int` in methods).
        in_body = {
            stmt.target.id for stmt in getattr(node, "body", [])
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
        }
        out = []
        for name, member in cls.members.items():
            if member.is_alias or not isinstance(member, griffe.Attribute) or name not in in_body:
                continue
            if member.annotation is None or not member.has_labels("instance-attribute"):
                continue  # ClassVar[...] is a class attribute only
            annotation = str(member.annotation)
            default, description, in_init = _field_value(member.value)
            if not in_init:
                continue
            if member.docstring is not None and not description:
                description = member.docstring.value
            above = self.lines[member.lineno - 2].strip() if (member.lineno or 0) > 1 else ""
            if not description and above.startswith("#:"):  # Sphinx autodoc's `#:` comments
                description = above[2:].strip()
            out.append(ConfigField(name, annotation, default, description, member.lineno or 0))
        return tuple(out)

    def forwards_kwargs(self, cls: griffe.Class) -> bool:
        """Whether `__init__` passes its `**kwargs` on to a base class's `__init__`."""
        init = cls.members.get("__init__")
        node = self.node(init) if isinstance(init, griffe.Function) else None
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.args.kwarg is None:
            return False
        kwarg = node.args.kwarg.arg
        for call in ast.walk(node):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "__init__"
                and any(k.arg is None and isinstance(k.value, ast.Name) and k.value.id == kwarg
                        for k in call.keywords)
            ):
                return True
        return False


def _may_be_config(node: ast.ClassDef, resolve: Callable[[str], str]) -> bool:
    """Whether a class may be a config (the linker decides; this only bounds the work)."""
    names = [node.name, *(resolve(ast.unparse(b)).rsplit(".", 1)[-1] for b in node.bases)]
    decorated = any("dataclass" in ast.unparse(d) or "attr" in ast.unparse(d)
                    for d in node.decorator_list)
    return decorated or any(n.endswith(_CONFIG_SUFFIXES) or n == "BaseModel" for n in names)


def _calls_super(method: ast.AST, name: str) -> bool:
    """Whether a method calls its base's own: `super().forward(...)`."""
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == name and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name) and node.func.value.func.id == "super"
        for node in ast.walk(method)
    )


# What a docstring line can name: `name ...` / `*name` at its start, or any word after a space
# in the head of a Sphinx field (`:param int name:`), as `^\s*(?::\w+\s+(?:[^:]*\s)?)?\**name\b`.
_WORD = re.compile(r"\w+")
_LEADING_NAME = re.compile(r"\s*\**(\w+)")
_FIELD_PREFIX = re.compile(r"\s*:\w+\s+")
_FIELD_NAME = re.compile(r"(?:^|(?<=\s))\**(\w+)")


def _first_lines(lines: list[str], start: int) -> dict[str, int]:
    """Name -> number of the first line that names it (lines numbered from `start`)."""
    first: dict[str, int] = {}
    for number, text in enumerate(lines, start=start):
        names = []
        if leading := _LEADING_NAME.match(text):
            names.append(leading.group(1))
        if prefix := _FIELD_PREFIX.match(text):
            head = text[prefix.end():].split(":", 1)[0]
            names += [m.group(1) for m in _FIELD_NAME.finditer(head)]
        for name in names:
            first.setdefault(name, number)
    return first


def _exported(obj: griffe.Object) -> bool | None:
    """Whether the module's `__all__` lists the object (or its outermost class); None if unknown."""
    while isinstance(obj.parent, griffe.Class):
        obj = obj.parent
    exports = obj.module.exports
    if exports is None or not all(isinstance(name, str) for name in exports):
        return None  # no `__all__`, or one griffe could not read to the end
    return obj.name in exports


def _base_path(base: object) -> str:
    return str(getattr(base, "canonical_path", None) or base)


def _field_value(value: object) -> tuple[str | None, str | None, bool]:
    """(default, description, in __init__) of an attribute's value expression."""
    if value is None:
        return None, None, True
    text = str(value)
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return text, None, True
    if not (isinstance(node, ast.Call) and _call_name(node.func) in _FIELD_CALLS):
        return text, None, True
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    init = keywords.get("init")
    in_init = not (isinstance(init, ast.Constant) and init.value is False)
    default: str | None = None
    if "default" in keywords:
        default = ast.unparse(keywords["default"])
    elif "default_factory" in keywords or "factory" in keywords:
        factory = keywords.get("default_factory") or keywords["factory"]
        default = f"{ast.unparse(factory)}()"
    elif node.args and _call_name(node.func) == "Field":  # pydantic: Field(0.1, ...)
        default = ast.unparse(node.args[0])
    if default == "...":  # pydantic's "required"
        default = None
    description = None
    for key in ("description", "help", "doc"):
        if key in keywords:
            description = _text(keywords[key]) or description
    metadata = keywords.get("metadata")
    if isinstance(metadata, ast.Dict):
        for key_node, value_node in zip(metadata.keys, metadata.values):
            if isinstance(key_node, ast.Constant) and key_node.value in ("help", "description", "doc"):
                description = _text(value_node) or description
    return default, description, in_init


def _text(node: ast.expr) -> str | None:
    """A help text: a string, an f-string, or strings in parentheses that a stray comma made
    a tuple (`"help": ("Whether to ...", "and ...")`, as written in the wild)."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return ast.unparse(node)
    if isinstance(node, ast.Tuple) and node.elts and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return "".join(e.value for e in node.elts)  # type: ignore[attr-defined]
    return None


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""
