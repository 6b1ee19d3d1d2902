"""Calibration of citysim's models against recorded data (see ``calibration/``)."""

from citysim.calibration.response_fit import (
    BANDS_M,
    ROAD_FACTOR,
    AttendanceFit,
    LognormalFit,
    band_table,
    bootstrap_attendance,
    fit_attendance,
    fit_lognormal,
    kolesar_travel_time_s,
)

__all__ = [
    "BANDS_M",
    "ROAD_FACTOR",
    "AttendanceFit",
    "LognormalFit",
    "band_table",
    "bootstrap_attendance",
    "fit_attendance",
    "fit_lognormal",
    "kolesar_travel_time_s",
]
