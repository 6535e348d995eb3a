"""Labeled items: (object, section kind, human text) found in docstrings, pages, model cards and
reviewed docgen marker blocks. Nothing here cleans or deduplicates: see `corpus.py`.

A docstring item carries the object its prompt is built from, with the labeled section taken
out of its docstring (`without_sections`), so the prompt never quotes the answer.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from docgen_plugin.checks.pages.links import Linker, heading_key, inlines, page_scopes
from docgen_plugin.checks.pages.model import Heading, Inline, Page
from docgen_plugin.checks.pages.model_card import is_model_card
from docgen_plugin.checks.pages.reader import read_page
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.finetune.corpus_docstrings import (
    Block,
    bullets_text,
    errors_text,
    split_docstring,
    usage_text,
    without_sections,
)
from docgen_plugin.markers import MarkerBlock, MarkerError, content_hash, parse_markers
from docgen_plugin.sections.catalogue import CORPUS_KINDS, Catalogue

_ENTRY = re.compile(r"^\*{0,2}[\w.]+\*{0,2} \([^)\n]*\)\s*:")  # `name (type): ...`, an undeclared Args
# the page checks' edge words plus "and" ("`Model` and limitations": limitations)
_EDGE_WORDS = frozenset({"the", "of", "for", "a", "an", "its", "to", "and"})


@dataclass(frozen=True)
class LabeledItem:
    """One human-written section of one object, before cleaning."""

    label: str
    obj: ObjectFacts  # the object the prompt is built from (docstring section taken out)
    text: str
    source: str
    line: int
    origin: str  # docstring, page, model-card, reviewed


@dataclass
class Found:
    """Items of all sources, what was left out (by reason) and input that could not be read."""

    items: list[LabeledItem]
    removed: Counter[str]
    problems: list[str]


# --- docstrings -------------------------------------------------------------------------------


def _redacted(obj: ObjectFacts, blocks: list[Block], drop: set[int], label: str) -> ObjectFacts:
    assert obj.docstring is not None
    return replace(obj, docstring=without_sections(obj.docstring, drop, blocks, label))


def _forward_inputs(obj: ObjectFacts, facts: Facts) -> str | None:
    """A model's inputs/outputs from its `forward` docstring: description and returns."""
    forward = facts.get(f"{obj.path}.forward")
    if forward is None or forward.docstring is None:
        return None
    blocks = split_docstring(forward.docstring.text)
    returns = [b.body for b in blocks if b.kind == "returns"]
    if not returns:
        return None
    lead = [b.body for b in blocks[:1] if b.kind == "text"]
    text = " ".join(" ".join(_without_type_line(r).split()) for r in returns)
    return "\n\n".join([*lead, f"`forward` returns {text[0].lower() + text[1:] if text else text}"])


def _without_type_line(body: str) -> str:
    """A NumPy returns entry without its `Tensor` type line."""
    lines = body.split("\n")
    if len(lines) > 1 and lines[1][:1].isspace() and len(lines[0].split()) <= 3:
        return "\n".join(lines[1:])
    return body


def _lead_prose(content: str) -> str:
    """The paragraphs before the first list, table, code block or directive."""
    kept: list[str] = []
    for paragraph in re.split(r"\n\s*\n", content):
        first = paragraph.lstrip()
        if not first or first[:1] in "-*+|:`<" or first.startswith((".. ", "```", "~~~")) or \
                re.match(r"\d+[.)] ", first):
            break
        kept.append(paragraph)
    return "\n\n".join(kept).strip()


def overview_text(text: str) -> str:
    """Prose paragraphs up to the first list, code, math or paragraph that introduces one."""
    kept: list[str] = []
    for paragraph in re.split(r"\n\s*\n", _lead_prose(text)):
        if paragraph.rstrip().endswith(":") or "::" in paragraph or len(kept) == 4 or \
                _ENTRY.match(paragraph.lstrip()):
            break
        kept.append(paragraph)
    return "\n\n".join(kept)


def is_test_code(path: str) -> bool:
    """Objects of a test suite (`pkg.tests.test_x.test_y`): their docstrings describe test
    cases, not the library, so they are no house-style examples."""
    parts = path.split(".")
    return any(part in ("tests", "test", "testing") or part.startswith("test_") for part in parts)


