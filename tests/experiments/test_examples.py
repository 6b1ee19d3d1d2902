"""The shipped experiment and calibration files load, and their runs plan."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from citysim.experiments import batch_variants, load_experiment
from citysim.experiments.calibrate import read_target
from citysim.experiments.design import design_runs
from tests.experiments.cases import REPO


@pytest.mark.parametrize(("name", "variants", "replications"),
                         [("shelter-plans", 3, 10), ("compliance-warning", 9, 5)])
def test_batch_examples_plan(name, variants, replications):
    experiment = load_experiment(REPO / "experiments" / f"{name}.yaml")
    values = batch_variants(experiment)
    plan = design_runs(experiment, values, locate=lambda v, p: ("vary", p))
    assert len(values) == variants and plan.replications == replications
    assert len({row.spec.run_id for row in plan.rows}) == variants * replications


def test_chlorine_sweep_example():
    from citysim.model import build_hazards
    from citysim.rng import world_streams
    from citysim.scenario import load_scenario
    from citysim.world.builder import build_world

    sweep = load_experiment(REPO / "experiments" / "chlorine-sensitivity.yaml")
    assert sweep.method == "sobol" and "hazards[0].weather.wind_speed_mps" in sweep.parameters
    base = REPO / "scenarios" / "chlorine-leak.yaml"
    for corner in (0, 1):  # every parameter at its low, then its high bound, reaches the model
        sets = [f"{path}={bounds[corner]}" for path, bounds in sweep.parameters.items()]
        scenario = load_scenario(base, overrides=sets)
        assert scenario.hazards[0].weather.wind_speed_mps == float(
            sweep.parameters["hazards[0].weather.wind_speed_mps"][corner])
        world = build_world(scenario, world_streams(0))
        (leak,) = build_hazards(scenario, world, world_streams(0))
        assert leak.type_name == "chemical_leak"


@pytest.mark.parametrize(("path", "form"), [("calibration/drill/calibrate.yaml", "curve"),
                                            ("calibration/lfb/calibrate.yaml", "distribution")])
def test_calibration_examples_read_their_targets(path, form):
    experiment = load_experiment(REPO / path)
    observed = read_target(experiment)
    assert observed.form == form and np.isfinite(observed.y).all()
    if form == "curve":  # a cumulative share: rises from 0 towards 1
        assert observed.y[0] == 0.0 and np.all(np.diff(observed.y) >= 0) and observed.y[-1] > 0.9
    else:  # LFB median attendance, 296 s (MODELS.md)
        assert observed.y[list(observed.x).index(0.5)] == pytest.approx(296.0, abs=1.0)


def test_drill_target_is_what_its_script_makes():
    spec = importlib.util.spec_from_file_location(
        "make_target", REPO / "calibration" / "drill" / "make_target.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = pd.read_csv(REPO / "calibration" / "drill" / "drill_arrivals.csv", comment="#")
    pd.testing.assert_frame_equal(module.arrival_curve(), committed)
