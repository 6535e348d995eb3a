"""Mutation test of DG101-DG104 on NumPy-style docstrings (`numpy_package/npkit`).

Mutations are generated from the package's facts, as in `test_mutations.py` (whose edit helpers
are reused): rename (near and far) or drop a documented entry, give it a contradicting type,
change its documented default (in the `type, default=value` field), change the code's default
(also where the code says `None` and the body turns it into a value), rename or remove a
parameter, add one. The classes include one that inherits `__init__` whole and one whose
`__init__` forwards `**kwargs` to the base's.

Each mutation must be reported by exactly the rule it breaks, at the object and name it
touched, and nothing else may be reported: recall and "no new finding on untouched objects" in
one assertion.
"""

from __future__ import annotations

import ast
import difflib
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from functools import cache, partial
from pathlib import Path

import pytest
import test_mutations as tm

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.run import run_checks
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.facts.model import DocParam, Facts, ObjectFacts, Param, Signature
from docgen_plugin.settings import Settings

HERE = Path(__file__).resolve().parent / "numpy_package"
PACKAGE = "npkit"


def check_tree(root: Path) -> list[Finding]:
    settings = Settings(root=str(root), cache_dir=str(root / "cache")).merged(select=("DG0", "DG1"))
    return run_checks(load_facts([PACKAGE], settings, use_cache=False), settings)


@cache
def clean_facts() -> Facts:
    return load_facts([PACKAGE], Settings(root=str(HERE), cache_dir=str(HERE)), use_cache=False)


@cache
def source(file: str) -> str:
    return (HERE / file).read_text(encoding="utf-8")


def own_signature(obj: ObjectFacts, signature: Signature) -> bool:
    """The signature is written in the object itself (not a base's `__init__`)."""
    return obj.kind != "class" or obj.line <= signature.line <= obj.end_line


def required(signature: Signature, name: str) -> bool:
    """DG102's promise for NumPy classes too: own parameters, or all of an inherited whole
    `__init__`; forwarded ones are documented by the base."""
    param = signature.param(name)
    return (param is not None and param in signature.shown_params and not param.is_variadic
            and not name.startswith("_"))


def effective_default(param: Param) -> str | None:
    return param.resolved_default if param.default == "None" and param.resolved_default else param.default


def new_value(default: str | None, entry: DocParam) -> object:
    """A different default: another member of a choice set, else a value of the same type."""
    if default == "None":
        return 5  # `n_jobs : int, default=None` documented as `default=5`
    choices = re.findall(r"'([^']*)'", re.sub(r"^[^{]*\{([^}]*)\}.*$", r"\1", entry.annotation or ""))
    if "{" in (entry.annotation or "") and len(choices) > 1:
        return next(c for c in choices if repr(c) != default and f'"{c}"' != default)
    return tm.other_literal(default)


def restate_head_default(text: str, line: int, value: object) -> str:
    """The `default=value` of the entry's head line changed to `value`."""
    row = text.splitlines(keepends=True)[line - 1]
    match = re.search(r"default=(?P<v>r?'[^']*'|r?\"[^\"]*\"|[^,\s]+)", row)
    assert match, row
    old = match.group("v")
    quote = old.lstrip("r")[:1]
    if isinstance(value, str) and quote in ("'", '"'):  # keep the quoting (and a raw prefix)
        new = f"{old[:old.index(quote)]}{quote}{value.replace(chr(92), chr(92) * 2)}{quote}"
    else:
        new = str(value) if isinstance(value, str) else repr(value)
    return tm.replace_lines(text, line, line, (row[:match.start("v")] + new + row[match.end("v"):],))


def change_body_default(text: str, line: int, name: str, value: object) -> str:
    """Change the value the body gives a None parameter (`if x is None: x = 5`, `x if x is not
    None else 2.0`): the value node is the last literal of the first statement naming it."""
    function = tm.function_node(text, line)
    assert function is not None
    for stmt in function.body:
        names = {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(stmt)
                 if isinstance(n, (ast.Name, ast.Attribute))}
        literals = [n for n in ast.walk(stmt) if isinstance(n, ast.Constant) and n.value is not None]
        if name in names and literals:
            return tm.splice(text, literals[-1], repr(value))
    raise AssertionError(f"no body default of {name}")


def key(code: str, obj: ObjectFacts, subject: str) -> tm.Key:
    return (code, obj.path, subject)


