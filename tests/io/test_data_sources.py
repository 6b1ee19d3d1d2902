"""Provenance lists every data file a scenario reads, with its licence and attribution."""

import hashlib
from pathlib import Path

from citysim.io.data_sources import OSM_SOURCE, data_sources, input_files
from citysim.scenario import load_scenario, load_scenario_text

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def test_files_licences_and_hashes(tmp_path):
    (tmp_path / "shelters.csv").write_text("id,lon,lat,capacity\nA,1.52,42.505,100\n")
    (tmp_path / "sources.yaml").write_text(
        "shelters.csv:\n  title: Town shelters\n  licence: CC-BY 4.0\n"
        "  attribution: Town hall\n")
    (tmp_path / "dem.asc").write_text("ncols 1\nnrows 1\nxllcorner 0\nyllcorner 0\n"
                                      "cellsize 1\n5\n")
    s = load_scenario_text(f"""\
name: sources
run: {{duration: 10min, dt: 10s}}
city:
  network: {{osm: {DATA / 'andorra_la_vella_full.osm.pbf'}}}
  terrain: {{asc: dem.asc}}
shelters: {{csv: shelters.csv}}
stations: {{osm: fire_station}}
""", base_dir=tmp_path)
    files = input_files(s)
    assert files == [DATA / "andorra_la_vella_full.osm.pbf", tmp_path / "dem.asc",
                     tmp_path / "shelters.csv"]  # the network and the stations' file once
    records = {Path(r["file"]).name: r for r in data_sources(s)}
    osm = records["andorra_la_vella_full.osm.pbf"]
    assert osm["licence"] == OSM_SOURCE["licence"] == "ODbL 1.0"
    assert "OpenStreetMap contributors" in osm["attribution"]
    raw = (DATA / "andorra_la_vella_full.osm.pbf").read_bytes()
    assert osm["sha256"] == hashlib.sha256(raw).hexdigest() and osm["bytes"] == len(raw)
    assert records["shelters.csv"]["licence"] == "CC-BY 4.0"
    assert records["shelters.csv"]["attribution"] == "Town hall"
    assert records["dem.asc"]["licence"] is None and "licence unknown" in records["dem.asc"]["note"]


def test_shipped_real_scenarios_credit_every_file():
    for name in ("porto-alegre-flood", "andorra-coverage"):
        s = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        records = data_sources(s)
        assert records
        for record in records:
            path = Path(record["file"])
            # a fresh clone has them: inside the repository, credited in its sources.yaml
            assert path.is_relative_to(ROOT / "data"), path
            assert record["licence"] and record["attribution"] and "note" not in record