def docstring_items(facts: Facts, found: Found) -> None:
    """Labels from the docstrings of every public class, function, method and module."""
    for obj in facts.objects:
        doc = obj.docstring
        if doc is None or not doc.text.strip():
            continue
        if not obj.is_public or (obj.name.startswith("__") and obj.name.endswith("__")):
            continue
        if is_test_code(obj.path):
            found.removed["test-code"] += 1
            continue
        blocks = split_docstring(doc.text)

        def add(label: str, text: str | None, drop: set[int], obj: ObjectFacts = obj,
                blocks: list[Block] = blocks, line: int = doc.line) -> None:
            if text and text.strip():
                # the line of the section's heading (the docstring's first line for the lead)
                first = blocks[min(drop)].start if drop else 0
                found.items.append(LabeledItem(
                    label, _redacted(obj, blocks, drop, label), text.strip(), obj.file,
                    line + first, "docstring"))

        lead: list[int] = []
        for index, block in enumerate(blocks):
            if block.kind != "text":
                break
            lead.append(index)
        add("overview", overview_text("\n\n".join(blocks[i].body for i in lead)), set(lead))
        examples = [i for i, b in enumerate(blocks) if b.kind == "examples"]
        if examples:
            usage = next((u for u in (usage_text(blocks[i].body) for i in examples) if u), None)
            if usage is None:
                found.removed["unreadable-example"] += 1
            add("usage", usage, set(examples))
        raises = [i for i, b in enumerate(blocks) if b.kind == "raises"]
        if raises:
            add("errors", errors_text([blocks[i] for i in raises]), set(raises))
        notes = [i for i, b in enumerate(blocks) if b.kind == "admonition"]
        if notes:
            add("limitations", "\n".join(bullets_text(blocks[i].body) for i in notes), set(notes))
        if obj.is_model:
            shapes = [i for i, b in enumerate(blocks) if b.kind == "shape"]
            if shapes:
                add("inputs", "\n".join(blocks[i].body for i in shapes), set(shapes))
            else:
                add("inputs", _forward_inputs(obj, facts), set())


# --- pages ------------------------------------------------------------------------------------


def heading_kind(heading: Inline, linker: Linker, catalogue: Catalogue) -> str | None:
    """The section kind a heading names, object names left out ("Usage of `Model`": usage);
    settings' synonyms count too."""
    key = heading_key(heading, linker, _EDGE_WORDS)
    return catalogue.kind_for_heading(key) if key else None


def marker_status(block: MarkerBlock) -> str:
    """reviewed (a human took the text over or edited it) or generated (docgen's draft)."""
    if block.status == "reviewed":
        return "reviewed"
    if block.draft is not None and content_hash(block.content) == block.draft:
        return "generated"
    return "reviewed" if block.draft is not None or block.status is None else "generated"


_RST_CODE = re.compile(r"^(?P<indent>\s*)\.\. (code-block|code|sourcecode|testcode)::\s*(?P<lang>\w*)")


def rst_code_to_fences(text: str) -> str:
    """RST code directives and `::` literal blocks as Markdown fences."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        code = _RST_CODE.match(line)
        literal = line.rstrip().endswith("::") and not line.lstrip().startswith("..")
        if code or literal:
            base = len(line) - len(line.lstrip())
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or lines[j].startswith(" " * (base + 1))):
                if lines[j].strip().startswith(":") and code and j == i + 1:
                    j += 1
                    continue
                j += 1
            body = [x for x in lines[i + 1:j] if not (code and x.strip().startswith(":") and
                                                       x.strip().endswith(":"))]
            import textwrap

            inner = textwrap.dedent("\n".join(body)).strip("\n")
            if literal:
                out.append(line.rstrip()[:-1].rstrip() or "")
            lang = code.group("lang") if code else "python"
            if inner:
                out += ["", f"```{lang or 'python'}", *inner.split("\n"), "```", ""]
            i = j
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def _section_object(scopes: list, blocks: list, start: int, stop: int, linker: Linker) -> ObjectFacts | None:
    """The one object a section documents: a certain link, else the one object its text names,
    else the page's only candidate."""
    for scope in scopes[start:stop]:
        if scope.one is not None:
            return scope.one  # type: ignore[no-any-return]
    named: dict[str, ObjectFacts] = {}
    for block in blocks[start:stop]:
        for inline in inlines(block):
            for obj in linker.mentions(inline):
                named.setdefault(obj.path, obj)
    if len(named) == 1:
        return next(iter(named.values()))
    for scope in scopes[start:stop]:
        if scope.objects and len(scope.objects) == 1:
            return scope.objects[0]  # type: ignore[no-any-return]
    return None


