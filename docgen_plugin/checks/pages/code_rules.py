"""The DG2xx rules that need no page: DG205 on config files and DG204 (with DG006) on the
examples in docstrings. Both run wherever facts are checked (`docgen check`, docs builds)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from docgen_plugin.checks.codeblocks import CodeProblem, lookup_object
from docgen_plugin.checks.docstring_rules import CLOSE_MATCH, TYPO_MATCH, did_you_mean
from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages.names import accepts
from docgen_plugin.checks.pages.snippets import check_python
from docgen_plugin.checks.values import normalise_type, types_contradict
from docgen_plugin.facts.config_files import IGNORED_KEYS
from docgen_plugin.facts.examples import example_blocks
from docgen_plugin.facts.model import ConfigFileFacts, Facts, ObjectFacts

# --- DG205: config files -----------------------------------------------------------------------


def _type_name(value: Any) -> str | None:
    """The type of a config value as `types_contradict` reads it; None: nothing to compare."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            float(value)  # PyYAML reads `1e-5` as a string; every loader we know casts it
        except ValueError:
            return "str"
        return None
    return {bool: "bool", int: "int", float: "float", list: "list", dict: "dict"}.get(type(value))


def config_file_findings(facts: Facts) -> list[Finding]:
    findings: list[Finding] = []
    for config in facts.config_files:
        findings += _check_config_file(config, facts)
    return findings


def _check_config_file(config: ConfigFileFacts, facts: Facts) -> list[Finding]:
    cls = lookup_object(facts, config.config_class) if config.config_class else None
    if cls is None:
        return []
    found = accepts(cls, facts)
    certain = config.match_reason in ("settings", "_target_")
    annotations = _annotations(cls)
    prefix = config.prefix + "." if config.prefix else ""
    parents = {k.key.rsplit(".", 1)[0] for k in config.keys if "." in k.key}
    out: list[Finding] = []
    for key in config.keys:
        if not key.key.startswith(prefix) or key.key in parents:
            continue
        name = key.key[len(prefix):]
        if "." in name or name in IGNORED_KEYS:
            continue
        if name not in found.names:
            cutoff = TYPO_MATCH if (found.open or not certain) else CLOSE_MATCH
            guess = did_you_mean(name, sorted(found.names), cutoff)
            if guess is None and (found.open or not certain):
                continue  # only a guessed class: the key may belong to another section
            hint = f"; did you mean `{guess}`?" if guess else ""
            out.append(Finding("DG205", f"key `{name}` is not a {found.what} of `{cls.name}`{hint}",
                               config.file, key.line, cls.path, name))
            continue
        annotation = annotations.get(name)
        kind = _type_name(key.value)
        if annotation and kind and types_contradict(kind, annotation):
            out.append(Finding(
                "DG205", f"`{name}: {key.value!r}` is a {kind}, but `{name}` of `{cls.name}` is "
                f"`{normalise_type(annotation)}`", config.file, key.line, cls.path, name))
    return out


def _annotations(cls: ObjectFacts) -> dict[str, str]:
    found = {f.name: f.annotation for f in cls.fields if f.annotation}
    call = cls.call_signature
    for param in call.params if call is not None else ():
        if param.annotation and param.forwarded_from is None:
            found.setdefault(param.name, param.annotation)
    return found  # type: ignore[return-value]


# --- DG204 / DG006: examples in docstrings -----------------------------------------------------

@lru_cache(maxsize=64)
def _read_lines(path: str, mtime: float) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def _source_lines(path: str) -> tuple[str, ...]:
    """A source file's lines, re-read when it changed (`mkdocs serve` checks again and again)."""
    try:
        return _read_lines(path, Path(path).stat().st_mtime)
    except OSError:
        return ()


def _in_source(obj: ObjectFacts, root: Path | None, text_line: int, needle: str) -> int:
    """The source line of a docstring line: griffe's text may have lost a leading blank line,
    so the line is looked up near where it should be."""
    doc = obj.docstring
    guess = doc.line + text_line - 1  # type: ignore[union-attr]
    path = Path(obj.file) if root is None or Path(obj.file).is_absolute() else root / obj.file
    lines = _source_lines(str(path))
    needle = needle.strip()
    if lines and needle:
        for line in (guess, guess + 1, guess - 1, guess + 2):
            if 1 <= line <= len(lines) and needle in lines[line - 1]:
                return line
    return guess


def docstring_example_findings(obj: ObjectFacts, facts: Facts, root: Path | None = None) -> list[Finding]:
    doc = obj.docstring
    if doc is None or (">>>" not in doc.text and "`" * 3 not in doc.text and ".. code" not in doc.text):
        return []
    text_lines = doc.text.split("\n")
    findings: list[Finding] = []
    for code, first, language in example_blocks(doc.text):
        for problem in check_python(code, language, facts):
            text_line = first + problem.line - 1
            needle = text_lines[text_line - 1] if 0 < text_line <= len(text_lines) else ""
            line = _in_source(obj, root, text_line, needle)
            findings.append(_finding(obj, problem, line))
    return findings


def _finding(obj: ObjectFacts, problem: CodeProblem, line: int) -> Finding:
    if problem.kind == "syntax":
        why = re.sub(r" \(line \d+\)$", "", problem.message.removeprefix("code does not parse: "))
        return Finding("DG006", f"example in the docstring of `{obj.name}` does not parse: {why}",
                       obj.file, line, obj.path, why)
    return Finding("DG204", f"example in the docstring of `{obj.name}`: {problem.message}",
                   obj.file, line, obj.path, f"{problem.target}:{problem.subject or problem.kind}")
