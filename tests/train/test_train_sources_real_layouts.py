"""The intermediate-task releases as they are published, read by the shipped task YAMLs with
no config overrides: ANLI's annotated dev CSVs, HellaSwag's 6-lines-per-item text, XQuAD
English (SQuAD JSON), CommonsenseQA jsonl and Cosmos QA csv.

Each layout is written here in small files that follow the release byte for byte in their
structure (header rows, quoting, compression, nesting), then read through ``load_task``; the
same task is then read from the real file in ``../shared/data`` when it is present.
"""

from __future__ import annotations

import bz2
import csv
import json
from pathlib import Path

import pytest
from xfer_tasks.train.pool import load_task
from xfer_tasks.train.sources import load_raw
from xfer_tasks.train.task_spec import TaskSpecError, load_task_spec, parse_task_spec

from xfer_tasks.data import DataFormatError, DataMissingError

# --- writers: one per release layout -----------------------------------------------------

# The header of anlizinganli/anli_annot_v0.2/ANLI_analysis_r*_dev.csv (all 26 columns).
ANLI_ANNOT_HEADER = [
    "context", "statement", "reason", "adversary_pred", "gold_label", "A1Code", "A1Notes", "eid",
    "uid", "tags", "preds-roberta-from-r2", "preds-roberta-from-r2PredLabel",
    "preds-roberta-from-r3", "preds-roberta-from-r3PredLabel", "preds-bert-r1",
    "preds-bert-r1PredLabel", "preds-anli-roberta-large", "preds-anli-roberta-largePredLabel",
    "preds-anli-bart-large", "preds-anli-bart-largePredLabel", "preds-anli-xlnet-large",
    "preds-anli-xlnet-largePredLabel", "preds-anli-electra-large",
    "preds-anli-electra-largePredLabel", "preds-anli-albert-xxlarge",
    "preds-anli-albert-xxlargePredLabel",
]  # fmt: skip


def write_anli_annotated(root: Path, rows_per_round: int = 3) -> list[Path]:
    """``anli/ANLI_analysis_r{1,2,3}_dev.csv``: header row, csv-quoted fields (commas, quotes
    and a newline inside the context), gold_label in {e, n, c}."""
    folder = root / "anli"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for rnd in (1, 2, 3):
        path = folder / f"ANLI_analysis_r{rnd}_dev.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)  # the release is written with minimal quoting, \r\n-free
            writer.writerow(ANLI_ANNOT_HEADER)
            for i in range(rows_per_round):
                label = "enc"[i % 3]
                context = f'Round {rnd}, item {i}: the "Aṣṭādhyāyī", a grammar,\nwas written by Pāṇini.'
                row = {
                    "context": context, "statement": f"Statement {rnd}.{i} about Pāṇini.",
                    "reason": "Because, it says so.", "adversary_pred": "n", "gold_label": label,
                    "A1Code": "Basic-Lexical", "eid": f"e{rnd}{i}", "uid": f"u{rnd}{i}",
                    "tags": "['Basic', 'Lexical']",
                    "preds-roberta-from-r2": "[0.1, 0.2, 0.7]", "preds-roberta-from-r2PredLabel": "c",
                }  # fmt: skip
                writer.writerow([row.get(col, "") for col in ANLI_ANNOT_HEADER])
        paths.append(path)
    return paths


HELLASWAG_ITEMS = [
    ("Roof shingle removal", "A man is sitting on a roof. he", 3,
     ["is using wrap to wrap a pair of skis.", "is ripping level tiles off.",
      "is holding a rubik's cube.", "starts pulling up roofing on a roof."]),
    ("Clean and jerk", "A lady walks to a barbell. She bends down and grabs the pole. the lady", 3,
     ["swings and lands in her arms.", "pulls the barbell forward.",
      "pulls a rope attached to the barbell.", "stands and lifts the weight over her head."]),
    ("Home and Garden", "How to water a plant: Fill a can with water. Then", 0,
     ["pour it slowly at the base.", "throw the can.", "eat the plant.", "paint the can."]),
]  # fmt: skip


