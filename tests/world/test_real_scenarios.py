"""The two real-city scenarios load from the repository's own data (as in a fresh clone)."""

import csv
import json
from pathlib import Path

from citysim.cli import main
from citysim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
POA = ROOT / "scenarios" / "porto-alegre-flood.yaml"
ANDORRA = ROOT / "scenarios" / "andorra-coverage.yaml"


def test_porto_alegre_scenario_reads_the_real_data():
    s = load_scenario(POA)
    box = s.city.bbox
    with (ROOT / "data" / "porto_alegre" / "poa_hexgrid.csv").open(newline="") as fh:
        inside = sum(int(r["population"]) for r in csv.DictReader(fh)
                     if box.west <= float(r["lon"]) <= box.east
                     and box.south <= float(r["lat"]) <= box.north)
    assert s.city.population.residents == inside == 349_081
    kinds = [sh.kind for sh in s.shelters]
    assert kinds.count("school") == 58 and kinds.count("park") + kinds.count("square") == 9
    excluded = {"r2829343", "r8036780", "w338078447"}  # squares in the flood
    assert not excluded & {sh.id for sh in s.shelters}
    assert all(sh.places > 0 for sh in s.shelters)
    assert s.city.network.walk and s.city.terrain.kind == "geotiff"
    assert len(s.hazards[0].inflows) == 14


def test_andorra_coverage_runs_on_osm_stations(tmp_path, capsys):
    s = load_scenario(ANDORRA)
    assert len(s.stations) == 5 and all(st.units.engine == 2 for st in s.stations)
    assert "Parc de Bombers d'Andorra la Vella" in {st.name for st in s.stations}
    out = tmp_path / "cov"
    assert main(["coverage", str(ANDORRA), "--out", str(out)]) == 0
    report = json.loads((out / "coverage.json").read_text())
    assert 0.2 < report["coverage_fraction"] < 0.8  # a mountain country: far from full cover
    assert len(report["stations"]) == 5
    sources = report["provenance"]["data_sources"]
    assert [Path(r["file"]).name for r in sources] == ["andorra-latest.osm.pbf"]
    assert sources[0]["licence"] == "ODbL 1.0"
    assert (out / "plots" / "coverage_map.png").stat().st_size > 20_000
