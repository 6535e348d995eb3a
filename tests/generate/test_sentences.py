"""Sentence-level verification: each sentence of a prose draft rests on the facts or goes."""

from __future__ import annotations

import pytest
from sections.sample_package import load_sample

from docgen_plugin.facts.model import Docstring, ObjectFacts
from docgen_plugin.generate.sentences import (
    FACT_TERMS,
    restates_summary,
    split_units,
    verify_prose,
    vocabulary,
)


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    return load_sample(tmp_path_factory.mktemp("sentences"))


@pytest.fixture(scope="module")
def model(facts):
    return facts.get("pkg.models.TinyNet")


def reasons_of(text, model, facts):
    check = verify_prose(text, model, facts)
    return check.kept, [r for d in check.dropped for r in d.reasons]


def test_sentences_and_list_items_are_the_units():
    text = "It is small. It is fast!\n\n- one item\n  continued\n- two `a.b` items"
    assert split_units(text) == ["It is small.", "It is fast!", "- one item\n  continued",
                                 "- two `a.b` items"]


def test_a_supported_sentence_stays_and_an_invented_one_goes(model, facts):
    kept, reasons = reasons_of(
        "`TinyNet` takes `input_ids` and a `TinyConfig`. It uses 12 residual layers.",
        model, facts)
    assert kept == ("`TinyNet` takes `input_ids` and a `TinyConfig`.",)
    assert "the number 12 is not in the code" in reasons
    assert "`residual` is a claim the facts do not make" in reasons


@pytest.mark.parametrize(("sentence", "reason"), [
    ("It is a non-deterministic network.", "`non-deterministic` is a claim the facts do not make"),
    ("It applies batch normalization (BMN).", "`bmn` is neither in the facts nor a general word"),
    ("It is meant for image segmentation.", "`segmentation` is a claim the facts do not make"),
    ("It returns a tuple of hidden states.", "the code does not say it returns a tuple"),
    ("Its output has shape (batch, hidden_size).",
     "the shape (batch, hidden_size) is not one the docstring states"),
    ("- `torch.cuda` is not in the code", "the draft repeats the prompt"),
])
def test_claims_the_facts_do_not_support_are_dropped(sentence, reason, model, facts):
    kept, reasons = reasons_of(sentence, model, facts)
    assert kept == ()
    assert any(r.startswith(reason) for r in reasons), reasons


def test_claims_the_facts_make_stay(model, facts):
    # the docstring states the shape and "numerical stability"; the config names dropout
    kept, _ = reasons_of("It takes token ids of shape (batch, seq_len). Its `eps` makes it "
                         "numerically stable.", model, facts)
    assert len(kept) == 2


def test_fact_terms_are_not_general_words():
    assert "attention" in FACT_TERMS and "attention" not in vocabulary()
    assert {"tensor", "batch", "the"} <= vocabulary()


def test_restating_the_docstring_summary_is_no_section(model):
    assert restates_summary("`TinyNet` is a tiny network.", model)
    assert not restates_summary("`TinyNet` is a tiny network over `input_ids` with masks.", model)


def test_restating_the_summary_in_other_word_forms_is_no_section():
    # kornia's DISK: a draft that only re-inflects the first line adds nothing
    summary = "nn.Module which detects and described local features in an image using the DISK method."
    disk = ObjectFacts(path="kornia.feature.DISK", kind="class", file="disk.py", line=1, end_line=9,
                       docstring=Docstring(text=summary, style="google", line=2, end_line=2))
    assert restates_summary("Detect and describe local features in an image using the DISK method.",
                            disk)
    assert not restates_summary("Detects local features in an image pair, then matches them.", disk)
    # a model class: "model" is the kind of object it is, not something the draft adds
    segformer = ObjectFacts(path="smp.Segformer", kind="class", file="model.py", line=1, end_line=9,
                            is_model=True, docstring=Docstring(
                                text="Segformer is simple and efficient design for semantic "
                                     "segmentation with Transformers", style="google", line=2, end_line=2))
    assert restates_summary("Create a Segformer model.", segformer)
    assert not restates_summary("Create a Segformer model for medical images.", segformer)


def test_fragments_and_echoed_facts_are_not_sentences(model, facts):
    kept, reasons = reasons_of("`TinyNet(config: TinyConfig, eps: float = 1e-5)`", model, facts)
    assert kept == () and "not a sentence (too few words outside code)" in reasons
    kept, reasons = reasons_of(
        "It is called as TinyNet(config: TinyConfig, eps: float = 1e-5) here.", model, facts)
    assert kept == () and "the draft repeats the facts it was given" in reasons


def test_sizes_must_be_the_docstrings(model, facts):
    kept, reasons = reasons_of("It makes a tensor of size `batch_size x hidden + 3`.", model, facts)
    assert kept == ()
    assert any(r.startswith("the shape `batch_size x hidden + 3`") for r in reasons)


def test_a_sentence_says_mostly_what_the_facts_say(model, facts):
    kept, reasons = reasons_of("This is a variant of the original network, which can be used "
                               "to train other similar architectures.", model, facts)
    assert kept == () and any(r.startswith("it says what the facts do not: `variant`")
                              for r in reasons)
    kept, _ = reasons_of("`TinyNet` is a tiny network with an `eps` for numerical stability.",
                         model, facts)
    assert kept  # the docstring's own words
    kept, reasons = reasons_of("It keeps `eps` for a sampling temperature.", model, facts)
    assert kept == () and any(r.startswith("it says what the facts do not: `keeps`, `sampling`, "
                                           "`temperature`") for r in reasons)
    kept, reasons = reasons_of("It stacks `block` layers.", model, facts)
    assert kept == () and "`block` is not a name in the facts of this object" in reasons


def test_a_definition_must_be_the_facts_own_phrase(model, facts):
    # "tiny" and "network" are both the docstring's, but it never says "a network layer"
    kept, reasons = reasons_of("`TinyNet` is a tiny network layer.", model, facts)
    assert kept == () and "the facts never call it 'tiny network layer'" in reasons
    kept, _ = reasons_of("`TinyNet` is a tiny network.", model, facts)
    assert kept
    # "of" carries the phrase on: the docstring's words, in a relation it never states
    kept, reasons = reasons_of("It computes the stability of a tiny network.", model, facts)
    assert kept == () and "the facts never call it 'stability of tiny network'" in reasons
    kept, reasons = reasons_of("Computes the network.", model, facts)
    assert kept  # "a tiny network": the phrase is the docstring's
    # a sentence without a verb names what it is: "Decoder for ..." of a whole model is false
    kept, reasons = reasons_of("Decoder for the tiny network.", model, facts)
    assert kept == () and "the facts never call it 'decoder for tiny network'" in reasons
    kept, _ = reasons_of("A tiny network.", model, facts)
    assert kept
    kept, reasons = reasons_of("- This is a `TinyNet`.", model, facts)
    assert kept == () and "it says nothing but the object's name" in reasons


def test_stems_match_abbreviations_not_other_words():
    from docgen_plugin.generate.sentences import _supported

    assert _supported("convolution", frozenset({"conv"}))
    assert _supported("stable", frozenset({"stability"}))
    assert _supported("layers", frozenset({"layer"}))
    assert not _supported("model", frozenset({"mode"}))  # one letter more is another word


def test_module_names_support_no_claim(model, facts):
    # `pkg.models.TinyNet`: "models" is its module's name, not a word its facts use
    kept, reasons = reasons_of("It is one of the models here.", model, facts)
    assert kept == () and "it says what the facts do not: `models`" in reasons
