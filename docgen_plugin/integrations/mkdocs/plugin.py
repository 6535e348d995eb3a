"""The MkDocs plugin: collect every draft a build needs, generate them in one batch, fill
pages, and log findings as warnings (under `mkdocs.plugins.docgen`, so `--strict` fails)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data

from docgen_plugin.errors import DocgenError
from docgen_plugin.integrations import core
from docgen_plugin.integrations.mkdocs.config import DocgenConfig
from docgen_plugin.settings import Settings

log = logging.getLogger("mkdocs.plugins.docgen")

# One loaded model per process, so `mkdocs serve` rebuilds do not reload it.
_GENERATORS: dict[tuple[str, str | None], Any] = {}


def _shared_generator(settings: Settings) -> Any:
    from docgen_plugin.generate.drafting import default_generator

    key = (settings.model, settings.adapter)
    if key not in _GENERATORS:
        # a local model (torch loads here, if at all) or a client of an inference server
        _GENERATORS[key] = default_generator(settings)
    return _GENERATORS[key]


class DocgenPlugin(BasePlugin[DocgenConfig]):
    """`plugins: [docgen]` in mkdocs.yml."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.build: core.BuildDrafts | None = None
        self.pages: dict[str, core.PageSource] = {}

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return config
        root = Path(config.config_file_path or ".").resolve().parent
        try:
            self.settings = core.docs_root_settings(
                root,
                packages=tuple(self.config.packages) or None,
                model=self.config.model,
                adapter=self.config.adapter,
                run_examples=self.config.run_examples or None,
                sections=tuple(self.config.sections) or None,
                select=tuple(self.config.check.select) or None,
                ignore=tuple(self.config.check.ignore) or None,
                cache_dir=self.config.cache_dir,
            )
        except (DocgenError, OSError) as error:  # one line, no traceback
            raise PluginError(f"docgen: invalid options: {core.user_message(error)}") from error
        if not self.settings.packages:
            raise PluginError("docgen: no `packages` to document; list them under the plugin")
        self.admonition = "admonition" in config.markdown_extensions
        from docgen_plugin.sections.catalogue import catalogue_from_settings

        try:
            self.catalogue = catalogue_from_settings(self.settings)  # once, not once per page
        except (DocgenError, OSError) as error:  # one line, no traceback
            raise PluginError(f"docgen: invalid options: {core.user_message(error)}") from error
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        if not self.config.enabled or self.settings is None:
            return files
        from docgen_plugin.facts.loader import load_facts

        try:
            facts = load_facts(list(self.settings.packages), self.settings)
        except (DocgenError, OSError) as error:  # one line, no traceback
            raise PluginError(f"docgen: {core.user_message(error)}") from error
        if self.config.autopages:
            self._add_autopages(files, config, facts)
        self.pages = {}
        for file in files.documentation_pages():
            source = self._page_source(file, Path(config.config_file_path).parent)
            if source is not None:
                self.pages[file.src_uri] = source
        try:
            if self.config.draft:
                generator = _shared_generator
                self.build, problems = core.draft_all(
                    list(self.pages.values()), facts, self.settings, generator=generator)
            else:
                self.build, problems = core.BuildDrafts(facts=facts), []
            findings = problems
            if self.config.check.enabled:
                findings += core.check_build(facts, self.pages.values(), self.settings)
        except (DocgenError, OSError) as error:  # one line, no traceback
            raise PluginError(f"docgen: {core.user_message(error)}") from error
        core.set_current_build(self.settings, self.build)  # for the griffe extension
        for finding in findings:
            log.warning("%s:%d: %s %s", finding.file, finding.line, finding.code, finding.message)
        return files

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        core.set_current_build(None, None)

    def _page_source(self, file: File, root: Path) -> core.PageSource | None:
        try:
            raw = file.content_string
        except (OSError, UnicodeDecodeError) as error:
            log.warning("%s: cannot read (%s)", file.src_uri, error)
            return None
        markdown, meta = get_data(raw)
        objects, sections = core.front_matter_objects(meta)
        shown = file.abs_src_path
        path = (Path(shown).resolve().relative_to(root.resolve()).as_posix()
                if shown and Path(shown).resolve().is_relative_to(root.resolve())
                else file.src_uri)
        return core.PageSource(path=path, text=markdown, objects=objects, sections=sections,
                               api=core.api_identifiers(markdown))

    def _add_autopages(self, files: Files, config: MkDocsConfig, facts: Any) -> None:
        catalogue = self.catalogue
        added = []
        for obj in sorted(facts.models, key=lambda o: o.name):
            if not obj.is_public or obj.name.startswith("_"):
                continue
            uri = f"{self.config.autopages_dir}/{obj.name}.md"
            if files.get_file_from_path(uri) is None:
                files.append(File.generated(config, uri, content=core.model_card_page(obj, catalogue)))
                added.append({obj.name: uri})
        if added and config.nav is not None:  # an explicit nav lists what it shows
            config.nav.append({"Models": added})

    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if not self.config.enabled or self.build is None:
            return markdown
        source = self.pages.get(page.file.src_uri)
        if source is None:
            return markdown
        catalogue = self.catalogue
        return _code_pipes_unescaped(core.fill_page(
            core.PageSource(source.path, markdown, source.objects, source.sections),
            self.build,
            label=self.config.draft_label,
            admonition=self.admonition,
            title_of=lambda kind: catalogue.spec(kind).title,
        ))


_CODE_SPAN = re.compile(r"`[^`\n]*`")


def _code_pipes_unescaped(markdown: str) -> str:
    """`\\|` inside code spans of table rows as `|`: GitHub's tables need the escape,
    Python-Markdown's (MkDocs) keep a code span whole and would show the backslash."""
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if line.lstrip().startswith("|") and "\\|" in line:
            lines[i] = _CODE_SPAN.sub(lambda m: m.group(0).replace("\\|", "|"), line)
    return "\n".join(lines)
