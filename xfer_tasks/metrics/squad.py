"""SQuAD v1.1 exact match and token F1, as the official TyDiQA-GoldP evaluation computes them.

Source: the official SQuAD v1.1 evaluation script ``evaluate-v1.1.py`` (Rajpurkar et al.
2016, https://rajpurkar.github.io/SQuAD-explorer/). The TyDiQA authors prescribe that script
for the Gold Passage task, and XTREME (google-research/xtreme ``evaluate.py``) scores
``tydiqa`` with ``squad_em_f1`` = ``third_party/evaluate_squad.py``, an unmodified copy of it.
So there is no language-specific tokenisation: answers are split on whitespace, in every
language (XTREME only uses a language-aware variant for MLQA, not for TyDiQA).

Definitions (reproduced from that script; the only change is that scores are fractions in
[0, 1] instead of percentages, the lm-eval convention):

- ``normalize_answer(s)``: lower-case; drop every character in ``string.punctuation``
  (ASCII punctuation only); replace the English articles ``a|an|the`` (whole words,
  ``re`` ``\\b`` boundaries) by a space; collapse whitespace (``" ".join(s.split())``).
  The order is ``white_space_fix(remove_articles(remove_punc(lower(s))))``.
- ``exact_match_score(pred, gold)``: ``normalize_answer(pred) == normalize_answer(gold)``.
- ``f1_score(pred, gold)``: tokens = ``normalize_answer(x).split()``; common = multiset
  intersection (``Counter(pred) & Counter(gold)``); if no token is shared the score is 0
  (so an empty prediction scores 0, even against an empty gold); otherwise
  precision = shared / len(pred tokens), recall = shared / len(gold tokens),
  F1 = 2PR / (P + R).
- Per question, each score is the maximum over the gold answers
  (``metric_max_over_ground_truths``); a language's score is the mean over its questions.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """Lower text and remove punctuation, articles and extra whitespace (SQuAD v1.1)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match_score(prediction: str, ground_truth: str) -> float:
    """1.0 when the normalised strings are equal, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(ground_truth))


def f1_score(prediction: str, ground_truth: str) -> float:
    """Token-overlap F1 between the normalised prediction and one gold answer."""
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(prediction_tokens)
    recall = num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def metric_max_over_ground_truths(
    metric_fn: Callable[[str, str], float], prediction: str, ground_truths: Sequence[str]
) -> float:
    """The best score of ``prediction`` against any gold answer."""
    if not ground_truths:
        raise ValueError("a question needs at least one gold answer to be scored")
    return max(metric_fn(prediction, gold) for gold in ground_truths)


def squad_scores(prediction: str, ground_truths: Sequence[str]) -> dict[str, float]:
    """``{"exact_match": ..., "f1": ...}`` for one question (each a max over gold answers)."""
    return {
        "exact_match": metric_max_over_ground_truths(exact_match_score, prediction, ground_truths),
        "f1": metric_max_over_ground_truths(f1_score, prediction, ground_truths),
    }
