"""Places as waypoints for the planners (resolution itself: :mod:`h2lane.scenario.places`)."""

from __future__ import annotations

from h2lane.routing.trip import Waypoint
from h2lane.scenario.model import Scenario
from h2lane.scenario.places import locate, resolve

__all__ = ["locate", "resolve_place"]


def resolve_place(text: str, scenario: Scenario, *, option: str = "place") -> Waypoint:
    """The waypoint ``text`` names (a scenario place or ``lat,lon``)."""
    point = resolve(text, scenario, option=option)
    return Waypoint(point.name, point.lat, point.lon)