def write_hellaswag_text(root: Path, items=HELLASWAG_ITEMS) -> Path:
    """``hellaswag/hellaswag_val_full.txt.bz2``: bz2 text, 6 lines per item
    (``<activity_label>: <ctx>``, the gold index, the 4 endings), LF, trailing newline."""
    lines = []
    for activity, ctx, gold, endings in items:
        lines += [f"{activity}: {ctx}", str(gold), *endings]
    path = root / "hellaswag" / "hellaswag_val_full.txt.bz2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bz2.compress(("\n".join(lines) + "\n").encode("utf-8")))
    return path


def write_xquad_en(root: Path) -> Path:
    """``squad/xquad.en.json``: SQuAD v1.1 JSON (data[].title, paragraphs[].context,
    qas[].answers/id/question), XQuAD's key order, two questions on one paragraph."""
    context = "The Panthers finished the regular season with a 15–1 record, and scored 308 points."
    data = {
        "data": [{
            "title": "Super_Bowl_50",
            "paragraphs": [{
                "context": context,
                "qas": [
                    {"answers": [{"answer_start": context.index("308"), "text": "308"}],
                     "id": "56beb4343aeaaa14008c925b", "question": "How many points did the Panthers score?"},
                    {"answers": [{"answer_start": context.index("15–1"), "text": "15–1"}],
                     "id": "56beb4343aeaaa14008c925c", "question": "What was their record?"},
                ],
            }],
        }],
        "version": "1.1",
    }  # fmt: skip
    path = root / "squad" / "xquad.en.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def write_commonsenseqa(root: Path) -> Path:
    """``commonsenseqa/dev_rand_split.jsonl``: answerKey, id, question{question_concept,
    choices[{label, text}], stem}."""
    records = [
        {"answerKey": "A", "id": "1afa02df02c908a558b4036e80242fac",
         "question": {"question_concept": "revolving door",
                      "choices": [{"label": c, "text": t} for c, t in zip("ABCDE", ["bank", "library", "department store", "mall", "new york"], strict=True)],
                      "stem": "A revolving door is convenient for two direction travel, but it also serves as a security measure at a what?"}},
        {"answerKey": "C", "id": "a7ab086045575bb497933726e4e6ad28",
         "question": {"question_concept": "people",
                      "choices": [{"label": c, "text": t} for c, t in zip("ABCDE", ["complete job", "learn from each other", "kill animals", "wear hats", "talk to each other"], strict=True)],
                      "stem": "What do people aim to do at work?"}},
    ]  # fmt: skip
    path = root / "commonsenseqa" / "dev_rand_split.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_cosmosqa(root: Path) -> Path:
    """``cosmosqa/valid.csv``: header id,context,question,answer0..answer3,label; quoted
    fields with commas."""
    path = root / "cosmosqa" / "valid.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "context", "question", "answer0", "answer1", "answer2", "answer3", "label"])
        writer.writerow(["3BFF##q1_a1", "Do i need to go for a legal divorce ? I wanted to marry, again .",
                         "Why is this person asking about divorce ?", "None of the above choices .",
                         "He wants to get married to a different person .", "He is cheating .",
                         "He wants to stay married .", "1"])  # fmt: skip
        writer.writerow(["3BFF##q2_a1", "It rained all day , so we stayed in .", "What did they do ?",
                         "Went out .", "Stayed home .", "Flew .", "Swam .", "1"])  # fmt: skip
    return path


# --- each layout, read by the shipped YAML with no override ------------------------------


def test_anli_annotated_dev_csv_is_read_by_the_shipped_yaml(tmp_path):
    write_anli_annotated(tmp_path)
    task = load_task("anli", "validation", tmp_path)
    assert len(task.examples) == 9  # three rounds, in order r1, r2, r3
    first = task.examples[0]
    assert first.fields["premise"].startswith('Round 1, item 0: the "Aṣṭādhyāyī", a grammar,\nwas')
    assert first.fields["hypothesis"] == "Statement 1.0 about Pāṇini."
    assert [e.fields["label"] for e in task.examples[:3]] == ["entailment", "neutral", "contradiction"]
    assert [e.answer for e in task.examples[:3]] == [" yes", " maybe", " no"]
    assert task.origins[0].endswith("ANLI_analysis_r1_dev.csv,"
                                    + str(tmp_path / "anli" / "ANLI_analysis_r2_dev.csv") + ","
                                    + str(tmp_path / "anli" / "ANLI_analysis_r3_dev.csv"))
    raw = load_raw(load_task_spec("anli"), "validation", tmp_path)
    assert raw.source.layout == "ANLI annotated dev csv (anli_annot_v0.2)"


