"""A griffe extension for mkdocstrings' API pages: drafts where docstrings are missing.

    plugins:
      - mkdocstrings:
          handlers:
            python:
              options:
                extensions:
                  - docgen_plugin.integrations.griffe

Beside the MkDocs plugin it reuses that build's drafts (collected before any page renders,
generated in the same batch); alone, it drafts every missing docstring of a package in one
batch, from the same cache.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import griffe

from docgen_plugin.integrations import core
from docgen_plugin.sections.render import escape_html

logger = logging.getLogger("mkdocs.plugins.docgen")


def _walk(obj: griffe.Object) -> Iterator[griffe.Object]:
    for member in obj.members.values():
        if member.is_alias:
            continue
        yield member  # type: ignore[misc]
        if isinstance(member, (griffe.Module, griffe.Class)):
            yield from _walk(member)  # type: ignore[arg-type]


def undocumented(pkg: griffe.Object) -> list[str]:
    """Paths of the public classes and functions that have no docstring."""
    return [
        obj.path for obj in _walk(pkg)
        if isinstance(obj, (griffe.Class, griffe.Function)) and obj.docstring is None
        and obj.is_public and not obj.name.startswith("_")
    ]


class DocgenExtension(griffe.Extension):
    """Fills missing docstrings with labelled, verified drafts (section `overview`)."""

    def __init__(self, model: str | None = None, adapter: str | None = None,
                 cache_dir: str | None = None, draft_label: str = core.DRAFT_LABEL) -> None:
        super().__init__()
        self.options = {"model": model, "adapter": adapter, "cache_dir": cache_dir}
        self.label = draft_label

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        from docgen_plugin.generate.drafting import DraftRequest, draft_sections

        paths = undocumented(pkg)
        if not paths:
            return
        state = core.current_build()
        if state is not None:
            settings, build = state
        else:
            from docgen_plugin.facts.loader import load_facts

            settings = core.docs_root_settings(Path.cwd(), **self.options)
            root = pkg.filepath[0] if isinstance(pkg.filepath, list) else pkg.filepath
            folder = root.parent if root.name == "__init__.py" else root
            build = core.BuildDrafts(facts=load_facts([folder], settings))
        wanted = [p for p in paths if build.facts.get(p) is not None]
        missing = [DraftRequest(p, "overview") for p in wanted if (p, "overview") not in build.drafts]
        if missing:
            for draft in draft_sections(build.facts, missing, settings):
                build.drafts[(draft.object, draft.section)] = draft
        for path in wanted:
            draft = build.drafts.get((path, "overview"))
            obj = pkg.get_member(path[len(pkg.path) + 1:]) if path != pkg.path else pkg
            if draft is None or obj is None:
                continue
            text = core.label_draft(escape_html(draft.text), self.label, admonition=True)
            obj.docstring = griffe.Docstring(text, parent=obj)
