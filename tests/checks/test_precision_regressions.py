"""False positives found by reviewing `docgen check` on peft, transformers, timm and diffusers.

Each test is one reviewed false positive, reduced to a small package (the real code it came
from is named), next to the close case the rule must still report.
benchmarks/check_precision.md has the review.
"""

from __future__ import annotations

from pkgtools import check, codes

from docgen_plugin.checks.values import same_value


def found(findings, code):
    return [f for f in findings if f.code == code]


# --- DG103: documented defaults ---------------------------------------------------------------

HF_TYPE_DEFAULT = '''
from torch import nn


class Block(nn.Module):
    """A block.

    Args:
        act_fn (`str`, *optional*, default to `"swish"`): The activation.
        pad_mode (`str`, *optional*, defaults to `"reflect"`): The padding.
    """

    def __init__(self, act_fn: str = "swish", pad_mode: str = "PAD"):
        super().__init__()
'''


def test_dg103_default_to_in_the_type_is_read_as_a_value_not_as_to(tmp_path):
    # diffusers resnet.ResnetBlock2D: "(`str`, *optional*, default to `"swish"`)" read as "to".
    findings = check(tmp_path, {"m.py": HF_TYPE_DEFAULT.replace('"PAD"', '"reflect"')})
    assert findings == []


def test_dg103_defaults_to_in_the_type_is_compared(tmp_path):
    finding, = found(check(tmp_path, {"m.py": HF_TYPE_DEFAULT}), "DG103")
    assert "`pad_mode`" in finding.message and '"PAD"' in finding.message


QUOTED = '''
from dataclasses import dataclass, field


@dataclass
class AdapterConfig:
    """An adapter.

    Args:
        orth (`bool`):
            Defaults to 'True'. Whether to keep R orthogonal.
    """

    orth: bool = field(default=CODE, metadata={"help": "Orthogonal R."})
'''


def test_dg103_a_quoted_literal_in_prose_is_that_literal(tmp_path):
    # peft PsoftConfig: "Defaults to 'True'." for `psoft_orth: bool = True`.
    assert check(tmp_path, {"m.py": QUOTED.replace("CODE", "True")}) == []
    assert codes(check(tmp_path, {"m.py": QUOTED.replace("CODE", "False")})) == ["DG103"]


CONDITIONAL = '''
def rates(depths, stagewise: bool = False, training: bool = CODE):
    """Drop rates.

    Args:
        depths: Depth per stage.
        stagewise: If True, use the stage-wise pattern.
            When depths is a list, stagewise defaults to True.
        training: Apply dropout only when true, defaults to True.
    """
'''


def test_dg103_a_default_under_a_condition_is_not_the_signature_default(tmp_path):
    # timm layers.drop.calculate_drop_path_rates.
    assert check(tmp_path, {"m.py": CONDITIONAL.replace("CODE", "True")}) == []
    finding, = check(tmp_path, {"m.py": CONDITIONAL.replace("CODE", "False")})
    assert finding.code == "DG103" and "`training`" in finding.message


def test_dg103_values_rounded_or_broadcast_for_the_reader_are_the_same():
    # diffusers AutoencoderKLHunyuanVideo: scaling_factor 0.476986 documented for 0.476986004...
    assert same_value("0.910344", "0.910344004631042") is True
    assert same_value("0.1", "0.12") is False  # a short float is a value, not a rounding
    # diffusers: `stride (defaults to 1)` for `stride=(1, 1)`, `[4]` for `4`.
    assert same_value("1", "(1, 1)") is True and same_value("[4]", "4") is True
    assert same_value("2", "(1, 1)") is False
    assert same_value('("A",)', '("A", "A")') is False  # one block is not two


# --- DG003 / DG102: entries griffe reads wrongly ---------------------------------------------

MISREAD = '''
from torch import nn


class Mixer(nn.Module):
    """Mixes.

    Args:
        model (:obj:`nn.Module`):
            The model to be tuned.
        offload_index (Dict[str: str]):
            Offloaded modules.
        lora_A : Matrices A in LoRA layer.
        group (int) : The process group.
    """

    def __init__(self, model, offload_index, lora_A, group=None):
        super().__init__()
'''


