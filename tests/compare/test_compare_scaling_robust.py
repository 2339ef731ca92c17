"""Where real studies differ from the textbook (issue 17): unequal variance over k, choosing
the best k, the base model evaluated per seed, task order, languages that disagree, XTREME over
common languages, unbalanced seeds, McNemar's multiplicity. Small simulations where the truth
is known check calibration; the full tables are benchmarks/bench_scaling_calibration.py."""

from __future__ import annotations

import json

import numpy as np
import pytest
from compare_lmeval_writer import write_manifest, write_run

from xfer_tasks.compare import compare_runs, scaling, trend
from xfer_tasks.compare.results import assign_labels, load_runs
from xfer_tasks.compare.simulate import (
    BenchmarkTruth,
    StudyDesign,
    score_table,
    simulate_study,
    write_lmeval_study,
)


def _heteroscedastic_study(rng: np.random.Generator, slope: float = 0.0, seeds: int = 3):
    """k = 0..9, one base run at k = 0, `seeds` runs per k > 0, sd growing as (k / 9)^2."""
    k = np.array([0] + [v for v in range(1, 10) for _ in range(seeds)], dtype=float)
    sd = 0.001 + 0.04 * (k / 9) ** 2
    return k, 0.5 + slope * k + rng.normal(0.0, 1.0, k.size) * sd


# --------------------------------------------------------------------------- 1. unequal variance


def test_robust_interval_and_studentized_test_hold_when_seed_noise_grows_with_k():
    """300 studies with sd ~ k^2: the HC2/Bell-McCaffrey CI covers the slope and the studentized
    permutation test keeps its level (the classical CI and the raw permutation test do not)."""
    rng = np.random.default_rng(17)
    studies = 300
    covered = covered_classical = false_pos = raw_false_pos = 0
    for _ in range(studies):
        k, y = _heteroscedastic_study(rng, slope=0.002)
        fit = trend.ols_slope(k, y, permutations=0)
        covered += fit.ci_low <= 0.002 <= fit.ci_high
        half = 2.048 * fit.stderr_classical  # t(0.975, 26)
        covered_classical += abs(fit.slope - 0.002) <= half
        k0, y0 = _heteroscedastic_study(rng)
        null = trend.ols_slope(k0, y0, permutations=199, seed=int(rng.integers(1 << 30)))
        false_pos += null.p_value < 0.05
        xc, yc = k0 - k0.mean(), y0 - y0.mean()
        raw = trend.permutation_p_value(xc, yc, float(xc @ yc), 199, 1)
        raw_false_pos += raw < 0.05
    # binomial sd at 300 studies: 1.3 points around 95% / 5%
    assert covered / studies >= 0.91
    assert false_pos / studies <= 0.09
    assert covered_classical < covered and raw_false_pos > false_pos


# --------------------------------------------------------------------------- 2. which k is best


def test_best_k_is_claimed_at_most_about_five_percent_of_the_time_without_an_effect():
    rng = np.random.default_rng(3)
    studies = 300
    claims = 0
    for i in range(studies):
        if i % 2:
            k, y = _heteroscedastic_study(rng)
        else:
            k = np.array([0] + [v for v in range(1, 10) for _ in range(3)])
            y = 0.5 + rng.normal(0, 0.015, k.size)
        result = trend.versus_k0(k, y, permutations=199, seed=i)
        claims += result.best_claimed
    assert claims / studies <= 0.075


def test_versus_k0_statistics_by_hand_and_a_real_jump_is_claimed():
    rng = np.random.default_rng(0)
    k = np.array([0, 0, 0] + [v for v in range(1, 5) for _ in range(3)])
    y = 0.5 + 0.05 * (k >= 1) + rng.normal(0, 0.004, k.size)
    result = trend.versus_k0(k, y, permutations=999)
    zero = y[k == 0]
    for i, level in enumerate(result.k_values):
        group = y[k == level]
        se = np.sqrt(group.var(ddof=1) / 3 + zero.var(ddof=1) / 3)  # Welch
        assert result.differences[i] == pytest.approx(group.mean() - zero.mean())
        assert result.stderrs[i] == pytest.approx(se)
        assert result.ci_low[i] == pytest.approx(result.differences[i] - result.critical * se)
    assert result.best_claimed and max(result.p_adjusted) < 0.05
    assert result.critical > trend.sps.t.ppf(0.975, 4)  # wider than one comparison's


