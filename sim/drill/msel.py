"""A drill timeline from a simulated run: the Master Scenario Events List (MSEL).

An MSEL (US HSEEP; China's AQ/T 9007 drill guidance has the same
"scenario script": time, event, message, who gets it, expected response) is
what exercise control runs an exercise from: one row per *inject*, the
message a player receives at a scenario time. :func:`build_msel` makes the
injects from what the run shows, each traceable to the row of a result table
it comes from (``source_ref``, :mod:`citysim.drill.refs`):

- **scripted** injects of the scenario's ``drill.injects``;
- **warnings** the scenario schedules (``behaviour.warnings``);
- **roads closed by water** (``flooded_roads.parquet``: streets grouped by
  the record interval ``outputs.every`` in which they closed);
- **water reaching an underpass** (``waterlogging.parquet``, rows of kind
  ``underpass`` with a closure time);
- **calls raised by the hazards** (``incidents.parquet``, every kind but
  ``background``);
- **a call waiting for a unit**: every suitable unit busy (``queued``), or
  none able to reach it for a while (dispatch after the call);
- **a response beyond the standard**: at dispatch + standard, no unit on
  scene yet;
- **a shelter filling** (``shelters.parquet`` ``t_full_s``);
- **the first death** (``timeseries.parquet``);
- **each hazard's own events**: any table ``events`` or ``<name>_events``
  with columns ``t_s, event`` and optionally ``text, to, expected_action,
  objective, ref`` (``ref``: a reference into another table of the run);
  one inject per row (the flood's underpasses, the plume reaching a
  school, a road blocked by ``type: road_closure`` ...).

The timeline is written as ``msel.csv`` (UTF-8 with a byte-order mark, so
that spreadsheet programs open it in the right encoding) and ``msel.md``;
``observed_time`` and ``notes`` are left empty for the exercise
(:mod:`citysim.drill.compare`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from citysim.drill.refs import json_ref, table_ref
from citysim.humanize import clock, minutes, number, percent
from citysim.io.atomic import write_atomic
from citysim.report.kpis import response_standard_s
from citysim.report.results import RunFolder, read_run

__all__ = ["EVENT_TABLE_COLUMNS", "MSEL_COLUMNS", "Inject", "build_msel", "injects_of_run",
           "write_msel", "write_timeline"]

MSEL_COLUMNS = ["inject_no", "scenario_time_s", "scenario_time", "event", "inject_text", "from",
                "to", "expected_action", "objective", "source_ref", "observed_time", "notes"]
"""Columns of ``msel.csv``, in order."""
EVENT_TABLE_COLUMNS = ("t_s", "event", "text", "to", "expected_action", "objective", "ref")
"""Columns of a hazard's ``events`` table (``t_s`` and ``event`` required)."""
SIMULATION = "simulation"
"""``from`` of the injects the run produced."""
CONTROL = "exercise control"
"""``from`` of the scripted injects."""
DISPATCH = "fire dispatch (119 centre)"
"""Who receives calls and unit news."""


@dataclass(frozen=True)
class Inject:
    """One row of the timeline (before numbering).

    Attributes
    ----------
    t_s
        Scenario time (s).
    event, text, sender, to, expected_action, objective
        As in :data:`MSEL_COLUMNS` (``sender`` is the ``from`` column).
    ref
        Source reference (:mod:`citysim.drill.refs`).
    """

    t_s: float
    event: str
    text: str
    sender: str
    to: str
    expected_action: str
    objective: str
    ref: str


def _scripted(run: RunFolder) -> list[Inject]:
    injects = (run.scenario.get("drill") or {}).get("injects") or []
    return [Inject(float(j["at"]), j["event"], j.get("text") or j["event"], CONTROL,
                   j.get("to") or "incident commander", j.get("expected_action") or "",
                   j.get("objective") or "", json_ref("provenance.json",
                                                      f"scenario.drill.injects[{k}]"))
            for k, j in enumerate(injects)]


