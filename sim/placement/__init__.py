"""Planning: where to put shelters and stations (location models, checked by simulation).

:mod:`~citysim.placement.candidates` gathers existing and candidate sites,
:mod:`~citysim.placement.costs` the demand and travel-time matrices from
citysim's routing, :mod:`~citysim.placement.models` solves LSCP, MCLP, the
(capacitated) p-median and MEXCLP, and :mod:`~citysim.placement.optimize`
sets up a placement problem, solves it and makes the scenario of a plan
(``citysim optimize`` compares plans by simulation in :mod:`citysim.app.optimize`).
"""

from citysim.placement.candidates import Sites, plan_sites
from citysim.placement.models import MODELS, Placement, lscp, mclp, mexclp, p_median
from citysim.placement.optimize import (
    PlacementProblem,
    place,
    placement_problem,
    plan_scenario,
)

__all__ = [
    "MODELS",
    "Placement",
    "PlacementProblem",
    "Sites",
    "lscp",
    "mclp",
    "mexclp",
    "p_median",
    "place",
    "plan_scenario",
    "plan_sites",
    "placement_problem",
]
