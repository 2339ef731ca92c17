"""Task declarations and formatting: every shipped YAML loads, real data and official-schema
files become the expected (prompt, answer) pairs, and bad input fails with a one-line reason."""

from __future__ import annotations

import json

import pytest
from train_official_files import (
    write_ccg_auto,
    write_ccg_conll,
    write_glue_mnli_tsv,
    write_multinli_jsonl,
    write_qqp_tsv,
    write_snli_jsonl,
    write_socialiqa,
)
from xfer_tasks.train.formatting import resolve_path
from xfer_tasks.train.pool import load_task
from xfer_tasks.train.task_spec import (
    TaskSpecError,
    available_tasks,
    load_task_spec,
    parse_task_spec,
)

from xfer_tasks.data import DataFormatError, DataMissingError

PHANG_NINE = {"anli_plus", "ccg", "commonsenseqa", "cosmosqa", "hellaswag", "mnli", "qqp", "socialiqa", "squad"}


def test_the_nine_tasks_of_phang_et_al_are_declared_with_hub_and_local_sources():
    assert PHANG_NINE <= set(available_tasks())
    for name in available_tasks():
        spec = load_task_spec(name)
        assert spec.type in ("classification", "multiple_choice", "span", "tagging")
        if spec.components:
            assert all(load_task_spec(c).type == spec.type for c in spec.components)
            continue
        assert spec.local is not None and spec.local.files.get("train"), name
        assert spec.hub is not None or name == "ccg", name
    assert load_task_spec("ccg").hub is None  # licensed: bring your own files
    assert load_task_spec("anli_plus").components == ("snli", "mnli", "anli")


def test_resolve_path_syntax():
    record = {"question": {"stem": "Q?", "choices": [{"text": "a"}, {"text": "b"}]}, "x": [1, 2]}
    assert resolve_path(record, "question.stem") == "Q?"
    assert resolve_path(record, "question.choices[*].text") == ["a", "b"]
    assert resolve_path(record, "x[1]") == 2


# --- the real English data in ../shared/data (dev files serve as training data) ---------


def test_commonsenseqa_official_jsonl(shared_data):
    task = load_task("commonsenseqa", "validation", shared_data)
    assert len(task.examples) == 1221
    first = task.examples[0]
    assert first.fields["choices"] == ["bank", "library", "department store", "mall", "new york"]
    assert first.fields["label"] == 0
    assert first.prompt.endswith("D. mall\nE. new york\nAnswer:") and first.answer == " bank"
    assert task.fingerprints[0] == (
        "sha256:" + __import__("xfer_tasks.train.sources", fromlist=["x"]).sha256_files(
            [shared_data / "commonsenseqa" / "dev_rand_split.jsonl"]
        )
    )


def test_cosmosqa_official_csv(shared_data):
    task = load_task("cosmosqa", "validation", shared_data)
    assert len(task.examples) == 2985
    first = task.examples[0]
    assert first.fields["label"] == 1 and first.answer == " He wants to get married to a different person ."


def test_hellaswag_text_layout(shared_data):
    ref = {"name": "hellaswag", "local": {"format": "hellaswag_text", "files": {"validation": ["hellaswag_val_full.txt.bz2"]}}}
    task = load_task(ref, "validation", shared_data)
    assert len(task.examples) == 10042
    first = task.examples[0]
    assert first.prompt == "Roof shingle removal: A man is sitting on a roof. he"
    assert first.answer == " starts pulling up roofing on a roof."  # gold index 3


def test_squad_json_one_example_per_question(shared_data):
    task = load_task({"name": "squad", "local": {"files": {"validation": ["xquad.en.json"]}}}, "validation", shared_data)
    assert len(task.examples) == 1190
    e = task.examples[0]
    assert e.answer == " 308" and e.fields["context"][e.fields["answer_starts"][0] :].startswith("308")


def test_anli_analysis_csv_with_field_overrides(shared_data):
    ref = {
        "name": "anli",
        "local": {
            "files": {"validation": ["ANLI_analysis_r1_dev.csv"]},
            "fields": {"premise": "context", "hypothesis": "statement", "label": "gold_label"},
        },
    }
    task = load_task(ref, "validation", shared_data)
    assert len(task.examples) == 1000
    assert task.examples[0].fields["label"] == "contradiction" and task.examples[0].answer == " no"
    assert {e.fields["label"] for e in task.examples} == {"entailment", "neutral", "contradiction"}


