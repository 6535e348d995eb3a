"""Docgen's markers in Markdown pages: where drafts go, and what they were written from.

    <!-- docgen:begin object=pkg.Model section=usage facts=<hash> draft=<hash> status=draft -->
    ...text...
    <!-- docgen:end -->

`facts` is the context fingerprint of the object when the text was written (DG301 compares
it with today's); `draft` is the hash of the text docgen wrote, so an edit by a human is seen
(the text no longer hashes to it). `status=reviewed` marks text a human has taken over, and
`status=updated` text docgen edited for a code change out of a human's text (`--update`): it
stays the human's, to review. Such text is never overwritten without `force`. An empty pair
asks for a draft. Nothing outside the markers is touched, and pages are written atomically.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from docgen_plugin.errors import DocgenError, PathError
from docgen_plugin.files import is_read_only, path_error, write_user_file
from docgen_plugin.sections.catalogue import SECTIONS

_BEGIN = re.compile(r"^[ \t]*<!--[ \t]*docgen:begin\b(?P<attrs>.*?)-->[ \t]*\r?$")
_END = re.compile(r"^[ \t]*<!--[ \t]*docgen:end[ \t]*-->[ \t]*\r?$")
_ATTR = re.compile(r"([\w-]+)=(\"[^\"]*\"|\S+)")
_TITLES = {s.kind: s.title for s in SECTIONS}
HUMAN_STATUSES = ("reviewed", "updated")  # text a human owns, whatever its hash says

Action = Literal["written", "appended", "unchanged", "kept-edited"]


class MarkerError(DocgenError):
    """A page whose docgen markers do not pair up or lack `object`/`section`."""

    def __init__(self, message: str, path: str = "", line: int = 0) -> None:
        super().__init__(f"{path}:{line}: {message}" if path else message)
        self.path = path
        self.line = line


class DraftLike(Protocol):
    """What markers need of a draft (`drafting.Draft` has it)."""

    object: str
    section: str
    text: str
    facts: str


@dataclass(frozen=True)
class MarkerBlock:
    """One begin/end pair of a page; offsets index the page text, lines are 1-based."""

    object: str
    section: str
    facts: str | None
    draft: str | None
    status: str | None
    begin_line: int
    end_line: int
    start: int  # offset of the begin marker
    content_start: int
    content_end: int
    stop: int  # offset just past the end marker's line
    content: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.object, self.section)

    @property
    def is_empty(self) -> bool:
        """An empty pair asks for a draft."""
        return not self.content.strip()

    @property
    def is_edited(self) -> bool:
        """True when a human owns the text: reviewed, or changed since docgen wrote it."""
        if self.is_empty:
            return False
        if self.status in HUMAN_STATUSES:
            return True
        return self.draft is None or content_hash(self.content) != self.draft


@dataclass(frozen=True)
class WriteOutcome:
    """What writing one draft into a page did."""

    object: str
    section: str
    action: Action
    line: int = 0


def content_hash(text: str) -> str:
    """A hash of a section's text that ignores trailing spaces and surrounding blank lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").strip("\n").split("\n")]
    return hashlib.sha256("\n".join(lines).strip().encode()).hexdigest()[:12]


def parse_markers(text: str, path: str = "") -> list[MarkerBlock]:
    """Every marker pair of a page, in order; `MarkerError` when they do not pair up."""
    blocks: list[MarkerBlock] = []
    opened: tuple[dict[str, str], int, int, int] | None = None  # attrs, line, start, content
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        begin = _BEGIN.match(line.rstrip("\n"))
        if begin:
            if opened is not None:
                raise MarkerError(
                    f"docgen:begin inside the block opened on line {opened[1]}", path, number
                )
            attrs = {k: v.strip('"') for k, v in _ATTR.findall(begin.group("attrs"))}
            missing = [k for k in ("object", "section") if not attrs.get(k)]
            if missing:
                raise MarkerError(f"docgen:begin without {' and '.join(missing)}", path, number)
            opened = (attrs, number, offset, offset + len(line))
        elif _END.match(line.rstrip("\n")):
            if opened is None:
                raise MarkerError("docgen:end without a docgen:begin", path, number)
            attrs, first, start, content_start = opened
            blocks.append(
                MarkerBlock(
                    object=attrs["object"],
                    section=attrs["section"],
                    facts=attrs.get("facts"),
                    draft=attrs.get("draft"),
                    status=attrs.get("status"),
                    begin_line=first,
                    end_line=number,
                    start=start,
                    content_start=content_start,
                    content_end=offset,
                    stop=offset + len(line),
                    content=text[content_start:offset],
                )
            )
            opened = None
        offset += len(line)
    if opened is not None:
        raise MarkerError("docgen:begin without a docgen:end", path, opened[1])
    return blocks


def begin_marker(
    obj: str, section: str, facts: str, text: str, status: str = "draft"
) -> str:
    return (
        f"<!-- docgen:begin object={obj} section={section} facts={facts} "
        f"draft={content_hash(text)} status={status} -->"
    )


