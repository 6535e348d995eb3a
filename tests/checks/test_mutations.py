"""Mutation test of the DG1xx rules against the example package `examples/tinyformer`.

Mutations are generated from the package's own facts, not listed by hand:

* every documented parameter: misspell or rename it in the docs, drop it from the docs, give
  it a contradicting documented type, change its documented default; rename, remove or retype
  it in the signature, change its default there; swap it with its documented neighbour;
* every documented signature: add a parameter;
* every model or config class: remove its docstring;
* every config field: remove its help, change the default its help or docstring states or its
  code default; drop, misspell or retype its Attributes entry; remove the field; add a field.

Each mutation is applied to a fresh copy of the package and must be reported by exactly the
rule it breaks, at the object and parameter it touched, and by no other rule. Cases hidden by
a known checker bug are strict xfails, so fixing the bug makes them fail until unmarked.

`tinyformer/legacy.py` holds deliberate inconsistencies for the README; it is not copied.
"""

from __future__ import annotations

import ast
import difflib
import itertools
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import pytest

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.run import run_checks
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.facts.model import DocParam, Docstring, Facts, ObjectFacts, Signature
from docgen_plugin.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PACKAGE = "tinyformer"
EXCLUDE = ("*legacy.py",)
NEW_PARAM = "use_cache"  # added to signatures
NEW_FIELD = "label_smoothing"  # added to config classes
STALE_NAMES = ("legacy_option", "retired_knob", "former_setting")  # far from every real name

Key = tuple[str, str, str]  # (code, object path, subject)


@dataclass(frozen=True)
class Mutation:
    family: str
    obj: str
    subject: str
    file: str  # relative to the root the package is copied into
    edit: Callable[[str], str]  # source text -> mutated source text
    expected: frozenset[Key]
    hint: str | None = None  # DG101: the name "did you mean" must propose; "" for no hint
    known_bug: str | None = None

    @property
    def id(self) -> str:
        where = self.obj.removeprefix(PACKAGE + ".")
        return f"{self.family}:{where}" + (f":{self.subject}" if self.subject else "")


# --- running the checker ----------------------------------------------------------------------


def settings_for(root: Path, cache_dir: Path) -> Settings:
    return Settings(root=str(root), cache_dir=str(cache_dir), exclude=EXCLUDE)


def check_tree(root: Path, cache_dir: Path, use_cache: bool = True) -> list[Finding]:
    # Docstring rules only: a broken docstring example (DG204) is the page mutations' business.
    settings = settings_for(root, cache_dir).merged(select=("DG0", "DG1"))
    return run_checks(load_facts([PACKAGE], settings, use_cache=use_cache), settings)


def copy_package(root: Path) -> Path:
    ignore = shutil.ignore_patterns("legacy.py", "__pycache__")
    return Path(shutil.copytree(EXAMPLES / PACKAGE, root / PACKAGE, ignore=ignore))


@cache
def clean_facts() -> Facts:
    return load_facts([PACKAGE], settings_for(EXAMPLES, EXAMPLES), use_cache=False)


@cache
def source(file: str) -> str:
    return (EXAMPLES / file).read_text(encoding="utf-8")


# --- locating things in the source ------------------------------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def entry_span(text: str, doc: Docstring, entry: DocParam) -> tuple[int, int]:
    """First and last line (1-based) of one documented parameter, continuation included."""
    lines = text.splitlines()
    first = lines[entry.line - 1]
    assert re.match(rf"\s*(:param\s+)?\**{re.escape(entry.name)}\b", first), (entry, first)

    def continues(number: int) -> bool:
        line = lines[number - 1]
        return number < doc.end_line and bool(line.strip()) and _indent(line) > _indent(first)

    end = entry.line
    while continues(end + 1):
        end += 1
    if doc.style == "sphinx" and lines[end].strip().startswith(f":type {entry.name}:"):
        end += 1
        while continues(end + 1):
            end += 1
    return entry.line, end


