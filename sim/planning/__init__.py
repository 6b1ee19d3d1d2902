"""Planning: where to put shelters and stations (location models, checked by simulation).

:mod:`~sim.planning.candidates` gathers existing and candidate sites,
:mod:`~sim.planning.costs` the demand and travel-time matrices from
citysim's routing, :mod:`~sim.planning.models` solves LSCP, MCLP, the
(capacitated) p-median and MEXCLP, and :mod:`~sim.planning.optimize` is
``citysim optimize``: a placement, then current and proposed plans compared
by simulation with common random numbers.
"""

from sim.planning.candidates import Sites, plan_sites
from sim.planning.models import MODELS, Placement, lscp, mclp, mexclp, p_median
from sim.planning.optimize import (
    OptimizeRun,
    PlanningProblem,
    paired_comparison,
    place,
    plan_scenario,
    planning_problem,
    run_optimize,
)

__all__ = [
    "MODELS",
    "OptimizeRun",
    "Placement",
    "PlanningProblem",
    "Sites",
    "lscp",
    "mclp",
    "mexclp",
    "p_median",
    "paired_comparison",
    "place",
    "plan_scenario",
    "plan_sites",
    "planning_problem",
    "run_optimize",
]
