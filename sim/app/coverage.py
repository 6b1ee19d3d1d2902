"""``citysim coverage``: station coverage of a scenario, at a time of its run, written out.

The algorithm is :func:`citysim.analysis.coverage.station_coverage`; here the
world is built, the model is stepped to ``--at`` for the network the hazards
leave, and ``coverage.json``, ``coverage_nodes.parquet`` and
``plots/coverage_map.png`` are written.

With ``hydrants:`` the hydrant coverage along the streets is added
(:func:`citysim.analysis.hydrants.hydrant_coverage`): ``coverage.json`` gains
``hydrant_street_fraction`` and ``hydrant_building_fraction``, and
``hydrant_gaps.csv``, ``hydrant_spacing.csv``, ``plots/hydrant_map.png`` and
(in a city with a geographic frame) ``gis/hydrant_gaps.geojson`` are written.
Under ``--at`` a hydrant is unusable when it stands on a street closed then
(flooded road, fire collapse zone, a closure) or in water deeper than
:data:`HYDRANT_HEIGHT_M`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citysim.analysis.compliance import compliance_sources, station_compliance
from citysim.analysis.coverage import Coverage, coverage_nodes, coverage_report, station_coverage
from citysim.analysis.hydrants import HydrantCoverage, hydrant_coverage
from citysim.io.atomic import replace_folder, write_json, write_parquet
from citysim.io.provenance import provenance
from citysim.model import CityModel
from citysim.rng import world_streams
from citysim.scenario import Scenario
from citysim.world.builder import World, build_world

__all__ = ["HYDRANT_HEIGHT_M", "CoverageRun", "hydrants_usable_at", "model_at", "network_at",
           "run_coverage", "write_coverage"]

HYDRANT_HEIGHT_M = 0.5
"""Height of the outlet of an above-ground hydrant (m): deeper water puts it out
of use.  An assumption (a pillar hydrant's outlet stands about 0.4-0.7 m above
the kerb); no standard value was found."""


def model_at(scenario: Scenario, world: World, at_s: float) -> CityModel:
    """The scenario's model (first replication) stepped until its clock reaches ``at_s``."""
    at = float(at_s)
    duration = float(scenario.run.duration)
    if not 0.0 <= at <= duration:
        raise ValueError(f"the time must lie within the run, 0..{duration:g} s; got {at_s!r}")
    model = CityModel.from_scenario(scenario, replication=0, world=world)
    while model.t_s < at - 1e-9 and model.running:
        model.step()
    return model


def hydrants_usable_at(model: CityModel) -> np.ndarray:
    """Hydrants of the model's world usable now: in service, street open, water shallow.

    Parameters
    ----------
    model
        A model stepped to the time of interest.

    Returns
    -------
    numpy.ndarray
        Boolean, one per hydrant.
    """
    h = model.world.hydrants
    assert h is not None, "only asked of a world with hydrants"
    closed = np.asarray(model.edge_closed, dtype=bool) | ~(
        np.asarray(model.edge_speed_factor, dtype=np.float64) > 0)
    ok = h.in_service & ~closed[h.edge]
    for hazard in model.hazards:
        depth = hazard.sample(h.x_m, h.y_m).get("depth_m")
        if depth is not None:
            ok &= ~(np.asarray(depth) > HYDRANT_HEIGHT_M)
    return ok