def test_a_dev_only_release_is_never_read_as_the_train_split(tmp_path):
    """ANLI's annotated release has dev rounds only: asking for train names the paths tried
    and says to ask for the validation split explicitly; nothing is read from the dev files."""
    write_anli_annotated(tmp_path)
    with pytest.raises(DataMissingError) as err:
        load_task("anli", "train", tmp_path)
    message = str(err.value)
    assert "anli_v1.0/R1/train.jsonl" in message
    assert "ANLI annotated dev csv" in message and "set `split: validation`" in message
    assert "\n" not in message


def test_anli_annotated_csv_with_an_unknown_label_names_file_and_value(tmp_path):
    (path, *_) = write_anli_annotated(tmp_path)
    text = path.read_text(encoding="utf-8").replace(",n,c,Basic", ",n,x,Basic", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"ANLI_analysis_r1_dev\.csv.*'x'"):
        load_task("anli", "validation", tmp_path)


def test_hellaswag_six_line_text_is_read_by_the_shipped_yaml(tmp_path):
    write_hellaswag_text(tmp_path)
    task = load_task("hellaswag", "validation", tmp_path)
    assert len(task.examples) == 3
    first = task.examples[0]
    assert first.prompt == "Roof shingle removal: A man is sitting on a roof. he"
    assert first.fields["label"] == 3 and first.answer == " starts pulling up roofing on a roof."
    assert len(first.fields["choices"]) == 4
    assert task.examples[2].answer == " pour it slowly at the base."


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda lines: lines[:-1], "6 lines per item"),  # an item cut short
        (lambda lines: [lines[0], "three", *lines[2:]], "gold index"),  # the label line is not 0-3
        (lambda lines: ["no colon here", *lines[1:]], "<activity>: <ctx>"),
    ],
)
def test_malformed_hellaswag_text_names_the_file_and_line(tmp_path, damage, match):
    path = write_hellaswag_text(tmp_path)
    lines = bz2.decompress(path.read_bytes()).decode("utf-8").rstrip("\n").split("\n")
    path.write_bytes(bz2.compress(("\n".join(damage(lines)) + "\n").encode("utf-8")))
    with pytest.raises(DataFormatError, match="hellaswag_val_full.txt.bz2") as err:
        load_task("hellaswag", "validation", tmp_path)
    assert match in str(err.value)


def test_hellaswag_gold_index_outside_the_endings_is_an_error(tmp_path):
    items = [(HELLASWAG_ITEMS[0][0], HELLASWAG_ITEMS[0][1], 4, HELLASWAG_ITEMS[0][3])]
    write_hellaswag_text(tmp_path, items)
    with pytest.raises(DataFormatError, match="index 4 outside 0..3"):
        load_task("hellaswag", "validation", tmp_path)


def test_xquad_english_squad_json_is_read_by_the_shipped_yaml(tmp_path):
    write_xquad_en(tmp_path)
    task = load_task("squad", "validation", tmp_path)
    assert [e.answer for e in task.examples] == [" 308", " 15–1"]
    e = task.examples[1]
    assert e.fields["context"][e.fields["answer_starts"][0] :].startswith("15–1")
    assert e.prompt.endswith("Question: What was their record?\nAnswer:")


def test_the_primary_layout_wins_when_both_are_present(tmp_path):
    """A folder with SQuAD's own dev-v1.1.json and XQuAD English reads SQuAD's file."""
    write_xquad_en(tmp_path)
    full = json.loads((tmp_path / "squad" / "xquad.en.json").read_text(encoding="utf-8"))
    full["data"][0]["paragraphs"][0]["qas"] = full["data"][0]["paragraphs"][0]["qas"][:1]
    (tmp_path / "squad" / "dev-v1.1.json").write_text(json.dumps(full), encoding="utf-8")
    raw = load_raw(load_task_spec("squad"), "validation", tmp_path)
    assert raw.source.layout == "SQuAD v1.1 JSON" and len(raw.records) == 1
    assert raw.origin.endswith("dev-v1.1.json")


