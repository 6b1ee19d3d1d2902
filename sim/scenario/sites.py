"""Shelters and stations (existing and candidate sites), from YAML lists or CSV files.

A site list is written as a YAML list of mappings or as ``{csv: path}``. A
CSV file is read when the scenario is loaded, into the same models, so code
never sees the difference; a problem in a row is reported at
``<section>.csv[row N].<column>`` (row N is the N-th data row, 1-based) with
the file name and its line. Blank cells are absent values (defaults apply).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from sim.scenario.base import (
    SCENARIO_ERROR,
    ConfigModel,
    Id,
    NonNegInt,
    PosFloat,
    Text,
    closest,
    describe_value,
    error,
    line_error,
    raise_errors,
    rebuild_error,
    resolve_input_path,
)
from sim.scenario.durations import Duration
from sim.scenario.locations import Location
from sim.scenario.problems import error_message

__all__ = [
    "UNIT_KINDS",
    "check_unique_ids",
    "CandidateShelter",
    "CandidateShelterList",
    "CandidateStation",
    "CandidateStationList",
    "Candidates",
    "Shelter",
    "ShelterList",
    "Site",
    "Station",
    "StationList",
    "Units",
]

#: Kinds of response unit a station can hold.
UNIT_KINDS = ("engine", "ladder", "rescue", "hazmat", "ambulance")
_LOCATION_COLUMNS = ("x", "y", "lon", "lat", "node")
_LOCATION_FORMS = (("x", "y"), ("lon", "lat"), ("node",))


class Site(ConfigModel):
    """Common part of shelters and stations: an id, an optional name, a location."""

    id: Id
    name: Text | None = None
    location: Location

    _row: tuple[Path, int, int] | None = PrivateAttr(default=None)

    @property
    def csv_row(self) -> tuple[Path, int, int] | None:
        """(file, row, line) when the site was read from a CSV file, else ``None``."""
        return self._row


SHELTER_M2_PER_PERSON = 1.5
"""Default usable area per sheltered person (m²): GB 21734-2008 asks for more
than 1.5 m² per person (GB 50413-2007: at least 1 m² in emergency shelters,
2 m² in fixed ones; MODELS.md)."""


class Shelter(Site):
    """A shelter: where evacuees go.

    Attributes
    ----------
    capacity
        Persons it holds; when absent, ``area_m2 / m2_per_person`` (rounded down).
    kind
        Free text such as ``park``, ``square``, ``school``, ``building``.
    area_m2
        Usable area (m²), used when ``capacity`` is not given.
    m2_per_person
        Usable area per person (m²); default :data:`SHELTER_M2_PER_PERSON`.
    """

    csv_one_of: ClassVar[tuple[str, ...]] = ("capacity", "area_m2")

    capacity: NonNegInt | None = None
    kind: Text | None = None
    area_m2: PosFloat | None = None
    m2_per_person: PosFloat = SHELTER_M2_PER_PERSON

    @model_validator(mode="after")
    def _capacity_or_area(self) -> Shelter:
        if self.capacity is None and self.area_m2 is None:
            raise_errors("Shelter", [line_error(
                ("capacity",), "required: give capacity (persons), or area_m2 (usable area, "
                f"m²) to size it at m2_per_person ({self.m2_per_person:g} m² per person)")])
        return self

    @property
    def places(self) -> int:
        """Persons it holds: ``capacity``, else usable area over area per person."""
        if self.capacity is not None:
            return self.capacity
        return math.floor(self.area_m2 / self.m2_per_person + 1e-9)  # 0.3 / 0.1 is 3


class CandidateShelter(Site):
    """A site ``citysim optimize`` may open as a shelter.

    Attributes
    ----------
    capacity
        Persons it would hold; ``None`` when unknown (to be derived, e.g. from area).
    kind
        Free text such as ``park``, ``square``, ``school``.
    area_m2
        Usable area (m²), when known.
    m2_per_person
        Usable area per person (m²), to derive the capacity from the area.
    """

    capacity: NonNegInt | None = None
    kind: Text | None = None
    area_m2: PosFloat | None = None
    m2_per_person: PosFloat = SHELTER_M2_PER_PERSON


class Units(ConfigModel):
    """Response units at a station, by kind (all default 0)."""

    engine: NonNegInt = 0
    ladder: NonNegInt = 0
    rescue: NonNegInt = 0
    hazmat: NonNegInt = 0
    ambulance: NonNegInt = 0

    @property
    def total(self) -> int:
        """All units of all kinds."""
        return self.engine + self.ladder + self.rescue + self.hazmat + self.ambulance


class Station(Site):
    """A fire-and-rescue station.

    Attributes
    ----------
    units
        Its units by kind.
    turnout
        Time from dispatch to leaving the station (s); NFPA 1710: 80 s for fire.
    """

    units: Units
    turnout: Duration = 80.0


class CandidateStation(Site):
    """A site ``citysim optimize`` may open as a station; one engine unless said otherwise."""

    units: Units = Units(engine=1)
    turnout: Duration = 80.0


# --- lists: YAML or CSV --------------------------------------------------------


def check_unique_ids(sites: tuple[Any, ...]) -> tuple[Any, ...]:
    """Raise a problem at ``[i].id`` for each item whose ``id`` an earlier item has."""
    first: dict[str, int] = {}
    problems = []
    for i, site in enumerate(sites):
        if site.id in first:
            # ctx "first" lets a CSV reader say which row instead of which item
            kind = PydanticCustomError(
                SCENARIO_ERROR,
                f"duplicate id {site.id!r} (already used by item {{first}})",
                {"first": first[site.id]},
            )
            problems.append(InitErrorDetails(type=kind, loc=(i, "id"), input=site.id))
        else:
            first[site.id] = i
    if problems:
        raise_errors("sites", problems)
    return sites


def _column_types(model: type[Site]) -> dict[str, Callable[[str], Any]]:
    """Columns a CSV file of ``model`` may have, with the cell parser of each."""
    cols: dict[str, Callable[[str], Any]] = {"id": str, "name": str}
    cols.update({"x": _float, "y": _float, "lon": _float, "lat": _float, "node": _int})
    fields = model.model_fields
    if "capacity" in fields:
        cols["capacity"] = _int
    if "kind" in fields:
        cols["kind"] = str
    if "area_m2" in fields:
        cols["area_m2"] = _float
    if "m2_per_person" in fields:
        cols["m2_per_person"] = _float
    if "units" in fields:
        cols.update({k: _int for k in UNIT_KINDS})
    if "turnout" in fields:
        cols["turnout"] = str
    return cols


def _int(cell: str) -> Any:
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        number = float(cell)
    except ValueError:
        return cell
    return int(number) if number.is_integer() else cell


def _float(cell: str) -> Any:
    try:
        return float(cell)
    except ValueError:
        return cell


def _read_csv(path: Path, model: type[Site]) -> tuple[list[dict[str, Any]], list[tuple[int, int]]]:
    """Read a site CSV into YAML-like mappings; problems are raised at ``("csv",)``."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise_errors("csv", [line_error(("csv",), f"cannot read {path}: {exc.strerror or exc}")])
    except UnicodeDecodeError as exc:
        raise_errors("csv", [line_error(("csv",), f"{path} is not UTF-8 text (byte {exc.start})")])
    columns = _column_types(model)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        records = []
        for cells in reader:
            if any(c.strip() for c in cells):
                records.append((reader.line_num, cells))
    except csv.Error as exc:
        raise_errors("csv", [line_error(("csv",), f"{path.name}: bad CSV: {exc}")])
    problems = _check_header(header, columns, model, path)
    if problems:
        raise_errors("csv", problems)
    rows: list[dict[str, Any]] = []
    where: list[tuple[int, int]] = []
    for number, (line, cells) in enumerate(records, start=1):
        if len(cells) != len(header):
            problems.append(
                line_error(
                    ("csv", f"[row {number}]"),
                    f"expected {len(header)} cells as in the header, got {len(cells)} "
                    f"({path.name}, line {line})",
                )
            )
            continue
        rows.append(_row_mapping(header, cells, columns, model))
        where.append((number, line))
    if problems:
        raise_errors("csv", problems)
    return rows, where


