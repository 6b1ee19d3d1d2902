from typing import ClassVar

import pytest

from citysim.errors import ScenarioError
from citysim.hazards import registry
from citysim.hazards.registry import hazard_model, register_hazard_model, runnable_hazards
from citysim.scenario import hazard, load_scenario_text
from citysim.scenario.base import PosFloat
from citysim.scenario.hazard import HazardConfig, hazard_config, known_hazards, register_hazard

MINIMAL = "name: t\nrun: {duration: 1h, dt: 10s}\ncity:\n  network: {synthetic: {}}\n"


@pytest.fixture()
def clean_registry(monkeypatch):
    monkeypatch.setattr(hazard, "_REGISTRY", dict(hazard._REGISTRY))
    monkeypatch.setattr(registry, "_MODELS", dict(registry._MODELS))


def test_builtin_hazards_are_registered():
    assert {"flood", "chemical_leak", "fire"} <= set(known_hazards())
    assert hazard_config("flood").__name__ == "FloodConfig"
    assert hazard_config("flood").requires_city == ("terrain",)
    with pytest.raises(KeyError, match="known: chemical_leak, fire, flood"):
        hazard_config("tsunami")


def test_a_new_hazard_is_one_registration(clean_registry, tmp_path):
    @register_hazard("earthquake")
    class EarthquakeConfig(HazardConfig):
        requires_city: ClassVar[tuple[str, ...]] = ("buildings",)
        magnitude: PosFloat

    assert hazard_config("earthquake") is EarthquakeConfig and "earthquake" in known_hazards()
    s = load_scenario_text(
        MINIMAL + "  buildings: {synthetic: {}}\nhazards: [{type: earthquake, magnitude: 6.5}]\n",
        base_dir=tmp_path,
    )
    assert s.hazards[0].magnitude == 6.5
    assert s.resolved()["hazards"] == [{"type": "earthquake", "magnitude": 6.5}]
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(
            MINIMAL + "hazards: [{type: earthquake, magnitude: -1}]\n", base_dir=tmp_path
        )
    assert [(p.path, p.line) for p in info.value.problems] == [("hazards[0].magnitude", 5)]
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(
            MINIMAL + "hazards: [{type: earthquake, magnitude: 7}]\n", base_dir=tmp_path
        )
    assert [(p.path, p.line) for p in info.value.problems] == [("city.buildings", 3)]
    assert "required by hazards[0] (earthquake)" in info.value.problems[0].message


def test_registration_errors(clean_registry):
    class A(HazardConfig):
        pass

    class B(HazardConfig):
        pass

    register_hazard("thing", A)
    register_hazard("thing", A)  # again: fine
    with pytest.raises(ValueError, match="already registered"):
        register_hazard("thing", B)
    with pytest.raises(ValueError, match="bad hazard type name"):
        register_hazard("Bad-Name", B)
    with pytest.raises(TypeError):
        register_hazard("other", dict)


def test_simulation_models_are_registered_apart(clean_registry):
    class SinkholeConfig(HazardConfig):
        pass

    class SinkholeModel:
        pass

    register_hazard("sinkhole", SinkholeConfig)
    assert hazard_model("sinkhole") is None and "sinkhole" not in runnable_hazards()
    register_hazard_model("sinkhole", SinkholeModel)
    assert hazard_model("sinkhole") is SinkholeModel and "sinkhole" in runnable_hazards()
    assert hazard_model("flood").__name__ == "FloodHazard"  # the built-in flood runs
    with pytest.raises(ValueError):
        register_hazard_model("flood", SinkholeModel)  # taken
    with pytest.raises(KeyError):
        register_hazard_model("tsunami", SinkholeModel)  # no such type
