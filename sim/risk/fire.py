"""Fire risk: ignitions through the fire model with responders, buildings lost per year by district.

The ``fire:`` section of a risk file
(:class:`citysim.experiments.risk_hazards_spec.FireRisk`); MODELS.md, "City
safety risk (QRA)": urban fire risk from ignition frequencies per building
and year.

- **Districts.** A building's district is the first-due district of the
  fire station whose first engine reaches the building's nearest road node
  first (turnout plus driving time, :func:`citysim.analysis.coverage.station_coverage`,
  as ``citysim coverage`` draws them): the unit that answers a fire there
  and the one a planner can strengthen. Synthetic and file cities carry no
  district polygons, so this is the only district citysim knows; buildings
  that no engine reaches are in district ``-``.
- **Ignition frequency** of building ``b`` of class ``c``: ``lambda_b`` =
  the class's ``per_building_per_year``, or ``per_m2_per_year`` times its
  footprint (m²).
- **Sampling.** In every district ``d`` and class ``c`` with ``F_dc = sum_b
  lambda_b > 0``, ``samples`` buildings are drawn without replacement
  (uniformly; a stream per district and class, seeded by the base scenario's
  seed, so the draw does not depend on the frequencies). Each becomes a full
  citysim run of the base scenario with one ``type: fire`` hazard igniting it
  at time 0 (the section's ``hazard`` keys for the rest; ``duration`` of
  simulated time, one replication): the fire spreads, closes roads and
  warns residents, and the stations' engines are dispatched and fight it,
  as in any run. The run's ``fire_buildings_burned`` (buildings that caught
  fire, put out or not) is the event's loss ``L``.
- **Expected buildings lost per year** of district ``d``: ``sum_c F_dc
  Lhat_dc``, with ``Lhat_dc = sum_s lambda_s L_s / sum_s lambda_s`` over
  the sampled ignitions (the plain mean when the rate is per building). The
  loss is booked to the district where the fire starts. Its sampling error
  is ``sqrt(sum_c (F_dc s_dc)^2 / k_dc)`` with ``s_dc`` the standard deviation
  of the ``k_dc`` sampled losses (NaN with one ignition per stratum;
  unweighted, so approximate for per-m² rates). It is linear in the
  frequencies: scaling every rate by ``k`` scales it by ``k`` exactly (a
  test checks it).

The runs are result folders ``<out>/runs/<run_id>/`` made as a batch's
(:class:`citysim.experiments.runs.RunPool`), here or on Dask, and resumable.

**What-ifs.** A variant that adds stations or shelters runs the same
ignitions again on its own scenario (``sample=`` the base's result): the
same buildings, weights and districts (the base's first-due districts), so
the change of the expected loss is the response's alone (common random
numbers), not a new sample's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citysim.analysis.coverage import station_coverage
from citysim.errors import ScenarioError
from citysim.experiments.risk_hazards_spec import FireRisk
from citysim.experiments.runs import RunPool, RunSpec
from citysim.risk.runs import hazard_runs
from citysim.rng import world_streams
from citysim.scenario import Override
from citysim.world.buildings import STRUCTURES

__all__ = ["FireResult", "assess_fire", "building_districts", "ignition_rates",
           "sample_ignitions"]

UNREACHED = "-"
"""District of the buildings no engine reaches."""
STANDARD_S = 300.0
"""Response standard handed to the coverage (s); only the districts are used here."""
STRATA_COLUMNS = ["district", "name", "structure", "buildings", "ignitions_per_year"]
"""The columns of a stratum as sampled (:func:`sample_ignitions`)."""
DRAWN_COLUMNS = ["district", "structure", "building_id", "x", "y", "ignitions_per_year"]
"""The columns of a sampled ignition (:func:`sample_ignitions`, less the building index)."""


def building_districts(world: Any) -> tuple[np.ndarray, list[str], list[str]]:
    """Each building's first-due district (module doc).

    Returns
    -------
    district : numpy.ndarray
        Index into the returned ids (the last, :data:`UNREACHED`, for buildings
        no engine reaches).
    ids, names : list of str
        The districts' station ids and names, then ``-``.
    """
    coverage = station_coverage(world, standard_s=STANDARD_S)
    node, _ = world.network.nearest_node(world.buildings.x_m, world.buildings.y_m)
    station = coverage.station[node]
    st = world.stations
    ids = [str(i) for i in st.id] + [UNREACHED]
    names = [str(n) for n in st.name] + [UNREACHED]
    return np.where(station >= 0, station, len(ids) - 1).astype(np.int64), ids, names


def ignition_rates(fire: FireRisk, buildings: Any) -> np.ndarray:
    """``lambda_b``: each building's ignitions per year (0 for a class without a rate)."""
    rate = np.zeros(len(buildings))
    for r in fire.ignitions:
        mine = buildings.structure == STRUCTURES.index(r.structure)
        rate[mine] = (r.per_building_per_year if r.per_building_per_year is not None
                      else float(r.per_m2_per_year or 0.0) * buildings.footprint_m2[mine])
    return rate


