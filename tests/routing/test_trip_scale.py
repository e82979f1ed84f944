"""The scaled trip planner (station graph + exact filter) equals the all-pairs planner.

Random cases on the bundled North China graph: 20–60 stations sampled on road nodes near
the Xiaoyi–Tianjin corridor (some a little off the road), random prices, nozzles, connect
times and opening hours; both objectives, partial and full refuels, rest rules on and off,
start levels, via points and due times. ``scaled=False`` forces today's all-pairs path.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest

from h2lane import timeutil
from h2lane.errors import InfeasibleTripError, OptionError
from h2lane.roads.geo import haversine_km
from h2lane.roads.graph import RoadGraph
from h2lane.routing import trip as trip_mod
from h2lane.routing.rest import RestRules
from h2lane.routing.stationgraph import TripSpec, candidate_stations
from h2lane.routing.trip import (
    TripRequest,
    Waypoint,
    plan_trip,
    station_graph_for,
    truck_range_km,
)
from h2lane.scenario import load_scenario
from h2lane.scenario.model import Station

SCEN = load_scenario("shanxi-tianjin")
HOURS = ["00:00-24:00", "00:00-24:00", "06:00-22:00", "08:00-20:00", "07:00-19:00"]


def _corridor_nodes(graph: RoadGraph, km: float = 60.0) -> np.ndarray:
    x, t = SCEN.place("Xiaoyi"), SCEN.place("Tianjin Port")
    assert x is not None and t is not None
    near = np.full(graph.n_nodes, np.inf)
    for s in np.linspace(0.0, 1.0, 80):
        lat, lon = x.lat + s * (t.lat - x.lat), x.lon + s * (t.lon - x.lon)
        near = np.minimum(near, haversine_km(graph.lat, graph.lon, lat, lon))
    return np.flatnonzero(near <= km)


@pytest.fixture(scope="module")
def corridor(north_china: RoadGraph) -> np.ndarray:
    return _corridor_nodes(north_china)


def _stations(graph: RoadGraph, pool: np.ndarray, n: int, rng: np.random.Generator) -> list:
    proto = SCEN.stations[1]
    nodes = rng.choice(pool, size=n, replace=False)
    out: list[Station] = []
    for i, node in enumerate(nodes):
        off = rng.random() < 0.3  # a few stations a little off the road: access km count
        out.append(
            dataclasses.replace(
                proto,
                id=f"t{i:03d}",
                name=f"test station {i}",
                lat=float(graph.lat[node]) + (float(rng.uniform(-0.02, 0.02)) if off else 0.0),
                lon=float(graph.lon[node]) + (float(rng.uniform(-0.02, 0.02)) if off else 0.0),
                price=float(rng.choice([35.0, 42.5, 50.0, 60.0])),
                nozzle_flow_g_s=float(rng.choice([30.0, 60.0, 120.0])),
                connect_min=float(rng.choice([5.0, 10.0, 15.0])),
                opening_hours=str(rng.choice(HOURS)),
            )
        )
    return out


def _request(
    names: list[str], loaded: list[bool], rng: np.random.Generator, **kw: Any
) -> TripRequest:
    truck = SCEN.truck_type("pengfei-49t")
    assert truck is not None
    wps = []
    for name in names:
        p = SCEN.place(name)
        assert p is not None
        wps.append(Waypoint(p.name, p.lat, p.lon))
    args: dict[str, Any] = dict(
        waypoints=wps,
        truck=truck,
        loaded=loaded,
        start_kg=float(rng.choice([truck.tank_kg, 40.0, 30.0])),
        reserve_kg=float(rng.choice([5.0, 8.0])),
        depart=datetime(2026, 12, 1, int(rng.integers(0, 24)), 0, tzinfo=timeutil.CHINA),
    )
    args.update(kw)
    return TripRequest(**args)


def _summary(plan: Any) -> tuple:
    sol = plan.solution
    return (
        round(sol.duration_h, 6),
        round(sol.cost, 4),
        [(s.leg, plan.stations[s.station].id, round(s.refuel_kg, 4)) for s in sol.stops],
        [(b.kind, b.station, b.waypoint, round(b.start_h, 6)) for b in sol.breaks],
    )


def _both(graph: RoadGraph, stations: list, make: Any) -> tuple[Any, Any]:
    """(scaled, dense) summaries, or the InfeasibleTripError message of each."""
    out = []
    for scaled in (True, False):
        try:
            out.append(_summary(plan_trip(graph, stations, make(), scaled=scaled)))
        except InfeasibleTripError as exc:
            out.append(("infeasible", str(exc), exc.details))
    return out[0], out[1]


TRIPS = [
    (["Xiaoyi", "Tianjin Port", "Xiaoyi"], [True, False]),
    (["Xiaoyi", "Tianjin Port"], [True]),
    (["Tianjin Port", "Xiaoyi"], [True]),
]

# (seed, stations, objective, full refuel, rest rules on)
CASES = [
    (1, 20, "time", False, True),
    (2, 24, "cost", False, True),
    (3, 28, "time", True, True),
    (4, 32, "cost", True, True),
    (5, 36, "time", False, False),
    (6, 40, "cost", False, False),
    (7, 44, "time", True, False),
    (8, 48, "cost", True, False),
    (9, 60, "time", False, False),
    (10, 60, "cost", True, False),
    (11, 30, "cost", False, True),
    (12, 26, "time", False, True),
]


@pytest.mark.parametrize(("seed", "n", "objective", "full", "rest_on"), CASES)
def test_scaled_planner_equals_dense_planner(
    north_china, corridor, seed, n, objective, full, rest_on
):
    rng = np.random.default_rng(seed)
    stations = _stations(north_china, corridor, n, rng)
    names, loaded = TRIPS[seed % len(TRIPS)]
    state = rng.bit_generator.state

    def make() -> TripRequest:
        rng.bit_generator.state = state  # the same request for both planners
        return _request(
            names,
            loaded,
            rng,
            objective=objective,
            full_refuel=full,
            rest=RestRules() if rest_on else RestRules.off(),
        )

    scaled, dense = _both(north_china, stations, make)
    assert scaled == dense
    assert scaled[0] != "infeasible", "every random case is feasible"
    assert scaled[2], "every case needs at least one stop to test the filter"


def test_scaled_planner_with_a_due_time_and_a_late_error(north_china, corridor):
    rng = np.random.default_rng(21)
    stations = _stations(north_china, corridor, 30, rng)
    base = plan_trip(
        north_china,
        stations,
        _request(TRIPS[0][0], TRIPS[0][1], np.random.default_rng(0), start_kg=58.0),
    )
    arrive = base.at(base.solution.visits[1].arrive_h)
    for due, feasible in (
        (arrive + timedelta(hours=1), True),
        (arrive - timedelta(hours=2), False),
    ):

        def make(due: datetime = due) -> TripRequest:
            req = _request(TRIPS[0][0], TRIPS[0][1], np.random.default_rng(0), start_kg=58.0)
            req.waypoints[1].due = due
            return req

        scaled, dense = _both(north_china, stations, make)
        assert scaled == dense
        assert (scaled[0] != "infeasible") == feasible
        if not feasible:
            assert "by its due time" in scaled[1]


def test_infeasible_trip_gives_the_same_diagnosis(north_china, corridor):
    x = SCEN.place("Xiaoyi")
    assert x is not None
    # stations only within about 60 km east of Xiaoyi, and a 33 kg usable tank: the
    # 550 km from there to the port cannot be driven
    west = corridor[north_china.lon[corridor] < x.lon + 0.7]
    stations = _stations(north_china, west, 14, np.random.default_rng(5))
    assert len(stations) > trip_mod.SCALE_MIN_STATIONS  # the default takes the scaled path

    def make() -> TripRequest:
        return _request(
            ["Xiaoyi", "Tianjin Port"],
            [True],
            np.random.default_rng(1),
            start_kg=58.0,
            reserve_kg=25.0,
            rest=RestRules.off(),
        )

    scaled, dense = _both(north_china, stations, make)
    assert scaled[0] == "infeasible"
    assert scaled == dense
    assert scaled[1].startswith("No refuelling plan reaches Tianjin Port")
    assert len(scaled[2]["reachable_stations"]) > 0


def test_rest_lower_bound_holds_for_the_optimal_stops(north_china, corridor):
    """candidate_stations with rest rules never cuts a stop of the dense optimum."""
    rng = np.random.default_rng(3)
    stations = _stations(north_china, corridor, 30, rng)
    req = _request(TRIPS[0][0], TRIPS[0][1], rng, objective="time", start_kg=58.0)
    plan = plan_trip(north_china, stations, req, scaled=False)
    opt = plan.solution.duration_h
    sg = station_graph_for(north_china, stations, truck_range_km(req.truck))
    spec = TripSpec.from_request(north_china, req)
    with_rest = candidate_stations(sg, spec, "time", opt, rest=req.rest)
    without = candidate_stations(sg, spec, "time", opt)
    for s in plan.solution.stops:
        assert with_rest.leg_mask[s.leg, s.station]
        assert with_rest.lower_bound[s.leg, s.station] <= opt + 1e-9
    # the rest-aware bound is tighter: it keeps fewer (leg, station) pairs
    assert with_rest.leg_mask.sum() < without.leg_mask.sum()
    assert np.all(with_rest.lower_bound >= without.lower_bound - 1e-12)


def test_station_graph_is_built_once_and_can_be_passed(north_china, corridor):
    rng = np.random.default_rng(8)
    stations = _stations(north_china, corridor, 20, rng)
    truck = SCEN.truck_type("pengfei-49t")
    assert truck is not None
    sg = station_graph_for(north_china, stations, truck_range_km(truck))
    assert station_graph_for(north_china, stations, truck_range_km(truck)) is sg
    assert station_graph_for(north_china, stations, truck_range_km(truck) - 100.0) is sg
    req = _request(TRIPS[0][0], TRIPS[0][1], np.random.default_rng(0))
    a = plan_trip(north_china, stations, req, station_graph=sg)
    b = plan_trip(north_china, stations, req, scaled=False)
    assert _summary(a) == _summary(b)
    other = station_graph_for(north_china, stations[:-1], truck_range_km(truck))
    with pytest.raises(OptionError, match="station_graph was built for other stations"):
        plan_trip(north_china, stations, req, station_graph=other)


@pytest.mark.parametrize(("seed", "quick"), [(31, 2), (32, 3), (33, 5)])
def test_bound_from_a_few_stations_keeps_the_optimum(north_china, corridor, seed, quick):
    """The bound's full-refuel paths sought over a few least-detour stations first (and
    widened when none is found there) leave the optimum as over all stations."""
    rng = np.random.default_rng(seed)
    stations = _stations(north_china, corridor, 40, rng)
    names, loaded = TRIPS[seed % len(TRIPS)]
    for objective, full, rest in (("time", False, True), ("cost", True, False)):
        state = rng.bit_generator.state

        def make(
            state: dict = state, objective: str = objective, full: bool = full, rest: bool = rest
        ) -> TripRequest:
            rng.bit_generator.state = state
            return _request(
                names,
                loaded,
                rng,
                objective=objective,
                full_refuel=full,
                rest=RestRules() if rest else RestRules.off(),
            )

        dense = _both(north_china, stations, make)[1]
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(trip_mod, "QUICK_STATIONS", quick)
            scaled = _summary(plan_trip(north_china, stations, make(), scaled=True))
        assert scaled == dense
