"""Shared test helpers: small data files in official layouts, offline subprocess environment.

Import from any test as ``from helpers import ...`` (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}

_WORDS = """
apple river mountain teacher window garden music bicycle winter doctor kitchen market
letter ocean forest pencil summer castle engine island camera bridge village painter
coffee station ticket museum rabbit silver yellow quiet sudden ancient gentle brave
clever empty heavy narrow hungry lucky noisy proud rapid secret tiny wooden broken
golden frozen hidden honest lonely modern famous careful cheerful dusty distant
carries builds paints repairs sells finds describes cleans forgets borrows follows
watches opens closes teaches writes reads draws climbs crosses visits remembers
slowly quickly often never always rarely gladly softly loudly early late together
""".split()


def synthetic_sentences(count: int, seed: int) -> list[str]:
    """``count`` distinct English-like sentences of 6-10 random words (deterministic)."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        words = rng.sample(_WORDS, rng.randint(6, 10))
        text = " ".join(words).capitalize() + "."
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def write_bucc_split(
    folder: Path,
    lang: str,
    split: str,
    *,
    n_src: int = 40,
    n_trg: int = 50,
    n_gold: int = 12,
    seed: int = 0,
) -> set[tuple[str, str]]:
    """Write ``<lang>-en.<split>.{<lang>,en,gold}`` (official BUCC 2018 layout) into ``folder``.

    ``n_gold`` source sentences are planted copies of target sentences (the gold pairs); the
    rest are distinct distractors. Ids follow the official style (``de-000001``). Returns the
    gold ``(src_id, trg_id)`` pairs.
    """
    if n_gold > min(n_src, n_trg):
        raise ValueError("n_gold cannot exceed either side")
    rng = random.Random(seed)
    pool = synthetic_sentences(n_src + n_trg, seed)
    trg_texts = pool[:n_trg]
    src_texts = pool[n_trg : n_trg + n_src - n_gold]
    planted = rng.sample(range(n_trg), n_gold)
    src_texts += [trg_texts[i] for i in planted]
    order = list(range(n_src))
    rng.shuffle(order)
    src_texts = [src_texts[i] for i in order]
    src_ids = [f"{lang}-{split[:2]}{i:06d}" for i in range(n_src)]
    trg_ids = [f"en-{split[:2]}{i:06d}" for i in range(n_trg)]
    trg_id_of_text = {text: trg_ids[i] for i, text in enumerate(trg_texts)}
    gold = {
        (src_ids[i], trg_id_of_text[text])
        for i, text in enumerate(src_texts)
        if text in trg_id_of_text
    }
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{lang}-en.{split}"
    Path(f"{stem}.{lang}").write_text(
        "".join(f"{i}\t{t}\n" for i, t in zip(src_ids, src_texts, strict=True)), encoding="utf-8"
    )
    Path(f"{stem}.en").write_text(
        "".join(f"{i}\t{t}\n" for i, t in zip(trg_ids, trg_texts, strict=True)), encoding="utf-8"
    )
    Path(f"{stem}.gold").write_text(
        "".join(f"{s}\t{t}\n" for s, t in sorted(gold)), encoding="utf-8"
    )
    return gold


def write_bucc(folder: Path, lang: str = "de", **sizes: int) -> dict[str, set[tuple[str, str]]]:
    """Both official splits (``sample`` for tuning, ``training`` for scoring) of one language."""
    return {
        split: write_bucc_split(folder, lang, split, seed=seed, **sizes)
        for seed, split in enumerate(("sample", "training"))
    }


def write_tatoeba_pair(folder: Path, code: str, xx: list[str], en: list[str]) -> None:
    """``tatoeba.<code>-eng.<code>`` and ``tatoeba.<code>-eng.eng`` (LASER layout)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"tatoeba.{code}-eng.{code}").write_text(
        "".join(f"{s}\n" for s in xx), encoding="utf-8"
    )
    (folder / f"tatoeba.{code}-eng.eng").write_text("".join(f"{s}\n" for s in en), encoding="utf-8")


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for CLI subprocesses: offline, few threads (fair on a shared 2-core box)."""
    env = dict(os.environ, **OFFLINE_ENV, TOKENIZERS_PARALLELISM="false")
    env.update(extra)
    return env
