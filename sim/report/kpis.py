"""Headline KPIs of a run against the standards that apply (MODELS.md).

- **Response**: China 建标152-2017 asks engines to reach the edge of their
  district within 5 min of dispatch; NFPA 1710 judges arrival times at the
  90th percentile. The scenario's ``response.standard`` (5 min by default)
  is the target, judged on the response time from the call to the first
  arrival (queue wait + turnout + travel: a call that waited for a free unit
  waited from the call, MODELS.md); a run meets it when its 90th-percentile
  response time is within it. Coverage (``coverage_fraction``, residents within the standard
  on the intact network) meets it at 100 %.
- **Shelters**: GB 21734-2008 asks more than 1.5 m² of living area per
  person (checked where shelters give ``area_m2``; a shelter sized at
  exactly 1.5 m² per person, citysim's default sizing, passes); fixed shelters should
  hold 15-30 % of the planned population (MODELS.md: practice, the code
  reference unconfirmed); nobody should be turned away.
- **Lives**: fatalities, and residents left neither in a shelter nor
  sheltering in place, have no acceptable level but 0; they are shown
  without a verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from citysim.humanize import clock, is_number, minutes, number, percent

__all__ = ["COMPARED_KPIS", "SHELTER_M2_PER_PERSON", "SHELTER_SHARE", "KpiRow", "headline",
           "kpi_mean", "response_standard_s", "shelter_places"]

SHELTER_M2_PER_PERSON = 1.5
"""Least living area per person in a shelter, GB 21734-2008 (m²)."""
SHELTER_SHARE = 0.15
"""Least share of the population fixed shelters should hold (MODELS.md, practice; check)."""
COMPARED_KPIS: tuple[str, ...] = (
    "evacuated", "sheltered_in_place", "not_evacuated", "fatalities", "injured",
    "evacuation_time_p50_s", "evacuation_time_p90_s", "shelter_overflow",
    "response_time_p90_s", "response_within_standard_fraction", "calls_queued_fraction",
    "unit_utilization", "coverage_fraction",
    "flood_max_depth_m", "flooded_road_km", "plume_aegl2_area_km2", "fire_buildings_burned",
)
"""KPIs a batch report compares across variants (those the batch has)."""


@dataclass(frozen=True)
class KpiRow:
    """One line of the headline table.

    Attributes
    ----------
    label
        What it is, in words.
    value
        The value as shown (with its 95 % interval over replications).
    standard
        The standard or target it is judged against ("" when none).
    met
        True/False when judged, None when there is no standard or no value.
    key
        The ``summary.json`` key (or a derived name).
    """

    label: str
    value: str
    standard: str
    met: bool | None
    key: str


def shelter_places(shelter: dict[str, Any]) -> int:
    """Persons a shelter of the resolved scenario holds: its capacity, else area over m²/person."""
    if shelter.get("capacity") is not None:
        return int(shelter["capacity"])
    if shelter.get("area_m2") is not None:
        per = float(shelter.get("m2_per_person") or SHELTER_M2_PER_PERSON)
        return math.floor(float(shelter["area_m2"]) / per + 1e-9)
    return 0


def response_standard_s(scenario: dict[str, Any]) -> float:
    """The arrival standard of a resolved scenario (s): ``response.standard``, else 5 min."""
    return float((scenario.get("response") or {}).get("standard") or 300.0)


def kpi_mean(summary: dict[str, Any], key: str) -> float | None:
    """A KPI's value (its mean over replications), None when missing or null."""
    value = summary.get(key)
    if isinstance(value, dict):
        value = value.get("mean")
    return float(value) if is_number(value) else None


def _shown(summary: dict[str, Any], key: str, fmt: Any, bound_fmt: Any = None) -> str:
    value = summary.get(key)
    bound_fmt = bound_fmt or fmt
    if isinstance(value, dict):
        if not is_number(value.get("mean")):
            return "—"
        text = fmt(value["mean"])
        if value.get("n", 1) > 1 and value.get("ci95_low") != value.get("ci95_high"):
            text += (f" (95 % CI {bound_fmt(value['ci95_low'])} – "
                     f"{bound_fmt(value['ci95_high'])})")
        return text
    return fmt(value) if is_number(value) else "—"


