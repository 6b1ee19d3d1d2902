"""The scenario: schema of the YAML contract, loading, overrides, defaults.

>>> from citysim.scenario import load_scenario
>>> scenario = load_scenario("scenarios/normal-day.yaml", overrides=["run.dt=10s"], seed=1)
>>> scenario.run.duration, scenario.run.dt, scenario.overrides     # seconds
(7200.0, 10.0, ('run.dt=10s', 'run.seed=1'))

Bad input raises :class:`citysim.errors.ScenarioError` listing every problem with
its YAML path and line. Once loaded, durations are seconds, paths absolute,
CSV site files read, and everything immutable.
"""

from citysim.scenario import hazards  # noqa: F401  (registers the built-in hazard types)
from citysim.scenario.distributions import Distribution, DurationDistribution
from citysim.scenario.durations import Duration, PositiveDuration, format_duration, parse_duration
from citysim.scenario.hazard import HazardConfig
from citysim.scenario.loader import (
    load_scenario,
    load_scenario_dict,
    load_scenario_text,
)
from citysim.scenario.locations import GeoPoint, Location
from citysim.scenario.overrides import Override, apply_overrides, parse_override
from citysim.scenario.problems import format_path, parse_path
from citysim.scenario.schema import (
    BackgroundCalls,
    Behaviour,
    Buildings,
    City,
    ModeShare,
    Network,
    Outputs,
    Population,
    PopulationDistribution,
    Probe,
    Response,
    Run,
    Scenario,
    ScheduledWarning,
    SyntheticBuildings,
    SyntheticNetwork,
    SyntheticTerrain,
    Terrain,
    scenario_to_dict,
)
from citysim.scenario.series import StepSeries
from citysim.scenario.sites import (
    Candidates,
    CandidateShelter,
    CandidateStation,
    Shelter,
    Station,
    Units,
)
from citysim.scenario.yamlio import YamlDocument, parse_yaml, read_yaml

__all__ = [
    "BackgroundCalls",
    "Behaviour",
    "Buildings",
    "CandidateShelter",
    "CandidateStation",
    "Candidates",
    "City",
    "Distribution",
    "Duration",
    "DurationDistribution",
    "GeoPoint",
    "HazardConfig",
    "Location",
    "ModeShare",
    "Network",
    "Outputs",
    "Override",
    "Population",
    "PopulationDistribution",
    "PositiveDuration",
    "Probe",
    "Response",
    "Run",
    "Scenario",
    "ScheduledWarning",
    "Shelter",
    "Station",
    "StepSeries",
    "SyntheticBuildings",
    "SyntheticNetwork",
    "SyntheticTerrain",
    "Terrain",
    "Units",
    "YamlDocument",
    "apply_overrides",
    "format_duration",
    "format_path",
    "load_scenario",
    "load_scenario_dict",
    "load_scenario_text",
    "parse_duration",
    "parse_override",
    "parse_path",
    "parse_yaml",
    "read_yaml",
    "scenario_to_dict",
]
