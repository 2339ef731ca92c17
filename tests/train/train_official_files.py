"""Small data files in the official release schemas, for tasks absent from the shared data.

MNLI (MultiNLI jsonl and GLUE tsv), SNLI jsonl, QQP (GLUE tsv), SocialIQA (jsonl + labels
.lst), CCGbank AUTO and the bring-your-own ``token<TAB>tag`` format. The sentences are
generated from word lists so that labels are learnable (entailment pairs repeat the premise).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SUBJECTS = ["The cat", "A farmer", "My sister", "The old man", "A child", "The teacher", "Our dog", "The pilot"]
VERBS = ["sleeps", "reads a book", "walks home", "eats bread", "sings loudly", "paints a wall", "waits outside"]
PLACES = ["in the park", "at the station", "near the river", "in the kitchen", "on the roof", "at school"]
NLI_LABELS = ["entailment", "neutral", "contradiction"]


def nli_pairs(n: int, seed: int = 0) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        s, v, p = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(PLACES)
        premise = f"{s} {v} {p}."
        label = NLI_LABELS[i % 3]
        if label == "entailment":
            hypothesis = f"{s} {v}."
        elif label == "neutral":
            hypothesis = f"{s} {v} {p} every day."
        else:
            hypothesis = f"{s} never {v.split()[0].rstrip('s')}s."
        pairs.append((premise, hypothesis, label))
    return pairs


def write_multinli_jsonl(folder: Path, n: int = 48, name: str = "multinli_1.0_train.jsonl", seed: int = 0) -> Path:
    """MultiNLI 1.0 release layout: multinli_1.0/multinli_1.0_train.jsonl."""
    path = folder / "mnli" / "multinli_1.0" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for i, (premise, hypothesis, label) in enumerate(nli_pairs(n, seed)):
            fh.write(json.dumps({
                "annotator_labels": [label], "genre": "fiction", "gold_label": label,
                "pairID": f"{i}e", "promptID": str(i), "sentence1": premise,
                "sentence1_binary_parse": "( x )", "sentence1_parse": "(ROOT x)",
                "sentence2": hypothesis, "sentence2_binary_parse": "( y )", "sentence2_parse": "(ROOT y)",
            }) + "\n")  # fmt: skip
    return path


def write_glue_mnli_tsv(folder: Path, n: int = 30) -> Path:
    """GLUE release layout MNLI/train.tsv (12 columns, unquoted)."""
    path = folder / "mnli" / "MNLI" / "train.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label"
    rows = [header]
    for i, (p, h, label) in enumerate(nli_pairs(n, 1)):
        rows.append(f'{i}\t{i}\t{i}e\tfiction\t( x )\t( y )\t(ROOT x)\t(ROOT y)\t{p} "quoted\t{h}\t{label}\t{label}')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def write_snli_jsonl(folder: Path, n: int = 12) -> Path:
    """SNLI 1.0 layout; every fourth pair has no consensus (gold_label "-")."""
    path = folder / "snli" / "snli_1.0" / "snli_1.0_train.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for i, (p, h, label) in enumerate(nli_pairs(n, 2)):
            gold = "-" if i % 4 == 3 else label
            fh.write(json.dumps({"annotator_labels": [label], "captionID": str(i), "gold_label": gold,
                                 "pairID": f"{i}", "sentence1": p, "sentence2": h}) + "\n")  # fmt: skip
    return path


def write_qqp_tsv(folder: Path, n: int = 10) -> Path:
    path = folder / "qqp" / "QQP" / "train.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate"]
    for i in range(n):
        q1 = f"How do I learn {['python', 'french', 'chess'][i % 3]} fast?"
        q2 = q1 if i % 2 == 0 else "What is the capital of Peru?"
        rows.append(f"{i}\t{2 * i}\t{2 * i + 1}\t{q1}\t{q2}\t{1 if i % 2 == 0 else 0}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def write_socialiqa(folder: Path, n: int = 9) -> Path:
    base = folder / "socialiqa" / "socialiqa-train-dev"
    base.mkdir(parents=True, exist_ok=True)
    with open(base / "train.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"context": f"Tracy helped person {i} move house.", "question": "How would Tracy feel?",
                                 "answerA": "tired", "answerB": "angry", "answerC": "bored"}) + "\n")  # fmt: skip
    (base / "train-labels.lst").write_text("".join(f"{1 + i % 3}\n" for i in range(n)), encoding="utf-8")
    return base


CCG_AUTO = """ID=wsj_0201.1 PARSER=GOLD NUMPARSE=1
(<T S[dcl] 0 2> (<T NP 0 1> (<L N NNP NNP Rolls-Royce N>) ) (<T S[dcl]\\NP 0 2> (<L (S[dcl]\\NP)/NP VBZ VBZ makes (S[dcl]\\NP_10)/NP_11>) (<T NP 0 1> (<L N NNS NNS cars N>) ) ) )
ID=wsj_0201.2 PARSER=GOLD NUMPARSE=1
(<T S[dcl] 0 2> (<L NP PRP PRP It NP>) (<L S[dcl]\\NP VBZ VBZ works S[dcl]\\NP_1>) )
"""


def write_ccg_auto(folder: Path) -> Path:
    path = folder / "ccgbank" / "data" / "AUTO" / "02" / "wsj_0201.auto"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CCG_AUTO, encoding="utf-8")
    return path


def write_ccg_conll(folder: Path) -> Path:
    path = folder / "ccgbank" / "train.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Rolls-Royce\tN\nmakes\t(S[dcl]\\NP)/NP\ncars\tN\n\nIt\tNP\nworks\tS[dcl]\\NP\n", encoding="utf-8")
    return path
