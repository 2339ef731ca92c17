"""Mixture maths (T5's proportional-with-cap, temperature, uniform) and budget control."""

from __future__ import annotations

import random

import pytest
from xfer_tasks.train.budget import BudgetSpec
from xfer_tasks.train.formatting import Example
from xfer_tasks.train.mixture import MixtureSpec, allocate, draw, rates
from xfer_tasks.train.pool import TaskData, build_pool
from xfer_tasks.train.task_spec import load_task_spec

SIZES = {"a": 1000, "b": 100, "c": 10}


def test_proportional_with_cap():
    r = rates(SIZES, MixtureSpec("proportional", cap=200))
    assert r == pytest.approx({"a": 200 / 310, "b": 100 / 310, "c": 10 / 310})
    assert rates(SIZES, MixtureSpec("proportional")) == pytest.approx({"a": 1000 / 1110, "b": 100 / 1110, "c": 10 / 1110})


def test_temperature_is_n_to_the_one_over_t():
    r = rates(SIZES, MixtureSpec("temperature", temperature=2.0))
    z = 1000**0.5 + 100**0.5 + 10**0.5
    assert r == pytest.approx({"a": 1000**0.5 / z, "b": 10 / z, "c": 10**0.5 / z})
    assert rates(SIZES, MixtureSpec("temperature", temperature=1.0)) == pytest.approx(rates(SIZES, MixtureSpec()))
    hot = rates(SIZES, MixtureSpec("temperature", temperature=1e6))
    assert hot == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, rel=1e-4)


def test_uniform():
    assert rates(SIZES, MixtureSpec("uniform")) == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})


def test_allocate_sums_exactly_with_largest_remainders():
    counts = allocate({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 100)
    assert counts == {"a": 34, "b": 33, "c": 33}
    counts = allocate(rates(SIZES, MixtureSpec("proportional", cap=200)), 1000)
    assert sum(counts.values()) == 1000 and counts == {"a": 645, "b": 323, "c": 32}


def test_draw_repeats_whole_permutations_and_is_seeded():
    items = list(range(10))
    got = draw(items, 25, random.Random(1))
    assert sorted(got[:10]) == items and sorted(got[10:20]) == items and len(set(got[20:])) == 5
    assert got == draw(items, 25, random.Random(1))
    assert got != draw(items, 25, random.Random(2))


@pytest.mark.parametrize("bad", [dict(strategy="square"), dict(cap=0), dict(temperature=0)])
def test_bad_mixture_is_rejected(bad):
    with pytest.raises(ValueError, match="mixture"):
        MixtureSpec(**bad)


def _task(name: str, n: int, words: int = 3) -> TaskData:
    spec = load_task_spec("mnli")
    spec = type(spec)(**{**spec.__dict__, "name": name})
    examples = [Example(name, "classification", {"i": i}, f"{name} {i} " + "w " * words, " yes") for i in range(n)]
    return TaskData(spec, examples, [f"test:{name}"], [f"fp-{name}"])


def test_examples_budget_is_fixed_whatever_the_number_of_tasks():
    one = build_pool([_task("a", 500)], MixtureSpec(), BudgetSpec("examples", total=120), seed=0)
    three = build_pool(
        [_task("a", 500), _task("b", 50), _task("c", 5)], MixtureSpec("uniform"), BudgetSpec("examples", total=120), seed=0
    )
    assert len(one.examples) == len(three.examples) == 120
    assert {n: s["drawn"] for n, s in three.stats.items()} == {"a": 40, "b": 40, "c": 40}
    assert three.stats["c"]["passes_over_data"] == 8.0  # a small task is repeated
    assert sum(s["fraction"] for s in three.stats.values()) == pytest.approx(1.0)
    # nested: task a contributes a prefix of what it contributes alone (same seed)
    alone = [e.fields["i"] for e in build_pool([_task("a", 500)], MixtureSpec(), BudgetSpec("examples", total=40), 0).examples]
    in_three = [e.fields["i"] for e in three.examples if e.task == "a"]
    assert sorted(alone) == sorted(in_three)


def test_pool_is_deterministic_given_the_seed():
    tasks = [_task("a", 30), _task("b", 30)]
    p1 = build_pool(tasks, MixtureSpec(), BudgetSpec("examples", total=20), seed=3)
    p2 = build_pool(tasks, MixtureSpec(), BudgetSpec("examples", total=20), seed=3)
    p3 = build_pool(tasks, MixtureSpec(), BudgetSpec("examples", total=20), seed=4)
    assert [e.prompt for e in p1.examples] == [e.prompt for e in p2.examples] != [e.prompt for e in p3.examples]


def test_token_budget_shares_tokens_by_rate():
    def length_of(e):
        return len(e.prompt.split()) + 1

    tasks = [_task("a", 100, words=3), _task("b", 100, words=30)]
    pool = build_pool(tasks, MixtureSpec("uniform"), BudgetSpec("tokens", total=2000), seed=0, length_of=length_of)
    for name, longest in (("a", 6), ("b", 33)):
        assert 1000 <= pool.stats[name]["tokens"] < 1000 + longest
    assert pool.stats["a"]["drawn"] > 5 * pool.stats["b"]["drawn"]  # short examples: more of them


def test_steps_and_per_task_budgets():
    tasks = [_task("a", 100), _task("b", 100)]
    steps = build_pool(tasks, MixtureSpec(), BudgetSpec("steps", total=5), seed=0, effective_batch=8)
    assert len(steps.examples) == 40
    per_task = build_pool(tasks, MixtureSpec(), BudgetSpec("per_task_examples", per_task=7), seed=0)
    assert {n: s["drawn"] for n, s in per_task.stats.items()} == {"a": 7, "b": 7}
    full = build_pool(tasks, MixtureSpec(), BudgetSpec("full"), seed=0)
    assert len(full.examples) == 200


@pytest.mark.parametrize("bad", [dict(kind="examples"), dict(kind="per_task_examples"), dict(kind="hours", total=1)])
def test_bad_budget_is_rejected(bad):
    with pytest.raises(ValueError, match="budget"):
        BudgetSpec(**bad)
