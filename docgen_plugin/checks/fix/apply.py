"""Fixes over a tree: which docstrings may be edited, the edits, the new file texts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.fix.describe import Description, Drafter, Request, SiblingIndex, describe
from docgen_plugin.checks.fix.forwarded import ForwardIndex
from docgen_plugin.checks.fix.literals import Literal, SourceDocstrings, find_docstrings
from docgen_plugin.checks.fix.plan import FIXABLE, ObjectFixer, Outcome, literal_value, requests_of
from docgen_plugin.checks.fix.sources import Sources
from docgen_plugin.facts.discover import SourceFile, discover
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.files import is_read_only
from docgen_plugin.settings import Settings


@dataclass
class FileFix:
    """One file: its text before and after, and what happened to each of its findings."""

    display: str
    path: Path | None
    old: str = ""
    new: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    descriptions: list[tuple[Finding, Description]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.new != self.old


@dataclass
class _Target:
    obj: ObjectFacts
    literal: Literal
    body: str
    findings: list[Finding]
    methods: dict[str, frozenset[str]]


def _runtime_reason(obj: ObjectFacts, source: SourceFile, docs: SourceDocstrings) -> str | None:
    decorators = [d for d in obj.decorators if "docstring" in d.rsplit(".", 1)[-1].lower()]
    if decorators:
        return f"the docstring is built at run time (@{decorators[0].rsplit('.', 1)[-1]})"
    if _qualname(obj, source) in docs.runtime:
        return "the docstring is assigned at run time (`__doc__ = ...`)"
    return None


def _target(obj: ObjectFacts | None, findings: list[Finding], source: SourceFile, text: str,
            docs: SourceDocstrings, malformed: list[int]) -> _Target | str:
    """What may be edited for one object's findings, or why nothing may."""
    if obj is None or obj.docstring is None:
        return "the object has no docstring in the facts"
    doc = obj.docstring
    if any(doc.line <= line <= doc.end_line for line in malformed):
        return "the docstring could not be parsed (DG003); fix it by hand first"
    reason = _runtime_reason(obj, source, docs)
    if reason is not None:
        return reason
    span = (doc.line, doc.end_line)
    if span in docs.skipped:
        return docs.skipped[span]
    literal = docs.literals.get(span)
    if literal is None:
        return "the docstring's literal was not found in the source"
    body = text[literal.body_start:literal.body_end]
    try:
        same = literal_value(text, literal, body) == doc.text
    except (ValueError, SyntaxError):
        same = False
    if not same:
        return "the source literal is not the docstring the facts hold"
    methods = docs.methods.get(_qualname(obj, source), {}) if obj.kind == "class" else {}
    return _Target(obj, literal, body, findings, methods)


def _qualname(obj: ObjectFacts, source: SourceFile) -> str:
    return obj.path[len(source.module) + 1:] if obj.path.startswith(source.module + ".") else obj.path


def _left(findings: list[Finding], reason: str) -> list[Outcome]:
    return [Outcome(f, False, reason) for f in findings]


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def plan_fixes(facts: Facts, findings: list[Finding], settings: Settings, targets: list[str],
               drafter: Drafter | None = None) -> list[FileFix]:
    """The fix of every file with fixable findings (texts only; nothing is written here)."""
    fixable = [f for f in findings if f.code in FIXABLE]
    if not fixable:
        return []
    found, _, _ = discover(targets or list(settings.packages) or ["."], settings.root_path,
                           settings.exclude)
    sources = {s.display: s for s in found}
    malformed: dict[str, list[int]] = defaultdict(list)
    for diagnostic in facts.diagnostics:
        if diagnostic.code == "DG003":
            malformed[diagnostic.file].append(diagnostic.line)
    by_file: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for finding in fixable:
        by_file[finding.file][finding.obj].append(finding)
    files: list[FileFix] = []
    work: list[tuple[FileFix, list[_Target]]] = []
    for display, by_obj in sorted(by_file.items()):
        source = sources.get(display)
        fix = FileFix(display, source.path if source else None)
        files.append(fix)
        everything = [f for group in by_obj.values() for f in group]
        if source is not None and is_read_only(source.path):
            fix.outcomes += _left(everything, "the file is read-only")
            continue
        text = _read(source.path) if source else None
        if text is None:
            fix.outcomes += _left(everything, "the file is not readable as UTF-8")
            continue
        fix.old = fix.new = text
        try:
            docs = find_docstrings(text)
        except (SyntaxError, ValueError):
            fix.outcomes += _left(everything, "the file does not parse")
            continue
        editable = []
        for path, group in by_obj.items():
            made = _target(facts.get(path), group, source, text, docs, malformed[display])  # type: ignore[arg-type]
            if isinstance(made, str):
                fix.outcomes += _left(group, made)
            else:
                editable.append(made)
        work.append((fix, editable))
    requests: list[Request] = [r for _, editable in work for t in editable
                               for r in requests_of(t.obj, t.findings)]
    code = Sources(facts, {s.display: (s.path, s.module) for s in found})
    described = describe(requests, facts, SiblingIndex(facts), drafter,
                         ForwardIndex(code), code) if requests else []
    descriptions = {(r.obj.path, r.param.name): d for r, d in zip(requests, described)}
    for fix, editable in work:
        bodies: list[tuple[Literal, str]] = []
        for target in editable:
            result = ObjectFixer(target.obj, facts, target.literal, target.body, settings.docstring_style,
                                 descriptions, target.methods).run(target.findings)
            fix.outcomes += result.outcomes
            fix.descriptions += result.descriptions
            if result.body != target.body:
                bodies.append((target.literal, result.body))
        fix.new = _replace(fix.old, bodies)
    return files


def _replace(text: str, bodies: list[tuple[Literal, str]]) -> str:
    """The text with each literal's body replaced, last first so earlier offsets hold."""
    for literal, body in sorted(bodies, key=lambda lb: lb[0].start, reverse=True):
        text = text[:literal.body_start] + body + text[literal.body_end:]
    return text
