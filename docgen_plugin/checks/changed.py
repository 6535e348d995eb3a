"""`docgen check --changed-since REF`: what a git diff touches, so only that is checked.

    git diff REF (+ untracked files) -> changed files -> Affected: objects, pages, config files

Facts still load for the whole tree (they are cached per file, and inheritance and page links
need all of them); rules then run only on the affected set, and give exactly the findings a
full run gives there (`Affected.covers` says which those are). Affected:

- every object, diagnostic, page and config file in a changed file;
- objects whose docs depend on an affected object: subclasses (inherited fields, forwarded
  `**kwargs` parameters, see `facts/link.py`), the methods of an affected class, objects whose
  config class (`related_config`) is affected, transitively;
- objects whose docstring examples name an affected object, or a class or function the diff
  removed (the example may now call something that is gone);
- pages that link or mention an affected object (`links.page_candidates`), whose code names
  one, that name a changed file (a config file a data block cites), and model cards
  (README.md) next to a changed file (their `config.json`);
- config files whose config class is affected.

A change to the settings file (`pyproject.toml` at the root) changes what every rule does:
then everything is checked (`affected_since` returns None).
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from docgen_plugin.checks.codeblocks import lookup_object
from docgen_plugin.checks.finding import Finding
from docgen_plugin.checks.pages.links import Linker, inlines, page_candidates
from docgen_plugin.checks.pages.model import Code, Page
from docgen_plugin.checks.pages.reader import read_page
from docgen_plugin.errors import SourceError
from docgen_plugin.facts.discover import CONFIG_SUFFIXES, module_name
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.sections.render import annotation_names, related_config
from docgen_plugin.settings import Settings

logger = logging.getLogger(__name__)

SETTINGS_FILES = ("pyproject.toml",)
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_REMOVED_DEFINITION = re.compile(r"^-\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.M)
_EXAMPLE_MARKS = (">>>", "```", "~~~", ".. code")

__all__ = ["Affected", "GitChanges", "affected_by", "affected_since", "git_changes"]


@dataclass(frozen=True)
class GitChanges:
    """What changed in the working tree since a git revision."""

    ref: str
    paths: frozenset[Path]  # absolute and resolved: committed, staged, unstaged and untracked
    removed_names: frozenset[str] = frozenset()  # classes and functions the diff removes


@dataclass(frozen=True)
class Affected:
    """What `docgen check --changed-since` checks. Paths are display paths, as findings name them."""

    files: frozenset[str]  # changed files
    objects: frozenset[str]  # objects whose rules run
    sources: frozenset[str]  # the source files of those objects
    pages: frozenset[str]  # pages to check
    config_files: frozenset[str]  # config files to check

    def covers_file(self, file: str) -> bool:
        """Whether every finding in `file` is reported (a changed file, a page, a config file)."""
        return file in self.files or file in self.pages or file in self.config_files

    def covers(self, finding: Finding) -> bool:
        """Whether a full run's finding is one a `--changed-since` run reports too."""
        return self.covers_file(finding.file) or (
            finding.obj in self.objects and finding.file in self.sources)


# --- git -----------------------------------------------------------------------------------------


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=False)
    except FileNotFoundError as error:
        raise SourceError("--changed-since needs git, which is not on PATH; install git or drop "
                          "--changed-since") from error


def git_changes(ref: str, folder: Path) -> GitChanges:
    """Files that differ between `ref` (its merge base with HEAD, where there is one) and the
    working tree, untracked ones included; SourceError outside a repository or for an unknown ref."""
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise SourceError(f"--changed-since {ref}: {folder} is not in a git repository; run docgen "
                          "in a clone of it, or drop --changed-since", str(folder))
    root = Path(top.stdout.strip())
    if _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise SourceError(f"--changed-since {ref}: unknown git revision; fetch it first (`git fetch "
                          "origin`; `fetch-depth: 0` in GitHub Actions) or name an existing commit", ref)
    # Changes on this branch only: a base that moved on is compared at the fork point.
    merge_base = _git(root, "merge-base", ref, "HEAD")
    base = merge_base.stdout.strip() if merge_base.returncode == 0 and merge_base.stdout.strip() else ref
    diff = _git(root, "diff", "--name-only", "--no-renames", "-z", base, "--")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    for result in (diff, untracked):
        if result.returncode != 0:
            raise SourceError(f"--changed-since {ref}: git failed: {result.stderr.strip()[:200]}", ref)
    names = [n for n in (diff.stdout + untracked.stdout).split("\0") if n]
    removed = _git(root, "diff", "-U0", "--no-renames", "--no-color", base, "--", "*.py")
    return GitChanges(
        ref=ref,
        paths=frozenset((root / n).resolve() for n in names),
        removed_names=frozenset(_REMOVED_DEFINITION.findall(removed.stdout)),
    )


# --- the affected set ----------------------------------------------------------------------------


