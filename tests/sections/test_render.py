"""Deterministic renderers: tables from facts, escaping, fallbacks that pass verification."""

from __future__ import annotations

import ast

import pytest
from sections.sample_package import load_sample

from docgen_plugin.facts.model import ConfigField, ObjectFacts, Param, Signature
from docgen_plugin.generate.verify import verify_draft
from docgen_plugin.sections import (
    TODO,
    build_catalogue,
    escape_html,
    fallback_text,
    render_configuration,
    render_inputs,
    render_parameters,
)
from docgen_plugin.sections.render import cell_code, cell_text, example_code


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    return load_sample(tmp_path_factory.mktemp("render"))


def test_parameter_table_comes_from_facts(facts):
    table = render_parameters(facts.get("pkg.models.TinyNet"))
    assert table.splitlines()[:4] == [
        "| Name | Type | Default | Description |",
        "|---|---|---|---|",
        "| `config` | `TinyConfig` | required | The configuration. |",
        "| `eps` | `float` | `1e-5` | Epsilon added for numerical stability. |",
    ]


def test_missing_docs_and_annotations_are_visible_todos(facts):
    table = render_parameters(facts.get("pkg.models.scale"))
    assert "| `x` | *not annotated* | required |" in table
    assert f"**{TODO}:** describe `x`" in table


def test_config_table_of_a_model_is_its_config_class(facts):
    table = render_configuration(facts.get("pkg.models.TinyNet"), facts)
    assert table.startswith("Fields of `pkg.config.TinyConfig`:")
    assert "| `dropout` | `float` | `0.1` | Dropout probability. |" in table
    assert "| `activation` | `str` | `'gelu'` | Name of the activation. |" in table


def test_inputs_table_uses_forward_and_its_docstring(facts):
    text = render_inputs(facts.get("pkg.models.TinyNet"), facts)
    assert "| `input_ids` | `torch.Tensor` | required | Token ids of shape (batch, seq_len). |" in text
    assert "| `attention_mask` | `torch.Tensor \\| None` | `None` |" in text
    assert "**Return annotation:** `torch.Tensor`" in text
    assert "returns `input_ids`" not in text  # naming a variable says nothing: left out


def test_cells_escape_pipes_html_and_newlines():
    assert cell_text("a | b <script>x</script>\nnext") == "a \\| b &lt;script>x&lt;/script> next"
    assert cell_code("int | None") == "`int \\| None`"
    assert cell_code("`odd`") == "`` `odd` ``"


def test_table_rendering_is_deterministic_and_escaped():
    obj = ObjectFacts(
        path="pkg.Cfg", kind="class", file="x.py", line=1, end_line=2, config_kind="dataclass",
        fields=(ConfigField("mode", "str", "'a|b'", "Pick <em>one</em> | two"),),
    )
    first = render_configuration(obj)
    assert first == render_configuration(obj)
    assert "| `mode` | `str` | `'a\\|b'` | Pick &lt;em>one&lt;/em> \\| two |" in first


def test_escape_html_leaves_code_alone():
    text = "a <b>x</b> `<b>` and\n```html\n<div>\n```\n> quote"
    assert escape_html(text) == "a &lt;b>x&lt;/b> `<b>` and\n```html\n<div>\n```\n> quote"


def test_fallbacks_are_true_escaped_and_carry_a_todo(facts):
    catalogue = build_catalogue()
    model = facts.get("pkg.models.TinyNet")
    for spec in catalogue.sections_for(model):
        if spec.deterministic:
            continue
        text = fallback_text(spec, model, facts)
        assert TODO in text
        assert "<b>" not in text  # the docstring's HTML is escaped
        assert verify_draft(text, model, facts).ok, (spec.kind, text)
    overview = fallback_text(catalogue.spec("overview"), model, facts)
    assert overview.startswith("`TinyNet` is a model class (a subclass of `torch.nn.Module`).")
    errors = fallback_text(catalogue.spec("errors"), model, facts)
    assert errors.startswith("The docstring states:\n\n- ")
    assert "If `eps` is negative." in errors


def test_example_code_parses_and_passes_required_arguments(facts):
    code = example_code(facts.get("pkg.models.TinyNet"), facts)
    ast.parse(code)
    assert "from pkg.models import TinyNet" in code
    assert "model = TinyNet(config=...)" in code
    assert "output = model(input_ids=...)" in code


def test_function_without_params():
    obj = ObjectFacts(path="pkg.f", kind="function", file="x.py", line=1, end_line=1,
                      signatures=(Signature("f", (Param("self"),)),))
    assert render_parameters(obj) == "`f` takes no parameters."