def network_at(
    scenario: Scenario, world: World, at_s: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Closures and speed factors of the road network at a time of the run.

    Builds the scenario's :class:`~citysim.model.CityModel` (first replication's
    seed) and steps it until its clock reaches ``at_s``; the hazards then
    have acted on the network as they do in ``citysim run``.  At ``at_s = 0``
    no step is taken (no hazard has acted yet).  With no hazards the network
    stays as on a normal day.

    Parameters
    ----------
    scenario
        The loaded scenario.
    world
        Its built world.
    at_s
        Time since the start of the run (s), within ``[0, run.duration]``.

    Returns
    -------
    closed : numpy.ndarray
        Closed edges, shape (m,).
    speed_factor : numpy.ndarray
        Speed factor of every edge, shape (m,).
    t_s : float
        The model time reached (the first step end at or after ``at_s``).

    Raises
    ------
    ValueError
        When ``at_s`` is negative or after the end of the run.
    """
    model = model_at(scenario, world, at_s)
    return (np.array(model.edge_closed, dtype=bool),
            np.array(model.edge_speed_factor, dtype=np.float64), float(model.t_s))


@dataclass(frozen=True, eq=False)
class CoverageRun:
    """What ``citysim coverage`` computed for a scenario.

    Attributes
    ----------
    world
        The built world.
    coverage
        The coverage.
    at_s
        Time of the run whose network was used (s), ``None`` for the normal
        network.
    report
        ``coverage.json`` content.
    hydrants
        Hydrant coverage, ``None`` when the scenario has no ``hydrants:``.
    compliance
        ``stations_compliance.csv``: each station against 建标152-2017
        (:func:`citysim.analysis.compliance.station_compliance`).
    """

    world: World
    coverage: Coverage
    at_s: float | None
    report: dict[str, Any]
    hydrants: HydrantCoverage | None = None
    compliance: pd.DataFrame | None = None

    def nodes_frame(self) -> pd.DataFrame:
        """Per node: ``node`` (id), ``node_index``, ``x, y``, ``population``, ``time_s``, ..."""
        return coverage_nodes(self.world, self.coverage)


def run_coverage(
    scenario: Scenario,
    *,
    standard_s: float | None = None,
    unit: str = "engine",
    at_s: float | None = None,
    out_dir: Path | None = None,
) -> CoverageRun:
    """Coverage of a scenario's stations, optionally at a time of the run and written out.

    Parameters
    ----------
    scenario
        A loaded scenario.
    standard_s
        The standard (s); default the scenario's ``response.standard``.
    unit
        Unit type (``UNIT_TYPES``), default ``"engine"``.
    at_s
        Use the network as the hazards leave it at this time of the run
        (:func:`network_at`); ``None``: the normal network.
    out_dir
        Write ``coverage.json``, ``coverage_nodes.parquet``,
        ``stations_compliance.csv``, the maps and the hydrant files there
        (:func:`write_coverage`); ``None`` writes nothing.

    Returns
    -------
    CoverageRun
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    standard = float(scenario.response.standard if standard_s is None else standard_s)
    world = build_world(scenario, world_streams(int(scenario.run.seed)))
    at = None if at_s is None else float(at_s)
    closed = factor = usable = None
    if at_s is not None:
        model = model_at(scenario, world, at_s)
        closed = np.array(model.edge_closed, dtype=bool)
        factor = np.array(model.edge_speed_factor, dtype=np.float64)
        if world.hydrants is not None:
            usable = hydrants_usable_at(model)
    cov = station_coverage(world, standard_s=standard, closed=closed, speed_factor=factor,
                           unit=unit)
    hyd = None
    if world.hydrants is not None:
        b = world.buildings
        hyd = hydrant_coverage(world.network, world.hydrants,
                               None if b is None else (b.x_m, b.y_m), usable=usable)
    prov = provenance(scenario, started=started, wall_time_s=time.perf_counter() - t0,
                      world=world.describe())
    report = coverage_report(cov, at_s=at, provenance=prov)
    if hyd is not None:
        report = _with_hydrants(report, hyd)
    minimum = scenario.response.min_fire_vehicles.model_dump()
    compliance = station_compliance(world.stations, cov, hyd, world.network,
                                    min_vehicles=minimum)
    report = _with_sources(report, compliance_sources(standard, minimum))
    run = CoverageRun(world=world, coverage=cov, at_s=at, report=report, hydrants=hyd,
                      compliance=compliance)
    if out_dir is not None:
        replace_folder(Path(out_dir), lambda folder: write_coverage(run, folder))
    return run


def _with_sources(report: dict[str, Any], sources: dict[str, Any]) -> dict[str, Any]:
    """``coverage.json`` with ``compliance_sources`` before the per-station rows."""
    out = {k: v for k, v in report.items() if k not in ("stations", "provenance")}
    out["compliance_sources"] = sources
    out["stations"] = report["stations"]
    out["provenance"] = report["provenance"]
    return out


