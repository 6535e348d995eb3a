"""The facts cache and linking on a warm load: same facts as a cold one, robust to a bad cache."""

from __future__ import annotations

import gc
import json
import logging
from dataclasses import replace

import pytest
from pkgtools import settings_for, write_package

from docgen_plugin.facts.cache import FactsCache
from docgen_plugin.facts.link import link
from docgen_plugin.facts.loader import load_facts
from docgen_plugin.facts.model import (
    Docstring,
    ModuleFacts,
    ObjectFacts,
    Param,
    Signature,
    from_dict,
    to_dict,
)

BASE = '''
from dataclasses import dataclass

from torch import nn


class Block(nn.Module):
    """A block.

    Args:
        hidden (int): Width. Defaults to 64.
    """

    def __init__(self, hidden: int = 64, dropout: float = 0.1):
        super().__init__()

    def forward(self, x):
        return x


@dataclass
class BaseConfig:
    """Base settings."""

    lr: float = 1e-3
    steps: int = 10
'''

CHILD = '''
from dataclasses import dataclass

from pkg.base import BaseConfig, Block


class Deep(Block):
    """Deeper.

    Args:
        depth: Layers. Defaults to 2.
    """

    def __init__(self, depth=2, **kwargs):
        super().__init__(**kwargs)


class Deeper(Deep):
    """Deeper still."""


@dataclass
class TrainConfig(BaseConfig):
    """Training settings."""

    epochs: int = 3
'''


def _package(tmp_path):
    return write_package(tmp_path, {"base.py": BASE, "child.py": CHILD})


def test_warm_load_equals_cold_and_uncached(tmp_path):
    package = _package(tmp_path)
    settings = settings_for(tmp_path)
    cold = load_facts([package], settings)
    assert list(settings.cache_path.glob("facts-*.json"))
    warm = load_facts([package], settings)
    uncached = load_facts([package], settings, use_cache=False)
    assert warm == cold == uncached
    assert [o.path for o in warm.objects] == [o.path for o in uncached.objects]


def test_linking_resolves_inheritance(tmp_path):
    facts = load_facts([_package(tmp_path)], settings_for(tmp_path))
    deeper = facts.get("pkg.child.Deeper")
    assert deeper.is_model
    init = deeper.signature("__init__")
    # Inherited from Deep, whose **kwargs reach Block's parameters (closed: Block is loaded,
    # so the **kwargs is marked as forwarded to it).
    assert [(p.name, p.forwarded_from) for p in init.params] == [
        ("self", None), ("depth", "pkg.child.Deep"), ("kwargs", "pkg.base.Block"),
        ("hidden", "pkg.base.Block"), ("dropout", "pkg.base.Block"),
    ]
    assert deeper.signature("forward").params[1].forwarded_from == "pkg.base.Block"
    config = facts.get("pkg.child.TrainConfig")
    assert [(f.name, f.inherited_from) for f in config.fields] == [
        ("lr", "pkg.base.BaseConfig"), ("steps", "pkg.base.BaseConfig"), ("epochs", None),
    ]
    assert [p.name for p in config.signature("__init__").params] == ["self", "lr", "steps", "epochs"]


def test_link_keeps_unchanged_objects_and_leaves_its_input_alone():
    plain = ObjectFacts("m.f", "function", "m.py", 1, 2)
    base = ObjectFacts("m.Base", "class", "m.py", 3, 4, signatures=(
        Signature("__init__", (Param("self"), Param("a", default="1"))),))
    child = ObjectFacts("m.Child", "class", "m.py", 5, 6, bases=("m.Base",))
    module = ModuleFacts("m", "m.py", (plain, base, child))
    before = to_dict(module)
    facts = link([module])
    assert to_dict(module) == before
    assert facts.get("m.f") is plain and facts.get("m.Base") is base
    linked = facts.get("m.Child")
    assert linked.signature("__init__").params == (
        Param("self"), Param("a", default="1", forwarded_from="m.Base"))
    assert linked == replace(child, signatures=linked.signatures)


