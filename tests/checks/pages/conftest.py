"""Facts of the example package, loaded once, and a helper that checks a page's text."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages import check_page, read_page_text
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.facts.model import Facts
from docgen_plugin.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture(scope="session")
def tiny_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(root=str(EXAMPLES), cache_dir=str(tmp_path_factory.mktemp("page-cache")))


@pytest.fixture(scope="session")
def tiny_facts(tiny_settings: Settings) -> Facts:
    """Facts of `examples/tinyformer` (configs included), legacy module left out."""
    return load_facts(["tinyformer"], tiny_settings.merged(exclude=("*legacy.py",)))


@pytest.fixture
def check_text(tiny_facts: Facts, tiny_settings: Settings) -> Callable[..., list[Finding]]:
    def run(text: str, path: str = "docs/page.md", **options: object) -> list[Finding]:
        text = textwrap.dedent(text).lstrip("\n")
        settings = tiny_settings.merged(**options) if options else tiny_settings
        return check_page(read_page_text(text, path), text, tiny_facts, settings)

    return run


def keys(findings: list[Finding]) -> list[tuple[str, int, str]]:
    """(code, line, subject) of each finding, in order."""
    return sorted((f.code, f.line, f.subject) for f in findings)
