"""Bodies of `docgen check` and `docgen rule`."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from docgen_plugin.checks.baseline import read_baseline, without_baseline, write_baseline
from docgen_plugin.checks.pages import check_page_files, discover_pages
from docgen_plugin.checks.report import FORMATTERS
from docgen_plugin.checks.rules import RULES
from docgen_plugin.checks.run import run_checks
from docgen_plugin.checks.style_rule import style_selected
from docgen_plugin.errors import DocgenError
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.files import write_user_file
from docgen_plugin.settings import load_settings


def run_check(options: argparse.Namespace) -> int:
    start = Path(options.paths[0]) if options.paths else Path.cwd()
    settings = load_settings(
        start if start.exists() else Path.cwd(),
        select=options.select, ignore=options.ignore, docstring_style=options.docstring_style,
        exclude=options.exclude,
    )
    changed_since = getattr(options, "changed_since", None)
    writes_baseline = options.baseline is not None and (
        options.update_baseline or not options.baseline.exists())
    if changed_since is not None and writes_baseline:
        raise DocgenError("a baseline is written from a full run: drop --changed-since, or give an "
                          "existing --baseline FILE without --update-baseline")
    facts = load_facts(options.paths, settings, use_cache=not options.no_cache)
    # The facts live until the process ends and hold no cycles: the collector need not walk
    # their ~10^6 objects again at every collection the checks set off (a fifth of a warm run).
    gc.freeze()
    page_files = discover_pages(options.paths or settings.packages or ["."], settings)
    only = None
    if changed_since is not None:
        from docgen_plugin.checks.changed import affected_since

        only = affected_since(changed_since, facts, page_files, settings)
    if only is not None:  # facts of the whole tree, rules on what the diff touches
        page_files = [(path, display) for path, display in page_files if display in only.pages]
    pages = check_page_files(page_files, facts, settings) if page_files else []  # DG2xx
    if style_selected(settings):  # DG401 needs the model: the command hands it in
        style = options.style_findings(facts, page_files, settings)
        if only is not None:
            style = [f for f in style if f.obj in only.objects or f.file in only.pages]
        pages += style
    findings = run_checks(facts, settings, extra=pages, only=only)
    if options.baseline is not None:
        if writes_baseline:
            write_baseline(options.baseline, findings)
            print(f"docgen: wrote {len(findings)} findings to the baseline {options.baseline}",
                  file=sys.stderr)
            return 0
        findings = without_baseline(findings, read_baseline(options.baseline))
    elif options.update_baseline:
        raise DocgenError("--update-baseline needs --baseline FILE")
    if getattr(options, "fix", False) or getattr(options, "diff", False):
        from docgen_plugin.checks.fix.command import run_fix

        make_drafter = getattr(options, "make_drafter", None)
        return run_fix(options, facts, findings, settings, make_drafter(settings) if make_drafter else None)
    report = FORMATTERS[options.format](findings)
    if options.output:
        write_user_file(options.output, report + "\n")  # missing folders are made
    elif report:
        print(report)
    return 1 if findings else 0


def run_rule(options: argparse.Namespace) -> int:
    from docgen_plugin.checks import run as _run  # noqa: F401  (registers every rule)

    if options.code is None:
        for code, rule in sorted(RULES.items()):
            print(f"{code}  {rule.name:32} {rule.summary}")
        return 0
    code = options.code.upper()
    if code not in RULES:
        raise DocgenError(f"unknown rule `{options.code}`; `docgen rule` lists them")
    rule = RULES[code]
    print(f"# {rule.code} ({rule.name})\n\n{rule.summary}\n\n{rule.doc}")
    return 0
