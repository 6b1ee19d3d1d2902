"""Write old_town.graphml: a walled old district of narrow lanes and the road out of it.

Run from the repository root: ``python data/old_town/make_old_town.py``. The
network is made up (no real place), plain GraphML in metres (no ``crs``),
every street two-way, and deterministic. Used by
``scenarios/old-town-fire.yaml``.

- **Old town**: a 13 x 13 grid of junctions 55 m apart (660 m x 660 m) with
  origin (1000, 1000). Lanes are ``living_street``, 15 km/h, 4 m wide (walkable
  width: a 3 m carriageway and half-metre kerbs): an engine crawls there.
  The middle row and column are the main streets (``tertiary``, 25 km/h,
  7 m). The old wall line is a boulevard (``secondary``, 40 km/h, 14 m):
  wider than the fire's reach, it is the district's fire break.
- **West gate**: a short road (100 m) west to the near fire station.
- **East road**: a ``primary`` road (50 km/h, 12 m) from the east gate 3 km
  east to the far fire station, a junction every 250 m.
- **North and south roads**: 400 m to a park (north) and a school (south),
  the shelters.
"""

from __future__ import annotations

import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
N = 13
SPACING_M = 55.0
ORIGIN_M = (1000.0, 1000.0)
STYLE = {  # highway, speed (km/h), walkable width (m)
    "lane": ("living_street", 15.0, 4.0),
    "main": ("tertiary", 25.0, 7.0),
    "wall": ("secondary", 40.0, 14.0),
    "road": ("primary", 50.0, 12.0),
    "link": ("residential", 30.0, 7.0),
}


def build() -> tuple[list[tuple[float, float]], list[tuple[int, int, str]]]:
    """Junctions ``(x, y)`` and streets ``(a, b, style)``."""
    nodes: list[tuple[float, float]] = []
    streets: list[tuple[int, int, str]] = []
    x0, y0 = ORIGIN_M
    mid, last = N // 2, N - 1
    for i in range(N):
        for j in range(N):
            nodes.append((x0 + j * SPACING_M, y0 + i * SPACING_M))

    def grid(i: int, j: int) -> int:
        return i * N + j

    for i in range(N):
        for j in range(N):
            if j < last:
                kind = "wall" if i in (0, last) else "main" if i == mid else "lane"
                streets.append((grid(i, j), grid(i, j + 1), kind))
            if i < last:
                kind = "wall" if j in (0, last) else "main" if j == mid else "lane"
                streets.append((grid(i, j), grid(i + 1, j), kind))

    def road(start: int, dx: float, dy: float, length: float, step: float, kind: str) -> None:
        x, y = nodes[start]
        previous = start
        for k in range(1, int(round(length / step)) + 1):
            nodes.append((x + dx * k * step, y + dy * k * step))
            streets.append((previous, len(nodes) - 1, kind))
            previous = len(nodes) - 1

    side = SPACING_M * last
    road(grid(mid, 0), -1.0, 0.0, 100.0, 100.0, "link")      # west gate -> near station
    road(grid(mid, last), 1.0, 0.0, 3000.0, 250.0, "road")   # east gate -> far station
    road(grid(last, mid), 0.0, 1.0, 400.0, 200.0, "link")    # north gate -> park
    road(grid(0, mid), 0.0, -1.0, 400.0, 200.0, "link")      # south gate -> school
    assert abs(nodes[grid(mid, last)][0] - (x0 + side)) < 1e-9
    return nodes, streets


def write(path: Path) -> None:
    """Write the network as plain GraphML (both directions of every street)."""
    nodes, streets = build()
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- Made by data/old_town/make_old_town.py: a made-up old town, metres, no crs. -->",
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
        '  <key id="x" for="node" attr.name="x" attr.type="double"/>',
        '  <key id="y" for="node" attr.name="y" attr.type="double"/>',
        '  <key id="len" for="edge" attr.name="length" attr.type="double"/>',
        '  <key id="hwy" for="edge" attr.name="highway" attr.type="string"/>',
        '  <key id="spd" for="edge" attr.name="speed_kph" attr.type="double"/>',
        '  <key id="wid" for="edge" attr.name="width_m" attr.type="double"/>',
        '  <key id="ow" for="edge" attr.name="oneway" attr.type="boolean"/>',
        '  <graph id="old_town" edgedefault="directed">',
    ]
    for k, (x, y) in enumerate(nodes):
        lines.append(f'    <node id="{k}"><data key="x">{x:.2f}</data>'
                     f'<data key="y">{y:.2f}</data></node>')
    for a, b, kind in streets:
        highway, speed, width = STYLE[kind]
        (xa, ya), (xb, yb) = nodes[a], nodes[b]
        length = math.hypot(xb - xa, yb - ya)
        for s, t in ((a, b), (b, a)):
            lines.append(f'    <edge source="{s}" target="{t}"><data key="len">{length:.2f}</data>'
                         f'<data key="hwy">{highway}</data><data key="spd">{speed:g}</data>'
                         f'<data key="wid">{width:g}</data><data key="ow">false</data></edge>')
    lines += ["  </graph>", "</graphml>", ""]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    write(HERE / "old_town.graphml")
