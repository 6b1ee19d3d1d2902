"""Suite-wide test settings."""

from hypothesis import settings

# numba compiles on first use and CI machines are shared: time limits per
# example would make property tests flaky without making them stricter
settings.register_profile("citysim", deadline=None)
settings.load_profile("citysim")
