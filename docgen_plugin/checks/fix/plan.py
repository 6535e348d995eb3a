"""Findings -> verified docstring edits, one object at a time.

Each fix is applied to the docstring's raw body, the new docstring is parsed again and the
object's rules run on it; a fix is kept only when its finding is gone, no new finding of a
fixed rule appears and griffe reads the result without complaint. What cannot be fixed is
left with a reason.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass, field, replace

from docgen_plugin.checks.docstring_rules import check_object
from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.fix import edits
from docgen_plugin.checks.fix.describe import Description, Request
from docgen_plugin.checks.fix.entries import Entry, Section, content, read_sections
from docgen_plugin.checks.fix.literals import Literal
from docgen_plugin.facts.docstrings import parse_docstring
from docgen_plugin.facts.model import Docstring, Facts, ObjectFacts, Param, Signature

FIXABLE = ("DG101", "DG102", "DG103", "DG104", "DG106")
_ORDER = {"DG101": 0, "DG103": 1, "DG104": 2, "DG106": 3, "DG102": 4}
_GUESS = re.compile(r"did you mean `([^`]+)`\?")
_UNIONS = ("Optional", "Union")
_SETTLED = "settled by another fix"


@dataclass(frozen=True)
class Outcome:
    finding: Finding
    fixed: bool
    note: str  # what was done, or why it was left


@dataclass
class ObjectFix:
    """The edits of one docstring: its new body and what happened to each finding."""

    body: str
    outcomes: list[Outcome] = field(default_factory=list)
    descriptions: list[tuple[Finding, Description]] = field(default_factory=list)


def documented_against(obj: ObjectFacts) -> Signature | None:
    return obj.signature("__init__") if obj.kind == "class" else (
        obj.signatures[0] if obj.signatures else None)


def literal_value(source: str, literal: Literal, body: str) -> str:
    """The docstring as griffe reads it, were the literal's body `body`."""
    code = literal.prefix + literal.quote + body + literal.quote
    value = ast.literal_eval(code.replace("\r\n", "\n").replace("\r", "\n"))
    return inspect.cleandoc(value.rstrip())


class Checker:
    """Parses a candidate body and runs the object's DG1xx rules on it."""

    def __init__(self, obj: ObjectFacts, facts: Facts, literal: Literal, style: str) -> None:
        self.obj, self.facts, self.literal, self.style = obj, facts, literal, style

    def parse(self, body: str) -> Docstring | None:
        try:
            text = literal_value("", self.literal, body)
        except (ValueError, SyntaxError):
            return None
        doc = self.obj.docstring
        assert doc is not None
        end = doc.line + body.count("\n") + (body.count("\r") - body.count("\r\n"))
        parsed, diagnostics = parse_docstring(text, doc.line, end, self.style, self.obj.file)
        return None if diagnostics else parsed

    def keys(self, doc: Docstring) -> set[tuple[str, str]]:
        found = check_object(replace(self.obj, docstring=doc), self.facts)
        return {(f.code, f.subject) for f in found if f.code in FIXABLE}


def _find(sections: list[Section], name: str, kind: str) -> tuple[Section, Entry] | None:
    ordered = sorted(sections, key=lambda s: s.kind != kind)
    for section in ordered:
        entry = section.entry(name)
        if entry is not None:
            return section, entry
    return None


def unambiguous_type(annotation: str | None) -> str | None:
    """The annotation as a docstring would write it, where it names one type (None for unions)."""
    if not annotation:
        return None
    try:
        node = ast.parse(annotation, mode="eval").body
    except SyntaxError:
        return None
    members = _union_members(node)
    members = [m for m in members if not (isinstance(m, ast.Constant) and m.value is None)]
    if len(members) != 1:
        return None
    text = ast.unparse(members[0])
    if re.search(r"\b(Union|Any|Optional|Literal)\b", text) or "|" in text or "'" in text:
        return None
    return text


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union_members(node.left) + _union_members(node.right)
    if isinstance(node, ast.Subscript) and ast.unparse(node.value).rsplit(".", 1)[-1] in _UNIONS:
        inner = node.slice
        items = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        return [m for item in items for m in _union_members(item)]
    return [node]


def new_entry_type(param: Param) -> str | None:
    """The type a new entry states: the annotation, else what a literal default is."""
    if param.annotation:
        return unambiguous_type(param.annotation) or param.annotation
    try:
        value = ast.literal_eval(param.default) if param.default else None
    except (ValueError, SyntaxError):
        return None
    return type(value).__name__ if isinstance(value, (bool, int, float, str)) else None


