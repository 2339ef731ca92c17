"""xfer's prompts equal lm-eval 0.4.13's built-in tasks, question by question.

For each family with a built-in counterpart, lm-eval's OWN task is built from its own YAML
(``lm_eval/tasks/...``: includes, ``process_docs``, few-shot config and all) with only the
Hub download replaced by the same local rows xfer reads. Both tasks then build their
requests as ``simple_evaluate`` does (``num_fewshot``, few-shot seed 1234), and every
question's context, continuations and target must be identical, zero- and few-shot.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from xfer_tasks.paths import tasks_path

lm_eval = pytest.importorskip("lm_eval")

LMEVAL_TASKS = Path(lm_eval.__file__).parent / "tasks"
SEED = 1234  # simple_evaluate's default fewshot_random_seed


def _requests(task, num_fewshot: int, limit: int | None = None) -> Counter:
    """``Counter`` of (context, continuations, gold index) per document, as lm-eval builds them
    (``limit``: the first documents only, as ``--limit``)."""
    task.set_config(key="num_fewshot", value=num_fewshot)
    task.set_fewshot_seed(seed=SEED)
    task.build_all_requests(rank=0, world_size=1, limit=limit)
    by_doc: dict[int, list] = defaultdict(list)
    docs = {}
    for instance in task.instances:
        by_doc[instance.doc_id].append(instance.arguments)
        docs[instance.doc_id] = instance.doc
    out = Counter()
    for doc_id, arguments in by_doc.items():
        contexts = {context for context, _ in arguments}
        assert len(contexts) == 1
        choices = task.doc_to_choice(docs[doc_id])
        gold = task.doc_to_target(docs[doc_id])
        gold = choices.index(gold) if isinstance(gold, str) else gold
        out[(contexts.pop(), tuple(cont for _, cont in arguments), gold)] += 1
    return out


def builtin(
    yaml_path: str, splits: dict[str, list[dict]], num_fewshot: int, limit: int | None = None
) -> Counter:
    """lm-eval's own task from its YAML, the Hub download replaced by ``splits``."""
    import datasets
    from lm_eval.api.task import ConfigurableTask
    from lm_eval.tasks._yaml_loader import load_yaml

    config = load_yaml(LMEVAL_TASKS / yaml_path)
    for key in ("tag", "group", "dataset_path", "dataset_name"):
        config.pop(key, None)
    dataset = datasets.DatasetDict(
        {name: datasets.Dataset.from_list(rows) for name, rows in splits.items()}
    )
    config["custom_dataset"] = lambda **_: dataset
    return _requests(ConfigurableTask(config=config), num_fewshot, limit)


def xfer_task(task_name: str, metadata: dict):
    """xfer's task as ``lm_eval --include_path $(xfer tasks-path)`` builds it."""
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(tasks_path()), include_defaults=False, metadata=metadata)
    return manager.load([task_name])["tasks"][task_name]


def xfer(
    task_name: str, metadata: dict, num_fewshot: int | None, limit: int | None = None
) -> Counter:
    """xfer's requests; ``num_fewshot=None`` keeps the task's default, as simple_evaluate."""
    task = xfer_task(task_name, metadata)
    if num_fewshot is None:
        num_fewshot = task.get_config("num_fewshot") or 0
    return _requests(task, num_fewshot, limit)


def _sum(counters) -> Counter:
    total = Counter()
    for counter in counters:
        total += counter
    return total


# --- English MMLU: lm-eval's mmlu_<subject> -----------------------------------------------

MMLU_SUBJECTS = ("abstract_algebra", "high_school_us_history", "world_religions")


def _hendrycks(path: Path, subject: str) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {"question": q, "subject": subject, "choices": [a, b, c, d], "answer": "ABCD".index(k)}
            for q, a, b, c, d, k in csv.reader(handle)
        ]


