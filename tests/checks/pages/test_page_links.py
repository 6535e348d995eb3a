"""Which object each block documents: certain links, and what is left uncertain."""

from __future__ import annotations

import textwrap

import pytest

from docgen_plugin.checks.pages.links import Linker, page_scopes
from docgen_plugin.checks.pages.markdown import read_markdown
from docgen_plugin.checks.pages.model import Table


@pytest.fixture(scope="module")
def linker(tiny_facts):
    return Linker(tiny_facts)


def table_scope(text, linker):
    page = read_markdown(textwrap.dedent(text).lstrip("\n"), "page.md")
    scopes = page_scopes(page, linker)
    scope = next(s for b, s in zip(page.blocks, scopes) if isinstance(b, Table))
    return [o.name for o in scope.objects], scope.certain, scope.section


TABLE = "\n| Name |\n|---|\n| `d_model` |\n"


def test_names_need_a_fully_qualified_or_unique_class_name(linker):
    assert linker.named("tinyformer.EncoderConfig").path == "tinyformer.config.EncoderConfig"
    assert linker.named("~tinyformer.config.EncoderConfig").name == "EncoderConfig"
    assert linker.named("EncoderConfig").name == "EncoderConfig"
    assert linker.named("load_config") is None  # a short name links classes only
    assert linker.named("tinyformer.load_config").name == "load_config"
    assert linker.named("forward") is None and linker.named("torch.nn.Linear") is None
    assert linker.named("EncoderConfig", code=False) is not None
    assert linker.named("TinyformerModel", code=False) is not None


def test_heading_names_the_object_and_the_section(linker):
    assert table_scope("## Parameters of `EncoderConfig`\n" + TABLE, linker) == (
        ["EncoderConfig"], True, "parameters")
    assert table_scope("## TinyTransformerEncoder options\n" + TABLE, linker) == (
        ["TinyTransformerEncoder"], True, "configuration")


def test_a_lead_in_ending_with_a_colon_beats_the_heading(linker):
    text = "## `TinyTransformerEncoder`\n\nFields of `tinyformer.config.EncoderConfig`:\n" + TABLE
    assert table_scope(text, linker)[:2] == (["EncoderConfig"], True)
    mention = "## `TinyTransformerEncoder`\n\nIt wraps `EncoderConfig` values.\n" + TABLE
    assert table_scope(mention, linker)[:2] == (["TinyTransformerEncoder"], True)


def test_markers_front_matter_and_api_blocks(linker):
    marker = ("<!-- docgen:begin object=tinyformer.ConvTokenizer section=parameters -->\n"
              + TABLE + "<!-- docgen:end -->\n")
    assert table_scope(marker, linker) == (["ConvTokenizer"], True, "parameters")
    front = "---\ndocgen:\n  objects: [tinyformer.EncoderConfig]\n---\n\n# Guide\n" + TABLE
    assert table_scope(front, linker)[:2] == (["EncoderConfig"], True)
    api = "::: tinyformer.EncoderConfig\n\n::: tinyformer.ConvTokenizer\n" + TABLE
    names, certain, _ = table_scope(api, linker)
    assert sorted(names) == ["ConvTokenizer", "EncoderConfig"] and not certain
