"""Locations: ``{x, y}`` (m), ``{lon, lat}`` (WGS84 degrees) or ``{node: ID}``."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic_core import InitErrorDetails

from citysim.scenario.base import Float, Int, Latitude, Longitude, OmitNoneModel, line_error

__all__ = ["GeoPoint", "Location", "LocationKind"]

LocationKind = Literal["xy", "lonlat", "node"]

_FORMS: dict[str, tuple[str, ...]] = {"xy": ("x", "y"), "lonlat": ("lon", "lat"), "node": ("node",)}
_WRITTEN = "{x, y}, {lon, lat} or {node: ID}"


class Location(OmitNoneModel):
    """A place in the city, in exactly one of three forms.

    Attributes
    ----------
    x, y
        Metres east and north in the scenario frame (form ``"xy"``).
    lon, lat
        WGS84 degrees, turned into the scenario frame by the world builder
        (form ``"lonlat"``); a synthetic city needs ``city.origin`` for them.
    node
        Id of a road-network node, as the network source names it (form ``"node"``).

    The unused attributes are ``None``; :attr:`kind` says which form is set.
    A location off the network snaps to the nearest node (``city.max_snap_m``).
    """

    yaml_form: ClassVar[str] = f"a location {_WRITTEN}"

    x: Float | None = None
    y: Float | None = None
    lon: Longitude | None = None
    lat: Latitude | None = None
    node: Int | None = None

    @classmethod
    def _check_keys(cls, data: dict[str, Any]) -> list[InitErrorDetails]:
        given = {k for k, v in data.items() if v is not None}
        touched = [name for name, keys in _FORMS.items() if given & set(keys)]
        if len(touched) == 1:
            keys = _FORMS[touched[0]]
            have = [k for k in keys if k in given]
            return [
                line_error((k,), f"missing: a location given by {', '.join(have)} needs {k} too")
                for k in keys
                if k not in given
            ]
        if not touched:
            return [line_error((), f"expected a location {_WRITTEN}, got no coordinates", data)]
        return [
            line_error(
                (),
                f"expected one location form, {_WRITTEN}; got {', '.join(sorted(given))}",
                data,
            )
        ]

    @property
    def kind(self) -> LocationKind:
        """Which form is set: ``"xy"``, ``"lonlat"`` or ``"node"``."""
        if self.x is not None:
            return "xy"
        if self.lon is not None:
            return "lonlat"
        return "node"


class GeoPoint(OmitNoneModel):
    """A WGS84 point ``{lon, lat}`` (degrees)."""

    yaml_form: ClassVar[str] = "{lon, lat} in degrees"

    lon: Longitude
    lat: Latitude
