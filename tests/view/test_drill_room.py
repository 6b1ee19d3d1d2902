"""The drill room in a real browser: play, close a road by clicking it, save, replay.

Drives Debian's Chromium (``/usr/bin/chromium``) through Playwright's Python
package with its ``executable_path`` (Playwright's own browser download is
not used). Like the report's browser test, it fails (never skips) when
Chromium is missing (``scripts/test`` installs it).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml

from citysim.cli import main
from citysim.metrics import summarize_model
from citysim.rng import world_streams
from citysim.scenario import load_scenario
from citysim.scenario.injects import load_injects
from citysim.view.mapdata import MapGeometry
from citysim.view.session import DrillModel
from citysim.world.builder import build_world
from tests.report.browser import chromium
from tests.view.drill_city import DRILL_CITY


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, server: subprocess.Popen, timeout_s: float = 120.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        assert server.poll() is None, server.stdout.read() if server.stdout else "server died"
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout_s} s")


def _replayed_live(scenario, injects) -> dict:
    """A live session applying the saved injects at their times, run to the end."""
    model = DrillModel(scenario)
    pending = sorted(injects.injects, key=lambda j: j.at)
    while model.running:
        while pending and abs(pending[0].at - model.t_s) < 1e-9:
            j = pending.pop(0)
            model.add_inject(**{j.kind: j.as_yaml()[j.kind]})
        model.step()
    model.finish()
    return json.loads(json.dumps(summarize_model(model, wall_time_s=0.0)))


@pytest.mark.slow
def test_drill_room_close_a_road_in_the_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "drill.yaml"
    path.write_text(DRILL_CITY.replace("duration: 16min", "duration: 60min"))
    out = tmp_path / "session"
    scenario = load_scenario(path)
    geo = MapGeometry.of(build_world(scenario, world_streams(int(scenario.run.seed))).network)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "citysim.cli", "view", str(path), "--port",
                               str(port), "--out", str(out)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/", server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(".closed-count[data-closed='0']").wait_for(timeout=120_000)
            page.get_by_role("button", name="▶").click()  # play
            page.get_by_role("button", name="❚❚").wait_for(timeout=30_000)
            time.sleep(1.0)
            page.get_by_role("button", name="❚❚").click()  # pause
            canvas = page.locator(".citysim-map canvas.live")
            box = canvas.bounding_box()
            assert box is not None
            x1, y1, x2, y2 = geo.streets[12]
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            # a real mouse click on the middle of street 12 on the map's canvas
            page.mouse.click(box["x"] + mx, box["y"] + my)
            page.locator(".closed-count[data-closed='1']").wait_for(timeout=60_000)
            assert page.locator(".closed-count").get_attribute("data-streets") == "12"
            # ... drawn closed: the canvas is red (#d50000, dashed) along its middle
            page.wait_for_function(f"""() => {{
                const ctx = document.querySelector('.citysim-map canvas.live').getContext('2d');
                for (let k = 0; k <= 20; k++) {{
                    const f = 0.3 + 0.02 * k;
                    const p = ctx.getImageData({x1} + f * ({x2} - {x1}), {y1} + f * ({y2} - {y1}),
                                               1, 1).data;
                    if (p[0] > 180 && p[1] < 80 && p[2] < 80) {{ return true; }}
                }}
                return false; }}""", timeout=30_000)
            page.locator(".injects-log").wait_for(timeout=30_000)
            assert "close road" in page.locator(".injects-log").inner_text()
            records = int(page.locator(".kpi-charts").get_attribute("data-records") or 0)
            assert records >= 2  # the KPI charts follow the run
            page.get_by_role("button", name="Step").click()
            page.get_by_role("button", name="Save injects").click()
            page.locator(".injects-message").wait_for(timeout=30_000)
            page.screenshot(path=str(tmp_path / "drill-room.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.communicate(timeout=30)  # reads and closes its output pipe
    file = out / "injects.yaml"
    saved = yaml.safe_load(file.read_text())
    assert [next(k for k in j if k != "at") for j in saved["injects"]] == ["close_road"]
    assert saved["injects"][0]["at"] > 0  # the road was closed while the scenario ran
    assert main(["run", str(path), "--injects", str(file), "--out", str(tmp_path / "replay"),
                 "--no-progress"]) == 0
    replayed = json.loads((tmp_path / "replay" / "summary.json").read_text())
    live = _replayed_live(scenario, load_injects(file))
    assert {k: v for k, v in replayed.items() if k != "wall_time_s"} == \
        {k: v for k, v in live.items() if k != "wall_time_s"}
    assert replayed["road_closure_edges_closed"] >= 1
