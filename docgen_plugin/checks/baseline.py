"""A baseline: the findings a team accepts today, so that only new ones fail CI."""

from __future__ import annotations

import json
from pathlib import Path

from docgen_plugin.checks.finding import Finding
from docgen_plugin.errors import SettingsError
from docgen_plugin.files import atomic_write

VERSION = 1


def read_baseline(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != VERSION:
            raise ValueError(f"unknown version {data.get('version')!r}")
        return set(data["findings"])
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as error:
        raise SettingsError(
            f"{path}: not a docgen baseline ({error}); delete it and rerun with --baseline "
            "to write a new one"
        ) from error


def write_baseline(path: Path, findings: list[Finding]) -> None:
    data = {"version": VERSION, "findings": sorted({f.baseline_key for f in findings})}
    atomic_write(path, json.dumps(data, indent=1) + "\n")


def without_baseline(findings: list[Finding], accepted: set[str]) -> list[Finding]:
    return [f for f in findings if f.baseline_key not in accepted]
