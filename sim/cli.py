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
from typing import Literal, NoReturn

from citysim.errors import ScenarioError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """An argument parser that exits with code 2 and no traceback on bad arguments."""

    def error(self, message: str) -> NoReturn:  # noqa: D102
        self.print_usage(sys.stderr)
        print(f"citysim: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    from citysim import __version__

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
    optimize = sub.add_parser("optimize", help="place shelters or stations by a location model; "
                                               "compare current and proposed plans by simulation")
    scenario_args(optimize)
    what = optimize.add_mutually_exclusive_group(required=True)
    what.add_argument("--shelters", type=int, metavar="N",
                      help="open N candidate shelters (candidates.shelters)")
    what.add_argument("--stations", type=int, metavar="N",
                      help="open N candidate stations (candidates.stations)")
    optimize.add_argument("--model", choices=("pmedian", "mclp", "lscp", "mexclp"), default=None,
                          help="location model (default: pmedian with capacities for shelters, "
                               "mclp for stations; lscp: at most N sites covering all; mexclp: "
                               "stations with busy units)")
    optimize.add_argument("--replications", type=int, default=None, metavar="R",
                          help="replications of each plan, >= 2, same seeds for both (default: "
                               "run.replications, or 5 when it is 1)")
    optimize.add_argument("--standard", default=None, metavar="DURATION",
                          help="coverage standard (default: 10min walk for shelters, "
                               "response.standard for stations)")
    optimize.add_argument("--keep-existing", action=argparse.BooleanOptionalAction, default=True,
                          help="keep the existing sites and add N (default); with "
                               "--no-keep-existing choose N among existing and candidate sites")
    optimize.add_argument("--busy-fraction", type=float, default=None, metavar="Q",
                          help="mexclp: probability that a unit is busy (default: estimated "
                               "from the background calls)")
    optimize.add_argument("--out", type=Path, default=None,
                          help="result folder (default: results/<name>-optimize)")
    optimize.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    for verb, about in (("batch", "variants x replications, resumable, on Dask"),
                       ("sweep", "global sensitivity of KPIs (SALib Sobol / Morris)"),
                       ("calibrate", "fit parameters to an observed curve, distribution or KPI")):
        exp = sub.add_parser(verb, help=about)
        exp.add_argument("experiment", type=Path, help=f"experiment YAML file (kind: {verb})")
        where = exp.add_mutually_exclusive_group()
        where.add_argument("--workers", type=int, default=None, metavar="N",
                           help="worker processes of a local Dask cluster (default: one per "
                                "core; 0: make the runs in this process)")
        where.add_argument("--scheduler", default=None, metavar="ADDR",
                           help="join a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (its "
                                "workers must see the result folder at the same path)")
        exp.add_argument("--out", type=Path, default=None,
                         help="result folder (default: the experiment's out, else "
                              "results/<experiment file name>)")
        exp.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    report = sub.add_parser("report", help="one self-contained HTML report of a run, batch or "
                                           "sweep folder")
    report.add_argument("results_dir", type=Path, help="a run, batch or sweep results folder")
    report.add_argument("--out", type=Path, default=None,
                        help="HTML file to write (default: RESULTS_DIR/report.html)")
    drill = sub.add_parser("drill", help="drill timeline (MSEL) from a run; compare the times "
                                         "observed in the exercise")
    drill.add_argument("scenario", type=Path, nargs="?", default=None,
                       help="scenario YAML file to run (or use --from / --compare)")
    drill.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="KEY.PATH=VALUE", help="override a scenario value (repeatable)")
    drill.add_argument("--seed", type=int, default=None, help="replace run.seed")
    drill.add_argument("--from", dest="from_dir", type=Path, default=None, metavar="RESULTS_DIR",
                       help="make the timeline from a run's saved results instead of running")
    drill.add_argument("--compare", type=Path, default=None, metavar="MSEL.csv",
                       help="after the exercise: compare the observed_time entered in the "
                            "timeline with the simulated times")
    drill.add_argument("--tolerance", default="2min", metavar="DURATION",
                       help="--compare: a difference up to this is on time (default 2min)")
    drill.add_argument("--out", type=Path, default=None,
                       help="folder of the run and the timeline (default: outputs.dir, else "
                            "results/<name>; with --from: RESULTS_DIR)")
    drill.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def _load(args: argparse.Namespace):
    from citysim.scenario import load_scenario

    return load_scenario(args.scenario, overrides=args.overrides, seed=args.seed)


