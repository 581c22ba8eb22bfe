"""pass^k against values worked out by hand from τ-bench's definition: mean over tasks of C(c, k) / C(n, k)."""

from __future__ import annotations

import pytest

from ascc.eval.passk import by_group, pass_hat_k, pass_k_curve


@pytest.mark.parametrize(("n", "c", "k", "expected"), [
    (4, 4, 1, 1.0), (4, 4, 4, 1.0),
    (4, 2, 1, 0.5), (4, 2, 2, 1 / 6), (4, 2, 3, 0.0),  # C(2,2)/C(4,2) = 1/6
    (4, 3, 2, 0.5), (4, 3, 3, 0.25),  # C(3,2)/C(4,2) = 3/6; C(3,3)/C(4,3) = 1/4
    (5, 3, 2, 0.3),  # C(3,2)/C(5,2) = 3/10
    (3, 0, 1, 0.0), (1, 1, 1, 1.0),
])
def test_one_task(n, c, k, expected):
    assert pass_hat_k(n, c, k) == pytest.approx(expected)


@pytest.mark.parametrize(("n", "c", "k"), [(4, 5, 1), (4, -1, 1), (4, 2, 0), (4, 2, 5)])
def test_out_of_range(n, c, k):
    with pytest.raises(ValueError):
        pass_hat_k(n, c, k)


def test_curve_is_the_mean_over_tasks():
    outcomes = {"a": [True] * 4, "b": [True, False, True, False], "c": [False] * 4}
    curve = pass_k_curve(outcomes)
    assert list(curve) == [1, 2, 3, 4]
    assert curve[1] == pytest.approx((1 + 0.5 + 0) / 3)
    assert curve[2] == pytest.approx((1 + 1 / 6 + 0) / 3)
    assert curve[3] == pytest.approx(1 / 3)
    assert curve[4] == pytest.approx(1 / 3)


def test_curve_stops_at_the_fewest_trials_and_at_max_k():
    outcomes = {"a": [True, True, True], "b": [True, False]}
    assert list(pass_k_curve(outcomes)) == [1, 2]
    assert pass_k_curve(outcomes)[2] == pytest.approx((1 + 0) / 2)
    assert list(pass_k_curve(outcomes, max_k=1)) == [1]
    assert pass_k_curve({}) == {}


def test_consistency_lowers_pass_k_not_pass_1():
    steady = {"a": [True, True], "b": [False, False]}  # pass^1 0.5, pass^2 0.5
    flaky = {"a": [True, False], "b": [False, True]}  # pass^1 0.5, pass^2 0
    assert pass_k_curve(steady) == {1: 0.5, 2: 0.5}
    assert pass_k_curve(flaky) == {1: 0.5, 2: 0.0}


def test_by_group():
    grouped = by_group({("shop", "t1"): [True], ("library", "t2"): (False,), ("shop", "t3"): [False]})
    assert grouped == {"shop": {"t1": [True], "t3": [False]}, "library": {"t2": [False]}}
