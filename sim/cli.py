"""The ``citysim`` command: parse, call the API, print, exit.

Exit codes: 0 ok, 1 a run failed, 2 bad input. Bad input never prints a
traceback: it prints what is wrong and where (the YAML path and line).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from sim.errors import ScenarioError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """An argument parser that exits with code 2 and no traceback on bad arguments."""

    def error(self, message: str) -> None:  # noqa: D102
        self.print_usage(sys.stderr)
        print(f"citysim: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    from sim import __version__

    p = _Parser(prog="citysim", description="Simulate a city in an emergency.")
    p.add_argument("--version", action="version", version=f"citysim {__version__}")
    sub = p.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    def scenario_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("scenario", type=Path, help="scenario YAML file")
        sp.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY.PATH=VALUE",
                        help="override a scenario value, e.g. --set behaviour.compliance=0.6 "
                             "or --set hazards[0].release.rate_kg_s=10 (repeatable)")
        sp.add_argument("--seed", type=int, default=None, help="replace run.seed")

    run = sub.add_parser("run", help="run a scenario (all its replications)")
    scenario_args(run)
    run.add_argument("--out", type=Path, default=None,
                     help="result folder (default: outputs.dir, else results/<name>)")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    validate = sub.add_parser("validate", help="check a scenario; list every problem")
    scenario_args(validate)
    coverage = sub.add_parser("coverage", help="station coverage of population and area; gaps map")
    scenario_args(coverage)
    coverage.add_argument("--standard", default=None, metavar="DURATION",
                          help="arrival standard after dispatch, e.g. 5min or 300 (default: "
                               "the scenario's response.standard, 5min unless it says otherwise)")
    coverage.add_argument("--unit", default="engine", metavar="TYPE",
                          help="unit type a station needs to count: engine (default), ladder, "
                               "rescue, hazmat or ambulance")
    coverage.add_argument("--at", default=None, metavar="TIME",
                          help="use the network as the scenario's hazards leave it at this time "
                               "of the run, e.g. 2h (default: the normal network)")
    coverage.add_argument("--out", type=Path, default=None,
                          help="result folder (default: results/<name>-coverage)")
    return p


def _load(args: argparse.Namespace):
    from sim.scenario import load_scenario

    return load_scenario(args.scenario, overrides=args.overrides, seed=args.seed)


def _validate(args: argparse.Namespace) -> int:
    from sim.model import build_hazards
    from sim.runner import world_streams
    from sim.world.builder import build_world

    scenario = _load(args)
    world = build_world(scenario, world_streams(scenario.run.seed))
    build_hazards(scenario, world, world_streams(scenario.run.seed))
    net = world.network
    print(f"{args.scenario}: ok — {scenario.name}: {net.n_nodes:,} nodes, {net.n_edges:,} edges, "
          f"{world.population.total:,} residents, {len(world.shelters)} shelters, "
          f"{len(world.stations)} stations, {len(scenario.hazards)} hazards")
    return EXIT_OK


def _format(value: object) -> str:
    if isinstance(value, dict):
        return (f"{_format(value['mean'])}  (95% CI {_format(value['ci95_low'])} .. "
                f"{_format(value['ci95_high'])})")
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


def _run(args: argparse.Namespace) -> int:
    from sim.runner import HEADLINE_KPIS, run_scenario

    scenario = _load(args)
    out_dir = args.out or scenario.outputs.dir or Path("results") / scenario.name
    out = run_scenario(scenario, out_dir=out_dir, progress=not args.no_progress)
    print(f"{scenario.name}: results in {out_dir}")
    width = max(len(k) for k in HEADLINE_KPIS)
    for key in HEADLINE_KPIS:
        if key in out.summary:
            print(f"  {key:<{width}}  {_format(out.summary[key])}")
    return EXIT_OK


def _coverage(args: argparse.Namespace) -> int:
    from sim.scenario import format_duration, parse_duration
    from sim.world.places import UNIT_TYPES

    times: dict[str, float | None] = {}
    for option, text, least in (("--standard", args.standard, "positive"),
                                ("--at", args.at, "non-negative")):
        if text is None:
            times[option] = None
            continue
        try:
            seconds = parse_duration(text)
        except ValueError as err:
            print(f"citysim coverage: {option} {text!r}: {err}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if not (seconds > 0 if least == "positive" else seconds >= 0):
            print(f"citysim coverage: {option} {text!r}: expected a {least} duration",
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        times[option] = seconds
    if args.unit not in UNIT_TYPES:
        print(f"citysim coverage: --unit {args.unit!r}: expected one of "
              f"{', '.join(UNIT_TYPES)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    scenario = _load(args)
    at_s = times["--at"]
    if at_s is not None and at_s > float(scenario.run.duration):
        print(f"citysim coverage: --at {args.at!r} is after the end of the run "
              f"(run.duration: {format_duration(scenario.run.duration)})", file=sys.stderr)
        return EXIT_BAD_INPUT

    from sim.analysis.coverage import run_coverage

    out_dir = args.out or Path("results") / f"{scenario.name}-coverage"
    run = run_coverage(scenario, standard_s=times["--standard"], unit=args.unit, at_s=at_s,
                       out_dir=out_dir)
    cov, rep = run.coverage, run.report
    std = format_duration(cov.standard_s)
    when = "normal network" if at_s is None else f"network at {format_duration(at_s)}"
    print(f"{scenario.name}: {cov.unit_type} coverage within {std} of dispatch (turnout + "
          f"driving), {when}; results in {out_dir}")

    def pct(value: float | None) -> str:
        return "—" if value is None or value != value else f"{100.0 * value:.1f} %"

    print(f"  residents      {pct(rep['coverage_fraction']):>8}  "
          f"({rep['population_covered']:,.0f} of {rep['population_total']:,.0f})")
    print(f"  road length    {pct(rep['area_fraction']):>8}  "
          f"({rep['road_km_covered']:,.1f} of {rep['road_km_total']:,.1f} km)")
    print(f"  area (raster)  {pct(rep['raster_area_fraction']):>8}  "
          "(of the network's bounding box)")
    for row in rep["stations"]:
        if not row["units"]:
            print(f"  {row['station']}: no {cov.unit_type}, not counted")
            continue
        latest = row["district_max_time_s"]
        flags = []
        if row["meets_time_standard"] is False:
            flags.append(f"edge of district beyond {std}")
        if not row["within_area_limit"]:
            flags.append(f"district over {row['area_limit_km2']:g} km²")
        print(f"  {row['station']}: district {row['district_population']:,.0f} residents "
              f"({pct(row['district_covered_fraction'])} covered), "
              f"{row['district_area_km2']:.1f} km², {row['district_road_km']:.1f} km of road; "
              f"edge of district at {'—' if latest is None else f'{latest / 60.0:.1f} min'}"
              + (f"  [{'; '.join(flags)}]" if flags else ""))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``citysim`` console script.

    Parameters
    ----------
    argv
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code.
    """
    args = _parser().parse_args(argv)
    verbs = {"run": _run, "validate": _validate, "coverage": _coverage}
    try:
        return verbs[args.verb](args)
    except ScenarioError as err:
        if getattr(args, "scenario", None) is not None:  # the file as the user named it
            err = err.with_source(args.scenario)
        print(err.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("citysim: interrupted", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # output piped into a command that stopped reading (head)
        sys.stdout = None  # nothing more can be written there
        return EXIT_OK
    except Exception as exc:  # a bug or a failed run, not bad input: keep the trace
        traceback.print_exc(file=sys.stderr)
        print(f"citysim: the run failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
