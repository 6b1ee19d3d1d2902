"""Write a run's result folder (the files SCENARIO_SPEC.md names), whole or not at all."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from citysim.io.atomic import replace_folder, write_atomic, write_json, write_parquet

if TYPE_CHECKING:
    from citysim.simulation import RunResult

__all__ = ["write_results"]


def write_results(out: RunResult, out_dir: Path, *, plots: bool, geojson: bool = False) -> None:
    """Write a run's result folder: built aside, then swapped in whole.

    The folder holds this run's files only (those of an earlier run there are
    gone with it); a kill at any point leaves the earlier folder or the new
    one (:func:`citysim.io.atomic.replace_folder`).

    Parameters
    ----------
    out
        The run (:func:`citysim.simulation.simulate`).
    out_dir
        Destination folder (created if needed; replaced if it exists).
    plots
        Also draw the figures into ``out_dir/plots``.
    geojson
        Also write the GIS layers into ``out_dir/gis`` (:mod:`citysim.io.geojson`).
        ``animation.gif`` (and ``.mp4``) are written when ``out.frames`` holds frames.
    """
    replace_folder(Path(out_dir), partial(_write, out, plots=plots, geojson=geojson))


def _write(out: RunResult, out_dir: Path, *, plots: bool, geojson: bool) -> None:
    """Write the files of a run into ``out_dir`` (an empty folder; ``provenance.json`` last)."""
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