def entry_mutations(obj: ObjectFacts, signature: Signature, entry: DocParam) -> Iterator[tm.Mutation]:
    text, doc = source(obj.file), obj.docstring
    assert doc is not None
    name, param = entry.name, signature.param(entry.name)
    if param is None or param.is_variadic:
        return
    mutation = partial(tm.make, obj=obj)
    names = tm.accepted(signature)
    span = tm.entry_span(text, doc, entry)
    gone = [key("DG102", obj, name)] if required(signature, name) else []
    near = tm.typo(name)
    yield mutation("doc-typo", name, partial(tm.rename_in_line, line=entry.line, old=name, new=near),
                   key("DG101", obj, near), *gone, hint=name)
    far = next(s for s in tm.STALE_NAMES if not difflib.get_close_matches(s, names, n=1, cutoff=0.6))
    yield mutation("doc-rename", name, partial(tm.rename_in_line, line=entry.line, old=name, new=far),
                   key("DG101", obj, far), *gone, hint="")
    if gone:
        yield mutation("doc-drop", name, partial(tm.replace_lines, first=span[0], last=span[1]), *gone)
    new_type = tm.contradicting_type(param.annotation)
    if entry.annotation and new_type and "{" not in entry.annotation:
        yield mutation("doc-retype", name, partial(tm.retype_entry, span=span, name=name, new=new_type,
                                                   style="numpy"), key("DG104", obj, name))
    if "deprecat" in entry.description:
        return  # a sentinel default of a deprecation cycle: not compared, by the rule
    effective = effective_default(param)
    value = new_value(effective, entry)
    if value is not None and "default=" in text.splitlines()[entry.line - 1]:
        yield mutation("doc-default", name, partial(restate_head_default, line=entry.line, value=value),
                       key("DG103", obj, name))
    if not own_signature(obj, signature) or param.forwarded_from is not None:
        return
    # A change to this signature is also one to the subclasses that inherit or forward to it.
    heirs = [obj, *heirs_of(obj)]
    documenting = [h for h in heirs if h.docstring and h.docstring.param(name)]
    if param.default == "None" and param.resolved_default:
        yield mutation("body-default", name, partial(change_body_default, line=signature.line, name=name,
                                                     value=value), key("DG103", obj, name))
    elif value is not None:
        stating = [h for h in documenting if h.docstring.param(name).default is not None]  # type: ignore[union-attr]
        yield mutation("code-default", name, partial(tm.change_param_default, line=signature.line,
                                                     name=name, value=value),
                       *(key("DG103", h, name) for h in stating))
    renamed = f"{name}_v2"
    yield mutation("code-rename", name, partial(tm.rename_param, line=signature.line, old=name,
                                                new=renamed),
                   *(key("DG101", h, name) for h in documenting),
                   *(key("DG102", h, renamed) for h in heirs if h is obj or inherits_whole(h)))
    yield mutation("code-remove", name, partial(tm.remove_param, line=signature.line, name=name),
                   *(key("DG101", h, name) for h in documenting))


def heirs_of(obj: ObjectFacts) -> list[ObjectFacts]:
    """Classes whose documented `__init__` takes parameters from `obj`'s."""
    return [o for o in clean_facts().objects if o.kind == "class" and o is not obj
            and (s := tm.signature_of(o)) is not None
            and any(p.forwarded_from == obj.path for p in s.params)]


def inherits_whole(obj: ObjectFacts) -> bool:
    signature = tm.signature_of(obj)
    return signature is not None and not signature.own_params


def all_mutations() -> list[tm.Mutation]:
    mutations: list[tm.Mutation] = []
    for obj in clean_facts().objects:
        doc, signature = obj.docstring, tm.signature_of(obj)
        if doc is None or not doc.documents_params or signature is None:
            continue
        for entry in doc.params:
            mutations += entry_mutations(obj, signature, entry)
        if own_signature(obj, signature):
            heirs = [h for h in heirs_of(obj) if inherits_whole(h)]
            mutations.append(tm.make("add-param", tm.NEW_PARAM, partial(tm.add_param, line=signature.line),
                                     *(key("DG102", o, tm.NEW_PARAM) for o in (obj, *heirs)), obj=obj))
    duplicates = [i for i, n in Counter(m.id for m in mutations).items() if n > 1]
    assert not duplicates, duplicates
    return mutations


MUTATIONS = all_mutations()


def copy_package(root: Path) -> None:
    shutil.copytree(HERE / PACKAGE, root / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))


def test_unmutated_package_is_clean(tmp_path):
    copy_package(tmp_path)
    assert check_tree(tmp_path) == []


def test_mutations_cover_the_numpy_cases():
    families = Counter(m.family for m in MUTATIONS)
    assert len(MUTATIONS) >= 80, families
    assert {"doc-default", "body-default", "code-default", "doc-drop", "doc-typo",
            "add-param"} <= set(families), families
    touched = {m.obj.rsplit(".", 1)[-1] for m in MUTATIONS if m.family in ("doc-drop", "doc-typo")}
    assert {"Ridge", "Lasso"} <= touched  # inherited and forwarding `__init__`s


def _run(mutation: tm.Mutation, root: Path) -> tuple[set[tm.Key], str, list[Finding]]:
    copy_package(root)
    path = root / mutation.file
    before = path.read_text(encoding="utf-8")
    after = mutation.edit(before)
    assert after != before
    compile(after, str(path), "exec")
    path.write_text(after, encoding="utf-8")
    findings = check_tree(root)
    report = "\n".join(f"{f.file}:{f.line}: {f.code} [{f.obj} | {f.subject}] {f.message}" for f in findings)
    return {(f.code, f.obj, f.subject) for f in findings}, report, findings


@pytest.mark.parametrize("mutation", [pytest.param(m, id=m.id) for m in MUTATIONS])
def test_mutation_is_reported_by_its_rule(mutation: tm.Mutation, tmp_path):
    found, report, findings = _run(mutation, tmp_path)
    assert found == mutation.expected, report
    if mutation.hint is not None:
        (dg101,) = (f for f in findings if f.code == "DG101")
        assert ("did you mean" in dg101.message) == bool(mutation.hint), dg101.message


def test_body_resolved_default_is_named_in_the_message(tmp_path):
    (mutation,) = (m for m in MUTATIONS if m.family == "body-default" and m.subject == "window")
    _, report, _ = _run(mutation, tmp_path)
    assert "the code's default is `None`, which `smooth` turns into `6`" in report, report

