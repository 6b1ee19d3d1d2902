"""citysim: a city in an emergency, resident by resident and engine by engine.

The Python front door::

    import citysim

    result = citysim.run("scenarios/normal-day.yaml")        # all replications, in memory
    result.summary["evacuated"]; result.timeseries            # KPIs and tables
    citysim.run("flood.yaml", seed=3, overrides=["behaviour.compliance=0.6"], out="results/x")

    scenario = citysim.load_scenario("flood.yaml")
    model = citysim.CityModel.from_scenario(scenario, replication=0)  # step it yourself
    while model.running:
        model.step()

    citysim.run_batch("experiments/shelter-plans.yaml", workers=1)
    citysim.run_sweep("experiments/chlorine-sensitivity.yaml", workers=1)

Names are loaded on first use, so ``import citysim`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module, metadata
from typing import TYPE_CHECKING, Any

try:
    __version__ = metadata.version("citysim")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from citysim.app.experiments import run_batch, run_sweep
    from citysim.app.run import run
    from citysim.errors import ScenarioError
    from citysim.model import CityModel
    from citysim.scenario import Scenario, load_scenario
    from citysim.simulation import RunResult
    from citysim.world.builder import World, build_world

_EXPORTS: dict[str, str] = {
    "load_scenario": "citysim.scenario",
    "Scenario": "citysim.scenario",
    "build_world": "citysim.world.builder",
    "World": "citysim.world.builder",
    "CityModel": "citysim.model",
    "run": "citysim.app.run",
    "RunResult": "citysim.simulation",
    "run_batch": "citysim.app.experiments",
    "run_sweep": "citysim.app.experiments",
    "ScenarioError": "citysim.errors",
}

__all__ = ["CityModel", "RunResult", "Scenario", "ScenarioError", "World", "__version__",
           "build_world", "load_scenario", "run", "run_batch", "run_sweep"]


def __getattr__(name: str) -> Any:
    """Load a front-door name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'citysim' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
