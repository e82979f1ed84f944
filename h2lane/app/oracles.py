"""Shortest-road-distance oracle for shipments given by place names or ``lat,lon``."""

from __future__ import annotations

from h2lane.app.context import DEFAULT_SCENARIO, load_graph
from h2lane.app.places import locate
from h2lane.emissions.accounting import DistanceOracle
from h2lane.errors import H2laneError
from h2lane.roads.graph import RoadGraph
from h2lane.scenario import io as scenario_io
from h2lane.scenario.model import Scenario


def road_distance_oracle(scenario: str = DEFAULT_SCENARIO) -> DistanceOracle:
    """km by road between two places of ``scenario`` or ``lat,lon`` points; None if unknown."""
    return scenario_distance_oracle(scenario_io.load_scenario(scenario))


def scenario_distance_oracle(scen: Scenario, graph: RoadGraph | None = None) -> DistanceOracle:
    """:func:`road_distance_oracle` for a scenario already in memory (the service's)."""
    graph = graph or load_graph(scen.roads)
    cache: dict[tuple[str, str], float | None] = {}

    def oracle(origin: str, destination: str) -> float | None:
        key = (origin, destination)
        if key not in cache:
            a, b = locate(origin, scen), locate(destination, scen)
            if a is None or b is None:
                cache[key] = None
            else:
                try:
                    na, nb = graph.snap(*a).node, graph.snap(*b).node
                except H2laneError:
                    cache[key] = None
                else:
                    km = graph.engine.distance_km(na, nb)
                    cache[key] = km if km != float("inf") else None
        return cache[key]

    return oracle