def test_the_printed_answer_never_quotes_the_unadjusted_probability(capsys):
    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.0, items=400),), seeds=3)
    runs, table = score_table(simulate_study(design, np.random.default_rng(1)))
    analysis = scaling.analyze_table(runs, table, permutations=199)
    text = "\n".join(scaling.summary_lines(analysis))
    assert "P(beats k = 0)" not in text
    headline = analysis.headline()[0]
    assert headline.versus_k0 is not None and len(headline.versus_k0["k_values"]) == 9
    expected = "best k = " if headline.best_k_claim else "no k is shown to beat k = 0 once choosing"
    assert expected in text


def test_with_one_k_above_zero_nothing_is_chosen_so_the_answer_says_no_best_of():
    """k = 0 and 3 only (the real-data demo's design): one comparison, worded as one."""
    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.0, items=400),), k_values=(0, 3), seeds=3)
    runs, table = score_table(simulate_study(design, np.random.default_rng(2)))
    text = "\n".join(scaling.summary_lines(scaling.analyze_table(runs, table, permutations=199)))
    # (1 base run + 3 at k = 3: 4 arrangements, too few for an interval: the difference alone)
    assert "best of 1" not in text and "k = 3 minus k = 0: " in text


# --------------------------------------------------------------------------- 3. the base model


def _base_model_study(tmp_path, phases: bool):
    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.01, ("de", "sw", "zh"), 200),),
                         k_values=(0, 1, 2), seeds=3, base_eval_jitter=0.05)  # fmt: skip
    sim = simulate_study(design, np.random.default_rng(4))
    runs = load_runs([write_lmeval_study(sim, tmp_path, phases=phases)])
    assign_labels(runs)
    return sim, scaling.analyze(runs, permutations=99)


@pytest.mark.parametrize("phases", [True, False], ids=["phase flags", "no phase flags"])
def test_base_model_evaluated_per_seed_is_one_run_even_when_the_scores_differ(tmp_path, phases):
    sim, analysis = _base_model_study(tmp_path, phases)
    base = [r for r in analysis.runs if r.k == 0]
    assert [r.duplicate_of for r in base] == [None, "k00-seed0", "k00-seed0"]
    scores = [s.accuracy("xfer_xnli", "de") for s in sim if s.k == 0]
    assert len(set(scores)) > 1  # the evaluations really differ
    de = next(t for t in analysis.language_trends if t.languages == "de")
    assert de.n_runs == 7 and de.runs_per_k == [1, 3, 3]
    assert de.means[0] == pytest.approx(np.mean(scores))
    assert any("untrained base model (simulated-base) evaluated again" in n for n in analysis.notes)


def test_a_k0_run_with_a_target_phase_is_trained_not_the_base_model(tmp_path):
    for seed in (0, 1):
        checkpoint = tmp_path / "ck" / f"k0-s{seed}"
        write_manifest(checkpoint, [], seed=seed, phases=None,
                       config={"target_phase": {"tasks": ["xnli_en"]}})  # fmt: skip
        write_run(tmp_path / "res" / checkpoint.name, checkpoint, {"xfer_xnli_de": {"acc": [1, 0, seed]}})
    checkpoint = tmp_path / "ck" / "k1-s0"
    write_manifest(checkpoint, ["mnli"], seed=0)
    write_run(tmp_path / "res" / checkpoint.name, checkpoint, {"xfer_xnli_de": {"acc": [1, 1, 0]}})
    runs = load_runs([tmp_path / "res"])
    assign_labels(runs)
    analysis = scaling.analyze(runs, permutations=99)
    assert all(r.duplicate_of is None and not r.untrained for r in analysis.runs)


