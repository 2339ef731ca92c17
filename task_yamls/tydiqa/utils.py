"""lm-eval hooks of the xfer_tydiqa_<lang> tasks: data from xfer_tasks.data.tydiqa; SQuAD v1.1
scores (XTREME's) and lm-eval's MLQA-normalised scores."""

from xfer_tasks.check_data import load_checked
from xfer_tasks.data import tydiqa
from xfer_tasks.metrics.mlqa import mlqa_scores
from xfer_tasks.metrics.squad import squad_scores


def load(xfer_lang: str, **metadata):
    """``custom_dataset``: lm-eval passes the task metadata (model args, --metadata) and dataset_kwargs;
    the metadata is checked, then the family's loader runs."""
    return load_checked(tydiqa, xfer_lang, metadata)


def process_results(doc: dict, results: list[str]) -> dict[str, float]:
    """Per question, each a max over the gold answers: ``exact_match`` / ``f1`` with the official
    SQuAD v1.1 normalisation (XTREME's TyDiQA-GoldP scoring), and ``exact_match_mlqa`` /
    ``f1_mlqa`` with lm-eval's MLQA normalisation (its ``tydiqa_goldp_<lang>`` scoring)."""
    golds = doc["answers"]["text"]
    return squad_scores(results[0], golds) | mlqa_scores(results[0], golds, doc["lang"])
