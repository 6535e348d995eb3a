"""DG201-DG204 on one page: tables, entries and prose against the object they document, and
code blocks against every object they call.

Precision first: a name is reported only where the link to the object is certain (or where
the block's own names single out one candidate), a value only where `same_value` decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from docgen_plugin.checks.codeblocks import PYTHON_INFOS, check_code
from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages.context import PageContext
from docgen_plugin.checks.pages.links import Linker, Scope, page_scopes
from docgen_plugin.checks.pages.model import Code, Entry, Inline, Page, Paragraph, Span, Table
from docgen_plugin.checks.pages.names import (
    Accepts,
    EntryText,
    entry_text,
    sentences,
    table_names,
    unknown_hint,
)
from docgen_plugin.checks.pages.snippets import (
    check_data_block,
    check_python,
    imports_missing_module,
    is_output,
    rooted,
)
from docgen_plugin.checks.values import same_value
from docgen_plugin.facts.docstrings import documented_default, strip_value
from docgen_plugin.facts.model import Facts
from docgen_plugin.sections.render import related_config

MIN_OVERLAP = 0.5  # share of a table's names the object must have for the table to be about it
TABLE_SECTIONS = frozenset({"parameters", "configuration", "inputs"})
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*[^=\s]")
_CONDITION = re.compile(r"\b(?:if|when|whenever|unless|otherwise)\b", re.I)
_NO_VALUE = frozenset({"", "-", "\u2013", "\u2014", "n/a", "none given", "required", "*required*"})
DATA_LANGUAGES = frozenset({"yaml", "yml", "json", "jsonc", "toml"})


def check_page_rules(page: Page, facts: Facts, linker: Linker) -> list[Finding]:
    """DG201-DG204 (and DG006) findings of one page, before suppression."""
    context = PageContext(page, facts, linker, {})
    scopes = page_scopes(page, linker)
    findings: list[Finding] = []
    findings += _tables(context, scopes)
    findings += _entries(context, scopes)
    previous: Inline | None = None  # the paragraph just before a code block introduces it
    for block, scope in zip(page.blocks, scopes):
        if isinstance(block, Paragraph):
            findings += _prose(context, block.inline, scope)
        elif isinstance(block, Code):
            findings += _code(context, block, scope, previous)
        previous = block.inline if isinstance(block, Paragraph) else None
    return findings


# --- choosing the object -----------------------------------------------------------------------


def _choose(context: PageContext, scope: Scope, names: list[str]) -> tuple[Accepts, bool] | None:
    """The object a group of names is about, and whether that is certain; None when no
    object has most of them (the table is about something else)."""
    if not names:
        return None
    if scope.one is not None:
        found = context.accepts(scope.one)
        share = sum(n in found.names for n in names) / len(names)
        return (found, True) if share >= MIN_OVERLAP or found.open else None
    ranked = sorted(((sum(n in a.names for n in names) / len(names), a.obj.path, a)
                     for a in map(context.accepts, scope.objects)), key=lambda x: (-x[0], x[1]))
    if not ranked or ranked[0][0] < MIN_OVERLAP or (len(ranked) > 1 and ranked[1][0] == ranked[0][0]):
        return None
    return ranked[0][2], False


def _unknown_finding(context: PageContext, found: Accepts, name: str, line: int, hint: str,
                     where: str) -> Finding:
    return Finding("DG201", f"{where} names `{name}`, which is not a {found.what} of "
                   f"`{found.obj.name}`{hint}", context.page.path, line, found.obj.path, name)


def _wrong_default(context: PageContext, found: Accepts, name: str, stated: str | None,
                   line: int, where: str) -> Finding | None:
    code = found.defaults.get(name)
    if stated is None or code is None or code.strip() == "None":
        return None
    stated = strip_value(stated)
    if stated.lower() in _NO_VALUE or same_value(stated, code) is not False:
        return None
    return Finding("DG202", f"{where} gives `{name}` the default `{stated}`, the code's is "
                   f"`{code}` (`{found.obj.name}`)", context.page.path, line, found.obj.path, name)


# --- tables ------------------------------------------------------------------------------------


def _tables(context: PageContext, scopes: list[Scope]) -> list[Finding]:
    findings: list[Finding] = []
    # (section, object) -> names its tables list, line of the first, an inputs table?, object
    complete: dict[tuple[int, str], tuple[set[str], int, bool, Accepts]] = {}
    for block, scope in zip(context.page.blocks, scopes):
        if not isinstance(block, Table):
            continue
        table = table_names(block)
        if table is None or not table.names:
            continue
        chosen = _choose(context, scope, [n for n, _, _ in table.names])
        if chosen is None:
            continue
        found, certain = chosen
        guessed: set[str] = set()  # names a DG201 suggests: not missing too (one mistake)
        for name, line, default in table.names:
            hint = unknown_hint(found, name, certain)
            if hint is not None:
                findings.append(_unknown_finding(context, found, name, line, hint, "the table"))
                guessed.update(re.findall(r"`(\w+)`\?$", hint))
            elif default is not None:
                wrong = _wrong_default(context, found, name, default.text, line, "the table")
                findings += [wrong] if wrong else []
        owner = _table_owner(context, found, scope.section) if certain else None
        if owner is not None:
            inputs = table.inputs or scope.section == "inputs"
            listed = complete.setdefault(
                (scope.key, owner.obj.path), (set(), block.line, inputs, owner))[0]
            listed.update([*(n for n, _, _ in table.names), *guessed])
    for listed, line, inputs, found in complete.values():
        wanted = found.inputs if inputs else found.expected
        for name in wanted:
            if name not in listed:
                kind = "inputs" if inputs else f"{found.what}s"
                findings.append(Finding(
                    "DG203", f"the table of {kind} of `{found.obj.name}` misses `{name}`",
                    context.page.path, line, found.obj.path, name))
    return findings


def _table_owner(context: PageContext, found: Accepts, section: str | None) -> Accepts | None:
    """Whose complete list a table in this section is: the object's parameters, or — in the
    configuration section of a model — its config class's fields."""
    if section not in TABLE_SECTIONS:
        return None
    if section == "configuration" and not found.obj.is_config:
        config = related_config(found.obj, context.facts)
        return context.accepts(config) if config is not None else None
    return found


