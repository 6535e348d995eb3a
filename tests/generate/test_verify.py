"""Verification of drafts: hand-written bad drafts are rejected (or escaped), good ones pass."""

from __future__ import annotations

import pytest
from sections.sample_package import load_sample

from docgen_plugin.generate.verify import same_value, verify_draft


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    return load_sample(tmp_path_factory.mktemp("verify"))


@pytest.fixture(scope="module")
def model(facts):
    return facts.get("pkg.models.TinyNet")


def reasons(text, model, facts):
    return [(r.code, r.subject) for r in verify_draft(text, model, facts).reasons]


GOOD = """`TinyNet` is a tiny network built from a `TinyConfig`; `eps` defaults to 1e-5 and
the config's `dropout` defaults to `0.1`. Call `model(input_ids)` with a `torch.Tensor`
of token ids, e.g. from a tokenizer. See [the config page](config.md#fields).

```python
from pkg.config import TinyConfig
from pkg.models import TinyNet

model = TinyNet(TinyConfig(hidden_size=32), eps=1e-6)
output = model(input_ids, attention_mask=None)
```
"""


def test_a_true_draft_passes(model, facts):
    outcome = verify_draft(GOOD, model, facts)
    assert outcome.ok, outcome.reasons
    assert outcome.text == GOOD


def test_invented_parameter_is_rejected(model, facts):
    assert reasons("Pass `use_flash=True` for speed.", model, facts) == [
        ("unknown-identifier", "use_flash")
    ]
    assert reasons("Set `model.num_experts` first.", model, facts) == [
        ("unknown-identifier", "model.num_experts")
    ]
    assert reasons("It wraps `pkg.models.TinyNett`.", model, facts) == [
        ("unknown-identifier", "pkg.models.TinyNett")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "`dropout` defaults to 0.2.",
        "The default value of `dropout` is 0.5.",
        "`eps` (default: 0.001) keeps it stable.",
        "Use dropout=0.3 by default.",
        "`dropout=0.25`",
    ],
)
def test_wrong_default_is_rejected(text, model, facts):
    assert [code for code, _ in reasons(text, model, facts)] == ["wrong-default"]


@pytest.mark.parametrize(
    "text",
    [
        "`dropout` defaults to 1e-1.",
        "`eps` defaults to 0.00001.",
        "`activation` defaults to gelu.",
        "`activation` defaults to `'gelu'`.",
        "`attention_mask` defaults to None.",
        "`hidden_size` has a default of 64.",
        "The size defaults to the hidden size of the config.",
    ],
)
def test_equal_defaults_in_other_spellings_pass(text, model, facts):
    assert reasons(text, model, facts) == []


def test_required_parameter_with_a_stated_default_is_rejected(model, facts):
    assert reasons("`config` defaults to None.", model, facts) == [("wrong-default", "config")]


def test_stale_keyword_in_a_code_block_is_rejected(model, facts):
    text = "```python\nfrom pkg.models import TinyNet\nmodel = TinyNet(config, epsilon=1e-5)\n```"
    assert reasons(text, model, facts) == [("code", "epsilon")]
    missing = "```python\nfrom pkg.models import TinyNet\nmodel = TinyNet(eps=1e-5)\n```"
    assert reasons(missing, model, facts) == [("code", "config")]


def test_code_block_that_does_not_parse_is_rejected_not_a_crash(model, facts):
    found = verify_draft("```python\nmodel = TinyNet(\n```", model, facts).reasons
    assert [r.code for r in found] == ["code"]
    assert "does not parse" in found[0].message


def test_invented_import_from_the_package_is_rejected(model, facts):
    text = "```python\nfrom pkg.models import TinyNetV2\n```"
    assert reasons(text, model, facts) == [("code", "pkg.models.TinyNetV2")]


def test_doctest_without_a_fence_is_checked(model, facts):
    text = "Example:\n\n>>> from pkg.models import scale\n>>> scale(factor=3.0)\n6.0\n"
    assert reasons(text, model, facts) == [("code", "x")]


def test_script_in_text_is_rejected_and_escaped(model, facts):
    outcome = verify_draft("Fast. <script>alert(1)</script>", model, facts)
    assert not outcome.ok
    assert {r.code for r in outcome.reasons} == {"html"}
    assert "<script>" not in outcome.text and "&lt;script>" in outcome.text


def test_prompt_injection_from_a_docstring_does_not_get_through(facts):
    evil = facts.get("pkg.models.Evil")
    # What a model that obeyed the docstring would write:
    outcome = verify_draft("`Evil` is a module. <img src=x onerror=alert(1)>", evil, facts)
    assert not outcome.ok
    assert "html" in {r.code for r in outcome.reasons}
    assert "<img" not in outcome.text


