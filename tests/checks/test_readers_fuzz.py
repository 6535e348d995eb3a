"""Fuzzing the page readers (Markdown, RST) and the config readers (YAML/JSON/TOML).

Whatever the input — random text or bytes, deep nesting, huge tables, unclosed fences and
directives, binary files named `.md`, YAML alias bombs — reading and checking a page must not
raise and must not hang. Pathological inputs that are deterministic get a generous time bound
(measured on the 2-core machine: at most 0.9 s, for 50,000 `[` — markdown-it-py reads such
inline input at ~55k characters/s, linearly; pages over 1 MB are not read at all); random ones
only must not crash (3,000 + 2,000 extra random documents run by hand: at most 0.8 s).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docgen_plugin.checks.pages import check_page, read_page, read_page_text
from docgen_plugin.facts.config_files import ConfigFileError, parse_config_text
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)
BOUND_S = 10.0  # generous: ~10x the slowest case measured, so a busy CI machine cannot flake it


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    settings_ = Settings(root=str(EXAMPLES), cache_dir=str(tmp_path_factory.mktemp("fuzz-cache")),
                         exclude=("*legacy.py",))
    return load_facts(["tinyformer"], settings_), settings_


def check(text: str, path: str, env) -> float:
    facts, settings_ = env
    start = time.perf_counter()
    check_page(read_page_text(text, path), text, facts, settings_)
    return time.perf_counter() - start


# Markdown and RST made of the pieces the readers care about, in random order and nesting.
PIECES = st.sampled_from([
    "# `EncoderConfig`\n", "## Parameters\n", "| Name | Default |\n", "|---|---|\n",
    "| `d_model` | 64 |\n", "| `dropout` |\n", "```python\n", "```yaml\n", "```\n", "~~~\n",
    "TinyTransformerEncoder(d_model=3, x=\n", "d_model: [1, {a: *b}]\n", ">>> f(\n", "!!! note\n",
    "    ", "> ", "- ", "1. ", "`dropout` defaults to `0.1`.\n", "<!-- docgen: ignore[DG2",
    "-->\n", "<!-- docgen:begin object=tinyformer.EncoderConfig section=parameters -->\n",
    "<!-- docgen:end -->\n", "---\n", "docgen: {objects: [", "]}\n", "`term`\n", ":   body\n",
    "::: tinyformer.EncoderConfig\n", "```{code-block} python\n", ":linenos:\n", "\n", "\t",
    ".. code-block:: python\n", ".. autoclass:: tinyformer.EncoderConfig\n", "   :param x: y\n",
    "=====  =====\n", "a      b\n", ".. list-table::\n", "   * - ``a``\n", "     - 1\n",
    ".. docgen: ignore[DG201]\n", "Title\n=====\n", "+---+\n| a |\n", ":class:`~x.Y`",
    "\x00", "\ufeff", "\r\n", "é", "[[autodoc]] tinyformer.EncoderConfig\n",
])
DOCUMENTS = st.lists(PIECES, max_size=60).map("".join)


@FUZZ
@given(text=st.text(max_size=2000))
def test_random_text(text, env):
    check(text, "page.md", env)
    check(text, "page.rst", env)


@FUZZ
@given(text=DOCUMENTS)
def test_structured_documents(text, env):
    check(text, "page.md", env)
    check(text, "page.rst", env)
    check(text, "README.md", env)


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_bytes_named_md(data, env, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "fuzz.md"
    path.write_bytes(data)
    page, text = read_page(path, "fuzz.md")
    facts, settings_ = env
    check_page(page, text, facts, settings_)


@FUZZ
@given(text=st.text(max_size=500), fmt=st.sampled_from(["yaml", "json", "toml"]))
def test_config_readers_raise_only_their_error(text, fmt):
    with contextlib.suppress(ConfigFileError):
        parse_config_text(text, fmt)


TABLE = "## `EncoderConfig` fields\n\n| Name | Default |\n|---|---|\n"
PATHOLOGICAL = {
    "huge-table.md": TABLE + "".join(f"| `d_model` | {i} |\n" for i in range(5000)),
    "deep-quotes.md": "> " * 5000 + "`dropout` defaults to 1.\n",
    "deep-lists.md": "".join("  " * i + "- `x` (int): y\n" for i in range(1000)),  # 1 MB: the cap
    "brackets.md": "[" * 50000 + "\n",
    "unclosed-comments.md": "<!--" * 20000,
    "unclosed-fence.md": "```python\n" + "x = (\n" * 5000,
    "many-blocks.md": "Intro:\n\n```python\nEncoderConfig(d_modle=1)\n```\n\n" * 2000,
    "yaml-bomb.md": "# `EncoderConfig`\n\n```yaml\na: &a {x: 1, y: 1}\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} {{p: *{chr(97 + i)}, q: *{chr(97 + i)}}}\n"
        for i in range(22)) + "```\n",
    "deep-lists.rst": "".join("  " * i + "- x\n\n" for i in range(300)),
    "deep-quotes.rst": "".join(" " * i + "x\n\n" for i in range(500)),
    "huge-table.rst": "=====  =====\nName   Def\n=====  =====\n" + "".join(
        f"a{i}    {i}\n" for i in range(3000)) + "=====  =====\n",
    "unclosed-directive.rst": ".. code-block:: python\n\n" + "   x = (\n" * 3000,
    "nested-directives.rst": ".. a::\n  .. b::\n" * 3000,
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_pages_are_read_in_bounded_time(name, env):
    assert check(PATHOLOGICAL[name], name, env) < BOUND_S


@pytest.mark.parametrize("text", ["[" * 100_000, "a:\n" + "  - " * 5000 + "x\n", "x = " + "[" * 50_000])
def test_deep_config_files_are_errors_not_crashes(text):
    for fmt in ("yaml", "json", "toml"):
        with contextlib.suppress(ConfigFileError):
            parse_config_text(text, fmt)