def affected_since(
    ref: str, facts: Facts, pages: Iterable[tuple[Path, str]], settings: Settings
) -> Affected | None:
    """What changed since `ref` affects; None when the settings changed (check everything)."""
    changes = git_changes(ref, settings.root_path)
    settings_files = {(settings.root_path / name).resolve() for name in SETTINGS_FILES}
    if changes.paths & settings_files:
        logger.warning("the settings changed since %s: checking everything", ref)
        return None
    affected = affected_by(changes, facts, pages, settings)
    logger.info("%d files changed since %s: checking %d objects, %d pages, %d config files",
                len(changes.paths), ref, len(affected.objects), len(affected.pages),
                len(affected.config_files))
    return affected


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def affected_by(
    changes: GitChanges, facts: Facts, pages: Iterable[tuple[Path, str]], settings: Settings
) -> Affected:
    """The objects, pages and config files that `changes` affect (see the module docstring)."""
    root = settings.root_path
    changed = {_display(p, root) for p in changes.paths} | {p.as_posix() for p in changes.paths}
    modules = {module_name(p) for p in changes.paths if p.suffix == ".py"}
    objects = _dependents(facts, changed, modules)
    names = {o.name for o in facts.objects if o.path in objects and o.kind in ("class", "function")}
    names |= changes.removed_names
    objects |= _examples_naming(facts, objects, names)
    config_files = {c.file for c in facts.config_files if c.file in changed or (
        c.config_class and _path_of(lookup_object(facts, c.config_class)) in objects)}
    folders = {p.parent for p in changes.paths}
    return Affected(
        files=frozenset(changed),
        objects=frozenset(objects),
        sources=frozenset(o.file for o in facts.objects if o.path in objects),
        pages=frozenset(_pages(pages, facts, changed, objects, names, folders,
                               {p.name for p in changes.paths if p.suffix in CONFIG_SUFFIXES})),
        config_files=frozenset(config_files),
    )


def _path_of(obj: ObjectFacts | None) -> str | None:
    return obj.path if obj is not None else None


def _dependents(facts: Facts, changed: Collection[str], modules: Collection[str]) -> set[str]:
    """Objects in changed files, and every object whose facts or docs depend on one of them:
    subclasses (what they inherit), methods (their class), and objects built from an affected
    config class (`related_config`: what pages say they accept)."""
    users: dict[str, list[str]] = {}  # path -> objects that read it
    for obj in facts.objects:
        for used in (*obj.bases, *((obj.module,) if obj.kind == "method" else ())):
            users.setdefault(used, []).append(obj.path)
    annotated: dict[str, list[ObjectFacts]] | None = None  # built when a config class is reached
    todo = [o.path for o in facts.objects if o.file in changed]
    # a base that was in a changed module and is gone: its subclasses change too
    todo += [path for path in users if facts.get(path) is None
             and any(path.startswith(m + ".") for m in modules)]
    done: set[str] = set()
    while todo:
        path = todo.pop()
        if path in done:
            continue
        done.add(path)
        todo.extend(users.get(path, ()))
        obj = facts.get(path)
        if obj is not None and obj.is_config:
            annotated = _by_annotation(facts) if annotated is None else annotated
            todo.extend(o.path for o in annotated.get(obj.name, ()) if related_config(o, facts) is obj)
    return {p for p in done if facts.get(p) is not None}


def _by_annotation(facts: Facts) -> dict[str, list[ObjectFacts]]:
    """Classes and functions by the last part of each name their parameters' annotations hold."""
    index: dict[str, list[ObjectFacts]] = {}
    for obj in facts.objects:
        call = obj.call_signature if obj.kind in ("class", "function") else None
        for param in call.own_params if call is not None else ():
            for name in {n.rsplit(".", 1)[-1] for n in annotation_names(param.annotation)}:
                index.setdefault(name, []).append(obj)
    return index


def _mentions(text: str, names: Collection[str]) -> bool:
    """Whether `text` holds one of `names` as a whole identifier (few names: a substring test
    first, which is much faster than splitting every docstring into words)."""
    if len(names) <= 64 and not any(name in text for name in names):
        return False
    return not set(_IDENTIFIER.findall(text)).isdisjoint(names)


def _examples_naming(facts: Facts, objects: Collection[str], names: Collection[str]) -> set[str]:
    """Objects whose docstring examples name one of `names` (the call check reads those)."""
    return {obj.path for obj in facts.objects
            if obj.docstring is not None and obj.path not in objects
            and any(mark in obj.docstring.text for mark in _EXAMPLE_MARKS)
            and _mentions(obj.docstring.text, names)}


def _pages(
    pages: Iterable[tuple[Path, str]], facts: Facts, changed: Collection[str], objects: Collection[str],
    names: Collection[str], folders: Collection[Path], basenames: Collection[str],
) -> set[str]:
    linker: Linker | None = None
    found: set[str] = set()
    for path, display in pages:
        if display in changed:
            found.add(display)
            continue
        page, text = read_page(path, display)
        linker = linker or Linker(facts)
        if (any(o.path in objects for o in page_candidates(page, linker))
                or not _code_identifiers(page).isdisjoint(names)
                or any(name in text for name in basenames)
                or (path.name.lower() == "readme.md" and path.parent.resolve() in folders)):
            found.add(display)
    return found


def _code_identifiers(page: Page) -> set[str]:
    """Names in the page's code blocks and code spans: what its call checks look up."""
    texts: list[str] = [block.code for block in page.blocks if isinstance(block, Code)]
    for block in page.blocks:
        for inline in inlines(block):
            texts += [span.text for span in inline.codes]
    return {name for text in texts for name in _IDENTIFIER.findall(text)}


