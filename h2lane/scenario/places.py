"""Places: a scenario place name (case-insensitive) or ``lat,lon`` — resolved here and only here."""

from __future__ import annotations

import math
from typing import NamedTuple

from h2lane.errors import PlaceNotFoundError
from h2lane.scenario.io import parse_latlon
from h2lane.scenario.model import Scenario


class Point(NamedTuple):
    """A resolved place: its display name and WGS-84 position."""

    name: str
    lat: float
    lon: float


def resolve(text: str, scenario: Scenario, *, option: str = "place") -> Point:
    """The point ``text`` names; one wording for every unknown place."""
    place = scenario.place(text)
    if place is not None:
        return Point(place.name, place.lat, place.lon)
    latlon = parse_latlon(text)
    if latlon is not None and all(math.isfinite(v) for v in latlon):
        return Point(text.replace(" ", ""), *latlon)
    names = ", ".join(p.name for p in scenario.places) or "none"
    raise PlaceNotFoundError(
        f"{option} '{text}' is neither a place of scenario '{scenario.name}' nor 'lat,lon' "
        f"with latitude -90..90 and longitude -180..180 (places: {names})"
    )


def locate(text: str, scenario: Scenario) -> tuple[float, float] | None:
    """Latitude and longitude of a place name or ``lat,lon``, or None."""
    place = scenario.place(text)
    if place is not None:
        return place.lat, place.lon
    return parse_latlon(text)
