"""``citysim report``: one self-contained HTML page per run, batch or sweep."""

import base64
import json
from html.parser import HTMLParser

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats

from citysim.app.run import run
from citysim.cli import main
from citysim.report.html import attributions, write_report
from citysim.report.kpis import headline
from citysim.report.variants import compare_variants
from citysim.scenario import load_scenario
from tests.report.browser import open_page
from tests.scenarios import write_scenario


class Links(HTMLParser):
    """Every src/href of a page, the <link> and <script src> tags, the section ids."""

    def __init__(self):
        super().__init__()
        self.urls, self.sections, self.links = [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.urls += [a[k] for k in ("src", "href") if a.get(k)]
        self.links += tag == "link"
        if tag == "section":
            self.sections.append(a["id"])


def b64(path):
    return base64.b64encode(path.read_bytes()).decode("ascii")


def test_run_report_has_everything_and_needs_no_network(storm):
    out, folder = storm
    path = write_report(folder)
    assert path == folder / "report.html"
    page = path.read_text(encoding="utf-8")
    pngs = sorted((folder / "plots").glob("*.png"))
    assert len(pngs) >= 6  # city map, states, evacuation, shelters, response, units ...
    for png in pngs:  # every figure, byte for byte
        assert b64(png) in page, png.name
    assert b64(folder / "animation.gif") in page
    links = Links()
    links.feed(page)
    assert links.links == 0 and all(u.startswith(("data:", "#")) for u in links.urls)
    assert "http://" not in page.replace("https://www.openstreetmap.org", "")
    assert links.sections == ["scenario", "kpis", "figures", "shelters", "stations", "incidents",
                              "hazards", "drill", "gis", "all-kpis", "provenance"]
    for shelter in out.shelters["shelter"]:
        assert f"<td>{shelter}</td>" in page
    assert "<td>F1</td>" in page and "Corner station" in page
    assert "≤ 3.0 min" in page  # the scenario's own standard, not a default
    assert out.provenance["scenario_hash"] in page
    msel = pd.read_csv(folder / "msel.csv", encoding="utf-8-sig")
    assert all(ref in page for ref in msel["source_ref"])  # the whole timeline
    index = json.loads((folder / "gis" / "index.json").read_text())
    assert all(f"gis/{layer['file']}" in page for layer in index["layers"].values())
    for key in out.summary:  # every KPI of summary.json
        assert f"<td>{key}</td>" in page, key


def test_report_opens_in_headless_chromium_without_errors(storm, tmp_path):
    _, folder = storm
    report = write_report(folder)
    seen = open_page(report, tmp_path)
    figures = len(list((folder / "plots").glob("*.png"))) + 1  # + the animation
    assert seen.loaded
    assert seen.images == figures and seen.broken == 0
    assert seen.errors == "" and seen.console == []


def test_the_browser_check_catches_a_broken_figure(storm, tmp_path):
    # the check above can fail: a figure that does not decode is counted
    _, folder = storm
    page = write_report(folder).read_text(encoding="utf-8")
    broken = tmp_path / "broken.html"
    broken.write_text(page.replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1),
                      encoding="utf-8")
    seen = open_page(broken, tmp_path)
    assert seen.loaded and seen.broken == 1


def test_scenario_in_plain_words_and_verdicts(storm):
    out, folder = storm
    page = write_report(folder).read_text(encoding="utf-8")
    assert "3,000 residents (1,000 agents of 3 persons)" in page
    assert "rain peaking at 180 mm/h from 5min to 45min" in page
    assert "2 public shelters with 5,240 places" in page
    assert "LORRY Lorry across Ring Road" in page and "from 20min to 1h" in page
    rows = {r.key: r for r in headline(out.summary, out.provenance["scenario"])}
    p90 = out.summary["response_time_p90_s"]
    assert rows["response_time_p90_s"].met is (p90 <= 180.0)
    assert rows["fatalities"].met is (out.summary["fatalities"] == 0)
    assert rows["shelter_places_fraction"].met  # 5,240 places for 3,000 residents
    assert rows["shelter_m2_per_person"].met is None  # no shelter gives its area


