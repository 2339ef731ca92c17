"""Multiple-choice accuracy from per-choice log-likelihoods, and Global-MMLU's CS/CA split.

Accuracy (XNLI as XTREME reports it; MMLU as Hendrycks et al. 2021 score it with a language
model): a question is correct when the choice with the highest log-likelihood is the gold
one. Ties go to the lowest index (``numpy.argmax``), exactly as lm-eval's built-in
``multiple_choice`` ``acc`` does, so the two agree on every item.

Global-MMLU (Singh et al. 2024, "Global MMLU: Understanding and Addressing Cultural and
Linguistic Biases in Multilingual Evaluation") reports accuracy overall and separately on
its annotated Culturally Sensitive (``CS``) and Culturally Agnostic (``CA``) questions.
``acc_cs`` is the mean correctness over the CS questions only, ``acc_ca`` over the CA
questions only; questions without either label count in ``acc`` alone. Per item,
:func:`cultural_split_metrics` therefore returns only the keys that apply to it; lm-eval
collects each metric's values from the items that produced it and aggregates them with
``mean`` (with its closed-form standard error), so no placeholder ever enters a mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

CULTURALLY_SENSITIVE = "CS"
CULTURALLY_AGNOSTIC = "CA"


def predicted_choice(loglikelihoods: Sequence[float]) -> int:
    """Index of the most likely choice; the first one wins a tie."""
    if not loglikelihoods:
        raise ValueError("no choices to pick from")
    best = 0
    for index, value in enumerate(loglikelihoods):
        if value > loglikelihoods[best]:
            best = index
    return best


def choice_accuracy(loglikelihoods: Sequence[float], gold: int) -> float:
    """1.0 when the most likely choice is ``gold``, else 0.0."""
    if not 0 <= gold < len(loglikelihoods):
        raise ValueError(f"gold index {gold} outside the {len(loglikelihoods)} choices")
    return float(predicted_choice(loglikelihoods) == gold)


def cultural_split_metrics(correct: float, label: str | None) -> dict[str, float]:
    """The per-item metrics of a Global-MMLU question: ``acc`` plus ``acc_cs`` or ``acc_ca``."""
    metrics = {"acc": correct}
    if label == CULTURALLY_SENSITIVE:
        metrics["acc_cs"] = correct
    elif label == CULTURALLY_AGNOSTIC:
        metrics["acc_ca"] = correct
    return metrics


def cultural_split_scores(items: Iterable[tuple[float, str | None]]) -> dict[str, float]:
    """Language-level scores from ``(correct, label)`` pairs: the means lm-eval reports.

    A subset with no item is absent from the result (there is nothing to average).
    """
    collected: dict[str, list[float]] = {}
    for correct, label in items:
        for name, value in cultural_split_metrics(correct, label).items():
            collected.setdefault(name, []).append(value)
    return {name: sum(values) / len(values) for name, values in collected.items()}


def unweighted_language_mean(scores: Sequence[float]) -> float:
    """A benchmark's score across languages as XTREME reports it: the plain mean."""
    if not scores:
        raise ValueError("no language scores to average")
    return sum(scores) / len(scores)
