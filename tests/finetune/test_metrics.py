"""The eval metrics: hand-computed values, and agreement with rouge_score and sacrebleu."""

from __future__ import annotations

import pytest

from docgen_plugin.finetune.metrics import (
    ALL,
    aggregate,
    aggregate_by_label,
    bleu,
    relative_gain,
    rouge_l,
    score_item,
    token_f1,
    word_tokens,
)


def test_rouge_l_by_hand_and_by_the_library():
    # LCS of "the cat sat on the mat" / "the cat is on the mat" is 5 of 6 tokens each way
    assert rouge_l("the cat sat on the mat", "the cat is on the mat") == pytest.approx(500 / 6)
    assert rouge_l("same words here", "same words here") == pytest.approx(100.0)
    assert rouge_l("", "a reference") == 0.0
    # stemming: "runs" and "running" share their stem
    assert rouge_l("the model runs", "the model running") == pytest.approx(100.0)
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    pred, ref = "Encodes token ids into hidden states.", "Maps the token ids to hidden states."
    assert rouge_l(pred, ref) == pytest.approx(100 * scorer.score(ref, pred)["rougeL"].fmeasure)


def test_bleu_is_sacrebleus_corpus_bleu():
    import sacrebleu

    preds = ["the cat sat on the mat", "a quick brown fox jumps", "hello"]
    refs = ["the cat is on the mat", "the quick brown fox jumped", "hello world"]
    assert bleu(preds, refs) == pytest.approx(sacrebleu.corpus_bleu(preds, [refs]).score)
    assert bleu(["the cat sat on the mat"], ["the cat sat on the mat"]) == pytest.approx(100.0)
    assert bleu([], []) == 0.0
    with pytest.raises(ValueError):
        bleu(["a"], [])


def test_token_f1_by_hand():
    assert word_tokens("The `hidden_size` (int)!") == ["hidden_size", "int"]
    # pred {cat, sat} vs ref {cat, sat, down}: precision 1, recall 2/3, F1 0.8
    assert token_f1("The cat sat", "a cat sat down") == pytest.approx(80.0)
    # bag of tokens: a repeated token counts only as often as the reference has it
    # pred {x, x, y} vs ref {x, y, z}: common 2, p = r = 2/3
    assert token_f1("x x y", "x y z") == pytest.approx(100 * 2 / 3)
    assert token_f1("nothing shared", "else entirely") == 0.0
    assert token_f1("", "") == 100.0
    assert token_f1("the a", "") == 100.0  # articles only: no tokens on either side
    assert token_f1("word", "") == 0.0


def test_aggregate_and_per_label():
    items = [
        score_item("the cat sat", "the cat sat", passed=True, label="overview"),
        score_item("x y", "a b c d", passed=False, label="usage"),
        score_item("one two three four", "one two", passed=True, label="usage"),
    ]
    summary = aggregate(items)
    assert summary.count == 3
    assert summary.rouge_l == pytest.approx(sum(i.rouge_l for i in items) / 3)
    assert summary.token_f1 == pytest.approx((100 + 0 + 100 * 2 * 0.5 * 1 / 1.5) / 3)
    assert summary.pass_rate == pytest.approx(200 / 3)
    assert summary.length == pytest.approx((3 + 2 + 4) / 3)
    assert summary.reference_length == pytest.approx((3 + 4 + 2) / 3)
    by_label = aggregate_by_label(items)
    assert list(by_label) == [ALL, "overview", "usage"]
    assert by_label[ALL] == summary
    assert by_label["usage"].count == 2
    assert by_label["usage"].bleu == pytest.approx(
        bleu(["x y", "one two three four"], ["a b c d", "one two"])
    )
    assert aggregate([]).count == 0 and aggregate([]).rouge_l == 0.0


def test_relative_gain():
    assert relative_gain(60.0, 50.0) == pytest.approx(20.0)
    assert relative_gain(40.0, 50.0) == pytest.approx(-20.0)
    assert relative_gain(1.0, 0.0) is None
