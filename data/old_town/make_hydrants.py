"""Write hydrants.csv: the old town's hydrants, with its south-west quarter left without.

Run from the repository root: ``python data/old_town/make_hydrants.py``. Made
up and deterministic, for ``scenarios/old-town-hydrants.yaml``:

- a hydrant at every other junction of the old town's 55 m grid (a 110 m
  lattice, 7 x 7 junctions): every street is within 150 m of one along the
  streets, and consecutive hydrants along the lattice's streets are 110 m
  apart (GB 50974-2014: at most 120 m);
- none in the south-west quarter (x <= 1330 m and y <= 1330 m, the main
  streets bounding it included), where the lanes were never fitted with
  hydrants: its inner part is beyond 150 m of hose from any hydrant;
- one hydrant out of service (``H-10-06``, on the east main street).
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
N = 13
SPACING_M = 55.0
ORIGIN_M = (1000.0, 1000.0)
CENTRE_M = ORIGIN_M[0] + SPACING_M * (N - 1) / 2
OUT_OF_SERVICE = {"H-10-06"}


def rows() -> list[dict[str, object]]:
    """The hydrants, one mapping per CSV row."""
    out = []
    for i in range(0, N, 2):
        for j in range(0, N, 2):
            x, y = ORIGIN_M[0] + SPACING_M * i, ORIGIN_M[1] + SPACING_M * j
            if x <= CENTRE_M and y <= CENTRE_M:
                continue
            hid = f"H-{i:02d}-{j:02d}"
            out.append({"id": hid, "x": f"{x:.0f}", "y": f"{y:.0f}", "flow_l_s": 15,
                        "in_service": "false" if hid in OUT_OF_SERVICE else "true"})
    return out


def main() -> None:
    """Write ``hydrants.csv`` beside this script."""
    with (HERE / "hydrants.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "x", "y", "flow_l_s", "in_service"])
        writer.writeheader()
        writer.writerows(rows())


if __name__ == "__main__":
    main()
