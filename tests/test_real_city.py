"""A whole run on a real OpenStreetMap network (tests/data, ODbL)."""

import json
from pathlib import Path

import numpy as np
import pytest

from citysim.cli import main
from tests.contract import contract_problems

DATA = Path(__file__).parent / "data"

REAL = """\
name: andorra-la-vella
run: {{duration: 10min, dt: 5s, seed: 3}}
city:
  network: {{{source}: {path}}}
  population: {{residents: 4000, persons_per_agent: 2, distribution: {dist}}}
shelters:
  - {{id: S1, name: Parc Central, location: {{lon: 1.5212, lat: 42.5058}}, capacity: 1500}}
stations:
  - {{id: F1, location: {{lon: 1.5265, lat: 42.5090}}, units: {{engine: 2}}}}
outputs: {{every: 1min, plots: true}}
"""


@pytest.mark.parametrize("source, path, dist", [
    ("osm", "andorra_la_vella.osm.pbf", "uniform"),
    ("graphml", "andorra_la_vella.graphml", "{node_weight: population}"),
])
def test_real_network_runs_end_to_end(tmp_path, source, path, dist):
    scenario = tmp_path / "real.yaml"
    scenario.write_text(REAL.format(source=source, path=DATA / path, dist=dist))
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--no-progress"]) == 0
    assert contract_problems(out) == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["network_edges"] == 246 and summary["residents_total"] == 4000
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["world"]["crs"].startswith("+proj=tmerc")
    dropped = prov["world"]["network"]["dropped"]  # the drop report adds up
    assert (dropped["components"] == 0) == (dropped["nodes"] == 0 == dropped["edges"])
    shelters = __import__("pandas").read_parquet(out / "shelters.parquet")
    # lon/lat projected into the local frame: the shelter sits near the frame's centre
    assert np.hypot(shelters["x"][0], shelters["y"][0]) < 100
    assert (out / "plots" / "city_map.png").stat().st_size > 10_000
