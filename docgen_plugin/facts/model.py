"""The facts docgen knows about code: frozen, JSON-serialisable, free of griffe types.

Every feature reads these: checks compare them with written docs, prompts serialise them,
the cache keys on their fingerprint. Values and annotations are kept as source text.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from functools import cached_property
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

ParamKind = Literal[
    "positional-only", "positional-or-keyword", "var-positional", "keyword-only", "var-keyword"
]
ObjectKind = Literal["class", "function", "method", "module"]
ConfigKind = Literal["dataclass", "pydantic", "pretrained", "attrs", "annotated"]


_Named = TypeVar("_Named", "Param", "DocParam")


def _by_name(items: tuple[_Named, ...]) -> dict[str, _Named]:
    """Name -> the first item of that name (as a scan from the start would find it)."""
    found: dict[str, _Named] = {}
    for item in items:
        found.setdefault(item.name, item)
    return found


@dataclass(frozen=True)
class Param:
    """One parameter of a signature."""

    name: str
    kind: ParamKind = "positional-or-keyword"
    annotation: str | None = None
    default: str | None = None  # source text; None means required
    forwarded_from: str | None = None  # set when accepted through **kwargs of a base class
    # default `None` only: the value the body gives it instead (`if x is None: x = 5`), and
    # whether the code tests it for None at all (a None that stands for a value computed later)
    resolved_default: str | None = None
    none_handled: bool = False

    @property
    def required(self) -> bool:
        return self.default is None and self.kind not in ("var-positional", "var-keyword")

    @property
    def is_variadic(self) -> bool:
        return self.kind in ("var-positional", "var-keyword")


@dataclass(frozen=True)
class Signature:
    """The signature of a function or of one method of a class (`__init__`, `forward`, ...)."""

    name: str
    params: tuple[Param, ...] = ()
    returns: str | None = None
    line: int = 0

    def param(self, name: str) -> Param | None:
        return self._params.get(name)

    @cached_property
    def _params(self) -> dict[str, Param]:  # a lookup per entry was quadratic at 10^4 entries
        return _by_name(self.params)

    @property
    def own_params(self) -> tuple[Param, ...]:
        """Parameters written in this signature, without `self`/`cls` and forwarded ones."""
        return tuple(
            p for p in self.params
            if p.forwarded_from is None and not (p.name in ("self", "cls") and p is self.params[0])
        )

    @property
    def shown_params(self) -> tuple[Param, ...]:
        """What a reader of the docs calls it with: its own parameters, or, for a signature
        the class inherits whole (no `__init__`/`forward` of its own), the inherited ones."""
        own = self.own_params
        if own:
            return own
        return tuple(p for i, p in enumerate(self.params)
                     if not (i == 0 and p.name in ("self", "cls")))

    @property
    def accepts_any_keyword(self) -> bool:
        return any(p.kind == "var-keyword" and p.forwarded_from is None for p in self.params)


@dataclass(frozen=True)
class DocParam:
    """A parameter (or attribute) as a docstring documents it."""

    name: str
    annotation: str | None = None
    description: str = ""
    default: str | None = None  # the default the docstring states, as written
    line: int = 0
    default_in_type: bool = False  # stated in a NumPy entry's type field (`int, default=5`)


@dataclass(frozen=True)
class DocSection:
    """A section of a parsed docstring (kind as griffe names it: text, parameters, examples...)."""

    kind: str
    title: str | None
    text: str
    line: int = 0


@dataclass(frozen=True)
class Docstring:
    """A parsed docstring. `line`/`end_line` are absolute lines in the source file."""

    text: str
    style: str
    line: int
    end_line: int
    params: tuple[DocParam, ...] = ()
    attributes: tuple[DocParam, ...] = ()
    sections: tuple[DocSection, ...] = ()
    documents_params: bool = False  # has a parameters section at all

    @property
    def summary(self) -> str:
        return self.text.strip().split("\n\n", 1)[0].strip()

    def param(self, name: str) -> DocParam | None:
        return self._params.get(name)

    @cached_property
    def _params(self) -> dict[str, DocParam]:
        return _by_name(self.params)


@dataclass(frozen=True)
class ConfigField:
    """A field of a config class."""

    name: str
    annotation: str | None = None
    default: str | None = None
    description: str | None = None  # help= / description= / attribute docstring
    line: int = 0
    inherited_from: str | None = None


# --- behaviour: what the code does, read statically from its body ----------------------------
RaiseKind = Literal["raise", "warn", "assert", "check"]
ReturnKind = Literal["none", "tuple", "dict", "call", "name", "expr"]


@dataclass(frozen=True)
class Raise:
    """An exception the code raises (or a warning it emits, an `assert` it makes).

    `guards` are the conditions under which the statement runs, outermost first, as source:
    an `if` test (negated in its `else`, or after an early `return`), `for x in xs` for a loop,
    `except E` for a handler. `via` names the helper function it was found in. A "check" is
    a call to a validation function (`check_shape(x, ...)`): `exception` is the function, as
    resolved, and `message` the call's source; what it raises is that function's.
    """

    exception: str  # as the code names it, resolved to a full path where it is imported
    message: str | None = None  # a string literal's text, or an f-string's source
    guards: tuple[str, ...] = ()
    kind: RaiseKind = "raise"
    method: str = ""  # of a class: the method (`__init__`, `forward`) it is raised from
    via: str | None = None
    line: int = 0
    # parameters the guards name that the body assigns before the raise: the condition is
    # about the value they have then, not only the one passed in
    rebound: tuple[str, ...] = ()
    # other local names the guards use that the body sets before the raise (from `**kwargs`,
    # computed, overridden): a condition on them is not one on the call's arguments
    computed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Return:
    """What one `return` statement gives back.

    `elements`: a tuple's items (source), a dict's keys, or the keywords of the call that
    builds the value (`BaseModelOutput(last_hidden_state=...)`).
    """

    kind: ReturnKind
    text: str = ""  # the returned expression's source, shortened
    type: str | None = None  # kind "call": what is called, resolved (`self.head` stays as is)
    elements: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    method: str = ""
    line: int = 0
    rebound: tuple[str, ...] = ()  # parameters the guards name that the body set before
    computed: tuple[str, ...] = ()  # locals the guards name (`return_loss = exists(indices)`)


@dataclass(frozen=True)
class Submodule:
    """An attribute `__init__` builds by calling a class: `self.encoder = Encoder(...)`."""

    name: str
    type: str  # the class called, resolved to a full path where it is imported
    args: str = ""  # the call's arguments, as source (shortened)
    container: str | None = None  # `torch.nn.ModuleList` / `Sequential` / `ModuleDict` around it
    count: str | None = None  # how many, for `ModuleList(X() for _ in range(n))`: `n`
    guards: tuple[str, ...] = ()
    line: int = 0
    rebound: tuple[str, ...] = ()  # parameters the guards name that `__init__` set before
    computed: tuple[str, ...] = ()  # locals the guards name (`no_abs_pos_emb = ...`)


@dataclass(frozen=True)
class ConfigRead:
    """A config attribute the code reads: `config.x`, `self.config.x`, `getattr(config, "x")`.

    `name` is "*" for a read of every field (`**asdict(config)`, `getattr(config, name)`),
    "output_*" for one of every field with a prefix (`getattr(config, f"output_{k}")`).
    `optional`: the code copes with its absence (`getattr` with a default, `hasattr`).
    """

    name: str
    # The config class, where an annotation says; OWN_CONFIG (the default, the most common
    # case) for the reading class's own (`self.config`, an unannotated `config`: see
    # `ObjectFacts.config_class`); "<self>" for a config class reading its own field (`self.x`
    # in a property, `super().__init__(x=x)`); None where unknown (a module-level function).
    config: str | None = "<own>"
    optional: bool = False
    line: int = 0


@dataclass(frozen=True)
class ObjectFacts:
    """A class, function or method, as the code states it."""

    path: str  # fully qualified: pkg.module.Name
    kind: ObjectKind
    file: str  # as given to the loader, relative where possible
    line: int
    end_line: int
    docstring: Docstring | None = None
    signatures: tuple[Signature, ...] = ()
    bases: tuple[str, ...] = ()  # canonical paths, resolved statically
    decorators: tuple[str, ...] = ()
    is_model: bool = False  # a torch nn.Module (or known model base) subclass
    config_kind: ConfigKind | None = None
    fields: tuple[ConfigField, ...] = ()
    suppressed: tuple[str, ...] = ()  # codes from `# docgen: ignore[...]`; "*" for all
    forwards_kwargs_to_base: bool = False  # `super().__init__(**kwargs)` in __init__
    exported: bool | None = None  # in the module's `__all__`; None when there is no `__all__`
    attributes: tuple[str, ...] = ()  # a class's member names and `self.x` it assigns anywhere
    # Behaviour, from the body (a class: its __init__/forward/__call__, their private helpers).
    raises: tuple[Raise, ...] = ()
    returns: tuple[Return, ...] = ()  # a class: of forward/__call__
    submodules: tuple[Submodule, ...] = ()
    config_reads: tuple[ConfigRead, ...] = ()  # a class: in all its methods
    config_class: str | None = None  # a model's config class (`config_class = X`, annotation)
    super_calls: tuple[str, ...] = ()  # methods that call the base's own (`super().forward(...)`)
    # `self.method(...)` calls of `__init__`/`forward`/`__call__`, as "caller>callee": what
    # runs depends on the class (a subclass may override the callee)
    self_calls: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # a config's `attribute_map`, as "alias=field"

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def module(self) -> str:
        return self.path.rsplit(".", 1)[0]

    @property
    def is_public(self) -> bool:
        return not any(part.startswith("_") and not part.startswith("__") for part in self.path.split("."))

    @property
    def is_config(self) -> bool:
        return self.config_kind is not None

    def signature(self, name: str) -> Signature | None:
        return next((s for s in self.signatures if s.name == name), None)

    @property
    def call_signature(self) -> Signature | None:
        """What a caller passes: `__init__` for a class, the function itself otherwise."""
        return self.signature("__init__") if self.kind == "class" else (
            self.signatures[0] if self.signatures else None
        )

    def fingerprint(self) -> str:
        """A short content hash: changes whenever anything the code states changes."""
        return fingerprint(self)


@dataclass(frozen=True)
class ConfigKey:
    """One key of a config file; `key` is the dotted path of nested mappings."""

    key: str
    value: Any
    line: int


@dataclass(frozen=True)
class ConfigFileFacts:
    """A YAML/JSON/TOML config file and the config class it belongs to (if any)."""

    file: str
    format: Literal["yaml", "json", "toml"]
    keys: tuple[ConfigKey, ...] = ()
    config_class: str | None = None
    match_reason: str | None = None  # "settings", "_target_" or "fields"
    match_score: float | None = None  # share of the keys that are fields of the class
    prefix: str = ""  # the mapping the class's fields live under ("" for the top level)


@dataclass(frozen=True)
class Diagnostic:
    """Input docgen could not read (DG0xx): reported like a finding, never a crash."""

    code: str
    message: str
    file: str
    line: int = 1


@dataclass(frozen=True)
class ModuleFacts:
    """Everything read from one source file. The unit of the facts cache."""

    module: str
    file: str
    objects: tuple[ObjectFacts, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    config_reads: tuple[ConfigRead, ...] = ()  # in module-level functions
    # "Name=pkg.sub.Name": module-level imports of the package's own objects (`from .vit import
    # ViT` in `pkg/__init__.py`), so `pkg.ViT` finds `pkg.vit.ViT` as Python would
    reexports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Facts:
    """Facts of loaded packages and config files, inheritance resolved."""

    objects: tuple[ObjectFacts, ...] = ()
    config_files: tuple[ConfigFileFacts, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    config_reads: tuple[ConfigRead, ...] = ()  # outside classes (module-level functions)
    reexports: dict[str, str] = field(default_factory=dict)  # `pkg.ViT` -> `pkg.vit.ViT`
    # Built from `objects` by every __init__ (also `dataclasses.replace`'s: not shared).
    _index: dict[str, ObjectFacts] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    # Last path component -> objects, so that `find` does not scan every object per call
    # (checking docstring examples looks names up thousands of times on a big tree).
    _by_name: dict[str, list[ObjectFacts]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        self._index.update({o.path: o for o in self.objects})
        for o in self.objects:
            self._by_name.setdefault(o.path.rsplit(".", 1)[-1], []).append(o)

    def get(self, path: str) -> ObjectFacts | None:
        return self._index.get(path)

    def named(self, name: str) -> tuple[ObjectFacts, ...]:
        """The objects whose last path component is `name` (a dict lookup, not a scan)."""
        return tuple(self._by_name.get(name, ()))

    def find(self, name: str) -> ObjectFacts | None:
        """An object by full path, by a path a module re-exports it under, or by a name
        unique among the loaded objects."""
        if name in self._index:
            return self._index[name]
        exported = self._reexported(name)
        if exported is not None:
            return exported
        candidates = self._by_name.get(name.rsplit(".", 1)[-1], ())
        matches = [o for o in candidates if o.path.endswith("." + name)]
        if not matches and "." in name:  # a re-export: `pkg.Model` for `pkg.modeling.Model`
            head, tail = name.rsplit(".", 1)
            matches = [o for o in candidates
                       if o.path.startswith(head + ".") and o.path.endswith("." + tail)]
        return matches[0] if len(matches) == 1 else None

    def _reexported(self, name: str) -> ObjectFacts | None:
        for _ in range(4):  # `pkg.X` -> `pkg.models.X` -> `pkg.models.vit.X`: a short chain
            if name not in self.reexports:
                return None
            name = self.reexports[name]
            if name in self._index:
                return self._index[name]
        return None

    @property
    def models(self) -> tuple[ObjectFacts, ...]:
        return tuple(o for o in self.objects if o.is_model)

    @property
    def configs(self) -> tuple[ObjectFacts, ...]:
        return tuple(o for o in self.objects if o.is_config)


# --- serialisation: the caches and prompts use plain JSON -------------------------------------

T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    """`dataclasses.asdict`'s output, built without its deep copies (the cache writes a lot)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_dict(v) for v in obj)
    if isinstance(obj, dict):
        return {to_dict(k): to_dict(v) for k, v in obj.items()}
    return copy.deepcopy(obj) if not isinstance(obj, (str, int, float, type(None))) else obj


