"""citysim batch: serial equals parallel on a LocalCluster, failures recorded, kill + resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pandas.testing as pdt
import pytest

from citysim.cli import main
from citysim.experiments import load_experiment, open_client, run_batch
from citysim.experiments.runs import RUN_RECORD
from citysim.scenario import load_scenario
from tests.contract import contract_problems
from tests.experiments.cases import OFF_THE_MAP, ONE_SHELTER, cli_env, town, write

GRID = """\
kind: batch
base: town.yaml
vary:
  behaviour.compliance: [0.5, 1.0]
  behaviour.warnings: [[{at: 1min, reach: 1.0}], [{at: 5min, reach: 1.0}]]
replications: 2
out: results/grid
"""


def _without_wall_time(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["wall_time_s"])


def test_parallel_batch_equals_serial(tmp_path):
    town(tmp_path)
    experiment = load_experiment(write(tmp_path, "grid.yaml", GRID))
    serial = run_batch(experiment, out=tmp_path / "serial", workers=0)
    parallel = run_batch(experiment, out=tmp_path / "parallel", workers=2)
    assert len(serial.table) == 2 * 2 * 2 and serial.failed == 0
    # identical tables (wall time aside): ids, seeds, values, every KPI
    pdt.assert_frame_equal(_without_wall_time(serial.table), _without_wall_time(parallel.table))
    on_disk = pd.read_parquet(tmp_path / "parallel" / "batch.parquet")
    pdt.assert_frame_equal(_without_wall_time(on_disk), _without_wall_time(parallel.table))
    # every run uses the base seed (the same city); replication r is run's replication r,
    # the same for every variant (common random numbers), and its own run
    assert set(serial.table["seed"]) == {int(load_scenario(tmp_path / "town.yaml").run.seed)}
    ids = serial.table.pivot(index="variant", columns="replication", values="run_id")
    assert ids.stack().is_unique
    frames = [pd.read_parquet(tmp_path / "serial" / "runs" / ids.loc[0, r] / "timeseries.parquet")
              for r in (0, 1)]
    assert not frames[0].equals(frames[1])  # the replications' dynamics differ
    # the values matter: full compliance evacuates more people than half
    by_compliance = serial.table.groupby("behaviour.compliance")["evacuated"].mean()
    assert by_compliance[1.0] > 1.5 * by_compliance[0.5]
    # every run folder is a full result folder, with byte-identical tables either way
    for run_id in serial.table["run_id"]:
        folder = tmp_path / "parallel" / "runs" / run_id
        assert contract_problems(folder) == []
        pdt.assert_frame_equal(pd.read_parquet(folder / "timeseries.parquet"),
                               pd.read_parquet(tmp_path / "serial" / "runs" / run_id
                                               / "timeseries.parquet"))
    prov = json.loads((tmp_path / "parallel" / "provenance.json").read_text())
    assert prov["runs"] == 8 and prov["runs_made_now"] == 8 and prov["failed"] == 0
    # where the two workers' time went: every stage of the 8 runs, the rest is start-up
    spent = parallel.worker_time
    assert spent["workers"] == 2 and 0 < spent["inside_models"] < 1
    assert all(spent["spent_s"][k] > 0 for k in ("model", "tables", "write"))
    assert sum(spent["share"].values()) == pytest.approx(1.0)
    assert spent["spent_s"]["model"] == pytest.approx(spent["inside_models"] * 2 * spent["wall_s"])


def test_batch_joins_a_running_scheduler(tmp_path):
    town(tmp_path)
    experiment = load_experiment(write(tmp_path, "grid.yaml", GRID))
    serial = run_batch(experiment, out=tmp_path / "serial", workers=0)
    with open_client(1) as client:  # a cluster someone else started
        joined = run_batch(experiment, out=tmp_path / "joined",
                           scheduler=client.scheduler.address)
        # the workers use the same compile cache as this process (numba.config.CACHE_DIR
        # from the inherited environment; empty = numba's default beside the sources)
        import numba

        cache_dirs = client.run(lambda: __import__("numba").config.CACHE_DIR)
        assert set(cache_dirs.values()) == {numba.config.CACHE_DIR}
    assert joined.made == 8
    pdt.assert_frame_equal(_without_wall_time(serial.table), _without_wall_time(joined.table))


def test_a_failing_variant_does_not_stop_the_others(tmp_path, capsys):
    town(tmp_path)
    path = write(tmp_path, "plans.yaml", f"""\
kind: batch
base: town.yaml
vary:
  shelters: [{ONE_SHELTER}, {OFF_THE_MAP}]
