"""DG401 findings for a tree: its written sections scored against the adapter's calibration.

The sections are found as `docgen corpus` finds them (docstrings, pages, model cards, marker
blocks, drafts included) and posed as the same prompts; each is scored (`style_scores`, cached)
and reported when its score is beyond the calibration's quantile for its kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages.model import Page
from docgen_plugin.checks.pages.reader import read_page
from docgen_plugin.checks.style_rule import OFF_HOUSE_STYLE
from docgen_plugin.errors import SettingsError
from docgen_plugin.facts.model import Facts
from docgen_plugin.finetune.corpus import section_records
from docgen_plugin.finetune.corpus_sources import Found, docstring_items, page_items
from docgen_plugin.finetune.style_calibration import ALL_KINDS, read_calibration
from docgen_plugin.finetune.style_scores import cached_scores, resolve_scored
from docgen_plugin.sections.catalogue import catalogue_from_settings
from docgen_plugin.settings import Settings

CODE = OFF_HOUSE_STYLE.code


def style_findings(facts: Facts, page_files: Iterable[tuple[Path, str]], settings: Settings, *,
                   progress: bool = True) -> list[Finding]:
    """One DG401 finding per written section beyond the threshold, suppressions applied."""
    from docgen_plugin.generate.default_model import EMBEDDED

    resolved = resolve_scored(settings)
    if resolved.adapter == EMBEDDED.adapter:  # generic docs, not a house: nothing to compare to
        raise SettingsError("DG401 needs your house's adapter, not the shipped docs adapter: "
                            "`docgen corpus SRC -o CORPUS`, `docgen finetune CORPUS -o ADAPTER`, "
                            "then set `adapter = \"ADAPTER\"` in [tool.docgen]")
    calibration = read_calibration(resolved.adapter, resolved.adapter_hash)
    quantile = settings.style_quantile or calibration.quantile
    pages = list(page_files)
    found = Found(items=[], removed=Counter(), problems=[])
    docstring_items(facts, found)
    catalogue = catalogue_from_settings(settings)
    page_items(pages, facts, catalogue, found, generated=True)
    pairs = [(item, record) for item, record in section_records(found, facts, catalogue, settings)
             if calibration.knows(record.label)]
    scores = cached_scores([record for _, record in pairs], settings, progress=progress)
    suppressed_on = _page_suppressions(pages)
    findings: list[Finding] = []
    for (item, record), score in zip(pairs, scores):
        if score is None:
            continue
        share, judged, count = calibration.share_below(record.label, score.score)
        if share < quantile:
            continue
        obj = facts.get(record.object)
        if item.origin == "docstring" and obj is not None and (
                "*" in obj.suppressed or CODE in obj.suppressed):
            continue
        if item.origin != "docstring" and suppressed_on(item.source, item.line):
            continue
        among = f"{count} validation {record.label} sections" if judged != ALL_KINDS else \
            f"{count} validation sections of all kinds"
        findings.append(Finding(
            CODE, f"`{record.object.rsplit('.', 1)[-1]}` {record.label} reads less like the house "
            f"than {share:.0%} of its {among} (style score {score.score:+.2f}, threshold quantile "
            f"{quantile:.2f})", item.source, item.line, obj=record.object, subject=record.label))
    return findings


def _page_suppressions(pages: list[tuple[Path, str]]) -> Callable[[str, int], bool]:
    """`(display, line) -> suppressed?` from the pages' `docgen: ignore` comments."""
    by_display = {display: path for path, display in pages}
    read: dict[str, Page] = {}

    def suppressed(display: str, line: int) -> bool:
        if display not in by_display:
            return False
        if display not in read:
            read[display] = read_page(by_display[display], display)[0]
        return read[display].suppressed(CODE, line)

    return suppressed
