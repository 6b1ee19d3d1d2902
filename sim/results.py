"""Write a run's result folder (the files SCENARIO_SPEC.md names), each file atomically."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from citysim.io.atomic import write_atomic, write_json, write_parquet

if TYPE_CHECKING:
    from citysim.simulation import RunResult

__all__ = ["write_results"]


def write_results(out: RunResult, out_dir: Path, *, plots: bool, geojson: bool = False) -> None:
    """Write a run's result folder (each file atomically; ``provenance.json`` last).

    Parameters
    ----------
    out
        The run (:func:`citysim.simulation.simulate`).
    out_dir
        Destination folder (created if needed).
    plots
        Also draw the figures into ``out_dir/plots``.
    geojson
        Also write the GIS layers into ``out_dir/gis`` (:mod:`citysim.io.geojson`).
        ``animation.gif`` (and ``.mp4``) are written when ``out.frames`` holds frames.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_parquet(out_dir / "timeseries.parquet", out.timeseries)
    write_parquet(out_dir / "incidents.parquet", out.incidents)
    write_parquet(out_dir / "shelters.parquet", out.shelters)
    write_parquet(out_dir / "stations.parquet", out.stations)
    write_parquet(out_dir / "probes.parquet", out.probes)
    if len(out.replications) > 1:
        write_parquet(out_dir / "replications.parquet", out.replications)
    for name, table in out.hazard_tables.items():
        write_parquet(out_dir / f"{name}.parquet", table)
        if table.attrs.get("csv"):  # tables planners open in a spreadsheet (waterlogging)
            write_atomic(out_dir / f"{name}.csv", partial(_write_csv, table))
    write_json(out_dir / "summary.json", out.summary)
    if plots:
        from citysim.plots import write_run_plots

        write_run_plots(out, out_dir / "plots")
    if out.frames:
        from citysim.plots.animation import write_animation

        outputs = out.provenance["scenario"]["outputs"]
        write_animation(out.frames, out.world, out_dir, title=out.provenance["scenario"]["name"],
                        fps=int(outputs.get("animation_fps", 6)))
    if geojson:
        from citysim.io.geojson import write_layers

        write_layers(out, out_dir / "gis")
    write_json(out_dir / "provenance.json", out.provenance)


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    """A table as CSV with a byte-order mark (spreadsheets then read UTF-8 names)."""
    table.to_csv(path, index=False, encoding="utf-8-sig")
