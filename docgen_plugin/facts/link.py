"""Join per-module facts into one Facts: inheritance across the loaded packages.

Bases are canonical paths resolved statically by griffe, so linking is a lookup: a class is a
model when a base is a known model base or a loaded model; it inherits config fields, and an
`__init__(..., **kwargs)` that hands its kwargs to `super().__init__` accepts the base's
parameters too.
"""

from __future__ import annotations

from typing import Any, TypeVar

from docgen_plugin.facts.model import (
    ConfigField,
    ConfigKind,
    Facts,
    ModuleFacts,
    ObjectFacts,
    Param,
    Signature,
)

MODEL_BASES = frozenset({
    "torch.nn.Module", "torch.nn.modules.module.Module",
    "transformers.PreTrainedModel", "transformers.modeling_utils.PreTrainedModel",
    "lightning.LightningModule", "lightning.pytorch.LightningModule",
    "pytorch_lightning.LightningModule", "diffusers.ModelMixin",
    "diffusers.models.modeling_utils.ModelMixin", "flax.linen.Module",
})
CONFIG_BASES: dict[str, ConfigKind] = {
    "pydantic.BaseModel": "pydantic", "pydantic.main.BaseModel": "pydantic",
    "pydantic_settings.BaseSettings": "pydantic",
    "transformers.PretrainedConfig": "pretrained", "transformers.PreTrainedConfig": "pretrained",
    "transformers.configuration_utils.PretrainedConfig": "pretrained",
    "transformers.configuration_utils.PreTrainedConfig": "pretrained",
}
_CONFIG_NAMES = ("Config", "Configuration", "Settings", "HParams", "Hparams", "Params")
_LINKED_SIGNATURES = ("__init__", "forward", "__call__")

T = TypeVar("T")


def _replace(obj: T, **changes: Any) -> T:
    """`dataclasses.replace` for the facts classes linking copies (frozen, no `__post_init__`,
    no `init=False` fields): the instance's `__dict__` copied with `changes`, as their own
    `__init__` would fill it. `dataclasses.replace` was most of the time of linking a big tree.
    """
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__, **changes)
    return new


def _is_model_base(path: str) -> bool:
    # Subclassing any torch.nn layer (nn.Linear, nn.Sequential...) makes a module too.
    return path in MODEL_BASES or (
        path.startswith("torch.nn.") and not path.startswith("torch.nn.functional")
        and path.rsplit(".", 1)[-1][:1].isupper()
    )


