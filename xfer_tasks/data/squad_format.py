"""The SQuAD v1.1/v2.0 JSON layout (``data[].paragraphs[].qas[]``), walked in one place.

TyDiQA-GoldP evaluation files and the SQuAD training files share this layout; each reader
builds its own records from the questions yielded here and adds its own policy (evaluation
requires gold answers, training accepts SQuAD v2's unanswerable questions).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from xfer_tasks.data import DataFormatError


class SquadQuestion(NamedTuple):
    title: str
    context: str
    qa: dict[str, Any]
    where: str  # "<file>: data[i].paragraphs[j]", for error messages


def iter_squad_questions(payload: Any, path: Path | str) -> Iterator[SquadQuestion]:
    """Every question of a parsed SQuAD-format file; structural problems raise
    :class:`DataFormatError` naming the file and the article/paragraph."""
    articles = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(articles, list):
        raise DataFormatError(
            f"{path}: expected a top-level 'data' list of articles (SQuAD format)"
        )
    for a_index, article in enumerate(articles):
        for p_index, paragraph in enumerate(article.get("paragraphs", [])):
            where = f"{path}: data[{a_index}].paragraphs[{p_index}]"
            if "context" not in paragraph or "qas" not in paragraph:
                raise DataFormatError(f"{where}: expected fields 'context' and 'qas'")
            for qa in paragraph["qas"]:
                if "question" not in qa:
                    raise DataFormatError(f"{where}: a question lacks 'question'")
                yield SquadQuestion(article.get("title", ""), paragraph["context"], qa, where)
