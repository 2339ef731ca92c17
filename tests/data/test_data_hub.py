"""The Hub path of every loader: ids, configs and split names asked for, and the Hub schemas
mapped to the records (the Hub itself is unreachable here, so ``load_dataset`` is replaced by
a fake that returns rows in each dataset's published schema)."""

from __future__ import annotations

import pytest

from xfer_tasks.data import global_mmlu, m_mmlu, mmlu, mmmlu, tydiqa, xnli


@pytest.fixture
def hub(monkeypatch):
    import datasets

    calls: list[tuple[str, str | None, str]] = []
    tables: dict[tuple[str, str | None, str], list[dict]] = {}

    def fake_load_dataset(path, name=None, split=None, **kwargs):
        calls.append((path, name, split))
        if (path, name, split) not in tables:
            raise FileNotFoundError(f"{path} {name} {split} not on the fake Hub")
        return tables[(path, name, split)]

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    monkeypatch.delenv("XFER_DATA_DIR", raising=False)
    return calls, tables


def test_xnli_hub(hub):
    calls, tables = hub
    tables[("facebook/xnli", "de", "test")] = [{"premise": "P", "hypothesis": "H", "label": 2}]
    tables[("facebook/xnli", "de", "train")] = [{"premise": "p", "hypothesis": "h", "label": 0}]
    data = xnli.load_task_data("de", {})
    assert data["eval"][0] == {"premise": "P", "hypothesis": "H", "label": 2}
    assert data["fewshot"][0] == {"premise": "p", "hypothesis": "h", "label": 0}
    # few-shot pool: the train split, as lm-eval's xnli_<lang>
    assert calls == [("facebook/xnli", "de", "test"), ("facebook/xnli", "de", "train")]


def test_tydiqa_hub_filters_the_language(hub):
    calls, tables = hub
    answers = {"text": ["x"], "answer_start": [0]}
    rows = [
        {"id": "finnish-1", "title": "t", "context": "x y", "question": "q1", "answers": answers},
        {"id": "english-2", "title": "t", "context": "x y", "question": "q2", "answers": answers},
    ]
    tables[("google-research-datasets/tydiqa", "secondary_task", "validation")] = rows
    tables[("google-research-datasets/tydiqa", "secondary_task", "train")] = rows
    data = tydiqa.load_task_data("fi", {})
    assert data["eval"]["id"] == ["finnish-1"] and data["fewshot"]["id"] == ["finnish-1"]


def test_english_mmlu_hub_int_answers(hub):
    calls, tables = hub
    row = {"question": "Q", "subject": "anatomy", "choices": ["a", "b", "c", "d"], "answer": 3}
    tables[("cais/mmlu", "all", "test")] = [row]
    tables[("cais/mmlu", "all", "dev")] = [dict(row, answer=0)]
    data = mmlu.load_task_data("en", {})
    assert data["eval"][0]["answer"] == 3 and data["fewshot"][0]["answer"] == 0


def test_mmmlu_hub_config_is_upper_case_locale(hub):
    calls, tables = hub
    row = {
        "Unnamed: 0": 0,
        "Question": "Q",
        "A": "a",
        "B": "b",
        "C": "c",
        "D": "d",
        "Answer": "B",
        "Subject": "virology",
    }
    tables[("openai/MMMLU", "ZH_CN", "test")] = [row]
    data = mmmlu.load_task_data("zh_cn", {})
    assert data["eval"][0]["answer"] == 1 and data["eval"][0]["subject"] == "virology"


def test_global_mmlu_hub(hub):
    calls, tables = hub
    row = {"sample_id": "virology/test/0", "subject": "virology", "question": "Q", "option_a": "a", "option_b": "b",
           "option_c": "c", "option_d": "d", "answer": "D", "cultural_sensitivity_label": "CA", "is_annotated": True}  # fmt: skip
    tables[("CohereForAI/Global-MMLU", "am", "test")] = [row]
    tables[("CohereForAI/Global-MMLU", "am", "dev")] = [row]
    data = global_mmlu.load_task_data("am", {})
    assert data["eval"][0]["answer"] == 3 and data["eval"][0]["cultural_sensitivity_label"] == "CA"


def test_m_mmlu_hub_split_names(hub):
    calls, tables = hub
    row = {"instruction": "Q", "option_a": "a", "option_b": "b", "option_c": "c", "option_d": "d",
           "answer": "A", "id": "nutrition/val/3"}  # fmt: skip
    tables[("alexandrainst/m_mmlu", "da", "val")] = [row]
    tables[("alexandrainst/m_mmlu", "da", "train")] = [row]
    data = m_mmlu.load_task_data("da", {"m_mmlu_split": "val"})
    assert data["eval"][0]["subject"] == "nutrition"
    # Okapi's dev split is the mirror's "train"
    assert calls == [("alexandrainst/m_mmlu", "da", "val"), ("alexandrainst/m_mmlu", "da", "train")]
