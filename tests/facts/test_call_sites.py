"""Calls of loaded objects found in a project's tests, examples and pages, with the lines
their arguments need, so that a usage section can show a real call that runs."""

from __future__ import annotations

import textwrap

from pkgtools import facts_of

from docgen_plugin.facts.call_sites import find_call_sites

MODEL = '''
from torch import nn


class Net(nn.Module):
    """A net."""

    def __init__(self, edge_index, width: int, depth: int = 2):
        super().__init__()
'''

TESTS = '''
import argparse

import pytest
import torch

from pkg.model import Net


@pytest.mark.parametrize("depth", [3, 4])
def test_net(device, depth):
    edge_index = torch.tensor([[0, 1], [1, 0]], device=device)
    kwargs = dict(width=8)
    model = Net(edge_index, depth=depth, **kwargs).to(device)


def test_cli():
    args = argparse.ArgumentParser().parse_args()
    model = Net(torch.zeros(2, 2), width=args.width)


def test_wrong_keyword():
    Net(torch.zeros(2, 2), widht=3)
'''


def test_a_test_call_comes_with_the_lines_it_needs(tmp_path):
    facts = facts_of(tmp_path, {"model.py": MODEL})
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_net.py").write_text(textwrap.dedent(TESTS), encoding="utf-8")
    sites = find_call_sites(tmp_path, facts, {"pkg.model.Net"})["pkg.model.Net"]
    # argparse is not an example's input (its call only lends its literals); a wrong keyword
    # is no call of `Net` at all
    assert [(s.line, s.complete) for s in sites] == [(14, True), (19, False)]
    site = sites[0]
    assert (site.file, site.line) == ("tests/test_net.py", 14)
    assert site.code == "Net(edge_index, depth=depth, **kwargs)"
    assert site.setup == (
        "from pkg.model import Net",
        "import torch",
        "edge_index = torch.tensor([[0, 1], [1, 0]])",  # on the default device
        "depth = 3",  # the first parametrized value
        "kwargs = dict(width=8)",
    )
    namespace = {"Net": lambda edge_index, width, depth=2: (edge_index.shape, width, depth)}
    exec("\n".join((*site.setup[1:], f"result = {site.code}")), namespace)
    assert namespace["result"] == ((2, 2), 8, 3)


def test_calls_in_pages_use_the_imports_of_earlier_blocks(tmp_path):
    facts = facts_of(tmp_path, {"model.py": MODEL})
    page = "# Use\n\n```python\nfrom pkg.model import Net\n```\n\n```python\nNet([[0]], width=4)\n```\n"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(page, encoding="utf-8")
    sites = find_call_sites(tmp_path, facts, {"pkg.model.Net"})["pkg.model.Net"]
    assert [(s.file, s.line, s.code) for s in sites] == [("docs/index.md", 8, "Net([[0]], width=4)")]


USED = '''
import torch
from pkg.model import Net


def test_forward():
    net = Net(torch.zeros(2, 2), width=8)
    x = torch.randn(3, 8)
    scale = 2
    out = net(x * scale)
    assert out.shape == (3, 8)


def test_rebound():
    net = Net(torch.zeros(2, 2), width=8)
    net = net.half()
    net(torch.randn(3, 8))


def test_on_device(device):
    inp = torch.ones(1, 8, device=device)
    net = Net(torch.zeros(2, 2), width=8).to(device)
    net.eval()
    out = net(inp)
'''


def test_the_scope_s_first_call_of_what_it_built_comes_along(tmp_path):
    """A usage example that shows the object used: `out = net(x * scale)` and the lines its
    arguments need, under the test's own name for the instance."""
    from docgen_plugin.sections.usage import usage_candidates

    facts = facts_of(tmp_path, {"model.py": MODEL})
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_used.py").write_text(USED, encoding="utf-8")
    sites = find_call_sites(tmp_path, facts, {"pkg.model.Net"})["pkg.model.Net"]
    first, rebound, on_device = sorted(sites, key=lambda s: s.line)
    # a test's device fixture: the example runs on the default device, `eval()` kept
    assert on_device.then == ("import torch", "inp = torch.ones(1, 8)", "net.eval()", "out = net(inp)")
    assert first.bound_as == "net"
    assert first.then == ("import torch", "x = torch.randn(3, 8)", "scale = 2", "out = net(x * scale)")
    assert rebound.then == ()  # `net = net.half()` first: what is called is not what was built
    code = usage_candidates(facts.get("pkg.model.Net"), facts, {"pkg.model.Net": [first]})[0].code
    assert code.splitlines()[-4:] == ["net = Net(torch.zeros(2, 2), width=8)", "x = torch.randn(3, 8)",
                                      "scale = 2", "out = net(x * scale)"]


def test_a_call_through_the_packages_reexport_is_found(tmp_path):
    # `from pkg import Net`, as READMEs write it, names `pkg.model.Net` re-exported by __init__,
    # though another module defines a `Net` too (the name alone is ambiguous)
    facts = facts_of(tmp_path, {"model.py": MODEL, "other.py": "class Net:\n    pass\n",
                                "__init__.py": "from .model import Net\n"})
    assert facts.find("pkg.Net") is facts.get("pkg.model.Net")
    assert facts.find("pkg.Other") is None
    (tmp_path / "README.md").write_text(textwrap.dedent('''
        ```python
        import torch
        from pkg import Net

        net = Net(torch.zeros(2, 2), width=8)
        ```
    '''), encoding="utf-8")
    sites = find_call_sites(tmp_path, facts, {"pkg.model.Net"})["pkg.model.Net"]
    assert [(s.file, s.code, s.complete) for s in sites] == [
        ("README.md", "Net(torch.zeros(2, 2), width=8)", True)]
    assert "from pkg import Net" in sites[0].setup


def test_a_call_whose_result_is_then_called_comes_before_a_shorter_one(tmp_path):
    facts = facts_of(tmp_path, {"model.py": MODEL})
    (tmp_path / "README.md").write_text(textwrap.dedent('''
        ```python
        import torch
        from pkg.model import Net

        net = Net(torch.zeros(2, 2), width=8, depth=3)
        out = net(torch.zeros(4, 8))
        ```

        ```python
        import torch
        from pkg.model import Net

        net = Net(torch.zeros(2, 2), width=8)
        ```
    '''), encoding="utf-8")
    sites = find_call_sites(tmp_path, facts, {"pkg.model.Net"})["pkg.model.Net"]
    assert [s.code for s in sites] == ["Net(torch.zeros(2, 2), width=8, depth=3)",
                                       "Net(torch.zeros(2, 2), width=8)"]
    assert sites[0].then[-1] == "out = net(torch.zeros(4, 8))" and not sites[1].then


def test_a_readme_call_keeps_its_layout_and_its_comments_do_not_count_to_its_length(tmp_path):
    facts = facts_of(tmp_path, {"model.py": MODEL})
    comment = "  # " + "why this width: " * 30  # far over MAX_CALL_CHARS with the comments
    (tmp_path / "README.md").write_text(
        "```python\nimport torch\nfrom pkg.model import Net\n\nnet = Net(\n"
        f"    torch.zeros(2, 2),{comment}\n    width = 8,{comment}\n)\n```\n", encoding="utf-8")
    [site] = find_call_sites(tmp_path, facts, {"pkg.model.Net"})["pkg.model.Net"]
    assert site.code == f"Net(\n    torch.zeros(2, 2),{comment}\n    width = 8,{comment}\n)"
