"""`run_checks`: facts -> filtered, sorted findings. The one entry point of `docgen check`."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

from docgen_plugin.checks import diagnostics as _diagnostics  # noqa: F401  (registers DG0xx)
from docgen_plugin.checks import staleness as _staleness  # noqa: F401  (registers DG3xx)
from docgen_plugin.checks import style_rule as _style_rule  # noqa: F401  (registers DG401)
from docgen_plugin.checks.config_usage import config_usage_findings
from docgen_plugin.checks.diagnostics import diagnostic_findings
from docgen_plugin.checks.docstring_rules import check_object
from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages import codes as _page_codes  # noqa: F401  (registers DG2xx)
from docgen_plugin.checks.pages.code_rules import config_file_findings, docstring_example_findings
from docgen_plugin.checks.rules import RULES, matches
from docgen_plugin.errors import SettingsError
from docgen_plugin.facts.model import Facts
from docgen_plugin.settings import Settings

if TYPE_CHECKING:
    from docgen_plugin.checks.changed import Affected


def validate_codes(settings: Settings) -> None:
    """Unknown codes in select/ignore are errors (a typo would silently disable a rule)."""
    patterns = [*settings.select, *settings.ignore, *(c for cs in settings.per_file_ignores.values()
                                                        for c in cs)]
    for pattern in patterns:
        if pattern != "ALL" and not any(code.startswith(pattern) for code in RULES):
            raise SettingsError(f"unknown rule code `{pattern}`; `docgen rule` lists them")


def _wanted(finding: Finding, settings: Settings) -> bool:
    if settings.select and not matches(finding.code, settings.select):
        return False
    if matches(finding.code, settings.ignore):
        return False
    return not any(
        fnmatch.fnmatch(finding.file, glob) and matches(finding.code, codes)
        for glob, codes in settings.per_file_ignores.items()
    )


def run_checks(
    facts: Facts, settings: Settings, extra: list[Finding] | None = None, only: Affected | None = None
) -> list[Finding]:
    """All findings for the loaded facts (DG1xx, DG204 in docstrings, DG205 on config files)
    plus page findings, after every filter; with `only`, the rules run on its objects,
    diagnostics and config files alone (`docgen check --changed-since`)."""
    validate_codes(settings)
    suppressed = {o.path: o.suppressed for o in facts.objects if o.suppressed}
    diagnostics = facts.diagnostics if only is None else tuple(
        d for d in facts.diagnostics if only.covers_file(d.file))
    configs = config_file_findings(facts) if only is None or only.config_files else []
    if only is not None:  # checking one config file needs the facts of all: filtered after
        configs = [f for f in configs if f.file in only.config_files]
    findings = diagnostic_findings(diagnostics) + list(extra or []) + configs
    objects = facts.objects if only is None else [o for o in facts.objects if o.path in only.objects]
    for obj in objects:
        examples = docstring_example_findings(obj, facts, settings.root_path)  # DG204 in docstrings
        for finding in [*check_object(obj, facts), *examples]:
            codes = suppressed.get(obj.path, ())
            if "*" in codes or finding.code in codes:
                continue
            findings.append(finding)
    if settings.select and not any(matches(code, settings.select) for code in ("DG108", "DG109")):
        usage: list[Finding] = []  # not asked for: the pass over every config read is skipped
    else:
        usage = config_usage_findings(facts, None if only is None else set(only.objects))
    for finding in usage:
        codes = suppressed.get(finding.obj, ())
        if "*" not in codes and finding.code not in codes:
            findings.append(finding)
    return sorted((f for f in findings if _wanted(f, settings)), key=Finding.sort_key)