@pytest.fixture(scope="module")
def mmlu_root(shared_data, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mmlu_parity")
    for split in ("test", "dev"):
        (root / "mmlu" / split).mkdir(parents=True)
        for subject in MMLU_SUBJECTS:
            name = f"{subject}_{split}.csv"
            (root / "mmlu" / split / name).symlink_to(shared_data / "mmlu" / split / name)
    return root


@pytest.mark.parametrize("shots", [0, 5])
def test_english_mmlu_equals_lm_evals_mmlu(mmlu_root, shots):
    expected = _sum(
        builtin(
            f"mmlu/default/mmlu_{subject}.yaml",
            {
                split: _hendrycks(mmlu_root / "mmlu" / split / f"{subject}_{split}.csv", subject)
                for split in ("test", "dev")
            },
            shots,
        )
        for subject in MMLU_SUBJECTS
    )
    ours = xfer("xfer_mmlu_en", {"data_dir": str(mmlu_root), "mmlu_subjects": list(MMLU_SUBJECTS)}, shots)
    assert sum(ours.values()) == sum(expected.values()) > 300
    assert ours == expected


def test_mmlu_subject_shots_is_the_task_default_n_shot(mmlu_root):
    """``mmlu_subject_shots: 5`` = lm-eval's mmlu 5-shot, and the task's num_fewshot is 5."""
    subset = {"data_dir": str(mmlu_root), "mmlu_subjects": list(MMLU_SUBJECTS)}
    metadata = {**subset, "mmlu_subject_shots": 5}
    assert xfer_task("xfer_mmlu_en", metadata).get_config("num_fewshot") == 5
    assert xfer("xfer_mmlu_en", metadata, None) == xfer("xfer_mmlu_en", subset, 5)


# --- Okapi m_mmlu: lm-eval's m_mmlu_<lang> (real Okapi files) -------------------------------


@pytest.mark.parametrize("shots", [0, 5])
def test_m_mmlu_equals_lm_evals_okapi_m_mmlu(shared_data, shots, limit=400):
    def rows(split: str) -> list[dict]:
        return json.loads((shared_data / "m_mmlu" / f"de_{split}.json").read_text("utf-8"))

    # lm-eval's task evaluates `test` and draws few-shot examples from `train` (the Hub
    # mirror's name for Okapi's dev); here Okapi's real val file stands in for the test split
    expected = builtin(
        "okapi/mmlu_multilingual/m_mmlu_de.yaml",
        {"test": rows("val"), "train": rows("dev")},
        shots,
        limit,
    )
    metadata = {"data_dir": str(shared_data), "m_mmlu_split": "validation"}
    ours = xfer("xfer_m_mmlu_de", metadata, shots, limit)
    assert sum(ours.values()) == limit
    assert ours == expected


# --- Global-MMLU: lm-eval's global_mmlu_full_<lang>_<subject> -------------------------------

GLOBAL_SUBJECTS = ("anatomy", "high_school_us_history", "world_religions")


def _mc_rows(n: int, split: str) -> list[dict]:
    rows = []
    for i in range(n):
        subject = GLOBAL_SUBJECTS[i % 3]
        rows.append(
            {
                "question": f"  {split} question {i} about {subject}?\n",
                "option_a": f"{i}",
                "option_b": f"option {i} b ",
                "option_c": "",
                "option_d": f"{{x}} {i}",
                "answer": "ABCD"[i % 4],
                "subject": subject,
                "cultural_sensitivity_label": ["CS", "CA", "-"][i % 3],
            }
        )
    return rows


@pytest.fixture(scope="module")
def global_root(tmp_path_factory) -> Path:
    from xfer_tasks.data.release_files import write_global_mmlu_parquet

    root = tmp_path_factory.mktemp("global_parity")
    write_global_mmlu_parquet(root / "global_mmlu", "de", "test", _mc_rows(24, "test"))
    write_global_mmlu_parquet(root / "global_mmlu", "de", "dev", _mc_rows(15, "dev"))
    return root


@pytest.mark.parametrize("shots", [0, 5])
def test_global_mmlu_equals_lm_evals_global_mmlu_full(global_root, shots):
    import pyarrow.parquet as pq

    splits = {
        split: pq.read_table(global_root / "global_mmlu" / "de" / f"{split}-00000-of-00001.parquet")
        .to_pylist()
        for split in ("test", "dev")
    }
    expected = _sum(
        builtin(f"global_mmlu/full/de/global_mmlu_full_de_{subject}.yaml", splits, shots)
        for subject in GLOBAL_SUBJECTS
    )
    ours = xfer("xfer_global_mmlu_de", {"data_dir": str(global_root)}, shots)
    assert sum(ours.values()) == 24
    assert ours == expected


# --- MMMLU: lm-eval's openai-mmmlu mmmlu_<locale>_<subject> ---------------------------------

# Some openai/MMMLU configs carry file names in the Subject column; lm-eval maps them back.
MMMLU_SUBJECT_CELLS = (
    "college_mathematics_test.csv_sw-KE.csv",
    "anatomy",
    "world_religions_test-sw",
)
MMMLU_SUBJECTS = ("college_mathematics", "anatomy", "world_religions")


@pytest.fixture(scope="module")
def mmmlu_root(tmp_path_factory) -> Path:
    from xfer_tasks.data.release_files import write_mmmlu_csv

    root = tmp_path_factory.mktemp("mmmlu_parity")
    rows = [
        {"Question": f" Swali {i}?", "A": f"{i}", "B": "b", "C": f"c {i}", "D": "d",
         "Answer": "ABCD"[i % 4], "Subject": MMMLU_SUBJECT_CELLS[i % 3]}
        for i in range(15)
    ]  # fmt: skip
    write_mmmlu_csv(root / "mmmlu", "sw_ke", rows)
    return root


@pytest.mark.parametrize("shots", [0, 2])
def test_mmmlu_equals_lm_evals_openai_mmmlu(mmmlu_root, shots):
    import datasets

    path = mmmlu_root / "mmmlu" / "test" / "mmlu_SW-KE.csv"
    test_rows = datasets.Dataset.from_csv(str(path)).to_list()  # pandas, as the Hub's csv
    expected = _sum(
        builtin(f"openai-mmmlu/default/mmmlu_sw_ke_{subject}.yaml", {"test": test_rows}, shots)
        for subject in MMMLU_SUBJECTS
    )
    ours = xfer("xfer_mmmlu_sw_ke", {"data_dir": str(mmmlu_root)}, shots)
    assert sum(ours.values()) == 15
    assert ours == expected


# --- XNLI: lm-eval's xnli_<lang> ------------------------------------------------------------

LABELS = {"entailment": 0, "neutral": 1, "contradiction": 2}


def _xtreme_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {"premise": p, "hypothesis": h, "label": LABELS[label]}
            for p, h, label in csv.reader(handle, delimiter="\t")
        ]