# --- definition lists, fields, list items ------------------------------------------------------


def _entries(context: PageContext, scopes: list[Scope]) -> list[Finding]:
    groups: dict[tuple[int, tuple[str, ...]], tuple[Scope, list[EntryText]]] = {}
    for block, scope in zip(context.page.blocks, scopes):
        if not isinstance(block, (Entry, Paragraph)):
            continue
        entry = entry_text(block)
        if entry is None:
            continue
        key = (scope.key, tuple(o.path for o in scope.objects))
        groups.setdefault(key, (scope, []))[1].append(entry)
    findings: list[Finding] = []
    for scope, entries in groups.values():
        chosen = _choose(context, scope, [e.name for e in entries])
        if chosen is None:
            continue
        found, certain = chosen
        for entry in entries:
            hint = unknown_hint(found, entry.name, certain)
            if hint is not None:
                findings.append(_unknown_finding(context, found, entry.name, entry.line, hint,
                                                 "the page"))
                continue
            stated = documented_default(entry.description, entry.annotation)
            wrong = _wrong_default(context, found, entry.name, stated, entry.line, "the page")
            findings += [wrong] if wrong else []
    return findings


# --- prose -------------------------------------------------------------------------------------


def _prose(context: PageContext, inline: Inline, scope: Scope) -> Iterator[Finding]:
    yield from _inline_calls(context, inline)
    if not scope.objects:
        return
    one = scope.one
    for sentence in sentences(inline):
        if one is not None:
            yield from _assignments(context, sentence, context.accepts(one))
        yield from _stated_defaults(context, sentence, scope)


def _inline_calls(context: PageContext, inline: Inline) -> Iterator[Finding]:
    """`TinyNet(hidden=64, drop_rate=0.1)` in a code span: its keywords, as a code block's."""
    for span in inline.codes:
        if "(" not in span.text or "=" not in span.text:
            continue
        for problem in check_code(span.text, rooted(context.facts)):
            if problem.kind == "unknown-keyword":
                yield Finding("DG201", f"`{span.text}`: {problem.message}", context.page.path,
                              span.line, problem.target, problem.subject)


def _assignments(context: PageContext, sentence: list[Span], found: Accepts) -> Iterator[Finding]:
    """`name=value` code spans in prose about a certain object."""
    for span in sentence:
        if span.kind != "code" or "(" in span.text:
            continue
        match = _ASSIGNMENT.match(span.text)
        if match is None:
            continue
        hint = unknown_hint(found, match.group(1), True)
        if hint is not None:
            yield _unknown_finding(context, found, match.group(1), span.line, hint, "the page")


def _stated_defaults(context: PageContext, sentence: list[Span], scope: Scope) -> Iterator[Finding]:
    """"`dropout` defaults to 0.1": one parameter named in the sentence, then its default."""
    every = [context.accepts(o) for o in scope.objects]
    named = [i for i, s in enumerate(sentence) if s.kind == "code"
             and any(s.text.strip() in a.names for a in every)]
    if len(named) != 1:
        return
    index = named[0]
    name = sentence[index].text.strip()
    before = "".join(s.text for s in sentence[:index])
    if _CONDITION.search(before):
        return  # "when `x` is set, `y` defaults to ..." states no unconditional default
    rest = Inline(tuple(sentence[index + 1:])).text
    head = re.search(r"\bdefault", rest, re.I)
    if head is None or len(rest[: head.start()].split()) > 4 or "`" in rest[: head.start()]:
        return
    stated = documented_default(rest, None)
    owners = [a for a in every if name in a.names and a.defaults.get(name) is not None]
    if not owners or (scope.one is None and len({a.defaults[name] for a in owners}) != 1):
        return
    wrong = _wrong_default(context, owners[0], name, stated, sentence[index].line, "the page")
    if wrong is not None:
        yield wrong


# --- code blocks -------------------------------------------------------------------------------


def _why(message: str) -> str:
    """The parser's message without the block-relative line (the finding has the page's)."""
    return re.sub(r" \(line \d+\)$", "", message.removeprefix("code does not parse: "))


def _code(context: PageContext, block: Code, scope: Scope, before: Inline | None) -> list[Finding]:
    language = block.language
    if language in DATA_LANGUAGES:
        return check_data_block(context, block, scope, before)
    if language and language not in PYTHON_INFOS:
        return []
    if is_output(block.code) or imports_missing_module(block.code, context.linker):
        return []
    findings = []
    for problem in check_python(block.code, language, context.facts):
        line = block.line + problem.line - 1
        if problem.kind == "syntax":
            why = _why(problem.message)
            findings.append(Finding("DG006", f"Python code block does not parse: {why}",
                                    context.page.path, line, subject=why))
        else:
            findings.append(Finding("DG204", f"code example: {problem.message}", context.page.path,
                                    line, problem.target, problem.subject or problem.kind))
    return findings
