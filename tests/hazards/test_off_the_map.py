"""A hazard's place off the map is refused, as a shelter's is (issue #21).

A road closure, a fire ignition or a flood inflow 90 km away was snapped to
the edge of the map (a corner building burned; the inflow was poured in);
a chemical source may lie off the road network (a plant), but not 900 km
away.
"""

import pytest

from citysim.cli import main
from citysim.hazards.chemical import SOURCE_MARGIN_M
from tests.scenarios import SMALL_CITY, write_scenario

CITY = SMALL_CITY.replace(
    "  population:",
    "  terrain: {synthetic: {kind: bowl, cell_m: 25, slope: 0.002, depth_m: 4}}\n"
    "  buildings: {synthetic: {density: 0.5, footprint_m: 12}}\n  population:")
# the town spans 0..1050 m
HAZARDS = {
    "closure": ("{type: road_closure, closures: [{location: {x: %s, y: 300}, at: 0}]}",
                "hazards[0].closures[0].location"),
    "fire": ("{type: fire, ignitions: [{location: {x: %s, y: 300}, at: 0}]}",
             "hazards[0].ignitions[0].location"),
    "flood": ("{type: flood, rain_mm_h: 0, inflows: [{location: {x: %s, y: 300}, "
              "m3_s: [[0, 0], [1h, 80]]}]}", "hazards[0].inflows[0].location"),
    "chemical": ("{type: chemical_leak, source: {location: {x: %s, y: 300}}, "
                 "substance: chlorine, release: {rate_kg_s: 5, start: 0, duration: 10min}, "
                 "weather: {wind_speed_mps: 3, from_deg: 270, stability: D}}",
                 "hazards[0].source.location"),
}


def _validate(tmp_path, kind, x_m):
    text = CITY + f"hazards:\n  - {HAZARDS[kind][0] % x_m}\n"
    return main(["validate", str(write_scenario(tmp_path, text))])


@pytest.mark.parametrize("kind", list(HAZARDS))
def test_a_hazard_far_off_the_map_is_refused_with_its_path(tmp_path, capsys, kind):
    far_m = 900_000 if kind == "chemical" else 90_000
    assert _validate(tmp_path, kind, far_m) == 2
    err = capsys.readouterr().err
    assert HAZARDS[kind][1] in err and "off the map" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("kind", list(HAZARDS))
def test_a_hazard_on_the_map_is_accepted(tmp_path, capsys, kind):
    assert _validate(tmp_path, kind, 500) == 0, capsys.readouterr().err


def test_a_chemical_plant_out_of_town_is_accepted_within_the_margin(tmp_path, capsys):
    """The town ends at x = 1050 m; a plant 2 km east of it is no road's but on the map."""
    assert _validate(tmp_path, "chemical", 3050) == 0, capsys.readouterr().err
    assert _validate(tmp_path, "chemical", 1050 + SOURCE_MARGIN_M + 100) == 2
    assert "outside the road network" in capsys.readouterr().err
