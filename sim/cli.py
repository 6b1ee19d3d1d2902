"""The ``citysim`` command: parse, call the application layer (:mod:`citysim.app`), print, exit.

Exit codes: 0 ok, 1 a run failed, 2 bad input. Bad input never prints a
traceback: it prints what is wrong and where (the YAML path and line); a bad
option is reported as argparse reports its own (``citysim <verb>: error: ...``).
A failure prints one line with its cause; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from citysim.errors import ScenarioError

if TYPE_CHECKING:
    import pandas as pd

    from citysim.experiments.batch import ExperimentResult
    from citysim.scenario import Scenario

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _OptionError(Exception):
    """An option value refused after parsing: reported as argparse reports its own errors."""


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    from citysim import __version__

    p = argparse.ArgumentParser(prog="citysim", description="Simulate a city in an emergency.")
    p.add_argument("--version", action="version", version=f"citysim {__version__}")
    sub = p.add_subparsers(dest="verb", required=True)

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
    run.add_argument("--injects", type=Path, default=None, metavar="FILE",
                     help="apply a drill-room session's injects file (citysim view saves it); "
                          "same seed: the session bit for bit")
    view = sub.add_parser("view", help="the drill room: watch and steer a running scenario in "
                                       "the browser")
    scenario_args(view)
    view.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                                                          "127.0.0.1: this machine only)")
    view.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    view.add_argument("--out", type=Path, default=None,
                      help="folder the session's injects.yaml is saved into (default: "
                           "outputs.dir, else results/<name>)")
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
                          help="result folder (default: outputs.dir-coverage, else "
                               "results/<name>-coverage)")
    optimize = sub.add_parser("optimize", help="place shelters, stations or hydrants by a "
                                               "location model; "
                                               "compare current and proposed plans by simulation")
    scenario_args(optimize)
    what = optimize.add_mutually_exclusive_group(required=True)
    what.add_argument("--shelters", type=int, metavar="N",
                      help="open N candidate shelters (candidates.shelters)")
    what.add_argument("--stations", type=int, metavar="N",
                      help="open N candidate stations (candidates.stations)")
    what.add_argument("--hydrants", type=int, metavar="N",
                      help="place N hydrants along the streets the current ones leave "
                           "uncovered (mclp; lscp: as many as cover everything)")
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
                          help="result folder (default: outputs.dir-optimize, else "
                               "results/<name>-optimize)")
    optimize.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    for verb, purpose in (("batch", "variants x replications, resumable, on Dask"),
                       ("sweep", "global sensitivity of KPIs (SALib Sobol / Morris)"),
                       ("calibrate", "fit parameters to an observed curve, distribution or KPI")):
        exp = sub.add_parser(verb, help=purpose)
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
    risk = sub.add_parser("risk", help="city risk from an inventory of hazard sources: risk "
                                       "map, F-N curve, receptors, risk inventory")
    risk.add_argument("experiment", type=Path, help="risk YAML file (kind: risk)")
    risk_where = risk.add_mutually_exclusive_group()
    risk_where.add_argument("--workers", type=int, default=None, metavar="N",
                            help="dynamic mode: make its runs on a local Dask cluster of N "
                                 "processes (default: in this process)")
    risk_where.add_argument("--scheduler", default=None, metavar="ADDR",
                            help="dynamic mode: make its runs on a running Dask scheduler")
    risk.add_argument("--out", type=Path, default=None,
                      help="result folder (default: the file's out, else results/<file name>; "
                           "with --without: <that>-without-<ids>)")
    risk.add_argument("--without", action="append", default=[], metavar="SITE",
                      help="leave this source out (a relocated plant); may be repeated")
    report = sub.add_parser("report", help="one self-contained HTML report of a run, batch or "
                                           "sweep folder")
    report.add_argument("results_dir", type=Path, help="a run, batch or sweep results folder")
    report.add_argument("--out", type=Path, default=None,
                        help="HTML file to write (default: RESULTS_DIR/report.html; a risk "
                             "folder: RESULTS_DIR/white_paper_<lang>.html)")
    report.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="language of a risk folder's white paper (default: en)")
    report.add_argument("--pdf", action="store_true",
                        help="also print the page to a PDF beside it (headless Chromium)")
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
    for verb_parser in sub.choices.values():
        verb_parser.add_argument("--debug", action="store_true",
                                 help="on a failure, print the Python traceback too")
    return p, dict(sub.choices)


def _load(args: argparse.Namespace) -> Scenario:
    from citysim.app.run import load

    return load(args.scenario, overrides=args.overrides, seed=args.seed)


def _duration(option: str, text: str | None, *, least: str = "positive") -> float | None:
    """An option's duration (s), ``None`` when not given; ``least``: positive or non-negative."""
    from citysim.scenario import parse_duration

    if text is None:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as err:
        raise _OptionError(f"{option} {text!r}: {err}") from None
    if not (seconds > 0 if least == "positive" else seconds >= 0):
        raise _OptionError(f"{option} {text!r}: expected a {least} duration")
    return seconds


