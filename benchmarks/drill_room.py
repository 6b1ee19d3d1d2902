"""Drill-room map updates per second on a 100,000-resident city (issue #20; not a test).

    python -m benchmarks.drill_room                  # 100,000 residents
    python -m benchmarks.drill_room --residents 20000 --frames 20

Runs the district drill (``scenarios/district-drill.yaml``, 20 x 20 blocks)
with ``city.population.residents`` set, steps it to the middle of the
evacuation (30 min, when residents are everywhere: at home, on the streets,
in shelters), then times, best of ``--repeats``:

- **map update**: :func:`citysim.view.mapdata.map_frame` plus the JSON the
  browser receives (what the drill room computes per redraw);
- **step + map update**: one model step then a map update, the rate the map
  can follow a running model redrawn after every step.

Target: at least 10 map updates per second (the issue's bar).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from citysim.scenario import load_scenario
from citysim.view.mapdata import MapGeometry, map_frame
from citysim.view.session import DrillModel

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "district-drill.yaml"
TARGET_PER_S = 10.0
"""Map updates per second the drill room must reach."""


def _best(fn, frames: int, repeats: int) -> float:
    """Best of ``repeats`` mean times of ``frames`` calls (s)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(frames):
            fn()
        best = min(best, (time.perf_counter() - t0) / frames)
    return best


def main(argv: list[str] | None = None) -> int:
    """Print the rates; exit 1 when the map update misses the target."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--residents", type=int, default=100_000)
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    scenario = load_scenario(SCENARIO, overrides=[
        f"city.population.residents={args.residents}", "run.dt=5s"])
    model = DrillModel(scenario)
    geo = MapGeometry.of(model.world.network)
    while model.t_s < 1800.0:
        model.step()

    def update() -> None:
        json.dumps(map_frame(model, geo))

    def step_and_update() -> None:
        model.step()
        update()

    frame_s = _best(update, args.frames, args.repeats)
    both_s = _best(step_and_update, args.frames, args.repeats)
    payload_kb = len(json.dumps(map_frame(model, geo))) / 1024
    verdict = "PASS" if 1 / frame_s >= TARGET_PER_S else "MISS"
    print(f"drill room, {len(model.residents):,} agents, {model.world.network.n_nodes:,} nodes, "
          f"{len(geo.streets):,} streets")
    print(f"  map update          {frame_s * 1e3:7.1f} ms  {1 / frame_s:7.1f} /s  "
          f"target >= {TARGET_PER_S:g} /s  {verdict}  ({payload_kb:.0f} KiB of JSON)")
    print(f"  step + map update   {both_s * 1e3:7.1f} ms  {1 / both_s:7.1f} /s")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
