"""KPIs of a finished run and of a set of replications: pure functions.

A KPI that cannot happen in a run (a response time with no incidents, an
evacuation time with nobody evacuated) is ``None``, never 0 by accident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from citysim.agents.states import State, final_groups

if TYPE_CHECKING:
    from citysim.world.builder import World

CONTRACT_KPIS: tuple[str, ...] = (
    "residents_total", "evacuated", "sheltered_in_place", "not_evacuated", "injured",
    "fatalities", "evacuation_time_p50_s", "evacuation_time_p90_s", "clearance_time_s",
    "shelter_overflow", "incidents_total", "response_time_p50_s", "response_time_p90_s",
    "response_within_standard_fraction", "calls_queued_fraction", "unit_utilization",
    "coverage_fraction", "network_nodes", "network_edges", "wall_time_s", "steps",
)
"""Keys every ``summary.json`` carries (SCENARIO_SPEC.md)."""


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float | None:
    """Quantile of weighted samples (inverse of the weighted empirical CDF).

    Parameters
    ----------
    values
        Samples.
    weights
        Non-negative weights (persons per agent).
    q
        Quantile in [0, 1].

    Returns
    -------
    float or None
        ``None`` when there are no samples with positive weight.
    """
    keep = np.isfinite(values) & (weights > 0)
    if not keep.any():
        return None
    order = np.argsort(values[keep], kind="stable")
    v = values[keep][order]
    cw = np.cumsum(weights[keep][order])
    k = int(np.searchsorted(cw, q * cw[-1], side="left"))
    return float(v[min(k, v.size - 1)])


def evacuation_kpis(t_arrive_s: np.ndarray, persons: np.ndarray) -> dict[str, float | None]:
    """Evacuation time percentiles and clearance time (s from the run start).

    Parameters
    ----------
    t_arrive_s
        Arrival time at a shelter per agent, NaN if never (s).
    persons
        Persons per agent.

    Returns
    -------
    dict
        ``evacuation_time_p50_s``, ``evacuation_time_p90_s``, ``clearance_time_s``
        (the last arrival).
    """
    arrived = np.isfinite(t_arrive_s)
    return {
        "evacuation_time_p50_s": weighted_quantile(t_arrive_s, persons, 0.5),
        "evacuation_time_p90_s": weighted_quantile(t_arrive_s, persons, 0.9),
        "clearance_time_s": float(t_arrive_s[arrived].max()) if arrived.any() else None,
    }


def within_standard(incidents: pd.DataFrame, standard_s: float, t_end_s: float) -> float | None:
    """Share of the incidents reached within ``standard_s`` of their call.

    The response time runs from the call (``response_time_s``: queue wait,
    turnout and travel). An incident no unit reached counts as outside the
    standard when it was lost or went unreached for longer than the standard
    (still waiting at ``t_end_s``, or over without a unit); one called less
    than the standard before that is left out: its outcome is not known.
    ``None`` when no incident counts.
    """
    rt = incidents["response_time_s"].to_numpy(dtype=np.float64)
    reached = np.isfinite(rt)
    seen_until = np.minimum(incidents["t_clear_s"].fillna(t_end_s).to_numpy(np.float64), t_end_s)
    lost = incidents["lost"].fillna(False).to_numpy(bool) if "lost" in incidents else False
    late = ~reached & (lost | (seen_until - incidents["t_call_s"].to_numpy(np.float64)
                               > standard_s))
    counted = int(reached.sum() + late.sum())
    return float(np.sum(rt[reached] <= standard_s) / counted) if counted else None


def response_kpis(
    incidents: pd.DataFrame, *, standard_s: float, busy_unit_s: float, unit_s: float,
    t_end_s: float = np.inf,
) -> dict[str, float | int | None]:
    """Response KPIs from the incidents table.

    Parameters
    ----------
    incidents
        The run's incidents (contract columns).
    standard_s
        Arrival standard (s), judged on ``response_time_s``: call to first
        arrival (queue wait + turnout + travel), see :func:`within_standard`.
    busy_unit_s
        Unit-seconds spent away from the station (s).
    unit_s
        Unit-seconds available: units x duration (s).
    t_end_s
        End of the run (s): calls still unreached then count as outside the
        standard once they have waited longer than it.

    Returns
    -------
    dict
        ``incidents_total``, ``response_time_p50_s``, ``response_time_p90_s``,
        ``response_within_standard_fraction``, ``calls_queued_fraction``,
        ``unit_utilization``.
    """
    rt = incidents["response_time_s"].dropna().to_numpy(dtype=np.float64)
    n = len(incidents)
    return {
        "incidents_total": n,
        "response_time_p50_s": float(np.quantile(rt, 0.5)) if rt.size else None,
        "response_time_p90_s": float(np.quantile(rt, 0.9)) if rt.size else None,
        "response_within_standard_fraction": within_standard(incidents, standard_s, t_end_s),
        "calls_queued_fraction": float(incidents["queued"].fillna(False).mean()) if n else None,
        "calls_lost_fraction": float(incidents["lost"].fillna(False).mean())
        if n and "lost" in incidents else None,
        "unit_utilization": busy_unit_s / unit_s if unit_s > 0 else None,
    }


def normal_coverage(world: World, standard_s: float) -> float | None:
    """Share of residents an engine reaches within the standard on the intact network.

    ``None`` when the city has no engine (see :mod:`citysim.analysis.coverage`).
    """
    from citysim.analysis.coverage import station_coverage

    if world.population.total == 0 or not world.stations.units[:, 0].any():
        return None
    return float(station_coverage(world, standard_s=standard_s).coverage_fraction)


def summarize_model(model: Any, *, wall_time_s: float) -> dict[str, Any]:
    """The flat KPI summary of one finished replication.

    Parameters
    ----------
    model
        A finished :class:`citysim.model.CityModel`.
    wall_time_s
        Wall-clock time of the run (s).

    Returns
    -------
    dict
        Every key of :data:`CONTRACT_KPIS`, then each hazard's own KPIs.
    """
    res = model.residents
    groups = final_groups(model.state_counts())
    net = model.world.network
    stations = model.world.stations
    summary: dict[str, Any] = {
        "residents_total": int(res.persons.sum()),
        **groups,
        "injured": int(res.persons[res.injured & (res.state != State.DEAD)].sum()),
        **evacuation_kpis(res.t_arrive_s, res.persons),
        "shelter_overflow": int(model.shelters.turned_away.sum()),
        **response_kpis(
            model.incidents_frame(),
            standard_s=float(model.scenario.response.standard),
            busy_unit_s=float(model.response.busy_unit_s),
            unit_s=float(stations.units.sum()) * model.t_s,
            t_end_s=model.t_s,
        ),
        "coverage_fraction": normal_coverage(model.world, float(model.scenario.response.standard)),
        "network_nodes": net.n_nodes,
        "network_edges": net.n_edges,
        "wall_time_s": float(wall_time_s),
        "steps": int(model.steps),
        "route_updates": int(model.route_updates),
    }
    for hazard in model.hazards:
        summary.update(hazard.summary())
    return summary


def aggregate_replications(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mean and 95 % confidence interval of every KPI over replications.

    The interval is Student's t on the replication means; with one
    replication (or a constant KPI) it collapses to the mean.

    Parameters
    ----------
    rows
        One summary per replication.

    Returns
    -------
    dict
        ``{kpi: {"mean", "ci95_low", "ci95_high", "n"}}``; a KPI that is
        ``None`` in every replication stays ``None``; a text KPI (a label
        such as ``plume_dispersion_model``) stays as it is when every
        replication agrees, else ``None``.
    """
    out: dict[str, Any] = {}
    keys = list(dict.fromkeys(k for r in rows for k in r))
    for key in keys:
        present = [r[key] for r in rows if r.get(key) is not None]
        if present and all(isinstance(v, str) for v in present):  # a label, not a number
            out[key] = present[0] if len(set(present)) == 1 else None
            continue
        values = np.array(present, dtype=np.float64)
        if values.size == 0:
            out[key] = None
            continue
        mean = float(values.mean())
        half = 0.0
        if values.size > 1 and values.std() > 0:
            from scipy import stats  # loaded on first use: scipy.stats takes 0.2-0.4 s

            half = float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1)
                         / np.sqrt(values.size))
        out[key] = {"mean": mean, "ci95_low": mean - half, "ci95_high": mean + half,
                    "n": int(values.size)}
    return out
