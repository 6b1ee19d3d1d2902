"""New hydrants along the uncovered streets (MCLP / LSCP), checked by simulating the fire."""

import json

import numpy as np
import pytest

from citysim.analysis.hydrants import hydrant_coverage
from citysim.cli import main
from citysim.placement.hydrants import place_hydrants, with_new_hydrants
from citysim.world.hydrants import Hydrants, hose_length_m, snap_to_edges
from citysim.world.synthetic import grid_city
from tests.hazards.test_fire import DISTRICT
from tests.hazards.test_fire_water import WATER


def _one_hydrant(net, x, y):
    edge, offset, _ = snap_to_edges(net, np.array([x]), np.array([y]))
    return Hydrants(id=["H0"], x_m=np.array([x]), y_m=np.array([y]), edge=edge,
                    offset_m=offset, flow_l_s=np.array([15.0]), in_service=np.array([True]))


def test_mclp_covers_the_most_uncovered_buildings_and_lscp_all():
    net = grid_city(4, 7, block_m=100, arterial_every=0)  # 600 m x 300 m
    hyd = _one_hydrant(net, 0.0, 0.0)
    rng = np.random.default_rng(3)
    bx, by = rng.uniform(0, 600, 200), rng.uniform(0, 300, 200)
    before = hydrant_coverage(net, hyd, (bx, by))
    missing = int((~before.building_covered).sum())
    plan = place_hydrants(net, before, (bx, by), 2)
    assert plan.chosen.size == 2 and plan.covered_after <= missing
    after = hydrant_coverage(net, with_new_hydrants(hyd, plan, 15.0), (bx, by))
    assert int(after.building_covered.sum()) == pytest.approx(
        before.building_covered.sum() + plan.covered_after)
    # the chosen sites stand on stretches the current hydrant left uncovered
    k = plan.chosen
    hose, _, _ = hose_length_m(net, hyd, plan.cand_x_m[k], plan.cand_y_m[k])
    assert (hose > 150.0).all()
    every = place_hydrants(net, before, (bx, by), 1, model="lscp")
    full = hydrant_coverage(net, with_new_hydrants(hyd, every, 15.0), (bx, by))
    assert full.building_fraction == 1.0 and every.chosen.size > 2


def test_optimize_hydrants_simulates_both_plans(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(DISTRICT + WATER + "hydrants: []\n")
    out = tmp_path / "o"
    code = main(["optimize", str(tmp_path / "s.yaml"), "--hydrants", "3", "--replications",
                 "2", "--out", str(out), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "placement.json").read_text())
    assert report["placed"] == 3 and len(report["chosen_sites"]) == 3
    paper = report["paper"]
    assert paper["current"]["hydrant_building_fraction"] == 0.0
    assert paper["proposed"]["hydrant_building_fraction"] > 0.0
    text = (out / "comparison.csv").read_text()
    assert "fire_buildings_burned" in text
    assert (out / "current" / "summary.json").exists()
    assert (out / "proposed" / "summary.json").exists()
    assert "fire_buildings_burned" in capsys.readouterr().out