@pytest.fixture(scope="module")
def xnli_root(shared_data, tmp_path_factory) -> Path:
    """The real dev files, and an XNLI-MT-format train file per language (rows of another
    language's dev file: what matters is that both tasks read the same rows)."""
    root = tmp_path_factory.mktemp("xnli_parity")
    (root / "xnli").mkdir()
    for lang, train_source in (("de", "fr"), ("zh", "en")):
        (root / "xnli" / f"dev-{lang}.tsv").symlink_to(shared_data / "xnli" / f"dev-{lang}.tsv")
        train = _xtreme_rows(shared_data / "xnli" / f"dev-{train_source}.tsv")[:300]
        names = {0: "entailment", 1: "neutral", 2: "contradictory"}
        lines = ["premise\thypo\tlabel"] + [
            f"{r['premise']}\t{r['hypothesis']}\t{names[r['label']]}" for r in train
        ]
        (root / "xnli" / f"multinli.train.{lang}.tsv").write_text("\n".join(lines) + "\n", "utf-8")
    return root


@pytest.mark.parametrize(("lang", "shots", "limit"), [("de", 0, 400), ("zh", 0, 400), ("de", 3, 150)])
def test_xnli_equals_lm_evals_xnli(xnli_root, lang, shots, limit):
    splits = {
        "validation": _xtreme_rows(xnli_root / "xnli" / f"dev-{lang}.tsv"),
        "train": [
            dict(row, label=row["label"])
            for row in _read_mt(xnli_root / "xnli" / f"multinli.train.{lang}.tsv")
        ],
    }
    expected = builtin(f"xnli/xnli_{lang}.yaml", splits, shots, limit)
    metadata = {"data_dir": str(xnli_root), "xnli_split": "validation"}
    ours = xfer(f"xfer_xnli_{lang}", metadata, shots, limit)
    assert sum(ours.values()) == limit
    assert ours == expected


def _read_mt(path: Path) -> list[dict]:
    labels = {"entailment": 0, "neutral": 1, "contradictory": 2}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            {"premise": r["premise"], "hypothesis": r["hypo"], "label": labels[r["label"]]}
            for r in reader
        ]


def test_mmlu_subject_shots_show_in_the_results_n_shot(tiny_model, mmlu_root):
    """The results file says n-shot 5 for ``mmlu_subject_shots: 5`` (xfer regress relies on it)."""
    from lm_eval.tasks import TaskManager

    metadata = {"data_dir": str(mmlu_root), "mmlu_subject_shots": 5, "mmlu_subjects": list(MMLU_SUBJECTS)}
    manager = TaskManager(include_path=str(tasks_path()), include_defaults=False, metadata=metadata)
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args={"pretrained": str(tiny_model), "dtype": "float32"},
        tasks=["xfer_mmlu"],
        task_manager=manager,
        limit=2,
        batch_size=8,
        device="cpu",
        log_samples=True,
    )
    assert results["n-shot"]["xfer_mmlu_en"] == 5
    assert results["n-shot"]["xfer_mmlu"] == 5
    context = results["samples"]["xfer_mmlu_en"][0]["arguments"][0][0]
    assert context.count("\nAnswer: ") == 5
