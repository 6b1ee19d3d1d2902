"""Static QRA: individual risk, societal risk (F-N, PLL) and the risk inventory.

The Purple Book way (MODELS.md, "City safety risk (QRA)"), on the
dispersion model of :mod:`citysim.hazards.chemical`:

- every **loss of containment** (LOC) of every source, in every **weather
  class**, is one footprint: the release is built as a leak would be
  (:meth:`citysim.hazards.chemical.Dispersion.from_config`: the plume with its
  front and tail or the puff, the dense-gas phase, the wind at release height)
  blowing to +x; the toxic load ``integral C^n dt`` on its axis integrates the
  model's concentration over the whole passage of the gas
  (:func:`citysim.risk._kernels.centreline_load`); across the wind it falls as
  the Gaussian cross-section to the power ``n``. Lethality is the
  substance's probit of that load, outdoors and unprotected.
- **Individual risk** ``IR(x, y) = sum_LOC f sum_w p_w sum_k p_k P_death``
  over the wind directions ``k`` (the centres of the rose's sectors), on a
  grid over the city, at the receptors and at the places.
- **Societal risk**: every (LOC, class, direction, day or night) is an event
  of frequency ``f p_w p_k p_period``; it kills ``N = sum_nodes persons P_death
  ((1 - i) + i r)`` of the residents at home, with ``i`` the share indoors
  by day or night and ``r`` the indoor lethality factor (:class:`Presence`).
  ``F(N)`` is the frequency of events killing ``N`` or more; ``PLL = sum f N``.
- **Criteria** (MODELS.md): individual risk at places by class and by new or
  existing installation (:func:`criterion`); societal risk, the Netherlands
  line ``F = 1e-3 / N^2`` (:data:`NL_SOCIETAL`).

Everything above adds over sources, so :func:`assess` makes the footprints
and the sums in **parts**, one per source (:mod:`citysim.risk.static`: in
this process or on Dask, kept on disk and found again), and adds them in the
file's order of the sources.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citysim.experiments.risk_spec import (
    SENSITIVE_KINDS,
    LossOfContainment,
    Place,
    RiskExperiment,
    RiskSource,
    WeatherClass,
)
from citysim.hazards.chemical import X_MIN_M, Dispersion
from citysim.scenario.hazards.chemical import ChemicalLeakConfig
from citysim.scenario.hazards.substances import mg_m3_to_ppm
from citysim.world.builder import node_population
from citysim.world.sites import Locator

__all__ = [
    "IR_CONTOURS",
    "NL_SOCIETAL",
    "RiskResult",
    "assess",
    "criterion",
    "fn_curve",
    "locate",
]

TABLE_POINTS = 240
"""Log-spaced downwind distances of a footprint's table."""
TABLE_MAX_M = 100_000.0
"""Farthest downwind distance of a footprint's table (m)."""
GRID_CELLS = 200
"""Cells along the longer side of the risk map when ``cell_m`` is not given."""
MARGIN_M = 500.0
"""The risk map reaches this far beyond the city and the sources (m)."""
INVENTORY_COLUMNS = ("source", "name", "substance", "loss", "kind", "released_kg",
                     "frequency_per_year", "lethal_1pct_distance_m", "lethal_50pct_distance_m",
                     "pll_static_per_year", "share_of_total", "places_breaking_criterion")
"""Columns of ``risk_inventory.csv`` (the static ones)."""
IR_CONTOURS = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4)
"""Individual-risk contours of the map (per year)."""
NL_SOCIETAL = 1e-3
"""Netherlands societal-risk guide value: ``F <= 1e-3 / N^2`` (per year; MODELS.md)."""
CRITERIA: dict[str, tuple[float, float]] = {
    "sensitive": (3e-7, 3e-6),
    "30-100 persons": (3e-6, 1e-5),
    "under 30 persons": (1e-5, 3e-5),
}
"""Individual-risk criteria (per year), new / existing installations (MODELS.md; China,
2014 trial standard and GB 36894-2018, "check the 2018 grouping")."""


