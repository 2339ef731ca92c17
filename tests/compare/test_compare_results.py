"""Reading lm-eval output: the real 0.4.13 files in fixtures/ and hand-made edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from compare_lmeval_writer import Corpus, write_manifest, write_run

from xfer_tasks.compare.naming import language_family, score_metrics, split_task
from xfer_tasks.compare.results import ResultsError, expand_results_paths, load_results

REAL = Path(__file__).parent / "fixtures" / "lmeval_0_4_13"


def test_real_lmeval_results_file_is_read():
    (path,) = expand_results_paths([REAL / "base"])
    run = load_results(path)
    assert set(run.tasks) == {"xfer_xnli_de", "xfer_xnli_en", "xfer_tatoeba_deu"}
    assert run.groups == {"xfer_xnli": ["xfer_xnli_en", "xfer_xnli_de"]}  # group row skipped
    de = run.tasks["xfer_xnli_de"]
    assert de.metrics["acc"].value == pytest.approx(0.3125)
    assert de.metrics["acc"].stderr == pytest.approx(0.11967838846954226)
    assert (de.n, de.n_original, de.num_fewshot, de.version) == (16, 20, 0, 1.0)
    assert run.limit == 16.0
    assert run.checkpoint == "checkpoints/base"
    tatoeba = run.tasks["xfer_tatoeba_deu"].metrics["acc_en2xx"]
    assert tatoeba.value == pytest.approx(0.375) and tatoeba.stderr is None  # "N/A"


def test_real_samples_give_per_document_values_only_for_mean_metrics():
    run = load_results(expand_results_paths([REAL / "base"])[0])
    values = run.per_sample_values("xfer_xnli_de", "acc")
    assert values is not None and sorted(values) == list(range(16))
    assert sum(values.values()) / 16 == pytest.approx(0.3125)
    # the retrieval metric logs opaque per-query items: no per-document values
    assert run.samples("xfer_tatoeba_deu") is not None
    assert run.per_sample_values("xfer_tatoeba_deu", "acc_en2xx") is None
    assert len(run.doc_hashes("xfer_xnli_de")) == 16


def test_per_sample_values_rejected_when_their_mean_is_not_the_score(tmp_path):
    path = write_run(tmp_path, "ckpt", {"xfer_xnli_de": {"acc": [1, 0, 1, 1]}})
    data = json.loads(path.read_text())
    data["results"]["xfer_xnli_de"]["acc,none"] = 0.5  # not the mean 0.75 -> not a mean metric
    path.write_text(json.dumps(data))
    run = load_results(path)
    assert run.per_sample_values("xfer_xnli_de", "acc") is None


def test_folder_expands_to_newest_results_file_per_subfolder(tmp_path):
    write_run(tmp_path, "m1", {"xfer_xnli_de": {"acc": [1, 0]}}, date_id="2026-01-01T00-00-00.1")
    newest = write_run(
        tmp_path, "m1", {"xfer_xnli_de": {"acc": [1, 1]}}, date_id="2026-02-01T00-00-00.1"
    )
    other = write_run(tmp_path, "m2", {"xfer_xnli_de": {"acc": [0, 0]}})
    assert expand_results_paths([tmp_path]) == [newest, other]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ResultsError, match="no lm-eval results"):
        expand_results_paths([tmp_path / "empty"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"configs": {}}', "expected an lm-eval results JSON"),
        ('{"results": {"t": {"acc,none": "high"}}}', "results.t.acc,none"),
    ],
)
def test_bad_results_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "results_2026-01-01T00-00-00.0.json"
    path.write_text(content)
    with pytest.raises(ResultsError, match=message) as info:
        load_results(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(ResultsError, match="file not found"):
        expand_results_paths([tmp_path / "nope.json"])


def test_model_args_string_form_and_manifest_lookup(tmp_path):
    checkpoint = tmp_path / "ckpt_k2"
    write_manifest(checkpoint, ["mnli", "squad"], seed=3)
    path = write_run(tmp_path / "out", checkpoint, {"xfer_xnli_de": {"acc": [1, 0]}})
    data = json.loads(path.read_text())
    data["config"]["model_args"] = f"pretrained={checkpoint},dtype=float32"  # lm-eval < 0.4.9
    path.write_text(json.dumps(data))
    run = load_results(path)
    assert run.model_args == {"pretrained": str(checkpoint), "dtype": "float32"}
    assert run.num_tasks == 2 and run.seed == 3
    assert run.intermediate_tasks == ["mnli", "squad"]
    assert run.manifest_path == checkpoint / "xfer_manifest.json"


def test_hand_made_corpus_metric_has_no_stderr(tmp_path):
    path = write_run(tmp_path, "m", {"xfer_bucc_de": {"f1": Corpus(0.8, 100)}})
    run = load_results(path)
    assert run.tasks["xfer_bucc_de"].metrics["f1"].stderr is None
    assert run.per_sample_values("xfer_bucc_de", "f1") is None


def test_task_names_map_to_benchmark_and_language():
    assert split_task("xfer_xnli_de") == ("xfer_xnli", "de")
    assert split_task("xfer_mmmlu_de_de") == ("xfer_mmmlu", "de_de")
    assert split_task("xfer_m_mmlu_ar") == ("xfer_m_mmlu", "ar")
    assert split_task("xfer_mmlu_en") == ("xfer_mmlu", "en")
    assert split_task("xfer_global_mmlu_fil") == ("xfer_global_mmlu", "fil")
    assert split_task("arc_easy") == ("arc_easy", "-")
    assert split_task("belebele_x", {"belebele": ["belebele_x"]}) == ("belebele", "x")
    assert score_metrics("xfer_bucc", ["f1", "precision", "recall", "threshold"]) == ["f1"]
    assert language_family("deu") == "Germanic" == language_family("de_de")
    assert language_family("cmn") == "Sino-Tibetan"
    assert language_family("en") == "English (source)"
    assert language_family("xx") == "Other"


def test_subset_metric_uses_only_the_documents_that_log_it(tmp_path):
    # Global-MMLU: acc on every question, acc_cs only on the culturally-sensitive ones
    path = write_run(
        tmp_path, "m", {"xfer_global_mmlu_de": {"acc": [1, 0, 1, 1], "acc_cs": [1, 0, 0, 0]}}
    )
    samples = next(path.parent.glob("samples_xfer_global_mmlu_de_*.jsonl"))
    records = [json.loads(line) for line in samples.read_text().splitlines()]
    for record in records[2:]:  # documents 2 and 3 are culturally agnostic: no acc_cs
        del record["acc_cs"]
        record["metrics"].remove("acc_cs")
    samples.write_text("".join(json.dumps(r) + "\n" for r in records))
    data = json.loads(path.read_text())
    data["results"]["xfer_global_mmlu_de"]["acc_cs,none"] = 0.5  # mean over documents 0, 1
    path.write_text(json.dumps(data))
    run = load_results(path)
    assert run.per_sample_values("xfer_global_mmlu_de", "acc_cs") == {0: 1.0, 1: 0.0}
    assert len(run.per_sample_values("xfer_global_mmlu_de", "acc")) == 4


def test_malformed_samples_file_names_file_and_line(tmp_path):
    path = write_run(tmp_path, "m", {"xfer_xnli_de": {"acc": [1, 0, 1]}})
    samples = next(path.parent.glob("samples_*.jsonl"))
    lines = samples.read_text().splitlines()
    lines[1] = lines[1][:20]
    samples.write_text("\n".join(lines) + "\n")
    with pytest.raises(ResultsError, match=f"{samples}:2: not valid JSON"):
        load_results(path).per_sample_values("xfer_xnli_de", "acc")