def _with_hydrants(report: dict[str, Any], hyd: HydrantCoverage) -> dict[str, Any]:
    """``coverage.json`` with the hydrant keys after the headline ones."""
    def finite(v: float) -> float | None:
        return None if v != v else float(v)

    keys = {
        "hydrant_street_fraction": finite(hyd.street_fraction),
        "hydrant_building_fraction": finite(hyd.building_fraction),
        "hydrant_radius_m": hyd.radius_m,
        "hydrant_spacing_m": hyd.spacing_m,
        "hydrants_total": int(hyd.usable.size),
        "hydrants_usable": int(hyd.usable.sum()),
        "hydrant_street_km_uncovered": float((hyd.street_length_m.sum()
                                              - hyd.street_covered_m.sum()) / 1000.0),
        "hydrant_buildings_uncovered": int((~hyd.building_covered).sum()),
        "hydrant_spacing_violations": len(hyd.spacing),
    }
    out = {k: v for k, v in report.items() if k not in ("stations", "provenance", "definitions")}
    out.update(keys)
    definitions = dict(report["definitions"])
    definitions.update({
        "hydrant_street_fraction": "street length within hydrant_radius_m of a usable hydrant "
                                   "along the streets (hose laid on the streets) / all "
                                   "drivable street length (each street once)",
        "hydrant_building_fraction": "buildings whose nearest street point is within "
                                     "hydrant_radius_m of a usable hydrant along the streets "
                                     "/ all buildings",
        "hydrant_spacing_violations": "gaps between consecutive hydrants along a street "
                                      "longer than hydrant_spacing_m",
    })
    out["definitions"] = definitions
    out["stations"] = report["stations"]
    out["provenance"] = report["provenance"]
    return out


def write_coverage(run: CoverageRun, out_dir: Path) -> list[Path]:
    """Write ``coverage.json``, ``coverage_nodes.parquet`` and ``plots/coverage_map.png``.

    Each file is written atomically.

    Parameters
    ----------
    run
        What :func:`run_coverage` computed.
    out_dir
        Destination folder (created if needed).

    Returns
    -------
    list of Path
        The files written.
    """
    from citysim.plots import save_figure
    from citysim.plots.coverage import plot_coverage_map

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [
        write_parquet(out_dir / "coverage_nodes.parquet", run.nodes_frame()),
        save_figure(plot_coverage_map(run.world, run.coverage, at_s=run.at_s),
                    out_dir / "plots" / "coverage_map.png"),
    ]
    if run.hydrants is not None:
        written += _write_hydrants(run, run.hydrants, out_dir)
    if run.compliance is not None:
        written += _write_compliance(run, run.compliance, out_dir)
    written.append(write_json(out_dir / "coverage.json", run.report))
    return written


def _write_compliance(run: CoverageRun, table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """``stations_compliance.csv`` and ``plots/stations_compliance.png`` (no map: no station)."""
    from citysim.io.atomic import write_atomic
    from citysim.plots import save_figure
    from citysim.plots.hydrants import plot_compliance_map

    written = [write_atomic(out_dir / "stations_compliance.csv",
                            lambda p: table.to_csv(p, index=False))]
    if len(table):
        written.append(save_figure(plot_compliance_map(run.world, run.coverage, table),
                                   out_dir / "plots" / "stations_compliance.png"))
    return written


def _write_hydrants(run: CoverageRun, hyd: HydrantCoverage, out_dir: Path) -> list[Path]:
    """``hydrant_gaps.csv``, ``hydrant_spacing.csv``, the map and the GeoJSON layer."""
    from citysim.io.atomic import write_atomic
    from citysim.plots import save_figure
    from citysim.plots.hydrants import plot_hydrant_map

    written = [
        write_atomic(out_dir / "hydrant_gaps.csv", lambda p: hyd.gaps.to_csv(p, index=False)),
        write_atomic(out_dir / "hydrant_spacing.csv",
                     lambda p: hyd.spacing.to_csv(p, index=False)),
        save_figure(plot_hydrant_map(run.world, hyd, at_s=run.at_s),
                    out_dir / "plots" / "hydrant_map.png"),
    ]
    if run.world.crs is not None:
        from citysim.io.hydrant_layers import hydrant_gaps_collection

        written.append(write_json(out_dir / "gis" / "hydrant_gaps.geojson",
                                  hydrant_gaps_collection(run.world, hyd)))
    return written
