"""The output contract of SCENARIO_SPEC.md as checks the tests share.

A copy of what ``shared/tools/check_outputs.py`` verifies, so that a fresh
clone (which has no ``shared/``) still checks its own outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from citysim.metrics import CONTRACT_KPIS

TABLE_COLUMNS = {
    "timeseries.parquet": ["t_s", "evacuated", "evacuating", "not_evacuated",
                           "sheltered_in_place", "fatalities", "shelter_occupancy",
                           "active_incidents", "busy_units"],
    "incidents.parquet": ["incident", "kind", "x", "y", "t_call_s", "t_dispatch_s",
                          "t_arrive_s", "t_clear_s", "unit", "station", "response_time_s",
                          "queue_wait_s", "turnout_s", "travel_s", "queued"],
    "shelters.parquet": ["shelter", "capacity", "peak_occupancy", "arrivals", "turned_away",
                         "t_full_s"],
    "probes.parquet": ["t_s", "probe", "x", "y"],
}
FINAL = ("evacuated", "sheltered_in_place", "not_evacuated", "fatalities")


def value(v):
    return v.get("mean") if isinstance(v, dict) else v


def contract_problems(run: Path) -> list[str]:
    """Every departure of a result folder from the output contract."""
    out: list[str] = []
    summary = json.loads((run / "summary.json").read_text())
    out += [f"summary.json lacks {k}" for k in CONTRACT_KPIS if k not in summary]
    total = sum(value(summary[k]) or 0 for k in FINAL)
    if abs(total - value(summary["residents_total"])) > 1e-6:
        out.append(f"final states sum to {total}, not {value(summary['residents_total'])}")
    for name, cols in TABLE_COLUMNS.items():
        df = pd.read_parquet(run / name)
        out += [f"{name} lacks {c}" for c in cols if c not in df.columns]
        if name == "incidents.parquet" and (df["response_time_s"].dropna() < 0).any():
            out.append("negative response times")
        if name == "shelters.parquet" and (df["peak_occupancy"] > df["capacity"]).any():
            out.append("a shelter's peak occupancy exceeds its capacity")
        if name == "timeseries.parquet":
            parts = df[list(FINAL)].sum(axis=1)
            if not (parts == value(summary["residents_total"])).all():
                out.append("people are not conserved in the time series")
    prov = json.loads((run / "provenance.json").read_text())
    for key in ("scenario", "scenario_hash", "seed", "versions", "started_utc", "wall_time_s"):
        if key not in prov:
            out.append(f"provenance.json lacks {key}")
    for lib in ("numba", "numpy", "mesa"):
        if not prov.get("versions", {}).get(lib):
            out.append(f"provenance.json lacks the {lib} version")
    leftovers = [p.name for p in run.rglob("*.tmp")]
    if leftovers:
        out.append(f"temporary files left: {leftovers}")
    return out