def _out_of_service(run: RunFolder) -> list[Inject]:
    spells = (run.scenario.get("response") or {}).get("out_of_service") or []
    out = []
    for k, spell in enumerate(spells):
        ref = json_ref("provenance.json", f"scenario.response.out_of_service[{k}]")
        unit = spell["unit"]
        out.append(Inject(
            float(spell["at"]), f"Unit {unit} out of service",
            f"{unit} reports out of service (breakdown); it finishes any call it is on.",
            CONTROL, DISPATCH,
            "Take the unit off the dispatch board; cover its area from neighbouring stations",
            "Response within the arrival standard with one unit fewer", ref))
        if spell.get("until") is not None:
            out.append(Inject(
                float(spell["until"]), f"Unit {unit} back in service",
                f"{unit} reports back in service at its station.", CONTROL, DISPATCH,
                "Put the unit back on the dispatch board; send it to any waiting call", "",
                ref))
    return out


def _record_at(ts: pd.DataFrame, t_s: float) -> pd.Series | None:
    """The first time-series record at or after ``t_s``."""
    later = ts[ts["t_s"] >= t_s - 1e-9]
    return later.iloc[0] if len(later) else None


def _warnings(run: RunFolder) -> list[Inject]:
    ts = run.first_replication("timeseries")
    warnings = (run.scenario.get("behaviour") or {}).get("warnings") or []
    out = []
    for w in warnings:
        row = _record_at(ts, float(w["at"])) if ts is not None else None
        if row is None:
            continue
        reach = float(w.get("reach", 1.0))
        out.append(Inject(
            float(w["at"]), "Warning issued",
            f"Issue the public warning now: it is to reach {percent(reach, 0)} of residents "
            "(SMS, sirens, neighbourhood committees).", SIMULATION,
            "public warning office; residents' committees",
            "Send the warning through every channel; committees knock on doors of those who "
            "did not get it; report how many were reached",
            f"Warning reach: {percent(reach, 0)} of residents",
            table_ref("timeseries", "t_s", float(row["t_s"]))))
    return out


