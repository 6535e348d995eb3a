"""Findings as text, JSON, GitHub annotations or SARIF 2.1.0 — all from one list."""

from __future__ import annotations

import json
from collections.abc import Callable

from docgen_plugin import __version__
from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.rules import RULES

FORMATS = ("text", "json", "github", "sarif")


def as_text(findings: list[Finding]) -> str:
    lines = [f"{f.file}:{f.line}: {f.code} {f.message}" for f in findings]
    count = len(findings)
    plural = "s" if count != 1 else ""
    lines.append(f"Found {count} finding{plural}." if count else "All checked, no findings.")
    return "\n".join(lines)


def as_json(findings: list[Finding]) -> str:
    return json.dumps([
        {"code": f.code, "message": f.message, "file": f.file, "line": f.line, "object": f.obj}
        for f in findings
    ], indent=2)


def _escape_github(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def as_github(findings: list[Finding]) -> str:
    return "\n".join(
        f"::warning file={_escape_github(f.file, True)},line={f.line},"
        f"title={f.code}::{_escape_github(f.code + ' ' + f.message)}"
        for f in findings
    )


def as_sarif(findings: list[Finding]) -> str:
    codes = sorted({f.code for f in findings})
    rules = [
        {
            "id": code,
            "name": RULES[code].name if code in RULES else code,
            "shortDescription": {"text": RULES[code].summary if code in RULES else code},
            "fullDescription": {"text": RULES[code].summary if code in RULES else code},
            "help": {"text": RULES[code].doc if code in RULES else code,
                     "markdown": RULES[code].doc if code in RULES else code},
        }
        for code in codes
    ]
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": "error" if f.code.startswith("DG0") else "warning",
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(1, f.line)},
            }}],
            "partialFingerprints": {"docgenKey/v1": f.baseline_key},
        }
        for f in findings
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "docgen", "version": __version__, "informationUri":
                "https://pypi.org/project/docgen-plugin/", "rules": rules,
            }},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2)


FORMATTERS: dict[str, Callable[[list[Finding]], str]] = {
    "text": as_text, "json": as_json, "github": as_github, "sarif": as_sarif,
}
