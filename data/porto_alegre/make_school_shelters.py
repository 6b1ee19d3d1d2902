"""Write ``poa_school_shelters.csv``: the schools of the hexagon grid as flood shelters.

Run from the repository root::

    python data/porto_alegre/make_school_shelters.py

``poa_hexgrid.csv`` (Ipea, Access to Opportunities Project) counts the schools
in each H3 hexagon but does not place them; each hexagon with schools inside
the study area of ``scenarios/porto-alegre-flood.yaml`` (:data:`BBOX`)
becomes one shelter at the hexagon's centre (within about 150 m of the
schools). A school is sized as :data:`AREA_PER_SCHOOL_M2` of usable indoor
floor (classrooms and a sports hall) at :data:`M2_PER_PERSON`, the Sphere
minimum covered area per person in collective centres: 285 persons a
school. These two figures are assumptions, not data. Only schools whose
ground lies at least :data:`MIN_GROUND_M` above the lake in the SRTM DEM are
kept (the Guaíba peaked 5.3 m above its datum in May 2024, and SRTM reads
2-3 m high over buildings): a flood shelter must stay dry.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from citysim.scenario.geogrid import read_geotiff

HERE = Path(__file__).resolve().parent
BBOX = (-51.245, -30.06, -51.17, -29.995)
"""West, south, east, north (degrees): the flood scenario's ``city.bbox``."""
AREA_PER_SCHOOL_M2 = 1000.0
M2_PER_PERSON = 3.5
MIN_GROUND_M = 8.0


def main() -> None:
    """Write the CSV next to this script."""
    dem = read_geotiff(HERE / "poa_elevation.tif", nodata=0)
    with (HERE / "poa_hexgrid.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        lon, lat, schools = float(row["lon"]), float(row["lat"]), int(row["schools"] or 0)
        inside = BBOX[0] <= lon <= BBOX[2] and BBOX[1] <= lat <= BBOX[3]
        if not (inside and schools > 0):
            continue
        ground = float(dem.sample(np.array([lon]), np.array([lat]))[0])
        if not ground >= MIN_GROUND_M:
            continue
        out.append({"id": f"school-{row['id']}",
                    "name": f"{schools} school{'s' if schools > 1 else ''} in hexagon {row['id']}",
                    "kind": "school", "lon": f"{lon:.6f}", "lat": f"{lat:.6f}",
                    "area_m2": f"{schools * AREA_PER_SCHOOL_M2:g}",
                    "m2_per_person": f"{M2_PER_PERSON:g}"})
    out.sort(key=lambda r: r["id"])
    target = HERE / "poa_school_shelters.csv"
    with target.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(out[0]))
        writer.writeheader()
        writer.writerows(out)
    print(f"{target.name}: {len(out)} shelters")


if __name__ == "__main__":
    main()
