"""Straightforward numpy re-statements of the reference definitions, written for the tests only.

Deliberately naive (python loops, a full similarity matrix, literal transcriptions of the
reference scripts' control flow) and independent of ``xfer_tasks.retrieval``; the library must
agree with these on every test case.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score


def normalise(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    norms = np.sqrt((a.astype(np.float64) ** 2).sum(axis=1, keepdims=True))
    norms[norms == 0] = 1.0
    return (a / norms).astype(np.float32)


def top1(queries: np.ndarray, database: np.ndarray) -> list[int]:
    """Index of the most similar database row per query; lowest index on ties."""
    sims = queries.astype(np.float64) @ database.astype(np.float64).T
    return [int(np.flatnonzero(row == row.max())[0]) for row in sims]


def tatoeba_reference(xx: np.ndarray, en: np.ndarray) -> dict[str, float]:
    xx, en = normalise(xx), normalise(en)
    n = len(xx)
    en2xx = top1(en, xx)  # XTREME: English queries over the foreign index
    xx2en = top1(xx, en)  # MTEB: foreign queries over the English corpus
    labels = list(range(n))
    return {
        "acc_en2xx": sum(p == i for i, p in enumerate(en2xx)) / n,
        "acc_xx2en": accuracy_score(labels, xx2en),
        "f1_xx2en": f1_score(labels, xx2en, average="weighted", zero_division=0),
        "precision_xx2en": precision_score(labels, xx2en, average="weighted", zero_division=0),
        "recall_xx2en": recall_score(labels, xx2en, average="weighted", zero_division=0),
    }


def knn_reference(queries: np.ndarray, database: np.ndarray, k: int):
    """k most similar rows (decreasing similarity, lowest index first on ties), float64."""
    sims = queries.astype(np.float64) @ database.astype(np.float64).T
    ids = [sorted(range(len(row)), key=lambda j, row=row: (-row[j], j))[:k] for row in sims]
    return np.array([[sims[i, j] for j in row] for i, row in enumerate(ids)]), np.array(ids)


def mine_reference(src_texts, src_emb, trg_texts, trg_emb, k=4, margin="ratio", floor=0.0):
    """LASER mine_bitexts.py --mode mine --retrieval max --unify, as (score, src, trg) lines."""

    def unify(texts, emb):
        sent2ind, inds, sents = {}, [], []
        for t in texts:
            new = len(sent2ind)
            inds.append(sent2ind.setdefault(t, new))
            if inds[-1] == new:
                sents.append(t)
        last = {j: i for i, j in enumerate(inds)}
        return sents, np.asarray(emb, dtype=np.float32)[[last[i] for i in range(len(last))]]

    src_sents, x = unify(src_texts, src_emb)
    trg_sents, y = unify(trg_texts, trg_emb)
    x, y = normalise(x), normalise(y)
    fwd_sim, fwd_ind = knn_reference(x, y, min(k, len(y)))
    bwd_sim, bwd_ind = knn_reference(y, x, min(k, len(x)))
    fwd_mean, bwd_mean = fwd_sim.mean(axis=1), bwd_sim.mean(axis=1)
    f = {"ratio": lambda a, b: a / b, "distance": lambda a, b: a - b, "absolute": lambda a, b: a}[margin]

    def best(q, db, ind, q_mean, db_mean):
        out = []
        for i in range(len(q)):
            scores = [f(float(q[i] @ db[j]), (q_mean[i] + db_mean[j]) / 2) for j in ind[i]]
            b = int(np.argmax(scores))
            out.append((int(ind[i][b]), scores[b]))
        return out

    fwd = best(x, y, fwd_ind, fwd_mean, bwd_mean)
    bwd = best(y, x, bwd_ind, bwd_mean, fwd_mean)
    pool = [(s, i, j) for i, (j, s) in enumerate(fwd)] + [(s, i, j) for j, (i, s) in enumerate(bwd)]
    order = sorted(range(len(pool)), key=lambda p: -pool[p][0])  # stable
    seen_src, seen_trg, lines = set(), set(), []
    for p in order:
        s, i, j = pool[p]
        if i not in seen_src and j not in seen_trg:
            seen_src.add(i)
            seen_trg.add(j)
            if floor is None or s > floor:
                lines.append((s, src_sents[i], trg_sents[j]))
    return lines


def sent2id(ids, texts):
    """LASER bucc.py / XTREME read_sent2id: stripped text -> id, repeated texts removed."""
    repeated, out = set(), {}
    for i, t in zip(ids, texts, strict=True):
        t = t.strip()
        if t in out:
            repeated.add(t)
        else:
            out[t] = i
    for t in repeated:
        del out[t]
    return out


def bucc_reference(sample, test, k=4, margin="ratio", floor=0.0):
    """sample/test: dicts with src_ids, src_texts, src_emb, trg_ids, trg_texts, trg_emb, gold."""

    def candidates(split):
        lines = mine_reference(
            split["src_texts"], split["src_emb"], split["trg_texts"], split["trg_emb"], k, margin, floor
        )
        s2i, t2i = sent2id(split["src_ids"], split["src_texts"]), sent2id(split["trg_ids"], split["trg_texts"])
        c2s = {}
        for score, src, trg in lines:
            src, trg = src.strip(), trg.strip()
            if src in s2i and trg in t2i:
                key = (s2i[src], t2i[trg])
                c2s[key] = max(score, c2s.get(key, score))
        return c2s

    def optimise(c2s, gold):
        items = sorted(c2s.items(), key=lambda x: -x[1])
        nextract = ncorrect = 0
        threshold, best_f1 = 0, 0
        for i in range(len(items)):
            nextract += 1
            if items[i][0] in gold:
                ncorrect += 1
            if ncorrect > 0:
                p, r = ncorrect / nextract, ncorrect / len(gold)
                f1 = 2 * p * r / (p + r)
                if f1 > best_f1:
                    best_f1 = f1
                    nxt = items[i + 1][1] if i + 1 < len(items) else items[i][1]
                    threshold = (items[i][1] + nxt) / 2
        return threshold

    threshold = optimise(candidates(sample), set(sample["gold"]))
    c2s = candidates(test)
    bitexts = [pair for pair, s in c2s.items() if s >= threshold]
    gold = set(test["gold"])
    ncorrect = len(gold.intersection(bitexts))
    if ncorrect:
        p, r = ncorrect / len(bitexts), ncorrect / len(gold)
        f1 = 2 * p * r / (p + r)
    else:
        p = r = f1 = 0.0
    return {"f1": f1, "precision": p, "recall": r, "threshold": threshold}
