"""``xfer check-data``: the data of a task list is checked without any model."""

from __future__ import annotations

from pathlib import Path

import pytest

from xfer_tasks import cli
from xfer_tasks.catalog import TATOEBA, TATOEBA_ALL
from xfer_tasks.check_data import language_tasks

DEMO_EVAL = Path(__file__).resolve().parents[1] / "xfer_tasks" / "demo_data" / "eval"


def test_group_names_expand_to_their_languages():
    assert len(language_tasks(["xfer_tatoeba"])) == len(TATOEBA.languages) == 36
    assert len(language_tasks(["xfer_tatoeba_all"])) == len(TATOEBA_ALL) == 112
    assert language_tasks(["xfer_tatoeba_afr"]) == [
        ("xfer_tatoeba", "afr")
    ]  # not an XTREME language
    assert language_tasks(["xfer_bucc"]) == [
        ("xfer_bucc", lang) for lang in ("de", "fr", "ru", "zh")
    ]
    assert language_tasks(["lambada", "xfer_tatoeba_xyz"]) == []


def test_check_data_passes_on_complete_local_data(capsys):
    code = cli.main(
        ["check-data", "--tasks", "xfer_bucc_de,xfer_tatoeba_deu,xfer_xnli_de,lambada",
         "--data-dir", str(DEMO_EVAL), "--metadata", '{"xnli_split": "validation"}']
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "data found for 3 task(s)" in out and "not checked: lambada" in out


def test_check_data_names_the_missing_dataset(capsys, tmp_path):
    (tmp_path / "tatoeba").mkdir()
    code = cli.main(["check-data", "--tasks", "xfer_bucc_ru", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "bucc2018 ru-en" in err and "mteb/bucc-bitext-mining" in err and str(tmp_path) in err


def test_check_data_reports_a_malformed_file(capsys, tmp_path):
    folder = tmp_path / "tatoeba"
    folder.mkdir()
    (folder / "tatoeba.deu-eng.deu").write_text("eins\nzwei\n", encoding="utf-8")
    (folder / "tatoeba.deu-eng.eng").write_text("one\n", encoding="utf-8")
    assert cli.main(["check-data", "--tasks", "xfer_tatoeba_deu", "--data-dir", str(tmp_path)]) == 2
    assert "tatoeba.deu-eng" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["{not json", "[1, 2"])
def test_check_data_bad_metadata(capsys, bad):
    assert cli.main(["check-data", "--tasks", "xfer_xnli_de", "--metadata", bad]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing printed as if it had worked
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_check_data_unknown_xfer_task_name_is_an_error(capsys):
    """``--tasks xfer_tatoeba_xyz`` used to exit 0 with "data found for 0 task(s)"."""
    code = cli.main(["check-data", "--tasks", "xfer_tatoeba_xyz", "--data-dir", str(DEMO_EVAL)])
    line = _one_error_line(capsys)
    assert code == 2
    assert "xfer_tatoeba_xyz: not an xfer task" in line and "xfer_tatoeba" in line


def test_check_data_with_nothing_of_ours_to_check_is_an_error(capsys):
    assert cli.main(["check-data", "--tasks", "lambada,hellaswag"]) == 2
    assert "no xfer task among --tasks lambada,hellaswag" in _one_error_line(capsys)


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ('{"embed_layr": -2}', "metadata key 'embed_layr' is not an xfer option (did you mean 'embed_layer'?)"),
        ('{"embed_pooling": "foo"}', "embed_pooling: expected one of mean, mean_with_special, cls, last, got 'foo'"),
        ('{"search_options": {"nprobes": 4}}', "metadata search_options: unknown search option(s) ['nprobes']"),
        ('{"xnli_split": "train"}', "xnli_split='train' is not valid"),
    ],
)
def test_check_data_validates_metadata_as_the_tasks_will(capsys, metadata, expected):
    """check-data used to accept what lm_eval rejected later (embed_pooling: foo) and what
    the tasks silently ignored (embed_layr)."""
    code = cli.main(
        ["check-data", "--tasks", "xfer_tatoeba_deu,xfer_xnli_de", "--data-dir", str(DEMO_EVAL),
         "--metadata", metadata]
    )  # fmt: skip
    line = _one_error_line(capsys)
    assert code == 2
    assert expected in line


def test_check_data_lets_model_args_and_lm_eval_keys_pass(capsys):
    """lm-eval merges --model_args into every task's metadata: those keys are not ours."""
    metadata = '{"pretrained": "x", "dtype": "float32", "max_length": 64, "batch_size": 8, "version": 1, "xnli_split": "validation"}'
    code = cli.main(
        ["check-data", "--tasks", "xfer_xnli_de,xfer_tatoeba_deu", "--data-dir", str(DEMO_EVAL), "--metadata", metadata]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err


def test_check_data_metadata_must_be_an_object(capsys):
    assert cli.main(["check-data", "--tasks", "xfer_xnli_de", "--metadata", "[1]", "--data-dir", "x"]) == 2
    assert "--metadata must be a JSON object, got [1]" in _one_error_line(capsys)