def _offset(lines: list[str], line: int, col: int) -> int:
    """Character offset of an ast position (columns are UTF-8 byte offsets)."""
    return sum(map(len, lines[: line - 1])) + len(lines[line - 1].encode()[:col].decode())


def splice(text: str, node: ast.AST, new: str) -> str:
    """Replace the source of an ast node."""
    lines = text.splitlines(keepends=True)
    start = _offset(lines, node.lineno, node.col_offset)  # type: ignore[attr-defined]
    end = _offset(lines, node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
    return text[:start] + new + text[end:]


def function_node(text: str, line: int) -> ast.FunctionDef | None:
    return next((n for n in ast.walk(ast.parse(text))
                 if isinstance(n, ast.FunctionDef) and n.lineno == line), None)


def function_args(text: str, line: int) -> ast.arguments:
    node = function_node(text, line)
    assert node is not None, line
    return node.args


def arg_node(args: ast.arguments, name: str) -> ast.arg:
    return next(a for a in [*args.posonlyargs, *args.args, *args.kwonlyargs] if a.arg == name)


def arg_defaults(args: ast.arguments) -> dict[str, ast.expr]:
    positional = [*args.posonlyargs, *args.args]
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]],
                        args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d})
    return defaults


def field_node(text: str, cls: str, line: int) -> ast.AnnAssign:
    tree = ast.parse(text)
    body = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls).body
    return next(n for n in body if isinstance(n, ast.AnnAssign) and n.lineno == line)


def field_call(text: str, cls: str, line: int) -> ast.Call | None:
    value = field_node(text, cls, line).value
    return value if isinstance(value, ast.Call) else None


# --- values and types that contradict the originals -------------------------------------------

_STATED_DEFAULT = re.compile(
    r"(?i)\bdefaults?(?:\s+to|\s+is|\s*[:=])?\s*`?(?P<value>\"[^\"]*\"|'[^']*'|[-+\w.]*\w)"
)


def other_literal(code: str | None) -> object:
    """A different value of the same type as the literal `code`, or None when not a literal."""
    try:
        value = ast.literal_eval(code or "")
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 2 if value else 0.5
    if isinstance(value, str):
        return value + "_v2"
    return None


def restate_default(text: str, value: object) -> str:
    """`text` with the value after its last "default(s) (to|:|=)" replaced by `value`."""
    match = list(_STATED_DEFAULT.finditer(text))[-1]
    old = match.group("value")
    if isinstance(value, str):
        new = f"{old[0]}{value}{old[0]}" if old[0] in "\"'" else value
    else:
        new = repr(value)
    return text[: match.start("value")] + new + text[match.end("value"):]


def contradicting_type(annotation: str | None) -> str | None:
    """A type that cannot be `annotation`, for plain well-known annotations only."""
    if not annotation:
        return None
    parts = {p.strip() for p in annotation.replace("Optional[", "").rstrip("]").split("|")}
    heads = {re.sub(r"\[.*", "", p) for p in parts} - {"None"}
    if len(heads) != 1:
        return None
    head = heads.pop()
    if head in ("int", "float", "bool", "Tensor", "list", "tuple", "dict"):
        return "str"
    return "int" if head == "str" else None


def typo(name: str) -> str:
    """A near-miss of `name`: its last letter typed twice."""
    return name + name[-1]


# --- edits: source text in, mutated source text out -------------------------------------------


def replace_lines(text: str, first: int, last: int, new: tuple[str, ...] = ()) -> str:
    lines = text.splitlines(keepends=True)
    return "".join([*lines[: first - 1], *new, *lines[last:]])


def rename_in_line(text: str, line: int, old: str, new: str) -> str:
    row = text.splitlines(keepends=True)[line - 1]
    return replace_lines(text, line, line, (re.sub(rf"\b{re.escape(old)}\b", new, row, count=1),))


def restate_default_in_lines(text: str, first: int, last: int, value: object) -> str:
    block = "".join(text.splitlines(keepends=True)[first - 1:last])
    return replace_lines(text, first, last, (restate_default(block, value),))