# --------------------------------------------------------------------------- 4. task order


def _order_study(per_seed: bool, task_sd: float = 0.0, seed: int = 2):
    design = StudyDesign(
        benchmarks=(BenchmarkTruth("xfer_xnli", 0.0, ("de", "sw"), 300),),
        k_values=tuple(range(6)), seeds=4, task_effect_sd=task_sd, order_per_seed=per_seed,
        difficulty=(0.45, 0.55),
    )  # fmt: skip
    sim = simulate_study(design, np.random.default_rng(seed))
    runs, table = score_table(sim)
    return sim, scaling.analyze_table(runs, table, permutations=199)


def test_one_shared_order_is_said_to_make_the_slope_specific_to_it():
    _, analysis = _order_study(per_seed=False)
    assert analysis.order_design == "shared" and len(analysis.shared_order) == 5
    lines = scaling.summary_lines(analysis)
    assert lines[-1].startswith("Task order: every run adds the tasks in one order (")
    assert "THESE tasks in THIS order" in lines[-1] and not analysis.task_effects
    assert analysis.to_json_dict()["task_order"]["design"] == "shared"


def test_orders_that_vary_give_each_tasks_own_contribution():
    sim, analysis = _order_study(per_seed=True, task_sd=0.04)
    assert analysis.order_design == "varies"
    effects = {e["task"]: e for e in analysis.task_effects if e["benchmark"] == "xfer_xnli"}
    assert set(effects) == {f"task{i}" for i in range(5)}
    # the truth: the simulator's per-task effect, read off the expected scores by least squares
    distinct = [s for s in sim if not (s.k == 0 and s.seed > 0)]
    x = np.array([[1.0] + [float(t in s.tasks) for t in sorted(effects)] for s in distinct])
    y = np.array([np.mean([s.expected[("xfer_xnli", lang)] for lang in ("de", "sw")]) for s in distinct])
    true = dict(zip(sorted(effects), np.linalg.lstsq(x, y, rcond=None)[0][1:], strict=True))
    covered = sum(e["ci"][0] <= true[t] <= e["ci"][1] for t, e in effects.items())
    assert covered >= 4  # 95% intervals: all five cover 77% of the time, four or more 98%
    line = scaling.task_effect_line(analysis, "xfer_xnli")
    assert line.startswith("  which tasks help (orders vary across runs): ")
    found = [t for t, e in effects.items() if e["q_value"] < 0.05]
    assert found, effects  # effects of ~4 points are found with 4 orders x 300 items x 2 languages
    for t in found:
        assert f"{t} {'helps' if effects[t]['effect'] > 0 else 'hurts'}" in line
        assert np.sign(effects[t]["effect"]) == np.sign(true[t])


def test_task_effects_regression_equals_least_squares_and_refuses_nested_prefixes():
    sets = [[], ["a"], ["b"], ["a", "b"], ["a", "c"], ["b", "c"], ["c"], ["a", "b", "c"]]
    y = [0.50, 0.53, 0.49, 0.52, 0.56, 0.52, 0.53, 0.555]
    effects = trend.task_effects(sets, y)
    x = np.array([[1.0] + [float(t in s) for t in "abc"] for s in sets])
    beta = np.linalg.lstsq(x, np.array(y), rcond=None)[0]
    assert [e.effect for e in effects] == pytest.approx(beta[1:].tolist())
    assert trend.task_effects([[], ["a"], ["a", "b"]], [0.5, 0.6, 0.7]) is None  # no residual df


# --------------------------------------------------------------------------- 5. languages