def sample_ignitions(fire: FireRisk, world: Any,
                     seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The strata (district x class) and the buildings drawn in each (module doc).

    Returns
    -------
    strata
        ``district, name, structure, buildings, ignitions_per_year`` (``F_dc``)
        for every stratum with ``F_dc > 0``.
    drawn
        ``district, structure, building`` (index), ``building_id, x, y,
        ignitions_per_year`` (``lambda_b``) of each sampled ignition.
    district_of_building
        Each building's district id.
    """
    b = world.buildings
    district, ids, names = building_districts(world)
    rate = ignition_rates(fire, b)
    streams = world_streams(seed)
    strata, drawn = [], []
    for d, did in enumerate(ids):
        for structure in (r.structure for r in fire.ignitions):
            members = np.flatnonzero((district == d) & (b.structure == STRUCTURES.index(
                structure)))
            total = float(rate[members].sum())
            if total <= 0:
                continue
            strata.append({"district": did, "name": names[d], "structure": structure,
                           "buildings": int(members.size), "ignitions_per_year": total})
            rng = streams.generator(f"risk.fire.{did}.{structure}")
            for k in np.sort(rng.choice(members, size=min(fire.samples, members.size),
                                        replace=False)):
                drawn.append({"district": did, "structure": structure, "building": int(k),
                              "building_id": b.id[k], "x": float(b.x_m[k]),
                              "y": float(b.y_m[k]), "ignitions_per_year": float(rate[k])})
    drawn_columns = [*DRAWN_COLUMNS[:2], "building", *DRAWN_COLUMNS[2:]]
    return pd.DataFrame(strata, columns=STRATA_COLUMNS), pd.DataFrame(
        drawn, columns=drawn_columns), np.asarray(ids, dtype=object)[district]


def _specs(fire: FireRisk, base: Path, drawn: pd.DataFrame,
           overrides: tuple[Override, ...]) -> list[RunSpec]:
    blocks = [{"type": "fire", **fire.hazard,
               "ignitions": [{"location": {"x": row.x, "y": row.y}, "at": 0.0}]}
              for row in drawn.itertuples()]
    return [spec for runs in hazard_runs(base, blocks, fire.duration, overrides=overrides)
            for spec in runs]


@dataclass
class FireResult:
    """What :func:`assess_fire` computes.

    Attributes
    ----------
    districts
        One row per district with buildings at risk, largest expected loss
        first: ``district, name, buildings, ignitions_per_year,
        ignitions_simulated, buildings_lost_per_ignition,
        expected_buildings_lost_per_year, share_of_total, standard_error_per_year``.
    strata
        The same by district and class (``structure``).
    ignitions
        Each simulated ignition: ``district, structure, building_id, x, y,
        ignitions_per_year, buildings_lost, run_id``.
    district_of_building
        District id of each building (for the map).
    summary
        ``fire_expected_buildings_lost_per_year`` and the other headline numbers.
    """

    districts: pd.DataFrame
    strata: pd.DataFrame
    ignitions: pd.DataFrame
    district_of_building: np.ndarray
    summary: dict[str, Any] = field(default_factory=dict)


def assess_fire(fire: FireRisk, base: Path, world: Any, seed: int, runs_dir: Path, *,
                client: Any = None, overrides: tuple[Override, ...] = (),
                sample: FireResult | None = None) -> FireResult:
    """Simulate the sampled ignitions and estimate the expected loss by district (module doc).

    Parameters
    ----------
    fire
        The risk file's ``fire:`` section.
    base
        The base scenario file.
    world
        The built base city (with buildings).
    seed
        The base scenario's seed (the sample's streams).
    runs_dir
        Folder of the run folders (resumable).
    client
        A Dask client to make the runs on (:func:`citysim.experiments.cluster.open_client`);
        ``None``: this process.
    overrides
        Scenario overrides of every run, before the fire's (a what-if
        variant's added stations and shelters).
    sample
        An earlier result whose districts and ignitions are simulated again
        (a variant's fire runs take the base's: the same buildings ignite, in
        the base's first-due districts, so that the change against the base is
        the response's alone, not a new sample's); ``None``: draw them here.

    Raises
    ------
    ScenarioError
        The base city has no buildings (``city.buildings``).
    RuntimeError
        A run failed (its folder keeps ``error.json``; run again to retry).
    """
    if world.buildings is None:
        raise ScenarioError("missing: fire risk needs the base scenario's city.buildings",
                            path="fire")
    if sample is None:
        strata, drawn, of_building = sample_ignitions(fire, world, seed)
    else:
        strata, drawn = sample.strata[STRATA_COLUMNS].copy(), sample.ignitions[DRAWN_COLUMNS]
        of_building = sample.district_of_building
    specs = _specs(fire, base, drawn, overrides)
    records = RunPool(Path(runs_dir), client=client).run(specs, desc="fire runs")
    failed = [r for r in records.values() if r["status"] != "ok"]
    if failed:
        raise RuntimeError(f"{len(failed)} fire run(s) failed, e.g. {failed[0]['run_id']}: "
                           f"{failed[0]['error']}")
    drawn = drawn.assign(
        buildings_lost=[float(records[s.run_id]["summary"].get("fire_buildings_burned") or 0.0)
                        for s in specs],
        run_id=[s.run_id for s in specs])
    weighted = drawn.assign(wl=drawn["ignitions_per_year"] * drawn["buildings_lost"])
    by = weighted.groupby(["district", "structure"], sort=False).agg(
        ignitions_simulated=("building_id", "size"), wl=("wl", "sum"),
        w=("ignitions_per_year", "sum"), sd=("buildings_lost", "std"))
    keys = list(zip(strata["district"], strata["structure"], strict=True))
    per_ignition = [float(by.loc[k, "wl"] / by.loc[k, "w"]) if by.loc[k, "w"] > 0 else 0.0
                    for k in keys]
    strata["ignitions_simulated"] = [int(by.loc[k, "ignitions_simulated"]) for k in keys]
    strata["buildings_lost_per_ignition"] = per_ignition
    strata["expected_buildings_lost_per_year"] = strata["ignitions_per_year"] * np.asarray(
        per_ignition)
    # sampling error: F_dc sd(L) / sqrt(k), NaN with one ignition (unweighted sd: approximate
    # for per-m² rates)
    strata["standard_error_per_year"] = [
        float(f * by.loc[k, "sd"] / np.sqrt(by.loc[k, "ignitions_simulated"]))
        for f, k in zip(strata["ignitions_per_year"], keys, strict=True)]
    total = float(strata["expected_buildings_lost_per_year"].sum())
    districts = (strata.groupby(["district", "name"], sort=False)
                 .agg(buildings=("buildings", "sum"),
                      ignitions_per_year=("ignitions_per_year", "sum"),
                      ignitions_simulated=("ignitions_simulated", "sum"),
                      expected_buildings_lost_per_year=("expected_buildings_lost_per_year",
                                                        "sum"),
                      standard_error_per_year=("standard_error_per_year",
                                               lambda se: float(np.sqrt((se ** 2).sum(
                                                   min_count=1)))))
                 .reset_index())
    districts.insert(5, "buildings_lost_per_ignition",
                     districts["expected_buildings_lost_per_year"]
                     / districts["ignitions_per_year"])
    districts.insert(7, "share_of_total", districts["expected_buildings_lost_per_year"] / total
                     if total > 0 else 0.0)
    districts = districts.sort_values("expected_buildings_lost_per_year", ascending=False,
                                      kind="stable").reset_index(drop=True)
    summary = {
        "fire_expected_buildings_lost_per_year": total,
        "fire_ignitions_per_year": float(strata["ignitions_per_year"].sum()),
        "fire_ignitions_simulated": len(drawn),
        "fire_worst_district": str(districts["district"].iloc[0]) if len(districts) else "",
    }
    return FireResult(districts=districts, strata=strata,
                      ignitions=drawn[[*DRAWN_COLUMNS, "buildings_lost", "run_id"]],
                      district_of_building=of_building,
                      summary=summary)
