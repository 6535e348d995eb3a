"""Small packages written into tmp_path, checked through the real loader and rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.run import run_checks
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.facts.model import Facts
from docgen_plugin.settings import Settings


def write_package(root: Path, files: dict[str, str], name: str = "pkg") -> Path:
    """Write `files` (relative path -> source) under root/name, with __init__.py files."""
    package = root / name
    for relative, source in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    for folder in [package, *[p for p in package.rglob("*") if p.is_dir()]]:
        if folder.name != "configs" and not (folder / "__init__.py").exists():
            (folder / "__init__.py").write_text("", encoding="utf-8")
    return package


def settings_for(root: Path, **options: object) -> Settings:
    return Settings(root=str(root), cache_dir=str(root / ".cache"), **options)  # type: ignore[arg-type]


def facts_of(root: Path, files: dict[str, str], **options: object) -> Facts:
    package = write_package(root, files)
    return load_facts([package], settings_for(root, **options))


def check(root: Path, files: dict[str, str], **options: object) -> list[Finding]:
    package = write_package(root, files)
    settings = settings_for(root, **options)
    return run_checks(load_facts([package], settings), settings)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]
