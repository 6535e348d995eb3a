"""The deterministic part of every section: what the facts render, never the model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from docgen_plugin.facts.call_sites import CallSite
from docgen_plugin.facts.model import Facts, ObjectFacts
from docgen_plugin.sections.behaviour import (
    render_built_from,
    render_errors,
    render_inputs,
    render_limitations,
)
from docgen_plugin.sections.catalogue import SectionSpec
from docgen_plugin.sections.render import render_configuration, render_parameters
from docgen_plugin.sections.usage import render_usage


def render_table(spec: SectionSpec, obj: ObjectFacts, facts: Facts | None = None,
                 sites: Mapping[str, Sequence[CallSite]] | None = None) -> str | None:
    """The part of a section the facts render (a table, a list, an example), or None."""
    if spec.table == "parameters":
        return render_parameters(obj, facts)
    if spec.table == "configuration":
        return render_configuration(obj, facts)
    if spec.table == "inputs":
        return render_inputs(obj, facts)
    if spec.table == "errors":
        return render_errors(obj, facts)
    if spec.table == "built-from":
        return render_built_from(obj, facts)
    if spec.table == "limitations":
        return render_limitations(obj, facts)
    if spec.table == "usage":
        return render_usage(obj, facts, sites)
    return None