def render_block(
    draft: DraftLike, newline: str = "\n", name: str | None = None, status: str = "draft"
) -> str:
    """A whole marker pair holding a draft (without a trailing newline); `name` keeps the
    object as the page spells it."""
    body = draft.text.strip("\n")
    begin = begin_marker(name or draft.object, draft.section, draft.facts, body, status)
    lines = [begin, body, END_MARKER]
    return newline.join(lines).replace("\r\n", "\n").replace("\n", newline)


END_MARKER = "<!-- docgen:end -->"


def may_overwrite(block: MarkerBlock, draft: DraftLike, *, force: bool, update: bool) -> bool:
    """Edited text is kept unless forced, or unless `--update` is editing a stale block."""
    if force or not block.is_edited:
        return True
    return update and block.facts != draft.facts


def apply_drafts(
    text: str,
    drafts: Sequence[DraftLike],
    *,
    force: bool = False,
    update: bool = False,
    append: bool = True,
    canonical: Callable[[str], str] | None = None,
) -> tuple[str, list[WriteOutcome]]:
    """The page with each draft written into its marker pairs (appended when it has none).

    `canonical` maps an object name to its canonical path, so a block naming `pkg.Model`
    takes the draft for `pkg.models.Model`."""
    newline = "\r\n" if "\r\n" in text else "\n"
    blocks = parse_markers(text)
    name = canonical or (lambda n: n)
    by_key = {(name(d.object), d.section): d for d in drafts}
    outcomes: list[WriteOutcome] = []
    edits: list[tuple[int, int, str]] = []
    seen: set[tuple[str, str]] = set()
    for block in blocks:
        key = (name(block.object), block.section)
        draft = by_key.get(key)
        if draft is None:
            continue
        seen.add(key)
        if not may_overwrite(block, draft, force=force, update=update):
            outcomes.append(WriteOutcome(*block.key, "kept-edited", block.begin_line))
            continue
        old = text[block.start : block.stop]
        # an update of a human's text stays theirs; a forced overwrite is docgen's again
        status = "updated" if block.is_edited and not force else "draft"
        new = render_block(draft, newline, block.object, status)
        new += newline if old.endswith("\n") else ""
        if old == new:
            outcomes.append(WriteOutcome(*block.key, "unchanged", block.begin_line))
            continue
        edits.append((block.start, block.stop, new))
        outcomes.append(WriteOutcome(*block.key, "written", block.begin_line))
    for start, stop, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[stop:]
    missing = [d for d in drafts if (name(d.object), d.section) not in seen]
    if append and missing:
        text = _append(text, missing, {b.object for b in blocks}, newline)
        outcomes += [WriteOutcome(d.object, d.section, "appended") for d in missing]
    return text, outcomes


def _append(text: str, drafts: Iterable[DraftLike], objects: set[str], newline: str) -> str:
    parts: list[str] = []
    for draft in drafts:
        if draft.object not in objects:
            objects.add(draft.object)
            parts.append(f"## `{draft.object.rsplit('.', 1)[-1]}`")
        parts.append(f"### {_TITLES.get(draft.section, draft.section.title())}")
        parts.append(render_block(draft, newline))
    lead = "" if not text or text.endswith(newline * 2) else (newline if text.endswith(
        newline) else newline * 2)
    return text + lead + (newline * 2).join(parts) + newline


def read_page(path: Path) -> str:
    """A page's text exactly as stored (line endings kept); empty when it does not exist.
    `PathError` when it cannot be read, or is not UTF-8 (docgen would write it back as UTF-8)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""
    except OSError as error:
        raise path_error(error, "read", path) from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PathError(f"{path}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x}); docgen "
                        "writes pages as UTF-8 and leaves this one as it is: save it as UTF-8 "
                        "first", str(path)) from error


def write_page(path: Path, text: str) -> None:
    """Replace a page atomically: a reader or a crash never sees half a page. Its mode, owner
    and symlink stay (see `atomic_open`); `PathError` when it cannot be written."""
    write_user_file(path, text)


def check_writable_page(path: Path, *, force: bool) -> str | None:
    """Before any drafting: `PathError` when `--write PAGE` cannot or should not write the page
    (a folder, an unwritable folder, a read-only page without `force`); else the note to show
    when `force` writes a read-only page."""
    if path.is_dir():
        raise PathError(f"cannot write {path}: it is a folder; give the path of a page", str(path))
    folder = Path(os.path.realpath(path)).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # missing folders are made, inside the first one that exists
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PathError(f"cannot write {path}: its folder {folder} is not writable (a page is "
                        "replaced atomically, by a new file beside it); make the folder "
                        "writable", str(path))
    if not is_read_only(path):
        return None
    mode = f"{stat.S_IMODE(path.stat().st_mode):04o}"
    if not force:
        raise PathError(f"{path} is read-only (mode {mode}); make it writable (chmod u+w) or "
                        "give --force to write it anyway", str(path))
    return f"{path} is read-only (mode {mode}); --force writes it anyway, and the mode stays"
