"""The static QRA in per-source parts: the same numbers on a LocalCluster; resumable."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from citysim.app.risk import run_risk
from citysim.cli import main
from tests.experiments.cases import cli_env
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


def test_a_static_qra_killed_mid_way_makes_only_the_rest(tmp_path):
    # 16 plants with the Purple Book's 3 releases and 6 weather classes: 16 parts
    path = _write(tmp_path, "kill", [
        {"id": f"P{i}", "location": {"x": 100.0 * (i % 8), "y": -300.0 - 200.0 * (i // 8)},
         "substance": "chlorine", "inventory_kg": 5000.0 + 1000.0 * i} for i in range(16)],
        [], sectors=12)
    risk = yaml.safe_load(path.read_text())
    del risk["weather"]["classes"]  # the six default classes: each part takes a while
    path.write_text(yaml.safe_dump(risk, sort_keys=False))
    parts = tmp_path / "results" / "kill" / "static"
    proc = subprocess.Popen([sys.executable, "-m", "citysim.cli", "risk", str(path),
                             "--workers", "0"], cwd=tmp_path, env=cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    try:
        while len(list(parts.glob("*.npz"))) < 3:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no part finished in time"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    finished = {p.name: p.stat().st_mtime_ns for p in parts.glob("*.npz")}
    assert 3 <= len(finished) < 16, f"the kill must land mid-way ({len(finished)} parts)"
    assert not (tmp_path / "results" / "kill" / "risk_summary.json").exists()
    again = run_risk(path)
    assert len(again.result.parts_made) == 16 - len(finished)
    assert {p.name: p.stat().st_mtime_ns for p in parts.glob("*.npz")
            if p.name in finished} == finished
    assert len(list(parts.glob("*.npz"))) == 16
    assert (again.out_dir / "risk_summary.json").is_file()
