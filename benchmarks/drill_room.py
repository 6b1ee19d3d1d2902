"""Drill-room map updates per second on a 100,000-resident city (issue #20; not a test).

    python -m benchmarks.drill_room                  # 100,000 residents, server and browser
    python -m benchmarks.drill_room --residents 20000 --seconds 10
    python -m benchmarks.drill_room --no-browser     # the server side only

Runs the district drill (``scenarios/district-drill.yaml``, 20 x 20 blocks)
with ``city.population.residents`` set and ``run.dt=5s``.

**Server side**: steps it to the middle of the evacuation (30 min, when
residents are everywhere: at home, on the streets, in shelters), then times,
best of ``--repeats``, a map update (:func:`citysim.view.mapdata.map_frame`
plus its JSON, what the drill room computes per redraw) and one model step
followed by a map update.

**In the browser** (the issue's bar): starts ``citysim view`` on a free
loopback port, opens the page in Debian's headless Chromium (Playwright with
its executable path), presses play and counts, for ``--seconds``, the map
updates the page itself shows (a ``MutationObserver`` on the map's scenario
clock, ``data-t`` of ``.citysim-map``: each new value is one redraw seen in
the page), and how much scenario time went by. Target: at least 10 map updates
per second while the model runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from citysim.scenario import load_scenario
from citysim.view.mapdata import MapGeometry, map_frame
from citysim.view.session import DrillModel

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "district-drill.yaml"
TARGET_PER_S = 10.0
"""Map updates per second the drill room must reach."""
COUNTER = """() => {
  window.__updates = []; let last = null;
  const seen = () => {
    const map = document.querySelector('.citysim-map');
    const t = map ? map.getAttribute('data-t') : null;
    if (t !== null && t !== last) { last = t; window.__updates.push([performance.now(), +t]); }
  };
  new MutationObserver(seen).observe(document.body, {subtree: true, childList: true,
                                                     attributes: true, characterData: true});
}"""
"""Page script: record (time, scenario time) of every new map clock the page shows."""


def _best(fn, frames: int, repeats: int) -> float:
    """Best of ``repeats`` mean times of ``frames`` calls (s)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(frames):
            fn()
        best = min(best, (time.perf_counter() - t0) / frames)
    return best


def server_side(overrides: list[str], frames: int, repeats: int) -> None:
    """Print the server's cost of a map update, with and without a step before it."""
    model = DrillModel(load_scenario(SCENARIO, overrides=overrides))
    geo = MapGeometry.of(model.world.network)
    while model.t_s < 1800.0:
        model.step()

    def update() -> None:
        json.dumps(map_frame(model, geo))

    def step_and_update() -> None:
        model.step()
        update()

    frame_s = _best(update, frames, repeats)
    both_s = _best(step_and_update, frames, repeats)
    payload_kb = len(json.dumps(map_frame(model, geo))) / 1024
    static_kb = len(json.dumps(geo.streets)) / 1024
    print(f"drill room, {len(model.residents):,} agents, {model.world.network.n_nodes:,} nodes, "
          f"{len(geo.streets):,} streets")
    print(f"  server: map update    {frame_s * 1e3:7.1f} ms  {1 / frame_s:7.1f} /s  "
          f"({payload_kb:.1f} KiB of JSON per update; streets {static_kb:.0f} KiB, sent once)")
    print(f"  server: step + update {both_s * 1e3:7.1f} ms  {1 / both_s:7.1f} /s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def in_browser(overrides: list[str], seconds: float) -> float:
    """Map updates per second the page shows while the model plays."""
    from playwright.sync_api import sync_playwright

    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)),
               None)
    if exe is None:
        raise SystemExit("headless Chromium is needed: apt-get install chromium")
    port = _free_port()
    sets = [a for o in overrides for a in ("--set", o)]
    server = subprocess.Popen([sys.executable, "-m", "citysim.cli", "view", str(SCENARIO), *sets,
                               "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(600):
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url)
            page.locator(".citysim-map").wait_for(timeout=300_000)
            page.evaluate(COUNTER)
            page.get_by_role("button", name="▶").click()
            time.sleep(3.0)  # warm up: the first steps, the first charts
            start = page.evaluate("() => [performance.now(), window.__updates.length]")
            time.sleep(seconds)
            seen = page.evaluate("() => window.__updates")
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # a browser session still open: stop it hard
            server.kill()
            server.wait()
    window = [u for u in seen[start[1]:] if u[0] >= start[0]]
    rate = len(window) / seconds
    scenario_s = window[-1][1] - window[0][1] if len(window) > 1 else 0.0
    print(f"  browser: {len(window)} map updates in {seconds:g} s: {rate:5.1f} updates/s "
          f"({scenario_s / seconds:.0f} s of scenario time per second); target >= "
          f"{TARGET_PER_S:g} /s: {rate / TARGET_PER_S:.2f} x target, "
          f"{'PASS' if rate >= TARGET_PER_S else 'MISS'}")
    return rate


def main(argv: list[str] | None = None) -> int:
    """Print the rates; exit 1 when the browser (or, without one, the server) misses the target."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--residents", type=int, default=100_000)
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seconds", type=float, default=15.0, help="browser measurement window")
    p.add_argument("--no-browser", action="store_true", help="server side only")
    args = p.parse_args(argv)
    overrides = [f"city.population.residents={args.residents}", "run.dt=5s"]
    server_side(overrides, args.frames, args.repeats)
    if args.no_browser:
        return 0
    return 0 if in_browser(overrides, args.seconds) >= TARGET_PER_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
