"""``citysim risk RISK.yaml``: the city's risk from an inventory of hazard sources.

Loads the ``kind: risk`` file (:mod:`citysim.experiments.risk_spec`), builds
the base city, runs the static QRA (:func:`citysim.risk.assess`) and writes
the result folder (``out``, default ``results/<file name>``):

- ``individual_risk.tif`` (GeoTIFF, per year, float32, north up) and
  ``individual_risk.png`` (contours 1e-8 ... 1e-4, sources, places);
- ``fn_curve.csv`` (``n, frequency_per_year, mode``: static, and dynamic
  in ``mode: dynamic``/``both``, :mod:`citysim.risk.dynamic`) and
  ``fn_curve.png`` (against the Netherlands guide ``F = 1e-3/N²``);
- ``receptors.csv`` (``receptor, x, y, individual_risk_per_year``);
- ``risk_inventory.csv`` (one row per source and loss of containment);
- ``places.csv`` (places against their criterion), ``events.csv`` (every
  event: frequency and deaths) and ``risk_summary.json``;
- ``gis/`` when the city has a geographic frame: contours, sources and
  places as GeoJSON (:mod:`citysim.io.risk_layers`);
- with ``flood:`` (:mod:`citysim.risk.flood`): ``flood_storms.csv``,
  ``flood_hyetographs.csv`` and, per return period ``T``,
  ``flood/max_depth_T<T>.tif/png``, ``flood/waterlogging_T<T>.csv`` and
  ``gis/waterlogging_T<T>.geojson``; with ``fire:`` (:mod:`citysim.risk.fire`):
  ``fire_by_district.csv/png``, ``fire_strata.csv``, ``fire_ignitions.csv``;
  both add rows to ``risk_inventory.csv`` (:mod:`citysim.risk.hazards`).
- ``static/``: the static QRA's finished parts, one per source
  (:mod:`citysim.risk.static`), and ``runs/``: dynamic mode's runs, both
  found again by a later attempt;
- with ``variants:``, ``variants/<id>/`` the same files for each what-if
  (:mod:`citysim.risk.variants`; their flood is the base's, written once in
  the base's folder, not in ``variants/<id>/``; their fire is simulated
  again when they add stations or shelters:
  :func:`citysim.risk.hazards.variant_hazards`), ``variants.csv`` (the base
  and each variant, and their change) and ``variants_individual_risk.png``,
  ``variants_fn_curve.png`` (before and after).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from citysim.errors import Problem, ScenarioError
from citysim.experiments.cluster import open_client
from citysim.experiments.risk_spec import RiskExperiment, RiskVariant
from citysim.experiments.runs import world_of
from citysim.experiments.spec import load_experiment
from citysim.io.atomic import write_atomic, write_json
from citysim.io.geotiff import write_geotiff
from citysim.io.risk_hazard_layers import write_waterlogging_layers
from citysim.io.risk_layers import write_risk_layers
from citysim.plots.risk import plot_fn_curve, plot_individual_risk
from citysim.plots.risk_hazards import plot_fire_districts, plot_flood_depth
from citysim.plots.risk_variants import plot_variant_fn_curves, plot_variant_maps
from citysim.risk import RiskResult, assess
from citysim.risk.dynamic import add_dynamic
from citysim.risk.hazards import (
    HazardResult,
    assess_hazards,
    check_city,
    variant_hazards,
    with_hazard_rows,
)
from citysim.risk.qra import IR_CONTOURS, NL_SOCIETAL, locate
from citysim.risk.static import PARTS_DIR
from citysim.risk.variants import compare, variant_world
from citysim.scenario import Override, Scenario, load_scenario
from citysim.world.builder import World

__all__ = ["VARIANTS_DIR", "RiskOutcome", "check", "is_risk_file", "load", "run_risk",
           "without_sites"]

PathLike = str | os.PathLike[str]
VARIANTS_DIR = "variants"
"""Sub-folder of the result folder with one result folder per what-if variant."""


@dataclass(frozen=True)
class RiskOutcome:
    """The result of :func:`run_risk`: the numbers, the folder, each variant's numbers by id."""

    result: RiskResult
    out_dir: Path
    hazards: HazardResult = field(default_factory=HazardResult)
    variants: dict[str, RiskResult] = field(default_factory=dict)
    variant_hazards: dict[str, HazardResult] = field(default_factory=dict)


