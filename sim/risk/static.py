"""The static QRA in parts: one part per source, made here or on Dask, resumable.

Everything the static QRA sums (:mod:`citysim.risk.qra`) adds over sources:
the individual risk on the map, at the receptors, at the places (by loss of
containment) and at the residents' homes, and the outdoor deaths of every
(footprint, wind direction). So the work is split by source: a **part** is
one source, all its losses of containment x weather classes x directions,
evaluated at the same points (:class:`Points`).

- **Where**: in this process one after another (``client=None``), or as
  Dask tasks (``--workers N``: a local cluster on the loopback interface,
  ``--scheduler ADDR``: a running one), as a batch's runs
  (:func:`citysim.experiments.cluster.open_client`).
- **Identical results**: a part's numbers do not depend on where it was
  made; the parts are added in the file's order of the sources, always, so
  serial and parallel results are the same to the last bit.
- **Resumable**: each finished part is written atomically to
  ``<out>/static/<key>.npz`` (:func:`part_key`: 16 hex digits of the
  SHA-256 of the source, its position, the weather and the points evaluated,
  so a changed file makes new parts and an unchanged source is found again,
  by a later attempt or by a what-if variant that leaves it where it is). A
  part on disk is never made again; a killed attempt loses only the parts in
  flight.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from citysim.experiments.risk_spec import RiskSource, RiskWeather
from citysim.hazards.chemical import downwind_unit
from citysim.io.atomic import write_atomic

__all__ = ["PARTS_DIR", "PART_VERSION", "PartRun", "PartTask", "Points", "compute_part",
           "make_part", "part_key", "run_parts"]

PARTS_DIR = "static"
"""Sub-folder of the result folder that keeps the finished parts."""
PART_VERSION = 1
"""Bumped when a part's content changes meaning: older parts are then not reused."""
PART_ARRAYS = ("grid", "receptors", "places", "nodes", "outdoor", "loss", "weather_class",
               "lethal_1pct_m", "lethal_50pct_m")
"""The arrays of a part (:func:`compute_part`)."""


@dataclass(frozen=True)
class Points:
    """Where every part is evaluated, in the city's frame (m).

    Attributes
    ----------
    grid, receptors, places, nodes
        ``(n, 2)`` points: the map's cell centres (row-major), the
        receptors, the places and the network's nodes (where residents live).
    persons
        Residents at home at each node.
    from_deg
        Directions the wind blows from (degrees, clockwise from north), one per sector.
    p_wind
        Probability of each direction.
    """

    grid: np.ndarray
    receptors: np.ndarray
    places: np.ndarray
    nodes: np.ndarray
    persons: np.ndarray
    from_deg: np.ndarray
    p_wind: np.ndarray

    def digest(self) -> str:
        """SHA-256 (hex) of every array: parts of other points are other parts."""
        h = hashlib.sha256()
        for name in ("grid", "receptors", "places", "nodes", "persons", "from_deg", "p_wind"):
            a = np.ascontiguousarray(getattr(self, name), dtype=np.float64)
            h.update(f"{name}{a.shape}".encode())
            h.update(a.tobytes())
        return h.hexdigest()


@dataclass(frozen=True)
class PartTask:
    """One part to make: a source at its position, in the file's weather.

    Attributes
    ----------
    key
        Content-derived id (:func:`part_key`), the part's file name.
    source
        The source (its losses of containment: :attr:`RiskSource.losses`).
    xy_m
        Its position in the city's frame (m).
    weather
        The weather statistics (classes, sectors, terrain).
    """

    key: str
    source: RiskSource
    xy_m: tuple[float, float]
    weather: RiskWeather


