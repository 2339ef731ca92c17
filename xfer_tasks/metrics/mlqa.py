"""lm-eval's MLQA-normalised exact match and F1, as its ``tydiqa_goldp_<lang>`` tasks score.

Source: lm-eval 0.4.13 ``lm_eval/tasks/tydiqa/utils.py`` (``normalize_answer``,
``f1_score``, ``exact_match_score``, ``process_results_lang``), which applies the official
MLQA evaluation script's normalisation (facebookresearch/MLQA ``mlqa_evaluation_v1.py``, as
in lm-eval's ``lm_eval/tasks/mlqa/utils.py``) to the nine TyDiQA-GoldP languages. xfer reports
these as ``exact_match_mlqa`` / ``f1_mlqa`` next to XTREME's SQuAD v1.1 scores
(:mod:`xfer_tasks.metrics.squad`), so numbers can be set beside lm-eval's built-in task.

Differences from SQuAD v1.1, all in ``normalize_answer(s, lang)``:

- punctuation is every Unicode character whose category starts with ``P`` plus
  ``string.punctuation`` (SQuAD v1.1: ASCII punctuation only);
- articles are removed for English (``\\b(a|an|the)\\b``) and Arabic (the prefix ``ال`` at a
  word start, ``(?:^|\\s)ال``) only; no other language has articles removed;
- order: lower-case, remove punctuation, remove articles, split on whitespace and join the
  non-empty tokens with one space.

The prediction is ``strip()``-ed first; F1 is token overlap on the normalised strings
(0 when nothing is shared); each score is the maximum over the gold answers.
"""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from collections import Counter
from collections.abc import Sequence

PUNCT = frozenset(
    {chr(i) for i in range(sys.maxunicode) if unicodedata.category(chr(i)).startswith("P")}
    | set(string.punctuation)
)
_EN_ARTICLES = re.compile(r"\b(a|an|the)\b")
_AR_ARTICLE = re.compile(r"(?:^|\s)ال")


def normalize_answer(text: str, lang: str) -> str:
    """Lower-case, drop Unicode punctuation, drop en/ar articles, collapse whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in PUNCT)
    if lang == "en":
        text = _EN_ARTICLES.sub(" ", text)
    elif lang == "ar":
        text = _AR_ARTICLE.sub(" ", text)
    return " ".join(token for token in text.split() if token.strip() != "")


def f1_score(prediction: str, ground_truth: str, lang: str) -> float:
    """Token-overlap F1 of the normalised strings (0.0 when no token is shared)."""
    prediction_tokens = normalize_answer(prediction, lang).split()
    ground_truth_tokens = normalize_answer(ground_truth, lang).split()
    num_same = sum((Counter(prediction_tokens) & Counter(ground_truth_tokens)).values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(prediction_tokens)
    recall = num_same / len(ground_truth_tokens)
    return (2 * precision * recall) / (precision + recall)


def exact_match_score(prediction: str, ground_truth: str, lang: str) -> float:
    """1.0 when the normalised strings are equal, else 0.0."""
    return float(normalize_answer(prediction, lang) == normalize_answer(ground_truth, lang))


def mlqa_scores(prediction: str, ground_truths: Sequence[str], lang: str) -> dict[str, float]:
    """``{"exact_match_mlqa": ..., "f1_mlqa": ...}`` for one question (max over gold answers)."""
    if not ground_truths:
        raise ValueError("a question needs at least one gold answer to be scored")
    prediction = prediction.strip()
    return {
        "exact_match_mlqa": max(exact_match_score(prediction, g, lang) for g in ground_truths),
        "f1_mlqa": max(f1_score(prediction, g, lang) for g in ground_truths),
    }
