"""Flood and fire sources of a risk file, together: run them, add them to the risk inventory.

:func:`assess_hazards` runs the ``flood:`` section (:mod:`citysim.risk.flood`)
and the ``fire:`` section (:mod:`citysim.risk.fire`) of a risk file, when
present; :func:`inventory_rows` gives their rows of ``risk_inventory.csv``
in the chemical rows' columns (SCENARIO_SPEC.md, docs/risk.md), so the file
keeps one schema:

- a flood row per return period: ``source`` ``flood``, ``loss`` ``T<years>``,
  ``kind`` ``design_storm``, ``frequency_per_year`` the annual exceedance
  probability ``1/T``, ``persons_exposed_per_year`` the storm's part ``w_k
  E_k`` of the expected annual persons exposed and ``share_of_total`` its
  share of that total;
- a fire row per building class: ``source`` ``fire``, ``loss`` the class,
  ``kind`` ``ignition``, ``frequency_per_year`` the class's ignitions per year
  in the city, ``buildings_lost_per_year`` its expected loss and
  ``share_of_total`` its share of the fire total.

The chemical columns that do not apply (``released_kg``, the lethal
distances, PLL) are 0 in these rows, and the two new columns are 0 in the
chemical rows: every column stays numeric.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from citysim.errors import Problem, ScenarioError
from citysim.experiments.risk_spec import RiskExperiment
from citysim.risk.fire import FireResult, assess_fire
from citysim.risk.flood import FloodResult, assess_flood
from citysim.scenario import Override

__all__ = ["HAZARD_COLUMNS", "HazardResult", "assess_hazards", "check_city", "inventory_rows",
           "variant_hazards", "with_hazard_rows"]

HAZARD_COLUMNS = ("persons_exposed_per_year", "buildings_lost_per_year")
"""Columns of ``risk_inventory.csv`` for the flood and fire rows (0 in chemical rows)."""


@dataclass
class HazardResult:
    """The flood and fire assessments of a risk file (``None``: no such section)."""

    flood: FloodResult | None = None
    fire: FireResult | None = None

    @property
    def summary(self) -> dict[str, Any]:
        """The headline numbers of both, for ``risk_summary.json``."""
        out: dict[str, Any] = {}
        for part in (self.flood, self.fire):
            if part is not None:
                out.update(part.summary)
        return out


def check_city(exp: RiskExperiment, world: Any) -> None:
    """Refuse a ``flood:`` without the base city's terrain, a ``fire:`` without its buildings.

    Raises
    ------
    ScenarioError
        Every such problem, at ``flood`` / ``fire``.
    """
    problems = []
    if exp.flood is not None and world.terrain is None:
        problems.append(Problem("flood", "missing: a flood needs the base scenario's "
                                         "city.terrain"))
    if exp.fire is not None and world.buildings is None:
        problems.append(Problem("fire", "missing: fire risk needs the base scenario's "
                                        "city.buildings"))
    if problems:
        raise ScenarioError(problems, source=exp.source_file)


def assess_hazards(exp: RiskExperiment, world: Any, seed: int, runs_dir: Path, *,
                   client: Any = None) -> HazardResult:
    """Run the ``flood:`` and ``fire:`` sections of ``exp`` over the built base city.

    The fire runs are made on ``client`` (a Dask client, or ``None``: here).
    """
    check_city(exp, world)
    flood = assess_flood(exp.flood, world, seed) if exp.flood is not None else None
    fire = (assess_fire(exp.fire, Path(exp.base), world, seed, runs_dir, client=client)
            if exp.fire is not None else None)
    return HazardResult(flood=flood, fire=fire)


def variant_hazards(base: HazardResult, exp: RiskExperiment, world: Any, seed: int,
                    runs_dir: Path, overrides: tuple[Override, ...], *,
                    client: Any = None) -> HazardResult:
    """The flood and fire of a what-if variant (``overrides``: its added shelters and stations).

    - **Flood**: shared with the base. The static flood counts residents at
      home in water; neither the water (terrain, rain, drainage) nor the
      homes depend on shelters or stations, and a variant does not change the
      ``flood:`` section.
    - **Fire**: the same as the base's when the variant adds no shelter or
      station (its sources do not burn buildings); otherwise the base's
      sampled ignitions are simulated again on the variant's scenario
      (:func:`citysim.risk.fire.assess_fire` with ``sample=``): engines from a
      new station change the loss. It costs one run per sampled ignition,
      controlled by ``fire.samples``.
    """
    if base.fire is None or not overrides or exp.fire is None:
        return base
    fire = assess_fire(exp.fire, Path(exp.base), world, seed, runs_dir, client=client,
                       overrides=overrides, sample=base.fire)
    return HazardResult(flood=base.flood, fire=fire)


def inventory_rows(hazards: HazardResult) -> pd.DataFrame:
    """The flood and fire rows of ``risk_inventory.csv`` (module doc)."""
    rows: list[dict[str, Any]] = []
    if hazards.flood is not None:
        storms = hazards.flood.storms
        total = float(storms["persons_exposed_per_year"].sum())
        for s in storms.itertuples():
            rows.append({"source": "flood", "name": f"design storm, T = {s.return_period_years:g} "
                                                    f"years ({s.source})",
                         "loss": f"T{s.return_period_years:g}", "kind": "design_storm",
                         "frequency_per_year": s.exceedance_probability_per_year,
                         "share_of_total": s.persons_exposed_per_year / total if total else 0.0,
                         "persons_exposed_per_year": s.persons_exposed_per_year})
    if hazards.fire is not None:
        strata = hazards.fire.strata
        by = strata.groupby("structure", sort=False)[
            ["ignitions_per_year", "expected_buildings_lost_per_year"]].sum()
        total = float(by["expected_buildings_lost_per_year"].sum())
        for structure, row in by.iterrows():
            lost = float(row["expected_buildings_lost_per_year"])
            rows.append({"source": "fire", "name": f"building fires ({structure})",
                         "loss": str(structure), "kind": "ignition",
                         "frequency_per_year": float(row["ignitions_per_year"]),
                         "share_of_total": lost / total if total else 0.0,
                         "buildings_lost_per_year": lost})
    return pd.DataFrame(rows)


def with_hazard_rows(inventory: pd.DataFrame, hazards: HazardResult) -> pd.DataFrame:
    """The chemical inventory with the flood and fire rows after it (module doc)."""
    rows = inventory_rows(hazards)
    if rows.empty:
        return inventory
    table = pd.concat([inventory.assign(**{c: 0.0 for c in HAZARD_COLUMNS}), rows],
                      ignore_index=True)
    numeric = [c for c in table.columns if c not in ("source", "name", "substance", "loss",
                                                     "kind", "places_breaking_criterion")]
    text = [c for c in table.columns if c not in numeric]
    return table.fillna({**{c: 0.0 for c in numeric}, **{c: "" for c in text}})