def load(experiment: RiskExperiment | PathLike) -> RiskExperiment:
    """The risk file (loaded if need be), checked to be ``kind: risk``.

    Raises
    ------
    ScenarioError
        Bad input, or another kind.
    """
    loaded = experiment if isinstance(experiment, RiskExperiment) else load_experiment(experiment)
    if not isinstance(loaded, RiskExperiment):
        raise ScenarioError([Problem("kind", f"citysim risk needs kind: risk, got "
                                             f"{loaded.kind}")], source=loaded.source_file)
    return loaded


def is_risk_file(path: PathLike) -> bool:
    """Whether ``path`` is a YAML mapping with ``kind: risk`` (else: a scenario, or bad input)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and data.get("kind") == "risk"


def check(experiment: RiskExperiment | PathLike) -> RiskExperiment:
    """Load the risk file, build its base city and place every source, receptor and place.

    Raises
    ------
    ScenarioError
        Every problem found (the file's, the base scenario's, a location off the map).
    """
    exp = load(experiment)
    scenario, world = _city(exp)
    locate(exp, world)
    check_city(exp, world)
    for i, v in enumerate(exp.variants):
        locate(exp.variant(v), variant_world(exp, scenario, i, world)[1])
    return exp


def _city(exp: RiskExperiment) -> tuple[Scenario, World]:
    scenario = load_scenario(exp.base)
    return scenario, world_of(scenario)  # shared with the runs made in this process


def without_sites(exp: RiskExperiment, sites: Sequence[str]) -> RiskExperiment:
    """``exp`` without the sources ``sites`` (ids), for a what-if: the variant that removes them.

    The file's own ``variants`` are left out.

    Raises
    ------
    ScenarioError
        An id that is not a source of the file (at ``--without``).
    """
    known = [s.id for s in exp.sources]
    unknown = [s for s in sites if s not in known]
    if unknown:
        raise ScenarioError([Problem("--without", f"no source {u!r} in the file (sources: "
                                                  f"{', '.join(known)})") for u in unknown])
    return exp.variant(RiskVariant(id="without", remove=list(sites)))


def run_risk(experiment: RiskExperiment | PathLike, *, out: PathLike | None = None,
             workers: int | None = None, scheduler: str | None = None,
             without: Sequence[str] = ()) -> RiskOutcome:
    """Assess the city's risk and write the result folder (module docstring).

    Parameters
    ----------
    experiment
        A ``kind: risk`` file, or the loaded file.
    out
        Result folder (default: the file's ``out``, else ``results/<file name>``).
    workers, scheduler
        Where the static QRA's parts (one per source, :mod:`citysim.risk.static`)
        and dynamic mode's runs are made: ``--workers N`` a local Dask cluster
        of N processes, ``--scheduler`` a running one; default this process.
        Finished parts (``<out>/static/``) and runs (``<out>/runs/``) are
        found again, not remade: a killed assessment started again makes only
        the rest.
    without
        Source ids left out (a what-if: the plants relocated); the default
        folder is then ``<out>-without-<ids>``, and the file's variants are
        not run.
    """
    exp = load(experiment)
    if without:
        exp = without_sites(exp, without)
    if workers is not None and workers < 0:
        raise ScenarioError([Problem("--workers", f"expected 0 or more, got {workers}")])
    scenario, world = _city(exp)
    name = exp.source_file.stem if exp.source_file is not None else "risk"
    folder = Path(out) if out is not None else (exp.out or Path("results") / name)
    if without and out is None:
        folder = folder.with_name(f"{folder.name}-without-{'-'.join(without)}")
    folder.mkdir(parents=True, exist_ok=True)
    made = [variant_world(exp, scenario, i, world) for i in range(len(exp.variants))]
    variants = [(v, exp.variant(v), ov) for v, (ov, _) in zip(exp.variants, made, strict=True)]
    worlds = [w for _, w in made]
    # one map for all: the city and the sources of the base and every variant
    every = np.concatenate([locate(exp, world)[0]] + [locate(vexp, w)[0] for (_, vexp, _), w
                                                      in zip(variants, worlds, strict=True)])
    extent = (*every.min(axis=0), *every.max(axis=0)) if len(every) else None
    seed, runs = int(scenario.run.seed), folder / "runs"
    with open_client(0 if workers is None else workers, scheduler) as client:
        result = _assess(exp, world, folder, client, extent)
        result.summary["without"] = list(without)
        hazards = assess_hazards(exp, world, seed, runs, client=client)
        result.summary.update(hazards.summary)
        done = []
        for (v, vexp, ov), w in zip(variants, worlds, strict=True):
            vres = _assess(vexp, w, folder, client, extent, ov)
            vhaz = variant_hazards(hazards, vexp, w, seed, runs, ov, client=client)
            vres.summary.update(vhaz.summary)
            done.append(_Done(v, vres, vhaz, w))
    _write(result, hazards, world, folder, name)
    _write_hazards(hazards, world, folder, name, base_stations=world.stations.id)
    _clear_stale_variants(folder, [v.id for v in exp.variants])
    for d in done:
        d.result.summary["variant"] = d.variant.id
        label = f"{name} / {d.variant.name or d.variant.id}"
        _write(d.result, d.hazards, d.world, folder / VARIANTS_DIR / d.variant.id, label)
        _write_hazards(d.hazards, d.world, folder / VARIANTS_DIR / d.variant.id, label,
                       base_stations=world.stations.id, base=hazards)
    if done:
        _write_comparison(result, world, done, folder)
    return RiskOutcome(result=result, out_dir=folder, hazards=hazards,
                       variants={d.variant.id: d.result for d in done},
                       variant_hazards={d.variant.id: d.hazards for d in done})


@dataclass(frozen=True)
class _Done:
    """A variant assessed: its QRA, its flood and fire, its city."""

    variant: RiskVariant
    result: RiskResult
    hazards: HazardResult
    world: World


def _assess(exp: RiskExperiment, world: World, folder: Path, client: Any,
            extent: tuple[float, float, float, float] | None,
            overrides: tuple[Override, ...] = ()) -> RiskResult:
    """The static QRA (its parts in ``<folder>/static``) and the dynamic runs (``<folder>/runs``).

    The base and every variant share both folders: a part or a run is the
    same whichever asks for it (content-derived keys).
    """
    result = assess(exp, world, parts_dir=folder / PARTS_DIR, client=client, extent_m=extent)
    if exp.mode != "static":
        add_dynamic(exp, result, folder / "runs", client=client, overrides=overrides)
    return result


def _clear_stale_variants(folder: Path, ids: Sequence[str]) -> None:
    """Remove what an earlier assessment wrote for variants the file no longer has.

    Without variants, also the comparison (``variants.csv`` and its figures),
    so that the white paper never shows what-ifs of another file.
    """
    import shutil

    for old in (folder / VARIANTS_DIR).glob("*"):
        if old.is_dir() and old.name not in ids:
            shutil.rmtree(old)
    if not ids:
        for file in ("variants.csv", "variants_individual_risk.png", "variants_fn_curve.png"):
            (folder / file).unlink(missing_ok=True)


def _write_comparison(base: RiskResult, world: World, done: Sequence[_Done],
                      folder: Path) -> None:
    """``variants.csv`` and the before/after figures of the what-ifs."""
    table = compare([("base", "base", base)] + [(d.variant.id, d.variant.name or d.variant.id,
                                                 d.result) for d in done])
    write_atomic(folder / "variants.csv", partial(_csv, table))
    labels = ["base"] + [d.variant.id for d in done]
    results = [base] + [d.result for d in done]
    figures = {
        "variants_individual_risk.png": plot_variant_maps(
            world, list(zip(labels, results, strict=True)), IR_CONTOURS),
        "variants_fn_curve.png": plot_variant_fn_curves(
            [(lab, r.fn, r.fn_dynamic) for lab, r in zip(labels, results, strict=True)],
            NL_SOCIETAL)}
    for file, fig in figures.items():
        write_atomic(folder / file, partial(_png, fig))


def _write(result: RiskResult, hazards: HazardResult, world: object, folder: Path,
           name: str) -> None:
    """The QRA's outputs (module docstring); ``risk_inventory.csv`` with the hazards' rows."""
    cell = result.summary["cell_m"]
    ir = result.individual_risk
    write_atomic(folder / "individual_risk.tif", lambda p: write_geotiff(
        p, ir[::-1], float(result.grid_x_m[0] - 0.5 * cell),
        float(result.grid_y_m[-1] + 0.5 * cell), cell, getattr(world, "crs", None)))
    tables: dict[str, pd.DataFrame] = {
        "receptors.csv": result.receptors, "fn_curve.csv": pd.concat(
            [result.fn.assign(mode="static")] + ([] if result.fn_dynamic is None else
                                                 [result.fn_dynamic.assign(mode="dynamic")]),
            ignore_index=True),
        "risk_inventory.csv": with_hazard_rows(result.inventory, hazards),
        "places.csv": result.places,
        "events.csv": result.events}
    for file, table in tables.items():
        write_atomic(folder / file, partial(_csv, table))
    write_json(folder / "risk_summary.json", result.summary)
    write_risk_layers(result, IR_CONTOURS, getattr(world, "crs", None), folder / "gis")
    figures = {
        "individual_risk.png": plot_individual_risk(world, result, IR_CONTOURS,
                                                    title=f"{name}: individual risk per year"),
        "fn_curve.png": plot_fn_curve(result.fn, NL_SOCIETAL, title=f"{name}: F-N curve",
                                      dynamic=result.fn_dynamic),
    }
    for file, fig in figures.items():
        write_atomic(folder / file, partial(_png, fig))


def _write_hazards(hazards: HazardResult, world: World, folder: Path, name: str, *,
                   base_stations: Sequence[str], base: HazardResult | None = None) -> None:
    """The flood and fire outputs (module docstring).

    ``base_stations``: the base plan's station ids; a variant's other stations
    are drawn as added ones on its fire map (their losses stay in the base
    plan's districts). ``base``: the base's results, whose colour scale a
    variant's fire map takes; a variant sharing the base's flood does not
    write it again (it is in the base's folder).
    """
    crs = getattr(world, "crs", None)
    tables: dict[str, pd.DataFrame] = {}
    figures: dict[str, Figure] = {}
    flood, fire = hazards.flood, hazards.fire
    if base is not None and flood is base.flood:
        flood = None
    if flood is not None:
        tables |= {"flood_storms.csv": flood.storms, "flood_hyetographs.csv": flood.hyetographs}
        x0, y0, cell = flood.grid
        for t, depth in flood.max_depth_m.items():
            label = f"T{t:g}"
            top = y0 + depth.shape[0] * cell
            write_atomic(folder / "flood" / f"max_depth_{label}.tif", partial(
                _geotiff, depth[::-1], x0, top, cell, crs))
            tables[f"flood/waterlogging_{label}.csv"] = flood.waterlogging[t]
            figures[f"flood/max_depth_{label}.png"] = plot_flood_depth(
                world, depth, flood.grid, flood.waterlogging[t],
                title=f"{name}: deepest water, {t:g}-year storm")
        write_waterlogging_layers(flood.waterlogging, crs, folder / "gis")
    if fire is not None:
        tables |= {"fire_by_district.csv": fire.districts, "fire_strata.csv": fire.strata,
                   "fire_ignitions.csv": fire.ignitions}
        added = [s for s in world.stations.id if s not in base_stations]
        figures["fire_by_district.png"] = plot_fire_districts(
            world, fire.district_of_building, fire.districts, fire.ignitions,
            added=added, vmax=_largest_loss(base),
            title=f"{name}: buildings lost to fire per year"
            + ("\n(districts of the base plan)" if added else ""))
    for file, table in tables.items():
        write_atomic(folder / file, partial(_csv, table))
    for file, fig in figures.items():
        write_atomic(folder / file, partial(_png, fig))


def _largest_loss(hazards: HazardResult | None) -> float:
    """The largest expected loss of a district (buildings per year; 0 without fire)."""
    if hazards is None or hazards.fire is None or not len(hazards.fire.districts):
        return 0.0
    return float(hazards.fire.districts["expected_buildings_lost_per_year"].max())


def _geotiff(values: np.ndarray, x0_m: float, y_top_m: float, cell_m: float, crs: str | None,
             path: Path) -> None:
    write_geotiff(path, values, x0_m, y_top_m, cell_m, crs)


def _csv(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False)


def _png(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=130, format="png")
