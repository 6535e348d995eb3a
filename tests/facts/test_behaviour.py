"""Behaviour facts read from bodies: raises, returns, submodules, config reads."""

from __future__ import annotations

import pytest
from pkgtools import facts_of

MODELS = '''
import warnings
from dataclasses import dataclass

from torch import nn
from transformers.modeling_outputs import BaseModelOutput

from .config import NetConfig


def _check_shape(x):
    if x.dim() != 3:
        raise ValueError(f"expected 3 dimensions, got {x.dim()}")


class Net(nn.Module):
    """A net."""

    config_class = NetConfig

    def __init__(self, config: NetConfig, mode: str = "a", depth: int = 2):
        super().__init__()
        if mode == "a":
            self.head = nn.Linear(config.hidden, 2)
        elif mode == "b":
            if depth > 4:
                raise NotImplementedError("deep b nets")
            self.head = nn.Identity()
        else:
            raise ValueError(f"unknown mode {mode!r}")
        if depth < 0:
            warnings.warn("negative depth is treated as 0", DeprecationWarning)
        assert config.hidden > 0, "hidden must be positive"
        self.blocks = nn.ModuleList([Block(config) for _ in range(depth)])
        self.stack = nn.Sequential(nn.ReLU(), nn.ReLU())
        self.scale = config.hidden ** -0.5
        self.eps = getattr(config, "eps", 1e-5)

    def forward(self, x, return_dict: bool = True):
        self._check_inputs(x)
        _check_shape(x)
        if not return_dict:
            return x, self.head(x)
        return BaseModelOutput(last_hidden_state=x, hidden_states=None)

    def _check_inputs(self, x):
        if x is None:
            raise TypeError("x is required")


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.width = self.config_width(config)

    def config_width(self, config):
        return config.width

    def forward(self, x):
        if x is None:
            return None
        return {"hidden": x, "scale": self.width}


class SubNet(Net):
    def forward(self, x):
        out = super().forward(x)
        return out, self.config.only_sub_reads_this


def pairs(x, y):
    """Pairs.

    Args:
        x: left
        y: right
    """
    try:
        return tuple(zip(x, y, strict=True))
    except ValueError:
        raise RuntimeError("x and y differ in length") from None
'''

CONFIG = '''
from dataclasses import dataclass


@dataclass
class NetConfig:
    """Config."""

    hidden: int = 8
    width: int = 4
    eps: float = 1e-5
    only_sub_reads_this: int = 0
'''


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    root = tmp_path_factory.mktemp("behaviour")
    return facts_of(root, {"models.py": MODELS, "config.py": CONFIG})


def test_raises_carry_their_conditions_negated_in_else_and_nested(facts):
    net = facts.get("pkg.models.Net")
    init = {(r.exception, r.guards) for r in net.raises if r.method == "__init__"}
    assert ("NotImplementedError", ('mode != "a"', 'mode == "b"', "depth > 4")) in init
    assert ("ValueError", ('mode != "a"', 'mode != "b"')) in init
    messages = {r.exception: r.message for r in net.raises}
    assert messages["NotImplementedError"] == "deep b nets"  # a literal's text
    assert messages["ValueError"].startswith('f"expected 3 dimensions')  # an f-string's source


def test_warnings_and_asserts_are_raises_of_their_kind(facts):
    net = facts.get("pkg.models.Net")
    warning = next(r for r in net.raises if r.kind == "warn")
    assert (warning.exception, warning.guards) == ("DeprecationWarning", ("depth < 0",))
    check = next(r for r in net.raises if r.kind == "assert")
    assert check.exception == "AssertionError"
    assert check.guards == ("config.hidden <= 0",)
    assert check.message == "hidden must be positive"


def test_raises_in_private_helpers_count_one_level_deep(facts):
    net = facts.get("pkg.models.Net")
    forward = {(r.exception, r.via) for r in net.raises if r.method == "forward"}
    assert ("TypeError", "_check_inputs") in forward  # a private method
    assert ("ValueError", "_check_shape") in forward  # a private function of the module