class _Linker:
    def __init__(self, objects: list[ObjectFacts]) -> None:
        self.raw = {o.path: o for o in objects}
        self.done: dict[str, ObjectFacts] = {}
        self.active: set[str] = set()  # cycle guard for broken hierarchies
        self.classes: dict[str, list[str]] = {}  # last name -> paths, for re-exported bases
        for o in objects:
            if o.kind == "class":
                self.classes.setdefault(o.path.rsplit(".", 1)[-1], []).append(o.path)

    def resolve(self, base: str) -> str:
        """A base as its package re-exports it (`pkg.base.Model` for `pkg.base.model.Model`,
        which griffe leaves as written) resolved to the loaded class, when exactly one fits."""
        if base in self.raw:
            return base
        head, _, tail = base.rpartition(".")
        matches = [p for p in self.classes.get(tail, ()) if head and p.startswith(head + ".")]
        return matches[0] if len(matches) == 1 else base

    def loaded_bases(self, obj: ObjectFacts) -> list[ObjectFacts]:
        return [self.link(self.raw[b]) for b in obj.bases if b in self.raw and b not in self.active]

    def link(self, obj: ObjectFacts) -> ObjectFacts:
        if obj.path in self.done:
            return self.done[obj.path]
        if obj.kind != "class":
            self.done[obj.path] = obj
            return obj
        self.active.add(obj.path)
        resolved = tuple(self.resolve(b) for b in obj.bases)
        if resolved != obj.bases:
            obj = _replace(obj, bases=resolved)
        bases = self.loaded_bases(obj)
        is_model = any(_is_model_base(b) for b in obj.bases) or any(b.is_model for b in bases)
        kind = self.config_kind(obj, bases, is_model)
        # Copies only where something changes: most classes come out as they went in.
        linked = obj
        if is_model != obj.is_model or kind != obj.config_kind:
            linked = _replace(linked, is_model=is_model, config_kind=kind)
        if linked.config_class is None:  # `config_class = XConfig` set once, on a base
            inherited = next((b.config_class for b in bases if b.config_class), None)
            if inherited is not None:
                linked = _replace(linked, config_class=inherited)
        fields = self.fields(linked, bases)
        if fields is not linked.fields:
            linked = _replace(linked, fields=fields)
        signatures = self.signatures(linked, bases)
        if len(signatures) != len(linked.signatures) or any(
            new is not old for new, old in zip(signatures, linked.signatures)
        ):
            linked = _replace(linked, signatures=signatures)
        self.active.discard(obj.path)
        self.done[obj.path] = linked
        return linked

    def config_kind(
        self, obj: ObjectFacts, bases: list[ObjectFacts], is_model: bool
    ) -> ConfigKind | None:
        if obj.config_kind:
            return obj.config_kind
        for base in obj.bases:
            if base in CONFIG_BASES:
                return CONFIG_BASES[base]
        if obj.path in CONFIG_BASES:  # the base class itself, when its package is loaded
            return CONFIG_BASES[obj.path]
        for base in bases:
            if base.config_kind:
                return base.config_kind
        if (not is_model and obj.name.endswith(_CONFIG_NAMES) and obj.fields
                and obj.signature("__init__") is None):
            return "annotated"
        return None

    def fields(self, obj: ObjectFacts, bases: list[ObjectFacts]) -> tuple[ConfigField, ...]:
        if obj.config_kind == "pretrained" and (obj.signature("__init__") is not None
                                                or not obj.fields):
            init = obj.signature("__init__")
            if init is None:
                return ()
            return tuple(
                ConfigField(p.name, p.annotation, p.default, None, init.line, p.forwarded_from)
                for p in init.own_params if not p.is_variadic
            )
        if obj.config_kind is None:
            return obj.fields
        own = {f.name for f in obj.fields}
        inherited = [
            _replace(f, inherited_from=f.inherited_from or base.path)
            for base in bases for f in base.fields if f.name not in own
        ]
        unique = {f.name: f for f in inherited}
        return (*unique.values(), *obj.fields)

    def signatures(self, obj: ObjectFacts, bases: list[ObjectFacts]) -> tuple[Signature, ...]:
        own = {s.name: s for s in obj.signatures}
        if "__init__" not in own and obj.config_kind in ("dataclass", "pydantic", "attrs"):
            kind = "keyword-only" if obj.config_kind == "pydantic" else "positional-or-keyword"
            params = [Param("self")] + [
                Param(f.name, kind, f.annotation, f.default) for f in obj.fields  # type: ignore[arg-type]
            ]
            own["__init__"] = Signature("__init__", tuple(params), None, obj.line)
        for name in _LINKED_SIGNATURES:
            if name in own:
                continue
            for base in bases:  # the first base that has it
                inherited = base.signature(name)
                if inherited:
                    own[name] = _as_forwarded(inherited, inherited_from=base.path)
                    break
        init = own.get("__init__")
        if init is not None and obj.forwards_kwargs_to_base:
            own["__init__"] = self.with_forwarded_kwargs(init, bases, len(bases) == len(obj.bases))
        return tuple(own[n] for n in _LINKED_SIGNATURES if n in own)

    @staticmethod
    def with_forwarded_kwargs(
        init: Signature, bases: list[ObjectFacts], all_bases_loaded: bool
    ) -> Signature:
        """`__init__` plus the base parameters its `**kwargs` reach.

        When every base is loaded and none takes arbitrary keywords, the `**kwargs` is
        closed: it is marked as forwarded, so rules know the full set of accepted names.
        """
        present = {p.name for p in init.params}
        extra: list[Param] = []
        closed = all_bases_loaded and bool(bases)
        for base in bases:
            base_init = base.signature("__init__")
            if base_init is None or base_init.accepts_any_keyword:
                closed = False
            if base_init is None:
                continue
            for p in base_init.params[1:]:
                if p.name not in present and not p.is_variadic:
                    extra.append(_replace(p, kind="keyword-only",
                                          forwarded_from=p.forwarded_from or base.path))
                    present.add(p.name)
        params = tuple(
            _replace(p, forwarded_from=bases[0].path) if closed and p.kind == "var-keyword" else p
            for p in init.params
        )
        return _replace(init, params=(*params, *extra))


def _as_forwarded(signature: Signature, inherited_from: str) -> Signature:
    params = tuple(
        p if (i == 0 and p.name in ("self", "cls")) or p.forwarded_from else _replace(
            p, forwarded_from=inherited_from)
        for i, p in enumerate(signature.params)
    )
    return _replace(signature, params=params)


def link(modules: list[ModuleFacts]) -> Facts:
    """All objects of all modules, inheritance resolved; diagnostics kept in file order."""
    objects = [o for m in modules for o in m.objects]
    linker = _Linker(objects)
    return Facts(
        objects=tuple(linker.link(o) for o in objects),
        diagnostics=tuple(d for m in modules for d in m.diagnostics),
        config_reads=tuple(r for m in modules for r in m.config_reads),
        reexports={f"{m.module}.{name}": target for m in modules
                   for name, _, target in (e.partition("=") for e in m.reexports)},
    )
