"""The Sphinx extension: `extensions = ["docgen_plugin.integrations.sphinx"]`.

Drafts are generated once per build, in the main process before documents are read, so
`-j N` workers only read them (from memory or the draft cache). Findings are warnings of
type `docgen` with the rule code as subtype: `-W` fails the build, and
`suppress_warnings = ["docgen.DG203"]` silences one rule.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from docgen_plugin import __version__
from docgen_plugin.errors import DocgenError
from docgen_plugin.integrations import core

logger = logging.getLogger(__name__)

# (name, default, rebuild, types): the MkDocs plugin's options, with a `docgen_` prefix.
CONFIG_VALUES: tuple[tuple[str, Any, str, tuple[type, ...]], ...] = (
    ("docgen_enabled", True, "env", (bool,)),
    ("docgen_packages", [], "env", (list, tuple)),
    ("docgen_model", None, "env", (str, type(None))),  # None: [tool.docgen]'s
    ("docgen_adapter", None, "env", (str, type(None))),
    ("docgen_sections", [], "env", (list, tuple)),
    ("docgen_check", True, "env", (bool,)),
    ("docgen_select", [], "env", (list, tuple)),
    ("docgen_ignore", [], "env", (list, tuple)),
    ("docgen_cache_dir", None, "env", (str, type(None))),
    ("docgen_draft_label", core.DRAFT_LABEL, "html", (str,)),
    ("docgen_draft", True, "env", (bool,)),
    ("docgen_run_examples", False, "env", (bool,)),
)

# `.. docgen:: pkg.Model` / ```{docgen} pkg.Model``` and their `:sections:` option.
_DIRECTIVE = re.compile(
    r"^(?:\.\.\s+docgen::|```+\s*\{docgen\})\s*(?P<object>\S+)[ \t]*\n"
    r"(?P<options>(?:[ \t]*:[\w-]+:.*\n)*)", re.M,
)
_SECTIONS = re.compile(r":sections:\s*(?P<list>.+)")


def _settings(app: Sphinx) -> Any:
    config = app.config
    confdir = Path(app.confdir)
    packages = tuple(
        str((confdir / p).resolve()) if (confdir / p).exists() else p
        for p in config.docgen_packages
    )
    return core.docs_root_settings(
        confdir,
        packages=packages or None,
        model=config.docgen_model,
        adapter=config.docgen_adapter,
        run_examples=config.docgen_run_examples or None,
        sections=tuple(config.docgen_sections) or None,
        select=tuple(config.docgen_select) or None,
        ignore=tuple(config.docgen_ignore) or None,
        cache_dir=config.docgen_cache_dir,
    )


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in re.split(r"[,\s]+", text) if s.strip())


def _pages(env: BuildEnvironment) -> tuple[list[core.PageSource], list[core.PageSource]]:
    """Directive requests, and every page's text (markers, DG2xx and DG301 checks)."""
    requests, pages = [], []
    for docname in sorted(env.found_docs):
        path = Path(env.doc2path(docname))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for index, match in enumerate(_DIRECTIVE.finditer(text)):
            found = _SECTIONS.search(match.group("options"))
            requests.append(core.PageSource(
                path=f"{docname}#{index}", text="", objects=(match.group("object"),),
                sections=_split_list(found.group("list")) if found else (),
            ))
        if path.suffix in (".md", ".rst"):
            pages.append(core.PageSource(path=str(path), text=text))
    return requests, pages


def _before_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    if not app.config.docgen_enabled:
        return
    from docgen_plugin.facts.loader import load_facts

    try:
        settings = _settings(app)
        facts = load_facts(list(settings.packages), settings)
        directive_pages, markdown_pages = _pages(env)
        build, problems = core.draft_all(
            [*directive_pages, *markdown_pages], facts, settings
        ) if app.config.docgen_draft else (core.BuildDrafts(facts=facts), [])
        findings = problems
        if app.config.docgen_check:
            findings += core.check_build(facts, markdown_pages, settings)
    except (DocgenError, OSError) as error:  # one line, no traceback
        raise ExtensionError(f"docgen: {core.user_message(error)}") from error
    app._docgen = (settings, build)  # type: ignore[attr-defined]  # read by directives
    for finding in findings:
        location = finding.file if Path(finding.file).is_absolute() else str(
            Path(settings.root_path, finding.file))
        logger.warning("%s %s", finding.code, finding.message, location=f"{location}:{finding.line}",
                       type="docgen", subtype=finding.code)


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    """Fill docgen markers of MyST pages (a blockquote label: valid in any Markdown)."""
    state = getattr(app, "_docgen", None)
    if state is None or not str(app.env.doc2path(docname)).endswith(".md"):
        return
    _, build = state
    page = core.PageSource(path=str(app.env.doc2path(docname)), text=source[0])
    source[0] = core.fill_page(page, build, label=app.config.docgen_draft_label,
                               admonition=False)


class DocgenDirective(SphinxDirective):
    """`.. docgen:: pkg.Model` with `:sections: overview, usage` (default: the catalogue's)."""

    required_arguments = 1
    has_content = False
    option_spec = {"sections": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        from docgen_plugin.generate.drafting import DraftRequest, draft_sections
        from docgen_plugin.sections.catalogue import catalogue_from_settings

        state = getattr(self.env.app, "_docgen", None)
        if state is None:
            return [self.state.document.reporter.warning(
                "docgen: the extension did not prepare drafts (is docgen_enabled False?)",
                line=self.lineno)]
        settings, build = state
        name = self.arguments[0]
        obj = build.facts.find(name)
        if obj is None:
            logger.warning("unknown object `%s`", name, location=self.get_location(),
                           type="docgen", subtype="DG302")
            return []
        catalogue = catalogue_from_settings(settings)
        wanted = _split_list(self.options.get("sections", "")) or tuple(
            s.kind for s in catalogue.sections_for(obj))
        kinds = [catalogue.spec(s).kind for s in wanted]
        missing = [DraftRequest(obj.path, k) for k in kinds
                   if (name, k) not in build.drafts and (obj.path, k) not in build.drafts]
        if missing:  # not prepared (e.g. a page added while reading): cached or generated now
            for draft in draft_sections(build.facts, missing, settings):
                build.drafts[(obj.path, draft.section)] = draft
        out: list[nodes.Node] = []
        for kind in kinds:
            draft = build.drafts.get((name, kind)) or build.drafts.get((obj.path, kind))
            out.append(nodes.rubric(text=catalogue.spec(kind).title))
            out.extend(self._draft_nodes(draft))
        return out

    def _draft_nodes(self, draft: Any) -> list[nodes.Node]:
        from docgen_plugin.integrations.md_nodes import markdown_to_nodes

        body = markdown_to_nodes(draft.text)
        if draft.status == "deterministic":
            return body
        box = nodes.admonition(classes=["note", "docgen-draft"])
        box += nodes.title(text=self.config.docgen_draft_label)
        box.extend(body)
        return [box]


def setup(app: Sphinx) -> dict[str, Any]:
    for name, default, rebuild, types in CONFIG_VALUES:
        app.add_config_value(name, default, rebuild, types=types)
    app.add_directive("docgen", DocgenDirective)
    app.connect("env-before-read-docs", _before_read)
    app.connect("source-read", _source_read)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
