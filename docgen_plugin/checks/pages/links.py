"""Which object each block of a page documents, and how sure that is.

Certain links: a docgen marker pair or an RST object directive around the block, a heading
that names one object, the paragraph just before a table or list that names one object, or
a page that links exactly one object (front matter `docgen: {objects: [...]}`, `::: pkg.Obj`,
`.. autoclass::`). Otherwise the block gets the page's candidates (links and mentions), and
the rules pick among them only where the block's own names single one out.

An object is *named* by a code span holding its fully qualified name or a class name unique
among the loaded packages; a heading may also name a class in plain words when the name is a
CamelCase compound (`TinyTransformerEncoder`, not `Config`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from docgen_plugin.checks.codeblocks import lookup_object
from docgen_plugin.checks.pages.model import Block, Entry, Heading, Inline, Page, Paragraph, Table
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.sections.catalogue import SYNONYMS, normalise

_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
_CAMEL = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+")
_WORD = re.compile(r"[A-Za-z_][\w.]*")


@dataclass(frozen=True)
class Scope:
    """The objects a block may document; `certain` when the page says which one it is."""

    objects: tuple[ObjectFacts, ...] = ()
    certain: bool = False
    section: str | None = None  # catalogue kind of the section it is in ("parameters"...)
    key: int = 0  # blocks with the same key are in the same section about the same object

    @property
    def one(self) -> ObjectFacts | None:
        return self.objects[0] if self.certain and len(self.objects) == 1 else None


class Linker:
    """Names -> objects of the loaded packages, memoised (pages repeat names a lot)."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.roots = {o.path.split(".")[0] for o in facts.objects}
        # modules (and packages) that exist: every prefix of an object's path
        self.modules = {o.path.rsplit(".", i)[0] for o in facts.objects
                        for i in range(1, o.path.count(".") + 1)}
        self.short: dict[str, list[ObjectFacts]] = {}
        for obj in facts.objects:
            self.short.setdefault(obj.name, []).append(obj)
        self.memo: dict[tuple[str, bool], ObjectFacts | None] = {}

    def named(self, text: str, code: bool = True) -> ObjectFacts | None:
        """The class or function a code span (or heading word) names, if certain."""
        name = text.strip().lstrip("~!").removesuffix("()").strip()
        key = (name, code)
        if key not in self.memo:
            self.memo[key] = self._named(name, code)
        return self.memo[key]

    def _named(self, name: str, code: bool) -> ObjectFacts | None:
        if not _NAME.fullmatch(name):
            return None
        if "." in name:
            if name.split(".")[0] not in self.roots:
                return None
            found = lookup_object(self.facts, name)
            return found if found is not None and found.kind in ("class", "function") else None
        matches = [o for o in self.short.get(name, []) if o.kind == "class"]
        if len(matches) != 1 or len(self.short.get(name, [])) != 1:
            return None
        if not code and not _CAMEL.fullmatch(name):
            return None
        return matches[0]

    def mentions(self, inline: Inline, words: bool = False) -> list[ObjectFacts]:
        """Objects an inline names, in order, each once."""
        found: dict[str, ObjectFacts] = {}
        for span in inline.spans:
            if span.kind == "code":
                obj = self.named(span.text)
                if obj is not None:
                    found.setdefault(obj.path, obj)
            elif words:
                for word in _WORD.findall(span.text):
                    obj = self.named(word.rstrip("."), code=False)
                    if obj is not None:
                        found.setdefault(obj.path, obj)
        return list(found.values())

    def resolve(self, names: Iterable[str]) -> list[ObjectFacts]:
        found: dict[str, ObjectFacts] = {}
        for name in names:
            obj = self.named(name)
            if obj is not None:
                found.setdefault(obj.path, obj)
        return list(found.values())


def front_matter_objects(meta: Mapping[str, Any]) -> list[str]:
    block = meta.get("docgen") if isinstance(meta, Mapping) else None
    objects = block.get("objects") if isinstance(block, Mapping) else None
    if isinstance(objects, str):
        return [objects]
    return [str(o) for o in objects] if isinstance(objects, list) else []


