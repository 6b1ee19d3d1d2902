"""Replications, content-derived ids, and one run of a batch reproduced alone."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pandas.testing as pdt

from citysim.cli import main
from citysim.experiments import load_experiment, run_batch, run_id
from citysim.experiments.batch import batch_variants
from citysim.rng import replication_seed_sequence, replication_seeds
from citysim.scenario import load_scenario
from tests.experiments.cases import town, write

BATCH = """\
kind: batch
base: town.yaml
seed: 2024
vary:
  behaviour.compliance: [0.6, 0.9]
  behaviour.response_delay.median: [2min, 6min]
replications: 3
out: results/b
"""


def test_a_replication_alone_is_the_spawned_child_of_the_run_seed():
    for n in (3, 4, 50):
        for i in range(3):
            child = replication_seeds(7, n)[i]
            alone = replication_seed_sequence(7, i)
            assert child.spawn_key == alone.spawn_key == (i,)
            np.testing.assert_array_equal(child.generate_state(4), alone.generate_state(4))
    assert not np.array_equal(replication_seed_sequence(8, 0).generate_state(4),
                              replication_seed_sequence(7, 0).generate_state(4))


def test_run_ids_derive_from_content_and_seed(tmp_path):
    base = load_scenario(town(tmp_path)).resolved()
    assert run_id(base) == run_id(json.loads(json.dumps(base)))
    other_seed = {**base, "run": {**base["run"], "seed": 4}}
    other_value = {**base, "behaviour": {**base["behaviour"], "compliance": 0.81}}
    elsewhere = {**base, "outputs": {**base["outputs"], "dir": "/somewhere/else"}}
    assert len({run_id(base), run_id(other_seed), run_id(other_value)}) == 3
    assert run_id(elsewhere) == run_id(base)  # where results go does not change them
    assert len(run_id(base)) == 16 and set(run_id(base)) <= set("0123456789abcdef")
    # the same scenario on other data (a file changed under the same path) is another run
    assert run_id(base, ["ab" * 32]) != run_id(base, ["cd" * 32]) != run_id(base)
    # each replication of the same scenario is its own run
    assert len({run_id(base, replication=r) for r in range(3)}) == 3
    assert run_id(base, replication=0) == run_id(base)


def test_variants_are_the_product_in_order_written(tmp_path):
    town(tmp_path)
    experiment = load_experiment(write(tmp_path, "b.yaml", BATCH))
    variants = batch_variants(experiment)
    assert variants == [
        {"behaviour.compliance": 0.6, "behaviour.response_delay.median": "2min"},
        {"behaviour.compliance": 0.6, "behaviour.response_delay.median": "6min"},
        {"behaviour.compliance": 0.9, "behaviour.response_delay.median": "2min"},
        {"behaviour.compliance": 0.9, "behaviour.response_delay.median": "6min"},
    ]


def test_one_run_of_a_batch_is_that_replication_of_citysim_run(tmp_path, capsys):
    # batch row (variant, r) = replication r of `citysim run` on the variant with the base
    # seed: the same city, the same dynamics, the same tables
    scenario_path = town(tmp_path)
    experiment = load_experiment(write(tmp_path, "b.yaml", BATCH))
    result = run_batch(experiment, workers=0)
    table = result.table
    assert table["run_id"].is_unique and len(table) == 12
    assert list(table["seed"].unique()) == [2024]
    assert list(table["replication"]) == [0, 1, 2] * 4
    row = table[(table["variant"] == 3) & (table["replication"] == 1)].iloc[0]
    folder = result.out_dir / "runs" / row["run_id"]
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["seed"] == 2024 and prov["replications"] == 1 and prov["replication"] == 1
    # the planned id is the id of the scenario the run loaded, with its replication
    inputs = [d["sha256"] for d in prov.get("data_sources", [])]
    assert run_id(prov["scenario"], inputs, replication=1) == row["run_id"]
    # `citysim run` with the run's overrides, the base seed and 3 replications: its row 1
    sets = [a for o in prov["overrides"] if not o.startswith(("run.seed=", "run.replications="))
            for a in ("--set", o)]
    out = tmp_path / "alone"
    assert main(["run", str(scenario_path), *sets, "--seed", "2024", "--set",
                 "run.replications=3", "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    for name in ("timeseries.parquet", "shelters.parquet", "incidents.parquet"):
        whole = pd.read_parquet(out / name)
        rep1 = whole[whole["replication"] == 1].drop(columns="replication").reset_index(drop=True)
        pdt.assert_frame_equal(rep1, pd.read_parquet(folder / name))
    reps = pd.read_parquet(out / "replications.parquet").set_index("replication")
    for kpi in ("evacuated", "evacuation_time_p90_s", "fatalities", "residents_total"):
        assert reps.loc[1, kpi] == row[kpi], kpi
    assert reps.loc[0, "evacuation_time_p90_s"] != reps.loc[1, "evacuation_time_p90_s"]


def test_a_run_on_changed_data_is_a_new_run(tmp_path):
    from citysim.experiments.design import design_runs

    def dem(top: float) -> str:
        rows = "\n".join(" ".join(f"{top if (r, c) == (0, 0) else 1.0:g}" for c in range(4))
                         for r in range(4))
        return ("ncols 4\nnrows 4\nxllcorner -100\nyllcorner -100\ncellsize 300\n"
                f"NODATA_value -9999\n{rows}\n")

    write(tmp_path, "dem.asc", dem(1.0))
    text = town(tmp_path).read_text()
    write(tmp_path, "town.yaml", text.replace("city:\n", "city:\n  terrain: {asc: dem.asc}\n", 1))
    experiment = load_experiment(write(tmp_path, "b.yaml", BATCH))

    def ids() -> list[str]:
        plan = design_runs(experiment, batch_variants(experiment), locate=lambda v, p: ("vary", p))
        return [row.spec.run_id for row in plan.rows]

    first = ids()
    assert ids() == first  # the same data: the same runs (a restart redoes nothing)
    write(tmp_path, "dem.asc", dem(2.0))  # one cell higher, same file name
    assert not set(ids()) & set(first)
