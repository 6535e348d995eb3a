"""Descriptions for parameters that a fix documents: the package's own words first.

A parameter passed on unchanged to a documented callee (`super().__init__(missing=missing)`)
takes the callee's entry for it (see `forwarded`). One kept on `self` only for methods the class
overrides is described as unused (see `reads`). A parameter documented elsewhere in the
package with the same type and default (a `dropout` in five sibling classes) gets the most
common of those descriptions, exactly as written; otherwise a drafter (the local model, wired
in by the CLI) may phrase one; else a visible TODO.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from docgen_plugin.checks.fix.forwarded import ForwardIndex
from docgen_plugin.checks.fix.reads import dead_readers
from docgen_plugin.checks.fix.sources import Sources
from docgen_plugin.checks.values import normalise_type, same_value
from docgen_plugin.facts.docstrings import documented_default
from docgen_plugin.facts.model import Facts, ObjectFacts, Param

TODO = "TODO(docgen): describe."


@dataclass(frozen=True)
class Request:
    """A parameter that needs a description: of `obj`, documented against its signature."""

    obj: ObjectFacts
    param: Param


@dataclass(frozen=True)
class Description:
    text: str
    source: str  # "forwarded", "unused", "sibling", "model" or "todo"
    origin: str = ""  # the callee or sibling object it was taken from


# What the CLI hands in for `--draft`: descriptions (or None) for requests, in order.
Drafter = Callable[[Sequence[Request], Facts], list[str | None]]


def _usable(text: str) -> bool:
    """One plain paragraph that fits an entry (no lists, code, or literal-breaking characters)."""
    return (bool(text.strip()) and "\n\n" not in text.strip() and "\\" not in text
            and '"""' not in text and "'''" not in text and "TODO" not in text and len(text) <= 400
            and not re.search(r"^\s*(?:[-*+]|\d+\.|>>>|\.\.)\s", text, re.M) and "```" not in text)


def _documented_against(obj: ObjectFacts):  # noqa: ANN202  (a Signature or None)
    return obj.signature("__init__") if obj.kind == "class" else (
        obj.signatures[0] if obj.signatures else None)


def _type_key(annotation: str | None) -> str:
    return normalise_type(annotation) if annotation else ""


def _same_default(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or same_value(a, b) is True


def _role(obj: ObjectFacts) -> str:
    return "constructor" if obj.kind == "class" or obj.name == "__init__" else "callable"


def _kind(obj: ObjectFacts) -> str:
    """The last word of a class's name (`Results` of `VARMAXResults`), `__init__`'s class's."""
    path = obj.path.rsplit(".", 1)[0] if obj.name == "__init__" else obj.path
    words = re.findall(r"[A-Z][a-z0-9]+|[A-Z]+(?![a-z])", path.rsplit(".", 1)[-1])
    return words[-1] if words and _role(obj) == "constructor" else ""


class SiblingIndex:
    """Every documented parameter of the package, by name, with its code's type and default."""

    def __init__(self, facts: Facts) -> None:
        self._by_name: dict[str, list[tuple[str, str | None, str, str, str, str]]] = {}
        for obj in facts.objects:
            doc, signature = obj.docstring, _documented_against(obj)
            if doc is None or signature is None:
                continue
            for entry in doc.params:
                param = signature.param(entry.name)
                text = " ".join(entry.description.split())
                if param is None or not _usable(entry.description):
                    continue
                stated = documented_default(text, None)
                if stated is not None and (param.default is None
                                           or same_value(stated, param.default) is False):
                    continue  # a description that states another default is not reused
                self._by_name.setdefault(entry.name, []).append(
                    (_type_key(param.annotation), param.default, text, obj.path, obj.file,
                     f"{_role(obj)}:{_kind(obj)}"))

    def find(self, obj: ObjectFacts, param: Param) -> Description | None:
        """The most common description of a same-named parameter of the same type and default.

        A description written once, far away (a function's `adapter_name` "whose weights are
        being sharded"), may be about its own object: one sibling is enough only from the
        same module; elsewhere the same words must document the parameter at least twice.
        Only siblings of the same role count: a constructor's parameter is described by
        other constructors (`results` of a results class is no `results` of a function). A
        parameter with neither a type nor a default has nothing to agree on: its siblings must
        be of the same kind too (`results` of a `...Results` class, not of `DiscreteMargins`).
        """
        key = _type_key(param.annotation)
        role, kind = _role(obj), _kind(obj)
        weak = not param.annotation and param.default in (None, "None")
        found = [(text, path, file)
                 for type_key, default, text, path, file, their in self._by_name.get(param.name, [])
                 if path != obj.path and type_key == key and _same_default(default, param.default)
                 and their.split(":")[0] == role and (not weak or file == obj.file
                                                      or their == f"{role}:{kind}")]
        if not found:
            return None
        counts = Counter(text for text, _, _ in found)
        near = {text for text, _, file in found if file == obj.file}
        best = max(counts, key=lambda text: (counts[text], text in near))
        if counts[best] < 2 and best not in near:
            return None
        origin = next(path for text, path, _ in found if text == best)
        return Description(best, "sibling", origin)


def _forwarded(forwards: ForwardIndex | None, request: Request) -> Description | None:
    found = forwards.find(request.obj, request.param) if forwards is not None else None
    if found is None or not _usable(found[0]):
        return None
    return Description(found[0], "forwarded", found[1])


def _unused(sources: Sources | None, request: Request) -> Description | None:
    """`TestRegCoefD` keeps `pivot` for `TestRegCoefC._compute_test_stat`, which it overrides:
    the truth about the parameter there is that nothing reads it (and a sibling's words for
    what it does would be false)."""
    readers = dead_readers(sources, request.obj, request.param.name) if sources is not None else []
    if not readers:
        return None
    owner = request.obj.name if request.obj.kind == "class" else request.obj.module.rsplit(".", 1)[-1]
    listed = ", ".join(f"`{r}`" for r in readers)
    return Description(f"Kept but not used by `{owner}`: only {listed} "
                       f"{'reads' if len(readers) == 1 else 'read'} it, and `{owner}` no longer "
                       f"runs {'it' if len(readers) == 1 else 'them'}.", "unused")


def describe(requests: Sequence[Request], facts: Facts, index: SiblingIndex,
             drafter: Drafter | None, forwards: ForwardIndex | None = None,
             sources: Sources | None = None) -> list[Description]:
    """A description for each request: the callee's it is forwarded to, else that nothing the
    object runs reads it, else sibling reuse, else the drafter's, else the TODO."""
    # Forwarding comes first: it follows this very value into the callee that uses it, where
    # a sibling is only a same-named parameter of the same type elsewhere (a guess by analogy).
    # Where both exist they are mostly the same words (the sibling *is* often the callee).
    out: list[Description | None] = [
        _forwarded(forwards, r) or _unused(sources, r) or index.find(r.obj, r.param) for r in requests]
    missing = [i for i, d in enumerate(out) if d is None]
    if drafter is not None and missing:
        drafted = drafter([requests[i] for i in missing], facts)
        for i, text in zip(missing, drafted):
            if text and _usable(text):
                out[i] = Description(" ".join(text.split()), "model")
    return [d if d is not None else Description(TODO, "todo") for d in out]
