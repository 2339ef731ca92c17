"""Reference-exact metrics for the generation and classification tasks, without lm-eval.

- ``squad``   SQuAD v1.1 / TyDiQA-GoldP exact match and token F1 (official script's definitions)
- ``mlqa``    lm-eval's MLQA-normalised exact match and F1 (its ``tydiqa_goldp_<lang>`` scoring)
- ``choice``  multiple-choice accuracy from log-likelihoods; Global-MMLU's CS/CA split

All scores are fractions in [0, 1].
"""

from xfer_tasks.metrics.choice import (
    choice_accuracy,
    cultural_split_metrics,
    cultural_split_scores,
    predicted_choice,
    unweighted_language_mean,
)
from xfer_tasks.metrics.squad import (
    exact_match_score,
    f1_score,
    normalize_answer,
    squad_scores,
)

__all__ = [
    "choice_accuracy",
    "cultural_split_metrics",
    "cultural_split_scores",
    "exact_match_score",
    "f1_score",
    "normalize_answer",
    "predicted_choice",
    "squad_scores",
    "unweighted_language_mean",
]
