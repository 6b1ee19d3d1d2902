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
from citysim.scenario import load_scenario
from citysim.scenario.injects import load_injects
from citysim.view.session import DrillModel
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
            box = page.locator("line[data-street='12']").bounding_box()
            assert box is not None
            # a real mouse click on the middle of the street (a horizontal SVG line has a
            # bounding box of height 0, which Playwright's element click calls invisible)
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.locator(".closed-count[data-closed='1']").wait_for(timeout=60_000)
            assert page.locator("line.closed").count() == 1
            assert page.locator("line[data-street='12']").get_attribute("class") == \
                "street closed"
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
    live = _replayed_live(load_scenario(path), load_injects(file))
    assert {k: v for k, v in replayed.items() if k != "wall_time_s"} == \
        {k: v for k, v in live.items() if k != "wall_time_s"}
    assert replayed["road_closure_edges_closed"] >= 1
