"""A worker builds a city once for every run of a batch that shares it."""

from citysim.experiments import runs
from citysim.scenario import load_scenario
from citysim.simulation import simulate
from tests.scenarios import write_scenario


def test_runs_that_share_a_city_share_one_built_world_and_the_same_results(tmp_path):
    path = write_scenario(tmp_path)
    base = load_scenario(path)
    other_behaviour = load_scenario(path, overrides=["behaviour.compliance=0.3"])
    other_seed = load_scenario(path, seed=5)
    other_shelter = load_scenario(path, overrides=["shelters[0].capacity=10"])
    runs._WORLDS.clear()
    world = runs.world_of(base)
    assert runs.world_of(other_behaviour) is world  # behaviour is not read by the city
    assert runs.world_of(other_seed) is not world  # the city is built from the run seed
    assert runs.world_of(other_shelter) is not world  # shelters are part of it
    assert len(runs._WORLDS) == runs.WORLDS_KEPT
    # a reused world gives the results of a world built for the run
    reused = simulate(base, replication=1, world=runs.world_of(base))
    fresh = simulate(base, replication=1)
    assert reused.summary["evacuated"] == fresh.summary["evacuated"]
    assert reused.timeseries.equals(fresh.timeseries)


def test_a_run_record_says_where_its_time_went(tmp_path):
    from citysim.experiments.runs import RunSpec, execute_run

    path = write_scenario(tmp_path)
    record = execute_run(RunSpec("r1", str(path), (), 11, 0), str(tmp_path / "runs"))
    assert record["status"] == "ok"
    assert set(record["timing_s"]) == {"load", "world", "model", "tables", "write"}
    assert all(v >= 0 for v in record["timing_s"].values())


def test_the_replications_of_a_variant_share_one_loaded_scenario(tmp_path):
    import os

    from citysim.experiments.runs import RunSpec
    from citysim.scenario import Override

    path = write_scenario(tmp_path)
    seed = (Override.of("run.seed", 3),)
    runs._SCENARIOS.clear()
    first = runs.scenario_of(RunSpec("a", str(path), seed, 3, 0))
    assert runs.scenario_of(RunSpec("b", str(path), seed, 3, 7)) is first  # another replication
    other = runs.scenario_of(RunSpec("c", str(path), (Override.of("run.seed", 4),), 4, 0))
    assert other is not first and int(other.run.seed) == 4 and int(first.run.seed) == 3
    # a changed file is loaded again (known by size and modification time)
    path.write_text(path.read_text().replace("residents: 5003", "residents: 5004"))
    os.utime(path, ns=(0, os.stat(path).st_mtime_ns + 10**9))
    changed = runs.scenario_of(RunSpec("d", str(path), seed, 3, 0))
    assert changed is not first and changed.city.population.residents == 5004


def test_a_kept_scenario_is_loaded_again_when_an_input_file_changes(tmp_path):
    from citysim.experiments.runs import RunSpec
    from tests.scenarios import SMALL_CITY

    start = SMALL_CITY.index("shelters:")
    text = SMALL_CITY[:start] + "shelters: {csv: sh.csv}\n" + SMALL_CITY[SMALL_CITY.index(
        "stations:"):]
    (tmp_path / "sh.csv").write_text("id,capacity,x,y\nS1,2000,300,300\n")
    path = write_scenario(tmp_path, text)
    spec = RunSpec("a", str(path), (), 11, 0)
    runs._SCENARIOS.clear()
    first = runs.scenario_of(spec)
    assert runs.scenario_of(spec) is first and first.shelters[0].capacity == 2000
    (tmp_path / "sh.csv").write_text("id,capacity,x,y\nS1,1500,300,300\n")
    again = runs.scenario_of(spec)
    assert again is not first and again.shelters[0].capacity == 1500