def retype_entry(text: str, span: tuple[int, int], name: str, new: str, style: str) -> str:
    """Replace the documented type of `name` (the part before any `, optional`)."""
    pattern = {
        "google": rf"^(\s*{name}\s*\()([^,)]*)",
        "numpy": rf"^(\s*{name}\s*:\s*)([^,\n]*)",
        "sphinx": rf"^(\s*:type\s+{name}:\s*)([^\n]*)",
    }[style]
    lines = text.splitlines(keepends=True)
    for number in range(span[0], span[1] + 1):
        changed = re.sub(pattern, rf"\g<1>{new}", lines[number - 1], count=1)
        if changed != lines[number - 1]:
            return replace_lines(text, number, number, (changed,))
    raise AssertionError(f"no documented type of {name} in lines {span}")


def swap_blocks(text: str, first: tuple[int, int], second: tuple[int, int]) -> str:
    assert first[1] + 1 == second[0], (first, second)
    lines = text.splitlines(keepends=True)
    a, b = lines[first[0] - 1:first[1]], lines[second[0] - 1:second[1]]
    return replace_lines(text, first[0], second[1], (*b, *a))


def change_param_default(text: str, line: int, name: str, value: object) -> str:
    return splice(text, arg_defaults(function_args(text, line))[name], repr(value))


def add_param(text: str, line: int) -> str:
    """Add `use_cache: bool = False` as the last parameter before `**kwargs`."""
    args = function_args(text, line)
    new = f"{NEW_PARAM}: bool = False"
    if args.kwarg is not None:
        lines = text.splitlines(keepends=True)
        at = _offset(lines, args.kwarg.lineno, args.kwarg.col_offset) - 2
        assert text[at:at + 2] == "**"
        return text[:at] + new + ", " + text[at:]
    last = [*args.posonlyargs, *args.args, *args.kwonlyargs][-1]
    end = arg_defaults(args).get(last.arg, last)
    return splice(text, end, f"{ast.get_source_segment(text, end)}, {new}")


def rename_param(text: str, line: int, old: str, new: str) -> str:
    arg = arg_node(function_args(text, line), old)
    lines = text.splitlines(keepends=True)
    at = _offset(lines, arg.lineno, arg.col_offset)
    assert text[at:at + len(old)] == old
    return text[:at] + new + text[at + len(old):]


def retype_param(text: str, line: int, name: str, new: str) -> str:
    """Give a parameter another annotation, keeping an `| None` it had."""
    annotation = arg_node(function_args(text, line), name).annotation
    assert annotation is not None
    optional = "None" in (ast.get_source_segment(text, annotation) or "")
    return splice(text, annotation, f"{new} | None" if optional else new)


def remove_param(text: str, line: int, name: str) -> str:
    """Delete a parameter (with its annotation and default) and the comma before it."""
    args = function_args(text, line)
    assert not args.kwonlyargs or args.vararg is not None  # no bare `*` to keep in place
    defaults = arg_defaults(args)
    items = sorted([*args.posonlyargs, *args.args, *args.kwonlyargs,
                    *(a for a in (args.vararg, args.kwarg) if a)],
                   key=lambda a: (a.lineno, a.col_offset))
    lines = text.splitlines(keepends=True)

    def start(arg: ast.arg) -> int:
        stars = 2 if arg is args.kwarg else 1 if arg is args.vararg else 0
        return _offset(lines, arg.lineno, arg.col_offset) - stars

    def end(arg: ast.arg) -> int:
        last = defaults.get(arg.arg, arg)
        return _offset(lines, last.end_lineno, last.end_col_offset)  # type: ignore[arg-type]

    index = next(i for i, a in enumerate(items) if a.arg == name)
    if index > 0:
        cut = (end(items[index - 1]), end(items[index]))
    elif len(items) > 1:
        cut = (start(items[0]), start(items[1]))
    else:
        cut = (start(items[0]), end(items[0]))
    return text[: cut[0]] + text[cut[1]:]