def page_items(files: Iterable[tuple[Path, str]], facts: Facts, catalogue: Catalogue, found: Found,
               *, generated: bool = False) -> None:
    """Labels from Markdown/RST pages and model cards: sections linked to one loaded object;
    docgen's unedited drafts between markers too with `generated` (the style check reads
    them; a corpus never learns from them)."""
    linker = Linker(facts)
    for path, display in files:
        page, text = read_page(path, display)
        if page.problems and not page.blocks:
            found.problems += [f"{display}:{p.line}: {p.message}" for p in page.problems]
            found.removed["unreadable-page"] += 1
            continue
        card = path.name.lower() == "readme.md" and is_model_card(page, path.parent)
        origin = "model-card" if card else "page"
        try:
            markers = parse_markers(text, display)
        except MarkerError as error:
            found.problems.append(str(error))
            markers = []
        _marker_items(markers, linker, facts, catalogue, display, found, generated)
        _heading_items(page, text, markers, linker, catalogue, display, origin, found)


def _marker_items(markers: list[MarkerBlock], linker: Linker, facts: Facts, catalogue: Catalogue,
                  display: str, found: Found, generated: bool) -> None:
    for block in markers:
        if block.is_empty:
            continue
        status = marker_status(block)
        if status == "generated" and not generated:
            found.removed["generated"] += 1
            continue
        obj = linker.named(block.object) or facts.find(block.object)
        kind = catalogue.kind_for_heading(block.section)
        if kind not in CORPUS_KINDS:
            found.removed["table-section"] += 1
        elif obj is None:
            found.removed["no-object"] += 1
        else:
            found.items.append(LabeledItem(kind, obj, block.content.strip(), display,
                                           block.begin_line + 1, status))


def _heading_items(page: Page, text: str, markers: list[MarkerBlock], linker: Linker,
                   catalogue: Catalogue, display: str, origin: str, found: Found) -> None:
    lines = text.split("\n")
    inside = {n for m in markers for n in range(m.begin_line, m.end_line + 1)}
    scopes = page_scopes(page, linker)
    blocks = list(page.blocks)
    heads = [i for i, b in enumerate(blocks) if isinstance(b, Heading)]
    for position, index in enumerate(heads):
        heading = blocks[index]
        assert isinstance(heading, Heading)
        stop_index = heads[position + 1] if position + 1 < len(heads) else len(blocks)
        stop_line = blocks[stop_index].line if stop_index < len(blocks) else len(lines) + 1
        kind = heading_kind(heading.inline, linker, catalogue)
        if kind is None:
            named = linker.mentions(heading.inline, words=True)
            if len(named) != 1:
                continue
            kind = "overview"  # a heading that names one object: its lead paragraphs
            lead_only = True
        else:
            lead_only = False
        body = [lines[n - 1] for n in range(heading.line + 1, min(stop_line, len(lines) + 1))
                if n not in inside]
        content = "\n".join(body).strip()
        if not content.strip() or all(not x.strip() or x.lstrip().startswith("<!--") for x in body):
            continue
        if kind not in CORPUS_KINDS:
            found.removed["table-section"] += 1
            continue
        obj = _section_object(scopes, blocks, index + 1, stop_index, linker)
        if obj is None:
            found.removed["no-object"] += 1
            continue
        if lead_only:
            content = _lead_prose(content)
            if not content:
                continue
        if page.format == "rst":
            content = rst_code_to_fences(content)
        found.items.append(LabeledItem(kind, obj, content, display, heading.line, origin))