def criterion(place: Place, installations: str) -> tuple[str, float]:
    """The class of a place and its individual-risk criterion (per year).

    Highly sensitive places (schools, hospitals, kindergartens, elderly
    homes) and places of 100 persons or more: 3e-7 new / 3e-6 existing;
    30-100 persons: 3e-6 / 1e-5; fewer: 1e-5 / 3e-5.
    """
    if place.kind in SENSITIVE_KINDS or place.persons >= 100:
        name = "sensitive"
    elif place.persons >= 30:
        name = "30-100 persons"
    else:
        name = "under 30 persons"
    return name, CRITERIA[name][0 if installations == "new" else 1]


@dataclass(frozen=True)
class Footprint:
    """One LOC in one weather class: its axis table and lethal distances."""

    ln_load: np.ndarray
    sigma_y: np.ndarray
    probit: tuple[float, float, float]
    reach_m: float
    lethal_1pct_m: float
    lethal_50pct_m: float


def _x_table() -> np.ndarray:
    return np.geomspace(X_MIN_M, TABLE_MAX_M, TABLE_POINTS)


def footprint(source: RiskSource, loss: LossOfContainment, weather: WeatherClass,
              terrain: str) -> Footprint | None:
    """The footprint of ``loss`` of ``source`` in ``weather``; ``None``: the substance kills nobody.

    The release is built as a ``chemical_leak`` block at the origin with the
    wind from the west (blowing to +x), starting at 0.
    """
    from citysim.risk import _kernels as k

    probit = source.substance.probit
    if probit is None:
        return None
    release: dict[str, Any] = ({"mass_kg": loss.mass_kg} if loss.mass_kg is not None else
                               {"rate_kg_s": loss.rate_kg_s, "duration": loss.duration})
    cfg = ChemicalLeakConfig.model_validate({
        "type": "chemical_leak", "source": {"location": {"x": 0.0, "y": 0.0},
                                            "height_m": loss.height_m},
        "substance": source.substance, "release": release,
        "weather": {"wind_speed_mps": weather.wind_speed_mps, "from_deg": 270.0,
                    "stability": weather.stability, "terrain": terrain}})
    d = Dispersion.from_config(cfg, (0.0, 0.0))
    to_units = mg_m3_to_ppm(1.0, source.substance.mw_g_mol) if probit.units == "ppm" else 1.0
    x = _x_table()
    load, sigma_y = k.centreline_load(x, d.geo, d.coef, d.rel, d.puffs, probit.n, to_units)
    with np.errstate(divide="ignore"):
        ln_load = np.where(load > 0, np.log(np.maximum(load, 1e-300)), k.NO_LOAD)
    z = probit.a + probit.b * ln_load - 5.0

    def farthest(p: float) -> float:
        from scipy.special import ndtri

        inside = np.flatnonzero(z >= ndtri(p))
        return float(x[inside[-1]]) if inside.size else 0.0

    reach = farthest(k.NEGLIGIBLE_P)
    return Footprint(ln_load=ln_load, sigma_y=sigma_y, probit=(probit.a, probit.b, probit.n),
                     reach_m=reach * 1.05 + 10.0, lethal_1pct_m=farthest(0.01),
                     lethal_50pct_m=farthest(0.5))


@dataclass
class RiskResult:
    """What :func:`assess` computes.

    Attributes
    ----------
    grid_x_m, grid_y_m
        Cell centres of the risk map (m), increasing.
    individual_risk
        ``(ny, nx)`` individual risk per year (row 0 at ``grid_y_m[0]``).
    receptors
        ``receptor, x, y, individual_risk_per_year``.
    places
        ``place, name, kind, x, y, class, criterion_per_year,
        individual_risk_per_year, breaks_criterion, main_source`` (the source
        contributing most) and ``main_source_share``.
    events
        One row per event: ``source, loss, stability, wind_speed_mps,
        from_deg, period, frequency_per_year, deaths``.
    fn
        ``n, frequency_per_year``: the F-N curve at every event's ``N > 0``.
    inventory
        One row per source and LOC (``risk_inventory.csv``).
    sources_xy
        ``(S, 2)`` source positions (m), in the file's order.
    source_ids
        The sources' ids, in the order of ``sources_xy`` (the inventory is
        ranked by PLL: join the two by id, never by position).
    summary
        Headline numbers (``pll_per_year``, ``max_individual_risk_per_year`` ...).
    fn_dynamic
        The F-N curve of dynamic mode (:mod:`citysim.risk.dynamic`), if run.
    parts_made
        Keys of the per-source parts made by this call (:mod:`citysim.risk.static`;
        the others were found finished).
    timing_s
        Wall-clock seconds: ``setup`` (locating, the points), ``parts`` (making or
        reading the parts), ``combine`` (events, inventory), and ``parts_busy``
        (the seconds the parts made took, summed over the workers).
    """

    grid_x_m: np.ndarray
    grid_y_m: np.ndarray
    individual_risk: np.ndarray
    receptors: pd.DataFrame
    places: pd.DataFrame
    events: pd.DataFrame
    fn: pd.DataFrame
    inventory: pd.DataFrame
    sources_xy: np.ndarray
    source_ids: list[str]
    summary: dict[str, Any] = field(default_factory=dict)
    fn_dynamic: pd.DataFrame | None = None
    parts_made: list[str] = field(default_factory=list)
    timing_s: dict[str, float] = field(default_factory=dict)