def _check_header(
    header: list[str], columns: Mapping[str, Any], model: type[Site], path: Path
) -> list[InitErrorDetails]:
    problems = []
    if not any(header):
        return [line_error(("csv",), f"{path.name} is empty: expected a header row")]
    seen = set()
    for name in header:
        if name in seen:
            problems.append(line_error(("csv",), f"{path.name}: column {name!r} appears twice"))
        seen.add(name)
        if name not in columns:
            message = (
                f"{path.name}: unknown column {name!r} (expected some of: {', '.join(columns)})"
            )
            guess = closest(name, columns)
            if guess is not None:
                message += f"; did you mean {guess!r}?"
            problems.append(line_error(("csv",), message))
    if "id" not in seen:
        problems.append(line_error(("csv",), f"{path.name}: missing column 'id'"))
    if not any(all(c in seen for c in form) for form in _LOCATION_FORMS):
        problems.append(
            line_error(
                ("csv",), f"{path.name}: missing location columns: x and y, lon and lat, or node"
            )
        )
    for name, field in model.model_fields.items():
        if field.is_required() and name in columns and name not in seen:
            problems.append(line_error(("csv",), f"{path.name}: missing column {name!r}"))
    one_of = getattr(model, "csv_one_of", ())
    if one_of and not any(c in seen for c in one_of):
        names = " or ".join(repr(c) for c in one_of)
        problems.append(line_error(("csv",), f"{path.name}: missing column {names}"))
    if "units" in model.model_fields and model.model_fields["units"].is_required():
        if not any(k in seen for k in UNIT_KINDS):
            problems.append(
                line_error(
                    ("csv",),
                    f"{path.name}: missing unit columns (some of: {', '.join(UNIT_KINDS)})",
                )
            )
    return problems