@pytest.mark.parametrize(
    "text",
    [
        "See [docs](https://example.com/x).",
        "See <https://example.com>.",
        "Visit https://example.com today.",
        "[click](javascript:alert(1))",
        "![x](http://tracker/p.png)",
    ],
)
def test_links_outside_the_project_are_rejected(text, model, facts):
    assert {r.code for r in verify_draft(text, model, facts).reasons} & {"link", "html"}


def test_empty_draft_is_rejected(model, facts):
    assert [r.code for r in verify_draft("  \n", model, facts).reasons] == ["empty"]


def test_same_value():
    assert same_value("1e-1", "0.1")
    assert same_value("'gelu'", '"gelu"')
    assert same_value("gelu", "'gelu'")
    assert same_value("(1, 2)", "(1,2)")
    assert same_value("nn.GELU()", "nn.GELU( )")
    assert not same_value("1", "True")
    assert not same_value("0.2", "0.1")


def spec(kind):
    from docgen_plugin.sections import build_catalogue

    return build_catalogue().spec(kind)


def test_echoed_instructions_are_rejected(model, facts):
    limitations = spec("limitations")
    near = "A short bullet list of limitations the facts support, and some more."
    echo = verify_draft(near, model, facts, section=limitations)
    assert "echo" in [r.code for r in echo.reasons]
    rules = verify_draft("Use only the facts given. Never invent parameters.", model, facts)
    assert "echo" in [r.code for r in rules.reasons]
    assert [r.code for r in verify_draft("Facts:\nobject: x", model, facts).reasons] == ["echo"]


def test_usage_needs_a_closed_python_example_of_the_object(model, facts):
    usage = spec("usage")
    assert verify_draft(GOOD, model, facts, section=usage).ok
    prose_only = verify_draft("Create it and call it.", model, facts, section=usage)
    assert [r.code for r in prose_only.reasons] == ["structure"]
    cut = "Use it:\n\n```python\nfrom pkg.models import TinyNet\nmodel = TinyNet(config)\n"
    assert [r.subject for r in verify_draft(cut, model, facts, section=usage).reasons] == ["fence"]


def test_imports_from_modules_the_code_does_not_use_are_rejected(model, facts):
    text = "```python\nimport math\nfrom PIL import Image\nimport tensorflow as tf\n```"
    assert reasons(text, model, facts) == [("code", "PIL"), ("code", "tensorflow")]


def test_headings_inside_a_draft_are_rejected(model, facts):
    assert reasons("Intro.\n\n# What does this code do?\n\nIt runs.", model, facts) == [
        ("structure", "heading")
    ]


def test_unknown_snake_and_camel_words_in_prose_are_rejected(model, facts):
    text = "It is written in TensorFlow and reads num_layers; built on PyTorch like TinyNet."
    assert reasons(text, model, facts) == [
        ("unknown-identifier", "TensorFlow"), ("unknown-identifier", "num_layers")
    ]
    assert reasons("It reads hidden_size and input_ids.", model, facts) == []


def test_exceptions_must_be_stated_by_the_code(model, facts):
    assert reasons("Raises `ValueError` if `eps` is negative.", model, facts) == []
    assert reasons("Raises `RuntimeError` on CPU.", model, facts) == [
        ("unknown-identifier", "RuntimeError")
    ]


@pytest.mark.parametrize(
    "text",
    ["The error handling section for `TinyNet` is:", "This usage section shows it.",
     "It is used like this:", "The facts are: it is small.", "The code is rejected.",
     "This is a two-to-four sentence overview of `TinyNet`.",
     "The original text was rejected because it talked about the task.",
     "It has inputs.\n\n| Input | Type |\n|---|---|\n| `x` | `int` |"],
)
def test_talk_about_the_task_a_dangling_lead_in_or_a_table_is_rejected(text, model, facts):
    assert {r.code for r in verify_draft(text, model, facts).reasons} == {"structure"}


def test_copying_the_quoted_docstring_back_is_an_echo(model, facts):
    text = "> A tiny network | with <b>bold</b> claims.\n>\nIt is small."
    assert "echo" in {r.code for r in verify_draft(text, model, facts).reasons}
    altered = "> A tiny network with claims.\nIt is small."
    assert "echo" in {r.code for r in verify_draft(altered, model, facts).reasons}


def test_numbers_the_facts_do_not_state_are_rejected(model, facts):
    assert reasons("It was released in 2017 with 35 layers.", model, facts) == [
        ("unknown-identifier", "2017"), ("unknown-identifier", "35")
    ]
    assert reasons("It has 64 hidden units and dropout 0.1; 1e-5 keeps it stable.", model,
                   facts) == []
