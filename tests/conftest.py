"""Suite-wide test settings."""

import pytest
from hypothesis import settings

# numba compiles on first use and CI machines are shared: time limits per
# example would make property tests flaky without making them stricter
settings.register_profile("citysim", deadline=None)
settings.load_profile("citysim")


@pytest.fixture
def with_road_block(monkeypatch):
    """Register the test-only ``road_block`` hazard (tests/hazards/road_block.py)."""
    from sim.hazards import registry
    from tests.hazards import road_block

    monkeypatch.setitem(registry._REGISTRY, "road_block", road_block.RoadBlockConfig)
    monkeypatch.setattr(road_block.RoadBlockConfig, "hazard_type", "road_block")
    monkeypatch.setitem(registry._MODELS, "road_block", road_block.RoadBlock)