def drop_help(text: str, cls: str, line: int) -> str:
    call = field_call(text, cls, line)
    assert call is not None
    default = next(k.value for k in call.keywords if k.arg == "default")
    return splice(text, call, f"field(default={ast.get_source_segment(text, default)})")


def restate_help_default(text: str, cls: str, line: int, value: object) -> str:
    call = field_call(text, cls, line)
    assert call is not None
    metadata = next(k.value for k in call.keywords if k.arg == "metadata")
    assert isinstance(metadata, ast.Dict)
    help_node = metadata.values[0]
    assert isinstance(help_node, ast.Constant) and isinstance(help_node.value, str)
    return splice(text, help_node, repr(restate_default(help_node.value, value)))


def change_field_default(text: str, cls: str, line: int, value: object) -> str:
    call = field_call(text, cls, line)
    node = (next(k.value for k in call.keywords if k.arg == "default") if call
            else field_node(text, cls, line).value)
    assert node is not None
    return splice(text, node, repr(value))


def remove_field(text: str, cls: str, line: int) -> str:
    node = field_node(text, cls, line)
    return replace_lines(text, node.lineno, node.end_lineno)  # type: ignore[arg-type]


def add_field(text: str, cls: str, line: int) -> str:
    """Add an undescribed field after the field at `line`."""
    node = field_node(text, cls, line)
    new = f"{' ' * node.col_offset}{NEW_FIELD}: float = 0.0\n"
    end: int = node.end_lineno  # type: ignore[assignment]
    return replace_lines(text, end + 1, end, (new,))


# --- what the rules promise -------------------------------------------------------------------


def signature_of(obj: ObjectFacts) -> Signature | None:
    """The signature a docstring's parameters section documents."""
    if obj.kind == "class":
        return obj.signature("__init__")
    return obj.signatures[0] if obj.signatures else None


def accepted(signature: Signature) -> list[str]:
    return [p.name for p in signature.params if p.name not in ("self", "cls")]


def must_document(obj: ObjectFacts, signature: Signature, name: str) -> bool:
    """DG102's promise: own, non-variadic, public parameters not documented elsewhere."""
    param = signature.param(name)
    elsewhere = {a.name for a in obj.docstring.attributes} if obj.docstring else set()
    elsewhere |= {f.name for f in obj.fields if f.description}
    return (param is not None and param in signature.own_params and not param.is_variadic
            and not name.startswith("_") and name not in elsewhere)


def key(code: str, obj: ObjectFacts, subject: str = "") -> Key:
    return (code, obj.path, subject)


# --- generators -------------------------------------------------------------------------------


def make(family: str, subject: str, edit: Callable[[str], str], *expected: Key,
         obj: ObjectFacts, hint: str | None = None, known_bug: str | None = None) -> Mutation:
    return Mutation(family, obj.path, subject, obj.file, edit, frozenset(expected), hint,
                    known_bug)


