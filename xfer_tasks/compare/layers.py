"""Layer profiles: the per-layer retrieval metrics of ``embed_layer: "all"``/``"dev"`` runs.

xfer's retrieval tasks run with every hidden layer pooled report, beside each headline metric,
``<metric>_L<i>`` = that metric on hidden_states[i] (``xfer_tasks.catalog.layer_metric``).
They answer "which layer transfers best, and did intermediate training move it?", not "did the
score change?": so ``xfer compare`` keeps them out of the score table (no test, no q-value, no
star; ``xfer regress`` and the scaling analysis never see them) and shows them here instead.

A :class:`LayerProfile` is one benchmark x score metric: for each run, the metric at every
hidden_states index, averaged over the languages every run has at each of its own layers
(XTREME's unweighted mean over languages, as the ``AVG`` rows; models with different depths
share the languages, and a run has no value past its last layer), the per-language values behind it, the
layer the run's headline metric used (``embed_layer_used`` in the task configs) and the best
layer. Runs scored with one layer only have no per-layer metrics and no column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xfer_tasks.catalog import split_layer_metric
from xfer_tasks.compare.naming import HEADLINE_METRIC, is_layer_metric, score_metrics, split_task
from xfer_tasks.compare.results import RunResults


@dataclass
class LayerProfile:
    """One benchmark x metric across hidden layers, per run (see the module docstring)."""

    benchmark: str
    metric: str
    languages: list[str]  # the languages every run has at each of its layers (the mean's members)
    layers: list[int]  # hidden_states indexes, ascending
    values: dict[str, list[float | None]]  # run label -> mean over ``languages`` per layer
    per_language: dict[str, dict[str, list[float | None]]]  # run -> language -> per layer
    layer_used: dict[str, int | None]  # run label -> the layer its headline metric used
    is_headline: bool  # the benchmark's headline metric (the one the terminal shows)

    def best_layer(self, label: str) -> int | None:
        """The layer with the highest mean for run ``label`` (ties: the lowest index)."""
        scored = [(v, -layer) for layer, v in zip(self.layers, self.values[label], strict=True)
                  if v is not None]  # fmt: skip
        return -max(scored)[1] if scored else None

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "metric": self.metric,
            "languages": self.languages,
            "layers": self.layers,
            "mean_over_languages": self.values,
            "per_language": self.per_language,
            "layer_used": self.layer_used,
            "best_layer": {label: self.best_layer(label) for label in self.values},
        }


def layer_profiles(runs: list[RunResults]) -> list[LayerProfile]:
    """Every benchmark x score metric that some run reports per layer, in benchmark order;
    only runs that report per-layer values for it get a column."""
    # (benchmark, metric) -> run label -> language -> layer -> value
    found: dict[tuple[str, str], dict[str, dict[str, dict[int, float]]]] = {}
    used: dict[tuple[str, str], dict[str, set[int]]] = {}
    for run in runs:
        for task, result in run.tasks.items():
            benchmark, language = split_task(task, run.groups)
            bases = score_metrics(benchmark, list(result.metrics))
            for name, metric_result in result.metrics.items():
                if not is_layer_metric(benchmark, name):  # xfer's retrieval tasks only
                    continue
                base, layer = split_layer_metric(name, tuple(bases))
                if layer is None:  # a diagnostic's per-layer value (BUCC threshold, ...)
                    continue
                by_run = found.setdefault((benchmark, base), {})
                by_run.setdefault(run.label, {}).setdefault(language, {})[layer] = (
                    metric_result.value
                )
                if result.embed_layer_used is not None:
                    used.setdefault((benchmark, base), {}).setdefault(run.label, set()).add(
                        result.embed_layer_used
                    )
    profiles = []
    for (benchmark, metric), by_run in sorted(found.items()):
        labels = [run.label for run in runs if run.label in by_run]
        own_layers = {
            label: {layer for v in by_run[label].values() for layer in v} for label in labels
        }
        layers = sorted(set().union(*own_layers.values()))
        all_languages = sorted({lang for langs in by_run.values() for lang in langs})
        common = [  # every run has the language at every one of ITS layers (models may differ)
            lang for lang in all_languages
            if all(own_layers[label] <= set(by_run[label].get(lang, {})) for label in labels)
        ]  # fmt: skip
        values = {
            label: [
                sum(by_run[label][lang][layer] for lang in common) / len(common)
                if common and layer in own_layers[label]
                else None
                for layer in layers
            ]
            for label in labels
        }
        per_language = {
            label: {
                lang: [by_run[label][lang].get(layer) for layer in layers]
                for lang in sorted(by_run[label])
            }
            for label in labels
        }
        run_used = used.get((benchmark, metric), {})
        layer_used = {
            label: next(iter(run_used[label])) if len(run_used.get(label, ())) == 1 else None
            for label in labels
        }
        profiles.append(
            LayerProfile(
                benchmark, metric, common, layers, values, per_language, layer_used,
                is_headline=HEADLINE_METRIC.get(benchmark) == metric,
            )
        )  # fmt: skip
    return profiles


def profile_lines(profile: LayerProfile) -> list[list[str]]:
    """Rows of the profile as text: layer, then each run's mean, with ``h`` marking the layer
    the run's headline metric used and ``^`` its best layer."""
    best = {label: profile.best_layer(label) for label in profile.values}
    rows = []
    for i, layer in enumerate(profile.layers):
        row = [str(layer)]
        for label, series in profile.values.items():
            value = series[i]
            marks = ("h" if profile.layer_used[label] == layer else "") + (
                "^" if best[label] == layer else ""
            )
            row.append("-" if value is None else f"{value:.4f}" + (f" {marks}" if marks else ""))
        rows.append(row)
    return rows


def profile_title(profile: LayerProfile) -> str:
    return (
        f"{profile.benchmark} {profile.metric} by hidden layer (mean over "
        f"{len(profile.languages)} language(s) every run has); h = layer of the headline "
        "metric, ^ = best layer"
    )