class ObjectFixer:
    """Applies the fixable findings of one object to its docstring's body, verifying each."""

    def __init__(self, obj: ObjectFacts, facts: Facts, literal: Literal, body: str, style: str,
                 descriptions: dict[tuple[str, str], Description],
                 methods: dict[str, frozenset[str]] | None = None) -> None:
        self.obj, self.checker = obj, Checker(obj, facts, literal, style)
        self.methods = methods or {}  # a class's methods: where a misplaced entry belongs
        self.signature = documented_against(obj)
        self.descriptions = descriptions
        self.result = ObjectFix(body)
        doc = self.checker.parse(body)
        self.keys = self.checker.keys(doc) if doc is not None else set()
        self.doc_style = obj.docstring.style if obj.docstring else "google"

    def run(self, findings: list[Finding]) -> ObjectFix:
        original = set(self.keys)
        for finding in sorted(findings, key=self._order):
            self._record(finding)
        # A rename can bring out what the old name hid (its stale default): fixed in the same run.
        doc = self.checker.parse(self.result.body)
        if doc is not None and self.keys - original:
            exposed = [f for f in check_object(replace(self.obj, docstring=doc), self.checker.facts)
                       if (f.code, f.subject) in self.keys - original and f.code != "DG101"]
            for finding in sorted(exposed, key=self._order):
                self._record(finding)
        return self.result

    def _record(self, finding: Finding) -> None:
        reason = self._apply(finding)
        if reason == _SETTLED:
            self.result.outcomes.append(Outcome(finding, True, reason))
        else:
            self.result.outcomes.append(Outcome(finding, reason is None, reason or _done(finding)))

    def _order(self, finding: Finding) -> tuple[int, int]:
        index = 0
        if finding.code == "DG102" and self.signature is not None:
            index = next((i for i, p in enumerate(self.signature.params) if p.name == finding.subject), 0)
        return _ORDER[finding.code], index

    def _apply(self, finding: Finding) -> str | None:
        key = (finding.code, finding.subject)
        if key not in self.keys:
            return _SETTLED  # e.g. the DG102 of a name a DG101 rename now documents
        self._pending: Description | None = None
        lines, sections = read_sections(self.result.body, self.doc_style)
        made = getattr(self, f"_{finding.code.lower()}")(finding, lines, sections)
        if isinstance(made, str):
            return made
        body = "".join(made)
        doc = self.checker.parse(body)
        if doc is None:
            return "the rewritten docstring would not parse cleanly"
        keys = self.checker.keys(doc)
        renamed = {finding.subject, guess.group(1)} if finding.code == "DG101" and (
            guess := _GUESS.search(finding.message)) else set()
        if key in keys or not {k for k in keys if k[1] not in renamed and k[0] != "DG106"} <= self.keys:
            return "the rewrite did not check clean; edit it by hand"
        self.result.body, self.keys = body, keys
        if self._pending is not None:
            self.result.descriptions.append((finding, self._pending))
        return None

    def _param_code(self, name: str, attribute: bool) -> tuple[str | None, str | None]:
        """(default, annotation) of a parameter, or of a config field for an attributes entry."""
        if not attribute and self.signature is not None:
            param = self.signature.param(name)
            if param is not None:
                return param.default, param.annotation
        fld = next((f for f in self.obj.fields if f.name == name), None)
        return (fld.default, fld.annotation) if fld is not None else (None, None)

    def _dg101(self, finding: Finding, lines: list[str], sections: list[Section]) -> list[str] | str:
        attribute = "documented attribute" in finding.message
        found = _find(sections, finding.subject, "attributes" if attribute else "params")
        if found is None:
            return "the entry was not found in the docstring's source"
        section, entry = found
        kept = self._keeps_entry(finding.subject, "".join(lines[entry.head:entry.end]))
        if kept is not None:
            return kept
        guess = _GUESS.search(finding.message)
        if guess is None:
            removal = self._removal_doubt(finding.subject)
            return removal if removal is not None else edits.remove(lines, section, entry)
        if any(s.entry(guess.group(1)) for s in sections):
            return f"`{guess.group(1)}` is documented too; merge the two by hand"
        return edits.rename(lines, section, entry, guess.group(1))

    def _keeps_entry(self, name: str, text: str) -> str | None:
        """Why an entry the signature lacks may still be right to keep, or None."""
        if "deprecat" in text.lower():
            return "the entry documents a deprecated parameter; remove it when the deprecation ends"
        decorators = [d.rsplit(".", 1)[-1] for d in self.obj.decorators]
        renaming = [d for d in decorators if "deprecat" in d.lower() or "kwarg" in d.lower()]
        if renaming:
            return f"a decorator (@{renaming[0]}) may accept `{name}`"
        return None

    def _removal_doubt(self, name: str) -> str | None:
        """Why an entry without a did-you-mean should not go: read from **kwargs, or another
        method's parameter documented on the class."""
        if self.signature is not None and any(p.kind == "var-keyword" for p in self.signature.params):
            return f"the signature takes **kwargs, which may carry `{name}`"
        for method, params in self.methods.items():
            if name in params and method != "__init__":
                return f"`{name}` is a parameter of `{method}`; move the entry there by hand"
        return None

    def _dg103(self, finding: Finding, lines: list[str], sections: list[Section]) -> list[str] | str:
        if finding.message.startswith("the help of"):
            return "the default is stated in the field's help text, not in the docstring"
        attribute = self.obj.docstring is not None and not self.obj.docstring.documents_params
        found = _find(sections, finding.subject, "attributes" if attribute else "params")
        default, _ = self._param_code(finding.subject, attribute)
        if found is None or default is None:
            return "the entry was not found in the docstring's source"
        return edits.set_default(lines, found[0], found[1], default)

    def _dg104(self, finding: Finding, lines: list[str], sections: list[Section]) -> list[str] | str:
        attribute = "documented attribute" in finding.message or (
            self.obj.docstring is not None and not self.obj.docstring.documents_params)
        found = _find(sections, finding.subject, "attributes" if attribute else "params")
        _, annotation = self._param_code(finding.subject, attribute)
        new = unambiguous_type(annotation)
        if new is None:
            return "the annotation is not one plain type"
        if found is None:
            return "the entry was not found in the docstring's source"
        made = edits.set_type(lines, found[0], found[1], new)
        return made if made is not None else "the documented type's span was not found"

    def _dg106(self, finding: Finding, lines: list[str], sections: list[Section]) -> list[str] | str:
        if self.signature is None:
            return "no signature"
        order = {p.name: i for i, p in enumerate(self.signature.params) if p.forwarded_from is None}
        out = lines
        for section in [s for s in sections if s.kind == "params"]:
            _, now = read_sections("".join(out), self.doc_style)
            current = next(s for s in now if s.heading == section.heading)
            out = edits.reorder(out, current, order)
        return out

    def _dg102(self, finding: Finding, lines: list[str], sections: list[Section]) -> list[str] | str:
        if self.signature is None:
            return "no signature"
        param = self.signature.param(finding.subject)
        params = [s for s in sections if s.kind == "params" and s.entries]
        if param is None or not params:
            return "no parameters section was found in the docstring's source"
        position = {p.name: i for i, p in enumerate(self.signature.params)}
        mine = position[param.name]
        documented = [(s, e) for s in params for e in s.entries if e.name in position]
        before = [(s, e) for s, e in documented if position[e.name or ""] < mine]
        after = [(s, e) for s, e in documented if position[e.name or ""] > mine]
        if before:
            section, anchor = max(before, key=lambda se: position[se[1].name or ""])
            prev, nxt = anchor, None
        elif after:
            section, anchor = min(after, key=lambda se: position[se[1].name or ""])
            prev, nxt = None, anchor
        else:
            section, prev, nxt = params[0], params[0].entries[-1], None
        style = edits.EntryStyle(lines, section)
        description = self.descriptions.get((self.obj.path, param.name))
        text = description.text if description is not None else "TODO(docgen): describe."
        newline = edits.newline_of(lines)
        line_width = max([79, *(len(content(line).expandtabs(8)) for line in lines)])
        new = edits.format_entry(style, param.name, new_entry_type(param), param.default, text,
                                 newline, line_width)
        blank = newline if style.blank_between else None
        self._pending = description
        return edits.insert(lines, section, new, prev, nxt, blank)


def _done(finding: Finding) -> str:
    return {
        "DG101": "entry renamed" if _GUESS.search(finding.message) else "entry removed",
        "DG102": "entry inserted",
        "DG103": "default rewritten to the code's",
        "DG104": "type rewritten to the annotation",
        "DG106": "entries put in the signature's order",
    }[finding.code]


def requests_of(obj: ObjectFacts, findings: list[Finding]) -> list[Request]:
    signature = documented_against(obj)
    if signature is None:
        return []
    return [Request(obj, p) for f in findings if f.code == "DG102"
            for p in [signature.param(f.subject)] if p is not None]
