"""The task classes of xfer_tasks.harness.choice_tasks: pools per subject, the evaluated question
left out of a pool that is its own split, and one clear error when a pool is too small.
(Equality with lm-eval's built-in tasks: tests/task_yamls/test_task_yamls_parity.py.)"""

from __future__ import annotations

import pytest

from xfer_tasks.data.release_files import write_global_mmlu_parquet, write_mmmlu_csv
from xfer_tasks.paths import tasks_path

pytest.importorskip("lm_eval")


def _task(name: str, metadata: dict):
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(tasks_path()), include_defaults=False, metadata=metadata)
    return manager.load([name])["tasks"][name]


def _rows(n: int, subjects: tuple[str, ...]) -> list[dict]:
    return [
        {"question": f"Q{i}", "option_a": "a", "option_b": "b", "option_c": "c", "option_d": "d",
         "answer": "ABCD"[i % 4], "subject": subjects[i % len(subjects)]}
        for i in range(n)
    ]  # fmt: skip


def test_too_few_same_subject_examples_is_one_clear_error(tmp_path):
    write_global_mmlu_parquet(tmp_path / "global_mmlu", "yo", "test", _rows(2, ("anatomy",)))
    write_global_mmlu_parquet(
        tmp_path / "global_mmlu", "yo", "dev", _rows(6, ("anatomy", "virology"))
    )
    task = _task("xfer_global_mmlu_yo", {"data_dir": str(tmp_path)})
    doc = task.test_docs()[0]
    assert task.fewshot_context(doc, 3).count("\nAnswer: ") == 3  # Q0, Q2, Q4: anatomy
    assert "Q1" not in task.fewshot_context(doc, 3)
    with pytest.raises(ValueError, match=r"xfer_global_mmlu_yo: 4-shot needs 4 .*'anatomy', found 3"):
        task.fewshot_context(doc, 4)


def test_pool_that_is_the_evaluated_split_leaves_the_question_out(tmp_path):
    rows = [
        {"Question": f"Q{i}", "A": "a", "B": "b", "C": "c", "D": "d", "Answer": "A",
         "Subject": "anatomy"}
        for i in range(3)
    ]  # fmt: skip
    write_mmmlu_csv(tmp_path / "mmmlu", "de_de", rows)
    task = _task("xfer_mmmlu_de_de", {"data_dir": str(tmp_path)})
    docs = list(task.test_docs())
    context = task.fewshot_context(docs[1], 2)
    assert context.startswith(
        "The following are multiple choice questions (with answers) about anatomy (German).\n\nQ0\n"
    )
    assert "Q2\n" in context and context.endswith("Q1\nA. a\nB. b\nC. c\nD. d\nAnswer:")
    assert context.count("Q1\n") == 1  # only as the question asked