replications: 2
out: results/plans
""")
    assert main(["batch", str(path), "--workers", "0", "--no-progress"]) == 1
    table = pd.read_parquet(tmp_path / "results" / "plans" / "batch.parquet")
    assert list(table["status"]) == ["ok", "ok", "failed", "failed"]
    failed = table[table["status"] == "failed"]
    # the error names the YAML path and what is wrong; the good plan has its KPIs
    assert failed["error"].str.contains("shelters[1].location: off the map", regex=False).all()
    assert failed["evacuated"].isna().all() and table["evacuated"].iloc[:2].notna().all()
    printed = capsys.readouterr()
    assert "off the map" in printed.err
    assert "% inside models (load " in printed.out  # the two good runs' worker time
    # the failed runs keep their traceback and are not marked finished
    for run_id in failed["run_id"]:
        folder = tmp_path / "results" / "plans" / "runs" / run_id
        assert not (folder / RUN_RECORD).exists()
        assert "Traceback" in json.loads((folder / "error.json").read_text())["traceback"]


@pytest.mark.slow
def test_killed_batch_resumes_without_losing_or_repeating_a_run(tmp_path):
    town(tmp_path)
    path = write(tmp_path, "long.yaml", """\
kind: batch
base: town.yaml
set: {run.duration: 1h}
vary:
  behaviour.compliance: [0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
replications: 3
out: results/long
""")
    runs = tmp_path / "results" / "long" / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "citysim.cli", "batch", str(path), "--workers", "2",
         "--no-progress"],
        cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while len(list(runs.glob(f"*/{RUN_RECORD}"))) < 3:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no run finished in time"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its cluster's processes
        proc.communicate()
    finished = {p.parent.name: (p.stat().st_mtime_ns, p.read_text())
                for p in runs.glob(f"*/{RUN_RECORD}")}
    assert 3 <= len(finished) < 18, "the kill must land mid-way"
    assert not (tmp_path / "results" / "long" / "batch.parquet").exists()

    assert main(["batch", str(path), "--workers", "0", "--no-progress"]) == 0
    table = pd.read_parquet(tmp_path / "results" / "long" / "batch.parquet")
    assert len(table) == 18 and (table["status"] == "ok").all()
    # nothing finished was lost or made again ...
    for run_id, (mtime, text) in finished.items():
        record = runs / run_id / RUN_RECORD
        assert (record.stat().st_mtime_ns, record.read_text()) == (mtime, text)
    prov = json.loads((tmp_path / "results" / "long" / "provenance.json").read_text())
    assert prov["runs_made_now"] == 18 - len(finished)
    # ... and every run folder is complete, with no temporary file left by the kill
    for run_id in table["run_id"]:
        assert contract_problems(runs / run_id) == []


def test_a_local_cluster_listens_on_loopback_only():
    """Issue #21: the scheduler's HTTP server listened on 0.0.0.0 (``dashboard_address=":0"``)."""
    import psutil

    with open_client(2) as client:
        assert client.scheduler_info()["workers"]
        tree = [psutil.Process(), *psutil.Process().children(recursive=True)]
        listening = [(p.pid, c.laddr.ip, c.laddr.port) for p in tree
                     for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert len(listening) >= 4  # scheduler, its HTTP server, and a worker and nanny each
    assert {ip for _, ip, _ in listening} == {"127.0.0.1"}, listening


CTRL_C = """\
import signal, sys
from citysim.cli import main

if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started ignoring it
    sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_under_a_local_cluster_prints_one_line(tmp_path):
    """Issue #21: Ctrl-C under --workers 2 printed the nannies' and workers' tracebacks."""
    import os
    import signal
    import subprocess
    import sys
    import time

    town(tmp_path)
    path = write(tmp_path, "b.yaml", "kind: batch\nbase: town.yaml\nreplications: 200\n"
                                     "out: results/b\n")
    script = write(tmp_path, "ctrl_c.py", CTRL_C)
    proc = subprocess.Popen([sys.executable, str(script), "batch", str(path), "--workers", "2",
                             "--no-progress"], cwd=tmp_path, env=cli_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    runs = tmp_path / "results" / "b" / "runs"
    while proc.poll() is None and not (runs.is_dir() and any(runs.iterdir())):
        time.sleep(0.05)  # until the workers make runs
    os.killpg(proc.pid, signal.SIGINT)  # as the terminal does: the whole process group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "Traceback" not in err and err.strip().endswith("citysim: interrupted"), err