def part_key(source: RiskSource, xy_m: tuple[float, float], weather: RiskWeather,
             points_digest: str) -> str:
    """Content-derived id of a part: 16 hex digits of a SHA-256 (module docstring)."""
    data = {"source": source.model_dump(mode="json"), "losses": [
        loss.model_dump(mode="json") for loss in source.losses],
        "xy_m": [float(xy_m[0]), float(xy_m[1])], "weather": weather.model_dump(mode="json"),
        "points": points_digest, "version": PART_VERSION}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def compute_part(task: PartTask, points: Points) -> dict[str, np.ndarray]:
    """The static QRA of one source at ``points``.

    Returns
    -------
    dict
        ``grid`` (G,), ``receptors`` (R,), ``nodes`` (N,): individual risk per
        year; ``places`` (P, L): individual risk per year by loss of
        containment ``L`` (the source's order); ``outdoor`` (F, K): outdoor
        deaths of footprint ``F`` with the wind from direction ``K``; per
        footprint, its ``loss`` and ``weather_class`` indices and its
        ``lethal_1pct_m``, ``lethal_50pct_m`` distances (m). A footprint is
        one loss of containment in one weather class of non-zero probability
        whose substance has a probit.
    """
    from citysim.risk import _kernels as k
    from citysim.risk.qra import _x_table, footprint

    w = task.weather
    losses = task.source.losses
    rows = []
    for li, loss in enumerate(losses):
        for ci, wc in enumerate(w.classes):
            fp = footprint(task.source, loss, wc, w.terrain)
            if fp is not None and wc.probability > 0:
                rows.append((li, ci, fp))
    n_fp = len(rows)
    x = _x_table()
    tables = (math.log(x[0]), math.log(x[1] / x[0]),
              np.array([r[2].ln_load for r in rows]).reshape(n_fp, x.size),
              np.array([r[2].sigma_y for r in rows]).reshape(n_fp, x.size))
    probit = np.array([r[2].probit for r in rows], dtype=np.float64).reshape(n_fp, 3)
    where = np.array([[task.xy_m[0], task.xy_m[1], r[2].reach_m] for r in rows],
                     dtype=np.float64).reshape(n_fp, 3)
    loss_of = np.array([r[0] for r in rows], dtype=np.int64)
    class_of = np.array([r[1] for r in rows], dtype=np.int64)
    weight = np.array([losses[r[0]].frequency_per_year * w.classes[r[1]].probability
                       for r in rows], dtype=np.float64)
    winds = np.array([downwind_unit(d) for d in points.from_deg],
                     dtype=np.float64).reshape(-1, 2)
    p_wind = np.ascontiguousarray(points.p_wind, dtype=np.float64)
    zeros = np.zeros(n_fp, dtype=np.int64)

    def ir(xy: np.ndarray, by_loss: bool) -> np.ndarray:
        px = np.ascontiguousarray(xy[:, 0], dtype=np.float64)
        py = np.ascontiguousarray(xy[:, 1], dtype=np.float64)
        group, n_groups = (loss_of, len(losses)) if by_loss else (zeros, 1)
        return k.individual_risk(px, py, weight, group, n_groups, where, winds, p_wind, tables,
                                 probit)

    nodes = points.nodes
    outdoor = k.expected_deaths(np.ascontiguousarray(nodes[:, 0], dtype=np.float64),
                                np.ascontiguousarray(nodes[:, 1], dtype=np.float64),
                                np.ascontiguousarray(points.persons, dtype=np.float64), where,
                                winds, tables, probit)
    return {"grid": ir(points.grid, False)[:, 0], "receptors": ir(points.receptors, False)[:, 0],
            "places": ir(points.places, True), "nodes": ir(nodes, False)[:, 0],
            "outdoor": outdoor, "loss": loss_of, "weather_class": class_of,
            "lethal_1pct_m": np.array([r[2].lethal_1pct_m for r in rows], dtype=np.float64),
            "lethal_50pct_m": np.array([r[2].lethal_50pct_m for r in rows], dtype=np.float64)}


def _path(folder: str | Path, key: str) -> Path:
    return Path(folder) / f"{key}.npz"


def make_part(task: PartTask, points: Points, folder: str) -> float:
    """Make one part (here or on a Dask worker) and write it; return the seconds it took.

    A part already on disk is not made again (0 s).
    """
    path = _path(folder, task.key)
    if path.is_file():
        return 0.0
    t0 = time.perf_counter()
    arrays = compute_part(task, points)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, allow_pickle=False, **arrays)

    write_atomic(path, write)
    return time.perf_counter() - t0


def read_part(folder: str | Path, key: str) -> dict[str, np.ndarray]:
    """The arrays of a finished part."""
    with np.load(_path(folder, key)) as data:
        return {name: data[name] for name in PART_ARRAYS}


@dataclass
class PartRun:
    """What :func:`run_parts` did.

    Attributes
    ----------
    parts
        Every part's arrays, in the order of the tasks.
    made
        Keys of the parts made now (the others were found on disk).
    busy_s
        Seconds spent computing the parts made now, summed over workers.
    """

    parts: list[dict[str, np.ndarray]]
    made: list[str] = field(default_factory=list)
    busy_s: float = 0.0


def run_parts(tasks: Sequence[PartTask], points: Points, folder: Path, *,
              client: Any = None) -> PartRun:
    """Make the parts not yet on disk (here, or on the Dask ``client``) and read them all.

    Parameters
    ----------
    tasks
        The parts (one per source); duplicate keys are made once.
    points
        Where they are evaluated.
    folder
        Where finished parts are kept (``<out>/static``); on a cluster, every
        worker must see it at the same path.
    client
        A ``distributed.Client``, or ``None`` for this process.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    todo = list({t.key: t for t in tasks if not _path(folder, t.key).is_file()}.values())
    run = PartRun(parts=[])
    if client is None:
        for task in todo:
            run.busy_s += make_part(task, points, str(folder))
    elif todo:
        shared = client.scatter(points, broadcast=True)
        futures = [client.submit(make_part, task, shared, str(folder), pure=False,
                                 key=f"citysim-risk-part-{task.key}") for task in todo]
        run.busy_s = float(sum(client.gather(futures)))
    run.made = [t.key for t in todo]
    run.parts = [read_part(folder, t.key) for t in tasks]
    return run
