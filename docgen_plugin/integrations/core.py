"""What every docs-build integration does, whatever the host (MkDocs, Sphinx, mkdocstrings).

    pages -> requests (empty or docgen-owned marker pairs, front-matter objects, autopages)
          -> one batched `draft_sections` call -> filled pages (drafts labelled, escaped)
    packages + pages -> findings (DG1xx on the code, DG2xx and DG301 on the pages)

The hosts only translate their config, hooks and logging to and from this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages.model import PageSource
from docgen_plugin.errors import DocgenError
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.files import os_error_message
from docgen_plugin.markers import MarkerBlock, MarkerError, parse_markers
from docgen_plugin.sections.catalogue import Catalogue, catalogue_from_settings
from docgen_plugin.sections.render import escape_html
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

DRAFT_LABEL = "Draft — written by docgen from the code; review before publishing"

# The MkDocs plugin's drafts of the build in progress, for the griffe extension to reuse.
_CURRENT: tuple[Settings, BuildDrafts] | None = None


def set_current_build(settings: Settings | None, build: BuildDrafts | None) -> None:
    global _CURRENT
    _CURRENT = (settings, build) if settings is not None and build is not None else None


def current_build() -> tuple[Settings, BuildDrafts] | None:
    return _CURRENT


def user_message(error: DocgenError | OSError) -> str:
    """The one line a host shows for an error: an OSError names its path and the fix."""
    return os_error_message(error) if isinstance(error, OSError) else str(error)

def api_identifiers(markdown: str) -> tuple[str, ...]:
    """mkdocstrings' `::: pkg.Object` identifiers of a page, outside code fences."""
    found, fence = [], None
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            marker = stripped[:3]
            fence = None if fence == marker else (fence or marker)
            continue
        if fence is None and stripped.startswith(":::") and len(stripped.split()) >= 2:
            found.append(stripped.split()[1])
    return tuple(found)


@dataclass
class BuildDrafts:
    """The drafts of one build, by (object, section), and what fed them."""

    facts: Facts
    drafts: dict[tuple[str, str], Any] = field(default_factory=dict)  # -> drafting.Draft
    appended: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # page -> keys


