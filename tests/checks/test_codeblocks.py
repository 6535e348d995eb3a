"""Code blocks checked with `ast` against facts: keywords, required arguments, doctests."""

from __future__ import annotations

import pytest
from sections.sample_package import load_sample

from docgen_plugin.checks.codeblocks import (
    CodeBlock,
    check_block,
    check_code,
    code_blocks,
    doctest_source,
    iter_problems,
)


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    return load_sample(tmp_path_factory.mktemp("codeblocks"))


def kinds(code, facts):
    return [(p.kind, p.subject) for p in check_code(code, facts)]


def test_correct_calls_have_no_problems(facts):
    code = (
        "from pkg.models import TinyNet\nfrom pkg.config import TinyConfig\n"
        "config = TinyConfig(hidden_size=32, dropout=0.0)\n"
        "model = TinyNet(config, eps=1e-6)\n"
        "out = model(ids, attention_mask=None)\n"
        "out = model.forward(ids)\n"
    )
    assert kinds(code, facts) == []


def test_unknown_keyword_names_the_close_one(facts):
    problems = check_code("from pkg.models import TinyNet\nTinyNet(cfg, epsilon=1)\n", facts)
    assert [(p.kind, p.subject, p.line) for p in problems] == [("unknown-keyword", "epsilon", 2)]
    assert "did you mean `eps`?" in problems[0].message


def test_missing_required_argument(facts):
    assert kinds("from pkg.models import TinyNet\nTinyNet(eps=1.0)\n", facts) == [
        ("missing-argument", "config")
    ]


def test_too_many_positional_and_duplicates(facts):
    code = "import pkg.models as m\nm.TinyNet(c, 1e-5, 3)\nm.TinyNet(c, config=c)\n"
    assert kinds(code, facts) == [
        ("too-many-arguments", ""), ("duplicate-argument", "config")
    ]


def test_instances_and_constructors_are_followed(facts):
    code = (
        "from pkg.models import TinyNet\n"
        "model = TinyNet.from_pretrained('x')\n"
        "model(mask=None)\n"
    )
    assert kinds(code, facts) == [
        ("unknown-keyword", "mask"), ("missing-argument", "input_ids")
    ]


def test_dataclass_config_fields_are_the_keywords(facts):
    assert kinds("from pkg.config import TinyConfig\nTinyConfig(hidden=3)\n", facts) == [
        ("unknown-keyword", "hidden")
    ]


def test_names_without_import_are_found_when_unique(facts):
    assert kinds("TinyConfig(dropout_rate=0.1)\n", facts) == [("unknown-keyword", "dropout_rate")]


def test_unknown_calls_and_splats_are_left_alone(facts):
    code = "import torch\ntorch.zeros(3, nope=1)\nTinyNet(**kw)\nTinyNet(*a)\nTinyNet(...)\n"
    assert kinds(code, facts) == []


def test_block_that_does_not_parse_is_a_problem_not_a_crash(facts):
    problems = check_code("x = (\n", facts)
    assert [p.kind for p in problems] == ["syntax"]
    assert problems[0].line == 1


def test_doctest_blocks_map_lines_back(facts):
    code = (
        ">>> from pkg.models import scale\n"
        ">>> scale(\n"
        "...     2, factr=3)\n"
        "6\n"
        ">>> scale(1)\n"
        "2\n"
    )
    source, origin = doctest_source(code)
    assert source.splitlines()[2] == "    2, factr=3)"
    assert origin == [1, 2, 3, 5]
    problems = check_code(code, facts)
    assert [(p.kind, p.subject, p.line) for p in problems] == [("unknown-keyword", "factr", 2)]


def test_page_blocks_non_python_and_untagged(facts):
    page = (
        "# Page\n\n```bash\npip install x --flag\n```\n\n"
        "```\nsome output (\n```\n\n"
        "```python\nfrom pkg.models import scale\nscale(1, scaling=2)\n```\n"
    )
    blocks = code_blocks(page)
    assert [b.language for b in blocks] == ["bash", "", "python"]
    assert blocks[2].line == 12
    found = list(iter_problems(page, facts))
    assert [(b.line + p.line - 1, p.subject) for b, p in found] == [(13, "scaling")]
    assert check_block(CodeBlock("", "x = (\n", 1), facts) == []  # untagged: maybe not Python


def test_code_is_never_executed(facts, tmp_path):
    marker = tmp_path / "ran"
    code = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
    assert check_code(code, facts) == []
    assert not marker.exists()
