"""lm-eval's MLQA-normalised TyDiQA scores: hand-computed cases, and lm-eval's own functions
(``lm_eval/tasks/tydiqa/utils.py``) on every gold answer of the real GoldP dev set."""

from __future__ import annotations

import json

import pytest

from xfer_tasks.catalog import TYDIQA
from xfer_tasks.data.tydiqa import LANGUAGE_NAMES
from xfer_tasks.metrics.mlqa import mlqa_scores, normalize_answer


@pytest.mark.parametrize(
    ("raw", "lang", "normalised"),
    [
        ("The Cat!", "en", "cat"),
        ("The Cat!", "fi", "the cat"),  # articles only for en and ar
        ("東京。", "ko", "東京"),  # Unicode punctuation goes (SQuAD v1.1 keeps it)
        ("«Москва»", "ru", "москва"),
        ("الكتاب الأحمر", "ar", "كتاب أحمر"),
        ("  a  b ", "sw", "a b"),
        ("", "en", ""),
    ],
)
def test_normalize_answer(raw, lang, normalised):
    assert normalize_answer(raw, lang) == normalised


def test_scores_by_hand():
    scores = mlqa_scores(" the cat sat\n", ["A cat sat on the mat", "dog"], "en")
    # tokens: [cat, sat] vs [cat, sat, on, mat]: P = 1, R = 1/2, F1 = 2/3
    assert scores == {"exact_match_mlqa": 0.0, "f1_mlqa": pytest.approx(2 / 3)}
    assert mlqa_scores("Cat.", ["the cat"], "en")["exact_match_mlqa"] == 1.0
    with pytest.raises(ValueError, match="at least one gold answer"):
        mlqa_scores("x", [], "en")


def _gold_answers(shared_data) -> dict[str, list[list[str]]]:
    out = {}
    for lang in TYDIQA.languages:
        path = shared_data / "tydiqa_goldp" / f"{LANGUAGE_NAMES[lang]}_tydiqa_dev.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        out[lang] = [
            [answer["text"] for answer in qa["answers"]]
            for article in data["data"]
            for paragraph in article["paragraphs"]
            for qa in paragraph["qas"]
        ]
    return out


def test_equals_lm_evals_tydiqa_scoring_on_the_real_dev_set(shared_data):
    tydiqa_utils = pytest.importorskip("lm_eval.tasks.tydiqa.utils")
    checked = 0
    for lang, questions in _gold_answers(shared_data).items():
        for index, golds in enumerate(questions):
            other = questions[(index + 1) % len(questions)][0]
            # exact, partial-overlap and unrelated predictions, with stray whitespace
            for prediction in (f" {golds[0]}\n", f"{golds[0][: len(golds[0]) // 2]}.", other):
                expected = tydiqa_utils.process_results_lang(
                    {"answers": golds}, [prediction], lang
                )
                ours = mlqa_scores(prediction, golds, lang)
                assert ours["exact_match_mlqa"] == float(expected["exact_match"]), (lang, index)
                assert ours["f1_mlqa"] == pytest.approx(expected["f1"]), (lang, index)
                checked += 1
    assert checked == 3 * 5077
