"""The section catalogue per object kind and the deterministic renderers."""

from docgen_plugin.sections.behaviour import (
    render_built_from,
    render_errors,
    render_inputs,
    render_returns,
)
from docgen_plugin.sections.catalogue import (
    CATEGORY_SECTIONS,
    SECTIONS,
    SYNONYMS,
    Catalogue,
    SectionSpec,
    build_catalogue,
    catalogue_from_settings,
    category,
)
from docgen_plugin.sections.deterministic import render_table
from docgen_plugin.sections.render import (
    TODO,
    escape_html,
    fallback_text,
    related_config,
    render_configuration,
    render_parameters,
)
from docgen_plugin.sections.usage import render_usage

__all__ = [
    "CATEGORY_SECTIONS",
    "SECTIONS",
    "SYNONYMS",
    "TODO",
    "Catalogue",
    "SectionSpec",
    "build_catalogue",
    "catalogue_from_settings",
    "category",
    "escape_html",
    "fallback_text",
    "related_config",
    "render_built_from",
    "render_configuration",
    "render_errors",
    "render_inputs",
    "render_parameters",
    "render_returns",
    "render_table",
    "render_usage",
]
