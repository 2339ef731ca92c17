"""Write hand-made lm-eval 0.4.13-shaped outputs (results JSON + samples JSONL) for the tests.

The shape follows the real files in ``fixtures/lmeval_0_4_13`` (produced by ``lm_eval`` itself,
see fixtures/README.md): ``results[task]`` with ``"<metric>,none"`` / ``"<metric>_stderr,none"``,
``n-samples``, ``n-shot``, ``versions``, ``configs``, ``config.model_args`` as a dict, and one
``samples_<task>_<date_id>.jsonl`` per task whose records carry the per-document metric values.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any


class Corpus:
    """A corpus-level metric: one value, lm-eval stderr "N/A", opaque per-document log items."""

    def __init__(self, value: float, n: int):
        self.value, self.n = value, n


class Reported:
    """A metric given as (value, stderr) without per-document values (run without samples)."""

    def __init__(self, value: float, stderr: float | None, n: int):
        self.value, self.stderr, self.n = value, stderr, n


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def lmeval_mean_stderr(values: list[float]) -> float:
    """lm-eval's ``mean_stderr``: sample std (divisor n - 1) / sqrt(n)."""
    n = len(values)
    mu = sum(values) / n
    return math.sqrt(sum((x - mu) ** 2 for x in values) / (n - 1)) / math.sqrt(n)


def write_run(
    out_dir: Path,
    model_path: str | Path,
    tasks: dict[str, dict[str, Any]],
    *,
    limit: float | None = None,
    n_shot: int | dict[str, int] = 0,
    version: Any = 1.0,
    versions: dict[str, Any] | None = None,
    log_samples: bool = True,
    date_id: str = "2026-01-02T03-04-05.000006",
    groups: dict[str, list[str]] | None = None,
    doc_text: str = "doc",
    higher_is_better: dict[str, bool] | None = None,
    task_configs: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """Write one run; ``tasks[task][metric]`` is a list of per-document values (mean-aggregated,
    logged per document), a :class:`Corpus` or a :class:`Reported`; ``task_configs[task]`` adds
    keys to that task's ``configs`` entry (e.g. ``embed_layer_used``). Returns the results file."""
    folder = out_dir / re.sub(r"[\"<>:/|\\?*\[\]]+", "__", str(model_path))
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    n_samples: dict[str, Any] = {}
    samples: dict[str, list[dict[str, Any]]] = {}
    for task, metrics in tasks.items():
        entry: dict[str, Any] = {"name": task, "alias": task}
        n = 0
        per_doc: dict[str, list[Any]] = {}
        for metric, spec in metrics.items():
            if isinstance(spec, Corpus):
                entry[f"{metric},none"] = spec.value
                entry[f"{metric}_stderr,none"] = "N/A"
                per_doc[metric] = [{"id": i, "opaque": True} for i in range(spec.n)]
                n = max(n, spec.n)
            elif isinstance(spec, Reported):
                entry[f"{metric},none"] = spec.value
                entry[f"{metric}_stderr,none"] = "N/A" if spec.stderr is None else spec.stderr
                n = max(n, spec.n)
            else:
                values = [float(v) for v in spec]
                entry[f"{metric},none"] = sum(values) / len(values)
                entry[f"{metric}_stderr,none"] = lmeval_mean_stderr(values)
                per_doc[metric] = values
                n = max(n, len(values))
        entry["sample_len"] = n
        results[task] = entry
        n_samples[task] = {"original": max(n, 1000), "effective": n}
        if per_doc:
            records = []
            for doc_id in range(n):
                doc = {"text": f"{doc_text} {task} {doc_id}"}
                record = {
                    "doc_id": doc_id,
                    "doc": doc,
                    "target": "0",
                    "arguments": {"gen_args_0": {"arg_0": doc["text"], "arg_1": " yes"}},
                    "resps": [[["-1.0", "False"]]],
                    "filtered_resps": [["-1.0", "False"]],
                    "filter": "none",
                    "metrics": list(per_doc),
                    "doc_hash": _sha(json.dumps(doc, indent=2)),
                    "prompt_hash": _sha(doc["text"]),
                    "target_hash": _sha("0"),
                }
                for metric, items in per_doc.items():
                    record[metric] = items[doc_id]
                records.append(record)
            samples[task] = records
    group_map = groups or {}
    all_versions = {t: version for t in tasks} | (versions or {})
    shots = {t: (n_shot if isinstance(n_shot, int) else n_shot.get(t, 0)) for t in tasks}
    data = {
        "results": results,
        "group_subtasks": group_map,
        "configs": {
            t: {"task": t, "num_fewshot": shots[t], "metadata": {"version": all_versions[t]}}
            | (task_configs or {}).get(t, {})
            for t in tasks
        },
        "versions": all_versions,
        "n-shot": shots,
        "higher_is_better": {
            t: {m: (higher_is_better or {}).get(m, True) for m in tasks[t]} for t in tasks
        },
        "n-samples": n_samples,
        "config": {
            "model": "hf",
            "model_args": {"pretrained": str(model_path)},
            "batch_size": 1,
            "limit": limit,
            "bootstrap_iters": 100000,
        },
        "git_hash": None,
        "model_name": str(model_path),
        "model_name_sanitized": folder.name,
    }
    path = folder / f"results_{date_id}.json"
    path.write_text(json.dumps(data, indent=2))
    if log_samples:
        for task, records in samples.items():
            with (folder / f"samples_{task}_{date_id}.jsonl").open("w") as handle:
                for record in records:
                    handle.write(json.dumps(record) + "\n")
    return path


def write_manifest(checkpoint: Path, tasks: list[str], seed: int, **extra: Any) -> Path:
    """An ``xfer_manifest.json`` with the fields ``xfer train`` writes and compare reads."""
    checkpoint.mkdir(parents=True, exist_ok=True)
    manifest = {
        "xfer_manifest_version": 1,
        "base_model": {"name_or_path": "tiny"},
        "intermediate_tasks": tasks,
        "k": len(tasks),
        "seed": seed,
        # as xfer train records them: a phase without tasks is skipped (the base model)
        "phases": [
            {"name": "intermediate", "tasks": tasks}
            | ({} if tasks else {"skipped": "no tasks (k = 0)"})
        ],
        **extra,
    }
    path = checkpoint / "xfer_manifest.json"
    path.write_text(json.dumps(manifest))
    return path
