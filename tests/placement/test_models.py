"""Location models: exact against brute-force enumeration, capacities, fixed sites, spopt."""

import math
import warnings

import numpy as np
import pytest

from citysim.placement.models import (
    covered_demand,
    expected_covered_demand,
    lscp,
    mclp,
    mexclp,
    p_median,
)
from tests.placement import naive

SEEDS = range(12)


def instance(seed: int, *, unreachable: float = 0.15):
    """A random small instance: integer times (some unreachable), demand, capacities, units."""
    rng = np.random.default_rng(seed)
    m, k = int(rng.integers(5, 12)), int(rng.integers(4, 7))
    cost = rng.integers(1, 100, (m, k)).astype(float)
    cost[rng.random((m, k)) < unreachable] = np.inf
    weight = rng.integers(1, 20, m).astype(float)
    fixed = rng.random(k) < 0.3
    n_new = int(rng.integers(1, int((~fixed).sum()) + 1)) if (~fixed).any() else 0
    return {
        "cost": cost, "weight": weight, "fixed": fixed, "n_new": n_new,
        "standard": float(rng.integers(20, 60)),
        "capacity": rng.integers(5, 60, k).astype(float),
        "units": rng.integers(0, 3, k), "q": float(rng.uniform(0.05, 0.8)),
    }


def as_lists(inst):
    return inst["cost"].tolist(), inst["weight"].tolist(), inst["fixed"].tolist()


def check_plan(placement, inst, n_new):
    """The plan keeps every fixed site and opens exactly n_new others."""
    assert placement.open[inst["fixed"]].all()
    assert placement.new.size == n_new
    assert not inst["fixed"][placement.new].any()
    assert set(np.flatnonzero(placement.open)) == set(np.flatnonzero(inst["fixed"])) | set(
        placement.new)