def parameter_mutations(facts: Facts) -> Iterator[Mutation]:
    """From every docstring that documents parameters, and its signature."""
    for obj in facts.objects:
        doc, signature = obj.docstring, signature_of(obj)
        if doc is None or not doc.documents_params or signature is None:
            continue
        text = source(obj.file)
        in_source = function_node(text, signature.line) is not None  # not made by @dataclass
        names = accepted(signature)
        spans = {p.name: entry_span(text, doc, p) for p in doc.params}

        mutation = partial(make, obj=obj)

        for entry in doc.params:
            name, param, span = entry.name, signature.param(entry.name), spans[entry.name]
            if param is None or param.is_variadic:
                continue
            gone = [key("DG102", obj, name)] if must_document(obj, signature, name) else []

            near = typo(name)
            assert near not in names and difflib.SequenceMatcher(None, near, name).ratio() >= 0.8
            yield mutation("doc-typo", name, partial(rename_in_line, line=entry.line, old=name,
                                                     new=near),
                           key("DG101", obj, near), *gone, hint=name)
            far = next(s for s in STALE_NAMES
                       if not difflib.get_close_matches(s, names, n=1, cutoff=0.6))
            yield mutation("doc-rename", name, partial(rename_in_line, line=entry.line,
                                                       old=name, new=far),
                           key("DG101", obj, far), *gone, hint="")
            if gone and len(doc.params) >= 2:
                yield mutation("doc-drop", name, partial(replace_lines, first=span[0],
                                                         last=span[1]), *gone)

            new_type = contradicting_type(param.annotation)
            if entry.annotation and new_type:
                yield mutation("doc-retype", name, partial(retype_entry, span=span, name=name,
                                                           new=new_type, style=doc.style),
                               key("DG104", obj, name))
                if in_source:
                    yield mutation("code-retype", name, partial(
                        retype_param, line=signature.line, name=name, new=new_type),
                        key("DG104", obj, name))

            # Whether the docs state a default is read here independently of the facts, so a
            # default the facts miss shows up as a failing case rather than as no case at all.
            block = "".join(text.splitlines(keepends=True)[span[0] - 1:span[1]])
            new_value = other_literal(param.default)
            if _STATED_DEFAULT.search(block) and new_value is not None:
                missed = None
                yield mutation("doc-default", name, partial(
                    restate_default_in_lines, first=span[0], last=span[1], value=new_value),
                    key("DG103", obj, name), known_bug=missed)
                if in_source:
                    yield mutation("code-default", name, partial(
                        change_param_default, line=signature.line, name=name, value=new_value),
                        key("DG103", obj, name), known_bug=missed)

            if in_source:
                new_name = f"{name}_v2"
                yield mutation("code-rename", name, partial(
                    rename_param, line=signature.line, old=name, new=new_name),
                    key("DG101", obj, name), key("DG102", obj, new_name))
                yield mutation("code-remove", name, partial(
                    remove_param, line=signature.line, name=name),
                    key("DG101", obj, name))

        in_order = [p for p in doc.params if p.name in names
                    and signature.param(p.name).forwarded_from is None]  # type: ignore[union-attr]
        for before, after in itertools.pairwise(in_order):
            subject = f"{after.name}<{before.name}"
            yield mutation("doc-swap", subject, partial(
                swap_blocks, first=spans[before.name], second=spans[after.name]),
                key("DG106", obj, subject))

        if in_source:
            yield mutation("add-param", NEW_PARAM, partial(add_param, line=signature.line),
                           key("DG102", obj, NEW_PARAM))


def class_mutations(facts: Facts) -> Iterator[Mutation]:
    """From every model and config class with a docstring."""
    for obj in facts.objects:
        if obj.kind == "class" and (obj.is_model or obj.is_config) and obj.docstring:
            edit = partial(replace_lines, first=obj.docstring.line, last=obj.docstring.end_line)
            yield Mutation("no-docstring", obj.path, "", obj.file, edit,
                           frozenset({key("DG107", obj)}))


