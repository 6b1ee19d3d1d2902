"""The static QRA at the issue's scale on Dask: 73 sites x 3 LOC x 6 weather x 12 directions.

Usage::

    python -m benchmarks.risk_static [--workers 2] [--sites 73] [--residents 400000]

A 40 x 40 grid of 200 m blocks (8 km x 8 km) with 400,000 residents, and
73 chemical sites (chlorine, ammonia, hydrogen sulphide, sulphur dioxide,
hydrogen chloride; 2-80 t each) along its west and south edges and in a
few clusters inside it, each with the Purple Book's three loss-of-containment
scenarios, the Purple Book's six weather classes and 12 wind sectors:
1,314 footprints, 31,536 events. ``citysim risk`` (:func:`citysim.app.risk.run_risk`)
runs it on a ``LocalCluster`` of ``--workers`` processes into a fresh
folder (no part found finished), after a small run that loads numba's
compiled kernels (outside the timing). Prints the wall time of the whole
call (building the city, the parts on the cluster, combining and writing
every output), the parallel share (the wall time of the parts over the
whole), how busy the workers were during it, and the time of a second call
that finds every part finished (a resumed run). Target (issue #18): under
2 minutes on 2 cores. Not a benchmark entry: it has no reference;
docs/benchmarks.md and docs/risk.md report what it printed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

SUBSTANCES = ("chlorine", "ammonia", "H2S", "sulfur dioxide", "hydrogen chloride")
"""The sites' substances, in turn."""
SIDE, BLOCK_M = 40, 200.0
"""Blocks per side of the grid city, and their size (m)."""


def write_files(folder: Path, sites: int, residents: int) -> Path:
    """The base city and the risk file of the benchmark; returns the risk file."""
    city = {"name": "risk-bench", "run": {"duration": "10min", "dt": "10s", "seed": 3},
            "city": {"network": {"synthetic": {"kind": "grid", "rows": SIDE + 1,
                                               "cols": SIDE + 1, "block_m": BLOCK_M,
                                               "arterial_every": 5}},
                     "population": {"residents": residents, "persons_per_agent": 10}}}
    (folder / "city.yaml").write_text(yaml.safe_dump(city))
    size = SIDE * BLOCK_M
    sources = []
    for i in range(sites):
        if i < 30:  # a belt along the west edge
            xy = (-300.0 - 150.0 * (i % 3), 200.0 + i * size / 30)
        elif i < 55:  # and along the south edge
            xy = (200.0 + (i - 30) * size / 25, -300.0 - 150.0 * (i % 2))
        else:  # clusters inside the city
            xy = (1500.0 + 400.0 * ((i - 55) % 6), 4000.0 + 600.0 * ((i - 55) // 6))
        sources.append({"id": f"P{i + 1}", "location": {"x": xy[0], "y": xy[1]},
                        "substance": SUBSTANCES[i % len(SUBSTANCES)],
                        "inventory_kg": 2000.0 + 78000.0 * ((i * 37) % 73) / 72})
    risk = {"kind": "risk", "base": "city.yaml", "mode": "static", "sources": sources,
            "weather": {"sectors": 12, "terrain": "urban"},
            "receptors": [{"id": "centre", "location": {"x": size / 2, "y": size / 2}}],
            "out": "out"}
    path = folder / "risk.yaml"
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sites", type=int, default=73)
    parser.add_argument("--residents", type=int, default=400_000)
    args = parser.parse_args(argv)
    from citysim.app.risk import run_risk

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        warm = folder / "warm"
        warm.mkdir()
        run_risk(write_files(warm, 2, 2000), out=warm / "out", workers=0)  # kernels loaded
        path = write_files(folder, args.sites, args.residents)
        t0 = time.perf_counter()
        outcome = run_risk(path, out=folder / "out", workers=args.workers)
        total = time.perf_counter() - t0
        t1 = time.perf_counter()
        again = run_risk(path, out=folder / "out", workers=args.workers)
        resumed = time.perf_counter() - t1
    s, timing = outcome.result.summary, outcome.result.timing_s
    parts = timing["parts"]
    busy = timing["parts_busy"] / (max(args.workers, 1) * parts) if parts > 0 else 0.0
    print(f"{args.sites} sites, {s['footprints']} footprints, {s['events']} events, "
          f"{args.residents:,} residents, {args.workers} worker(s)")
    print(f"citysim risk: {total:.1f} s wall (target < 120 s); PLL {s['pll_per_year']:.3g} /yr")
    where = f"on {args.workers} worker(s)" if args.workers else "in this process"
    print(f"  the parts {where}: {parts:.1f} s wall = {parts / total:.0%} of the call "
          f"(the parallel share); workers busy {busy:.0%} of it "
          f"({timing['parts_busy']:.1f} s of compute)")
    print(f"  serial: {total - parts:.1f} s (city, setup {timing['setup']:.1f} s, combine "
          f"{timing['combine']:.1f} s, writing the outputs and starting the cluster)")
    print(f"again, every part found finished: {resumed:.1f} s "
          f"({len(again.result.parts_made)} part(s) made)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