def _validate(args: argparse.Namespace) -> int:
    from citysim.app.risk import check, is_risk_file
    from citysim.app.validate import validate

    if is_risk_file(args.scenario):
        exp = check(args.scenario)
        print(f"{args.scenario}: ok — risk file: {len(exp.sources)} sources, "
              f"{sum(len(s.losses) for s in exp.sources)} loss-of-containment scenarios, "
              f"{len(exp.weather.classes)} weather classes x {exp.weather.sectors} sectors")
        return EXIT_OK
    scenario = _load(args)
    world = validate(scenario)
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
    from citysim.app.folders import output_folder
    from citysim.app.run import headline, run

    scenario = _load(args)
    injects: tuple = ()
    if args.injects is not None:
        from citysim.scenario.injects import Injects, load_injects, with_injects

        try:  # the whole file checked first; its settings now, its injects as the model runs
            session = load_injects(args.injects)
            with_injects(scenario, session)
            scenario, injects = with_injects(scenario, Injects(set=session.set)), session.injects
        except ScenarioError as err:  # the injects file's problems, named as that file
            print(err.with_source(args.injects).render(), file=sys.stderr)
            return EXIT_BAD_INPUT
    out_dir = output_folder(scenario, args.out)
    result = run(scenario, out=out_dir, progress=not args.no_progress, injects=injects)
    print(f"{scenario.name}: results in {out_dir}")
    rows = headline(result.summary)
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {_format(value)}")
    return EXIT_OK


def _view(args: argparse.Namespace) -> int:
    scenario = _load(args)
    try:
        from citysim.app.view import serve
    except ImportError as err:
        print(f"citysim view needs the drill-room extra ({err.name} is missing): "
              "pip install 'citysim[view]'", file=sys.stderr)
        return EXIT_FAILED
    serve(scenario, host=args.host, port=args.port, out=args.out)
    return EXIT_OK


