"""Text-overlap metrics for `docgen eval`: plain functions over strings, scores on a 0-100 scale.

ROUGE-L comes from `rouge_score` (F1 of the longest common subsequence, Porter stemming) and
BLEU from `sacrebleu` (corpus-level, its default 13a tokenisation); token F1 is SQuAD's
bag-of-tokens F1 over lowercase word tokens, articles dropped. Per-item scores are averaged;
BLEU is computed over the whole group, as sacrebleu intends.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

ARTICLES = frozenset({"a", "an", "the"})
ALL = "all"  # the label under which `aggregate_by_label` puts every item
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1 x100 of one prediction against one reference (0 when either is empty)."""
    score = _rouge_scorer().score(reference, prediction)["rougeL"]
    return 100.0 * float(score.fmeasure)


def bleu(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0-100) of predictions against one reference each; 0 for no items."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
    if not predictions:
        return 0.0
    import sacrebleu

    return float(sacrebleu.corpus_bleu(list(predictions), [list(references)]).score)


def word_tokens(text: str) -> list[str]:
    """Lowercase word tokens (letters, digits, underscores), articles dropped."""
    return [t for t in _WORD.findall(text.lower()) if t not in ARTICLES]


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style bag-of-tokens F1 x100; two texts without tokens agree (100)."""
    predicted, expected = word_tokens(prediction), word_tokens(reference)
    if not predicted or not expected:
        return 100.0 if predicted == expected else 0.0
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision = common / len(predicted)
    recall = common / len(expected)
    return 100.0 * 2 * precision * recall / (precision + recall)


def word_count(text: str) -> int:
    """Whitespace-separated words: the length measure of the report."""
    return len(text.split())


@dataclass(frozen=True, kw_only=True)
class ItemScore:
    """One generated text scored against its reference."""

    prediction: str = field(metadata={"help": "The generated text, post-processed."})
    reference: str = field(metadata={"help": "The human-written text."})
    passed: bool = field(default=True, metadata={"help": "The verifier found nothing wrong."})
    label: str = field(default="", metadata={"help": "Section kind, for per-kind groups."})
    rouge_l: float = field(default=0.0, metadata={"help": "ROUGE-L F1 x100."})
    token_f1: float = field(default=0.0, metadata={"help": "Token F1 x100."})
    sentences: int = field(default=0, metadata={"help": "Sentences of the draft, before checks."})
    kept: int = field(default=0, metadata={"help": "Sentences the sentence checks kept."})


def score_item(prediction: str, reference: str, *, passed: bool = True, label: str = "",
               sentences: int = 0, kept: int = 0) -> ItemScore:
    """`prediction` scored against `reference` (ROUGE-L and token F1)."""
    return ItemScore(
        prediction=prediction,
        reference=reference,
        passed=passed,
        label=label,
        rouge_l=rouge_l(prediction, reference),
        token_f1=token_f1(prediction, reference),
        sentences=sentences,
        kept=kept,
    )


@dataclass(frozen=True, kw_only=True)
class Summary:
    """Scores of one system over a group of items (all, or one section kind)."""

    count: int = field(metadata={"help": "Items in the group."})
    rouge_l: float = field(metadata={"help": "Mean ROUGE-L F1 x100."})
    bleu: float = field(metadata={"help": "Corpus BLEU over the group (sacrebleu)."})
    token_f1: float = field(metadata={"help": "Mean token F1 x100."})
    pass_rate: float = field(metadata={"help": "Percent of texts the verifier passed."})
    length: float = field(metadata={"help": "Mean words per generated text."})
    reference_length: float = field(metadata={"help": "Mean words per reference text."})
    sentences_kept: float = field(default=0.0, metadata={
        "help": "Percent of all drafted sentences the sentence checks kept."})
    fully_verified: float = field(default=0.0, metadata={
        "help": "Percent of texts that kept every sentence (and had one)."})


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def aggregate(items: Sequence[ItemScore]) -> Summary:
    """Means of the per-item scores, corpus BLEU, pass rate and lengths of `items`."""
    return Summary(
        count=len(items),
        rouge_l=_mean([i.rouge_l for i in items]),
        bleu=bleu([i.prediction for i in items], [i.reference for i in items]),
        token_f1=_mean([i.token_f1 for i in items]),
        pass_rate=100.0 * _mean([float(i.passed) for i in items]),
        length=_mean([float(word_count(i.prediction)) for i in items]),
        reference_length=_mean([float(word_count(i.reference)) for i in items]),
        sentences_kept=100.0 * sum(i.kept for i in items) / max(1, sum(i.sentences for i in items)),
        fully_verified=100.0 * _mean([float(0 < i.kept == i.sentences) for i in items]),
    )


def aggregate_by_label(items: Sequence[ItemScore]) -> dict[str, Summary]:
    """`aggregate` over all items (key `all`) and over each label's items, labels sorted."""
    groups: dict[str, list[ItemScore]] = {}
    for item in items:
        groups.setdefault(item.label, []).append(item)
    result = {ALL: aggregate(items)}
    result.update({label: aggregate(groups[label]) for label in sorted(groups)})
    return result


def relative_gain(new: float, old: float) -> float | None:
    """(new - old) / old in percent; None when `old` is 0 (no baseline to compare with)."""
    if old == 0:
        return None
    return 100.0 * (new - old) / old
