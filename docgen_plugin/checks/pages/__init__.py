"""`docgen check` for docs pages (DG2xx): Markdown, MyST and reStructuredText pages, model
cards and config files, against the facts of the code they document.

    page file -> reader (markdown.py | rst.py) -> Page -> links.py (which object each block
    documents) -> rules.py (DG201-DG204) + model_card.py (DG206) -> findings, suppressed by
    `<!-- docgen: ignore[...] -->` / `.. docgen: ignore[...]`

DG205 (config files) and DG204 on docstring examples need no page: see code_rules.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages import codes as _codes  # noqa: F401  (registers the rules)
from docgen_plugin.checks.pages.links import Linker
from docgen_plugin.checks.pages.model import Page, PageSource
from docgen_plugin.checks.pages.reader import PAGE_SUFFIXES, discover_pages, read_page, read_page_text
from docgen_plugin.facts.model import Facts
from docgen_plugin.settings import Settings

__all__ = ["PAGE_SUFFIXES", "Page", "check_page", "check_page_files", "check_page_sources",
           "check_pages", "discover_pages", "read_page", "read_page_text"]


def check_page(page: Page, text: str, facts: Facts, settings: Settings, *,
               linker: Linker | None = None, folder: Path | None = None) -> list[Finding]:
    """Every DG2xx finding of one page that its suppression comments leave."""
    from docgen_plugin.checks.pages.model_card import check_model_card, is_model_card
    from docgen_plugin.checks.pages.rules import check_page_rules

    findings = [Finding(p.code, p.message, page.path, p.line, subject=p.message) for p in page.problems]
    if page.problems and not page.blocks:
        return findings
    linker = linker or Linker(facts)
    findings += check_page_rules(page, facts, linker)
    if Path(page.path).name.lower() == "readme.md" and is_model_card(page, folder):
        findings += check_model_card(page, text, folder, settings.model_card_sections, linker)
    return [f for f in findings if not page.suppressed(f.code, f.line)]


def check_page_files(files: Iterable[tuple[Path, str]], facts: Facts, settings: Settings) -> list[Finding]:
    linker = Linker(facts)
    findings: list[Finding] = []
    for path, display in files:
        page, text = read_page(path, display)
        findings += check_page(page, text, facts, settings, linker=linker, folder=path.parent)
    return findings


def check_pages(paths: Iterable[str], facts: Facts, settings: Settings) -> list[Finding]:
    """DG2xx findings of every page under `paths` (folders, files): what `docgen check` adds
    to `run_checks(facts, settings, extra=...)`."""
    return check_page_files(discover_pages(paths, settings), facts, settings)


def check_page_sources(sources: Iterable[PageSource], facts: Facts, settings: Settings) -> list[Finding]:
    """Pages as a docs build hands them over: read from disk when the file is there (so lines
    count the front matter the host stripped), else from the text the host gives."""
    linker = Linker(facts)
    findings: list[Finding] = []
    for source in sources:
        path = Path(source.path)
        path = path if path.is_absolute() else settings.root_path / path
        if path.is_file():
            page, text = read_page(path, source.path)
            folder: Path | None = path.parent
        else:
            text, folder = source.text, None
            page = read_page_text(text, source.path)
        findings += check_page(page, text, facts, settings, linker=linker, folder=folder)
    return findings
