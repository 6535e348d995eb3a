"""`docgen check --fix` / `--diff`: write the fixes (atomically) or print them, and report."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections import Counter
from collections.abc import Callable

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.fix.apply import FileFix, plan_fixes
from docgen_plugin.checks.fix.describe import Drafter
from docgen_plugin.checks.fix.plan import Outcome
from docgen_plugin.checks.report import FORMATTERS
from docgen_plugin.facts.model import Facts
from docgen_plugin.files import atomic_write, path_error, write_user_file
from docgen_plugin.settings import Settings


def unified_diff(fix: FileFix) -> str:
    return "".join(difflib.unified_diff(
        fix.old.splitlines(keepends=True), fix.new.splitlines(keepends=True),
        fromfile=f"a/{fix.display}", tofile=f"b/{fix.display}"))


def _line(outcome: Outcome, would: bool) -> str:
    f = outcome.finding
    verb = ("would fix" if would else "fixed") if outcome.fixed else "left"
    return f"{f.file}:{f.line}: {f.code} {verb} ({outcome.note}): {f.message}"


def _description_note(fix: FileFix) -> dict[Finding, str]:
    return {finding: f"description: {d.source}" + (f" from {d.origin}" if d.origin else "")
            for finding, d in fix.descriptions}


def report_lines(files: list[FileFix], would: bool) -> list[str]:
    """One line per finding (fixed or left, and why) and a summary line."""
    lines = []
    fixed: Counter[str] = Counter()
    left = 0
    for fix in files:
        notes = _description_note(fix)
        for outcome in sorted(fix.outcomes, key=lambda o: o.finding.sort_key()):
            if outcome.finding in notes:
                outcome = Outcome(outcome.finding, outcome.fixed, f"{outcome.note}, {notes[outcome.finding]}")
            lines.append(_line(outcome, would))
            if outcome.fixed:
                fixed[outcome.finding.code] += 1
            else:
                left += 1
    per_code = ", ".join(f"{code} {n}" for code, n in sorted(fixed.items()))
    changed = sum(fix.changed for fix in files)
    lines.append(f"docgen: {'would fix' if would else 'fixed'} {sum(fixed.values())} findings"
                 f"{f' ({per_code})' if per_code else ''} in {changed} files; {left} left")
    return lines


def write_fixes(files: list[FileFix]) -> None:
    """Each changed file replaced atomically: a failure leaves that file as it was."""
    for fix in files:
        if fix.changed and fix.path is not None:
            try:
                atomic_write(fix.path, fix.new)
            except OSError as error:
                raise path_error(error, "write", fix.path) from error


def run_fix(options: argparse.Namespace, facts: Facts, findings: list[Finding], settings: Settings,
            drafter: Drafter | None = None) -> int:
    """Fix (or with --diff, show) what the code settles; report the rest like `check` does."""
    files = plan_fixes(facts, findings, settings, [str(p) for p in options.paths], drafter)
    fixed = {o.finding for fix in files for o in fix.outcomes if o.fixed}
    remaining = [f for f in findings if f not in fixed]
    out: Callable[[str], None] = lambda text: print(text, file=sys.stderr)  # noqa: E731
    if options.diff:
        patch = "".join(unified_diff(fix) for fix in files if fix.changed)
        if patch:
            sys.stdout.write(patch)
        for line in report_lines(files, would=True):
            out(line)
        return 1 if patch else 0
    write_fixes(files)
    for line in report_lines(files, would=False):
        out(line)
    report = FORMATTERS[options.format](remaining)
    if options.output:
        write_user_file(options.output, report + "\n")
    elif report:
        print(report)
    return 1 if remaining else 0