def test_commonsenseqa_jsonl_and_cosmosqa_csv(tmp_path):
    write_commonsenseqa(tmp_path)
    write_cosmosqa(tmp_path)
    csqa = load_task("commonsenseqa", "validation", tmp_path)
    assert [e.answer for e in csqa.examples] == [" bank", " kill animals"]
    assert csqa.examples[0].prompt.endswith("E. new york\nAnswer:")
    cosmos = load_task("cosmosqa", "validation", tmp_path)
    assert [e.answer for e in cosmos.examples] == [" He wants to get married to a different person .",
                                                   " Stayed home ."]  # fmt: skip
    assert cosmos.examples[0].fields["context"].endswith("I wanted to marry, again .")


def test_alternatives_schema_is_checked():
    base = {
        "name": "t", "type": "span", "hub": None, "template": {"prompt": "{question}", "answer": " x"},
        "local": {"format": "squad_json", "files": {"train": ["a.json"]},
                  "fields": {"context": "context", "question": "question", "answers": "answers"}},
    }  # fmt: skip
    spec = parse_task_spec({**base, "local": {**base["local"], "alternatives": [{"files": {"validation": ["b.json"]}}]}}, "t.yaml")
    (alt,) = spec.local.alternatives
    assert alt.format == "squad_json" and alt.files == {"validation": ["b.json"]}  # inherits, files replaced
    assert [s.files for s in spec.local.layouts] == [{"train": ["a.json"]}, {"validation": ["b.json"]}]
    for bad, field in (
        ({"alternatives": {"files": {}}}, "local.alternatives"),
        ({"alternatives": [{"format": "csv"}]}, "local.alternatives[0].files"),
        ({"alternatives": [{"files": {"validation": ["b"]}, "format": "xml"}]}, "local.format"),
        ({"layout": 3}, "local.layout"),
    ):
        with pytest.raises(TaskSpecError, match=f"t.yaml.*{field.replace('[', '.').replace(']', '.')}"):
            parse_task_spec({**base, "local": {**base["local"], **bad}}, "t.yaml")


# --- the real files in ../shared/data, read by the shipped YAMLs with no override --------


@pytest.mark.parametrize(
    "task, count, layout",
    [
        ("anli", 3198, "ANLI annotated dev csv (anli_annot_v0.2)"),  # R1 1000 + R2 1000 + R3 1198
        ("hellaswag", 10042, "HellaSwag 6-lines-per-item text (hellaswag_val_full.txt.bz2)"),
        ("squad", 1190, "XQuAD English (SQuAD v1.1 dev subset)"),
        ("commonsenseqa", 1221, "CommonsenseQA v1.11 jsonl"),
        ("cosmosqa", 2985, "Cosmos QA csv"),
    ],
)
def test_real_release_files_read_with_the_shipped_yaml(shared_data, task, count, layout):
    spec = load_task_spec(task)
    folder = shared_data / (spec.local.subdir or task)
    if not folder.is_dir():
        pytest.skip(f"{folder} not present in the shared data")
    raw = load_raw(spec, "validation", shared_data)
    assert raw.source.layout == layout
    data = load_task(task, "validation", shared_data)
    assert len(data.examples) == count, task
    assert all(e.prompt and e.answer.strip() for e in data.examples)
    if spec.type == "classification":
        assert {e.fields["label"] for e in data.examples} == set(spec.labels)


# --- encoding: every training reader opens files through xfer_tasks.data.text_files --------


def test_a_byte_order_mark_is_read_as_such_in_a_training_csv(tmp_path):
    write_anli_annotated(tmp_path)
    path = tmp_path / "anli" / "ANLI_analysis_r1_dev.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as Excel saves a CSV
    records = load_raw(load_task_spec("anli"), "validation", tmp_path).records
    assert records[0]["context"].startswith("Round 1")  # header found, no U+FEFF anywhere
    assert not any("\ufeff" in key for key in records[0])


def test_a_bad_byte_in_a_compressed_release_names_its_line(tmp_path):
    folder = tmp_path / "hellaswag"
    folder.mkdir()
    good = "Baking cookies: A woman\n0\nmixes.\nsings.\nruns.\nsleeps.\n" * 200
    raw = good.encode() + b"Baking: caf\xe9\n0\na\nb\nc\nd\n"  # latin-1 on line 1201
    with bz2.open(folder / "hellaswag_val_full.txt.bz2", "wb") as fh:
        fh.write(raw)
    with pytest.raises(DataFormatError, match=r"hellaswag_val_full.txt.bz2: line 1201 is not valid UTF-8"):
        load_raw(load_task_spec("hellaswag"), "validation", tmp_path)
