"""Stage times of the speed issue's run: imports, model, recording, tables, figures.

Usage::

    python -m benchmarks.issue_run [--residents 300000] [--out /tmp/issue-run]

A 60 x 60 grid of 150 m blocks (14,160 edges), 300,000 walkers (one person
per agent) going to 4 shelters, 1 h at dt = 5 s, plots on. Prints the time
of each stage of one run in this process: the imports of the run path, the
model (``simulate``; the time inside the DataCollector apart), writing the
tables, and drawing the figures. The numba kernels are loaded (or compiled)
by a tiny run first, outside the timing. Not a benchmark entry: it has no
reference; docs/benchmarks.md ("Speed") reports what it printed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

SCENARIO = """\
name: speed-issue
run: {{duration: {duration}, dt: 5s, seed: 7}}
city:
  network:
    synthetic: {{kind: grid, rows: {side}, cols: {side}, block_m: 150, arterial_every: 5}}
  population: {{residents: {residents}, persons_per_agent: 1}}
shelters:
  - {{id: S1, location: {{x: {a}, y: {a}}}, capacity: {capacity}}}
  - {{id: S2, location: {{x: {b}, y: {a}}}, capacity: {capacity}}}
  - {{id: S3, location: {{x: {a}, y: {b}}}, capacity: {capacity}}}
  - {{id: S4, location: {{x: {b}, y: {b}}}, capacity: {capacity}}}
behaviour:
  warnings: [{{at: 0, reach: 1.0}}]
  response_delay: {{dist: lognormal, median: 5min, sigma: 0.6}}
  compliance: 0.9
  action: evacuate
  mode_share: {{walk: 1.0, car: 0.0}}
outputs: {{every: 1min, plots: true}}
"""


def issue_scenario(residents: int = 300_000, side: int = 60, duration: str = "1h") -> str:
    """The speed issue's scenario (YAML), or the same town at another size."""
    extent = (side - 1) * 150.0
    return SCENARIO.format(residents=residents, side=side, duration=duration,
                           a=round(0.25 * extent), b=round(0.75 * extent),
                           capacity=max(1, residents // 3))


def main(argv: list[str] | None = None) -> None:
    """Run the issue's scenario once and print its stage times."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.issue_run",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=300_000)
    parser.add_argument("--out", type=Path, default=None, help="result folder (default: a temp)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    import mesa

    from citysim.results import write_results
    from citysim.scenario import load_scenario_text
    from citysim.simulation import simulate
    imports_s = time.perf_counter() - t0

    recording = [0.0]
    collect = mesa.DataCollector.collect

    def timed(self: mesa.DataCollector, model: mesa.Model) -> None:
        t = time.perf_counter()
        collect(self, model)
        recording[0] += time.perf_counter() - t

    mesa.DataCollector.collect = timed  # type: ignore[method-assign]
    simulate(load_scenario_text(issue_scenario(100), base_dir=".",
                                overrides=["run.duration=60"]))  # kernels loaded
    recording[0] = 0.0
    scenario = load_scenario_text(issue_scenario(args.residents), base_dir=".")
    with tempfile.TemporaryDirectory(prefix="citysim-issue-run-") as tmp:
        out = args.out or Path(tmp)
        t1 = time.perf_counter()
        result = simulate(scenario)
        t2 = time.perf_counter()
        write_results(result, out / "tables", plots=False)
        t3 = time.perf_counter()
        write_results(result, out / "with-plots", plots=True)
        t4 = time.perf_counter()
    print(f"imports {imports_s:.2f} s, model {t2 - t1:.2f} s (recording {recording[0]:.3f} s), "
          f"tables {t3 - t2:.2f} s, tables and figures {t4 - t3:.2f} s; "
          f"evacuated {result.summary['evacuated']:,} of {args.residents:,}")


if __name__ == "__main__":
    main()