def _coverage(args: argparse.Namespace) -> int:
    from citysim.scenario import format_duration
    from citysim.world.sites import UNIT_TYPES

    standard_s = _duration("--standard", args.standard)
    at_s = _duration("--at", args.at, least="non-negative")
    if args.unit not in UNIT_TYPES:
        raise _OptionError(f"--unit {args.unit!r}: expected one of {', '.join(UNIT_TYPES)}")
    scenario = _load(args)
    if at_s is not None and at_s > float(scenario.run.duration):
        raise _OptionError(f"--at {args.at!r} is after the end of the run "
                           f"(run.duration: {format_duration(scenario.run.duration)})")

    from citysim.app.coverage import run_coverage
    from citysim.app.folders import output_folder

    out_dir = output_folder(scenario, args.out, suffix="-coverage")
    run = run_coverage(scenario, standard_s=standard_s, unit=args.unit, at_s=at_s,
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
    if run.hydrants is not None:
        print(f"  hydrants       {pct(rep['hydrant_street_fraction']):>8}  of street length, "
              f"{pct(rep['hydrant_building_fraction'])} of buildings within "
              f"{rep['hydrant_radius_m']:g} m along the streets ({rep['hydrants_usable']} of "
              f"{rep['hydrants_total']} usable; {rep['hydrant_spacing_violations']} gaps over "
              f"{rep['hydrant_spacing_m']:g} m)")
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
    if run.compliance is not None and len(run.compliance):
        met = int(run.compliance["all_met"].sum())
        print(f"  against 建标152-2017: {met} of {len(run.compliance)} stations meet every item "
              "(stations_compliance.csv)")
    return EXIT_OK


def _runs_line(result: ExperimentResult) -> str:
    n, made, failed = len(result.table), result.made, result.failed
    return (f"{n} runs ({made} made now, {len(set(result.table['run_id'])) - made} found "
            f"finished): {n - failed} ok, {failed} failed")


def _worker_time_line(spent: dict) -> str:
    """Where the workers' time went, as ``citysim batch`` prints it."""
    share = spent.get("share", {})
    parts = ", ".join(f"{k} {share[k]:.0%}" for k in ("load", "world", "tables", "write")
                      if k in share)
    return (f"worker time: {spent.get('inside_models', 0.0):.0%} inside models ({parts}, "
            f"start, imports and scheduling {share.get('rest', 0.0):.0%}) of "
            f"{spent.get('workers', 0)} x {spent.get('wall_s', 0.0):.1f} s")


def _failures(result: ExperimentResult) -> int:
    failed = result.table[result.table["status"] != "ok"]
    if failed.empty:
        return EXIT_OK
    first = failed.iloc[0]
    print(f"  first failure: run {first['run_id']}: {first['error']}", file=sys.stderr)
    return EXIT_FAILED


def _batch(args: argparse.Namespace) -> int:
    from citysim.app.experiments import load, run_batch
    from citysim.experiments.spec import BatchExperiment

    experiment = load(args.experiment, BatchExperiment, workers=args.workers)
    result = run_batch(experiment, out=args.out, workers=args.workers,
                       scheduler=args.scheduler, progress=not args.no_progress)
    print(f"{args.experiment}: {_runs_line(result)}; results in {result.out_dir / 'batch.parquet'}")
    if result.made:
        print(f"  {_worker_time_line(result.worker_time)}")
    table = result.table[result.table["status"] == "ok"]
    kpis = [k for k in ("evacuated", "evacuation_time_p90_s", "fatalities", "shelter_overflow",
                        "response_time_p90_s") if k in table and table[k].notna().any()]
    varied = list(experiment.vary)
    if kpis and varied:
        firsts = result.table.groupby("variant").first()
        for variant, row in firsts.iterrows():
            text = ", ".join(f"{path}={row[path]}" for path in varied)
            print(f"  variant {variant}: {text if len(text) <= 96 else text[:93] + '...'}")
        means = table.groupby("variant")[kpis].mean()
        print("  mean over replications, by variant:")
        print("  " + means.to_string(float_format=lambda v: f"{v:,.1f}").replace("\n", "\n  "))
    return _failures(result)


def _risk(args: argparse.Namespace) -> int:
    from citysim.app.risk import run_risk

    outcome = run_risk(args.experiment, out=args.out, workers=args.workers,
                       scheduler=args.scheduler, without=args.without)
    s = outcome.result.summary
    print(f"{args.experiment}: {s['footprints']} footprints, {s['events']} events; "
          f"PLL {s['pll_per_year']:.3g} deaths/yr, highest individual risk "
          f"{s['max_individual_risk_per_year']:.3g} /yr, {s['places_breaking_criterion']} "
          f"place(s) breaking their criterion; results in {outcome.out_dir}")
    if "flood_expected_persons_exposed_per_year" in s:
        print(f"  flood: {s['flood_expected_persons_exposed_per_year']:.3g} persons exposed/yr")
    if "fire_expected_buildings_lost_per_year" in s:
        print(f"  fire: {s['fire_expected_buildings_lost_per_year']:.3g} buildings lost/yr, most "
              f"in district {s['fire_worst_district']}")
    base = s["pll_per_year"]
    for vid, result in outcome.variants.items():
        v = result.summary
        change = f" ({(v['pll_per_year'] - base) / base:+.0%})" if base else ""
        fire = ""
        if "fire_expected_buildings_lost_per_year" in v:
            fire = f"fire {v['fire_expected_buildings_lost_per_year']:.3g} buildings lost/yr, "
        print(f"  variant {vid}: PLL {v['pll_per_year']:.3g} deaths/yr{change}, "
              f"{v['places_breaking_criterion']} place(s) breaking their criterion, {fire}"
              f"{outcome.out_dir / 'variants' / vid}")
    return EXIT_OK


def _sweep(args: argparse.Namespace) -> int:
    from citysim.app.experiments import load, run_sweep
    from citysim.experiments.spec import SweepExperiment
    from citysim.experiments.sweep import INDEX_NAMES

    experiment = load(args.experiment, SweepExperiment, workers=args.workers)
    result = run_sweep(experiment, out=args.out, workers=args.workers,
                       scheduler=args.scheduler, progress=not args.no_progress)
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
    from citysim.app.experiments import run_calibration

    result = run_calibration(args.experiment, out=args.out, workers=args.workers,
                             scheduler=args.scheduler, progress=not args.no_progress)
    print(f"{args.experiment}: {len(result.trials)} parameter sets tried, {_runs_line(result)}; "
          f"results in {result.out_dir}")
    print(f"  best (loss {result.loss:.4g}):")
    for name, value in result.best.items():
        print(f"    {name} = {value:.4g}")
    return _failures(result)


def _optimize(args: argparse.Namespace) -> int:
    from citysim.app.folders import output_folder
    from citysim.app.optimize import run_optimize

    standard_s = _duration("--standard", args.standard)
    if args.hydrants is not None:
        return _optimize_hydrants(args)
    kind: Literal["shelters", "stations"] = (
        "shelters" if args.shelters is not None else "stations")
    n_new = args.shelters if kind == "shelters" else args.stations
    scenario = _load(args)
    out_dir = output_folder(scenario, args.out, suffix="-optimize")
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
    _print_comparison(rep["replications"], run.comparison)
    return EXIT_OK


def _print_comparison(replications: int, comparison: pd.DataFrame) -> None:
    """The paired simulated comparison of a current and a proposed plan, a KPI a line."""
    print(f"  simulated, {replications} replications with common seeds: "
          "proposed - current (95 % interval)")
    for row in comparison.itertuples(index=False):
        if row.pairs == 0:
            print(f"    {row.kpi:<34} not measured")
            continue
        print(f"    {row.kpi:<34} {_format(row.current_mean):>9} -> "
              f"{_format(row.proposed_mean):<9} {row.difference_mean:+,.4g} "
              f"({row.difference_ci95_low:+,.4g} .. {row.difference_ci95_high:+,.4g})  "
              f"{row.verdict}")


def _optimize_hydrants(args: argparse.Namespace) -> int:
    from citysim.app.folders import output_folder
    from citysim.app.optimize import run_optimize_hydrants

    if args.hydrants < 1:
        raise _OptionError(f"--hydrants {args.hydrants}: expected at least 1")
    scenario = _load(args)
    out_dir = output_folder(scenario, args.out, suffix="-optimize")
    run = run_optimize_hydrants(scenario, n_new=args.hydrants, model=args.model,
                                replications=args.replications, out_dir=out_dir,
                                progress=not args.no_progress)
    rep = run.report
    print(f"{scenario.name}: {rep['model']} places {rep['placed']} hydrants along the uncovered "
          f"streets ({rep['candidates']} candidate sites); results in {out_dir}")
    paper = rep["paper"]
    for key in ("hydrant_street_fraction", "hydrant_building_fraction"):
        print(f"  {key:<26} {_format(paper['current'][key]):>8} -> "
              f"{_format(paper['proposed'][key])}")
    _print_comparison(rep["replications"], run.comparison)
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from citysim.app.report import report

    page = report(args.results_dir, args.out, args.lang, pdf=args.pdf)
    print(f"report: {page}" + (f" and {page.with_suffix('.pdf')}" if args.pdf else ""))
    return EXIT_OK


def _drill(args: argparse.Namespace) -> int:
    given = [name for name, value in (("SCENARIO", args.scenario), ("--from", args.from_dir),
                                      ("--compare", args.compare)) if value is not None]
    if len(given) != 1:
        raise _OptionError("give exactly one of SCENARIO, --from RESULTS_DIR or --compare "
                           f"MSEL.csv (got {', '.join(given) or 'none'})")
    if args.compare is not None:
        from citysim.app.drill import compare
        from citysim.drill.compare import summary_lines

        tolerance_s = _duration("--tolerance", args.tolerance, least="non-negative")
        assert tolerance_s is not None  # the option has a default
        comparison, paths = compare(args.compare, tolerance_s=tolerance_s)
        print("\n".join(summary_lines(comparison)))
        print(f"written: {', '.join(str(p) for p in paths)}")
        return EXIT_OK
    from citysim.app.drill import timeline

    scenario = _load(args) if args.scenario is not None else None
    made = timeline(scenario, from_dir=args.from_dir, out=args.out,
                    progress=not args.no_progress)
    print(f"{len(made.msel)} injects from {made.results_dir}: "
          f"{', '.join(str(p) for p in made.paths)}")
    return EXIT_OK


def _option_problems(err: ScenarioError) -> bool:
    """Whether every problem is about a command-line option (``--model``, ``--workers`` ...)."""
    return bool(err.problems) and all(p.path.startswith("--") for p in err.problems)


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
    parser, verb_parsers = _parser()
    args = parser.parse_args(argv)
    verbs = {"run": _run, "validate": _validate, "coverage": _coverage, "batch": _batch,
             "sweep": _sweep, "calibrate": _calibrate, "optimize": _optimize,
             "report": _report, "drill": _drill, "risk": _risk, "view": _view}
    # a SIGTERM (kill, a job scheduler) stops a run as Ctrl-C does: nothing half-written is left
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return verbs[args.verb](args)
    except _OptionError as err:
        return _usage_error(verb_parsers[args.verb], str(err))
    except ScenarioError as err:
        if _option_problems(err):
            return _usage_error(verb_parsers[args.verb], "; ".join(str(p) for p in err.problems))
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
    except Exception as exc:  # a bug or a failed run, not bad input: one line, --debug the trace
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        print(f"citysim: the run failed: {type(exc).__name__}: {exc}"
              + ("" if args.debug else " (run again with --debug for the Python traceback)"),
              file=sys.stderr)
        return EXIT_FAILED
    finally:
        signal.signal(signal.SIGTERM, previous)


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    """Report a bad option as argparse does (usage, ``citysim <verb>: error: ...``); exit code 2."""
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
