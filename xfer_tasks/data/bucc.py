"""The BUCC 2018 bitext mining family: its declaration and the official ``sample`` and
``training`` files (local only). YAMLs: ``task_yamls/bucc/``; task class:
:mod:`xfer_tasks.harness.bucc_task` (lm-eval code lives in ``harness/``).

The LASER/XTREME protocol tunes the margin threshold on the ``sample`` gold and reports F1 on
``training`` (XTREME's dev and test), with sentence ids in the gold files. The Hub copy
(``mteb/bucc-bitext-mining``) has neither the two splits nor the ids, so it is never used as
a silent substitute: without ``<data root>/bucc2018/`` the task stops with
:class:`~xfer_tasks.data.DataMissingError`.

Files (https://comparable.limsi.fr/bucc2018/, ``bucc2018-<l>-en.{sample,training}-gold``
archives): ``<l>-en.<split>.<l>`` and ``<l>-en.<split>.en`` with lines ``id<TAB>sentence``, and
``<l>-en.<split>.gold`` with lines ``src_id<TAB>trg_id`` (src = <l>, trg = en). The files may sit
directly in the folder or in its ``<l>-en/`` subfolder (as the archives unpack). Sentences keep
everything after the first tab (minus the line terminator). Malformed input raises
:class:`~xfer_tasks.data.DataFormatError` (one line naming file, line and field).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xfer_tasks.data import DataFormatError, DataMissingError
from xfer_tasks.data._source import local_folder
from xfer_tasks.data.family import EvalFamily
from xfer_tasks.data.text_files import read_lines

FAMILY = EvalFamily(
    name="xfer_bucc",
    languages=("de", "fr", "ru", "zh"),
    hub_id="mteb/bucc-bitext-mining",
    local_subdir="bucc2018",
    metrics=("f1", "precision", "recall", "threshold"),
    source="LASER/XTREME BUCC 2018 margin-based mining; threshold tuned on `sample`, applied to `training`",
    # The threshold is a tuned setting, not a score; precision and recall explain the F1.
    diagnostics=("precision", "recall", "threshold"),
    not_averaged=("threshold",),  # reported per language; a mean of thresholds means nothing
    not_fractions=("threshold",),  # a margin score (cosine ratio), not bounded by 1
    retrieval=True,
    local_layout="official <l>-en.{sample,training}.{<l>,en,gold}",
    citation="Zweigenbaum et al. 2018, BUCC 2018 shared task",
    yaml_folder="bucc",
    dataset_name="{lang}-en",
    group_comment="BUCC 2018 de/fr/ru/zh. Group scores: unweighted mean over languages (XTREME).",
)

SPLITS = ("sample", "training")
BuccSplitFiles = tuple[list[str], list[str], list[str], list[str], set[tuple[str, str]]]


def bucc_files(folder: str | Path, lang: str, split: str) -> dict[str, Path]:
    """Paths of the src, trg and gold files of one split (``<l>-en/`` subfolder if present)."""
    folder = Path(folder)
    base = folder / f"{lang}-en" if (folder / f"{lang}-en").is_dir() else folder
    stem = f"{lang}-en.{split}"
    return {"src": base / f"{stem}.{lang}", "trg": base / f"{stem}.en", "gold": base / f"{stem}.gold"}


def _read_id_sentences(path: Path, name: str) -> tuple[list[str], list[str]]:
    ids: list[str] = []
    texts: list[str] = []
    seen: set[str] = set()
    for n, line in enumerate(read_lines(path, name, FAMILY.hub_id), start=1):
        sid, tab, text = line.partition("\t")
        if not tab:
            raise DataFormatError(f"{path}: line {n} has no TAB (expected 'id<TAB>sentence')")
        sid = sid.strip()
        if not sid:
            raise DataFormatError(f"{path}: line {n} has an empty id (expected 'id<TAB>sentence')")
        if sid in seen:
            raise DataFormatError(f"{path}: line {n}: id {sid!r} occurs more than once")
        seen.add(sid)
        ids.append(sid)
        texts.append(text)
    if not ids:
        raise DataFormatError(f"{path}: empty file (expected lines 'id<TAB>sentence')")
    return ids, texts


def load_bucc_split(
    folder: str | Path, lang: str, split: str
) -> BuccSplitFiles:
    """``(src_ids, src_texts, trg_ids, trg_texts, gold)`` of one official BUCC 2018 split.

    ``split``: ``sample`` (tuning) or ``training`` (evaluation; XTREME calls them dev/test).
    Every gold id must be a sentence id of its side.
    """
    if split not in SPLITS:
        raise ValueError(f"BUCC split must be one of {SPLITS}, got {split!r}")
    paths = bucc_files(folder, lang, split)
    name = f"bucc2018 {lang}-en {split}"
    src_ids, src_texts = _read_id_sentences(paths["src"], name)
    trg_ids, trg_texts = _read_id_sentences(paths["trg"], name)
    src_set, trg_set = set(src_ids), set(trg_ids)
    gold: set[tuple[str, str]] = set()
    for n, line in enumerate(read_lines(paths["gold"], name, FAMILY.hub_id), start=1):
        if not line.strip():
            continue
        fields = line.strip().split("\t")
        if len(fields) != 2 or not all(fields):
            raise DataFormatError(
                f"{paths['gold']}: line {n} has {len(fields)} field(s) (expected 'src_id<TAB>trg_id')"
            )
        s, t = fields
        if s not in src_set:
            raise DataFormatError(
                f"{paths['gold']}: line {n}: src_id {s!r} is not an id of {paths['src'].name}"
            )
        if t not in trg_set:
            raise DataFormatError(
                f"{paths['gold']}: line {n}: trg_id {t!r} is not an id of {paths['trg'].name}"
            )
        gold.add((s, t))
    return src_ids, src_texts, trg_ids, trg_texts, gold


def load_task_data(
    lang: str, metadata: Mapping[str, Any] | None = None
) -> dict[str, BuccSplitFiles]:
    """``{split: (src_ids, src_texts, trg_ids, trg_texts, gold pairs)}`` for ``<lang>-en``."""
    folder, exists = local_folder(FAMILY.local_subdir, metadata)
    if not exists:
        raise DataMissingError(
            f"bucc2018 {lang}-en",
            FAMILY.hub_id,
            folder,
            "the LASER/XTREME protocol needs the official sample and training files with "
            "sentence ids; the Hub copy has neither, so it is not used",
        )
    return {split: load_bucc_split(folder, lang, split) for split in SPLITS}
