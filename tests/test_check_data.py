"""The pre-flight data check resolves task and group names and raises the loader's error."""

from __future__ import annotations

import pytest

from xfer_tasks.catalog import BUCC, MMMLU, TATOEBA, TYDIQA, XNLI
from xfer_tasks.check_data import check_task_data, language_tasks
from xfer_tasks.data import DataMissingError


def test_names_resolve_to_language_tasks():
    assert language_tasks(["xfer_xnli_de", "xfer_m_mmlu_de", "xfer_mmlu_en", "arc_easy"]) == [
        ("xfer_xnli", "de"),
        ("xfer_m_mmlu", "de"),
        ("xfer_mmlu", "en"),
    ]
    xtreme = language_tasks(["xfer_xtreme"])
    # every member group of xfer_xtreme is checked, the retrieval tasks included
    assert len(xtreme) == sum(len(b.languages) for b in (XNLI, TYDIQA, MMMLU, BUCC, TATOEBA))
    assert ("xfer_mmmlu", "zh_cn") in xtreme


def test_check_passes_on_real_data_and_fails_on_missing(shared_data, tmp_path):
    metadata = {"data_dir": str(shared_data), "xnli_split": "validation"}
    assert check_task_data(["xfer_xnli_de", "xfer_tydiqa_en"], metadata) == 2
    (tmp_path / "mmmlu").mkdir()
    with pytest.raises(DataMissingError, match="MMMLU: data not found"):
        check_task_data(["xfer_mmmlu_de_de"], {"data_dir": str(tmp_path)})