def headline(summary: dict[str, Any], scenario: dict[str, Any]) -> list[KpiRow]:
    """The headline KPIs of a run, each with its standard and verdict.

    Parameters
    ----------
    summary
        ``summary.json`` (flat, or ``{mean, ci95_low, ci95_high, n}`` per KPI).
    scenario
        The resolved scenario (standard, shelters).

    Returns
    -------
    list of KpiRow
    """
    standard_s = response_standard_s(scenario)
    std = minutes(standard_s)
    total = kpi_mean(summary, "residents_total") or 0.0
    rows: list[KpiRow] = []

    def add(key: str, label: str, fmt: Any, standard: str = "", met: bool | None = None,
            bound: Any = None) -> None:
        rows.append(KpiRow(label, _shown(summary, key, fmt, bound), standard, met, key))

    def share(v: float) -> str:
        """Persons and their share of the residents (the interval bounds: persons only)."""
        return f"{number(v)} ({percent(v / total)})" if total else number(v)

    p90 = kpi_mean(summary, "response_time_p90_s")
    add("response_time_p90_s", "Response time, 90th percentile (call to first arrival)",
        minutes, f"≤ {std} (建标152-2017; NFPA 1710 judges the 90th percentile)",
        None if p90 is None else p90 <= standard_s + 1e-9)
    within = kpi_mean(summary, "response_within_standard_fraction")
    add("response_within_standard_fraction", f"Incidents reached within {std} of the call",
        percent, "≥ 90 %", None if within is None else within >= 0.9 - 1e-12)
    add("response_time_p50_s", "Response time, median", minutes)
    cov = kpi_mean(summary, "coverage_fraction")
    add("coverage_fraction", f"Residents an engine reaches within {std} (intact network)",
        percent, "100 % (建标152-2017: every district within the standard)",
        None if cov is None else cov >= 1.0 - 1e-9)
    add("calls_queued_fraction", "Calls that waited for a free unit", percent)
    add("unit_utilization", "Unit utilisation", percent)
    add("incidents_total", "Incidents", number)
    shelters = scenario.get("shelters") or []
    capacity = sum(shelter_places(s) for s in shelters)
    if total:
        places = capacity / total
        rows.append(KpiRow("Shelter places per resident", percent(places),
                           f"≥ {percent(SHELTER_SHARE, 0)} (fixed shelters; practice, MODELS.md)",
                           places >= SHELTER_SHARE, "shelter_places_fraction"))
    areas = [(s.get("area_m2"), shelter_places(s)) for s in shelters]
    standard_m2 = f"≥ {SHELTER_M2_PER_PERSON} m² (GB 21734-2008)"
    if shelters and all(a is not None and c for a, c in areas):
        worst = min(a / c for a, c in areas)
        rows.append(KpiRow("Living area per person, most crowded shelter", f"{worst:.2f} m²",
                           standard_m2, worst >= SHELTER_M2_PER_PERSON - 1e-9,
                           "shelter_m2_per_person"))
    elif shelters:
        rows.append(KpiRow("Living area per person", "not known (no area_m2 given)",
                           standard_m2, None, "shelter_m2_per_person"))
    overflow = kpi_mean(summary, "shelter_overflow")
    add("shelter_overflow", "Persons turned away by full shelters", number, "0",
        None if overflow is None else overflow == 0)
    add("evacuated", "Evacuated (in a shelter or rescued)", share, bound=number)
    add("sheltered_in_place", "Sheltering in place", share, bound=number)
    add("not_evacuated", "Unsheltered: neither in a shelter nor sheltering in place",
        share, bound=number)
    dead = kpi_mean(summary, "fatalities")
    add("fatalities", "Fatalities", share, "0", None if dead is None else dead == 0,
        bound=number)
    add("injured", "Injured survivors", share, bound=number)
    add("evacuation_time_p50_s", "Evacuation time, median (start of run to shelter)", clock)
    add("evacuation_time_p90_s", "Evacuation time, 90th percentile", clock)
    add("clearance_time_s", "Last arrival at a shelter", clock)
    return rows
