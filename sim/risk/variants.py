"""What-ifs of a risk file (``variants:``): their scenarios and their comparison with the base.

A variant (:class:`citysim.experiments.risk_spec.RiskVariant`) changes the
sources (:meth:`~citysim.experiments.risk_spec.RiskExperiment.variant`:
remove, move, change, add) and the base scenario's shelters and stations
(:func:`scenario_overrides`, what the dynamic runs simulate). ``--without
SITE`` is the variant that removes those sources. :func:`compare` makes
``variants.csv``: one row for the base and one per variant, with the change
of each number against the base.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from citysim.errors import Problem, ScenarioError
from citysim.experiments.risk_spec import RiskExperiment, RiskVariant
from citysim.experiments.runs import world_of
from citysim.experiments.spec import experiment_problem
from citysim.scenario import Override, Scenario, load_scenario

__all__ = ["compare", "scenario_overrides", "variant_world"]

_SITE = re.compile(r"(shelters|stations)\[(\d+)\](.*)")


def scenario_overrides(scenario: Scenario, variant: RiskVariant) -> tuple[Override, ...]:
    """The overrides that add the variant's shelters and stations to the base scenario's.

    The scenario's own sites are kept (resolved: those of a CSV inline); an
    empty tuple when the variant adds none.
    """
    resolved = scenario.resolved()
    out = []
    for key, added in (("shelters", variant.add_shelters), ("stations", variant.add_stations)):
        if added:
            out.append(Override.of(key, [*(resolved.get(key) or []), *added]))
    return tuple(out)


def variant_world(exp: RiskExperiment, scenario: Scenario, index: int, world: Any
                  ) -> tuple[tuple[Override, ...], Any]:
    """The overrides of variant ``index`` and its city (``world`` when it adds no site).

    Raises
    ------
    ScenarioError
        A bad added shelter or station (a missing key, a location off the
        map), named at ``variants[i].add_shelters[j]...`` with its line in the
        risk file.
    """
    variant = exp.variants[index]
    overrides = scenario_overrides(scenario, variant)
    if not overrides:
        return overrides, world
    try:
        changed = load_scenario(exp.base, overrides=overrides)
        return overrides, world_of(changed)
    except ScenarioError as err:
        resolved = scenario.resolved()
        problems = []
        for p in err.problems:
            m = _SITE.match(p.path)
            n_base = len(resolved.get(m.group(1)) or []) if m else 0
            message = p.message.split(" (value from override")[0]
            if m and int(m.group(2)) >= n_base:
                at = experiment_problem(exp, ("variants", index, f"add_{m.group(1)}",
                                              int(m.group(2)) - n_base), message)
                problems.append(Problem(at.path + m.group(3), message, at.line))
            else:
                problems.append(Problem(f"variants[{index}] {p.path}", message))
        raise ScenarioError(problems, source=exp.source_file) from None


_HAZARD_COLUMNS = {"fire_buildings_lost_per_year": "fire_expected_buildings_lost_per_year",
                   "flood_persons_exposed_per_year": "flood_expected_persons_exposed_per_year"}
"""Columns of ``variants.csv`` from the flood and fire summaries (their keys)."""


def _change(value: float, base: float) -> float:
    """Relative change against the base (``-0.5``: halved); NaN when the base is 0."""
    return (value - base) / base if base else float("nan")


def compare(results: Sequence[tuple[str, str, Any]]) -> pd.DataFrame:
    """``variants.csv``: the base (first) and each variant, and their change against the base.

    Parameters
    ----------
    results
        ``(id, name, RiskResult)``, the base first.

    Returns
    -------
    pandas.DataFrame
        ``variant, name, pll_per_year, pll_change`` (relative to the base),
        ``pll_dynamic_per_year, pll_dynamic_change`` (dynamic mode),
        ``max_receptor_ir_per_year, max_receptor_ir_change``,
        ``max_individual_risk_per_year``, ``places_breaking_criterion``,
        ``places_breaking_change`` (count against the base), ``places_breaking``
        (ids, ``;``-separated); with ``fire:``, ``fire_buildings_lost_per_year,
        fire_change`` (a variant adding stations or shelters simulates the
        base's ignitions again, :func:`citysim.risk.hazards.variant_hazards`);
        with ``flood:``, ``flood_persons_exposed_per_year`` (the same for all:
        shared with the base); and ``ir_<receptor>`` (per year) for every receptor.
    """
    rows = []
    for vid, name, result in results:
        s = result.summary
        ir = result.receptors.set_index("receptor")["individual_risk_per_year"]
        bad = result.places.loc[result.places["breaks_criterion"].astype(bool), "place"]
        row: dict[str, Any] = {
            "variant": vid, "name": name, "pll_per_year": s["pll_per_year"],
            "pll_dynamic_per_year": s.get("pll_dynamic_per_year", np.nan),
            "max_receptor_ir_per_year": float(ir.max()) if len(ir) else 0.0,
            "max_individual_risk_per_year": s["max_individual_risk_per_year"],
            "places_breaking_criterion": int(s["places_breaking_criterion"]),
            "places_breaking": ";".join(map(str, bad))}
        for col, key in _HAZARD_COLUMNS.items():
            if key in s:
                row[col] = float(s[key])
        row |= {f"ir_{r}": float(v) for r, v in ir.items()}
        rows.append(row)
    table = pd.DataFrame(rows)
    base = table.iloc[0]
    for value, change in (("pll_per_year", "pll_change"),
                          ("pll_dynamic_per_year", "pll_dynamic_change"),
                          ("max_receptor_ir_per_year", "max_receptor_ir_change"),
                          ("fire_buildings_lost_per_year", "fire_change")):
        if value in table:
            table.insert(table.columns.get_loc(value) + 1, change,
                         [_change(v, base[value]) for v in table[value]])
    table.insert(table.columns.get_loc("places_breaking_criterion") + 1,
                 "places_breaking_change",
                 table["places_breaking_criterion"] - base["places_breaking_criterion"])
    if table["pll_dynamic_per_year"].isna().all():
        table = table.drop(columns=["pll_dynamic_per_year", "pll_dynamic_change"])
    return table
