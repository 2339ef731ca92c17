"""Fixtures of the lm-eval path tests: a tiny causal LM and a data root in the release layouts.

The data root links the real XNLI, TyDiQA-GoldP, MMLU and m_mmlu folders of
``../shared/data`` and adds small MMMLU and Global-MMLU files written in their official
schemas (those two datasets are not available offline).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from xfer_tasks.catalog import GLOBAL_MMLU, MMMLU
from xfer_tasks.data.release_files import write_global_mmlu_parquet, write_mmmlu_csv

REAL_SUBDIRS = ("xnli", "tydiqa_goldp", "mmlu", "m_mmlu")
SUBJECTS = ("anatomy", "virology", "world_religions")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from xfer_tasks.train.tiny_model import build_tiny_causal_lm

    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny_lm"))


def global_mmlu_labels(index: int) -> list[str]:
    """Language ``index``'s CS/CA labels: sizes 2..5, so size-weighted and plain means differ."""
    return ["CS", "CA", "-", "CS", "CA"][: 2 + index % 4]


def _mc_rows(n: int, seed: int) -> list[tuple[str, list[str], str, str]]:
    rows = []
    for i in range(n):
        k = seed * 7 + i
        choices = [f"option {k} {letter}" for letter in "abcd"]
        rows.append(
            (f"Question {k}: which option is right?", choices, "ABCD"[k % 4], SUBJECTS[k % 3])
        )
    return rows


@pytest.fixture(scope="session")
def data_root(shared_data, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("xfer_data")
    for name in REAL_SUBDIRS:
        (root / name).symlink_to(shared_data / name, target_is_directory=True)
    for index, locale in enumerate(MMMLU.languages):
        write_mmmlu_csv(
            root / "mmmlu",
            locale,
            [
                {
                    "Question": q,
                    "A": c[0],
                    "B": c[1],
                    "C": c[2],
                    "D": c[3],
                    "Answer": a,
                    "Subject": s,
                }
                for q, c, a, s in _mc_rows(3, index)
            ],
        )
    for index, lang in enumerate(GLOBAL_MMLU.languages):
        labels = global_mmlu_labels(index)
        rows = [
            {"question": q, "option_a": c[0], "option_b": c[1], "option_c": c[2], "option_d": c[3],
             "answer": a, "subject": s, "cultural_sensitivity_label": label}
            for (q, c, a, s), label in zip(_mc_rows(len(labels), index), labels, strict=True)
        ]  # fmt: skip
        write_global_mmlu_parquet(root / "global_mmlu", lang, "test", rows)
        write_global_mmlu_parquet(root / "global_mmlu", lang, "dev", rows[:2])
    return root
