"""Readers for the LASER Tatoeba layout and the official BUCC 2018 layout, with validation.

Tatoeba (facebookresearch/LASER ``data/tatoeba/v1``): ``tatoeba.<xxx>-eng.<xxx>`` and
``tatoeba.<xxx>-eng.eng``, UTF-8, one sentence per line, line i of one file the translation of
line i of the other. Lines are returned without their line terminator; nothing else is
stripped (MTEB keeps the raw lines, XTREME strips them; a tokenizer sees the same text).

BUCC 2018 (https://comparable.limsi.fr/bucc2018/, ``bucc2018-<l>-en.{sample,training}-gold``
archives): ``<l>-en.<split>.<l>`` and ``<l>-en.<split>.en`` with lines ``id<TAB>sentence``, and
``<l>-en.<split>.gold`` with lines ``src_id<TAB>trg_id`` (src = <l>, trg = en). The files may sit
directly in the folder or in its ``<l>-en/`` subfolder (as the archives unpack). Sentences keep
everything after the first tab (minus the line terminator).

Malformed input raises :class:`xfer_tasks.data.DataFormatError` (one line naming file, line and
field); a missing file raises :class:`xfer_tasks.data.DataMissingError`.
"""

from __future__ import annotations

from pathlib import Path

from xfer_tasks.catalog import BUCC, TATOEBA
from xfer_tasks.data import DataFormatError, DataMissingError

BUCC_SPLITS = ("sample", "training")


def _read_lines(path: Path, dataset: str, hub_id: str) -> list[str]:
    """All lines of a UTF-8 text file without terminators (universal newlines, as the
    reference scripts read them)."""
    if not path.is_file():
        raise DataMissingError(dataset, hub_id, path, "file not found")
    try:
        with open(path, encoding="utf-8") as handle:
            return [line[:-1] if line.endswith("\n") else line for line in handle]
    except UnicodeDecodeError as err:
        line_no = path.read_bytes()[: err.start].count(b"\n") + 1
        raise DataFormatError(f"{path}: line {line_no} is not valid UTF-8 ({err.reason})") from None


def tatoeba_files(folder: str | Path, code: str) -> tuple[Path, Path]:
    folder = Path(folder)
    return folder / f"tatoeba.{code}-eng.{code}", folder / f"tatoeba.{code}-eng.eng"


def load_tatoeba_pair(folder: str | Path, code: str) -> tuple[list[str], list[str]]:
    """``(xx_lines, en_lines)`` of one LASER Tatoeba pair (``code``: three-letter, e.g. deu)."""
    xx_path, en_path = tatoeba_files(folder, code)
    name = f"tatoeba {code}-eng"
    xx = _read_lines(xx_path, name, TATOEBA.hub_id)
    en = _read_lines(en_path, name, TATOEBA.hub_id)
    for path, lines in ((xx_path, xx), (en_path, en)):
        if not lines:
            raise DataFormatError(f"{path}: empty file (expected one sentence per line)")
    if len(xx) != len(en):
        raise DataFormatError(
            f"{xx_path}: {len(xx)} lines but {en_path.name} has {len(en)}; "
            "Tatoeba sides must be aligned line by line"
        )
    return xx, en


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
    for n, line in enumerate(_read_lines(path, name, BUCC.hub_id), start=1):
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
) -> tuple[list[str], list[str], list[str], list[str], set[tuple[str, str]]]:
    """``(src_ids, src_texts, trg_ids, trg_texts, gold)`` of one official BUCC 2018 split.

    ``split``: ``sample`` (tuning) or ``training`` (evaluation; XTREME calls them dev/test).
    Every gold id must be a sentence id of its side.
    """
    if split not in BUCC_SPLITS:
        raise ValueError(f"BUCC split must be one of {BUCC_SPLITS}, got {split!r}")
    paths = bucc_files(folder, lang, split)
    name = f"bucc2018 {lang}-en {split}"
    src_ids, src_texts = _read_id_sentences(paths["src"], name)
    trg_ids, trg_texts = _read_id_sentences(paths["trg"], name)
    src_set, trg_set = set(src_ids), set(trg_ids)
    gold: set[tuple[str, str]] = set()
    for n, line in enumerate(_read_lines(paths["gold"], name, BUCC.hub_id), start=1):
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
