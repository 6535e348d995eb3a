"""Real `sphinx-build` runs with the extension and a tiny real model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sites import write_sphinx_site

LABEL = "Draft — written by docgen from the code; review before publishing"


def sphinx(root: Path, out: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-E", *args, "docs", out]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, env=env, check=False)


def body(html: str) -> str:
    """The rendered document without the parts that differ between builds."""
    start, end = html.find('<div class="body"'), html.find('<div class="sphinxsidebar"')
    return html[start:end]


@pytest.fixture(scope="module")
def site(tmp_path_factory, tiny_model_dir):
    root = write_sphinx_site(tmp_path_factory.mktemp("sphinx"), tiny_model_dir)
    result = sphinx(root, "out1", "-j", "1")
    assert result.returncode == 0, result.stderr
    return root


def test_directive_and_myst_page_get_drafts(site):
    index = (site / "out1" / "index.html").read_text(encoding="utf-8")
    assert LABEL in index and "docgen-draft" in index
    assert "<code" in index and "hidden" in index  # the parameters table, from the code
    page = (site / "out1" / "page.html").read_text(encoding="utf-8")
    assert LABEL in page


def test_generated_text_is_escaped(site):
    for name in ("index.html", "page.html"):
        assert "<script>alert(1)</script>" not in (site / "out1" / name).read_text(encoding="utf-8")


def test_parallel_build_gives_the_same_pages(site):
    result = sphinx(site, "out2", "-j", "2")
    assert result.returncode == 0, result.stderr
    for name in ("index.html", "page.html"):
        one = body((site / "out1" / name).read_text(encoding="utf-8"))
        two = body((site / "out2" / name).read_text(encoding="utf-8"))
        assert one == two and LABEL in one


def test_warnings_fail_with_W_and_can_be_suppressed(tmp_path, tiny_model_dir):
    root = write_sphinx_site(tmp_path, tiny_model_dir)
    assert sphinx(root, "out", "-W").returncode == 0
    model = root / "pkg" / "model.py"
    model.write_text(model.read_text().replace("dropout: float = 0.1", "dropout: float = 0.3"))
    result = sphinx(root, "out", "-W")
    assert result.returncode != 0 and "DG103" in result.stderr and "[docgen.DG103]" in result.stderr
    conf = root / "docs" / "conf.py"
    conf.write_text(conf.read_text() + 'suppress_warnings = ["docgen.DG103"]\n')
    assert sphinx(root, "out", "-W").returncode == 0


def test_setup_metadata():
    from docgen_plugin import __version__
    from docgen_plugin.integrations import sphinx as extension

    class App:
        def __init__(self):
            self.values, self.events = [], []

        def add_config_value(self, name, default, rebuild, types):
            self.values.append(name)

        def add_directive(self, name, cls):
            self.directive = name

        def connect(self, event, handler):
            self.events.append(event)

    app = App()
    meta = extension.setup(app)
    assert meta == {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
    assert "docgen_packages" in app.values and app.directive == "docgen"
