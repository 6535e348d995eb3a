"""DG108 (a config field no code reads) and DG109 (a read the config class cannot answer)."""

from __future__ import annotations

from pkgtools import check

CONFIG = '''
from dataclasses import dataclass


@dataclass
class NetConfig:
    """Config of Net.

    Attributes:
        hidden: width.
        depth: layers.
        unused_knob: nothing reads it.
        dropout: read by getattr.
        legacy_flag: Deprecated, kept for compatibility.
        sub_only: read by SubNet only.
    """

    hidden: int = 8
    depth: int = 2
    unused_knob: float = 0.5
    dropout: float = 0.1
    legacy_flag: bool = False
    sub_only: int = 0

    @property
    def width(self) -> int:
        return self.hidden * 2


@dataclass
class LonelyConfig:
    """No model uses it.

    Attributes:
        never: nothing reads it, and nothing uses the class.
    """

    never: int = 1
'''

MODELS = '''
from torch import nn

from .config import NetConfig


class Net(nn.Module):
    """A net."""

    def __init__(self, config: NetConfig):
        super().__init__()
        self.config = config
        self.proj = nn.Linear(config.hidden, config.width)
        self.layers = nn.ModuleList(nn.Identity() for _ in range(self.config.depth))
        self.drop = nn.Dropout(getattr(config, "dropout", 0.0))
        self.norm = nn.LayerNorm(config.hiden)  # a typo
        if hasattr(config, "maybe"):
            self.extra = config.maybe  # guarded: not a finding
        self.eps = getattr(config, "eps", 1e-5)  # has a default: not a finding


class SubNet(Net):
    """Reads one more field."""

    def forward(self, x):
        return x * self.config.sub_only
'''


def _codes(findings, code):
    return sorted((f.subject, f.line) for f in findings if f.code == code)


def test_dg108_reports_only_fields_nothing_reads(tmp_path):
    findings = check(tmp_path, {"config.py": CONFIG, "models.py": MODELS})
    assert [s for s, _ in _codes(findings, "DG108")] == ["unused_knob"]
    unread = next(f for f in findings if f.code == "DG108")
    assert unread.file.endswith("config.py") and unread.line == 19
    assert "`unused_knob` of `NetConfig`" in unread.message


def test_dg109_reports_a_typo_with_the_closest_field(tmp_path):
    findings = check(tmp_path, {"config.py": CONFIG, "models.py": MODELS})
    unknown = [f for f in findings if f.code == "DG109"]
    assert [(f.line, f.subject) for f in unknown] == [(15, "pkg.config.NetConfig.hiden")]
    assert "did you mean `hidden`?" in unknown[0].message


def test_reading_every_field_at_once_counts_as_reading_them(tmp_path):
    models = MODELS + '''

def build(config: NetConfig) -> Net:
    """Build it."""
    return Net(**vars(config))
'''
    findings = check(tmp_path, {"config.py": CONFIG, "models.py": models})
    assert _codes(findings, "DG108") == []


def test_fields_passed_to_the_base_config_and_aliases_are_read(tmp_path):
    config = '''
from transformers import PretrainedConfig


class TinyConfig(PretrainedConfig):
    """Tiny.

    Args:
        hidden_size: width.
        pad_token_id: padding.
        n_embd: embedding width.
        stale: nothing reads it.
    """

    model_type = "tiny"
    attribute_map = {"embedding_size": "n_embd"}

    def __init__(self, hidden_size=8, pad_token_id=0, n_embd=4, stale=1, **kwargs):
        self.hidden_size = hidden_size
        self.n_embd = n_embd
        self.stale = stale
        super().__init__(pad_token_id=pad_token_id, **kwargs)
'''
    models = '''
from torch import nn
from transformers import PreTrainedModel

from .config import TinyConfig


class TinyModel(PreTrainedModel):
    """Tiny."""

    config_class = TinyConfig

    def __init__(self, config):
        super().__init__(config)
        self.proj = nn.Linear(config.hidden_size, config.embedding_size)
        self.other = config.not_there  # the base is not loaded: no DG109
'''
    findings = check(tmp_path, {"config.py": config, "models.py": models})
    assert [s for s, _ in _codes(findings, "DG108")] == ["stale"]
    assert _codes(findings, "DG109") == []


def test_suppression_on_the_class(tmp_path):
    config = CONFIG.replace("class NetConfig:", "class NetConfig:  # docgen: ignore[DG108]")
    findings = check(tmp_path, {"config.py": config, "models.py": MODELS})
    assert _codes(findings, "DG108") == []
    assert _codes(findings, "DG109")  # the other rule still runs


def test_select_without_the_rules_skips_them(tmp_path):
    findings = check(tmp_path, {"config.py": CONFIG, "models.py": MODELS}, select=("DG102",))
    assert not [f for f in findings if f.code in ("DG108", "DG109")]


def test_what_the_base_library_and_dynamic_reads_use_counts_as_read(tmp_path):
    config = '''
from transformers import PreTrainedConfig


class TinyConfig(PreTrainedConfig):
    """Tiny.

    Attributes:
        hidden_size: width.
        use_cache: read by transformers' generation code, not here.
        output_router_logits: read through `getattr(config, f"output_{k}")`.
        stale: nothing reads it.
    """

    hidden_size: int = 8
    use_cache: bool = True
    output_router_logits: bool = False
    stale: int = 1
'''
    models = '''
from torch import nn
from transformers import PreTrainedModel

from .config import TinyConfig


class TinyModel(PreTrainedModel):
    """Tiny."""

    config_class = TinyConfig

    def __init__(self, config):
        super().__init__(config)
        self.proj = nn.Linear(config.hidden_size, 2)

    def forward(self, x, **kwargs):
        flags = {k: getattr(self.config, f"output_{k}") for k in ("router_logits",)}
        return self.proj(x), flags
'''
    findings = check(tmp_path, {"config.py": config, "models.py": models})
    assert [s for s, _ in _codes(findings, "DG108")] == ["stale"]