def test_a_raise_in_an_except_handler_names_what_it_catches(facts):
    pairs = facts.get("pkg.models.pairs")
    assert [(r.exception, r.guards) for r in pairs.raises] == [("RuntimeError", ("except ValueError",))]


def test_returns_tuple_model_output_dict_and_branches(facts):
    net = facts.get("pkg.models.Net")
    returns = [r for r in net.returns if r.method == "forward"]
    assert [(r.kind, r.elements, r.guards) for r in returns] == [
        ("tuple", ("x", "self.head(x)"), ("not return_dict",)),
        ("call", ("last_hidden_state", "hidden_states"), ("return_dict",)),
    ]
    assert returns[1].type == "transformers.modeling_outputs.BaseModelOutput"
    block = facts.get("pkg.models.Block")
    assert [(r.kind, r.elements, r.guards) for r in block.returns] == [
        ("none", (), ("x is None",)),
        ("dict", ("hidden", "scale"), ("x is not None",)),
    ]


def test_submodules_with_containers_counts_and_conditions(facts):
    net = facts.get("pkg.models.Net")
    parts = {p.name: p for p in net.submodules}
    assert set(parts) == {"head", "blocks", "stack"}  # not `scale`, not `eps`
    # both branches of the `if`/`else` that assigns it, each with its condition
    heads = [(p.type, p.guards) for p in net.submodules if p.name == "head"]
    assert heads[0] == ("torch.nn.Linear", ('mode == "a"',))
    assert len(heads) >= 2 and all(guards for _, guards in heads)
    assert (parts["blocks"].type, parts["blocks"].container, parts["blocks"].count) == (
        "pkg.models.Block", "torch.nn.ModuleList", "depth")
    assert parts["stack"].type == "torch.nn.Sequential"


def test_config_reads_self_config_getattr_and_annotation(facts):
    net = facts.get("pkg.models.Net")
    assert net.config_class == "pkg.config.NetConfig"
    reads = {(r.name, r.optional) for r in net.config_reads}
    assert ("hidden", False) in reads
    assert ("eps", True) in reads  # getattr with a default copes with its absence
    assert all(r.config == "<own>" for r in net.config_reads)  # the class's own config
    block = facts.get("pkg.models.Block")
    assert {r.name for r in block.config_reads} == {"width"}
    sub = facts.get("pkg.models.SubNet")
    assert sub.config_class == "pkg.config.NetConfig"  # inherited from Net
    assert [r.name for r in sub.config_reads] == ["only_sub_reads_this"]
    assert sub.super_calls == ("forward",)


def test_behaviour_survives_the_facts_cache(tmp_path):
    first = facts_of(tmp_path, {"models.py": MODELS, "config.py": CONFIG})
    second = facts_of(tmp_path, {"models.py": MODELS, "config.py": CONFIG})  # from the cache
    assert first.get("pkg.models.Net") == second.get("pkg.models.Net")
    assert second.get("pkg.models.Net").raises


def test_a_long_elif_chain_is_walked_in_polynomial_time():
    # An elif chain is nested `if`s; each asked what returns inside it while its parent walked
    # it too: 2^depth walks before `_not_returned` was cached (a scipy module hung the corpus).
    import ast

    from docgen_plugin.facts.behaviour import guarded

    depth = 40
    chain = "".join(f"    {'if' if n == 0 else 'elif'} x == {n}:\n        y = {n}\n"
                    for n in range(depth))
    tree = ast.parse(f"def f(x):\n{chain}    else:\n        return None\n    return y\n")
    calls = []

    def source(node):
        calls.append(node)
        return ast.unparse(node)

    statements = list(guarded(tree.body[0].body, source))
    assert len(statements) == 2 * depth + 2  # every `if`, its body, the else's return, the end
    assert len(calls) < 20 * depth * depth  # exponential: over 10^12
