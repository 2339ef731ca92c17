"""MMLU-family loaders: English MMLU and Okapi m_mmlu on real files, MMMLU and Global-MMLU on
small files written in their official schemas."""

from __future__ import annotations

from collections import Counter

import pytest

from xfer_tasks.data import DataFormatError, DataMissingError, global_mmlu, m_mmlu, mmlu, mmmlu
from xfer_tasks.data.mmlu_common import HEADER, SPLIT_FIELD, format_question
from xfer_tasks.data.release_files import write_global_mmlu_parquet, write_mmmlu_csv


def test_english_mmlu_release_sizes(shared_data):
    md = {"data_dir": str(shared_data)}
    sizes = {split: len(mmlu.load_split(split, md)) for split in ("test", "validation", "dev")}
    assert sizes == {"test": 14042, "validation": 1531, "dev": 285}
    dev = mmlu.load_split("dev", md)
    per_subject = Counter(row["subject"] for row in dev)
    assert len(per_subject) == 57 and set(per_subject.values()) == {5}


def test_english_mmlu_zero_shot_prefix_is_the_header(shared_data):
    data = mmlu.load_task_data("en", {"data_dir": str(shared_data), "mmlu_split": "val"})
    row = data["eval"][0]
    assert row["prompt_prefix"] == HEADER.format(subject_name=row["subject"].replace("_", " "))
    assert format_question(row).endswith("\nD. " + row["choices"][3] + "\nAnswer:")


def test_subject_shots_keep_the_description_and_tag_splits(shared_data):
    """The examples themselves come from the task class (checked against lm-eval's own mmlu
    in tests/task_yamls/test_task_yamls_parity.py); the records only carry the header and
    the split each comes from."""
    md = {"data_dir": str(shared_data), "mmlu_subject_shots": 5}
    data = mmlu.load_task_data("en", md)
    row = data["eval"][5000]
    assert row["prompt_prefix"] == HEADER.format(subject_name=row["subject_name"])
    assert set(data["eval"][SPLIT_FIELD]) == {"test"} and set(data["fewshot"][SPLIT_FIELD]) == {"dev"}


def test_format_question_by_hand():
    record = {"question": " 2 + 2 = ? ", "choices": ["3", "4", "5", "22"], "answer": 1}
    assert format_question(record) == "2 + 2 = ?\nA. 3\nB. 4\nC. 5\nD. 22\nAnswer:"


def test_m_mmlu_real_okapi_files(shared_data):
    md = {"data_dir": str(shared_data), "m_mmlu_split": "validation"}
    data = m_mmlu.load_task_data("de", md)
    assert data["eval"].num_rows == 1449 and data["fewshot"].num_rows == 277
    assert set(data["eval"]["prompt_prefix"]) == {""}  # lm-eval's m_mmlu has no description
    assert all("/" not in subject and subject for subject in data["eval"]["subject"])


def test_m_mmlu_default_test_split_missing_locally(shared_data):
    with pytest.raises(DataMissingError) as info:
        m_mmlu.load_task_data("de", {"data_dir": str(shared_data)})
    assert "de_test.json" in str(info.value) and "m_mmlu_split: validation" in str(info.value)


QUESTIONS = [
    {"Question": "Q0", "A": "a", "B": "b", "C": "c", "D": "d", "Answer": "C", "Subject": "anatomy"},
    {
        "Question": "Q1",
        "A": "a",
        "B": "b",
        "C": "c",
        "D": "d",
        "Answer": "A",
        "Subject": "world_religions",
    },
]


def test_mmmlu_openai_csv(tmp_path):
    write_mmmlu_csv(tmp_path / "mmmlu", "sw_ke", QUESTIONS)
    data = mmmlu.load_task_data("sw_ke", {"data_dir": str(tmp_path)})
    assert data["eval"]["answer"] == [2, 0]
    assert data["eval"]["subject_name"] == ["anatomy", "world religions"]
    # no dev split: the pool is the test split itself, as in lm-eval's openai-mmmlu
    assert data["fewshot"].to_list() == data["eval"].to_list()
    assert data["eval"]["prompt_prefix"][0] == (
        "The following are multiple choice questions (with answers) about anatomy (Swahili).\n\n"
    )


