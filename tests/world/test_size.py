"""Runs too big for this machine are refused before the city is made (issue #21 item 5)."""

import pytest

from citysim.cli import main
from citysim.world.size import MEMORY_ENV
from tests.scenarios import SMALL_CITY, write_scenario

BIG = {
    "residents": (("residents: 5003, persons_per_agent: 3",
                   "residents: 1000000000, persons_per_agent: 1"), "city.population.residents"),
    "terrain cell": (("  population:",
                      "  terrain: {synthetic: {kind: bowl, cell_m: 0.01}}\n  population:"),
                     "city.terrain.synthetic.cell_m"),
    "call rate": (("outputs:", "response: {background_calls: {rate_per_h: 1000000000000}}\n"
                               "outputs:"), "response.background_calls.rate_per_h"),
}


@pytest.mark.parametrize("case", list(BIG))
def test_a_run_that_cannot_fit_is_refused_with_its_estimate(tmp_path, capsys, monkeypatch, case):
    monkeypatch.setenv(MEMORY_ENV, "8")  # as on an 8 GB machine, whatever this one has
    (old, new), key = BIG[case]
    path = write_scenario(tmp_path, SMALL_CITY.replace(old, new))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert key in err and "GB of memory" in err and "8.0 GB is available" in err, err
    assert MEMORY_ENV in err  # the override is named


def test_the_memory_to_plan_for_can_be_set(tmp_path, capsys, monkeypatch):
    path = write_scenario(tmp_path)
    monkeypatch.setenv(MEMORY_ENV, "0.0001")  # 100 kB: even the small town does not fit
    assert main(["validate", str(path)]) == 2
    assert "is available" in capsys.readouterr().err
    monkeypatch.setenv(MEMORY_ENV, "lots")
    assert main(["validate", str(path)]) == 2
    assert f"{MEMORY_ENV}: expected a positive number of GB, got 'lots'" in \
        capsys.readouterr().err
    monkeypatch.setenv(MEMORY_ENV, "64")
    assert main(["validate", str(path)]) == 0


@pytest.mark.parametrize(("old", "new", "key"), [
    ("residents: 5003, persons_per_agent: 3",
     "residents: 9223372036854775807, persons_per_agent: 1000000000000",
     "city.population.residents"),
    ("duration: 20min", "duration: 1000d", "run.dt"),  # 8.6 million steps
    ("seed: 11}", "seed: 11, replications: 1000000}", "run.replications"),
    ("dt: 10s", "dt: 0.0001s", "run.dt"),
])
def test_counts_are_bounded_at_load(tmp_path, capsys, old, new, key):
    """2**63 - 1 residents reported not_evacuated: -9223372036854775808; the rest ran on."""
    path = write_scenario(tmp_path, SMALL_CITY.replace(old, new))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert key in err and "Traceback" not in err, err
