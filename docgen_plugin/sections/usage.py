"""Usage sections from facts: the object's own docstring example, else the shortest call the
project makes with literal arguments, else a call built from the signature with real values.

A value docgen does not know stays `...`, and the section says so. For a model, a forward
call follows when the docstring states the shapes of its inputs.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from docgen_plugin.facts.call_sites import CallSite, calls_in, find_call_sites, site_order
from docgen_plugin.facts.examples import (
    PYTHON_INFOS,
    doctest_sessions,
    doctest_source,
    example_blocks,
)
from docgen_plugin.facts.model import Facts, ObjectFacts, Param, Signature
from docgen_plugin.sections.catalogue import category
from docgen_plugin.sections.render import annotation_names, todo

BATCH = 2
SEQUENCE = 8
SPATIAL = 32
_SHAPE = re.compile(r"shape\s*:?\s*`*\s*[(\[]([^()\[\]`]*)[)\]]", re.IGNORECASE)
_BATCH_DIMS = frozenset({"batch", "batch_size", "bs", "b", "n", "num_samples"})
_SEQUENCE_DIMS = frozenset({"seq", "seq_len", "seq_length", "sequence_length", "seqlen", "length",
                            "len", "t", "l", "s", "num_tokens", "tokens", "time", "sequence"})
_SPATIAL_DIMS = frozenset({"h", "w", "height", "width", "d", "depth"})
_IMAGE_SIZES = ("image_size", "img_size", "input_size", "resolution")
_VOCAB_SIZES = ("vocab_size", "num_embeddings", "n_vocab", "vocab", "num_tokens", "n_tokens")
_LABEL_COUNTS = ("num_classes", "num_labels", "n_classes")
# How examples name the libraries every ML docstring assumes imported.
LIBRARY_IMPORTS = {"torch": "import torch", "nn": "from torch import nn", "np": "import numpy as np",
                   "F": "import torch.nn.functional as F", "numpy": "import numpy",
                   "math": "import math"}


@dataclass(frozen=True)
class Usage:
    """A usage section's parts: where the example comes from, the code, what is unknown."""

    lead: str
    code: str
    language: str = "python"
    unknown: tuple[str, ...] = ()

    def markdown(self) -> str:
        text = f"{self.lead}\n\n```{self.language}\n{self.code.rstrip()}\n```"
        if self.unknown:
            names = ", ".join(f"`{n}`" for n in self.unknown)
            text += "\n\n" + todo(f"replace `...` for {names}: the code gives no default.")
        return text