def field_mutations(facts: Facts) -> Iterator[Mutation]:
    """From every own field of every config class."""
    for obj in facts.configs:
        text, doc = source(obj.file), obj.docstring
        attributes = {a.name: a for a in doc.attributes} if doc else {}
        own = [f for f in obj.fields if f.inherited_from is None]

        mutation = partial(make, obj=obj)

        for field in own:
            name, entry = field.name, attributes.get(field.name)
            in_class = {"cls": obj.name, "line": field.line}
            has_help = field_call(text, obj.name, field.line) is not None and bool(
                field.description)
            undescribed = key("DG105", obj, name)
            if has_help:
                yield mutation("no-help", name, partial(drop_help, **in_class), undescribed)
            elif entry is not None and doc is not None and len(attributes) >= 2:
                span = entry_span(text, doc, entry)
                yield mutation("attr-drop", name, partial(replace_lines, first=span[0],
                                                          last=span[1]), undescribed)
                near = typo(name)
                yield mutation("attr-typo", name, partial(rename_in_line, line=entry.line,
                                                          old=name, new=near),
                               undescribed, key("DG101", obj, near))
                yield mutation("field-remove", name, partial(remove_field, **in_class),
                               key("DG101", obj, name))
                new_type = contradicting_type(field.annotation)
                if entry.annotation and new_type:
                    yield mutation("attr-retype", name, partial(
                        retype_entry, span=span, name=name, new=new_type, style=doc.style),
                        key("DG104", obj, name))

            new_value = other_literal(field.default)
            help_states = bool(field.description and _STATED_DEFAULT.search(field.description))
            span = entry_span(text, doc, entry) if doc and entry else None
            doc_states = span is not None and bool(_STATED_DEFAULT.search(
                "".join(text.splitlines(keepends=True)[span[0] - 1:span[1]])))
            if new_value is None or not (help_states or doc_states):
                continue
            stale = key("DG103", obj, name)
            missed = None
            if has_help and help_states:
                yield mutation("help-default", name, partial(
                    restate_help_default, **in_class, value=new_value), stale)
            if doc_states and span is not None:
                yield mutation("attr-default", name, partial(
                    restate_default_in_lines, first=span[0], last=span[1], value=new_value),
                    stale, known_bug=missed)
            yield mutation("field-default", name, partial(
                change_field_default, **in_class, value=new_value), stale, known_bug=missed)

        if obj.config_kind == "dataclass" and own:
            yield mutation("add-field", NEW_FIELD, partial(
                add_field, cls=obj.name, line=own[-1].line), key("DG105", obj, NEW_FIELD))


def all_mutations() -> list[Mutation]:
    facts = clean_facts()
    mutations = [*parameter_mutations(facts), *class_mutations(facts), *field_mutations(facts)]
    duplicates = [i for i, n in Counter(m.id for m in mutations).items() if n > 1]
    assert not duplicates, duplicates
    return mutations


MUTATIONS = all_mutations()


def _as_param(mutation: Mutation) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=mutation.known_bug)] if mutation.known_bug else []
    return pytest.param(mutation, id=mutation.id, marks=marks)


# --- tests ------------------------------------------------------------------------------------


def test_unmutated_package_is_clean(tmp_path):
    copy_package(tmp_path)
    assert check_tree(tmp_path, tmp_path / "cache") == []
    assert check_tree(tmp_path, tmp_path / "cache") == []  # again, from the facts cache


def test_mutations_cover_every_rule():
    families = Counter(m.family for m in MUTATIONS)
    assert len(MUTATIONS) >= 50, families
    assert all(n >= 3 for n in families.values()), families
    codes = {code for m in MUTATIONS if not m.known_bug for code, _, _ in m.expected}
    assert codes == {f"DG10{i}" for i in range(1, 8)}, codes


@pytest.mark.parametrize("mutation", [_as_param(m) for m in MUTATIONS])
def test_mutation_is_reported_by_its_rule(mutation: Mutation, tmp_path):
    copy_package(tmp_path)
    path = tmp_path / mutation.file
    before = path.read_text(encoding="utf-8")
    after = mutation.edit(before)
    assert after != before
    compile(after, str(path), "exec")  # still valid Python: no DG001 to expect
    path.write_text(after, encoding="utf-8")

    # No facts cache: each copy is read once, and writing the cache would double the time.
    findings = check_tree(tmp_path, tmp_path / "cache", use_cache=False)

    report = "\n".join(f"{f.file}:{f.line}: {f.code} [{f.obj} | {f.subject}] {f.message}"
                       for f in findings)
    assert {(f.code, f.obj, f.subject) for f in findings} == mutation.expected, report
    assert all(f.file == mutation.file and f.line > 0 for f in findings), report
    if mutation.hint is not None:
        (dg101,) = (f for f in findings if f.code == "DG101")
        if mutation.hint:
            assert f"did you mean `{mutation.hint}`?" in dg101.message
        else:
            assert "did you mean" not in dg101.message
