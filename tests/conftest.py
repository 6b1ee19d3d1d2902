"""Suite-wide test settings."""

import pytest
from hypothesis import settings

# numba compiles on first use and CI machines are shared: time limits per
# example would make property tests flaky without making them stricter
settings.register_profile("citysim", deadline=None)
settings.load_profile("citysim")


def _register(monkeypatch, type_name, config, model):
    from citysim.hazards import registry
    from citysim.scenario import hazard

    monkeypatch.setitem(hazard._REGISTRY, type_name, config)
    monkeypatch.setattr(config, "hazard_type", type_name)
    monkeypatch.setitem(registry._MODELS, type_name, model)


@pytest.fixture
def with_road_block(monkeypatch):
    """Register the test-only ``road_block`` hazard (tests/hazards/road_block.py)."""
    from tests.hazards import road_block

    _register(monkeypatch, "road_block", road_block.RoadBlockConfig, road_block.RoadBlock)


@pytest.fixture
def with_danger_zone(monkeypatch):
    """Register the test-only ``danger_zone`` hazard (tests/hazards/danger_zone.py)."""
    from tests.hazards import danger_zone

    _register(monkeypatch, "danger_zone", danger_zone.DangerZoneConfig, danger_zone.DangerZone)
