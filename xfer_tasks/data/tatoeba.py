"""The Tatoeba bitext family (LASER v1 release): its declaration, language tables and loader
(local files first, else the Hub copy MTEB uses). YAMLs: ``task_yamls/tatoeba/``; task class:
:mod:`xfer_tasks.harness.tatoeba_task` (lm-eval code lives in ``harness/``).

Local layout (``<data root>/tatoeba/``): ``tatoeba.<xxx>-eng.<xxx>`` and
``tatoeba.<xxx>-eng.eng`` (facebookresearch/LASER ``data/tatoeba/v1``), UTF-8, one sentence
per line, line i of one the translation of line i of the other (:func:`load_tatoeba_pair`
reads and validates them; lines keep everything but their terminator). Hub:
``mteb/tatoeba-bitext-mining``, config ``<xxx>-eng``, split ``test``: ``sentence1`` is the
foreign line, ``sentence2`` the English one, in the LASER files' order.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xfer_tasks.data import DataFormatError
from xfer_tasks.data._source import load_hub_split, local_folder
from xfer_tasks.data.family import EvalFamily
from xfer_tasks.data.text_files import read_lines

# The 112 language pairs of the LASER Tatoeba release (three-letter codes, each paired with eng).
TATOEBA_ALL = tuple(
    """afr amh ang ara arq arz ast awa aze bel ben ber bos bre bul cat cbk ceb ces cha cmn cor csb
    cym dan deu dsb dtp ell epo est eus fao fin fra fry gla gle glg gsw heb hin hrv hsb hun hye ido
    ile ina ind isl ita jav jpn kab kat kaz khm kor kur kzj lat lfn lit lvs mal mar max mhr mkd mon
    nds nld nno nob nov oci orv pam pes pms pol por ron rus slk slv spa sqi srp swe swg swh tam tat
    tel tgl tha tuk tur tzl uig ukr urd uzb vie war wuu xho yid yue zsm""".split()
)
# The 36 Tatoeba languages XTREME reports (XTREME's two-letter code -> LASER file code).
TATOEBA_XTREME = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "de": "deu", "el": "ell", "es": "spa",
    "et": "est", "eu": "eus", "fa": "pes", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin",
    "hu": "hun", "id": "ind", "it": "ita", "ja": "jpn", "jv": "jav", "ka": "kat", "kk": "kaz",
    "ko": "kor", "ml": "mal", "mr": "mar", "nl": "nld", "pt": "por", "ru": "rus", "sw": "swh",
    "ta": "tam", "te": "tel", "th": "tha", "tl": "tgl", "tr": "tur", "ur": "urd", "vi": "vie",
    "zh": "cmn",
}  # fmt: skip
FAMILY = EvalFamily(
    name="xfer_tatoeba",
    languages=tuple(sorted(TATOEBA_XTREME.values())),
    hub_id="mteb/tatoeba-bitext-mining",
    local_subdir="tatoeba",
    metrics=("acc_en2xx", "acc_xx2en", "f1_xx2en"),
    source="XTREME Tatoeba (acc_en2xx) and MTEB BitextMining (acc_xx2en, f1_xx2en)",
    extra_groups={"xfer_tatoeba_all": TATOEBA_ALL},
    retrieval=True,
    local_layout="LASER v1 tatoeba.<xxx>-eng.<xxx> and tatoeba.<xxx>-eng.eng",
    citation="Artetxe & Schwenk 2019 (LASER); Tatoeba",
    yaml_folder="tatoeba",
    dataset_name="{lang}-eng",
    group_comment="Group scores: unweighted mean over languages (as XTREME reports them).",
)


def tatoeba_files(folder: str | Path, code: str) -> tuple[Path, Path]:
    """The foreign and English file of pair ``<code>-eng`` in ``folder``."""
    folder = Path(folder)
    return folder / f"tatoeba.{code}-eng.{code}", folder / f"tatoeba.{code}-eng.eng"


def load_tatoeba_pair(folder: str | Path, code: str) -> tuple[list[str], list[str]]:
    """``(xx_lines, en_lines)`` of one LASER Tatoeba pair (``code``: three-letter, e.g. deu)."""
    xx_path, en_path = tatoeba_files(folder, code)
    name = f"tatoeba {code}-eng"
    xx = read_lines(xx_path, name, FAMILY.hub_id)
    en = read_lines(en_path, name, FAMILY.hub_id)
    for path, lines in ((xx_path, xx), (en_path, en)):
        if not lines:
            raise DataFormatError(f"{path}: empty file (expected one sentence per line)")
    if len(xx) != len(en):
        raise DataFormatError(
            f"{xx_path}: {len(xx)} lines but {en_path.name} has {len(en)}; "
            "Tatoeba sides must be aligned line by line"
        )
    return xx, en


def load_task_data(
    code: str, metadata: Mapping[str, Any] | None = None
) -> tuple[list[str], list[str]]:
    """``(foreign lines, English lines)`` of pair ``<code>-eng``."""
    folder, exists = local_folder(FAMILY.local_subdir, metadata)
    if exists:
        return load_tatoeba_pair(folder, code)
    rows = load_hub_split(
        f"tatoeba {code}-eng", FAMILY.hub_id, f"{code}-eng", "test", folder, FAMILY.hub_revision
    )
    for n, row in enumerate(rows):
        if not isinstance(row.get("sentence1"), str) or not isinstance(row.get("sentence2"), str):
            raise DataFormatError(
                f"{FAMILY.hub_id} {code}-eng test row {n}: expected string fields "
                "sentence1 (foreign) and sentence2 (English)"
            )
    return [r["sentence1"] for r in rows], [r["sentence2"] for r in rows]
