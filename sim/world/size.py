"""How big a run is, estimated before the city is populated: refuse what cannot fit.

The estimate is made once the road network is read (its nodes and extent
are then known) and before the residents, the terrain and the buildings are
made. Each part is attributed to the YAML key that drives it:

=================================================  ==========================================
part                                               bytes
=================================================  ==========================================
agents (``city.population``)                        residents / persons_per_agent x 400
road network and routing (``city.network``)         (nodes + edges) x 64 x (shelters + 4)
terrain (``city.terrain``)                          grid cells over the network's extent x 96
buildings (``city.buildings.synthetic``)            buildings over the extent x 200
calls (``response.background_calls.rate_per_h``)   calls over the run x 2,000 (Mesa agents)
recorded series (``run.duration``)                  records x (40 + probes) x 8 x replications
replications (``run.replications``)                 replications x 20,000
=================================================  ==========================================

The coefficients are generous upper bounds measured on this implementation
(struct-of-arrays residents with their routes; a flood's grid holds about a
dozen float64 fields). A run whose estimate exceeds the memory available is
refused with the estimate and its largest part; ``CITYSIM_MEMORY_GB`` sets
the memory to plan for instead (a machine with swap, or a cluster node whose
free memory is not what this process sees). The work, agent-steps over all
replications, is estimated too and printed with the refusal.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from citysim.errors import Problem, ScenarioError
from citysim.scenario import Scenario

__all__ = ["MEMORY_ENV", "SizeEstimate", "available_memory_bytes", "check_size", "estimate_size"]

MEMORY_ENV = "CITYSIM_MEMORY_GB"
"""Environment variable: memory (GB) a run may plan for, instead of the available RAM."""
AGENT_BYTES = 400.0
GRAPH_BYTES = 64.0
CELL_BYTES = 96.0
BUILDING_BYTES = 200.0
CALL_BYTES = 2000.0
REPLICATION_BYTES = 20_000.0


@dataclass(frozen=True)
class SizeEstimate:
    """The estimated size of a run.

    Attributes
    ----------
    parts
        YAML key to bytes, for each part of the run.
    agent_steps
        Agents x steps x replications: the work.
    """

    parts: dict[str, float]
    agent_steps: float

    @property
    def total_bytes(self) -> float:
        """All parts (bytes)."""
        return float(sum(self.parts.values()))


def estimate_size(scenario: Scenario, *, nodes: int, edges: int,
                  bounds_m: tuple[float, float, float, float]) -> SizeEstimate:
    """Estimate a run's memory and work from its scenario and its road network.

    Parameters
    ----------
    scenario
        The loaded scenario.
    nodes, edges
        Size of the road network.
    bounds_m
        ``(xmin, ymin, xmax, ymax)`` of the road network (m).
    """
    city, run = scenario.city, scenario.run
    agents = math.ceil(city.population.residents / city.population.persons_per_agent)
    area_m2 = max(bounds_m[2] - bounds_m[0], 1.0) * max(bounds_m[3] - bounds_m[1], 1.0)
    steps = float(run.duration) / float(run.dt)
    reps = int(run.replications)
    parts = {
        "city.population.residents": agents * AGENT_BYTES,
        "city.network": (nodes + edges) * GRAPH_BYTES * (len(scenario.shelters) + 4),
        "run.duration": float(run.duration) / float(scenario.outputs.every)
        * (40 + len(scenario.outputs.probes)) * 8.0 * reps,
        "run.replications": reps * REPLICATION_BYTES,
        "response.background_calls.rate_per_h": float(scenario.response.background_calls.rate_per_h)
        * float(run.duration) / 3600.0 * CALL_BYTES,
    }
    terrain = city.terrain
    if terrain is not None:
        cell_m = terrain.synthetic.cell_m if terrain.synthetic is not None else terrain.cell_m
        if cell_m:
            key = "city.terrain.synthetic.cell_m" if terrain.synthetic else "city.terrain.cell_m"
            parts[key] = (area_m2 / float(cell_m) ** 2) * CELL_BYTES
        else:  # a DEM file: its cells are its size, about 4 bytes each
            path = terrain.asc or terrain.geotiff or terrain.hgt
            parts["city.terrain"] = _file_bytes(path) / 4.0 * CELL_BYTES
    buildings = city.buildings
    if buildings is not None and buildings.synthetic is not None:
        b = buildings.synthetic
        per_m2 = float(b.density) / (float(b.footprint_m) + float(b.gap_m)) ** 2
        parts["city.buildings.synthetic.density"] = area_m2 * per_m2 * BUILDING_BYTES
    return SizeEstimate(parts, float(agents) * steps * reps)


def available_memory_bytes() -> float:
    """Memory a run may use: ``CITYSIM_MEMORY_GB`` if set, else the RAM available now.

    Raises
    ------
    ScenarioError
        When ``CITYSIM_MEMORY_GB`` is not a positive number.
    """
    given = os.environ.get(MEMORY_ENV)
    if given is not None:
        try:
            gb = float(given)
        except ValueError:
            gb = math.nan
        if not gb > 0 or not math.isfinite(gb):
            raise ScenarioError([Problem(MEMORY_ENV, f"expected a positive number of GB, got "
                                                     f"{given!r}")])
        return gb * 1e9
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def check_size(scenario: Scenario, *, nodes: int, edges: int,
               bounds_m: tuple[float, float, float, float]) -> SizeEstimate:
    """The run's size estimate, once it is known to fit the memory available.

    Parameters are those of :func:`estimate_size`.

    Raises
    ------
    ScenarioError
        At the largest part's YAML key, with the estimate, when the run
        needs more memory than :func:`available_memory_bytes`.
    """
    size = estimate_size(scenario, nodes=nodes, edges=edges, bounds_m=bounds_m)
    limit = available_memory_bytes()
    if size.total_bytes > limit:
        key, part = max(size.parts.items(), key=lambda kv: kv[1])
        raise ScenarioError([scenario.problem(_loc(key), (
            f"this run needs about {_gb(size.total_bytes)} of memory ({_gb(part)} for {key}; "
            f"{size.agent_steps:.3g} agent-steps) and {_gb(limit)} is available: make it "
            f"smaller (fewer residents or more persons_per_agent, a coarser cell_m, a shorter "
            f"run), or set {MEMORY_ENV} to the memory this machine can give it"))])
    return size


def _loc(key: str) -> tuple[str, ...]:
    return tuple(key.split("."))


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:,.1f} GB" if n_bytes >= 1e8 else f"{n_bytes / 1e6:,.0f} MB"


def _file_bytes(path: Path | None) -> float:
    try:
        return float(Path(path).stat().st_size) if path is not None else 0.0
    except OSError:
        return 0.0