def _mentions(code: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", code) is not None


def _missing_imports(code: str, obj: ObjectFacts, facts: Facts | None) -> list[str]:
    """Imports a docstring example leaves to the module it lives in (doctests run in the
    module's namespace): the object itself, objects of its module, the usual libraries."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    bound = {a.asname or a.name.split(".")[0] for n in ast.walk(tree)
             if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    bound |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    used = dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                         and isinstance(n.ctx, ast.Load) and n.id not in bound)
    siblings = {o.name: o for o in (facts.objects if facts is not None else (obj,))
                if o.module == obj.module and o.kind in ("class", "function")}
    imports = []
    for name in used:
        if name in LIBRARY_IMPORTS:
            imports.append(LIBRARY_IMPORTS[name])
        elif name in siblings or name == obj.name:
            imports.append(f"from {obj.module} import {name}")
    return sorted(imports, key=lambda line: (line.startswith("from"), line))


def docstring_example(obj: ObjectFacts, facts: Facts | None) -> Usage | None:
    """The first example in the object's docstring (a class: or its `__init__`'s) that uses
    it, with the imports it leaves to its module added."""
    owners = [obj]
    init = facts.get(f"{obj.path}.__init__") if facts is not None else None
    if init is not None:
        owners.append(init)
    for owner in owners:
        doc = owner.docstring
        if doc is None:
            continue
        for session in doctest_sessions(doc.text):
            if _mentions(session, obj.name):
                added = _missing_imports(doctest_source(session)[0], obj, facts)
                code = "\n".join([*(f">>> {line}" for line in added), session])
                return Usage(_from_docstring(obj, added), code, "pycon")
        for code, _line, language in example_blocks(doc.text):
            if language == "pycon" or (language and language not in PYTHON_INFOS):
                continue
            if _mentions(code, obj.name):
                added = _missing_imports(code, obj, facts)
                body = "\n".join([*added, *([""] if added else []), code.strip("\n")])
                return Usage(_from_docstring(obj, added), body)
    return None


def _from_docstring(obj: ObjectFacts, added: list[str]) -> str:
    return f"From the docstring of `{obj.name}`" + (" (imports added):" if added else ":")


def docstring_calls(facts: Facts, wanted: set[str]) -> dict[str, list[CallSite]]:
    """Literal calls of `wanted` objects in the examples of every loaded docstring (they
    name the module's objects without importing them)."""
    found: dict[str, list[CallSite]] = {}
    for owner in facts.objects:
        doc = owner.docstring
        if doc is None or not any(m in doc.text for m in (">>>", "```", ".. code")):
            continue
        context = {o.name: (o.path, f"from {o.module} import {o.name}")
                   for o in facts.objects if o.module == owner.module}
        codes = [doctest_source(s)[0] for s in doctest_sessions(doc.text)]
        codes += [c for c, _, language in example_blocks(doc.text) if language != "pycon"]
        for code in codes:
            for site in calls_in(code, owner.file, lambda _, at=doc.line: at, facts, wanted,
                                 context):
                found.setdefault(site.object, []).append(site)
    return found


# --- values ---------------------------------------------------------------------------------


def _call_params(signature: Signature | None) -> list[Param]:
    if signature is None:
        return []
    params = list(signature.params)
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    return [p for p in params if not p.is_variadic]


def bound_values(site: CallSite, obj: ObjectFacts) -> dict[str, str]:
    """Parameter name -> argument source, for one call of `obj`."""
    try:
        call = ast.parse(textwrap.dedent(site.code), mode="eval").body
    except SyntaxError:
        return {}
    if not isinstance(call, ast.Call):
        return {}
    params = _call_params(obj.call_signature)
    values = {p.name: ast.unparse(a) for p, a in zip(params, call.args)}
    values.update({k.arg: ast.unparse(k.value) for k in call.keywords if k.arg})
    return values


ValueKey = tuple[str, str]  # (parameter name, its annotation): a value fits a parameter of both


def known_values(sites: Mapping[str, Sequence[CallSite]], facts: Facts) -> dict[ValueKey, str]:
    """A literal for each parameter (name and annotation): the one the project's calls pass
    most often, else the default other signatures of the project give such a parameter. The
    annotation must match too: `layers` of one class is not `layers` of another."""
    seen: dict[ValueKey, Counter[str]] = {}
    for path, calls in sites.items():
        obj = facts.get(path)
        if obj is None:
            continue
        annotations = {p.name: p.annotation or "" for p in _call_params(obj.call_signature)}
        for site in calls:
            for name, value in bound_values(site, obj).items():
                if _literal(value):  # not a name the site's own setup binds
                    seen.setdefault((name, annotations.get(name, "")), Counter())[value] += 1
    values = {key: counts.most_common(1)[0][0] for key, counts in seen.items()}
    defaults: dict[ValueKey, Counter[str]] = {}
    for obj in facts.objects:
        for param in _call_params(obj.call_signature):
            if param.default is not None and _literal(param.default):
                key = (param.name, param.annotation or "")
                defaults.setdefault(key, Counter())[param.default] += 1
    for key, counts in defaults.items():
        values.setdefault(key, counts.most_common(1)[0][0])
    return values


def value_for(param: Param, values: Mapping[ValueKey, str]) -> str | None:
    return values.get((param.name, param.annotation or ""))


def _literal(source: str) -> bool:
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return value is not None


def _config_value(param: Param, facts: Facts | None) -> tuple[str, str] | None:
    """`XConfig()` for a parameter annotated with a config class whose fields all default."""
    if facts is None:
        return None
    for name in annotation_names(param.annotation):
        config = facts.get(name) or facts.find(name)
        if config is not None and config.is_config and all(
                f.default is not None for f in config.fields):
            return f"{config.name}()", f"from {config.module} import {config.name}"
    return None


def synthesized_call(obj: ObjectFacts, facts: Facts | None, values: Mapping[ValueKey, str]
                     ) -> tuple[str, list[str], dict[str, str], list[str]]:
    """(call source, imports, bound values, unknown names) for the object's required params."""
    params = _call_params(obj.call_signature)
    args, imports, unknown = [], [], []
    bound: dict[str, str] = {}
    for param in params:
        if not param.required:
            continue
        config = _config_value(param, facts)
        known = value_for(param, values)
        if known is not None:
            value = known
        elif config is not None:
            value, line = config
            imports.append(line)
        else:
            value = "..."
            unknown.append(param.name)
        bound[param.name] = value
        args.append(value if param.kind == "positional-only" else f"{param.name}={value}")
    return f"{obj.name}({', '.join(args)})", imports, bound, unknown


# --- forward inputs -------------------------------------------------------------------------


def _int(source: str | None) -> int | None:
    try:
        value = ast.literal_eval(source) if source is not None else None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sizes(obj: ObjectFacts, bound: Mapping[str, str]) -> dict[str, int]:
    """Every integer the constructor is given or defaults to, by parameter name."""
    sizes = {}
    for param in _call_params(obj.call_signature):
        value = _int(bound.get(param.name, param.default))
        if value is not None:
            sizes[param.name] = value
    return sizes


def _dimension(dim: str, sizes: Mapping[str, int]) -> int | None:
    dim = dim.strip().strip("`*").strip()
    if dim.isdigit():
        return int(dim)
    if dim in sizes:
        return sizes[dim]
    lowered = dim.lower()
    if lowered in _BATCH_DIMS:
        return BATCH
    if lowered in _SEQUENCE_DIMS:
        limit = min((sizes[n] for n in ("max_len", "max_length", "max_position_embeddings",
                                        "max_seq_len", "block_size") if n in sizes),
                    default=SEQUENCE)
        return min(SEQUENCE, limit)
    if lowered in _SPATIAL_DIMS:
        return next((sizes[n] for n in _IMAGE_SIZES if n in sizes), SPATIAL)
    return None


def _forward_docs(obj: ObjectFacts, facts: Facts | None) -> ObjectFacts | None:
    """The facts of the `forward` a model runs (its own, or the first loaded base's)."""
    if facts is None:
        return None
    current: ObjectFacts | None = obj
    seen = set()
    while current is not None and current.path not in seen:
        seen.add(current.path)
        found = facts.get(f"{current.path}.forward")
        if found is not None:
            return found
        current = next((facts.get(b) for b in current.bases if facts.get(b)), None)
    return None


def forward_call(obj: ObjectFacts, facts: Facts | None, bound: Mapping[str, str]
                 ) -> list[str] | None:
    """Tensors of the shapes the docstring states for each required input, and the call;
    None when a shape or a size is not known."""
    forward = obj.signature("forward")
    described = _forward_docs(obj, facts)
    if forward is None or described is None or described.docstring is None:
        return None
    sizes = _sizes(obj, bound)
    lines, names = [], []
    for param in _call_params(forward):
        if not param.required:
            continue
        doc = described.docstring.param(param.name)
        shape = _SHAPE.search(doc.description) if doc is not None else None
        if shape is None:
            return None
        dims = [_dimension(d, sizes) for d in shape.group(1).split(",") if d.strip()]
        if not dims or any(d is None for d in dims):
            return None
        shape_text = "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"
        lowered = param.name.lower()
        if lowered.endswith(("ids", "idx", "tokens")) or "Long" in (param.annotation or ""):
            top = next((sizes[n] for n in _VOCAB_SIZES if n in sizes), None)
        elif lowered in ("labels", "targets", "y"):
            top = next((sizes[n] for n in _LABEL_COUNTS if n in sizes), None)
        else:
            lines.append(f"{param.name} = torch.randn{shape_text}")
            names.append(param.name)
            continue
        if top is None:
            return None
        lines.append(f"{param.name} = torch.randint(0, {top}, {shape_text})")
        names.append(param.name)
    if not names:
        return None
    args = ", ".join(names)
    return [*lines, f"output = model({args})"]


# --- the section ----------------------------------------------------------------------------


def _variable(obj: ObjectFacts) -> str:
    return {"model": "model", "config": "config", "class": "instance"}.get(category(obj), "result")


MAX_CANDIDATES = 4  # examples tried in turn when they are run


def usage_candidates(obj: ObjectFacts, facts: Facts | None = None,
                     sites: Mapping[str, Sequence[CallSite]] | None = None) -> list[Usage]:
    """Usage examples, best first: the object's own docstring example, the project's calls
    (shortest first), then one built from the signature."""
    sites = sites or {}
    own = docstring_example(obj, facts)
    found = [own] if own is not None else []
    if obj.kind in ("module", "method"):
        return found or [_plain(obj)]
    calls = [site for site in sites.get(obj.path, ()) if site.complete]
    found += [_from_site(obj, facts, site) for site in calls[:MAX_CANDIDATES]]
    built = _built(obj, facts, sites)
    builders = [_from_builder(obj, f) for f in _builders(obj, facts)]
    found += [built, *builders] if not built.unknown else [*builders, built]
    return found[:MAX_CANDIDATES + 1]


def _builders(obj: ObjectFacts, facts: Facts | None) -> list[ObjectFacts]:
    """Public functions of the package annotated to return the class and callable without
    arguments (`resnet18() -> ResNet`), shortest name first."""
    if facts is None or obj.kind != "class":
        return []
    found = []
    for function in facts.objects:
        signature = function.call_signature
        if (function.kind == "function" and function.is_public and signature is not None
                and obj.name in annotation_names(signature.returns)
                and function.path.split(".")[0] == obj.path.split(".")[0]
                and not any(p.required for p in _call_params(signature))):
            found.append(function)
    return sorted(found, key=lambda f: (len(f.name), f.name))[:2]


def _from_builder(obj: ObjectFacts, builder: ObjectFacts) -> Usage:
    code = f"from {builder.module} import {builder.name}\n\n{_variable(obj)} = {builder.name}()"
    return Usage(f"`{builder.name}` returns one (its return annotation is "
                 f"`{builder.call_signature.returns}`):", code)  # type: ignore[union-attr]


def render_usage(obj: ObjectFacts, facts: Facts | None = None,
                 sites: Mapping[str, Sequence[CallSite]] | None = None) -> str:
    """The usage section: a real example where the project has one, else a built one."""
    return usage_candidates(obj, facts, sites)[0].markdown()


def _is_import(line: str) -> bool:
    return line.startswith(("import ", "from "))


def _from_site(obj: ObjectFacts, facts: Facts | None, site: CallSite) -> Usage:
    """The project's call, and where the same scope then calls what it built (`out = vq(x)`),
    that call too, under the project's own names."""
    imports = list(dict.fromkeys(line for line in (*site.setup, *site.then) if _is_import(line)))
    statements = [line for line in site.setup if not _is_import(line)]
    # after the construction: what the call needs may use what was built (`torch.randn(1, vq.dim)`)
    after = [line for line in site.then if not _is_import(line) and line not in statements]
    if not any(line.endswith(f"import {obj.name}") for line in imports):
        imports.append(f"from {obj.module} import {obj.name}")
    imports.sort(key=lambda line: (line.startswith("from"), line))
    lines = [*imports, "", *statements, f"{site.bound_as or _variable(obj)} = {site.code}"]
    lead = f"As `{site.file}` (line {site.line}) calls it"
    if site.then:
        return Usage(f"{lead}, then calls what it built:", "\n".join([*lines, *after]))
    return _with_forward(obj, facts, bound_values(site, obj), lines, lead + ":", [])


def _built(obj: ObjectFacts, facts: Facts | None, sites: Mapping[str, Sequence[CallSite]]
           ) -> Usage:
    values = known_values(sites, facts) if facts is not None else {}
    call, imports, bound, unknown = synthesized_call(obj, facts, values)
    lines = [f"from {obj.module} import {obj.name}", *imports, "", f"{_variable(obj)} = {call}"]
    given = [n for n in bound if bound[n] != "..." and bound[n] == value_for(
        next(p for p in _call_params(obj.call_signature) if p.name == n), values)]
    lead = f"Built from the signature of `{obj.name}`"
    lead += (", with values for " + ", ".join(f"`{n}`" for n in given)
             + " that other calls and signatures of the project use") if given else ""
    return _with_forward(obj, facts, bound, lines, lead + ":", unknown)


def _with_forward(obj: ObjectFacts, facts: Facts | None, bound: Mapping[str, str],
                  lines: list[str], lead: str, unknown: list[str]) -> Usage:
    """The example, followed by a forward call where the docstring states input shapes."""
    forward = forward_call(obj, facts, bound) if obj.is_model and not unknown else None
    if forward is not None:
        if "import torch" not in lines:
            lines = ["import torch", *([] if lines[0].startswith("import ") else [""]), *lines]
        lines = [*lines, *forward]
        lead = lead.rstrip(":") + (", then called on random inputs of the shapes its `forward` "
                                   "docstring states:")
    return Usage(lead, "\n".join(lines), unknown=tuple(unknown))


def _plain(obj: ObjectFacts) -> Usage:
    from docgen_plugin.sections.render import example_code

    code = example_code(obj)
    return Usage(f"How `{obj.name}` is called:", code,
                 unknown=("the arguments",) if "..." in code else ())


def usage_sites(facts: Facts, root: Path | None, objects: Sequence[ObjectFacts]
                ) -> dict[str, list[CallSite]]:
    """Literal calls, shortest first, of the objects whose usage is asked for and of those
    sharing a required parameter with them (whose values the built examples reuse): in the
    project's files under `root` and in docstring examples. Empty when nothing is asked."""
    asked = [o for o in objects if docstring_example(o, facts) is None]
    if not asked:
        return {}
    needed = {p.name for o in asked for p in _call_params(o.call_signature) if p.required}
    wanted = {o.path for o in asked} | {
        o.path for o in facts.objects
        if o.kind in ("class", "function") and needed & {p.name for p in _call_params(o.call_signature)}
    }
    found = docstring_calls(facts, wanted)
    if root is not None:
        for path, sites in find_call_sites(root, facts, wanted).items():
            found.setdefault(path, []).extend(sites)
    for sites in found.values():
        sites.sort(key=site_order)
    return found