def _row_mapping(
    header: list[str], cells: list[str], columns: Mapping[str, Any], model: type[Site]
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    location: dict[str, Any] = {}
    units: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=True):
        cell = cell.strip()
        if not cell:
            continue
        value = columns[name](cell)
        if name in _LOCATION_COLUMNS:
            location[name] = value
        elif name in UNIT_KINDS:
            units[name] = value
        else:
            row[name] = value
    if location:
        row["location"] = location
    if units or ("units" in model.model_fields and model.model_fields["units"].is_required()):
        row["units"] = units
    return row


def _csv_location(loc: tuple[Any, ...], number: int) -> tuple[Any, ...]:
    """Map an error location in row mappings to CSV terms: (i, "location", "x") -> column x."""
    rest = loc[1:]
    if len(rest) > 1 and rest[0] in ("location", "units"):
        rest = rest[1:]
    return ("csv", f"[row {number}]", *rest)


def _site_list(model: type[Site], what: str) -> Callable[[Any, Any, ValidationInfo], Any]:
    def validate(value: Any, handler: Any, info: ValidationInfo) -> Any:
        if isinstance(value, Mapping):
            return _from_csv(value, handler, info)
        if not isinstance(value, (list, tuple)):
            raise error(f"expected a list of {what} or {{csv: path}}, got {describe_value(value)}")
        return handler(value)

    def _from_csv(value: Mapping[Any, Any], handler: Any, info: ValidationInfo) -> Any:
        extra = [k for k in value if k != "csv"]
        if extra or "csv" not in value:
            problems = [
                line_error((str(k),), f"unknown key {describe_value(k)} (expected: csv)")
                for k in extra
            ]
            if "csv" not in value:
                problems.append(
                    line_error(("csv",), f"missing: give a list of {what}, or {{csv: path}}")
                )
            raise_errors("sites", problems)
        try:
            path = resolve_input_path(value["csv"], info)
        except PydanticCustomError as exc:
            raise_errors("sites", [line_error(("csv",), exc.message(), value["csv"])])
        rows, where = _read_csv(path, model)
        try:
            sites = handler(rows)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = tuple(err["loc"])
                if loc and isinstance(loc[0], int) and loc[0] < len(where):
                    number, line = where[loc[0]]
                    message = error_message(err)
                    first = (err.get("ctx") or {}).get("first")
                    if isinstance(first, int) and 0 <= first < len(where):
                        message = message.rsplit(" (already", 1)[0]
                        message += f" (already used by row {where[first][0]})"
                    message = f"{message} ({path.name}, line {line})"
                    problems.append(
                        line_error(_csv_location(loc, number), message, err.get("input"))
                    )
                else:
                    problems.append(rebuild_error(err, ("csv", *loc)))
            raise_errors("sites", problems)
        for site, (number, line) in zip(sites, where, strict=True):
            site._row = (path, number, line)
        return sites

    return validate


def _list_type(model: type[Site], what: str) -> Any:
    return Annotated[
        tuple[model, ...],  # type: ignore[valid-type]
        AfterValidator(check_unique_ids),
        WrapValidator(_site_list(model, what)),
    ]


#: Shelters: a list, or ``{csv: path}`` (columns id, name, capacity, kind, x/y | lon/lat | node).
ShelterList = _list_type(Shelter, "shelters")
#: Stations: a list, or ``{csv: path}`` (columns id, name, x/y | lon/lat | node,
#: engine, ladder, rescue, hazmat, ambulance, turnout).
StationList = _list_type(Station, "stations")
#: Candidate shelters: like shelters; capacity optional; an ``area_m2`` column allowed.
CandidateShelterList = _list_type(CandidateShelter, "candidate shelters")
#: Candidate stations: like stations; units default to one engine.
CandidateStationList = _list_type(CandidateStation, "candidate stations")


class Candidates(ConfigModel):
    """Sites ``citysim optimize`` may choose from."""

    yaml_form: ClassVar[str] = "{shelters: list or {csv: path}, stations: list or {csv: path}}"

    shelters: CandidateShelterList = ()
    stations: CandidateStationList = ()