@pytest.mark.parametrize("seed", SEEDS)
def test_lscp_matches_enumeration(seed):
    inst = instance(seed)
    cost, weight, fixed = as_lists(inst)
    placement, uncoverable = lscp(inst["cost"], inst["standard"], fixed=inst["fixed"],
                                  weight=inst["weight"])
    best = naive.best_lscp(cost, inst["standard"], fixed)
    check_plan(placement, inst, best)
    assert placement.objective == best
    # the plan covers every point some site can cover; the rest is reported
    open_sites = list(np.flatnonzero(placement.open))
    coverable = [i for i, row in enumerate(cost) if min(row) <= inst["standard"]]
    assert all(min(cost[i][j] for j in open_sites) <= inst["standard"] for i in coverable)
    assert uncoverable == sum(w for i, w in enumerate(weight) if i not in coverable)


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_matches_enumeration(seed):
    inst = instance(seed)
    cost, weight, fixed = as_lists(inst)
    placement = mclp(inst["cost"], inst["weight"], inst["standard"], inst["n_new"],
                     fixed=inst["fixed"])
    check_plan(placement, inst, inst["n_new"])
    best = naive.best_mclp(cost, weight, inst["standard"], inst["n_new"], fixed)
    assert placement.objective == pytest.approx(best, abs=1e-9)
    # the chosen plan itself achieves it (counted independently)
    assert naive.covered(cost, weight, inst["standard"],
                         np.flatnonzero(placement.open)) == pytest.approx(best, abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_mexclp_matches_enumeration(seed):
    inst = instance(seed)
    cost, weight, fixed = as_lists(inst)
    placement = mexclp(inst["cost"], inst["weight"], inst["standard"], inst["n_new"],
                       fixed=inst["fixed"], units=inst["units"], busy_fraction=inst["q"])
    check_plan(placement, inst, inst["n_new"])
    best = naive.best_mexclp(cost, weight, inst["standard"], inst["n_new"], fixed,
                             inst["units"].tolist(), inst["q"])
    assert placement.objective == pytest.approx(best, rel=1e-9)
    assert naive.expected(cost, weight, inst["standard"], np.flatnonzero(placement.open),
                          inst["units"].tolist(), inst["q"]) == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("capacitated", [False, True])
def test_p_median_matches_enumeration(seed, capacitated):
    inst = instance(seed)
    cost, weight, fixed = as_lists(inst)
    capacity = inst["capacity"] if capacitated else None
    placement = p_median(inst["cost"], inst["weight"], inst["n_new"], fixed=inst["fixed"],
                         capacity=capacity)
    check_plan(placement, inst, inst["n_new"])
    cap_list = None if capacity is None else capacity.tolist()
    served, time_s = naive.best_median(cost, weight, inst["n_new"], fixed, cap_list)
    # lexicographic: the most demand served, then the least time (max-flow-min-cost reference);
    # 1e-6 relative: the solver's feasibility tolerance is 1e-7
    assert placement.served == pytest.approx(served, rel=1e-6)
    assert placement.objective == pytest.approx(time_s, rel=1e-6)
    mine = naive.median(cost, weight, np.flatnonzero(placement.open), cap_list)
    assert mine[0] == pytest.approx(served, rel=1e-6)
    assert mine[1] == pytest.approx(time_s, rel=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_capacities_respected_and_assignment_consistent(seed):
    inst = instance(seed, unreachable=0.0)
    cap = inst["capacity"]
    placement = p_median(inst["cost"], inst["weight"], inst["n_new"], fixed=inst["fixed"],
                         capacity=cap)
    split = placement.assignment
    assert (split >= 0).all()
    assert (split.sum(axis=0) <= cap + 1e-6).all()  # no site beyond its capacity
    assert (split[:, ~placement.open] == 0).all()  # nobody sent to a closed site
    assert (split.sum(axis=1) <= inst["weight"] + 1e-6).all()
    assert split.sum() == pytest.approx(placement.served)
    # everything reachable: served = min(demand, capacity of the open sites), to the solver's
    # feasibility tolerance (1e-7)
    assert placement.served == pytest.approx(
        min(inst["weight"].sum(), cap[placement.open].sum()), rel=1e-6)
    assert placement.objective == pytest.approx(float(np.sum(split * inst["cost"])), rel=1e-9)


def test_capacity_first_then_travel_time():
    # point 0 (10 persons) is 1 s from site A (room for 4) and 50 s from site B (room for 10)
    cost = np.array([[1.0, 50.0]])
    weight = np.array([10.0])
    none_fixed = np.zeros(2, dtype=bool)
    unlimited = p_median(cost, weight, 1, fixed=none_fixed)
    assert list(unlimited.new) == [0] and unlimited.objective == 10.0
    capped = p_median(cost, weight, 1, fixed=none_fixed, capacity=np.array([4.0, 10.0]))
    assert list(capped.new) == [1]  # shelters all 10, though farther
    assert capped.served == pytest.approx(10.0) and capped.objective == pytest.approx(500.0)
    both = p_median(cost, weight, 0, fixed=np.ones(2, dtype=bool), capacity=np.array([4.0, 10.0]))
    assert both.assignment == pytest.approx(np.array([[4.0, 6.0]]))  # near site filled first
    assert both.objective == pytest.approx(4.0 + 300.0)
    short = p_median(cost, weight, 0, fixed=np.array([True, False]), capacity=np.array([4.0, 10]))
    assert short.served == pytest.approx(4.0)  # 6 persons unsheltered


def test_fixed_sites_stay_even_when_useless():
    # site 2 is fixed but serves nobody within reach; it stays open and does not count as new
    cost = np.array([[5.0, 40.0, np.inf], [40.0, 5.0, np.inf], [30.0, 30.0, np.inf]])
    weight = np.array([10.0, 10.0, 1.0])
    fixed = np.array([False, False, True])
    for placement in (
        mclp(cost, weight, 10.0, 1, fixed=fixed),
        p_median(cost, weight, 1, fixed=fixed),
        p_median(cost, weight, 1, fixed=fixed, capacity=np.array([50.0, 50.0, 50.0])),
        mexclp(cost, weight, 10.0, 1, fixed=fixed, units=np.array([1, 1, 1]), busy_fraction=0.3),
        lscp(cost, 35.0, fixed=fixed)[0],
    ):
        assert placement.open[2], placement.model
        assert 2 not in placement.new


def test_mexclp_buys_backup_when_units_are_busy():
    # A (100) is covered by sites 0 and 1, B (60) by site 2 only
    cost = np.array([[1.0, 1.0, 99.0], [99.0, 99.0, 1.0]])
    weight = np.array([100.0, 60.0])
    free = np.zeros(3, dtype=bool)
    units = np.ones(3, dtype=int)
    plain = mclp(cost, weight, 5.0, 2, fixed=free)
    assert 2 in plain.new and plain.objective == 160.0  # sites 0 and 1 tie for A
    same = mexclp(cost, weight, 5.0, 2, fixed=free, units=units, busy_fraction=0.0)
    assert 2 in same.new and same.objective == pytest.approx(160.0)  # q = 0 is MCLP
    # q = 0.7: one unit each gives 0.3 * 160 = 48; two units on A give 100 * (1 - 0.49) = 51
    busy = mexclp(cost, weight, 5.0, 2, fixed=free, units=units, busy_fraction=0.7)
    assert set(busy.new) == {0, 1}
    assert busy.objective == pytest.approx(51.0)
    assert expected_covered_demand(cost, weight, 5.0, np.array([1, 0, 1], bool), units, 0.7) \
        == pytest.approx(48.0)


def test_covered_at_the_standard_counts():
    cost = np.array([[300.0], [300.0 + 1e-6]])
    assert covered_demand(cost, np.array([2.0, 3.0]), 300.0, np.array([True])) == 2.0


def test_bad_model_inputs():
    cost = np.ones((2, 3))
    w = np.ones(2)
    with pytest.raises(ValueError, match="n_new must lie in 0..2"):
        mclp(cost, w, 1.0, 3, fixed=np.array([True, False, False]))
    with pytest.raises(ValueError, match="busy_fraction"):
        mexclp(cost, w, 1.0, 1, fixed=np.zeros(3, bool), units=np.ones(3, int), busy_fraction=1.0)
    with pytest.raises(ValueError, match="one entry per site"):
        p_median(cost, w, 1, fixed=np.zeros(2, bool))
    with pytest.raises(ValueError, match="non-negative"):
        p_median(-cost, w, 1, fixed=np.zeros(3, bool))


# --------------------------------------------------------------------------- spopt, the field's
# reference implementation (PySAL), on the same instances: same optimal objective values


@pytest.mark.parametrize("seed", range(6))
def test_same_optimum_as_spopt(seed):
    spopt_locate = pytest.importorskip("spopt.locate")
    pulp = pytest.importorskip("pulp")
    inst = instance(seed, unreachable=0.0)
    cost, w, s, n = inst["cost"], inst["weight"], inst["standard"], inst["n_new"]
    fixed = inst["fixed"]
    p_total = int(fixed.sum()) + n
    with warnings.catch_warnings():
        # spopt 0.7 builds variables with the PuLP API that PuLP 3.3 deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False)
        predefined = fixed.astype(int) if fixed.any() else None
        ref_mclp = spopt_locate.MCLP.from_cost_matrix(
            cost, w, s, p_facilities=p_total, predefined_facilities_arr=predefined
        ).solve(solver, results=False)
        ref_pmed = spopt_locate.PMedian.from_cost_matrix(
            cost, w, p_total, predefined_facilities_arr=predefined).solve(solver, results=False)
        coverable = (cost <= s).any(axis=1)
        ref_lscp = spopt_locate.LSCP.from_cost_matrix(
            cost[coverable], s, predefined_facilities_arr=predefined).solve(solver,
                                                                             results=False)
    assert mclp(cost, w, s, n, fixed=fixed).objective == pytest.approx(
        pulp.value(ref_mclp.problem.objective), rel=1e-9)
    assert p_median(cost, w, n, fixed=fixed).objective == pytest.approx(
        pulp.value(ref_pmed.problem.objective), rel=1e-6)
    assert lscp(cost, s, fixed=fixed)[0].objective + fixed.sum() == pytest.approx(
        pulp.value(ref_lscp.problem.objective))
    assert math.isfinite(pulp.value(ref_pmed.problem.objective))
