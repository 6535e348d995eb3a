"""Facts from code: signatures, docstrings in three styles, config classes, inheritance."""

from __future__ import annotations

import json

from pkgtools import facts_of

from docgen_plugin.facts.model import Facts, ModuleFacts, from_dict, to_dict

MODEL = '''
import functools
import torch
from torch import nn


def traced(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


class Block(nn.Module):
    """A block.

    Args:
        hidden (int): Width. Defaults to 64.
        dropout (float, optional): Dropout. Default: 0.1
    """

    def __init__(self, hidden: int = 64, dropout: float = 1e-1):
        super().__init__()

    @traced
    def forward(self, x: torch.Tensor, *, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Run it.

        :param x: input
        :type x: Tensor
        :param mask: mask (default: None)
        """
        return x


class Deep(Block):
    """Deeper.

    Parameters
    ----------
    depth : int, default=2
        Layers.
    """

    def __init__(self, depth=2, **kwargs):
        super().__init__(**kwargs)


class Wrapped(Deep):
    """No own __init__."""
'''


def test_signatures_defaults_as_source_and_kinds(tmp_path):
    facts = facts_of(tmp_path, {"model.py": MODEL})
    block = facts.get("pkg.model.Block")
    assert block is not None and block.kind == "class" and block.is_model
    init = block.signature("__init__")
    assert [(p.name, p.annotation, p.default) for p in init.params] == [
        ("self", None, None), ("hidden", "int", "64"), ("dropout", "float", "1e-1"),
    ]
    forward = block.signature("forward")
    assert forward.param("mask").kind == "keyword-only"
    assert forward.returns == "torch.Tensor"
    assert block.line == 13 and block.file.endswith("pkg/model.py")


def test_three_docstring_styles_and_documented_defaults(tmp_path):
    facts = facts_of(tmp_path, {"model.py": MODEL})
    block = facts.get("pkg.model.Block")
    assert block.docstring.style == "google"
    assert [(p.name, p.annotation, p.default) for p in block.docstring.params] == [
        ("hidden", "int", "64"), ("dropout", "float", "0.1"),
    ]
    assert block.docstring.params[0].line == 17  # the line that names it in the source
    deep = facts.get("pkg.model.Deep")
    assert deep.docstring.style == "numpy"
    assert deep.docstring.params[0].default == "2"
    forward = facts.get("pkg.model.Block.forward")
    assert forward.docstring.style == "sphinx"
    assert forward.docstring.param("x").annotation == "Tensor"
    assert forward.docstring.param("mask").default == "None"


def test_kwargs_forwarded_to_base_and_inherited_init(tmp_path):
    facts = facts_of(tmp_path, {"model.py": MODEL})
    deep = facts.get("pkg.model.Deep")
    assert deep.is_model  # through the loaded base class
    params = {p.name: p.forwarded_from for p in deep.signature("__init__").params}
    assert params["depth"] is None
    assert params["hidden"] == params["dropout"] == "pkg.model.Block"
    wrapped = facts.get("pkg.model.Wrapped")
    assert {p.name for p in wrapped.signature("__init__").params} >= {"depth", "hidden"}
    assert wrapped.signature("forward").param("x").forwarded_from == "pkg.model.Block"


def test_decorated_function_keeps_its_signature(tmp_path):
    facts = facts_of(tmp_path, {"model.py": MODEL})
    forward = facts.get("pkg.model.Block.forward")
    assert [p.name for p in forward.signatures[0].params] == ["self", "x", "mask"]
    assert forward.line == 25  # the def line, not the decorator's


