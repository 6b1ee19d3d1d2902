"""Derive ``lfb_attendance.csv`` from the London Fire Brigade 2009 dwelling-fire records.

Reads ``fstimes.csv`` (6,708 dwelling fires) and ``fs.csv`` (LFB property
assets, with station Easting/Northing) from ``shared/data/london_fire_brigade``
(the folder beside the repository, or the one given as the first argument),
joins each incident to the station its first pump was deployed from (names
match once text in parentheses is dropped and case is ignored), computes the
straight-line distance from that station to the incident (British National
Grid metres; incident locations are rounded to 100 m in the source, station
locations are not) and writes::

    incident_id, distance_m, attendance_s, station, hour

``hour`` is the hour of the call (0-23). Incidents whose deploying station
has no location in ``fs.csv`` (only WIMBLEDON) are dropped and counted.

Usage::

    python calibration/lfb/prepare.py [SOURCE_DIR]

The output starts with ``#`` comment lines (source, licence, attribution);
read it with ``pandas.read_csv(path, comment="#")``.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = Path(__file__).resolve().parents[3] / "shared/data/london_fire_brigade"
OUTPUT = HERE / "lfb_attendance.csv"

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: London Fire Brigade / London Datastore."
)


def station_key(name: object) -> str:
    """Return the join key of a station name: text in parentheses dropped, upper case.

    Parameters
    ----------
    name
        A station name as written in either file.

    Returns
    -------
    str
    """
    return re.sub(r"\s+", " ", re.sub(r"\(.*?\)", "", str(name))).strip().upper()


def sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    str
    """
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare(source_dir: Path) -> tuple[pd.DataFrame, pd.Series]:
    """Join incidents to their deploying station and compute the distance.

    Parameters
    ----------
    source_dir
        Folder holding ``fstimes.csv`` and ``fs.csv``.

    Returns
    -------
    table : pandas.DataFrame
        ``incident_id, distance_m, attendance_s, station, hour``, one row per
        matched incident, in the source order.
    dropped : pandas.Series
        Dropped incidents counted by deploying-station name.
    """
    fires = pd.read_csv(source_dir / "fstimes.csv")
    assets = pd.read_csv(source_dir / "fs.csv")
    assets = assets.assign(key=assets["Holding_Name"].map(station_key))
    if assets["key"].duplicated().any():
        raise ValueError("fs.csv: two assets share a station name once normalised")
    fires = fires.assign(key=fires["FirstPumpArriving_DeployedFromStation"].map(station_key))
    joined = fires.merge(
        assets[["key", "Easting", "Northing"]], on="key", how="left", validate="many_to_one"
    )
    matched = joined["Easting"].notna() & joined["Northing"].notna()
    dropped = joined.loc[~matched, "FirstPumpArriving_DeployedFromStation"].value_counts()
    joined = joined[matched]
    distance_m = np.hypot(
        joined["Easting_m"] - joined["Easting"], joined["Northing_m"] - joined["Northing"]
    )
    table = pd.DataFrame(
        {
            "incident_id": joined["IncidentNumber"].astype(np.int64),
            "distance_m": np.round(distance_m).astype(np.int64),
            "attendance_s": joined["FirstPumpArriving_AttendanceTime"].round().astype(np.int64),
            "station": joined["key"],
            "hour": pd.to_datetime(joined["TimeOfCall"], format="%H:%M:%S").dt.hour,
        }
    ).reset_index(drop=True)
    return table, dropped


def main(argv: list[str] | None = None) -> int:
    """Write ``lfb_attendance.csv`` and print what was kept and dropped.

    Parameters
    ----------
    argv
        Command-line arguments (default ``sys.argv[1:]``): an optional source folder.

    Returns
    -------
    int
        Exit code.
    """
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else DEFAULT_SOURCE
    if not (source / "fstimes.csv").is_file() or not (source / "fs.csv").is_file():
        print(f"prepare: no fstimes.csv and fs.csv in {source}", file=sys.stderr)
        return 2
    table, dropped = prepare(source)
    n_source = len(table) + int(dropped.sum())
    header = [
        "# London Fire Brigade dwelling fires, 2009: first-pump attendance time and straight-line",
        "# distance (m) from the deploying station; derived by calibration/lfb/prepare.py from",
        "# fstimes.csv (sha256 " + sha256(source / "fstimes.csv") + ")",
        "# and fs.csv (sha256 " + sha256(source / "fs.csv") + "), cran/spatsurv 2.0-1.",
        "# " + ATTRIBUTION,
    ]
    with OUTPUT.open("w", encoding="utf-8", newline="\n") as out:
        out.write("\n".join(header) + "\n")
        table.to_csv(out, index=False, lineterminator="\n")
    print(f"read {n_source} incidents; kept {len(table)}; dropped {int(dropped.sum())} "
          "with no station location: "
          + ", ".join(f"{name} ({count})" for name, count in dropped.items()))
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size:,} B)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