def _validate(args: argparse.Namespace) -> int:
    from citysim.model import build_hazards
    from citysim.runner import world_streams
    from citysim.world.builder import build_world

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
    from citysim.runner import HEADLINE_KPIS, run_scenario

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
    from citysim.scenario import format_duration, parse_duration
    from citysim.world.sites import UNIT_TYPES

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

    from citysim.analysis.coverage import run_coverage

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


def _experiment(args: argparse.Namespace):
    from citysim.errors import Problem
    from citysim.experiments import load_experiment

    experiment = load_experiment(args.experiment)
    if experiment.kind != args.verb:
        raise ScenarioError([Problem("kind", f"citysim {args.verb} needs kind: {args.verb}, "
                                             f"got {experiment.kind}")],
                            source=args.experiment)
    if args.workers is not None and args.workers < 0:
        raise ScenarioError([Problem("--workers", f"expected 0 or more, got {args.workers}")])
    return experiment


def _runs_line(result) -> str:
    n, made, failed = len(result.table), result.made, result.failed
    return (f"{n} runs ({made} made now, {len(set(result.table['run_id'])) - made} found "
            f"finished): {n - failed} ok, {failed} failed")


def _failures(result) -> int:
    failed = result.table[result.table["status"] != "ok"]
    if failed.empty:
        return EXIT_OK
    first = failed.iloc[0]
    print(f"  first failure: run {first['run_id']}: {first['error']}", file=sys.stderr)
    return EXIT_FAILED


def _batch(args: argparse.Namespace) -> int:
    from citysim.experiments import run_batch

    experiment = _experiment(args)
    result = run_batch(experiment, out=args.out, workers=args.workers, scheduler=args.scheduler,
                       progress=not args.no_progress)
    print(f"{args.experiment}: {_runs_line(result)}; results in {result.out_dir / 'batch.parquet'}")
    table = result.table[result.table["status"] == "ok"]
    kpis = [k for k in ("evacuated", "evacuation_time_p90_s", "fatalities", "shelter_overflow",
                        "response_time_p90_s") if k in table and table[k].notna().any()]
    if kpis and list(experiment.vary):
        firsts = result.table.groupby("variant").first()
        for variant, row in firsts.iterrows():
            text = ", ".join(f"{path}={row[path]}" for path in experiment.vary)
            print(f"  variant {variant}: {text if len(text) <= 96 else text[:93] + '...'}")
        means = table.groupby("variant")[kpis].mean()
        print("  mean over replications, by variant:")
        print("  " + means.to_string(float_format=lambda v: f"{v:,.1f}").replace("\n", "\n  "))
    return _failures(result)


def _sweep(args: argparse.Namespace) -> int:
    from citysim.experiments.sweep import INDEX_NAMES, run_sweep

    experiment = _experiment(args)
    result = run_sweep(experiment, out=args.out, workers=args.workers, scheduler=args.scheduler,
                       progress=not args.no_progress)
    print(f"{args.experiment}: {_runs_line(result)}; indices in "
          f"{result.out_dir / 'indices.csv'}")
    for output, rows in result.indices.groupby("output", sort=False):
        note = rows["note"].iloc[0]
        if note:
            print(f"  {output}: {note}")
            continue
        print(f"  {output}:")
        for _, row in rows.iterrows():
            values = "  ".join(f"{name} {row[name]:.3g}" for name in INDEX_NAMES[experiment.method])
            print(f"    {row['parameter']:<40} {values}")
    return _failures(result)


def _calibrate(args: argparse.Namespace) -> int:
    from citysim.experiments.calibrate import run_calibration

    experiment = _experiment(args)
    result = run_calibration(experiment, out=args.out, workers=args.workers,
                             scheduler=args.scheduler, progress=not args.no_progress)
    print(f"{args.experiment}: {len(result.trials)} parameter sets tried, {_runs_line(result)}; "
          f"results in {result.out_dir}")
    print(f"  best (loss {result.loss:.4g}):")
    for name, value in result.best.items():
        print(f"    {name} = {value:.4g}")
    return _failures(result)


