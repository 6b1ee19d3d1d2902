"""Location models on a travel-time matrix: LSCP, MCLP, p-median (capacitated) and MEXCLP.

Every model works on the same inputs (MODELS.md, "Location models"):

- ``cost_s``, shape (m, k): travel time from demand point ``i`` to site
  ``j`` (s); ``inf`` where ``j`` cannot serve ``i`` (unreachable, or a
  station without the unit type);
- ``weight``, shape (m,): the demand at each point (persons, or calls);
- ``fixed``, shape (k,): sites that stay open whatever the model says
  (existing shelters or stations under ``--keep-existing``);
- ``n_new``: how many of the other sites to open (exactly; opening a site
  never makes any of these objectives worse).

A site *covers* a demand point when ``cost_s[i, j] <= standard_s``.

- **LSCP** (Toregas et al. 1971): the fewest new sites such that every
  demand point some site can cover is covered; points no site covers are
  reported, not forced.
- **MCLP** (Church & ReVelle 1974): the ``n_new`` sites that maximise the
  covered demand.
- **p-median** (Hakimi 1964; ReVelle & Swain 1970): the ``n_new`` sites that
  minimise the total weighted travel time ``sum_i w_i t_i`` to the assigned
  site. With capacities (shelters) demand may be split between sites, and
  a site takes at most its capacity; when the open sites cannot take
  everyone the model is *lexicographic*: first as much demand as possible is
  served, then the least total travel time for it (a two-stage solve). The
  same holds when some demand is unreachable.
- **MEXCLP** (Daskin 1983): with each unit busy with probability ``q``
  independently, a point covered by ``n`` units is served within the
  standard with probability ``1 - q**n``; maximise
  ``sum_i w_i (1 - q**n_i)``, written linearly as
  ``sum_i w_i sum_k (1 - q) q**(k - 1) y_ik`` with ``sum_k y_ik <= n_i``.
  A site brings ``units[j]`` units.

The integer programs are solved exactly (relative gap 0) by HiGHS through
:func:`scipy.optimize.milp`. Why not spopt + PuLP/CBC: spopt 0.7 has no
MEXCLP; its capacitated p-median assigns each demand point whole to one site
and refuses plans whose capacity is below the demand (the usual case for
shelters, which hold 15-30 % of the population); and PuLP 3.3 deprecates both
its bundled CBC and the variable construction spopt uses (a
``DeprecationWarning`` per variable, removed in PuLP 4). HiGHS is already a
dependency through SciPy, and the matrices are built as sparse arrays, so
thousands of demand points cost seconds. The tests check every model
against brute-force enumeration and against spopt's LSCP, MCLP and PMedian.

Ties between equally good plans are broken by the solver, deterministically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = [
    "MODELS",
    "Placement",
    "covered_demand",
    "expected_covered_demand",
    "lscp",
    "mclp",
    "mexclp",
    "p_median",
]

MODELS: tuple[str, ...] = ("pmedian", "mclp", "lscp", "mexclp")
"""Model names, as ``citysim optimize --model`` takes them."""
_COVER_TOL_S = 1e-9
"""A demand point reached exactly at the standard is covered, despite rounding."""
_SNAP = 1e-7
"""Assigned shares this close to 0 or 1 are solver round-off and snap to it."""
_SERVED_REL_TOL = 1e-12
"""Stage two of the p-median may give up this share of the most demand servable
(below the solver's feasibility tolerance: in effect, none)."""


@dataclass(frozen=True, eq=False)
class Placement:
    """The sites a model opens and what it achieves on paper.

    Attributes
    ----------
    model
        ``lscp``, ``mclp``, ``pmedian`` or ``mexclp``.
    open
        Open sites (fixed ones included), shape (k,).
    new
        Indices of the sites opened besides the fixed ones, ascending.
    objective
        The model's objective: new sites (LSCP), covered demand (MCLP),
        total weighted travel time of the served demand (p-median, s x
        demand), expected covered demand (MEXCLP).
    objective_name
        ``new_sites``, ``covered_demand``, ``weighted_time_s`` or
        ``expected_covered_demand``.
    served
        p-median: demand assigned to a site; else ``None``.
    assignment
        p-median: demand sent from each point to each site, shape (m, k);
        else ``None``.
    """

    model: str
    open: np.ndarray
    new: np.ndarray
    objective: float
    objective_name: str
    served: float | None = None
    assignment: np.ndarray | None = None


# --------------------------------------------------------------------------- evaluation


def covers(cost_s: np.ndarray, standard_s: float) -> np.ndarray:
    """Whether each site covers each demand point: ``cost_s <= standard_s``, shape (m, k)."""
    return np.asarray(cost_s, dtype=np.float64) <= float(standard_s) + _COVER_TOL_S


def covered_demand(
    cost_s: np.ndarray, weight: np.ndarray, standard_s: float, open_sites: np.ndarray
) -> float:
    """Demand within the standard of at least one open site.

    Parameters
    ----------
    cost_s
        Travel times (s), shape (m, k).
    weight
        Demand per point, shape (m,).
    standard_s
        Coverage standard (s).
    open_sites
        Open sites, shape (k,), bool.

    Returns
    -------
    float
    """
    a = covers(cost_s, standard_s)[:, np.asarray(open_sites, dtype=bool)]
    return float(np.asarray(weight, dtype=np.float64)[a.any(axis=1)].sum())


def expected_covered_demand(
    cost_s: np.ndarray,
    weight: np.ndarray,
    standard_s: float,
    open_sites: np.ndarray,
    units: np.ndarray,
    busy_fraction: float,
) -> float:
    """Daskin's expected covered demand ``sum_i w_i (1 - q**n_i)`` of open sites.

    Parameters
    ----------
    cost_s, weight, standard_s, open_sites
        As :func:`covered_demand`.
    units
        Units at each site, shape (k,).
    busy_fraction
        Probability ``q`` that a unit is busy, in [0, 1).

    Returns
    -------
    float
    """
    n = _units_covering(cost_s, standard_s, units, open_sites)
    return float(np.sum(np.asarray(weight, dtype=np.float64) * (1.0 - busy_fraction ** n)))


def _units_covering(
    cost_s: np.ndarray, standard_s: float, units: np.ndarray, open_sites: np.ndarray
) -> np.ndarray:
    u = np.where(np.asarray(open_sites, dtype=bool), np.asarray(units, dtype=np.int64), 0)
    return covers(cost_s, standard_s).astype(np.int64) @ u


# --------------------------------------------------------------------------- models


def lscp(
    cost_s: np.ndarray, standard_s: float, *, fixed: np.ndarray, weight: np.ndarray | None = None
) -> tuple[Placement, float]:
    """Location set covering: the fewest new sites that cover every coverable point.

    Parameters
    ----------
    cost_s
        Travel times (s), shape (m, k).
    standard_s
        Coverage standard (s).
    fixed
        Sites that stay open, shape (k,), bool.
    weight
        Demand per point (only to report the uncoverable demand); default 1.

    Returns
    -------
    placement : Placement
        ``objective`` is the number of new sites.
    uncoverable : float
        Demand no site at all can cover (left out of the constraints).
    """
    _, fixed, m, k = _inputs(cost_s, fixed)
    w = np.ones(m) if weight is None else np.asarray(weight, dtype=np.float64)
    cov = covers(cost_s, standard_s)
    coverable = cov.any(axis=1)
    rows = np.flatnonzero(coverable & ~cov[:, fixed].any(axis=1))  # not yet covered
    c = np.where(fixed, 0.0, 1.0)
    constraints = []
    if rows.size:
        sub = sparse.csr_matrix(cov[rows].astype(np.float64))
        constraints.append(LinearConstraint(sub, 1.0, np.inf))
    x = _solve(c, np.ones(k), _site_bounds(fixed), constraints)
    is_open = x > 0.5
    new = np.flatnonzero(is_open & ~fixed)
    placement = Placement("lscp", is_open, new, float(new.size), "new_sites")
    return placement, float(w[~coverable].sum())


def mclp(
    cost_s: np.ndarray,
    weight: np.ndarray,
    standard_s: float,
    n_new: int,
    *,
    fixed: np.ndarray,
) -> Placement:
    """Maximal covering: the ``n_new`` sites that cover the most demand.

    Parameters
    ----------
    cost_s
        Travel times (s), shape (m, k).
    weight
        Demand per point, shape (m,).
    standard_s
        Coverage standard (s).
    n_new
        Sites to open besides the fixed ones.
    fixed
        Sites that stay open, shape (k,), bool.

    Returns
    -------
    Placement
        ``objective`` is the covered demand (fixed sites' coverage included).
    """
    _, fixed, m, k = _inputs(cost_s, fixed)
    w = np.asarray(weight, dtype=np.float64)
    cov = covers(cost_s, standard_s)
    rows = np.flatnonzero(cov.any(axis=1) & (w > 0))
    r = rows.size
    # variables: y (k sites), z (r points: covered or not)
    c = np.r_[np.zeros(k), -w[rows]]
    link = sparse.hstack([-sparse.csr_matrix(cov[rows].astype(np.float64)),
                          sparse.identity(r, format="csr")])  # z_i <= sum_{j covers i} y_j
    constraints = [LinearConstraint(link, -np.inf, 0.0), _cardinality(fixed, n_new, r)]
    bounds = _stack_bounds(_site_bounds(fixed), Bounds(np.zeros(r), np.ones(r)))
    x = _solve(c, np.r_[np.ones(k), np.zeros(r)], bounds, constraints)
    is_open = x[:k] > 0.5
    return Placement("mclp", is_open, np.flatnonzero(is_open & ~fixed),
                     covered_demand(cost_s, w, standard_s, is_open), "covered_demand")


def mexclp(
    cost_s: np.ndarray,
    weight: np.ndarray,
    standard_s: float,
    n_new: int,
    *,
    fixed: np.ndarray,
    units: np.ndarray,
    busy_fraction: float,
) -> Placement:
    """Maximum expected covering (Daskin 1983) with busy units.

    Parameters
    ----------
    cost_s, weight, standard_s, n_new, fixed
        As :func:`mclp`.
    units
        Units each site brings, shape (k,), >= 0.
    busy_fraction
        Probability ``q`` that a unit is busy, in [0, 1).

    Returns
    -------
    Placement
        ``objective`` is the expected covered demand ``sum_i w_i (1 - q**n_i)``.
    """
    _, fixed, m, k = _inputs(cost_s, fixed)
    q = float(busy_fraction)
    if not 0.0 <= q < 1.0:
        raise ValueError(f"busy_fraction must lie in [0, 1), got {busy_fraction!r}")
    w = np.asarray(weight, dtype=np.float64)
    u = np.asarray(units, dtype=np.int64)
    if u.shape != (k,) or (u < 0).any():
        raise ValueError(f"units must be {k} non-negative integers")
    cov = covers(cost_s, standard_s).astype(np.float64)
    most = cov @ u.astype(np.float64)  # units that could cover each point
    rows = np.flatnonzero((most > 0) & (w > 0))
    levels = most[rows].astype(np.int64)
    n_y = int(levels.sum())
    owner = np.repeat(np.arange(rows.size), levels)  # the point of each y_ik
    rank = np.arange(n_y) - np.repeat(np.cumsum(levels) - levels, levels)  # k - 1
    gain = w[rows][owner] * (1.0 - q) * q ** rank
    # sum_k y_ik - sum_j u_j a_ij x_j <= 0
    units_cov = sparse.csr_matrix(cov[rows] * u[None, :])
    y_rows = sparse.csr_matrix((np.ones(n_y), (owner, np.arange(n_y))), shape=(rows.size, n_y))
    link = sparse.hstack([-units_cov, y_rows])
    constraints = [LinearConstraint(link, -np.inf, 0.0), _cardinality(fixed, n_new, n_y)]
    bounds = _stack_bounds(_site_bounds(fixed), Bounds(np.zeros(n_y), np.ones(n_y)))
    x = _solve(np.r_[np.zeros(k), -gain], np.r_[np.ones(k), np.zeros(n_y)], bounds, constraints)
    is_open = x[:k] > 0.5
    value = expected_covered_demand(cost_s, w, standard_s, is_open, u, q)
    return Placement("mexclp", is_open, np.flatnonzero(is_open & ~fixed), value,
                     "expected_covered_demand")


def p_median(
    cost_s: np.ndarray,
    weight: np.ndarray,
    n_new: int,
    *,
    fixed: np.ndarray,
    capacity: np.ndarray | None = None,
) -> Placement:
    """p-median: the ``n_new`` sites with the least total weighted travel time.

    Parameters
    ----------
    cost_s
        Travel times (s), shape (m, k); ``inf`` where a site cannot serve a point.
    weight
        Demand per point, shape (m,).
    n_new
        Sites to open besides the fixed ones (0 evaluates the fixed sites).
    fixed
        Sites that stay open, shape (k,), bool.
    capacity
        Demand each site can take, shape (k,); ``None``: unlimited.

    Returns
    -------
    Placement
        ``objective`` is the total weighted travel time of the served demand
        (s x demand); ``served`` the demand assigned (all of it, unless the
        capacities or the network forbid); ``assignment`` the split.
    """
    cost, fixed, m, k = _inputs(cost_s, fixed)
    w = np.asarray(weight, dtype=np.float64)
    ok = np.isfinite(cost) & (w[:, None] > 0)
    pi, pj = np.nonzero(ok)  # one assignment variable per usable pair
    n_x = pi.size
    t = cost[pi, pj]
    wx = w[pi]
    one = np.ones(n_x)
    assign = sparse.csr_matrix((one, (pi, np.arange(n_x))), shape=(m, n_x))
    open_link = sparse.hstack([-sparse.csr_matrix((one, (np.arange(n_x), pj)), shape=(n_x, k)),
                               sparse.identity(n_x, format="csr")])  # x_ij <= y_j
    rows_used = np.flatnonzero(ok.any(axis=1))
    constraints = [LinearConstraint(open_link, -np.inf, 0.0), _cardinality(fixed, n_new, n_x)]
    two_stage = capacity is not None or not ok[w > 0].all()
    if capacity is not None:
        cap = np.asarray(capacity, dtype=np.float64)
        load = sparse.hstack([-sparse.diags(cap, format="csr"),
                              sparse.csr_matrix((wx, (pj, np.arange(n_x))), shape=(k, n_x))])
        constraints.append(LinearConstraint(load, -np.inf, 0.0))
    if rows_used.size:
        share = sparse.hstack([sparse.csr_matrix((rows_used.size, k)), assign[rows_used]])
        constraints.append(LinearConstraint(share, 0.0 if two_stage else 1.0, 1.0))
    bounds = _stack_bounds(_site_bounds(fixed), Bounds(np.zeros(n_x), np.ones(n_x)))
    integrality = np.r_[np.ones(k), np.zeros(n_x)]
    if two_stage:  # first serve as much demand as possible
        x = _solve(np.r_[np.zeros(k), -wx], integrality, bounds, constraints)
        most = float(wx @ x[k:])
        served_row = sparse.hstack([sparse.csr_matrix((1, k)), sparse.csr_matrix(wx[None, :])])
        constraints.append(LinearConstraint(served_row, most * (1.0 - _SERVED_REL_TOL), np.inf))
    x = _solve(np.r_[np.zeros(k), wx * t], integrality, bounds, constraints)
    is_open = x[:k] > 0.5
    frac = np.clip(x[k:], 0.0, 1.0)
    frac[frac < _SNAP] = 0.0  # solver round-off, below its feasibility tolerance
    frac[frac > 1.0 - _SNAP] = 1.0
    split = np.zeros((m, k))
    split[pi, pj] = wx * frac
    return Placement("pmedian", is_open, np.flatnonzero(is_open & ~fixed),
                     float(np.sum(wx * t * frac)), "weighted_time_s",
                     served=float(split.sum()), assignment=split)


# --------------------------------------------------------------------------- helpers


def _inputs(cost_s: np.ndarray, fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    cost = np.asarray(cost_s, dtype=np.float64)
    if cost.ndim != 2:
        raise ValueError(f"cost_s must be a (demand points, sites) matrix, got {cost.shape}")
    if np.isnan(cost).any() or (cost < 0).any():
        raise ValueError("cost_s must be non-negative (inf where a site cannot serve), no NaN")
    m, k = cost.shape
    fixed_mask = np.asarray(fixed, dtype=bool)
    if fixed_mask.shape != (k,):
        raise ValueError(f"fixed must have one entry per site ({k}), got {fixed_mask.shape}")
    return cost, fixed_mask, m, k


def _site_bounds(fixed: np.ndarray) -> Bounds:
    return Bounds(np.where(fixed, 1.0, 0.0), np.ones(fixed.shape[0]))


def _stack_bounds(*parts: Bounds) -> Bounds:
    return Bounds(np.concatenate([p.lb for p in parts]), np.concatenate([p.ub for p in parts]))


def _cardinality(fixed: np.ndarray, n_new: int, n_other: int) -> LinearConstraint:
    """Exactly ``n_new`` sites besides the fixed ones are open."""
    free = int((~fixed).sum())
    if not 0 <= int(n_new) <= free:
        raise ValueError(f"n_new must lie in 0..{free} (the sites not fixed), got {n_new!r}")
    row = np.r_[np.where(fixed, 0.0, 1.0), np.zeros(n_other)]
    return LinearConstraint(sparse.csr_matrix(row[None, :]), float(n_new), float(n_new))


def _solve(c: np.ndarray, integrality: np.ndarray, bounds: Bounds,
           constraints: list[LinearConstraint]) -> np.ndarray:
    """Solve a mixed-integer program to optimality with HiGHS; return the solution."""
    res = milp(c, integrality=integrality, bounds=bounds, constraints=constraints,
               options={"disp": False, "mip_rel_gap": 0.0})
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"the location model could not be solved: {res.message}")
    if not math.isfinite(float(res.fun)):
        raise RuntimeError("the location model has no finite optimum")
    return np.asarray(res.x, dtype=np.float64)
