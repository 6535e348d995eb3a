"""Regression tests for the false positives found in the precision review
(benchmarks/page_precision.md): each case must stay quiet, and its close true case reported."""

from __future__ import annotations

import textwrap

import pytest
from pkgtools import settings_for, write_package

from docgen_plugin.checks.pages import check_page, read_page_text
from docgen_plugin.facts.loader import load_facts

PACKAGE = {
    "models/openai.py": '''
        class OpenAI:
            """Wrapper around the openai client."""

            def __init__(self, client, model_name=None):
                self.client = client
        ''',
    "base.py": '''
        from dataclasses import dataclass


        @dataclass
        class BaseConfig:
            """Base."""

            r: int = 8


        class Method:
            """A method with a constructor."""

            def __init__(self, adata, design, *, layer=None):
                self.adata = adata
        ''',
    "__init__.py": "from pkg.base import BaseConfig, Method\n",
    "linked.py": '''
        from dataclasses import dataclass

        from pkg.base import BaseConfig


        @dataclass
        class LinkedConfig(BaseConfig):
            """Derived through the canonical name."""

            alpha: int = 8
        ''',
    "derived.py": '''
        from dataclasses import dataclass

        from pkg import BaseConfig, Method


        @dataclass
        class DerivedConfig(BaseConfig):
            """Derived through the re-exported name."""

            alpha: int = 8


        class Edge(Method):
            """No constructor of its own."""

            def fit(self):
                return self
        ''',
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("precision")
    package = write_package(root, {k: textwrap.dedent(v) for k, v in PACKAGE.items()})
    settings = settings_for(root)
    facts = load_facts([package], settings)

    def check(code: str, language: str = "python") -> list[tuple[str, int, str]]:
        text = f"# Page\n\n```{language}\n{textwrap.dedent(code).strip()}\n```\n"
        page = read_page_text(text, "page.md")
        return [(f.code, f.line - 3, f.subject) for f in check_page(page, text, facts, settings)]

    return check


def test_other_libraries_with_the_same_name_are_not_ours(run):
    assert run("import openai\nclient = openai.OpenAI(base_url='x')") == []
    assert run("from pkg.models.openai import OpenAI\nOpenAI(base_url='x')") == [
        ("DG204", 2, "base_url"), ("DG204", 2, "client")]


def test_an_inherited_constructor_takes_its_positional_arguments(run):
    assert run("from pkg.derived import Edge\nEdge(adata, design='~x')") == []
    assert run("from pkg.base import Method\nMethod(1, 2, 3)") == [("DG204", 2, "too-many-arguments")]


def test_fields_inherited_through_a_reexported_base_are_not_unknown(run):
    assert run("from pkg.derived import DerivedConfig\nDerivedConfig(r=4, alpha=2)") == []
    assert run("from pkg.linked import LinkedConfig\nLinkedConfig(r=4, alpah=2)") == [("DG204", 2, "alpah")]


def test_doctest_output_starting_with_dots_is_not_code(run):
    session = """
        >>> from pkg.base import Method
        >>> [Method(1, 2) for _ in range(9)]
        [<Method>,
        ...]
        >>> Method(1, 2,
        ...     layr=2)
        """
    assert run(session, "pycon") == [("DG204", 5, "layr")]


def test_placeholders_are_names_and_real_errors_keep_their_line(run):
    assert run("model = <your_model>\nmodel('hi')") == []
    assert run("model = <your_model>\nfor x in model('hi')\n    print(x)") == [
        ("DG006", 2, "expected ':'")]


def test_proposals_and_output_are_not_checked(run):
    assert run("from pkg.future import OpenAI\nOpenAI(url='x')") == []
    assert run("Traceback (most recent call last):\n  File 'x', line 1\nValueError: bad") == []
    assert run("ValueError: d_model must be divisible by (") == []


def test_one_mistake_one_finding(run):
    # a misspelt required keyword is not also a missing argument
    assert run("from pkg.models.openai import OpenAI\nOpenAI(clent=1)") == [("DG204", 2, "clent")]
    # missing arguments of one call are one finding
    assert run("from pkg.base import Method\nMethod()") == [("DG204", 2, "adata,design")]


def test_tables_docgen_renders_pass_the_page_rules(tmp_path):
    """Parameter, inputs and configuration tables rendered from the facts, in their marker
    sections, give no finding (a model's configuration table lists its config's fields)."""
    from sections.sample_package import load_sample

    from docgen_plugin.sections import render_configuration, render_inputs, render_parameters

    facts = load_sample(tmp_path)
    parts = ["# Models", ""]
    for name in ("pkg.models.TinyNet", "pkg.config.TinyConfig", "pkg.models.Evil", "pkg.models.scale"):
        obj = facts.get(name)
        for section, render in (("parameters", render_parameters), ("inputs", render_inputs),
                                ("configuration", render_configuration)):
            body = render(obj) if render is render_parameters else render(obj, facts)
            parts += [f"## {section.title()}", "",
                      f"<!-- docgen:begin object={name} section={section} -->", body,
                      "<!-- docgen:end -->", ""]
    text = "\n".join(parts)
    assert check_page(read_page_text(text, "models.md"), text, facts, settings_for(tmp_path)) == []
