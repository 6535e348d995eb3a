"""Real `mkdocs build` runs with the plugin and a tiny real model."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sites import write_mkdocs_site

LABEL = "Draft — written by docgen from the code; review before publishing"


def mkdocs(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", *args], cwd=root,
                          capture_output=True, text=True, env=env, check=False)


def page_html(root: Path, name: str = "encoder") -> str:
    return (root / "site" / name / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_model_dir):
    root = write_mkdocs_site(tmp_path_factory.mktemp("site"), tiny_model_dir)
    result = mkdocs(root)
    assert result.returncode == 0, result.stderr
    return root


def test_drafts_and_tables_appear_labelled(built):
    html = page_html(built)
    assert LABEL in html
    assert 'class="admonition note"' in html
    # The parameters table is rendered from the code, not by the model, and carries no label.
    assert re.search(r"<td><code>hidden</code></td>\s*<td><code>int</code></td>", html)
    assert "<td>0.1</td>" in html or "<code>0.1</code>" in html


def test_generated_text_is_escaped(built):
    html = page_html(built)
    assert "<script>alert(1)</script>" not in html


def test_source_pages_are_not_touched(built):
    text = (built / "docs" / "encoder.md").read_text(encoding="utf-8")
    assert "docgen:begin object=pkg.model.Encoder section=overview -->\n<!-- docgen:end" in text


def test_second_build_loads_no_model(built):
    script = textwrap.dedent(f"""
        import sys
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        build(load_config({str(built / 'mkdocs.yml')!r}))
        print("TORCH", "torch" in sys.modules, "transformers" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=built, capture_output=True,
                            text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=False)
    assert "TORCH False False" in result.stdout, result.stderr


def test_strict_fails_on_stale_code_docs_and_passes_when_clean(tmp_path, tiny_model_dir):
    root = write_mkdocs_site(tmp_path, tiny_model_dir)
    assert mkdocs(root, "--strict").returncode == 0
    model = root / "pkg" / "model.py"
    model.write_text(model.read_text().replace("dropout: float = 0.1", "dropout: float = 0.3"))
    result = mkdocs(root, "--strict")
    assert result.returncode != 0
    assert "DG103" in result.stderr and "pkg/model.py" in result.stderr


def test_strict_fails_on_a_stale_reviewed_section(tmp_path, tiny_model_dir):
    page = textwrap.dedent("""\
        # Encoder

        <!-- docgen:begin object=pkg.model.Encoder section=overview facts=0000000000000000 status=reviewed -->
        The encoder, as a human wrote it.
        <!-- docgen:end -->
        """)
    root = write_mkdocs_site(tmp_path, tiny_model_dir, page=page)
    result = mkdocs(root, "--strict")
    assert result.returncode != 0 and "DG301" in result.stderr
    assert "The encoder, as a human wrote it." in page_html(root)


def test_unknown_and_mistyped_options_use_mkdocs_validation(tmp_path, tiny_model_dir):
    root = write_mkdocs_site(tmp_path, tiny_model_dir)
    config = root / "mkdocs.yml"
    text = config.read_text()
    config.write_text(text.replace("sections:", "sectoins:"))
    result = mkdocs(root, "--strict")  # MkDocs warns on unknown names; --strict makes it fatal
    assert result.returncode != 0 and "sectoins" in result.stderr
    config.write_text(text.replace("packages: [pkg]", "packages: [pkg]\n      autopages: maybe"))
    result = mkdocs(root)
    assert result.returncode != 0 and "autopages" in result.stderr


def test_autopages_and_front_matter(tmp_path, tiny_model_dir):
    page = "---\ndocgen:\n  objects: [Encoder]\n  sections: [parameters]\n---\n# Config\n"
    root = write_mkdocs_site(tmp_path, tiny_model_dir, page=page)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("packages: [pkg]", "packages: [pkg]\n      autopages: true"))
    assert mkdocs(root).returncode == 0
    card = (root / "site" / "models" / "Encoder" / "index.html").read_text(encoding="utf-8")
    assert "Overview" in card and LABEL in card
    assert "<code>dropout</code>" in page_html(root)


def test_two_builds_at_once_share_one_cache(tmp_path, tiny_model_dir):
    root = write_mkdocs_site(tmp_path, tiny_model_dir)
    (root / "mkdocs2.yml").write_text(
        (root / "mkdocs.yml").read_text().replace("site_name: test", "site_name: test\nsite_dir: site2"))
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(mkdocs, root)
        second = pool.submit(mkdocs, root, "-f", "mkdocs2.yml")
        results = [first.result(), second.result()]
    assert [r.returncode for r in results] == [0, 0], [r.stderr[-500:] for r in results]
    assert LABEL in page_html(root)
    assert LABEL in (root / "site2" / "encoder" / "index.html").read_text(encoding="utf-8")


def test_pipes_in_code_spans_of_tables_render_without_their_escape():
    import markdown

    from docgen_plugin.integrations.mkdocs.plugin import _code_pipes_unescaped

    page = "| Input | Type |\n|---|---|\n| `mask` | `Tensor \\| None` |\n\nText `a \\| b`.\n"
    html = markdown.markdown(_code_pipes_unescaped(page), extensions=["tables"])
    assert "<code>Tensor | None</code>" in html  # one cell, no backslash shown
    assert "Text `a \\| b`." in _code_pipes_unescaped(page)  # prose is left as written