def from_dict(cls: type[T], data: Any) -> T:
    """Rebuild a facts dataclass (nested tuples of dataclasses included) from `to_dict` output.

    Fields left out of `data` get their defaults (the cache leaves defaults out). Data of the
    wrong shape (not a JSON object where a dataclass belongs, a required field missing) raises
    TypeError.
    """
    revive = _REVIVERS.get(cls) or _compile_reviver(cls)
    return revive(data)  # type: ignore[no-any-return]


_MISSING: Any = object()
_REVIVERS: dict[type, Callable[[Any], Any]] = {}
_COMPILING: set[type] = set()  # guards a (hypothetical) recursive dataclass


def _compile_reviver(cls: type) -> Callable[[Any], Any]:
    """`from_dict` for one class, written out field by field (and type hints resolved) once.

    A warm run revives ~10^5 objects. Where the class has no `__post_init__` or private
    fields, the instance's `__dict__` is filled directly, as the frozen dataclass's own
    `__init__` would (its one `object.__setattr__` per field was most of the cost). A field
    holding a dataclass or a tuple of them calls that class's compiled reviver directly.
    """
    hints = get_type_hints(cls)
    env: dict[str, Any] = {"M": _MISSING, "cls": cls, "new": object.__new__, "isinstance": isinstance,
                           "tuple": tuple, "missing": _missing_field, "wrong": _wrong_shape}
    body = ["def revive(data):",
            "    if not isinstance(data, dict): wrong(cls, data)",
            "    get = data.get"]
    names = []
    _COMPILING.add(cls)
    try:
        for i, f in enumerate(fields(cls)):  # type: ignore[arg-type]
            if f.name.startswith("_"):
                continue
            names.append((i, f.name))
            body.append(f"    v{i} = get({f.name!r}, M)")
            if f.default is not MISSING:
                env[f"d{i}"] = f.default
                body.append(f"    if v{i} is M: v{i} = d{i}")
            elif f.default_factory is not MISSING:
                env[f"d{i}"] = f.default_factory
                body.append(f"    if v{i} is M: v{i} = d{i}()")
            else:
                body.append(f"    if v{i} is M: missing(cls, {f.name!r})")
            kind, reviver = _field_reviver(hints[f.name])
            if kind == "items":  # tuple[SomeDataclass, ...]
                env[f"r{i}"] = reviver
                body.append(f"    elif v{i} is not None: v{i} = tuple([r{i}(x) for x in v{i}])")
            elif reviver is not _same:
                env[f"r{i}"] = reviver
                body.append(f"    elif v{i} is not None: v{i} = r{i}(v{i})")
    finally:
        _COMPILING.discard(cls)
    values = ", ".join(f"{name!r}: v{i}" for i, name in names)
    if not hasattr(cls, "__post_init__") and len(names) == len(fields(cls)):  # type: ignore[arg-type]
        body += ["    obj = new(cls)", f"    obj.__dict__.update({{{values}}})", "    return obj"]
    else:
        body.append(f"    return cls(**{{{values}}})")
    exec("\n".join(body), env)  # our own field names only: nothing from the data is run
    _REVIVERS[cls] = env["revive"]
    return env["revive"]  # type: ignore[no-any-return]


