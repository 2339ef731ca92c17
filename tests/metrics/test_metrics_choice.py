"""Multiple-choice accuracy and Global-MMLU's CS/CA split against hand-computed cases."""

from __future__ import annotations

import pytest

from xfer_tasks.metrics.choice import (
    choice_accuracy,
    cultural_split_metrics,
    cultural_split_scores,
    predicted_choice,
    unweighted_language_mean,
)


def test_predicted_choice_is_argmax_first_on_ties():
    assert predicted_choice([-3.0, -0.5, -2.0]) == 1
    assert predicted_choice([-1.0, -0.5, -0.5]) == 1  # tie: lowest index, like numpy.argmax


def test_xnli_accuracy_by_hand():
    # three XNLI items, choices (True, Neither, False), gold 0 / 2 / 1
    items = [([-1.2, -2.0, -3.1], 0), ([-0.4, -0.9, -0.5], 2), ([-2.0, -1.0, -1.5], 1)]
    correct = [choice_accuracy(lls, gold) for lls, gold in items]
    assert correct == [1.0, 0.0, 1.0]
    assert sum(correct) / len(correct) == pytest.approx(2 / 3)


def test_gold_outside_choices_is_an_error():
    with pytest.raises(ValueError, match="gold index 3"):
        choice_accuracy([-1.0, -2.0, -3.0], 3)


def test_cultural_split_per_item_keys():
    assert cultural_split_metrics(1.0, "CS") == {"acc": 1.0, "acc_cs": 1.0}
    assert cultural_split_metrics(0.0, "CA") == {"acc": 0.0, "acc_ca": 0.0}
    assert cultural_split_metrics(1.0, "-") == {"acc": 1.0}  # not annotated: overall only
    assert cultural_split_metrics(1.0, None) == {"acc": 1.0}


def test_cultural_split_aggregation_by_hand():
    items = [(1.0, "CS"), (0.0, "CS"), (1.0, "CA"), (1.0, "-"), (0.0, None)]
    # acc over all 5 = 3/5; CS items 1, 0 -> 1/2; CA item 1 -> 1
    assert cultural_split_scores(items) == {
        "acc": pytest.approx(0.6),
        "acc_cs": pytest.approx(0.5),
        "acc_ca": pytest.approx(1.0),
    }


def test_cultural_split_absent_subset_is_not_reported():
    assert cultural_split_scores([(1.0, "CS"), (0.0, "-")]) == {"acc": 0.5, "acc_cs": 1.0}


def test_language_mean_is_unweighted():
    # XTREME: the plain mean over languages, whatever each language's size
    assert unweighted_language_mean([0.5, 0.7, 0.9]) == pytest.approx(0.7)
    with pytest.raises(ValueError):
        unweighted_language_mean([])
