"""`docgen check` for docs pages (DG2xx): Markdown, MyST and reStructuredText pages, model
cards and config files, against the facts of the code they document.

    page file -> reader (markdown.py | rst.py) -> Page -> links.py (which object each block
    documents) -> rules.py (DG201-DG204) + model_card.py (DG206) -> findings, suppressed by
    `<!-- docgen: ignore[...] -->` / `.. docgen: ignore[...]`

DG205 (config files) and DG204 on docstring examples need no page: see code_rules.py.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from pathlib import Path

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages import codes as _codes  # noqa: F401  (registers the rules)
from docgen_plugin.checks.pages.links import Linker
from docgen_plugin.checks.pages.model import Page, PageSource, Problem
from docgen_plugin.facts.discover import resolve_target
from docgen_plugin.facts.model import Facts
from docgen_plugin.settings import Settings

PAGE_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".rst": "rst"}
MAX_PAGE_BYTES = 1_000_000  # larger "pages" are generated files, not docs (and slow to parse)
_SKIP_DIRS = {"__pycache__", "node_modules", "site", "_build", "build", "dist"}

__all__ = ["PAGE_SUFFIXES", "Page", "check_page", "check_page_files", "check_page_sources",
           "check_pages", "discover_pages", "read_page", "read_page_text"]


def read_page_text(text: str, display: str) -> Page:
    """A page's text read by the reader its suffix asks for (Markdown by default)."""
    if Path(display).suffix.lower() == ".rst":
        from docgen_plugin.checks.pages.rst import read_rst

        return read_rst(text, display)
    from docgen_plugin.checks.pages.markdown import read_markdown

    return read_markdown(text, display)


def read_page(path: Path, display: str) -> tuple[Page, str]:
    """A page file and its text; unreadable files are pages with a DG005 problem."""
    try:
        if path.stat().st_size > MAX_PAGE_BYTES:
            return Page(display, "markdown", problems=(Problem(
                "DG005", f"page is larger than {MAX_PAGE_BYTES // 1_000_000} MB; not checked"),)), ""
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return Page(display, "markdown", problems=(Problem(
            "DG005", "page is not valid UTF-8 text; save it as UTF-8", line),)), ""
    except OSError as error:
        return Page(display, "markdown", problems=(Problem("DG005", f"cannot read the page: {error}"),)), ""
    if "\x00" in text:
        return Page(display, "markdown", problems=(Problem(
            "DG005", "page holds NUL bytes: a binary file, not a page"),)), ""
    return read_page_text(text, display), text


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


def _excluded(rel: str, name: str, exclude: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in exclude)


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def discover_pages(targets: Iterable[str], settings: Settings) -> list[tuple[Path, str]]:
    """Pages under the targets, each once, in a stable order: (path, display path)."""
    found: dict[Path, tuple[Path, str]] = {}
    root = settings.root_path
    for target in targets:
        path = resolve_target(str(target), root)
        files = sorted(_walk(path)) if path.is_dir() else [path]
        for file in files:
            display = _display(file, root)
            if file.suffix.lower() in PAGE_SUFFIXES and not _excluded(display, file.name, settings.exclude):
                found.setdefault(file.resolve(), (file, display))
    return list(found.values())


def _walk(folder: Path) -> list[Path]:
    out: list[Path] = []
    try:
        children = list(folder.iterdir())
    except OSError:  # reported once, as DG007, by the facts' discovery of the same tree
        return out
    for child in children:
        if child.name.startswith(".") or child.name in _SKIP_DIRS or child.name.endswith(".egg-info"):
            continue
        if child.is_dir() and not child.is_symlink():
            out.extend(_walk(child))
        elif child.is_file() and child.suffix.lower() in PAGE_SUFFIXES:
            out.append(child)
    return out


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
