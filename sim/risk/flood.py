"""Flood risk: design storms by return period through the flood model, exposure per year.

The ``flood:`` section of a risk file
(:class:`citysim.experiments.risk_hazards_spec.FloodRisk`); MODELS.md, "City
safety risk (QRA)": flood hazard maps per return period, waterlogging points
and expected annual persons exposed.

- **Design storms.** For each return period ``T`` (years) the storm
  intensity formula gives the average intensity over a duration ``t`` (min),
  ``i(t) = a / (t + b)^n`` with ``a = A (1 + C lg T)`` (mm/min), so the depth
  of the heaviest ``t`` minutes is ``H(t) = a t / (t + b)^n``. The Chicago
  hyetograph (Keifer & Chu 1957) puts the peak at ``t_p = r D`` of a storm
  lasting ``D`` and nests every duration's heaviest window around it, ``r``
  of it before the peak: the cumulative depth is ``r (H(D) - H((t_p - t)/r))``
  before the peak and ``r H(D) + (1 - r) H((t - t_p)/(1 - r))`` after it
  (its derivative is the textbook Chicago intensity ``a ((1 - n) s + b) /
  (s + b)^(n+1)``, ``s`` the time from the peak over ``r`` or ``1 - r``).
  :func:`chicago_hyetograph` gives the step averages of that curve over
  ``step``: the storm's total is ``H(D)`` exactly.
- **The flood.** Each storm is the ``rain_mm_h`` of a ``type: flood`` block
  (the section's ``hazard`` keys for the rest) and runs through citysim's flood
  model, :class:`citysim.hazards.flood.FloodHazard` (local-inertial scheme on
  the base city's terrain), for the storm and ``after``; the water alone:
  residents stay at home (the static way of the QRA), so no agent moves.
- **Outputs per storm**: the deepest water of each cell (the hazard map), the
  waterlogging points (:meth:`FloodHazard.waterlogging`: streets whose water
  reached 0.15 m, and every underpass) and the persons exposed: residents
  whose home node's cell had water at least ``exposure_depth_m`` deep above
  the ground.
- **Expected annual persons exposed** (:func:`expected_annual`): with
  ``p_k = 1/T_k`` the storms' annual exceedance probabilities, sorted from
  the most frequent (``p_1``) to the rarest (``p_K``), the trapezoid rule over
  ``p``, ``sum_k (p_k - p_(k+1)) (E_k + E_(k+1)) / 2``, plus the rare tail
  held at the rarest storm's exposure, ``p_K E_K`` (storms rarer than the
  rarest expose at least as many people, so the tail is a lower bound); no
  frequent tail: storms more frequent than ``p_1`` are taken to expose
  nobody (when the most frequent storm does expose people, add a more
  frequent one; the summary reports ``flood_frequent_storm_exposed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from citysim.errors import ScenarioError
from citysim.experiments.risk_hazards_spec import FloodRisk, StormFormula
from citysim.hazards.flood import WATERLOGGING_DEPTH_M, FloodHazard
from citysim.rng import world_streams
from citysim.scenario.hazards.flood import FloodConfig
from citysim.world.builder import node_population

__all__ = ["FloodResult", "assess_flood", "chicago_hyetograph", "expected_annual", "run_storm"]


def chicago_hyetograph(formula: StormFormula, return_period_years: float, duration_s: float,
                       step_s: float, peak_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """The Chicago design storm of the ``T``-year return period as a step series (module doc).

    Parameters
    ----------
    formula
        The storm intensity formula.
    return_period_years
        ``T`` (years).
    duration_s, step_s
        The storm's duration and the step of the series (s); the last step
        may be shorter.
    peak_ratio
        ``r``: the peak at ``r`` times the duration.

    Returns
    -------
    t_s, rain_mm_h : numpy.ndarray
        The start of each step (s) and its average intensity (mm/h); the last
        pair is ``(duration, 0)``: the rain stops.
    """
    a = formula.rain_force_mm_min(return_period_years)
    b, n, r = formula.b_min, formula.n, peak_ratio
    total_min = duration_s / 60.0

    def depth(s_min: np.ndarray) -> np.ndarray:  # heaviest s minutes (mm)
        return a * s_min / (s_min + b) ** n

    edges_min = np.r_[np.arange(0.0, duration_s, step_s), duration_s] / 60.0
    peak = r * total_min
    before = r * (depth(np.array(total_min)) - depth(np.maximum(peak - edges_min, 0.0) / r))
    after = r * depth(np.array(total_min)) + (1.0 - r) * depth(
        np.maximum(edges_min - peak, 0.0) / (1.0 - r))
    cumulative = np.where(edges_min <= peak, before, after)
    rain_mm_h = np.diff(cumulative) / np.diff(edges_min) * 60.0
    return edges_min * 60.0, np.r_[rain_mm_h, 0.0]


def expected_annual(return_periods: np.ndarray, exposed: np.ndarray) -> tuple[float, np.ndarray]:
    """Expected annual exposure from exposures per return period (module doc).

    Parameters
    ----------
    return_periods
        ``T_k`` (years, distinct, at least 1), in any order.
    exposed
        Exposure of each storm.

    Returns
    -------
    total
        ``sum_k w_k E_k``: the trapezoid over the exceedance probabilities
        plus the rare tail ``p_K E_K``.
    weights
        ``w_k`` of each storm, in the order given (per year).
    """
    t = np.asarray(return_periods, dtype=np.float64)
    order = np.argsort(t, kind="stable")
    p = 1.0 / t[order]  # most frequent first
    w = np.zeros(p.size)
    gaps = p[:-1] - p[1:]
    w[:-1] += gaps / 2.0
    w[1:] += gaps / 2.0
    if p.size:
        w[-1] += p[-1]  # the rare tail, held at the rarest storm's exposure
    weights = np.empty_like(w)
    weights[order] = w
    return float(np.dot(weights, np.asarray(exposed, dtype=np.float64))), weights


@dataclass
class StormOutcome:
    """One storm through the flood model.

    Attributes
    ----------
    max_depth_m
        ``(rows, cols)`` deepest water of each terrain cell (m), row 0 at the south.
    waterlogging
        The waterlogging points (:meth:`citysim.hazards.flood.FloodHazard.waterlogging`).
    persons_exposed
        Residents whose home cell's water reached the exposure depth.
    summary
        The flood's KPIs (:meth:`~citysim.hazards.flood.FloodHazard.summary`).
    """

    max_depth_m: np.ndarray
    waterlogging: pd.DataFrame
    persons_exposed: float
    summary: dict[str, Any]


def run_storm(world: Any, cfg: FloodConfig, end_s: float, dt_s: float,
              exposure_depth_m: float, rng: np.random.Generator) -> StormOutcome:
    """Run one flood (``cfg``) over the built city to ``end_s`` (s), in steps of ``dt_s``.

    Raises
    ------
    ScenarioError
        The base city has no terrain (``city.terrain``).
    """
    if world.terrain is None:
        raise ScenarioError("missing: a flood needs the base scenario's city.terrain",
                            path="flood")
    hazard = FloodHazard.from_config(cfg, world, rng)
    t = 0.0
    while t < end_s - 1e-9:
        step = min(dt_s, end_s - t)
        hazard.advance(t, step)
        t += step
    above_ground = np.maximum(hazard.max_h - hazard.carve_m, 0.0)
    net = world.network
    row, col, inside = world.terrain.cell_of(net.node_x_m, net.node_y_m)  # the flood's grid
    node_depth = np.where(inside, above_ground[row, col], 0.0)
    persons = node_population(world)
    return StormOutcome(max_depth_m=hazard.max_h.copy(), waterlogging=hazard.waterlogging(),
                        persons_exposed=float(persons[node_depth >= exposure_depth_m].sum()),
                        summary=hazard.summary())


@dataclass
class FloodResult:
    """What :func:`assess_flood` computes.

    Attributes
    ----------
    storms
        One row per return period, most frequent first: ``return_period_years,
        exceedance_probability_per_year, source`` (``formula`` or ``given``),
        ``rain_mm, peak_rain_mm_h, max_depth_m, waterlogging_points,
        persons_exposed, weight_per_year`` (``w_k`` of :func:`expected_annual`)
        and ``persons_exposed_per_year`` (``w_k E_k``).
    hyetographs
        ``return_period_years, t_s, rain_mm_h``: every storm's series.
    max_depth_m
        Deepest water per cell (m) of each return period.
    waterlogging
        Waterlogging points of each return period.
    grid
        ``(x0_m, y0_m, cell_m)``: the terrain grid's south-west corner and cell.
    summary
        ``flood_expected_persons_exposed_per_year`` and the other headline numbers.
    """

    storms: pd.DataFrame
    hyetographs: pd.DataFrame
    max_depth_m: dict[float, np.ndarray]
    waterlogging: dict[float, pd.DataFrame]
    grid: tuple[float, float, float]
    summary: dict[str, Any] = field(default_factory=dict)


def _storm_series(flood: FloodRisk) -> list[tuple[float, str, np.ndarray, np.ndarray]]:
    """``(T, source, t_s, rain_mm_h)`` of every storm, most frequent first."""
    out = [(float(s.return_period_years), "given", np.asarray(s.rain_mm_h.t_s),
            np.asarray(s.rain_mm_h.value)) for s in flood.storms]
    if flood.formula is not None:
        for t in flood.return_periods:
            ts, rain = chicago_hyetograph(flood.formula, float(t), flood.duration, flood.step,
                                          flood.peak_ratio)
            out.append((float(t), "formula", ts, rain))
    return sorted(out, key=lambda s: s[0])


def _rain_mm(t_s: np.ndarray, rain_mm_h: np.ndarray, end_s: float) -> float:
    """Rain of a step series up to ``end_s`` (mm)."""
    edges = np.r_[np.minimum(t_s, end_s), end_s]
    return float(np.sum(rain_mm_h * np.diff(edges)) / 3600.0)


def assess_flood(flood: FloodRisk, world: Any, seed: int) -> FloodResult:
    """Run every design storm of ``flood`` over the built base city (module doc).

    Parameters
    ----------
    flood
        The risk file's ``flood:`` section.
    world
        The built base city (with terrain).
    seed
        The base scenario's seed (the flood's random stream; unused by the water).

    Raises
    ------
    ScenarioError
        The base city has no terrain.
    """
    streams = world_streams(seed)
    rows: list[dict[str, Any]] = []
    series: list[pd.DataFrame] = []
    maxima: dict[float, np.ndarray] = {}
    logging: dict[float, pd.DataFrame] = {}
    grid = (0.0, 0.0, 0.0)
    for t, source, ts, rain in _storm_series(flood):
        cfg = FloodConfig.model_validate({"type": "flood", **flood.hazard,
                                          "rain_mm_h": np.column_stack([ts, rain]).tolist()})
        end = float(ts[-1]) + flood.after
        outcome = run_storm(world, cfg, end, flood.dt, flood.exposure_depth_m,
                            streams.generator(f"risk.flood.T{t:g}"))
        terrain = world.terrain
        grid = (float(terrain.x0_m), float(terrain.y0_m), float(terrain.cell_m))
        maxima[t] = outcome.max_depth_m
        logging[t] = outcome.waterlogging
        series.append(pd.DataFrame({"return_period_years": t, "t_s": ts, "rain_mm_h": rain}))
        rows.append({"return_period_years": t, "exceedance_probability_per_year": 1.0 / t,
                     "source": source, "rain_mm": _rain_mm(ts, rain, end),
                     "peak_rain_mm_h": float(rain.max()),
                     "max_depth_m": float(outcome.summary["flood_max_depth_m"]),
                     "waterlogging_points": int((outcome.waterlogging["max_depth_m"]
                                                 >= WATERLOGGING_DEPTH_M).sum()),
                     "persons_exposed": outcome.persons_exposed})
    storms = pd.DataFrame(rows)
    total, weights = expected_annual(storms["return_period_years"].to_numpy(),
                                     storms["persons_exposed"].to_numpy())
    storms["weight_per_year"] = weights
    storms["persons_exposed_per_year"] = weights * storms["persons_exposed"]
    summary = {
        "flood_expected_persons_exposed_per_year": total,
        "flood_rare_tail_persons_per_year": float(storms["persons_exposed"].iloc[-1]
                                                  / storms["return_period_years"].iloc[-1]),
        "flood_frequent_storm_exposed": bool(storms["persons_exposed"].iloc[0] > 0),
        "flood_return_periods_years": storms["return_period_years"].tolist(),
        "flood_exposure_depth_m": flood.exposure_depth_m,
    }
    return FloodResult(storms=storms, hyetographs=pd.concat(series, ignore_index=True),
                       max_depth_m=maxima, waterlogging=logging, grid=grid, summary=summary)
