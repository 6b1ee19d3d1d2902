"""Analyses on the built city: station coverage (placement: :mod:`citysim.placement`).

:func:`station_coverage` gives, per node, the earliest arrival after dispatch
of a station's unit and the station's district, and the shares of population
and road length reached within a standard; the ``citysim coverage`` verb is
:mod:`citysim.app.coverage`.
"""

from citysim.analysis.coverage import (
    AREA_LIMITS_KM2,
    Coverage,
    CoverageRaster,
    coverage_nodes,
    coverage_report,
    station_coverage,
    street_pairs,
)

__all__ = [
    "AREA_LIMITS_KM2",
    "Coverage",
    "CoverageRaster",
    "coverage_nodes",
    "coverage_report",
    "station_coverage",
    "street_pairs",
]
