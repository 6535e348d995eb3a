"""The table of rule codes: stable codes grouped by hundreds, each with a summary and a doc.

DG0xx input docgen could not read · DG1xx docstrings and config classes vs code ·
DG2xx pages vs code · DG3xx drafts and staleness · DG4xx house style (opt-in; scored by the
house adapter in `finetune.style_check`). Docs follow ruff's layout.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    doc: str  # Markdown: What it does / Why is this bad? / Example / Use instead


RULES: dict[str, Rule] = {}


def register(code: str, name: str, summary: str, doc: str) -> Rule:
    rule = Rule(code, name, summary, doc.strip())
    RULES[code] = rule
    return rule


def matches(code: str, patterns: tuple[str, ...]) -> bool:
    """True when a code is named by any pattern: a full code, a prefix (`DG1`), or `ALL`."""
    return any(p == "ALL" or code.startswith(p) for p in patterns)
