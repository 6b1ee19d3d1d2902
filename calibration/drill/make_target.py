"""Build ``drill_arrivals.csv``: the arrival curve the drill calibration fits to.

The curve is constructed, not recorded: the cumulative share of the drill's
participants who have reached an assembly area, minute by minute, when each
person

- starts after a **pre-movement time** drawn from a lognormal distribution
  (median ``PREMOVE_MEDIAN_S``, log-sd ``PREMOVE_SIGMA``): the form that
  best described most of 2,486 pre-movement times observed in 40
  unannounced evacuation experiments (Forssberg, Kjellström, Frantzich,
  Mossberg & Nilsson, "The Variation of Pre-movement Time in Building
  Evacuation", Fire Technology 55(6), 2491-2513, 2019), and the usual fit
  for community evacuations (MODELS.md: lognormal, medians of 5-30 min);
- then walks the shortest street route from home to the nearest assembly
  area at a **walking speed** drawn from a normal distribution (mean
  ``WALK_MEAN_MPS``, sd ``WALK_SD_MPS``, at least 0.5 m/s), without
  congestion.

Homes and streets are those of ``drill.yaml`` (citysim's world builder,
its seed), so only the behaviour differs between this construction and a
citysim run: the calibration should find a response-delay median near
``PREMOVE_MEDIAN_S`` and a mean walking speed near ``WALK_MEAN_MPS``, off by
what citysim adds (crowding on the streets, the spread of its own walking
speeds). The values are chosen inside the published ranges and away from
the scenario's defaults (5 min, 1.34 m/s) so that the fit has something to
find. To calibrate to a recorded drill, replace the CSV by the recorded
curve (``t_s, arrived_fraction``).

Usage::

    python calibration/drill/make_target.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from citysim.io.atomic import write_atomic
from citysim.rng import world_streams
from citysim.routing import shortest_costs
from citysim.scenario import load_scenario
from citysim.world.builder import build_world

HERE = Path(__file__).resolve().parent
PREMOVE_MEDIAN_S = 420.0
PREMOVE_SIGMA = 0.7
WALK_MEAN_MPS = 1.1
WALK_SD_MPS = 0.25
WALK_MIN_MPS = 0.5
PERSONS = 200_000
"""Simulated participants of the construction (enough for a smooth curve)."""
SEED = 1998


def arrival_curve() -> pd.DataFrame:
    """The constructed curve: ``t_s`` (every minute of the drill), ``arrived_fraction``."""
    scenario = load_scenario(HERE / "drill.yaml")
    world = build_world(scenario, world_streams(scenario.run.seed))
    net = world.network
    distance_m = shortest_costs(net, world.shelters.node, weight_s=net.length_m).dist_s
    homes = world.population.home_node
    weights = world.population.persons / world.population.total
    rng = np.random.default_rng(np.random.SeedSequence(SEED))
    home = rng.choice(homes, size=PERSONS, p=weights)
    premove_s = PREMOVE_MEDIAN_S * np.exp(PREMOVE_SIGMA * rng.standard_normal(PERSONS))
    speed_mps = np.maximum(WALK_MIN_MPS, rng.normal(WALK_MEAN_MPS, WALK_SD_MPS, PERSONS))
    arrive_s = np.sort(premove_s + distance_m[home] / speed_mps)
    t_s = np.arange(0.0, scenario.run.duration + 1.0, 60.0)
    fraction = np.searchsorted(arrive_s, t_s, side="right") / PERSONS
    return pd.DataFrame({"t_s": t_s, "arrived_fraction": np.round(fraction, 4)})


def main() -> None:
    """Write ``drill_arrivals.csv`` beside this file."""
    curve = arrival_curve()
    header = (
        "# Constructed drill arrival curve (not recorded data): share of participants at an\n"
        "# assembly area by time since the warning. Lognormal pre-movement (median "
        f"{PREMOVE_MEDIAN_S:g} s, sigma {PREMOVE_SIGMA:g};\n"
        "# Forssberg et al., Fire Technology 55(6) 2491-2513, 2019) + shortest walk at "
        f"N({WALK_MEAN_MPS:g}, {WALK_SD_MPS:g}) m/s\n"
        "# (>= 0.5) on drill.yaml's streets, no crowding. Made by make_target.py "
        f"(seed {SEED}).\n"
    )
    write_atomic(HERE / "drill_arrivals.csv",
                 lambda p: p.write_text(header + curve.to_csv(index=False)))


if __name__ == "__main__":
    main()