def test_entries_griffe_splits_at_the_wrong_colon_are_read_as_napoleon_reads_them(tmp_path):
    # peft MixedModel `model (:obj:`nn.Module`):`, peft_model._update_offload
    # `offload_index (Dict[str: str]):`, peft arrow `lora_A : ...`, diffusers `group (int) :`.
    assert check(tmp_path, {"m.py": MISREAD}) == []
    # A colon inside an unclosed parenthesis is still malformed.
    broken = MISREAD.replace("group (int) : The", "group (int: The")
    assert codes(check(tmp_path, {"m.py": broken})) == ["DG003"]


MALFORMED_ENTRY = '''
def set_requires_grad(adapter_names, requires_grad: bool = True, new_flag: bool = False):
    """Enable or disable gradients.

    Args:
        adapter_names (`str`): The adapters.
        requires_grad (`bool`, *optional*)
            Whether to enable gradients.
    """
'''


def test_dg102_a_malformed_entry_is_reported_as_malformed_not_as_undocumented(tmp_path):
    # peft tuners_utils.set_requires_grad: griffe drops the entry without a colon.
    findings = check(tmp_path, {"m.py": MALFORMED_ENTRY})
    assert sorted(codes(findings)) == ["DG003", "DG102"]
    assert "`new_flag`" in found(findings, "DG102")[0].message  # really undocumented


MIS_INDENTED = '''
def block(dim, num_heads, qk_norm=False, extra=None):
    """A block.

    Args:
      dim: Input dimension.
        num_heads: Number of attention heads.
        qk_norm: Normalise query and key.
    """
'''


def test_dg102_a_mis_indented_list_is_not_a_run_of_undocumented_parameters(tmp_path):
    # timm eva.EvaBlock: the first entry one indent less, griffe reads the rest as its text.
    finding, = check(tmp_path, {"m.py": MIS_INDENTED})
    assert finding.code == "DG102" and "`extra`" in finding.message


RUN_ON = '''
def resampler(embed_dims=768, hidden_dims=1280, depth=8, dim_head=64, heads=16, num_queries=8):
    """Resampler.

    Args:
        embed_dims (int): The feature dimension. Defaults to 768.
        hidden_dims (int):
            The number of hidden channels. Defaults to 1280. depth (int): The number of blocks.
        to 8. dim_head (int): The number of head channels. Defaults to 64.
        num_queries (int): The number of queries.
    """
'''


def test_dg102_names_in_a_run_on_entry_are_not_reported_undocumented(tmp_path):
    # diffusers embeddings.IPAdapterPlusImageProjection: several entries on one line.
    findings = check(tmp_path, {"m.py": RUN_ON})
    assert "DG003" in codes(findings)
    assert [f.message for f in found(findings, "DG102")] == [
        "parameter `heads` of `resampler` is not documented"]


def test_dg003_warnings_admonition_and_hanging_indent_are_not_malformed(tmp_path):
    # diffusers ModelMixin-style "Warnings:" prose; timm _features.feature_take_indices'
    # continuation lines indented by 2 (the Google style allows it).
    source = '''
    def load(path, indices=None):
        """Load.

        Args:
            path: Where from.
            indices: indices to select,
              None -> select all

        Warnings:
            *Weights from XXX not initialized* means that the weights of XXX are new.
        """
    '''
    assert check(tmp_path, {"m.py": source}) == []


# --- DG107 ------------------------------------------------------------------------------------

ALL = '''
from torch import nn

__all__ = ["Model"]


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()


class Model(nn.Module):
    def __init__(self):
        super().__init__()
'''


def test_dg107_a_class_left_out_of_all_is_not_public(tmp_path):
    # transformers modeling_llama.LlamaMLP, timm gcvit.WindowAttentionGlobal.
    finding, = check(tmp_path, {"m.py": ALL})
    assert finding.code == "DG107" and "`Model`" in finding.message


DECORATED = '''
from torch import nn

from .utils import auto_docstring


@auto_docstring
class Model(nn.Module):
    def __init__(self, config):
        super().__init__()

    @auto_docstring
    def forward(self, input_ids, labels=None):
        """
        Args:
            labels: Class labels (the decorator documents `input_ids`).
        """


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
'''


def test_dg107_dg102_a_decorator_that_writes_the_docstring(tmp_path):
    # transformers @auto_docstring / @add_start_docstrings classes.
    utils = "def auto_docstring(obj):\n    return obj\n"
    finding, = check(tmp_path, {"m.py": DECORATED, "utils.py": utils})
    assert finding.code == "DG107" and "`Plain`" in finding.message