# --- official-schema files for the tasks not in the shared data -------------------------


def test_mnli_jsonl_and_glue_tsv_read_alike(tmp_path):
    write_multinli_jsonl(tmp_path, n=12)
    write_glue_mnli_tsv(tmp_path, n=6)
    jsonl = load_task("mnli", "train", tmp_path)
    tsv = load_task({"name": "mnli", "local": {"files": {"train": ["MNLI/train.tsv"]}}}, "train", tmp_path)
    assert len(jsonl.examples) == 12 and len(tsv.examples) == 6
    assert [e.fields["label"] for e in jsonl.examples[:3]] == ["entailment", "neutral", "contradiction"]
    assert tsv.examples[0].fields["premise"].endswith('"quoted')  # GLUE tsv: quoting off
    assert jsonl.examples[0].answer == " yes"


def test_snli_drops_no_consensus_pairs_and_counts_them(tmp_path):
    write_snli_jsonl(tmp_path, n=12)
    task = load_task("snli", "train", tmp_path)
    assert len(task.examples) == 9 and task.dropped == {"-": 3}


def test_anli_plus_is_the_union_of_its_components(tmp_path):
    write_snli_jsonl(tmp_path, n=8)
    write_multinli_jsonl(tmp_path, n=5)
    anli = tmp_path / "anli" / "anli_v1.0"
    for r in ("R1", "R2", "R3"):
        (anli / r).mkdir(parents=True)
        (anli / r / "train.jsonl").write_text(
            '{"uid": "1", "context": "A dog runs.", "hypothesis": "An animal runs.", "label": "e", "reason": ""}\n'
        )
    task = load_task("anli_plus", "train", tmp_path)
    assert len(task.examples) == 6 + 5 + 3
    assert {e.task for e in task.examples} == {"anli_plus"}
    assert len(task.fingerprints) == 3 and task.dropped == {"snli:-": 2}


def test_qqp_glue_tsv(tmp_path):
    write_qqp_tsv(tmp_path, n=4)
    task = load_task("qqp", "train", tmp_path)
    assert [e.fields["label"] for e in task.examples] == ["duplicate", "not_duplicate"] * 2


def test_socialiqa_labels_file_is_one_indexed(tmp_path):
    write_socialiqa(tmp_path, n=3)
    task = load_task("socialiqa", "train", tmp_path)
    assert [e.fields["label"] for e in task.examples] == [0, 1, 2]
    assert [e.answer for e in task.examples] == [" tired", " angry", " bored"]
    assert len(task.fingerprints) == 1 and task.fingerprints[0].startswith("sha256:")


def test_socialiqa_label_count_mismatch_is_an_error(tmp_path):
    base = write_socialiqa(tmp_path, n=3)
    (base / "train-labels.lst").write_text("1\n2\n")
    with pytest.raises(DataFormatError, match="2 labels .* but 3 records"):
        load_task("socialiqa", "train", tmp_path)


def test_ccg_auto_files_and_byo_tsv(tmp_path):
    write_ccg_auto(tmp_path)
    task = load_task("ccg", "train", tmp_path)
    assert task.examples[0].fields["tokens"] == ["Rolls-Royce", "makes", "cars"]
    assert task.examples[0].fields["tags"] == ["N", "(S[dcl]\\NP)/NP", "N"]
    assert task.examples[0].answer == " N (S[dcl]\\NP)/NP N"
    write_ccg_conll(tmp_path)
    byo = load_task({"name": "ccg", "local": {"format": "conll", "files": {"train": ["train.tsv"]}}}, "train", tmp_path)
    assert [e.fields["tags"] for e in byo.examples] == [task.examples[0].fields["tags"], task.examples[1].fields["tags"]]


def test_a_new_task_is_one_yaml_file(tmp_path):
    (tmp_path / "sst2").mkdir()
    (tmp_path / "sst2" / "train.tsv").write_text("sentence\tlabel\ngreat film \t1\ndull plot \t0\n")
    spec = tmp_path / "sst2.yaml"
    spec.write_text(
        "name: sst2\ntype: classification\nhub: {path: nyu-mll/glue, name: sst2}\n"
        "local: {subdir: sst2, files: [train.tsv]}\nfields: {sentence: sentence, label: label}\n"
        "label_map: {'0': negative, '1': positive}\nlabels: [negative, positive]\ninputs: [sentence]\n"
        "verbalizer: {negative: bad, positive: good}\n"
        "template: {prompt: '{sentence} Overall it was', answer: ' {label_text}'}\n"
    )
    task = load_task({"name": "sst2", "file": str(spec)}, "train", tmp_path)
    assert [(e.prompt, e.answer) for e in task.examples] == [
        ("great film  Overall it was", " good"),
        ("dull plot  Overall it was", " bad"),
    ]


