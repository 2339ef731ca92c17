"""SQuAD v1.1 / TyDiQA-GoldP EM and F1 against hand-computed cases."""

from __future__ import annotations

import pytest

from xfer_tasks.metrics.squad import (
    exact_match_score,
    f1_score,
    metric_max_over_ground_truths,
    normalize_answer,
    squad_scores,
)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("The Cat!", "cat"),
        ("  An  apple, a day ", "apple day"),
        ("theory of the thing", "theory of thing"),  # articles only as whole words
        ("Anne's hat", "annes hat"),  # apostrophe is ASCII punctuation
        ("1,000.5", "10005"),
        ("Straße  Über", "straße über"),  # lower() is Unicode-aware
        ("東京。", "東京。"),  # non-ASCII punctuation is kept (no language-specific rules)
        ("", ""),
    ],
)
def test_normalize_answer(raw, normalised):
    assert normalize_answer(raw) == normalised


def test_exact_match_after_normalisation():
    assert exact_match_score("The Eiffel Tower.", "eiffel tower") == 1.0
    assert exact_match_score("Eiffel", "eiffel tower") == 0.0


def test_f1_partial_overlap():
    # pred tokens [big, red, dog], gold [red, dog, barked]: 2 shared, P = R = 2/3
    assert f1_score("the big red dog", "a red dog barked") == pytest.approx(2 / 3)


def test_f1_counts_repeated_tokens_once_per_gold_occurrence():
    # Counter intersection: min(3, 1) = 1 shared; P = 1/3, R = 1, F1 = 2 * (1/3) / (4/3)
    assert f1_score("dog dog dog", "dog") == pytest.approx(0.5)


def test_f1_unequal_lengths():
    # pred [1867], gold [july, 1, 1867]: P = 1, R = 1/3, F1 = 0.5
    assert f1_score("1867", "July 1, 1867") == pytest.approx(0.5)


def test_empty_prediction_scores_zero():
    assert squad_scores("", ["Paris"]) == {"exact_match": 0.0, "f1": 0.0}


def test_articles_only_match_exactly_but_have_no_f1_tokens():
    # both normalise to "": the official script gives EM 1 and F1 0 (no shared token)
    assert squad_scores("the", ["a"]) == {"exact_match": 1.0, "f1": 0.0}


def test_max_over_multiple_gold_answers():
    golds = ["the city of Paris", "Paris, France", "Paris."]
    scores = squad_scores("Paris", golds)
    assert scores["exact_match"] == 1.0  # matches the third
    assert scores["f1"] == 1.0
    # without the exact gold the best F1 is against "Paris, France": P = 1, R = 1/2
    assert squad_scores("Paris", golds[:2])["f1"] == pytest.approx(2 / 3)
    assert squad_scores("Paris", golds[:2])["exact_match"] == 0.0


def test_whitespace_tokenisation_in_every_language():
    # No word segmentation for scripts without spaces: one token each, no overlap.
    assert f1_score("東京都", "東京") == 0.0
    assert f1_score("Helsingin yliopisto", "yliopisto") == pytest.approx(2 / 3)


def test_no_gold_answer_is_an_error():
    with pytest.raises(ValueError, match="gold answer"):
        metric_max_over_ground_truths(f1_score, "x", [])