@pytest.mark.parametrize(
    ("cell", "subject"),
    [
        ("college_mathematics_test.csv_sw-KE.csv", "college_mathematics"),
        ("world_religions_test-sw", "world_religions"),
        ("anatomy", "anatomy"),
    ],
)
def test_mmmlu_subject_cells_with_file_names(tmp_path, cell, subject):
    """Some openai/MMMLU configs put file names in Subject; lm-eval cuts them the same way."""
    write_mmmlu_csv(tmp_path / "mmmlu", "sw_ke", [dict(QUESTIONS[0], Subject=cell)])
    assert mmmlu.load_split("sw_ke", {"data_dir": str(tmp_path)})[0]["subject"] == subject


def test_mmmlu_bad_answer_letter(tmp_path):
    write_mmmlu_csv(tmp_path / "mmmlu", "de_de", [dict(QUESTIONS[0], Answer="E")])
    with pytest.raises(DataFormatError, match=r"mmlu_DE-DE.csv:2: answer 'E'"):
        mmmlu.load_split("de_de", {"data_dir": str(tmp_path)})


def _global_rows(labels):
    return [
        {"question": f"Q{i}", "option_a": "a", "option_b": "b", "option_c": "c", "option_d": "d",
         "answer": "ABCD"[i % 4], "subject": "virology", "cultural_sensitivity_label": label}
        for i, label in enumerate(labels)
    ]  # fmt: skip


def test_global_mmlu_parquet_keeps_cultural_labels(tmp_path):
    write_global_mmlu_parquet(
        tmp_path / "global_mmlu", "yo", "test", _global_rows(["CS", "CA", "-"])
    )
    write_global_mmlu_parquet(tmp_path / "global_mmlu", "yo", "dev", _global_rows(["-"]))
    data = global_mmlu.load_task_data("yo", {"data_dir": str(tmp_path)})
    assert data["eval"]["cultural_sensitivity_label"] == ["CS", "CA", "-"]
    assert data["eval"]["answer"] == [0, 1, 2]
    assert data["fewshot"].num_rows == 1
    assert set(data["eval"]["prompt_prefix"]) == {""}  # lm-eval's global_mmlu_full: none


def test_global_mmlu_missing_column(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "global_mmlu" / "yo" / "test-00000-of-00001.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.table({"question": ["Q"], "answer": ["A"]}), path)
    with pytest.raises(DataFormatError, match="lacks column"):
        global_mmlu.load_split("yo", "test", {"data_dir": str(tmp_path)})


def test_english_mmlu_missing_subject_file_is_an_error(shared_data, tmp_path):
    """A folder lacking one subject's test CSV used to be scored on 56 subjects without a word."""
    for split in ("test", "dev"):
        (tmp_path / "mmlu" / split).mkdir(parents=True)
        for path in sorted((shared_data / "mmlu" / split).glob("*.csv")):
            if path.name != "virology_test.csv":
                (tmp_path / "mmlu" / split / path.name).symlink_to(path)
    with pytest.raises(DataMissingError) as info:
        mmlu.load_task_data("en", {"data_dir": str(tmp_path)})
    message = str(info.value)
    assert str(tmp_path / "mmlu" / "test" / "virology_test.csv") in message
    assert "1 of the 57 subject files is missing" in message and "\n" not in message


def test_english_mmlu_subject_list_is_lm_evals():
    generate = pytest.importorskip("lm_eval.tasks.mmlu._generate_configs")
    assert sorted(mmlu.SUBJECTS) == sorted(generate.SUBJECTS)


def test_mmlu_subjects_is_an_explicit_checked_subset(tmp_path):
    from xfer_tasks.data import DataMissingError, mmlu
    from xfer_tasks.metadata import MetadataError

    for split in ("test", "dev"):
        (tmp_path / "mmlu" / split).mkdir(parents=True)
        for subject in ("anatomy", "virology"):
            (tmp_path / "mmlu" / split / f"{subject}_{split}.csv").write_text(
                f"q {subject},a,b,c,d,A\n", encoding="utf-8"
            )
    chosen = {"data_dir": str(tmp_path), "mmlu_subjects": "virology, anatomy"}
    rows = mmlu.load_split("test", chosen)
    assert [r["subject"] for r in rows] == ["anatomy", "virology"]
    only = mmlu.load_split("test", {"data_dir": str(tmp_path), "mmlu_subjects": ["virology"]})
    assert [r["subject"] for r in only] == ["virology"]
    with pytest.raises(DataMissingError, match="55 of the 57 subject files are missing"):
        mmlu.load_split("test", {"data_dir": str(tmp_path)})
    with pytest.raises(MetadataError, match="mmlu_subjects: unknown subject 'virologie'"):
        mmlu.load_split("test", {"data_dir": str(tmp_path), "mmlu_subjects": ["virologie"]})
