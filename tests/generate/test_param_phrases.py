"""`--fix --draft`: parameter descriptions from a real (tiny, random) model, verified, cached."""

from __future__ import annotations

import pytest
from pkgtools import facts_of, settings_for

import docgen_plugin.generate.drafting as drafting
from docgen_plugin.checks.fix.apply import plan_fixes
from docgen_plugin.checks.fix.describe import TODO
from docgen_plugin.checks.run import run_checks
from docgen_plugin.facts.model import Param
from docgen_plugin.generate.param_phrases import about_the_parameter, messages_for, param_drafter, phrase

SOURCE = {"layers.py": '''
import torch.nn as nn


class Scaler(nn.Module):
    """Scales its input by a learned factor."""

    def __init__(self, width: int, scale: float = 2.0):
        """Build it.

        Args:
            width (int): Number of features.
        """
        super().__init__()
        self.factor = nn.Parameter(scale * torch.ones(width))
'''}


SCALE = Param("scale", annotation="float", default="2.0")


@pytest.mark.parametrize(("sentence", "param", "ok"), [
    ("The factor the input is scaled by.", SCALE, True),
    ("Returns the scaled input.", SCALE, False),  # the function, not the parameter
    ("This method scales the input.", SCALE, False),
    ("The rotation module's batch size.", Param("num_neumann_terms", annotation="int"), False),
    ("Whether to use the Neumann series.", Param("use_cayley_neumann", default="True"), True),
    ("The Neumann series is used.", Param("use_cayley_neumann", default="True"), False),
    # the class, with the parameter quoted and its default stated
    ("A linear instrumental variable model with `k_moms = None`.", Param("k_moms", default="None"), False),
    ("A linear instrumental variable model with `k_moms`.", Param("k_moms", default="None"), False),
    ("The number of groups in the panel.", Param("n_groups", default="None"), True),
])
def test_a_phrase_must_describe_the_parameter(sentence, param, ok):
    assert (about_the_parameter(sentence, param) is None) is ok


def test_prompt_shows_the_parameter_its_uses_and_the_class_summary(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    facts = facts_of(tmp_path, SOURCE)
    settings = settings_for(tmp_path)
    files = plan_fixes(facts, run_checks(facts, settings), settings, ["pkg"])
    assert files and files[0].descriptions[0][1].text == TODO  # no --draft: the visible TODO
    obj = facts.get("pkg.layers.Scaler.__init__")
    from docgen_plugin.checks.fix.describe import Request

    param = obj.signatures[0].param("scale")
    user = messages_for(Request(obj, param), facts, tmp_path)[1]["content"]
    assert "Parameter: `scale`, type `float`, default `2.0`" in user
    assert "self.factor = nn.Parameter(scale * torch.ones(width))" in user
    assert "Scales its input by a learned factor." in user


def test_phrase_keeps_only_a_whole_verified_sentence(tmp_path):
    facts = facts_of(tmp_path, SOURCE)
    obj = facts.get("pkg.layers.Scaler.__init__")
    assert phrase("", obj, facts, SCALE)[0] is None
    text, reasons = phrase("The scale of quantum entanglement of GPUs to segment images.", obj, facts, SCALE)
    assert text is None and reasons


def test_tiny_model_drafts_verifies_and_caches(tmp_path, monkeypatch, tiny_model_dir):
    monkeypatch.chdir(tmp_path)
    facts = facts_of(tmp_path, SOURCE)
    settings = settings_for(tmp_path, model=str(tiny_model_dir))
    findings = run_checks(facts, settings)
    first = plan_fixes(facts, findings, settings, ["pkg"], param_drafter(settings))
    (_, description), = first[0].descriptions
    obj = facts.get("pkg.layers.Scaler.__init__")
    if description.source == "model":  # kept only when the sentence checks keep all of it
        assert phrase(description.text, obj, facts, SCALE)[0] == description.text
    else:
        assert description.text == TODO
    assert list((tmp_path / ".cache" / "drafts").rglob("*.json"))  # the answer was cached

    def no_model(settings: object) -> None:
        raise AssertionError("a warm run must not load the model")

    monkeypatch.setattr(drafting, "default_generator", no_model)
    second = plan_fixes(facts, findings, settings, ["pkg"], param_drafter(settings))
    assert second[0].new == first[0].new


@pytest.mark.parametrize("answer", ["scale: The factor the input is multiplied by. More text"])
def test_a_leading_name_and_later_sentences_are_cut(tmp_path, answer):
    facts = facts_of(tmp_path, SOURCE)
    obj = facts.get("pkg.layers.Scaler.__init__")
    text, _ = phrase(answer, obj, facts, SCALE)
    assert text is None or (not text.startswith("scale") and "More text" not in text)


def test_a_phrase_says_only_what_the_prompt_showed(tmp_path, monkeypatch):
    from docgen_plugin.checks.fix.describe import Request
    from docgen_plugin.generate.param_phrases import own_words

    monkeypatch.chdir(tmp_path)
    facts = facts_of(tmp_path, SOURCE)
    obj = facts.get("pkg.layers.Scaler.__init__")
    request = Request(obj, obj.signatures[0].param("scale"))
    root = tmp_path
    assert own_words("The scale of the learned factor.", request, facts, root) is None
    assert "claims a type" in own_words("A dictionary of scale values.", request, facts, root)
    assert "is not in what the code shows" in own_words(
        "The scale of the standardized error.", request, facts, root)
