"""Road network: the bundled OpenStreetMap graph (© OpenStreetMap contributors), snapping,
shortest paths and matrices."""

from h2lane.roads.engines import CCHEngine, PathEngine, ScipyEngine
from h2lane.roads.geo import haversine_km
from h2lane.roads.graph import BUNDLED_GRAPHS, RoadGraph, Snap

__all__ = [
    "BUNDLED_GRAPHS",
    "CCHEngine",
    "PathEngine",
    "RoadGraph",
    "ScipyEngine",
    "Snap",
    "haversine_km",
]