def _road_closures(run: RunFolder) -> list[Inject]:
    table = run.table("flooded_roads")
    if table is None or "t_closed_s" not in table:
        return []
    closed = table[table["t_closed_s"].notna()].copy()
    if not len(closed):
        return []
    closed["street"] = [f"{min(a, b)}-{max(a, b)}" for a, b in
                        zip(closed["from_node"], closed["to_node"], strict=True)]
    first = closed.sort_values(["t_closed_s", "edge"]).drop_duplicates("street")
    every = float((run.scenario.get("outputs") or {}).get("every") or 60.0)
    depth = next((h.get("road_closed_depth_m") for h in run.scenario.get("hazards") or []
                  if h.get("type") == "flood"), 0.3)
    first["window"] = (first["t_closed_s"] // every).astype(int)
    out, total = [], 0
    for _, group in first.groupby("window", sort=True):
        total += len(group)
        t = float(group["t_closed_s"].min())
        lead = group.sort_values(["t_closed_s", "edge"]).iloc[0]
        streets = ", ".join(group["street"].head(8)) + (" ..." if len(group) > 8 else "")
        out.append(Inject(
            t, f"{len(group)} road{'s' if len(group) > 1 else ''} closed by water",
            f"Water {number(depth)} m deep or more on {len(group)} street"
            f"{'s' if len(group) > 1 else ''} (between nodes {streets}); cars cannot pass. "
            f"{total} streets closed so far.", SIMULATION, "traffic police",
            "Close the streets, set diversions, tell fire dispatch and shelters which routes "
            "are cut", f"Traffic management: flooded roads (>= {number(depth)} m) closed "
            "before cars enter", table_ref("flooded_roads", "edge", int(lead["edge"]))))
    return out


def _underpasses(run: RunFolder) -> list[Inject]:
    table = run.table("waterlogging")
    if table is None or not {"kind", "name", "t_closed_s"} <= set(table.columns):
        return []
    flooded = table[(table["kind"] == "underpass") & table["t_closed_s"].notna()]
    out = []
    for r in flooded.to_dict("records"):
        depth = f" ({number(r['max_depth_m'])} m at its deepest)" if "max_depth_m" in r else ""
        out.append(Inject(
            float(r["t_closed_s"]), f"Underpass {r['name']} flooded",
            f"Water in underpass {r['name']} is too deep for cars{depth}; vehicles may be "
            "trapped inside.", SIMULATION, "traffic police; fire dispatch (119 centre)",
            "Close both ends of the underpass, check for trapped vehicles and people, send a "
            "rescue unit if anyone is inside", "Underpass closure before vehicles enter",
            table_ref("waterlogging", "name", r["name"])))
    return out


def _calls(run: RunFolder) -> list[Inject]:
    inc = run.first_replication("incidents")
    if inc is None or not len(inc):
        return []
    standard = response_standard_s(run.scenario)
    out = []
    for r in inc.to_dict("records"):
        ref = table_ref("incidents", "incident", r["incident"])
        where = f"({number(r['x'])}, {number(r['y'])}) m"
        units = r.get("units") or "no unit yet"
        if r["kind"] != "background":
            out.append(Inject(
                float(r["t_call_s"]), f"Emergency call: {r['kind']}",
                f"Call {r['incident']}: {r['kind'].replace('_', ' ')} at {where}.", SIMULATION,
                DISPATCH, "Send the run card to the scene; tell the incident commander",
                "Call handling: run card dispatched at once", ref))
        t_call, t_disp = float(r["t_call_s"]), r["t_dispatch_s"]
        waited = (float(t_disp) - t_call) if pd.notna(t_disp) else math.inf
        if bool(r.get("queued")) or waited > 1.0:
            why = ("every suitable unit is busy" if bool(r.get("queued")) else
                   "no free unit can reach it: roads to it are closed")
            outcome = (f"simulated wait {minutes(waited)}" if math.isfinite(waited)
                       else "no unit sent within the run")
            out.append(Inject(
                t_call, "Call waits for a free unit",
                f"Call {r['incident']} ({r['kind'].replace('_', ' ')}) at {where}: {why} "
                f"[{outcome}].", SIMULATION, DISPATCH,
                "Queue the call by priority; recall or redeploy a unit, or ask a neighbouring "
                "district for mutual aid; tell the caller the expected wait",
                "Dispatch: every call gets a unit (calls_queued_fraction)", ref))
        rt = r["response_time_s"]
        if pd.notna(t_disp) and (pd.isna(rt) or float(rt) > standard + 1e-9):
            outcome = (f"first unit {r.get('unit')} of {r.get('station')} arrived "
                       f"{minutes(rt)} after the call" if pd.notna(rt)
                       else "no unit arrived within the run")
            out.append(Inject(
                t_call + standard, "Response beyond the standard",
                f"{minutes(standard)} since the call to {r['incident']} at {where} and no unit "
                f"on scene (units sent: {units}) [simulated: {outcome}].", SIMULATION,
                f"{DISPATCH}; station officer",
                "Ask the units for position and arrival time; consider the next closest unit; "
                "log the cause (distance, closed roads, traffic)",
                f"{minutes(standard)} arrival standard, counted from the call", ref))
    return out


def _shelters(run: RunFolder) -> list[Inject]:
    table = run.first_replication("shelters")
    if table is None or "t_full_s" not in table:
        return []
    out = []
    for r in table[table["t_full_s"].notna()].to_dict("records"):
        name = r.get("name") or r["shelter"]
        turned = int(r.get("turned_away") or 0)
        out.append(Inject(
            float(r["t_full_s"]), f"Shelter {r['shelter']} full",
            f"Shelter {r['shelter']} ({name}) is full: {number(r['peak_occupancy'])} of "
            f"{number(r['capacity'])} places taken"
            + (f"; {number(turned)} persons will be turned away by the end of the run."
               if turned else "."), SIMULATION, f"shelter manager ({name})",
            "Stop admissions, report to the command post, send arrivals to the nearest shelter "
            "with room, ask for an overflow site",
            "Shelter capacity and status reporting (GB 21734-2008: > 1.5 m² per person)",
            table_ref("shelters", "shelter", r["shelter"])))
    return out


def _first_death(run: RunFolder) -> list[Inject]:
    ts = run.first_replication("timeseries")
    if ts is None or "fatalities" not in ts:
        return []
    dead = ts[ts["fatalities"] > 0]
    if not len(dead):
        return []
    row = dead.iloc[0]
    return [Inject(float(row["t_s"]), "First fatalities reported",
                   f"{number(row['fatalities'])} persons reported dead by "
                   f"T+{clock(row['t_s'])}.", SIMULATION,
                   "incident commander; health bureau",
                   "Confirm the casualty count, inform the health bureau, review the protective "
                   "action for the area", "Casualty reporting",
                   table_ref("timeseries", "t_s", float(row["t_s"])))]


def _hazard_events(run: RunFolder) -> list[Inject]:
    out = []
    for name, table in run.tables.items():
        if not (name == "events" or name.endswith("_events")):
            continue
        if not {"t_s", "event"} <= set(table.columns):
            continue
        for i, r in enumerate(table.to_dict("records")):
            if pd.isna(r["t_s"]):
                continue

            def text(key: str, default: str = "", r: dict[str, Any] = r) -> str:
                value = r.get(key)
                return default if value is None or pd.isna(value) or value == "" else str(value)

            out.append(Inject(float(r["t_s"]), text("event"), text("text", text("event")),
                              f"{SIMULATION} ({name})", text("to", "incident commander"),
                              text("expected_action"), text("objective"),
                              text("ref", f"{name}.parquet:row={i}")))
    return out


SOURCES = (_scripted, _out_of_service, _warnings, _road_closures, _underpasses, _hazard_events,
           _calls, _shelters, _first_death)
"""Where injects come from, in the order that breaks ties at the same time."""


def injects_of_run(run: RunFolder) -> list[Inject]:
    """Every inject within the run, ordered by scenario time (ties: by :data:`SOURCES` order)."""
    end_s = float((run.scenario.get("run") or {}).get("duration") or math.inf)
    injects = [inject for source in SOURCES for inject in source(run)
               if inject.t_s <= end_s + 1e-9]
    order = sorted(range(len(injects)), key=lambda k: (injects[k].t_s, k))
    return [injects[k] for k in order]


def build_msel(run: RunFolder | Path) -> pd.DataFrame:
    """The MSEL of a run folder (:data:`MSEL_COLUMNS`), one row per inject, in time order.

    Parameters
    ----------
    run
        A run folder, or its path.

    Returns
    -------
    pandas.DataFrame
    """
    if not isinstance(run, RunFolder):
        run = read_run(Path(run))
    rows = [{
        "inject_no": k + 1, "scenario_time_s": round(j.t_s, 1), "scenario_time": clock(j.t_s),
        "event": j.event, "inject_text": j.text, "from": j.sender, "to": j.to,
        "expected_action": j.expected_action, "objective": j.objective, "source_ref": j.ref,
        "observed_time": "", "notes": "",
    } for k, j in enumerate(injects_of_run(run))]
    return pd.DataFrame(rows, columns=MSEL_COLUMNS)


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def write_msel(msel: pd.DataFrame, out_dir: Path, *, title: str) -> list[Path]:
    """Write ``msel.csv`` and ``msel.md`` (atomically).

    Parameters
    ----------
    msel
        :func:`build_msel`.
    out_dir
        Destination folder.
    title
        Heading of the Markdown file (the scenario's name).

    Returns
    -------
    list of Path
    """
    out_dir = Path(out_dir)
    csv = write_atomic(out_dir / "msel.csv", lambda p: msel.to_csv(p, index=False,
                                                                    encoding="utf-8-sig"))
    cols = ["inject_no", "scenario_time", "event", "inject_text", "from", "to",
            "expected_action", "objective", "source_ref", "observed_time", "notes"]
    lines = [f"# Master Scenario Events List: {title}", "",
             f"{len(msel)} injects in scenario time (T+hh:mm:ss from the start of the run). "
             "`source_ref` names the row of the result table each inject comes from. Enter "
             "the time each expected action was observed in `observed_time` (in msel.csv) and "
             "run `citysim drill --compare msel.csv`.", "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_md_cell(r[c]) for c in cols) + " |"
              for r in msel.to_dict("records")]
    text = "\n".join(lines) + "\n"
    md = write_atomic(out_dir / "msel.md", lambda p: p.write_text(text, encoding="utf-8"))
    return [csv, md]


def write_timeline(results_dir: Path, out_dir: Path | None = None) -> tuple[pd.DataFrame,
                                                                            list[Path]]:
    """Build the MSEL of a run folder and write it (``msel.csv``, ``msel.md``).

    Parameters
    ----------
    results_dir
        A run's result folder.
    out_dir
        Where to write; default ``results_dir``.

    Returns
    -------
    msel : pandas.DataFrame
    paths : list of Path
    """
    from citysim.report.results import folder_kind

    if folder_kind(Path(results_dir)) != "run":
        from citysim.errors import ScenarioError

        raise ScenarioError("a drill timeline is made from one run's results, not a batch or "
                            "sweep: give one of its runs/<run_id> folders", source=results_dir)
    run = read_run(Path(results_dir))
    msel = build_msel(run)
    paths = write_msel(msel, Path(out_dir) if out_dir is not None else Path(results_dir),
                       title=run.scenario.get("name", Path(results_dir).name))
    return msel, paths
