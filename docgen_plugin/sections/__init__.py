"""The section catalogue per object kind and the deterministic renderers."""

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
from docgen_plugin.sections.render import (
    TODO,
    escape_html,
    fallback_text,
    related_config,
    render_configuration,
    render_inputs,
    render_parameters,
    render_table,
)

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
    "render_configuration",
    "render_inputs",
    "render_parameters",
    "render_table",
]
