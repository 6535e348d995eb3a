"""Reading docs pages: finding the page files under a tree and reading one into a `Page`.

Its own module because the page checks and the training corpus (`finetune/corpus*.py`) both
read pages, and the corpus needs none of the rules.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from pathlib import Path

from docgen_plugin.checks.pages.model import Page, Problem
from docgen_plugin.facts.discover import resolve_target
from docgen_plugin.settings import Settings

PAGE_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".rst": "rst"}
MAX_PAGE_BYTES = 1_000_000  # larger "pages" are generated files, not docs (and slow to parse)
_SKIP_DIRS = {"__pycache__", "node_modules", "site", "_build", "build", "dist"}


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