def test_languages_that_disagree_are_reported_with_the_spread_of_their_slopes():
    design = StudyDesign(
        benchmarks=(BenchmarkTruth("xfer_xnli", 0.0, ("en", "de", "fr", "sw", "zh"), 400),),
        seeds=3, language_slope_sd=0.008, difficulty=(0.35, 0.55),
    )  # fmt: skip
    sim = simulate_study(design, np.random.default_rng(8))
    runs, table = score_table(sim)
    analysis = scaling.analyze_table(runs, table, permutations=199)
    t = analysis.headline()[0]
    distinct = [s for s in sim if not (s.k == 0 and s.seed > 0)]
    k = np.array([s.k for s in distinct], dtype=float)
    slopes = [np.polyfit(k, [s.expected[("xfer_xnli", lang)] for s in distinct], 1)[0]
              for lang in ("en", "de", "fr", "sw", "zh")]  # fmt: skip
    assert t.language_slope_sd_ci[0] <= np.std(slopes, ddof=1) <= t.language_slope_sd_ci[1]
    assert t.language_heterogeneity_p < 0.001
    general = t.slope_ci_languages_in_general
    assert general[0] < t.slope_ci[0] and general[1] > t.slope_ci[1]  # wider: other languages
    reading = scaling.summary_lines(analysis)[1]
    assert "languages disagree: the per-language slopes spread with SD" in reading


def test_language_spread_f_test_equals_the_two_way_interaction_anova():
    """y_rl = run_r + a_l + b_l k_r + e: the interaction F against the full model's residual."""
    rng = np.random.default_rng(1)
    k = np.repeat(np.arange(5), 2).astype(float)
    y = rng.normal(0, 0.01, (k.size, 3)) + np.outer(k, [0.0, 0.002, -0.001])
    spread = trend.language_spread(k, y, 0.001)
    runs, langs = y.shape
    run_d = np.kron(np.eye(runs), np.ones((langs, 1)))
    lang_d = np.kron(np.ones((runs, 1)), np.eye(langs))[:, 1:]
    slope_d = lang_d * np.repeat(k, langs)[:, None]
    full = np.hstack([run_d, lang_d, slope_d])
    reduced = np.hstack([run_d, lang_d])
    flat = y.reshape(-1)

    def rss(x):
        return float(np.sum((flat - x @ np.linalg.lstsq(x, flat, rcond=None)[0]) ** 2))

    df2 = flat.size - np.linalg.matrix_rank(full)
    f = (rss(reduced) - rss(full)) / (langs - 1) / (rss(full) / df2)
    assert spread.df == (langs - 1, df2)
    assert spread.p_value == pytest.approx(trend.sps.f.sf(f, langs - 1, df2))


# --------------------------------------------------------------------------- 6. XTREME languages


def test_xtreme_trend_uses_the_languages_every_run_has_and_names_what_was_dropped(tmp_path):
    # XNLI de/fr (+ sw in all but one run) and Tatoeba: the run missing sw must not flip the trend
    for k in range(4):
        for seed in (0, 1):
            checkpoint = tmp_path / "ck" / f"k{k}-s{seed}"
            write_manifest(checkpoint, [f"t{i}" for i in range(k)], seed=seed)
            hits = 50 + 5 * k + seed
            tasks = {f"xfer_xnli_{lang}": {"acc": [1.0] * hits + [0.0] * (100 - hits)}
                     for lang in ("de", "fr")}  # fmt: skip
            if (k, seed) != (3, 1):
                tasks["xfer_xnli_sw"] = {"acc": [0.0] * 100}  # sw is much lower than de/fr
            tasks["xfer_tatoeba_deu"] = {"acc_en2xx": [1.0] * hits + [0.0] * (100 - hits)}
            write_run(tmp_path / "res" / checkpoint.name, checkpoint, tasks)
    runs = load_runs([tmp_path / "res"])
    assign_labels(runs)
    analysis = scaling.analyze(runs, permutations=99)
    xtreme = next(t for t in analysis.trends if t.benchmark == "xfer_xtreme")
    assert xtreme.slope_per_task == pytest.approx(0.05)  # own-language averages would not be
    assert analysis.xtreme_common["tasks"] == ["xnli", "tatoeba"]
    assert analysis.xtreme_common["dropped_languages"] == {"xnli": ["sw"]}
    assert any("left out xnli: sw" in n for n in analysis.notes)
    # each run's own XTREME score still averages its own languages
    assert analysis.xtreme_score["k0-s0"]["languages"]["xnli"] == ["de", "fr", "sw"]


