"""Failures print one line with their cause, bad input exits 2 (issue #21 item 7)."""

import shutil
import time

import pytest

import citysim.app.run
from citysim.cli import main
from tests.experiments.cases import town, write
from tests.scenarios import write_scenario


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    out = folder / "out"
    assert main(["run", str(write_scenario(folder)), "--out", str(out), "--no-progress"]) == 0
    return out


@pytest.mark.parametrize(("damaged", "content"), [
    ("summary.json", "{not json"),
    ("summary.json", "[1, 2]"),
    ("provenance.json", b"\xff\xfe\x00garbage"),
    ("incidents.parquet", b"PAR1 this is not parquet"),
])
@pytest.mark.parametrize("verb", ["report", "drill"])
def test_a_damaged_result_folder_is_bad_input(tmp_path, capsys, run_folder, damaged, content,
                                              verb):
    folder = tmp_path / "copy"
    shutil.copytree(run_folder, folder)
    path = folder / damaged
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    argv = (["report", str(folder), "--out", str(tmp_path / "r.html")] if verb == "report"
            else ["drill", "--from", str(folder), "--out", str(tmp_path / "drill")])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert damaged in err and "Traceback" not in err, err


def test_a_malformed_scheduler_address_is_refused_at_once(tmp_path, capsys):
    town(tmp_path)
    path = write(tmp_path, "b.yaml", "kind: batch\nbase: town.yaml\nreplications: 1\n"
                                     "out: results/b\n")
    assert main(["batch", str(path), "--scheduler", "not a url", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--scheduler" in err and "expected <scheme>://<host>:<port>" in err
    assert "Traceback" not in err
    assert not (tmp_path / "results").exists()


def test_an_unreachable_scheduler_is_refused_within_the_timeout(tmp_path, capsys):
    from citysim.experiments.cluster import CONNECT_TIMEOUT_S

    town(tmp_path)
    path = write(tmp_path, "b.yaml", "kind: batch\nbase: town.yaml\nreplications: 1\n"
                                     "out: results/b\n")
    t0 = time.monotonic()
    assert main(["batch", str(path), "--scheduler", "tcp://127.0.0.1:1", "--no-progress"]) == 2
    assert time.monotonic() - t0 < 3 * CONNECT_TIMEOUT_S  # not distributed's own 30 s x retries
    err = capsys.readouterr().err
    assert "no Dask scheduler answered" in err and "Traceback" not in err


def test_a_failure_is_one_line_and_debug_adds_the_trace(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(citysim.app.run, "simulate", broken)
    path = write_scenario(tmp_path)
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["citysim: the run failed: RuntimeError: boom (run again "
                                        "with --debug for the Python traceback)"]
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--no-progress",
                 "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: boom" in err