_EDGE_WORDS = frozenset({"the", "of", "for", "a", "an", "its", "to"})


def heading_key(heading: Inline, linker: Linker, edge_words: frozenset[str] = _EDGE_WORDS) -> str:
    """A heading reduced for the synonym table, object names and edge words left out:
    "Parameters of `TinyNet`" -> "parameters"."""
    words: list[str] = []
    for span in heading.spans:
        if span.kind == "code":
            if linker.named(span.text) is None:
                words.append(span.text)
        else:
            words += [w for w in span.text.split() if linker.named(w.strip(".,:;"), code=False) is None]
    key = normalise(" ".join(words)).split()
    while key and key[0] in edge_words:
        key.pop(0)
    while key and key[-1] in edge_words:
        key.pop()
    return " ".join(key)


def section_kind(heading: Inline, linker: Linker) -> str | None:
    """The catalogue kind a heading names, object names left out: "Parameters of `TinyNet`"
    and "`TinyNet` options" are a parameters and a configuration section."""
    return SYNONYMS.get(heading_key(heading, linker))


def page_candidates(page: Page, linker: Linker) -> list[ObjectFacts]:
    """Everything a page links or mentions: the candidates of blocks without a certain link."""
    names = [*front_matter_objects(page.meta), *(link.object for link in page.links),
             *(region.object for region in page.regions)]
    found = {o.path: o for o in linker.resolve(names)}
    for block in page.blocks:
        for inline in inlines(block):
            for obj in linker.mentions(inline, words=isinstance(block, Heading)):
                found.setdefault(obj.path, obj)
    return list(found.values())


def inlines(block: Block) -> list[Inline]:
    if isinstance(block, (Heading, Paragraph)):
        return [block.inline]
    if isinstance(block, Entry):
        return [block.term, *block.body]
    if isinstance(block, Table):
        return [cell for row in block.rows for cell in row]
    return []


def page_scopes(page: Page, linker: Linker) -> list[Scope]:
    """One scope per block of the page, in order."""
    explicit = linker.resolve([*front_matter_objects(page.meta),
                               *(link.object for link in page.links),
                               *(region.object for region in page.regions)])
    candidates = tuple(page_candidates(page, linker))
    headings: list[tuple[int, list[ObjectFacts], str | None, int]] = []
    scopes: list[Scope] = []
    lead: list[ObjectFacts] = []  # what the paragraph before a run of tables/lists names
    for index, block in enumerate(page.blocks):
        if isinstance(block, Heading):
            while headings and headings[-1][0] >= block.level:
                headings.pop()
            named = linker.mentions(block.inline, words=True)
            headings.append((block.level, named, section_kind(block.inline, linker), index))
            scopes.append(Scope())
            lead = []
            continue
        prose = isinstance(block, Paragraph) and not block.item
        section = next((h[2] for h in reversed(headings) if h[2]), None)
        key = headings[-1][3] if headings else -1
        region = _innermost_region(page, block.line)
        in_heading = next((h[1] for h in reversed(headings) if h[1]), [])
        region_obj = linker.named(region[0]) if region is not None else None
        if region_obj is not None:
            scopes.append(Scope((region_obj,), True, region[1] or section, key))  # type: ignore[index]
        elif not prose and len(lead) == 1:
            scopes.append(Scope((lead[0],), True, section, key))
        elif len(in_heading) == 1:
            scopes.append(Scope((in_heading[0],), True, section, key))
        elif len(explicit) == 1 and not in_heading:
            scopes.append(Scope((explicit[0],), True, section, key))
        else:
            scopes.append(Scope(candidates, False, section, key))
        if prose:
            # "Fields of `pkg.EncoderConfig`:" introduces what follows; other prose does not
            introduces = block.inline.plain.rstrip().endswith(":")  # type: ignore[union-attr]
            lead = linker.mentions(block.inline) if introduces else []  # type: ignore[union-attr]
    return scopes


def _innermost_region(page: Page, line: int) -> tuple[str, str] | None:
    inside = [r for r in page.regions if line in r]
    if not inside:
        return None
    region = min(inside, key=lambda r: r.end - r.start)
    return region.object, region.section
