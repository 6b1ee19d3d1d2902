"""A result folder is whole and of one run: built aside and swapped in, checked before running.

Issue #21: a second run into the same folder left the first run's extra files,
a kill between files mixed two runs, a folder of the user's files was
overwritten, an unusable ``--out`` was found only after the simulation.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from citysim.cli import main
from citysim.io.atomic import clean_leftovers
from tests.scenarios import SMALL_CITY, write_scenario

PLOTTED = SMALL_CITY.replace("  plots: false\n", "  plots: true\n")


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _state(folder: Path) -> tuple[frozenset[str], int, dict]:
    """What identifies a result folder: its files, its seed, its KPIs (wall time aside)."""
    summary = json.loads((folder / "summary.json").read_text())
    seed = json.loads((folder / "provenance.json").read_text())["scenario"]["run"]["seed"]
    return (frozenset(_files(folder)), seed,
            {k: v for k, v in summary.items() if "wall" not in k})


def _hidden_siblings(folder: Path) -> list[Path]:
    return [p for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]


def test_a_second_run_leaves_nothing_of_the_first(tmp_path):
    path = write_scenario(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-progress",
                 "--set", "run.replications=2"]) == 0
    assert (out / "replications.parquet").exists()
    (out / "report.html").write_text("made from the first run")
    assert main(["run", str(path), "--out", str(out), "--no-progress", "--seed", "5"]) == 0
    assert not (out / "replications.parquet").exists()
    assert not (out / "report.html").exists()
    assert json.loads((out / "provenance.json").read_text())["scenario"]["run"]["seed"] == 5
    assert not _hidden_siblings(out)


def test_a_folder_of_other_files_is_refused_before_running(tmp_path, capsys):
    path = write_scenario(tmp_path)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "summary.json").write_text("my own notes")
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "not a citysim result folder" in err and "remove" in err
    assert (out / "summary.json").read_text() == "my own notes"
    assert _files(out) == {"summary.json"}


def test_an_empty_folder_is_used(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["run", str(write_scenario(tmp_path)), "--out", str(out), "--no-progress"]) == 0
    assert (out / "provenance.json").exists()


def test_leftovers_of_killed_writes_are_removed_and_a_lost_folder_put_back(tmp_path):
    out = tmp_path / "out"
    dead = 2 ** 22 + 12345  # above Linux's pid_max default: no such process
    partial = tmp_path / f".out.citysim-{dead}-aa.partial"
    (partial / "plots").mkdir(parents=True)
    (partial / "summary.json").write_text("{}")
    old = tmp_path / f".out.citysim-{dead}-bb.old"
    old.mkdir()
    (old / "provenance.json").write_text("{}")
    clean_leftovers(out)  # killed between the two renames: the old folder comes back
    assert not partial.exists() and not old.exists()
    assert _files(out) == {"provenance.json"}
    mine = tmp_path / f".out.citysim-{os.getpid()}-cc.partial"
    mine.mkdir()  # a live process's folder under construction is left alone
    clean_leftovers(out)
    assert mine.exists()


KILLED = """\
import sys
import citysim.results as results
from citysim.cli import main

write = results._write

def announce(*args, **kwargs):
    print("writing", flush=True)
    write(*args, **kwargs)

results._write = announce
sys.exit(main(sys.argv[1:]))
"""


def test_a_kill_at_any_point_leaves_the_previous_result_or_the_new_one(tmp_path):
    """SIGKILL at seeded random delays after writing starts, and SIGTERM: never a mix."""
    path = write_scenario(tmp_path, PLOTTED)
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    references = {}
    for seed in (1, 2):
        ref = tmp_path / f"ref{seed}"
        assert main(["run", str(path), "--out", str(ref), "--no-progress", "--seed", str(seed)]) \
            == 0
        references[seed] = _state(ref)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-progress", "--seed", "1"]) == 0
    delays_s = np.random.default_rng(21).uniform(0.0, 1.5, 5)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    seen = set()
    for i, (sig, delay_s) in enumerate([*((signal.SIGKILL, d) for d in delays_s),
                                        (signal.SIGTERM, 0.05)]):
        seed = 2 if i % 2 == 0 else 1
        proc = subprocess.Popen(
            [sys.executable, str(script), "run", str(path), "--out", str(out), "--no-progress",
             "--seed", str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        assert proc.stdout.readline().strip() == "writing"
        try:
            proc.wait(timeout=delay_s)
        except subprocess.TimeoutExpired:
            proc.send_signal(sig)
            proc.wait()
        if sig == signal.SIGTERM and proc.returncode != 0:
            assert "interrupted" in proc.stderr.read()
            assert not _hidden_siblings(out)  # cleaned on the way out
        state = _state(out)
        assert state in (references[1], references[2])
        seen.add(state[1])
        proc.stdout.close()
        proc.stderr.close()
    assert main(["run", str(path), "--out", str(out), "--no-progress", "--seed", "1"]) == 0
    assert _state(out) == references[1]
    assert not _hidden_siblings(out)  # what the killed runs left is gone


@pytest.mark.parametrize("where", ["file", "under-file", "proc"])
def test_an_unusable_out_is_refused_before_running(tmp_path, capsys, where):
    path = write_scenario(tmp_path)
    afile = tmp_path / "afile"
    afile.write_text("x")
    out = {"file": afile, "under-file": afile / "sub" / "out",
           "proc": Path("/proc/citysim-out")}[where]
    if where == "proc" and not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "Traceback" not in err
    assert afile.read_text() == "x"


def test_outputs_dir_under_a_file_is_refused_with_its_key(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    text = SMALL_CITY.replace("  plots: false\n", "  plots: false\n  dir: afile/town\n")
    path = write_scenario(tmp_path, text)
    for verb in (["run", "--no-progress"], ["coverage"], ["drill", "--no-progress"]):
        assert main([verb[0], str(path), *verb[1:]]) == 2
        err = capsys.readouterr().err
        assert "outputs.dir" in err and "which is a file" in err


def test_report_out_in_an_unusable_place_is_refused(tmp_path, capsys):
    path = write_scenario(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 0
    (tmp_path / "afile").write_text("x")
    assert main(["report", str(out), "--out", str(tmp_path / "afile" / "r.html")]) == 2
    assert "which is a file" in capsys.readouterr().err
    assert main(["report", str(out), "--out", str(out)]) == 2  # a folder, not a file


def test_an_experiment_out_under_a_file_is_refused_before_any_run(tmp_path, capsys):
    from tests.experiments.cases import town, write

    town(tmp_path)
    (tmp_path / "afile").write_text("x")
    path = write(tmp_path, "b.yaml", "kind: batch\nbase: town.yaml\nreplications: 1\n"
                                     "out: afile/b\n")
    assert main(["batch", str(path), "--workers", "0", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "b.yaml" in err and "out: " in err and "which is a file" in err, err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    assert main(["batch", str(path), "--workers", "0", "--no-progress", "--out",
                 str(mine)]) == 2
    assert "not a citysim result folder" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