def test_one_xtreme_task_gives_no_note_about_different_xtreme_tasks(tmp_path):
    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.0, ("de", "fr"), 50),),
                         k_values=(0, 1, 2), seeds=1)  # fmt: skip
    runs, table = score_table(simulate_study(design, np.random.default_rng(0)))
    analysis = scaling.analyze_table(runs, table, permutations=99)
    assert not any("XTREME" in n for n in analysis.notes)
    assert not any(t.benchmark == "xfer_xtreme" for t in analysis.trends)


# --------------------------------------------------------------------------- 7. smaller points


def test_unbalanced_seeds_are_counted_per_k():
    runs = [scaling.StudyRun("base", 0, 0, None, "", None, untrained=True)]
    for k, seeds in ((1, 5), (2, 2), (3, 5)):
        runs += [scaling.StudyRun(f"k{k}-s{s}", k, s, None, "", None) for s in range(seeds)]
    rng = np.random.default_rng(0)
    table = {r.label: {("xfer_xnli", "de", "acc"): 0.5 + 0.01 * r.k + rng.normal(0, 0.005)}
             for r in runs}  # fmt: skip
    analysis = scaling.analyze_table(runs, table, permutations=99)
    t = analysis.headline()[0]
    assert t.seeds_per_k == [1, 5, 2, 5]
    assert scaling.sentence(t).endswith("13 runs, 2-5 seeds per k)")


def test_mcnemar_p_values_get_benjamini_hochberg_q_values(tmp_path):
    from scipy.stats import false_discovery_control

    base = {f"xfer_xnli_{lang}": {"acc": [1.0] * 50 + [0.0] * 50} for lang in ("de", "fr", "sw")}
    cand = {
        "xfer_xnli_de": {"acc": [1.0] * 80 + [0.0] * 20},
        "xfer_xnli_fr": {"acc": [1.0] * 55 + [0.0] * 45},
        "xfer_xnli_sw": {"acc": [0.0] * 3 + [1.0] * 47 + [0.0] * 50},
    }
    runs = [write_run(tmp_path, "m/base", base), write_run(tmp_path, "m/cand", cand)]
    comparison = compare_runs(runs, baseline="base", bootstrap_iters=199)
    cells = [comparison.row("xfer_xnli", lang, "acc").cells["cand"] for lang in ("de", "fr", "sw")]
    expected = false_discovery_control([c.mcnemar.p_value for c in cells], method="bh")
    assert [c.mcnemar_q for c in cells] == pytest.approx(expected.tolist())
    record = next(r for r in comparison.records() if r["run"] == "cand" and r["language"] == "fr")
    assert record["mcnemar_q"] == pytest.approx(cells[1].mcnemar_q)


def test_scaling_json_keeps_the_contract_and_adds_the_new_fields(tmp_path):
    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.005, ("de", "fr", "sw"), 300),),
                         k_values=(0, 1, 2, 3), seeds=3, order_per_seed=True)  # fmt: skip
    sim = simulate_study(design, np.random.default_rng(0))
    assert len({tuple(s.order) for s in sim}) > 1
    runs = load_runs([write_lmeval_study(sim, tmp_path)])
    assign_labels(runs)
    data = json.loads(json.dumps(scaling.analyze(runs, permutations=99).to_json_dict()))
    assert {"runs", "trends", "transfer_gap", "language_trends", "xtreme_score", "summary",
            "notes", "method", "task_order", "task_effects", "xtreme_common"} <= set(data)  # fmt: skip
    headline = next(t for t in data["trends"] if t["languages"] == "all")
    assert {"slope_ci", "p_value", "n_seeds", "best_k", "p_best_beats_k0", "q_value",
            "detectable_slope", "runs_per_k", "seeds_per_k", "slope_stderr", "slope_df",
            "stderr_method", "versus_k0", "best_k_claim", "best_k_p_adjusted",
            "language_slope_sd", "language_slope_sd_ci", "language_heterogeneity_p",
            "slope_ci_languages_in_general"} <= set(headline)  # fmt: skip
    assert data["task_order"]["design"] == "varies" and data["task_effects"]
    assert {"base_model", "tasks", "untrained"} <= set(data["runs"][0])


