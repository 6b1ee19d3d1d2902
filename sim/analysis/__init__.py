"""Analyses on the built city: station coverage (placement: :mod:`citysim.placement`).

:func:`station_coverage` gives, per node, the earliest arrival after dispatch
of a station's unit and the station's district, and the shares of population
and road length reached within a standard; :func:`run_coverage` is the
``citysim coverage`` verb.
"""

from citysim.analysis.coverage import (
    AREA_LIMITS_KM2,
    Coverage,
    CoverageRaster,
    CoverageRun,
    coverage_nodes,
    coverage_report,
    network_at,
    run_coverage,
    station_coverage,
    street_pairs,
    write_coverage,
)

__all__ = [
    "AREA_LIMITS_KM2",
    "Coverage",
    "CoverageRaster",
    "CoverageRun",
    "coverage_nodes",
    "coverage_report",
    "network_at",
    "run_coverage",
    "station_coverage",
    "street_pairs",
    "write_coverage",
]