def test_dg107_a_class_documented_in_its_init_docstring(tmp_path):
    # timm eva.EvaBlock: the docstring is on __init__.
    source = '''
    from torch import nn


    class Block(nn.Module):
        def __init__(self, dim: int):
            """Initialize the block.

            Args:
                dim: Width.
            """
            super().__init__()
    '''
    assert check(tmp_path, {"m.py": source}) == []


# --- DG105 / DG106: config classes ------------------------------------------------------------


def test_dg105_a_field_list_without_a_section_heading_describes_the_fields(tmp_path):
    # transformers BertForPreTrainingOutput-style docstrings (no "Args:" heading).
    source = '''
    from dataclasses import dataclass


    @dataclass
    class PretrainCfg:
        r"""
        loss (`float`, *optional*):
            Total loss.
        logits (`list`):
            Prediction scores.
        """

        loss: float = 0.0
        logits: list = None
        extra: int = 0
    '''
    finding, = check(tmp_path, {"m.py": source})
    assert finding.code == "DG105" and "`extra`" in finding.message


def test_dg105_dg107_private_classes_and_output_dataclasses_are_not_configs(tmp_path):
    # diffusers attention_dispatch._HubKernelConfig; vae.DecoderOutput(BaseOutput).
    source = '''
    from dataclasses import dataclass


    class BaseOutput:
        """Base of outputs."""


    @dataclass
    class _KernelConfig:
        """Kernel."""

        repo_id: str = ""


    @dataclass
    class DecoderOutput(BaseOutput):
        sample: int = 0


    @dataclass
    class PublicConfig:
        """Settings."""

        repo_id: str = ""
    '''
    finding, = check(tmp_path, {"m.py": source})
    assert finding.code == "DG105" and "`PublicConfig`" in finding.message


def test_dg105_a_help_text_split_into_a_tuple_is_a_description(tmp_path):
    # peft BOFTConfig.init_weights: metadata={"help": ("Whether ...", "this setting ...")}.
    source = '''
    from dataclasses import dataclass, field


    @dataclass
    class AdapterConfig:
        """Adapter."""

        init_weights: bool = field(
            default=True,
            metadata={"help": ("Whether to initialize the weights. Don't change ", "this.")},
        )
        other: bool = field(default=True, metadata={"note": "not a description"})
    '''
    finding, = check(tmp_path, {"m.py": source})
    assert finding.code == "DG105" and "`other`" in finding.message


INHERITED = '''
from dataclasses import dataclass, field


@dataclass
class BaseConfig:
    """Base.

    Args:
        rank_pattern (dict): Ranks per layer.
    """

    rank_pattern: dict = field(default=None)


@dataclass
class LoKrConfig(BaseConfig):
    """LoKr.

    Args:
        r (int): Rank.
        alpha (int): Alpha.
        rank_pattern (dict): Ranks per layer (from the base).
    """

    r: int = field(default=8, metadata={"help": "Rank."})
    alpha: int = field(default=8, metadata={"help": "Alpha."})
'''


def test_dg106_dg102_inherited_dataclass_fields_are_like_forwarded_parameters(tmp_path):
    # peft LoKrConfig: the dataclass puts LycorisConfig's fields first, the docs put them last.
    assert check(tmp_path, {"m.py": INHERITED}) == []
    swapped = INHERITED.replace(
        "        r (int): Rank.\n        alpha (int): Alpha.\n",
        "        alpha (int): Alpha.\n        r (int): Rank.\n")
    assert codes(check(tmp_path, {"m.py": swapped})) == ["DG106"]


# --- DG101 ------------------------------------------------------------------------------------

KWARGS = '''
class Tokenizer:
    """A tokenizer.

    Args:
        bos_token (str): The first token.
        NAME (bool): Whether to add the first token.
    """

    def __init__(self, bos_token="<s>", **kwargs):
        self.bos_token = bos_token
'''


def test_dg101_a_name_with_more_words_than_a_parameter_may_be_read_from_kwargs(tmp_path):
    # transformers LlamaTokenizer: `add_bos_token` documented, accepted through **kwargs.
    assert check(tmp_path, {"m.py": KWARGS.replace("NAME", "add_bos_token")}) == []
    finding, = check(tmp_path, {"m.py": KWARGS.replace("NAME", "bos_tokenn")})
    assert finding.code == "DG101" and "did you mean `bos_token`?" in finding.message