CONFIGS = '''
from dataclasses import dataclass, field
from typing import ClassVar

from pydantic import BaseModel, Field
from transformers import PretrainedConfig


@dataclass
class LoraLike:
    """LoRA settings."""

    r: int = field(default=8, metadata={"help": "Rank."})
    alpha: float = 16.0
    """Scaling."""
    #: Dropout on the input.
    dropout: float = 0.0
    names: list[str] = field(default_factory=list)
    internal: int = field(default=0, init=False)
    VERSION: ClassVar[int] = 1


@dataclass
class Child(LoraLike):
    """More."""

    bias: str = "none"


class Server(BaseModel):
    """Server settings."""

    host: str = Field("localhost", description="Host name.")
    port: int = Field(default=8000, description="Port.")
    token: str = Field(..., description="Required.")


class MyConfig(PretrainedConfig):
    """Config.

    Args:
        vocab_size (int): Vocabulary.
    """

    def __init__(self, vocab_size=32000, hidden_size: int = 256, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        super().__init__(**kwargs)


class TrainSettings:
    """Plain annotated config."""

    lr: float = 3e-4
    epochs: int = 3
'''


def test_config_classes_of_every_kind(tmp_path):
    facts = facts_of(tmp_path, {"configs.py": CONFIGS})
    lora = facts.get("pkg.configs.LoraLike")
    assert lora.config_kind == "dataclass"
    assert [(f.name, f.default, f.description) for f in lora.fields] == [
        ("r", "8", "Rank."), ("alpha", "16.0", "Scaling."), ("dropout", "0.0", "Dropout on the input."),
        ("names", "list()", None),
    ]
    assert [p.name for p in lora.signature("__init__").params][1:] == ["r", "alpha", "dropout", "names"]
    child = facts.get("pkg.configs.Child")
    assert [f.name for f in child.fields] == ["r", "alpha", "dropout", "names", "bias"]
    assert child.fields[0].inherited_from == "pkg.configs.LoraLike"
    server = facts.get("pkg.configs.Server")
    assert server.config_kind == "pydantic"
    assert [(f.name, f.default, f.description) for f in server.fields] == [
        ("host", "'localhost'", "Host name."), ("port", "8000", "Port."), ("token", None, "Required."),
    ]
    assert server.signature("__init__").param("token").required
    pretrained = facts.get("pkg.configs.MyConfig")
    assert pretrained.config_kind == "pretrained"
    assert [(f.name, f.default) for f in pretrained.fields] == [
        ("vocab_size", "32000"), ("hidden_size", "256"),
    ]
    assert facts.get("pkg.configs.TrainSettings").config_kind == "annotated"


def test_facts_round_trip_through_json(tmp_path):
    facts = facts_of(tmp_path, {"model.py": MODEL, "configs.py": CONFIGS})
    for obj in facts.objects:
        data = json.loads(json.dumps(to_dict(obj)))
        assert from_dict(type(obj), data) == obj
    module = ModuleFacts("m", "m.py", facts.objects[:2])
    assert from_dict(ModuleFacts, json.loads(json.dumps(to_dict(module)))) == module


def test_fingerprint_changes_with_the_code(tmp_path):
    before = facts_of(tmp_path / "a", {"model.py": MODEL}).get("pkg.model.Block").fingerprint()
    changed = MODEL.replace("dropout: float = 1e-1", "dropout: float = 0.2")
    after = facts_of(tmp_path / "b", {"model.py": changed}).get("pkg.model.Block").fingerprint()
    assert before != after


def test_src_layout_and_importable_name(tmp_path, monkeypatch):
    from pkgtools import settings_for, write_package

    from docgen_plugin.facts.loader import load_facts

    write_package(tmp_path / "src", {"core.py": "def f(x):\n    '''F.'''\n"}, name="lib")
    facts = load_facts([tmp_path / "src"], settings_for(tmp_path))
    assert facts.get("lib.core.f") is not None
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    facts = load_facts(["lib"], settings_for(tmp_path))
    assert facts.get("lib.core.f") is not None


def test_unique_name_lookup(tmp_path):
    facts: Facts = facts_of(tmp_path, {"model.py": MODEL})
    assert facts.find("Deep").path == "pkg.model.Deep"
    assert facts.find("Nope") is None
    assert {o.path for o in facts.models} >= {"pkg.model.Block", "pkg.model.Deep"}


def test_a_default_written_with_a_sphinx_role_is_read():
    from docgen_plugin.facts.docstrings import documented_default

    # PyTorch Geometric's spelling
    assert documented_default("Return it too. (default: :obj:`False`)", None) == "False"
    assert documented_default("The size. (default: :obj:`None`)", None) == "None"