def test_shelter_area_standard_is_checked_when_areas_are_known():
    scenario = {"response": {"standard": 300.0},
                "shelters": [{"capacity": 100, "area_m2": 200.0},
                             {"capacity": 100, "area_m2": 120.0},
                             {"capacity": None, "area_m2": 300.0, "m2_per_person": 1.5}]}
    summary = {"residents_total": 1000, "response_time_p90_s": 301.0}
    rows = {r.key: r for r in headline(summary, scenario)}
    assert rows["shelter_m2_per_person"].met is False  # 1.2 m² < 1.5 (GB 21734-2008)
    assert rows["shelter_m2_per_person"].value == "1.20 m²"
    assert rows["response_time_p90_s"].met is False
    assert rows["shelter_places_fraction"].value == "40.0 %"  # 100 + 100 + 300 / 1.5
    assert rows["shelter_places_fraction"].met is True  # 40 % >= 15 %
    scenario["shelters"] = scenario["shelters"][2:]  # sized by its area: 1.5 m² each
    rows = {r.key: r for r in headline(summary, scenario)}
    assert rows["shelter_m2_per_person"].met is True
    assert rows["shelter_places_fraction"].met is True  # 20 %


def test_variant_interval_is_student_t_over_successful_runs():
    table = pd.DataFrame({
        "run_id": list("abcdefg"), "variant": [0, 0, 0, 1, 1, 1, 1],
        "replication": [0, 1, 2, 0, 1, 2, 3], "seed": range(7),
        "behaviour.compliance": [0.5] * 3 + [1.0] * 4,
        "status": ["ok"] * 6 + ["failed"], "error": [None] * 6 + ["boom"],
        "evacuated": [1.0, 2.0, 3.0, 10.0, 10.0, 10.0, np.nan],
    })
    cmp = compare_variants(table).set_index("variant")
    half = stats.t.ppf(0.975, 2) * 1.0 / np.sqrt(3)  # sd 1, n 3: 4.3027 / sqrt(3)
    assert cmp.loc[0, "evacuated_mean"] == pytest.approx(2.0)
    assert cmp.loc[0, "evacuated_ci95_high"] - 2.0 == pytest.approx(half, rel=1e-12)
    assert half == pytest.approx(2.4841, abs=1e-4)
    assert cmp.loc[1, "runs_ok"] == 3 and cmp.loc[1, "runs_failed"] == 1
    assert cmp.loc[1, "evacuated_ci95_low"] == cmp.loc[1, "evacuated_ci95_high"] == 10.0
    assert cmp.loc[1, "behaviour.compliance"] == 1.0


BATCH_SET = ["behaviour.warnings=[{at: 60, reach: 1.0}]",
             "behaviour.response_delay={dist: fixed, value: 60}",
             "response.background_calls.rate_per_h=12", "outputs.plots=false"]


def make_batch(root, scenario_path):
    """A batch folder as `citysim batch` writes it (SCENARIO_SPEC.md): runs/ + batch.parquet."""
    rows = []
    for v, compliance in enumerate((0.4, 1.0)):
        for r in range(3):
            run_id = f"v{v}r{r}"
            seed = 100 + r
            scenario = load_scenario(scenario_path, overrides=[
                *BATCH_SET, f"behaviour.compliance={compliance}"], seed=seed)
            out = run(scenario, out=root / "runs" / run_id)
            rows.append({"run_id": run_id, "variant": v, "replication": r, "seed": seed,
                         "behaviour.compliance": compliance, "status": "ok", "error": None,
                         **out.summary})
    rows.append({"run_id": "v1r3", "variant": 1, "replication": 3, "seed": 103,
                 "behaviour.compliance": 1.0, "status": "failed",
                 "error": "Traceback (most recent call last):\nValueError: boom"})
    pd.DataFrame(rows).to_parquet(root / "batch.parquet", index=False)
    (root / "provenance.json").write_text(json.dumps({
        "experiment": {"kind": "batch", "base": str(scenario_path)}, "base_seed": 100,
        "replications": 4, "started_utc": "2026-01-01T00:00:00+00:00"}))
    return pd.DataFrame(rows)