def _optimize(args: argparse.Namespace) -> int:
    from citysim.placement.optimize import run_optimize
    from citysim.scenario import parse_duration

    standard_s = None
    if args.standard is not None:
        try:
            standard_s = parse_duration(args.standard)
        except ValueError as err:
            raise ScenarioError(f"{args.standard!r}: {err}", path="--standard") from None
    kind: Literal["shelters", "stations"] = (
        "shelters" if args.shelters is not None else "stations")
    n_new = args.shelters if kind == "shelters" else args.stations
    scenario = _load(args)
    out_dir = args.out or Path("results") / f"{scenario.name}-optimize"
    run = run_optimize(scenario, kind=kind, n_new=n_new, model=args.model,
                       replications=args.replications, keep_existing=args.keep_existing,
                       standard_s=standard_s, busy_fraction=args.busy_fraction, out_dir=out_dir,
                       progress=not args.no_progress)
    rep = run.report
    kept = rep["parameters"]["fixed"]
    print(f"{scenario.name}: {rep['model']} opens {len(rep['chosen'])} {kind}: "
          + ", ".join(f"{s['id']} ({s['name']})" for s in rep["chosen_sites"])
          + (f"; keeps {', '.join(kept)}" if kept else "") + f"; results in {out_dir}")
    print(f"  {rep['objective_name']} = {_format(rep['objective'])}")
    paper = rep["paper"]
    print(f"  on paper (normal network)    {'current':>12}  {'proposed':>12}")
    for key, value in paper["current"].items():
        print(f"    {key:<26} {_format(value):>12}  {_format(paper['proposed'][key]):>12}")
    print(f"  simulated, {rep['replications']} replications with common seeds: "
          "proposed - current (95 % interval)")
    for row in run.comparison.itertuples(index=False):
        if row.pairs == 0:
            print(f"    {row.kpi:<34} not measured")
            continue
        print(f"    {row.kpi:<34} {_format(row.current_mean):>9} -> "
              f"{_format(row.proposed_mean):<9} {row.difference_mean:+,.4g} "
              f"({row.difference_ci95_low:+,.4g} .. {row.difference_ci95_high:+,.4g})  "
              f"{row.verdict}")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from citysim.report.html import write_report

    path = write_report(args.results_dir, args.out)
    print(f"report: {path}")
    return EXIT_OK


def _drill(args: argparse.Namespace) -> int:
    given = [name for name, value in (("SCENARIO", args.scenario), ("--from", args.from_dir),
                                      ("--compare", args.compare)) if value is not None]
    if len(given) != 1:
        print("citysim drill: give exactly one of SCENARIO, --from RESULTS_DIR or --compare "
              f"MSEL.csv (got {', '.join(given) or 'none'})", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.compare is not None:
        from citysim.drill.compare import compare_msel, summary_lines, write_comparison
        from citysim.scenario import parse_duration

        try:
            tolerance_s = parse_duration(args.tolerance)
        except ValueError as err:
            print(f"citysim drill: --tolerance {args.tolerance!r}: {err}", file=sys.stderr)
            return EXIT_BAD_INPUT
        comparison = compare_msel(args.compare, tolerance_s=tolerance_s)
        paths = write_comparison(comparison, args.compare)
        print("\n".join(summary_lines(comparison)))
        print(f"written: {', '.join(str(p) for p in paths)}")
        return EXIT_OK
    from citysim.drill.msel import write_timeline

    results = args.from_dir
    if results is None:
        from citysim.runner import run_scenario

        scenario = _load(args)
        results = args.out or scenario.outputs.dir or Path("results") / scenario.name
        run_scenario(scenario, out_dir=results, progress=not args.no_progress)
    msel, paths = write_timeline(results, args.out)
    print(f"{len(msel)} injects from {results}: {', '.join(str(p) for p in paths)}")
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
    verbs = {"run": _run, "validate": _validate, "coverage": _coverage, "batch": _batch,
             "sweep": _sweep, "calibrate": _calibrate, "optimize": _optimize,
             "report": _report, "drill": _drill}
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