def test_a_design_whose_permutation_test_cannot_reach_5_percent_says_so():
    """k = 0 once and k = 3 for three seeds: 4 arrangements of the k labels, so no p below 0.25
    exists. The answer must not quote a detectable slope or a permutation interval for it."""
    assert trend.smallest_permutation_p([0, 3, 3, 3]) == pytest.approx(0.25)
    assert trend.smallest_permutation_p([0, 1, 2, 3]) == pytest.approx(1 / 24)
    assert trend.smallest_permutation_p([0] + [k for k in range(1, 10) for _ in range(3)]) < 1e-9
    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.02, items=2000),), k_values=(0, 3), seeds=3)
    runs, table = score_table(simulate_study(design, np.random.default_rng(3)))
    analysis = scaling.analyze_table(runs, table, permutations=199)
    headline = analysis.headline()[0]
    assert headline.smallest_p == pytest.approx(0.25) and headline.detectable_slope is None
    assert headline.versus_k0["ci_low"] == [None] and not headline.best_k_claim
    text = "\n".join(scaling.summary_lines(analysis))
    assert "cannot detect an effect of any size" in text and "smallest possible p is 0.25" in text
    assert "80% of the time" not in text


def test_runs_that_tie_are_answered_without_an_interval():
    """Every k = 3 seed scores the same in every language (discrete scores that tie): the
    answer gives the slope with no interval and says why, and no language is counted as having
    an interval that excludes 0."""
    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.0, items=2000),), k_values=(0, 3), seeds=3)
    runs, table = score_table(simulate_study(design, np.random.default_rng(5)))
    base = next(r.label for r in runs if r.k == 0)
    for run in runs:
        if run.k == 3:
            table[run.label] = {key: value + 0.002 for key, value in table[base].items()}
    analysis = scaling.analyze_table(runs, table, permutations=199)
    headline = analysis.headline()[0]
    assert headline.slope_per_task == pytest.approx(0.002 / 3) and headline.slope_ci == [None, None]
    assert all(t.slope_ci == [None, None] for t in analysis.language_trends)
    text = "\n".join(scaling.summary_lines(analysis))
    assert "no interval (the runs at each k score exactly the same" in text
    assert "training variance cannot be estimated from these runs" in text


def test_the_scaling_figure_draws_a_band_with_a_gap_where_a_k_has_no_interval():
    """k = 3's runs tie: its mean has no interval; the other k keep theirs in the figure."""
    from xfer_tasks.compare.plots import scaling_figure

    design = StudyDesign(benchmarks=(BenchmarkTruth("xfer_xnli", 0.0, items=2000),), k_values=(0, 1, 3), seeds=3)
    runs, table = score_table(simulate_study(design, np.random.default_rng(5)))
    tied = [r.label for r in runs if r.k == 3]
    for label in tied[1:]:
        table[label] = dict(table[tied[0]])
    analysis = scaling.analyze_table(runs, table, permutations=99)
    headline = analysis.headline()[0]
    at = headline.k_values.index(3)
    assert headline.ci_low[at] is None and headline.ci_low[headline.k_values.index(1)] is not None
    figure = scaling_figure(analysis)
    bands = [c for ax in figure.axes for c in ax.collections]
    assert bands, "the k with intervals keep their band"