# --- errors ------------------------------------------------------------------------------


def test_missing_data_names_task_hub_id_and_local_path(tmp_path):
    with pytest.raises(DataMissingError) as err:
        load_task("mnli", "train", tmp_path)
    message = str(err.value)
    assert "mnli" in message and "nyu-mll/glue" in message
    assert str(tmp_path / "mnli" / "multinli_1.0" / "multinli_1.0_train.jsonl") in message


def test_a_present_local_folder_is_the_only_source(tmp_path, monkeypatch):
    """The rule evaluation follows too (xfer_tasks/data/_source.py): a local subfolder that
    lacks the split's file is an error naming the path; the Hub is not tried."""
    import datasets

    def no_hub(*args, **kwargs):
        raise AssertionError("the Hub must not be tried when the local folder exists")

    monkeypatch.setattr(datasets, "load_dataset", no_hub)
    write_multinli_jsonl(tmp_path, n=3)  # train only
    with pytest.raises(DataMissingError) as err:
        load_task("mnli", "validation", tmp_path)
    message = str(err.value)
    assert "takes precedence" in message
    assert str(tmp_path / "mnli" / "multinli_1.0" / "multinli_1.0_dev_matched.jsonl") in message


def test_ccg_without_files_says_bring_your_own(tmp_path):
    with pytest.raises(DataMissingError, match="bring your own"):
        load_task("ccg", "train", tmp_path)


def test_unknown_label_is_an_error_naming_field_and_value(tmp_path):
    path = write_multinli_jsonl(tmp_path, n=3)
    path.write_text(path.read_text().replace('"gold_label": "neutral"', '"gold_label": "maybe"'))
    with pytest.raises(DataFormatError, match="field 'label'.*'maybe'"):
        load_task("mnli", "train", tmp_path)


def test_missing_field_in_record_is_an_error(tmp_path):
    write_multinli_jsonl(tmp_path, n=2)
    with pytest.raises(DataFormatError, match="field 'premise'.*'nope'"):
        load_task({"name": "mnli", "local": {"fields": {"premise": "nope"}}}, "train", tmp_path)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"type": "regression"}, "type"),
        ({"template": {"prompt": "x"}}, "template"),
        ({"verbalizer": {"entailment": "yes"}}, "verbalizer"),
        ({"local": {"format": "xml", "files": ["a"]}}, "local.format"),
        ({"colour": 1}, "colour"),
    ],
)
def test_bad_task_yaml_names_the_field(patch, field):
    import yaml
    from xfer_tasks.train.task_spec import TASKS_DIR, deep_merge

    base = yaml.safe_load((TASKS_DIR / "mnli.yaml").read_text())
    data = {**base, **patch} if field != "local.format" else deep_merge(base, patch)
    with pytest.raises(TaskSpecError, match=f"bad.yaml: field '{field}'"):
        parse_task_spec(data, "bad.yaml")


def test_unknown_task_name_lists_the_shipped_ones():
    with pytest.raises(TaskSpecError, match="unknown task 'mnlii'.*mnli"):
        load_task_spec("mnlii")


def test_hellaswag_clean_up_matches_lm_eval(tmp_path):
    from lm_eval.tasks.hellaswag.utils import preprocess as lm_eval_preprocess

    (tmp_path / "hellaswag").mkdir()
    record = {
        "activity_label": "Home and Garden", "ctx": "[header] How to plant a tree [title] Dig a hole.  [step] Water it",
        "endings": ["[substeps] then wait. ", " and sing [title] loudly"], "label": 1,
    }  # fmt: skip
    (tmp_path / "hellaswag" / "hellaswag_train.jsonl").write_text(json.dumps(record) + "\n")
    (example,) = load_task("hellaswag", "train", tmp_path).examples
    assert example.prompt == lm_eval_preprocess("Home and Garden: " + record["ctx"])
    assert example.fields["choices"] == [lm_eval_preprocess(e) for e in record["endings"]]
    assert example.answer == " " + lm_eval_preprocess(record["endings"][1])
