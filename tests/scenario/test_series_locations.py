import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from citysim.scenario import Location, StepSeries
from citysim.scenario.series import NonNegativeSeries


class Holder(BaseModel):
    s: StepSeries
    n: NonNegativeSeries = StepSeries.constant(0.0)


def _errors(data):
    with pytest.raises(ValidationError) as info:
        Holder.model_validate(data)
    return [(e["loc"], e["msg"]) for e in info.value.errors()]


def test_step_series_holds_each_value_until_the_next_time():
    s = Holder.model_validate({"s": [[0, 0], ["1h", 50], ["2h", 201.9], ["3h", 20]]}).s
    np.testing.assert_array_equal(s.t_s, [0, 3600, 7200, 10800])
    np.testing.assert_array_equal(s.value, [0, 50, 201.9, 20])
    assert s.value_at(0) == 0 and s.value_at(3599.9) == 0
    assert s.value_at(3600) == 50 and s.value_at(7199) == 50
    assert s.value_at(7200) == 201.9 and s.value_at(1e9) == 20
    np.testing.assert_array_equal(s.value_at(np.array([-1.0, 3600.0, 9000.0])), [0, 50, 201.9])
    assert s.max() == 201.9 and not s.is_constant
    assert s.to_yaml() == [[0, 0], [3600, 50], [7200, 201.9], [10800, 20]]
    with pytest.raises(ValueError):
        s.t_s[0] = 5  # read-only


def test_constant_series_and_late_start():
    c = Holder.model_validate({"s": 20}).s
    assert c.is_constant and c.value_at(123.0) == 20 and c.to_yaml() == 20.0
    late = Holder.model_validate({"s": [["1h", 50]]}).s
    assert late.value_at(10) == 0 and late.value_at(3600) == 50


def test_series_round_trip_and_equality():
    h = Holder.model_validate({"s": [[0, 1], [60, 2]], "n": 3})
    again = Holder.model_validate(h.model_dump(mode="json"))
    assert again == h and hash(again.s) == hash(h.s)


@pytest.mark.parametrize(
    ("value", "where", "text"),
    [
        (
            [[0, 0], ["2h", 1], ["1h", 2]],
            ("s", 2, 0),
            "times must increase strictly: 1h follows 2h",
        ),
        ([[0, 0], [0, 1]], ("s", 1, 0), "increase strictly"),
        ([], ("s",), "empty list"),
        ("lots", ("s",), "a number, or a list of [time, value] pairs"),
        ([[0, 1, 2]], ("s", 0), "expected a [time, value] pair, got a list"),
        ([["soon", 1]], ("s", 0, 0), "expected a duration"),
        ([[-5, 1]], ("s", 0, 0), "expected a duration >= 0"),
        (True, ("s",), "a number, or a list"),
    ],
)
def test_bad_series(value, where, text):
    errors = _errors({"s": value})
    assert any(loc == where and text in msg for loc, msg in errors), errors


def test_negative_values_rejected_where_they_make_no_sense():
    assert _errors({"s": 1, "n": [[0, 1], [60, -2]]}) == [
        (("n", 1, 1), "expected a value >= 0, got -2")
    ]
    assert _errors({"s": 1, "n": -1}) == [(("n",), "expected a value >= 0, got -1")]


@pytest.mark.parametrize(
    ("data", "kind"),
    [({"x": 1, "y": 2.5}, "xy"), ({"lon": 113.6, "lat": 34.7}, "lonlat"), ({"node": 17}, "node")],
)
def test_location_forms(data, kind):
    loc = Location.model_validate(data)
    assert loc.kind == kind
    assert loc.model_dump() == data


@pytest.mark.parametrize(
    ("data", "where", "text"),
    [
        ({}, (), "got no coordinates"),
        ({"x": 1}, ("y",), "a location given by x needs y too"),
        ({"lat": 1}, ("lon",), "needs lon too"),
        ({"x": 1, "y": 2, "node": 3}, (), "expected one location form"),
        ({"x": 1, "lat": 2}, (), "expected one location form"),
        ({"lon": 200, "lat": 0}, ("lon",), "less than or equal to 180"),
        ({"lon": 0, "lat": -91}, ("lat",), "greater than or equal to -90"),
        ({"node": 1.5}, ("node",), "valid integer"),
        ({"node": "17"}, ("node",), "valid integer"),
        ({"x": "1", "y": 2}, ("x",), "valid number"),
        (
            {"x": 1, "y": 2, "z": 3},
            ("z",),
            "unknown key 'z' (expected one of: x, y, lon, lat, node)",
        ),
        ([1, 2], (), "expected a location {x, y}, {lon, lat} or {node: ID}, got a list"),
    ],
)
def test_bad_locations(data, where, text):
    with pytest.raises(ValidationError) as info:
        Location.model_validate(data)
    found = [(e["loc"], e["msg"]) for e in info.value.errors()]
    assert any(loc == where and text in msg for loc, msg in found), found
