"""Run every registered benchmark and print one line each.

Usage::

    python -m benchmarks.run            # full size
    python -m benchmarks.run --quick    # smaller problems, a few seconds
    python -m benchmarks.run --size smoke --repeats 1   # tiny, just "does it run"
    python -m benchmarks.run --only dijkstra --repeats 9 --json benchmarks/out/bench.json

A benchmark is a function ``(size, repeats) -> BenchResult`` registered with
:func:`benchmarks.common.register` in any module ``benchmarks/bench_*.py``
(found and imported automatically).  It times citysim and a reference implementation of the same
computation in the same process, best of ``repeats`` after a warm-up call,
and says whether both gave the same answer.  ``ratio = reference / citysim``:
above 1 means citysim is faster.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from dataclasses import asdict
from pathlib import Path

from benchmarks.common import Benchmark, BenchResult, registered

SIZES = ("full", "quick", "smoke")


def discover() -> dict[str, Benchmark]:
    """Import every ``benchmarks/bench_*.py`` and return the registry (sorted by name)."""
    package = Path(__file__).resolve().parent
    for info in pkgutil.iter_modules([str(package)]):
        if info.name.startswith("bench_"):
            importlib.import_module(f"benchmarks.{info.name}")
    return registered()


def run_all(
    size: str = "full", repeats: int = 7, only: str | None = None
) -> dict[str, BenchResult]:
    """Run the registered benchmarks whose name contains ``only`` (all by default)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    results = {}
    for name, fn in discover().items():
        if only is None or only in name:
            results[name] = fn(size, repeats)
    return results


def _fmt_time(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:8.3f} s "
    return f"{seconds * 1e3:8.2f} ms"


def format_line(name: str, r: BenchResult) -> str:
    """One line: name, citysim, reference, ratio, target, PASS/MISS, first call, description."""
    if r.skipped:
        return f"{name:<24} SKIP  {r.description}"
    verdict = "PASS" if r.passed else "MISS"
    if not r.agree:
        verdict = "WRONG"
    return (
        f"{name:<24} citysim {_fmt_time(r.ours_s)}  reference {_fmt_time(r.ref_s)}  "
        f"ratio {r.ratio:6.2f}  target >= {r.target_ratio:4.2f}  {verdict:<5}  "
        f"first call +{r.first_call_s:6.2f} s  | {r.description}"
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller problems (--size quick)")
    parser.add_argument("--size", choices=SIZES, default="full", help="problem size preset")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats per side")
    parser.add_argument("--only", help="run only benchmarks whose name contains this")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    size = "quick" if args.quick else args.size
    results: dict[str, BenchResult] = {}
    print(f"citysim benchmarks ({size}, best of {args.repeats}; ratio = reference / citysim)")
    for name, fn in discover().items():
        if args.only is not None and args.only not in name:
            continue
        r = fn(size, args.repeats)
        results[name] = r
        print(format_line(name, r), flush=True)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            name: {**asdict(r), "ratio": r.ratio, "passed": r.passed}
            for name, r in results.items()
        }
        args.json.write_text(json.dumps({"size": size, "results": payload}, indent=2))
    if any(not r.agree for r in results.values()):
        return 1
    if args.strict and any(not (r.passed or r.skipped) for r in results.values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
