"""Planning: where to put shelters and stations (location models, checked by simulation).

:mod:`~citysim.placement.candidates` gathers existing and candidate sites,
:mod:`~citysim.placement.costs` the demand and travel-time matrices from
citysim's routing, :mod:`~citysim.placement.models` solves LSCP, MCLP, the
(capacitated) p-median and MEXCLP, and :mod:`~citysim.placement.optimize` is
``citysim optimize``: a placement, then current and proposed plans compared
by simulation with common random numbers.
"""

from citysim.placement.candidates import Sites, plan_sites
from citysim.placement.models import MODELS, Placement, lscp, mclp, mexclp, p_median
from citysim.placement.optimize import (
    OptimizeRun,
    PlacementProblem,
    paired_comparison,
    place,
    placement_problem,
    plan_scenario,
    run_optimize,
)

__all__ = [
    "MODELS",
    "OptimizeRun",
    "Placement",
    "PlacementProblem",
    "Sites",
    "lscp",
    "mclp",
    "mexclp",
    "p_median",
    "paired_comparison",
    "place",
    "plan_scenario",
    "plan_sites",
    "placement_problem",
    "run_optimize",
]
