"""The static QRA in per-source parts: the same numbers on a LocalCluster; resumable."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from citysim.app.risk import run_risk
from citysim.cli import main
from tests.risk.test_qra import _source, _write

TABLES = ("receptors.csv", "events.csv", "risk_inventory.csv", "fn_curve.csv", "places.csv")


@pytest.fixture
def three_plants(tmp_path):
    receptors = [{"id": "R1", "location": {"x": 400.0, "y": 30.0}},
                 {"id": "R2", "location": {"x": 150.0, "y": 200.0}}]
    return _write(tmp_path, "parts", [_source("A", 0.0), _source("B", 250.0),
                                      _source("C", 500.0)], receptors, sectors=12)


def _same(a, b):
    """The result folders ``a`` and ``b`` hold the same numbers, to the last bit."""
    for name in TABLES:
        pd.testing.assert_frame_equal(pd.read_csv(a / name), pd.read_csv(b / name),
                                      check_exact=True)
    assert (a / "individual_risk.tif").read_bytes() == (b / "individual_risk.tif").read_bytes()
    assert (json.loads((a / "risk_summary.json").read_text())
            == json.loads((b / "risk_summary.json").read_text()))


def test_parallel_static_qra_equals_serial(three_plants, tmp_path):
    serial = run_risk(three_plants, out=tmp_path / "serial", workers=0)
    parallel = run_risk(three_plants, out=tmp_path / "parallel", workers=2)
    assert len(parallel.result.parts_made) == 3  # one part per source, made on the cluster
    assert parallel.result.timing_s["parts_busy"] > 0
    assert np.array_equal(serial.result.individual_risk, parallel.result.individual_risk)
    assert serial.result.summary["pll_per_year"] > 0
    _same(serial.out_dir, parallel.out_dir)


def test_a_killed_static_qra_resumes_without_remaking_finished_parts(three_plants, tmp_path):
    first = run_risk(three_plants, out=tmp_path / "first", workers=0)
    parts = tmp_path / "first" / "static"
    files = sorted(parts.glob("*.npz"))
    assert len(files) == 3 and sorted(first.result.parts_made) == [f.stem for f in files]
    reference = tmp_path / "reference"
    shutil.copytree(first.out_dir, reference)
    # a kill part-way: one part not finished (its file absent, a write left half-done),
    # and no final outputs yet
    lost = files[1]
    lost.unlink()
    (parts / f".{lost.name}.0123abcd.tmp").write_bytes(b"PK\x03\x04 half a part")
    for name in (*TABLES, "individual_risk.tif", "individual_risk.png", "risk_summary.json"):
        (first.out_dir / name).unlink()
    stamps = {f.name: f.stat().st_mtime_ns for f in files if f != lost}
    assert main(["risk", str(three_plants), "--out", str(first.out_dir), "--workers", "0"]) == 0
    again = sorted(parts.glob("*.npz"))
    assert [f.name for f in again] == [f.name for f in files]
    # the finished parts were read, not made again
    assert {f.name: f.stat().st_mtime_ns for f in again if f != lost} == stamps
    _same(first.out_dir, reference)


def test_rerun_makes_no_part_and_a_changed_source_makes_only_its_own(three_plants, tmp_path):
    import yaml

    first = run_risk(three_plants, out=tmp_path / "out")
    assert len(first.result.parts_made) == 3
    assert run_risk(three_plants, out=tmp_path / "out").result.parts_made == []
    risk = yaml.safe_load(three_plants.read_text())
    risk["sources"][2]["releases"][0]["frequency_per_year"] = 2e-5
    three_plants.write_text(yaml.safe_dump(risk, sort_keys=False))
    changed = run_risk(three_plants, out=tmp_path / "out").result
    assert len(changed.parts_made) == 1
    assert len(list((tmp_path / "out" / "static").glob("*.npz"))) == 4


def test_the_parts_are_made_on_a_running_scheduler(three_plants, tmp_path):
    from citysim.experiments.cluster import open_client

    serial = run_risk(three_plants, out=tmp_path / "serial", workers=0)
    with open_client(1) as client:  # a cluster someone else started
        assert main(["risk", str(three_plants), "--out", str(tmp_path / "joined"),
                     "--scheduler", client.scheduler.address]) == 0
    assert len(list((tmp_path / "joined" / "static").glob("*.npz"))) == 3
    _same(serial.out_dir, tmp_path / "joined")