def front_matter_objects(meta: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`docgen: {objects: [...], sections: [...]}` from a page's front matter."""
    block = meta.get("docgen") if isinstance(meta, Mapping) else None
    if not isinstance(block, Mapping):
        return (), ()
    return _names(block.get("objects")), _names(block.get("sections"))


def _names(value: Any) -> tuple[str, ...]:
    """A front-matter value that may be one name or a list of names."""
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(str(x) for x in value)


def owned_by_docgen(block: MarkerBlock) -> bool:
    """A block docgen may (re)fill: empty, or written by docgen and not edited since."""
    return block.is_empty or not block.is_edited


def _present_kinds(text: str, catalogue: Catalogue) -> set[str]:
    """Section kinds a page already has as headings ("## Limitations")."""
    kinds = set()
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            kind = catalogue.kind_for_heading(line.lstrip("# ").strip())
            if kind:
                kinds.add(kind)
    return kinds


def collect_requests(
    pages: Sequence[PageSource], facts: Facts, settings: Settings
) -> tuple[list[Any], dict[str, list[tuple[str, str]]], list[Finding]]:
    """Every draft a build needs, each once; what to append per page; marker errors."""
    from docgen_plugin.generate.drafting import DraftRequest

    catalogue = catalogue_from_settings(settings)
    requests: dict[tuple[str, str], DraftRequest] = {}
    appended: dict[str, list[tuple[str, str]]] = {}
    problems: list[Finding] = []
    for page in pages:
        try:
            blocks = parse_markers(page.text, page.path)
        except MarkerError:
            continue  # DG302, reported by check_build
        for block in blocks:
            if owned_by_docgen(block) and facts.find(block.object) is not None:
                requests.setdefault(block.key, DraftRequest(block.object, block.section))
        present = _present_kinds(page.text, catalogue) | {b.section for b in blocks}
        for name in page.objects:
            obj = facts.find(name)
            if obj is None:
                problems.append(Finding("DG302", f"front matter names unknown object `{name}`",
                                        page.path, 1, subject=name))
                continue
            wanted = page.sections or tuple(s.kind for s in catalogue.sections_for(obj))
            for section in wanted:
                kind = catalogue.spec(section).kind
                if kind in present:
                    continue
                key = (obj.path, kind)
                requests.setdefault(key, DraftRequest(obj.path, kind))
                appended.setdefault(page.path, []).append(key)
        for identifier in page.api:
            for obj in _undocumented_under(facts, identifier):
                requests.setdefault((obj.path, "overview"), DraftRequest(obj.path, "overview"))
    return list(requests.values()), appended, problems


def _undocumented_under(facts: Facts, identifier: str) -> list[ObjectFacts]:
    """Public classes and functions without a docstring that an API block will render."""
    root = facts.find(identifier)
    prefix = root.path if root is not None else identifier
    return [
        o for o in facts.objects
        if (o.path == prefix or o.path.startswith(prefix + ".")) and o.docstring is None
        and o.kind in ("class", "function") and o.is_public and not o.name.startswith("_")
    ]


def draft_all(
    pages: Sequence[PageSource],
    facts: Facts,
    settings: Settings,
    generator: Any = None,
) -> tuple[BuildDrafts, list[Finding]]:
    """All drafts of a build in one batched pass (nothing is generated when all are cached)."""
    from docgen_plugin.generate.drafting import draft_sections

    requests, appended, problems = collect_requests(pages, facts, settings)
    build = BuildDrafts(facts=facts, appended=appended)
    if requests:
        # Marker objects may be short names: drafts are keyed by what the page wrote.
        drafts = draft_sections(facts, requests, settings, generator=generator)
        for request, draft in zip(requests, drafts):
            build.drafts[(request.object, request.section)] = draft
    return build, problems


def label_draft(text: str, label: str, admonition: bool) -> str:
    """A draft not yet reviewed, visibly marked as one."""
    body = text.strip("\n")
    if admonition:
        indented = "\n".join(("    " + line) if line.strip() else "" for line in body.split("\n"))
        return f'!!! note "{label}"\n\n{indented}\n'
    quoted = "\n".join(("> " + line) if line.strip() else ">" for line in body.split("\n"))
    return f"> **{label}**\n>\n{quoted}\n"


def fill_page(
    page: PageSource,
    build: BuildDrafts,
    *,
    label: str = DRAFT_LABEL,
    admonition: bool = True,
    title_of: Callable[[str], str] | None = None,
) -> str:
    """The page's Markdown with drafts in its docgen-owned blocks and appended sections.

    Human text (edited or reviewed blocks) is left exactly as written. The source file is
    never touched: this is the text the build renders.
    """
    try:
        blocks = parse_markers(page.text, page.path)
    except DocgenError:
        return page.text
    text = page.text
    for block in sorted(blocks, key=lambda b: b.start, reverse=True):
        draft = build.drafts.get(block.key)
        if draft is None or not owned_by_docgen(block):
            continue
        body = _rendered(draft, label, admonition)
        text = text[: block.start] + body + "\n" + text[block.stop :]
    extra = build.appended.get(page.path, [])
    if extra:
        parts = [text.rstrip("\n"), ""]
        current = None
        for key in extra:
            draft = build.drafts.get(key)
            if draft is None:
                continue
            if key[0] != current:
                current = key[0]
                parts += [f"## `{key[0].rsplit('.', 1)[-1]}`", ""]
            parts += [f"### {(title_of or str.title)(key[1])}", "", _rendered(draft, label, admonition)]
        text = "\n".join(parts) + "\n"
    return text


def _rendered(draft: Any, label: str, admonition: bool) -> str:
    text = escape_html(draft.text)  # nothing from a docstring or a model becomes raw HTML
    if draft.status == "deterministic":
        return text.strip("\n") + "\n"  # tables rendered from facts need no review
    return label_draft(text, label, admonition)


def check_build(
    facts: Facts, pages: Iterable[PageSource], settings: Settings
) -> list[Finding]:
    """DG1xx on the packages, DG2xx and DG301 on the pages, filtered as settings say."""
    from docgen_plugin.checks.pages import check_page_sources
    from docgen_plugin.checks.run import run_checks
    from docgen_plugin.checks.staleness import check_markers
    from docgen_plugin.checks.style_rule import style_selected
    from docgen_plugin.facts.snapshots import FactsSnapshots

    store = FactsSnapshots(settings.cache_path)
    pages = list(pages)
    page_findings: list[Finding] = check_page_sources(pages, facts, settings)
    for page in pages:
        page_findings += check_markers(page.path, page.text, facts, store=store)
    if style_selected(settings):  # DG401: opt-in, scores the pages found on disk
        from docgen_plugin.finetune.style_check import style_findings

        files = [(settings.root_path / p.path, p.path) for p in pages]
        page_findings += style_findings(facts, [(f, d) for f, d in files if f.is_file()], settings)
    return run_checks(facts, settings, extra=page_findings)


def model_card_page(obj: ObjectFacts, catalogue: Catalogue) -> str:
    """An autopage: one empty marker pair per catalogue section of a model class."""
    lines = [f"# `{obj.name}`", "", f"`{obj.path}`", ""]
    for spec in catalogue.sections_for(obj):
        lines += [f"## {spec.title}", "",
                  f"<!-- docgen:begin object={obj.path} section={spec.kind} -->",
                  "<!-- docgen:end -->", ""]
    return "\n".join(lines)


def docs_root_settings(root: Path, **options: Any) -> Settings:
    """Settings for a docs project: `[tool.docgen]` of its pyproject, then the host's options."""
    from docgen_plugin.settings import load_settings

    settings = load_settings(root, **{k: v for k, v in options.items() if k != "cache_dir"})
    cache_dir = options.get("cache_dir")
    if cache_dir and not Path(cache_dir).is_absolute():
        cache_dir = str((root / cache_dir).resolve())
    return settings.merged(root=str(root), cache_dir=cache_dir)