def _missing_field(cls: type, name: str) -> None:
    raise TypeError(f"{cls.__name__}: missing field {name!r}")


def _wrong_shape(cls: type, data: Any) -> None:
    raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")


def _same(value: Any) -> Any:
    return value


def _field_reviver(hint: Any) -> tuple[str, Callable[[Any], Any]]:
    """How the compiled reviver turns a field's JSON (never None there) into its value:
    ("items", reviver of one item) for a tuple of dataclasses, else ("value", reviver)."""
    args = get_args(hint)
    if args and type(None) in args:  # X | None: the caller has ruled None out
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            return "value", _same
        hint = inner[0]
    if get_origin(hint) is tuple:
        item = get_args(hint)[0]
        if is_dataclass(item) and item not in _COMPILING:
            return "items", _REVIVERS.get(item) or _compile_reviver(item)  # type: ignore[arg-type]
    elif is_dataclass(hint) and hint not in _COMPILING:
        return "value", _REVIVERS.get(hint) or _compile_reviver(hint)  # type: ignore[arg-type]
    return "value", _reviver(hint)


def _reviver(hint: Any) -> Callable[[Any], Any]:
    """A function turning JSON for `hint` back into its value (None stays None)."""
    origin = get_origin(hint)
    args = get_args(hint)
    if origin is tuple:
        item = _reviver(args[0])
        if item is _same:
            return lambda value: None if value is None else tuple(value)
        return lambda value: None if value is None else tuple(item(v) for v in value)
    if args and type(None) in args:  # X | None
        inner = [a for a in args if a is not type(None)]
        return _reviver(inner[0]) if len(inner) == 1 else _same
    if is_dataclass(hint):
        return lambda value: None if value is None else from_dict(hint, value)  # type: ignore[arg-type]
    return _same


def fingerprint(obj: Any) -> str:
    payload = json.dumps(to_dict(obj), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