def test_changed_file_is_read_again(tmp_path):
    package = _package(tmp_path)
    settings = settings_for(tmp_path)
    load_facts([package], settings)
    (package / "base.py").write_text(BASE.replace("hidden: int = 64", "hidden: int = 128"))
    facts = load_facts([package], settings)
    assert facts == load_facts([package], settings, use_cache=False)
    assert facts.get("pkg.child.Deeper").signature("__init__").param("hidden").default == "128"


@pytest.mark.parametrize("bad", [
    [1, 2],  # not an object
    {"module": "pkg.base", "file": "x", "objects": [["not", "an", "object"]]},
    {"module": "pkg.base", "file": "x", "objects": [{"path": "pkg.base.f"}]},  # fields missing
    {"module": "pkg.base", "file": "x", "objects": 7},
])
def test_bad_cache_entry_is_read_again(tmp_path, caplog, bad):
    package = _package(tmp_path)
    settings = settings_for(tmp_path)
    cold = load_facts([package], settings)
    (cache_file,) = settings.cache_path.glob("facts-*.json")
    entries = json.loads(cache_file.read_text())
    entries["pkg/base.py"]["facts"] = bad
    cache_file.write_text(json.dumps(entries))
    with caplog.at_level(logging.WARNING):
        assert load_facts([package], settings) == cold
    assert "bad facts cache entry for pkg/base.py" in caplog.text
    assert load_facts([package], settings) == cold  # and the entry was written again


def test_corrupt_cache_file_is_rebuilt(tmp_path, caplog):
    package = _package(tmp_path)
    settings = settings_for(tmp_path)
    cold = load_facts([package], settings)
    (cache_file,) = settings.cache_path.glob("facts-*.json")
    cache_file.write_text('{"pkg/base.py": {"hash"')
    with caplog.at_level(logging.WARNING):
        assert load_facts([package], settings) == cold
    assert "unreadable facts cache" in caplog.text
    cache = FactsCache(settings.cache_path, settings.docstring_style)
    assert set(cache.entries) == {"pkg/__init__.py", "pkg/base.py", "pkg/child.py"}


@pytest.mark.parametrize("enabled", [True, False])
def test_load_restores_the_collector_state(tmp_path, enabled):
    package = _package(tmp_path)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        load_facts([package], settings_for(tmp_path))
        load_facts([package], settings_for(tmp_path))  # warm
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_from_dict_rejects_data_of_the_wrong_shape():
    with pytest.raises(TypeError, match="expected a JSON object"):
        from_dict(ObjectFacts, ["m.f"])
    with pytest.raises(TypeError, match="missing field 'kind'"):
        from_dict(ObjectFacts, {"path": "m.f", "file": "m.py", "line": 1, "end_line": 1})
    with pytest.raises(TypeError):
        from_dict(Signature, {"name": "f", "params": 3})
    with pytest.raises(TypeError, match="Param: expected a JSON object"):
        from_dict(Signature, {"name": "f", "params": ["x"]})


def test_from_dict_revives_nested_values_and_defaults():
    obj = ObjectFacts(
        "m.C", "class", "m.py", 1, 9,
        docstring=Docstring("C.", "google", 2, 2),
        signatures=(Signature("__init__", (Param("self"), Param("x", "keyword-only", "int", "1"))),),
        bases=("m.B",),
    )
    data = json.loads(json.dumps(to_dict(obj)))
    revived = from_dict(ObjectFacts, data)
    assert revived == obj
    assert isinstance(revived.signatures, tuple) and isinstance(revived.bases, tuple)
    assert from_dict(ObjectFacts, {"path": "m.f", "kind": "function", "file": "m.py", "line": 1,
                                   "end_line": 2}) == ObjectFacts("m.f", "function", "m.py", 1, 2)
    assert from_dict(ObjectFacts, {**data, "docstring": None}).docstring is None
