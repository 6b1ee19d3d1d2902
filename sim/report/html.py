"""``citysim report``: one self-contained HTML page of a run, a batch or a sweep.

The page needs nothing but itself: figures are embedded as base64 PNG (and
the animation as GIF), the style sheet is inline, there is no script and no
link to the network. It opens in any browser, prints, and can be mailed.

A **run** report has the scenario in plain words, the headline KPIs against
the standards (:mod:`citysim.report.kpis`), every figure in ``plots/`` (and the
animation), the per-shelter, per-station and incident tables, each hazard's
own tables, the drill timeline and GIS layers when they were made, every
KPI, and the provenance (versions, seed, git commit, data attributions).
A **batch** report compares the variants (mean and Student-t 95 % interval
over replications of each KPI, a figure); a **sweep** report shows the
sensitivity indices and their figures. A shorter ``report.md`` goes beside
the page (figures linked, not embedded), and a run that drew no figures
gets those its saved tables allow.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from citysim.humanize import clock, is_number, minutes, number, percent
from citysim.io.atomic import replace_folder, write_atomic
from citysim.metrics import within_standard
from citysim.plots.fonts import add_cjk_fallback
from citysim.report.describe import describe_scenario
from citysim.report.fonts import embedded_font_css
from citysim.report.kpis import COMPARED_KPIS, headline, response_standard_s
from citysim.report.results import (
    ExperimentFolder,
    RunFolder,
    folder_kind,
    read_experiment,
    read_run,
)

__all__ = ["REPORT_NAME", "attributions", "draw_missing_figures", "report_html", "write_report"]

REPORT_NAME = "report.html"
"""File name of the report in the results folder."""
MAX_EMBEDDED_GIF_BYTES = 25_000_000
"""A larger animation is linked (it sits beside the report) rather than embedded."""
TABLE_ROWS = 15
"""Rows shown of a long table (the file has them all)."""
CORE_TABLES = ("timeseries", "incidents", "shelters", "stations", "probes", "replications")
"""Tables every run has; the others are the hazards' own."""
CAPTIONS = {
    "city_map": "The city: roads by class, residents per km², shelters and fire stations.",
    "residents_by_state": "Residents by state over the run.",
    "evacuation_curve": "Residents in shelters and on the way, by mode, with the median and "
                        "90th-percentile evacuation times.",
    "shelter_loads": "Shelter loads against capacity, and when each shelter filled.",
    "evacuation_time_map": "Mean evacuation time by home.",
    "response_times": ("Response times (call to first arrival: queue wait, turnout and "
                       "travel) against the standard."),
    "unit_availability": "Units free and busy over the run.",
    "coverage_map": "Arrival time of the first engine at each intersection; districts.",
    "flood_max_depth": "Deepest water over the run, with the roads it closed.",
    "flood_timeline": "Rain, water on the ground and roads closed over the run.",
}
"""Captions of the standard figures, by file stem."""

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","citysim CJK",
"Noto Sans CJK SC",sans-serif;margin:0;color:#1f2a33;background:#fff;line-height:1.45}
header{background:#1f3a4d;color:#fff;padding:1.4rem 2rem}
header h1{margin:0 0 .3rem;font-size:1.7rem}header p{margin:.15rem 0;opacity:.9}
nav{background:#eef2f5;padding:.5rem 2rem;font-size:.9rem;border-bottom:1px solid #d5dde3}
nav a{margin-right:1rem;color:#1f3a4d;text-decoration:none}
main{padding:0 2rem 3rem;max-width:1200px}
h2{border-bottom:2px solid #1f3a4d;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.85rem}
th,td{border:1px solid #d5dde3;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.met td.verdict{color:#1e8449;font-weight:600}tr.unmet td.verdict{color:#c0392b;
font-weight:600}dl.words{display:grid;grid-template-columns:8rem 1fr;gap:.3rem 1rem}
dl.words dt{font-weight:600}dl.words dd{margin:0}
figure{margin:1rem 0 2rem;page-break-inside:avoid}figure img{max-width:100%;
border:1px solid #d5dde3}figcaption{font-size:.85rem;color:#4a5a66}
.note{font-size:.85rem;color:#4a5a66}small{color:#4a5a66}
code{font-size:.85em;background:#f3f5f7;padding:0 .2em}
.scroll{overflow-x:auto;max-width:100%}.scroll table{margin:.2rem 0 .4rem}
td{word-break:keep-all}
@page{size:A4;margin:14mm}
@media print{nav{display:none}header{background:none;color:#000}
.scroll{overflow:visible}table{font-size:7.5pt}th,td{padding:1px 3px}
figure,tr,li{break-inside:avoid}h2{break-after:avoid}img{max-width:100%;height:auto}}
"""


# -- formatting ------------------------------------------------------------------------------


def _e(text: Any) -> str:
    return html.escape(str(text))


def _cell(column: str, value: Any) -> tuple[str, bool]:
    """A table cell's text and whether it is a number (right-aligned)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—", False
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), False
    if is_number(value):
        if column.startswith("t_") and column.endswith("_s"):
            return clock(value), True
        if column.endswith("_s"):
            return minutes(value), True
        if column.endswith("_fraction") or column in ("unit_utilization", "load_fraction"):
            return percent(value), True
        return number(value), True
    return str(value), False


def _table(df: pd.DataFrame, *, columns: list[str] | None = None,
           max_rows: int | None = None, note: str = "",
           headers: dict[str, str] | None = None) -> str:
    """An HTML table of a DataFrame, numbers formatted by the column's unit suffix.

    ``headers``: the heading shown for a column (default its name). The table
    sits in a box that scrolls sideways when it is wider than the page.
    """
    if df is None:
        return ""
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    shown = df if max_rows is None else df.head(max_rows)
    head = "".join(f"<th>{_e((headers or {}).get(c, c))}</th>" for c in cols)
    body = []
    for row in shown[cols].itertuples(index=False, name=None):
        cells = []
        for c, v in zip(cols, row, strict=True):
            text, num = _cell(c, v)
            cells.append(f"<td class=num>{_e(text)}</td>" if num else f"<td>{_e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows is not None and len(df) > max_rows:
        more = f"<p class=note>First {max_rows} of {number(len(df))} rows.{note}</p>"
    elif note:
        more = f"<p class=note>{note.strip()}</p>"
    return (f"<div class=scroll><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>" + more)


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _figure(data: bytes, caption: str, *, mime: str = "image/png", name: str = "") -> str:
    title = f" <code>{_e(name)}</code>" if name else ""
    return (f'<figure><img src="{_data_uri(data, mime)}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)}{title}</figcaption></figure>")


def _caption(stem: str) -> str:
    if stem in CAPTIONS:
        return CAPTIONS[stem]
    if stem.startswith("indices_"):
        return f"Sensitivity indices of {stem[len('indices_'):]}."
    return stem.replace("_", " ").capitalize() + "."


def _figures(paths: Iterable[Path]) -> str:
    return "".join(_figure(p.read_bytes(), _caption(p.stem), name=f"plots/{p.name}")
                   for p in paths)


def _fig_png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    add_cjk_fallback(fig).savefig(buffer, format="png")
    return buffer.getvalue()


def _section(anchor: str, title: str, body: str) -> tuple[str, str, str]:
    return anchor, title, body


def _page(title: str, lines: list[str], sections: list[tuple[str, str, str]]) -> str:
    nav = "".join(f'<a href="#{a}">{_e(t)}</a>' for a, t, b in sections if b)
    body = "".join(f'<section id="{a}"><h2>{_e(t)}</h2>{b}</section>' for a, t, b in sections
                   if b)
    sub = "".join(f"<p>{_e(line)}</p>" for line in lines if line)
    content = (f"<header><h1>{_e(title)}</h1>{sub}</header><nav>{nav}</nav>"
               f"<main>{body}</main>")
    # the glyphs of the Chinese text, for browsers without a CJK font (citysim.report.fonts)
    font = embedded_font_css(title + content)
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{font}{CSS}</style></head><body>"
            f"{content}</body></html>\n")


def _words(items: list[tuple[str, str]]) -> str:
    return ("<dl class=words>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
            + "</dl>")


# -- provenance ------------------------------------------------------------------------------


def attributions(provenance: dict[str, Any]) -> list[str]:
    """Data attributions and licences a result folder's provenance carries.

    Any string under a key naming an attribution or a licence, anywhere in
    ``provenance.json``; plus OpenStreetMap's when the roads came from OSM.
    """
    found: list[str] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and any(w in key.lower() for w in ("attribution", "licen")):
            found.append(value)

    walk(provenance, "")
    network = ((provenance.get("scenario") or {}).get("city") or {}).get("network") or {}
    if network.get("osm"):
        found.append("Road network © OpenStreetMap contributors, ODbL 1.0 "
                      "(https://www.openstreetmap.org/copyright)")
    return list(dict.fromkeys(found))


def _provenance(prov: dict[str, Any]) -> str:
    git = prov.get("git") or {}
    commit = git.get("commit")
    items = [
        ("scenario file", prov.get("scenario_file") or prov.get("experiment_file")),
        ("scenario SHA-256", prov.get("scenario_hash") or prov.get("base_scenario_hash")),
        ("overrides", " ".join(prov.get("overrides") or []) or "none"),
        ("seed", prov.get("seed", prov.get("base_seed"))),
        ("replications", prov.get("replications")),
        ("seed scheme", prov.get("seed_scheme")),
        ("started (UTC)", prov.get("started_utc")),
        ("wall time", minutes(prov.get("wall_time_s"))),
        ("citysim", (prov.get("versions") or {}).get("citysim")),
        ("git commit", f"{commit}{' (uncommitted changes)' if git.get('dirty') else ''}"
         if commit else "not a git checkout"),
        ("command", " ".join(str(c) for c in prov.get("command") or [])),
    ]
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in items
                   if v not in (None, ""))
    versions = prov.get("versions") or {}
    vrows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in versions.items())
    text = f"<table>{rows}</table><h3>Versions</h3><table>{vrows}</table>"
    world = prov.get("world")
    if world:
        frame = world.get("crs") or "local metres (no geographic reference)"
        text += (f"<h3>World</h3><p>Coordinate frame: <code>{_e(frame)}</code></p>"
                 f"<pre class=note>{_e(json.dumps(world, indent=1, default=str))}</pre>")
    credits = attributions(prov)
    text += "<h3>Data attributions</h3>" + (
        "<ul>" + "".join(f"<li>{_e(c)}</li>" for c in credits) + "</ul>" if credits
        else "<p class=note>No external data: the city is synthetic or the source names no "
             "attribution.</p>")
    return text


# -- a run -----------------------------------------------------------------------------------


def _headline(run: RunFolder) -> str:
    rows = []
    for r in headline(run.summary, run.scenario):
        verdict = {True: "met", False: "not met", None: ""}[r.met]
        cls = {True: " class=met", False: " class=unmet", None: ""}[r.met]
        rows.append(f"<tr{cls}><td>{_e(r.label)}</td><td class=num>{_e(r.value)}</td>"
                    f"<td>{_e(r.standard)}</td><td class=verdict>{verdict}</td></tr>")
    note = (f"<p class=note>Means over {run.replications} replications with Student-t 95 % "
            "intervals.</p>" if run.replications > 1 else "")
    return ("<table><thead><tr><th>KPI</th><th>value</th><th>standard</th><th>verdict</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}")


def _rep_note(run: RunFolder) -> str:
    return f" Replication 0 of {run.replications}." if run.replications > 1 else ""


def _shelters(run: RunFolder) -> str:
    table = run.first_replication("shelters")
    if table is None or not len(table):
        return "<p>No public shelters.</p>"
    table = table.copy()
    table["load_fraction"] = table["peak_occupancy"] / table["capacity"].where(
        table["capacity"] > 0)
    cols = ["shelter", "name", "kind", "capacity", "peak_occupancy", "load_fraction",
            "arrivals", "turned_away", "t_full_s"]
    return _table(table, columns=cols, note=_rep_note(run))


def _stations(run: RunFolder) -> str:
    table = run.first_replication("stations")
    if table is None or not len(table):
        return "<p>No fire stations.</p>"
    cols = ["station", "name", "units", "turnout_s", "first_arrivals", "response_time_p50_s",
            "response_time_p90_s", "within_standard_fraction", "unit_utilization"]
    return _table(table, columns=cols, note=_rep_note(run))


def _incidents(run: RunFolder) -> str:
    inc = run.first_replication("incidents")
    if inc is None or not len(inc):
        return "<p>No incidents.</p>"
    standard = response_standard_s(run.scenario)
    t_end = float((run.scenario.get("run") or {}).get("duration") or math.inf)
    rows = []
    for kind, g in inc.groupby("kind", sort=True):
        rt = g["response_time_s"].dropna().astype(float)
        rows.append({"kind": kind, "incidents": len(g), "reached": int(rt.size),
                     "response_p50_s": rt.median() if rt.size else None,
                     "response_p90_s": rt.quantile(0.9) if rt.size else None,
                     "within_standard_fraction": within_standard(g, standard, t_end),
                     "queued": int(g["queued"].fillna(False).sum()),
                     "lost": int(g["lost"].fillna(False).sum()) if "lost" in g else 0})
    slow = inc.sort_values("response_time_s", ascending=False, na_position="last")
    cols = ["incident", "kind", "t_call_s", "t_dispatch_s", "t_arrive_s", "station", "unit",
            "response_time_s", "queued"]
    cols[-1:-1] = [c for c in ("queue_wait_s", "turnout_s", "travel_s") if c in inc]
    return (_table(pd.DataFrame(rows), note=_rep_note(run))
            + "<p>A response time runs from the call to the first unit's arrival: the wait "
            "for a free unit, its turnout and its travel (MODELS.md, Response); the "
            "standard is judged on it. Station coverage counts from dispatch.</p>"
            + "<h3>Slowest responses</h3>"
            + _table(slow, columns=cols, max_rows=10))


def _hazard_tables(run: RunFolder) -> str:
    parts = []
    for name, table in run.tables.items():
        if name in CORE_TABLES:
            continue
        parts.append(f"<h3><code>{_e(name)}.parquet</code> ({number(len(table))} rows)</h3>"
                     + _table(table, max_rows=TABLE_ROWS))
    return "".join(parts)


def _animation(run: RunFolder) -> str:
    gif = run.path / "animation.gif"
    if not gif.is_file():
        return ""
    if gif.stat().st_size > MAX_EMBEDDED_GIF_BYTES:
        return (f"<p>The animation is too large to embed ({gif.stat().st_size / 1e6:.0f} MB): "
                "<code>animation.gif</code> beside this report.</p>")
    mp4 = " and <code>animation.mp4</code>" if (run.path / "animation.mp4").is_file() else ""
    return (_figure(gif.read_bytes(), "The run as it unfolds: hazard, residents by state, units "
                    "and shelters (green empty, red full).", mime="image/gif",
                    name="animation.gif") + (f"<p class=note>Also{mp4} in the folder.</p>"
                                             if mp4 else ""))


def _drill(run: RunFolder) -> str:
    msel = run.path / "msel.csv"
    if not msel.is_file():
        return ""
    table = pd.read_csv(msel, dtype=str, keep_default_na=False)
    cols = ["inject_no", "scenario_time", "event", "to", "expected_action", "objective",
            "source_ref"]
    return ("<p>The Master Scenario Events List of <code>citysim drill</code> "
            "(<code>msel.csv</code>, <code>msel.md</code>).</p>" + _table(table, columns=cols))


def _gis(run: RunFolder) -> str:
    index = run.path / "gis" / "index.json"
    if not index.is_file():
        return ""
    info = json.loads(index.read_text())
    rows = pd.DataFrame([{"file": f"gis/{v['file']}", "features": v["features"],
                          "geometry": ", ".join(v["geometry"])}
                         for v in info.get("layers", {}).values()])
    return f"<p>Coordinates: {_e(info.get('crs'))}.</p>" + _table(rows)


def _all_kpis(run: RunFolder) -> str:
    rows = []
    for key, value in run.summary.items():
        if isinstance(value, dict):
            text = f"{_cell(key, value.get('mean'))[0]}"
            if value.get("n", 1) > 1:
                text += (f" ({_cell(key, value.get('ci95_low'))[0]} – "
                         f"{_cell(key, value.get('ci95_high'))[0]})")
        else:
            text = _cell(key, value)[0]
        rows.append({"kpi": key, "value": text})
    return _table(pd.DataFrame(rows))


def draw_missing_figures(run: RunFolder, plots: Path) -> list[Path]:
    """Draw the figures the saved tables allow into ``plots`` when the run drew none.

    A run made with ``outputs.plots: false`` still gets the time-series,
    shelter, response and unit figures (the maps need the city, which the
    folder does not keep). The run's folder is not written to. Returns the
    files written (``run.plots`` becomes them).
    """
    if run.plots:
        return []
    from citysim.plots import (
        plot_evacuation_curve,
        plot_response_times,
        plot_shelter_loads,
        plot_states,
        plot_unit_availability,
        save_figure,
    )
    from citysim.report.kpis import kpi_mean

    ts = run.first_replication("timeseries")
    if ts is None or not len(ts):
        return []
    total = int(kpi_mean(run.summary, "residents_total") or 0)
    written = [save_figure(plot_states(ts), plots / "residents_by_state.png"),
               save_figure(plot_evacuation_curve(
                   ts, total, p50_s=kpi_mean(run.summary, "evacuation_time_p50_s"),
                   p90_s=kpi_mean(run.summary, "evacuation_time_p90_s")),
                   plots / "evacuation_curve.png")]
    shelters = run.first_replication("shelters")
    if shelters is not None and len(shelters):
        written.append(save_figure(plot_shelter_loads(shelters, ts), plots / "shelter_loads.png"))
    incidents = run.first_replication("incidents")
    if incidents is not None and incidents["response_time_s"].notna().any():
        standard = response_standard_s(run.scenario)
        written.append(save_figure(plot_response_times(incidents, standard),
                                   plots / "response_times.png"))
    units = sum(int(n or 0) for st in run.scenario.get("stations") or []
                for n in (st.get("units") or {}).values())
    if units:
        written.append(save_figure(plot_unit_availability(ts, units),
                                   plots / "unit_availability.png"))
    run.plots = sorted(written)
    return written


def run_page(run: RunFolder) -> str:
    """The HTML page of one run folder."""
    sc = run.scenario
    prov = run.provenance
    lines = [sc.get("description", ""),
             f"Run {prov.get('started_utc', '')[:16].replace('T', ' ')} UTC · seed "
             f"{prov.get('seed')} · citysim {(prov.get('versions') or {}).get('citysim', '')}"]
    figures = _figures(run.plots) + _animation(run)
    sections = [
        _section("scenario", "The scenario", _words(describe_scenario(sc, prov.get("world"),
                                                                    run.summary))),
        _section("kpis", "Headline KPIs against the standards", _headline(run)),
        _section("figures", "Figures", figures or "<p>No figures (outputs.plots: false).</p>"),
        _section("shelters", "Shelters", _shelters(run)),
        _section("stations", "Fire stations", _stations(run)),
        _section("incidents", "Incidents", _incidents(run)),
        _section("hazards", "Hazard tables", _hazard_tables(run)),
        _section("drill", "Drill timeline", _drill(run)),
        _section("gis", "GIS layers", _gis(run)),
        _section("all-kpis", "Every KPI (summary.json)", _all_kpis(run)),
        _section("provenance", "Provenance", _provenance(prov)),
    ]
    return _page(f"citysim report: {sc.get('name', run.path.name)}", lines, sections)


# -- a batch or a sweep ----------------------------------------------------------------------


def _base_run(exp: ExperimentFolder) -> RunFolder | None:
    """The first finished run of the experiment (for its scenario in words)."""
    table = exp.table
    ok = table[table["status"] == "ok"] if "status" in table else table
    for run_id in ok.get("run_id", pd.Series(dtype=str)):
        folder = exp.run_dir(str(run_id))
        if (folder / "summary.json").is_file() and (folder / "provenance.json").is_file():
            return read_run(folder)
    return None


def _variants(exp: ExperimentFolder) -> tuple[str, str]:
    from citysim.report.variants import compare_variants, plot_variants, varied_columns

    col = exp.variant_column
    compared = compare_variants(exp.table, variant_column=col)
    kpis = [k for k in COMPARED_KPIS if f"{k}_mean" in compared]
    varied = varied_columns(exp.table)
    records = compared.to_dict("records")
    head = "".join(
        f"<th>{_e(col)} {_e(r[col])}<br><small>"
        + "<br>".join(f"{_e(v)} = {_e(_cell(v, r[v])[0])}" for v in varied)
        + "</small></th>" for r in records)
    body = []
    for k in kpis:
        cells = []
        for r in records:
            mean = _cell(k, r[f"{k}_mean"])[0]
            low, high = _cell(k, r[f"{k}_ci95_low"])[0], _cell(k, r[f"{k}_ci95_high"])[0]
            interval = f"<br><small>{_e(low)} – {_e(high)}</small>" if low != high else ""
            cells.append(f"<td class=num>{_e(mean)}{interval}</td>")
        body.append(f"<tr><th>{_e(k)}</th>{''.join(cells)}</tr>")
    runs = "".join(f"<td class=num>{int(r['runs_ok'])} ok"
                   + (f", {int(r['runs_failed'])} failed" if r["runs_failed"] else "") + "</td>"
                   for r in records)
    table = (f"<table><thead><tr><th>KPI</th>{head}</tr></thead><tbody>"
             f"<tr><th>runs</th>{runs}</tr>{''.join(body)}</tbody></table>"
             "<p class=note>Each cell: the mean over the variant's replications and its 95 % "
             "interval (Student t, as in summary.json); one replication gives no interval.</p>")
    figure = ""
    if kpis:
        figure = _figure(_fig_png(plot_variants(compared, kpis[:9], variant_column=col)),
                         "Variants compared: mean and 95 % interval of each KPI.")
    return table, figure


def _failed(exp: ExperimentFolder) -> str:
    table = exp.table
    if "status" not in table:
        return ""
    bad = table[table["status"] != "ok"].copy()
    if not len(bad):
        return "<p>Every run finished.</p>"
    bad["error"] = bad["error"].astype(str).str.strip().str.split("\n").str[-1]
    cols = ["run_id", exp.variant_column, "replication", "seed", "error"]
    return _table(bad, columns=cols, max_rows=50)


def experiment_page(exp: ExperimentFolder) -> str:
    """The HTML page of a batch or sweep folder."""
    from citysim.report.variants import varied_columns

    table = exp.table
    col = exp.variant_column
    n_var = table[col].nunique() if col in table else 0
    reps = table["replication"].nunique() if "replication" in table else 1
    failed = int((table["status"] != "ok").sum()) if "status" in table else 0

    def taken(column: str) -> str:
        """A batch's values of a varied path; a sweep's sampled range."""
        if exp.kind == "batch":
            return ", ".join(_e(_cell(column, x)[0]) for x in pd.unique(table[column]))
        return (f"{_e(_cell(column, table[column].min())[0])} – "
                f"{_e(_cell(column, table[column].max())[0])}")

    values = "".join(f"<li><code>{_e(v)}</code>: {taken(v)}</li>" for v in varied_columns(table))
    what = "variants" if exp.kind == "batch" else "sample points"
    intro = (f"<p>{number(n_var)} {what} × {number(reps)} replications = "
             f"{number(len(table))} runs ({number(failed)} failed).</p>"
             f"<p>Varied:</p><ul>{values}</ul>")
    base = _base_run(exp)
    if base is not None:
        intro += ("<h3>Base scenario (first run)</h3>"
                  + _words(describe_scenario(base.scenario, base.provenance.get("world"))))
    sections = [_section("experiment", "The experiment", intro)]
    if exp.kind == "batch":
        table_html, figure = _variants(exp)
        sections.append(_section("variants", "Variants compared", table_html + figure))
    else:
        sections.append(_section("indices", "Sensitivity indices", _table(
            exp.indices, note=" SALib's index names; *_conf are 95 % confidence half-widths.")))
    sections += [
        _section("figures", "Figures", _figures(exp.plots)),
        _section("runs", "Failed runs", _failed(exp)),
        _section("provenance", "Provenance", _provenance(exp.provenance)),
    ]
    experiment = exp.provenance.get("experiment") or {}
    lines = [f"{exp.kind.capitalize()} of {experiment.get('base', 'a scenario')}",
             f"Started {str(exp.provenance.get('started_utc', ''))[:16].replace('T', ' ')} UTC"
             if exp.provenance.get("started_utc") else ""]
    return _page(f"citysim {exp.kind} report: {exp.path.name}", lines, sections)


# -- Markdown --------------------------------------------------------------------------------


def _md_table(df: pd.DataFrame | None, columns: list[str] | None = None) -> list[str]:
    if df is None or not len(df):
        return []
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df[cols].itertuples(index=False, name=None):
        rows.append("| " + " | ".join(_cell(c, v)[0].replace("|", "\\|")
                                      for c, v in zip(cols, row, strict=True)) + " |")
    return [*rows, ""]


def run_markdown(run: RunFolder, where: Path | None = None) -> str:
    """A short Markdown report of a run: words, headline KPIs, figures (linked), tables.

    Links are relative to ``where``, the Markdown file's folder (default the run's).
    """
    base = run.path if where is None else where

    def link(path: Path) -> str:
        return Path(os.path.relpath(path, base)).as_posix()

    sc = run.scenario
    lines = [f"# citysim report: {sc.get('name', run.path.name)}", "", sc.get("description", ""),
             "", "## The scenario", ""]
    lines += [f"- **{k}**: {v}" for k, v in describe_scenario(sc, run.provenance.get("world"))]
    lines += ["", "## Headline KPIs against the standards", "",
              "| KPI | value | standard | verdict |", "|---|---|---|---|"]
    lines += [f"| {r.label} | {r.value} | {r.standard} | "
              f"{ {True: 'met', False: 'not met', None: ''}[r.met]} |"
              for r in headline(run.summary, sc)]
    lines += ["", "## Figures", ""]
    lines += [f"![{_caption(p.stem)}]({link(p)})" for p in run.plots]
    if (run.path / "animation.gif").is_file():
        lines.append(f"![The run as it unfolds]({link(run.path / 'animation.gif')})")
    lines += ["", "## Shelters", ""] + _md_table(run.first_replication("shelters"), [
        "shelter", "name", "capacity", "peak_occupancy", "turned_away", "t_full_s"])
    lines += ["## Fire stations", ""] + _md_table(run.first_replication("stations"), [
        "station", "name", "units", "first_arrivals", "response_time_p50_s",
        "response_time_p90_s", "within_standard_fraction", "unit_utilization"])
    return "\n".join(lines) + "\n"


def experiment_markdown(exp: ExperimentFolder) -> str:
    """A short Markdown report of a batch (variants compared) or a sweep (indices)."""
    lines = [f"# citysim {exp.kind} report: {exp.path.name}", ""]
    if exp.kind == "batch":
        from citysim.report.variants import compare_variants

        compared = compare_variants(exp.table, variant_column=exp.variant_column)
        keep = [c for c in compared.columns if not c.endswith(("_ci95_low", "_ci95_high"))]
        lines += ["## Variants compared (means; the HTML report has the 95 % intervals)", ""]
        lines += _md_table(compared, keep)
    else:
        lines += ["## Sensitivity indices", ""] + _md_table(exp.indices)
    lines += ["## Figures", ""]
    lines += [f"![{_caption(p.stem)}]({p.relative_to(exp.path).as_posix()})" for p in exp.plots]
    return "\n".join(lines) + "\n"


# -- entry point -----------------------------------------------------------------------------


def report_html(results_dir: Path) -> str:
    """The report page of a results folder (a run, a batch or a sweep)."""
    kind = folder_kind(Path(results_dir))
    if kind == "run":
        run = read_run(Path(results_dir))
        with tempfile.TemporaryDirectory(prefix="citysim-figures-") as figures:
            draw_missing_figures(run, Path(figures))
            return run_page(run)
    return experiment_page(read_experiment(Path(results_dir)))


def write_report(results_dir: Path, out: Path | None = None) -> Path:
    """Write ``report.html`` (and ``report.md`` beside it) of a results folder, atomically.

    A run that drew no figures gets those its tables allow, in
    ``<report name>_figures/`` beside the page (:func:`draw_missing_figures`),
    never in the run's own folders; nothing is written if the report fails.

    Parameters
    ----------
    results_dir
        A run, batch or sweep folder.
    out
        Destination of the HTML file; default ``<results_dir>/report.html``.
        The Markdown goes beside it with the suffix ``.md`` (its figures are
        links relative to the results folder).

    Returns
    -------
    Path
        The HTML file written.
    """
    results_dir = Path(results_dir)
    target = Path(out) if out is not None else results_dir / REPORT_NAME
    if folder_kind(results_dir) == "run":
        run = read_run(results_dir)
        if run.plots:
            page, markdown = run_page(run), run_markdown(run, target.parent)
        else:
            page, markdown = _with_drawn_figures(run, target)
    else:
        exp = read_experiment(results_dir)
        page, markdown = experiment_page(exp), experiment_markdown(exp)
    write_atomic(target.with_suffix(".md"), lambda p: p.write_text(markdown, encoding="utf-8"))
    return write_atomic(target, lambda p: p.write_text(page, encoding="utf-8"))


def _with_drawn_figures(run: RunFolder, target: Path) -> tuple[str, str]:
    """The page and Markdown of a run that drew no figures, with those its tables allow.

    They are drawn into ``<target stem>_figures/`` beside the page, built aside
    and swapped in once the page is made (:func:`citysim.io.atomic.replace_folder`).
    """
    folder = target.with_name(f"{target.stem}_figures")
    made: dict[str, str] = {}

    def build(staging: Path) -> None:
        draw_missing_figures(run, staging)
        made["page"] = run_page(run)
        run.plots = [folder / p.name for p in run.plots]
        made["markdown"] = run_markdown(run, target.parent)

    replace_folder(folder, build)
    if not run.plots:  # the tables allowed none
        folder.rmdir()
    return made["page"], made["markdown"]