def fn_curve(frequency: np.ndarray, deaths: np.ndarray) -> pd.DataFrame:
    """``F(N)``: for each distinct ``N > 0`` of the events, the frequency of ``N`` or more."""
    keep = np.asarray(deaths, dtype=np.float64) > 0
    n = np.asarray(deaths, dtype=np.float64)[keep]
    f = np.asarray(frequency, dtype=np.float64)[keep]
    order = np.argsort(-n, kind="stable")
    n, f = n[order], f[order]
    cum = np.cumsum(f)
    # the cumulative total at the last of equal N
    last = np.r_[n[1:] != n[:-1], True] if n.size else np.zeros(0, dtype=bool)
    table = pd.DataFrame({"n": n[last], "frequency_per_year": cum[last]})
    return table.iloc[::-1].reset_index(drop=True)


def _resolve(world: Any, locations: list[Any], section: str) -> np.ndarray:
    if not locations:
        return np.zeros((0, 2))
    locator = Locator(world.network, world.crs, np.inf)
    x, y, _ = locator.resolve(locations, [(section, i, "location") for i in
                                          range(len(locations))])
    return np.column_stack([x, y]).astype(np.float64)


def locate(exp: RiskExperiment, world: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sources, receptors and places in the city's frame (m), each ``(n, 2)``.

    Raises
    ------
    ScenarioError
        Every location off the map, naming its YAML path.
    """
    return (_resolve(world, [s.location for s in exp.sources], "sources"),
            _resolve(world, [r.location for r in exp.receptors], "receptors"),
            _resolve(world, [p.location for p in exp.places], "places"))


def assess(exp: RiskExperiment, world: Any, *, parts_dir: Path | None = None,
           client: Any = None, extent_m: tuple[float, float, float, float] | None = None
           ) -> RiskResult:
    """The static QRA of ``exp`` over the built base city ``world`` (module docstring).

    Parameters
    ----------
    exp
        The risk file.
    world
        Its built base city.
    parts_dir
        Where the per-source parts are kept (``<out>/static``,
        :mod:`citysim.risk.static`): finished parts are read, not made again;
        ``None``: made in memory, not kept.
    client
        A Dask client to make the parts on (only with ``parts_dir``); ``None``: here.
    extent_m
        ``(xmin, ymin, xmax, ymax)`` (m) the risk map must cover besides the city
        and the sources (the sources of every what-if variant, so that their
        maps share one grid).
    """
    from citysim.risk.static import PartTask, Points, compute_part, part_key, run_parts

    t0 = time.perf_counter()
    w = exp.weather
    sources_xy, receptors_xy, places_xy = locate(exp, world)
    losses = [(i, s, loss) for i, s in enumerate(exp.sources) for loss in s.losses]
    # the map
    net = world.network
    xmin, ymin, xmax, ymax = net.bounds_m
    for bx0, by0, bx1, by1 in ([(*sources_xy.min(axis=0), *sources_xy.max(axis=0))]
                               if len(sources_xy) else []) + ([extent_m] if extent_m else []):
        xmin, ymin, xmax, ymax = min(xmin, bx0), min(ymin, by0), max(xmax, bx1), max(ymax, by1)
    xmin, ymin, xmax, ymax = xmin - MARGIN_M, ymin - MARGIN_M, xmax + MARGIN_M, ymax + MARGIN_M
    cell = exp.cell_m or max(xmax - xmin, ymax - ymin) / GRID_CELLS
    gx = np.arange(xmin + 0.5 * cell, xmax, cell)
    gy = np.arange(ymin + 0.5 * cell, ymax, cell)
    mx, my = np.meshgrid(gx, gy)
    persons = node_population(world)
    node_x = np.ascontiguousarray(net.node_x_m, dtype=np.float64)
    node_y = np.ascontiguousarray(net.node_y_m, dtype=np.float64)
    from_deg = np.arange(w.sectors) * 360.0 / w.sectors
    p_wind = np.array(w.sector_probabilities, dtype=np.float64)
    points = Points(grid=np.column_stack([mx.ravel(), my.ravel()]),
                    receptors=receptors_xy.reshape(-1, 2), places=places_xy.reshape(-1, 2),
                    nodes=np.column_stack([node_x, node_y]),
                    persons=persons.astype(np.float64), from_deg=from_deg, p_wind=p_wind)
    # the parts: one per source, added in the file's order
    digest = points.digest()
    tasks = [PartTask(part_key(s, (float(xy[0]), float(xy[1])), w, digest), s,
                      (float(xy[0]), float(xy[1])), w)
             for s, xy in zip(exp.sources, sources_xy, strict=True)]
    t1 = time.perf_counter()
    if parts_dir is None:
        parts, made = [compute_part(t, points) for t in tasks], [t.key for t in tasks]
        busy = time.perf_counter() - t1
    else:
        done = run_parts(tasks, points, parts_dir, client=client)
        parts, made, busy = done.parts, done.made, done.busy_s
    t2 = time.perf_counter()
    grid = np.zeros(mx.size)
    receptor_ir = np.zeros(len(receptors_xy))
    node_ir = np.zeros(net.n_nodes)
    for part in parts:
        grid += part["grid"]
        receptor_ir += part["receptors"]
        node_ir += part["nodes"]
    grid = grid.reshape(mx.shape)
    place_ir = (np.concatenate([p["places"] for p in parts], axis=1) if parts
                else np.zeros((len(exp.places), 0))).reshape(len(exp.places), len(losses))
    first_loss = np.cumsum([0] + [len(s.losses) for s in exp.sources])
    loc_of = np.concatenate([p["loss"] + first_loss[i] for i, p in enumerate(parts)]
                            + [np.zeros(0, np.int64)]).astype(np.int64)
    class_of = np.concatenate([p["weather_class"] for p in parts] + [np.zeros(0, np.int64)])
    outdoor = np.concatenate([p["outdoor"] for p in parts] + [np.zeros((0, w.sectors))])
    lethal = {name: np.concatenate([p[name] for p in parts] + [np.zeros(0)])
              for name in ("lethal_1pct_m", "lethal_50pct_m")}
    n_fp = len(loc_of)
    weight = np.array([losses[li][2].frequency_per_year * w.classes[ci].probability
                       for li, ci in zip(loc_of, class_of, strict=True)])
    # receptors and places
    receptors = pd.DataFrame({
        "receptor": [r.id for r in exp.receptors], "x": receptors_xy[:, 0],
        "y": receptors_xy[:, 1], "individual_risk_per_year": receptor_ir})
    classes = [criterion(p, exp.installations) for p in exp.places]
    places = pd.DataFrame({
        "place": [p.id for p in exp.places], "name": [p.name or p.id for p in exp.places],
        "kind": [p.kind for p in exp.places], "x": places_xy[:, 0], "y": places_xy[:, 1],
        "class": [c[0] for c in classes], "criterion_per_year": [c[1] for c in classes],
        "individual_risk_per_year": place_ir.sum(axis=1)})
    places["breaks_criterion"] = places["individual_risk_per_year"] >= places[
        "criterion_per_year"]
    by_source = np.zeros((len(exp.places), len(exp.sources)))
    for li, (si, _, _) in enumerate(losses):
        by_source[:, si] += place_ir[:, li]
    main = by_source.argmax(axis=1) if len(exp.sources) else np.zeros(len(exp.places), int)
    total = np.maximum(by_source.sum(axis=1), 1e-300)
    places["main_source"] = [exp.sources[m].id if by_source[j, m] > 0 else ""
                             for j, m in enumerate(main)]
    places["main_source_share"] = by_source[np.arange(len(exp.places)), main] / total
    # societal risk: residents at home
    pres = exp.presence
    periods = (("day", w.day_fraction, pres.indoors_day),
               ("night", 1.0 - w.day_fraction, pres.indoors_night))
    ev: dict[str, list[Any]] = {c: [] for c in ("source", "loss", "stability", "wind_speed_mps",
                                                "from_deg", "period", "frequency_per_year",
                                                "deaths")}
    for f in range(n_fp):
        si, s, loss = losses[loc_of[f]]
        wc = w.classes[class_of[f]]
        for kk in range(w.sectors):
            for name, share, indoors in periods:
                if share <= 0 or p_wind[kk] <= 0:
                    continue
                ev["source"].append(s.id)
                ev["loss"].append(loss.id)
                ev["stability"].append(wc.stability)
                ev["wind_speed_mps"].append(wc.wind_speed_mps)
                ev["from_deg"].append(from_deg[kk])
                ev["period"].append(name)
                ev["frequency_per_year"].append(weight[f] * p_wind[kk] * share)
                ev["deaths"].append(outdoor[f, kk] * ((1.0 - indoors) + indoors
                                                      * pres.indoor_lethality_factor))
    events = pd.DataFrame(ev)
    events["expected_deaths_per_year"] = events["frequency_per_year"] * events["deaths"]
    pll = float(events["expected_deaths_per_year"].sum())
    fn = fn_curve(events["frequency_per_year"].to_numpy(), events["deaths"].to_numpy())
    # the inventory
    pll_by = events.groupby(["source", "loss"], sort=False)["expected_deaths_per_year"].sum()
    inv = []
    for li, (_, s, loss) in enumerate(losses):
        mine = loc_of == li
        broken = [p.id for j, p in enumerate(exp.places)
                  if place_ir[j, li] >= classes[j][1]]
        loc_pll = float(pll_by.get((s.id, loss.id), 0.0))
        inv.append({
            "source": s.id, "name": s.name or s.id, "substance": s.substance.name,
            "loss": loss.id,
            "kind": "instantaneous" if loss.mass_kg is not None else "continuous",
            "released_kg": loss.released_kg, "frequency_per_year": loss.frequency_per_year,
            "lethal_1pct_distance_m": float(lethal["lethal_1pct_m"][mine].max(initial=0.0)),
            "lethal_50pct_distance_m": float(lethal["lethal_50pct_m"][mine].max(initial=0.0)),
            "pll_static_per_year": loc_pll,
            "share_of_total": loc_pll / pll if pll > 0 else 0.0,
            "places_breaking_criterion": ";".join(broken)})
    inventory = pd.DataFrame(inv, columns=INVENTORY_COLUMNS).sort_values(
        "pll_static_per_year", ascending=False, kind="stable").reset_index(drop=True)
    nl_ok = bool(((fn["frequency_per_year"] <= NL_SOCIETAL / np.maximum(fn["n"], 1.0) ** 2)
                  | (fn["n"] < 10)).all()) if len(fn) else True
    summary = {
        "pll_per_year": pll,
        "max_individual_risk_per_year": float(grid.max()) if grid.size else 0.0,
        "area_ir_above_1e-6_km2": float((grid >= 1e-6).sum() * cell * cell / 1e6),
        "area_ir_above_1e-5_km2": float((grid >= 1e-5).sum() * cell * cell / 1e6),
        "residents_ir_above_1e-6": float(persons[node_ir >= 1e-6].sum()),
        "places_breaking_criterion": int(places["breaks_criterion"].sum()),
        "max_deaths_one_event": float(events["deaths"].max()) if len(events) else 0.0,
        "societal_nl_guide_met": nl_ok,
        "events": len(events), "footprints": n_fp, "cell_m": float(cell),
        "installations": exp.installations, "mode": "static",
        "presence": exp.presence.model_dump(),
    }
    return RiskResult(grid_x_m=gx, grid_y_m=gy, individual_risk=grid, receptors=receptors,
                      places=places, events=events, fn=fn, inventory=inventory,
                      sources_xy=sources_xy, source_ids=[s.id for s in exp.sources],
                      summary=summary, parts_made=made, timing_s={
                          "setup": t1 - t0, "parts": t2 - t1, "parts_busy": busy,
                          "combine": time.perf_counter() - t2})