def test_batch_report_compares_variants(tmp_path):
    batch = make_batch(tmp_path, write_scenario(tmp_path))
    assert main(["report", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "2 variants × 4 replications = 7 runs (1 failed)" in page
    assert "variant 0<br><small>behaviour.compliance = 0.4" in page
    ok = batch[batch["status"] == "ok"]
    for v in (0, 1):  # the mean shown is the mean of the variant's successful runs
        values = ok.loc[ok["variant"] == v, "evacuated"].astype(float)
        assert f"{values.mean():,.0f}" in page
    assert ok.loc[ok["variant"] == 1, "evacuated"].mean() > ok.loc[
        ok["variant"] == 0, "evacuated"].mean()  # more comply, more leave
    assert "ValueError: boom" in page  # the failed run, its error's last line
    assert page.count('<img src="data:image/png;base64,') == 1  # the comparison figure
    assert "A synthetic grid city of 8 x 8 intersections" in page  # base scenario in words


def test_sweep_report_shows_the_indices_and_their_figures(tmp_path):
    table = pd.DataFrame({"run_id": ["a", "b", "c"], "sample": [0, 1, 2],
                          "replication": [0, 0, 0], "seed": [1, 1, 1],
                          "behaviour.compliance": [0.5, 0.7, 0.9], "status": ["ok"] * 3,
                          "error": [None] * 3, "evacuated": [10.0, 20.0, 30.0]})
    table.to_parquet(tmp_path / "batch.parquet", index=False)
    pd.DataFrame({"parameter": ["behaviour.compliance"], "output": ["evacuated"],
                  "method": ["sobol"], "S1": [0.8123], "S1_conf": [0.05], "ST": [0.9345],
                  "ST_conf": [0.04]}).to_csv(tmp_path / "indices.csv", index=False)
    fig = Figure()
    fig.subplots().bar(["compliance"], [0.8])
    (tmp_path / "plots").mkdir()
    fig.savefig(tmp_path / "plots" / "indices_evacuated.png")
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "citysim sweep report" in page
    assert "0.812" in page and "0.934" in page
    assert b64(tmp_path / "plots" / "indices_evacuated.png") in page
    assert "Sensitivity indices of evacuated." in page
    assert "3 sample points × 1 replications = 3 runs (0 failed)" in page


def test_report_of_a_folder_that_is_not_results_exits_2(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a results folder" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing")]) == 2


def test_attributions_come_from_provenance():
    prov = {"world": {"network": {"source": {"attribution": "© OpenStreetMap contributors"}}},
            "data": [{"licence": "CC BY 4.0"}],
            "scenario": {"city": {"network": {"osm": "/data/city.osm.pbf"}}}}
    found = attributions(prov)
    assert found[:2] == ["© OpenStreetMap contributors", "CC BY 4.0"]
    assert any("ODbL" in a for a in found)


def test_report_draws_the_figures_a_run_did_not_and_writes_markdown(tmp_path):
    scenario = load_scenario(write_scenario(tmp_path), overrides=[
        *BATCH_SET, "behaviour.compliance=1.0"])
    run(scenario, out=tmp_path / "out")
    assert not (tmp_path / "out" / "plots").exists()  # outputs.plots: false
    page = write_report(tmp_path / "out").read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "plots").exists()  # the run's own figures stay the run's
    drawn = sorted(p.name for p in (tmp_path / "out" / "report_figures").glob("*.png"))
    assert drawn == ["evacuation_curve.png", "residents_by_state.png", "response_times.png",
                     "shelter_loads.png", "unit_availability.png"]
    for name in drawn:
        png = tmp_path / "out" / "report_figures" / name
        assert mpimg.imread(png).shape[0] > 100 and b64(png) in page
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert all(f"](report_figures/{name})" in markdown for name in drawn)
    # issue #21: a report written elsewhere leaves the result folder as it was, links work
    before = sorted(p.name for p in (tmp_path / "out").rglob("*"))
    write_report(tmp_path / "out", tmp_path / "elsewhere" / "r.html")
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == before
    markdown = (tmp_path / "elsewhere" / "r.md").read_text(encoding="utf-8")
    assert all(f"](r_figures/{name})" in markdown for name in drawn)
    assert (tmp_path / "elsewhere" / "r_figures" / drawn[0]).is_file()
    assert "| Fatalities | 0 (0.0 %) | 0 | met |" in markdown


def test_report_of_replications_shows_intervals(tmp_path):
    scenario = load_scenario(write_scenario(tmp_path), overrides=[
        *BATCH_SET, "behaviour.compliance=0.5", "run.replications=3"])
    out = run(scenario, out=tmp_path / "out")
    page = write_report(tmp_path / "out").read_text(encoding="utf-8")
    evacuated = out.summary["evacuated"]
    assert evacuated["n"] == 3 and evacuated["ci95_low"] < evacuated["ci95_high"]
    assert (f"{evacuated['mean']:,.0f} ({evacuated['mean'] / 5003:.1%}"[:-2] in page)
    assert f"(95 % CI {evacuated['ci95_low']:,.0f} – {evacuated['ci95_high']:,.0f})" in page
    assert "Means over 3 replications with Student-t 95 % intervals." in page
    assert "Replication 0 of 3." in page  # the tables show one replication, and say so
