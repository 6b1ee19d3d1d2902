import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from citysim.scenario import Duration, PositiveDuration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (0, 0.0),
        (90, 90.0),
        (2.5, 2.5),
        ("90", 90.0),
        ("-90", -90.0),
        ("1e3", 1000.0),
        ("90s", 90.0),
        ("90 s", 90.0),
        ("1.5s", 1.5),
        ("15min", 900.0),
        ("2h", 7200.0),
        ("1h30min", 5400.0),
        ("1h 30min", 5400.0),
        ("1h30min15s", 5415.0),
        ("1.5h", 5400.0),
        (".5h", 1800.0),
        ("2d", 172800.0),
        ("1d12h", 129600.0),
        ("3 hours", 10800.0),
        ("10 minutes", 600.0),
        ("45sec", 45.0),
        ("2H", 7200.0),
        ("  5min  ", 300.0),
        ("-1h", -3600.0),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "  ",
        "abc",
        "5m",
        "1h30",
        "30min1h",
        "1h1h",
        "h",
        "1.2.3s",
        "5 parsecs",
        "--5s",
        "nan",
        "inf",
        "1e999",
        True,
        None,
        [1],
        {"h": 1},
        float("nan"),
        float("inf"),
        10**400,
    ],
)
def test_bad_durations_list_the_accepted_forms(bad):
    with pytest.raises(ValueError) as info:
        parse_duration(bad)
    message = str(info.value)
    assert "duration" in message
    if isinstance(bad, str) and bad.strip() and bad not in ("nan", "inf", "1e999"):
        assert '"1h30min"' in message


@pytest.mark.parametrize("seconds", [0, 1, 59, 60, 90, 3600, 5400, 86400, 90061, 1.5, -600])
def test_format_duration_parses_back(seconds):
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds)


def test_duration_types_reject_negative_and_zero():
    assert TypeAdapter(Duration).validate_python("0s") == 0.0
    assert TypeAdapter(PositiveDuration).validate_python("1min") == 60.0
    for adapter, value in ((Duration, -1), (Duration, "-5min"), (PositiveDuration, 0)):
        with pytest.raises(ValidationError) as info:
            TypeAdapter(adapter).validate_python(value)
        assert "expected a duration" in info.value.errors()[0]["msg"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=20), st.from_regex(r"[0-9 .eE+-]*[dhminsecour ]*[0-9 ]*")))
def test_parse_duration_returns_a_finite_number_or_raises_value_error(text):
    try:
        seconds = parse_duration(text)
    except ValueError:
        return
    assert isinstance(seconds, float) and math.isfinite(seconds)
