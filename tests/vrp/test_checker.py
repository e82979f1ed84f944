"""Feasibility checker: one hand-made instance, one bad route per violation kind."""

from __future__ import annotations

import numpy as np
import pytest

from h2lane.routing.vrp import CUSTOMER, DEPOT, STATION, VRPInstance, check_solution

# Nodes on a line:  n2(-2)  depot(0)  n1(2)  station n3(6)  n4(10)
# tank 10, consumption 1, speed 1, service 1 at customers, 0.5 per station stop, load 2.
GOOD = [[0, 1, 3, 4, 3, 0], [0, 2, 0]]


def line_instance(**kw) -> VRPInstance:
    x = np.array([0.0, 2.0, -2.0, 6.0, 10.0])
    kinds = np.array([DEPOT, CUSTOMER, CUSTOMER, STATION, CUSTOMER], dtype=np.int8)
    params = dict(
        tank=10.0,
        consumption=1.0,
        speed=1.0,
        demand=np.array([0.0, 1.0, 1.0, 0.0, 1.0]),
        service=np.array([0.0, 1.0, 1.0, 0.0, 1.0]),
        load_capacity=2.0,
        max_duration=100.0,
        refuel_fixed=0.5,
    )
    params.update(kw)
    return VRPInstance(
        name="line",
        kinds=kinds,
        labels=["D", "C1", "C2", "S", "C4"],
        x=x,
        y=np.zeros(5),
        dist=np.abs(x[:, None] - x[None, :]),
        **params,
    )


def only(rep, kind: str):
    """The report's violations, asserting they are all of ``kind``."""
    assert not rep.ok
    assert rep.kinds == {kind}, str(rep)
    for v in rep.violations:
        assert v.message.endswith(".") and "\n" not in v.message
    return rep.violations


def test_good_solution_and_route_statistics() -> None:
    rep = check_solution(line_instance(), GOOD)
    assert rep.ok, str(rep)
    assert rep.vehicles == 2
    assert rep.distance == pytest.approx(24.0)
    assert rep.route_distance == pytest.approx([20.0, 4.0])
    # route 0: 20 driving + 2 services + 2 station stops of 0.5
    assert rep.duration == pytest.approx([23.0, 5.0])
    assert rep.energy_min == pytest.approx([2.0, 6.0])
    assert rep.load == pytest.approx([2.0, 1.0])
    assert "feasible" in str(rep)


def test_shape() -> None:
    inst = line_instance()
    (v,) = only(check_solution(inst, [[1, 3, 4, 3, 0], [0, 2, 0]]), "shape")
    assert v.route == 0 and "must start and end at the depot 0" in v.message
    (v,) = only(check_solution(inst, [[0, 1, 3, 4, 3, 0], [0, 2]]), "shape")
    assert v.route == 1


def test_unknown_node() -> None:
    inst = line_instance()
    vs = only(check_solution(inst, [[0, 1, 3, 4, 3, 0], [0, 2, 7, -1, "x", 0]]), "unknown_node")
    assert [(v.route, v.position) for v in vs] == [(1, 2), (1, 3), (1, 4)]
    assert vs[0].message == "Route 1, position 2: 7 is not a node index (valid: 0 to 4)."


def test_range() -> None:
    inst = line_instance()
    # from C1 straight to C4 skips the station: 2 + 8 = 10 used, then 10 more to get home
    (v,) = only(check_solution(inst, [[0, 1, 3, 4, 0], [0, 2, 0]]), "range")
    assert (v.route, v.position) == (0, 4)
    assert "reaches D (node 0) with energy -4" in v.message and "out of range" in v.message
    rep = check_solution(inst, [[0, 1, 3, 4, 0], [0, 2, 0]])
    assert rep.energy_min[0] == pytest.approx(-4.0)


def test_range_with_start_energy() -> None:
    inst = line_instance(start_energy=5.0)
    (v,) = only(check_solution(inst, GOOD), "range")
    assert (v.route, v.position) == (0, 2)  # 2 + 4 > 5 on the way to the station
    # a mid-route depot visit refuels (depot_refuels), so topping up at home fixes it
    fixed = [[0, 1, 0, 3, 4, 3, 0], [0, 2, 0]]
    assert check_solution(inst, fixed).ok
    inst.depot_refuels = False
    (v,) = only(check_solution(inst, fixed), "range")
    assert (v.route, v.position) == (0, 3)


def test_payload() -> None:
    inst = line_instance()
    (v,) = only(check_solution(inst, [[0, 2, 1, 3, 4, 3, 0]]), "payload")
    assert (v.route, v.position) == (0, 4)
    assert "the load reaches 3 at C4 (node 4), above the capacity 2" in v.message


def test_duration() -> None:
    inst = line_instance(max_duration=23.0)
    assert check_solution(inst, GOOD).ok
    # a second, pointless stop at the station adds 0.5
    (v,) = only(check_solution(inst, [[0, 1, 3, 3, 4, 3, 0], [0, 2, 0]]), "duration")
    assert v.route == 0 and v.message == "Route 0 lasts 23.5, longer than the limit 23."


def test_time_window_at_customer_and_depot() -> None:
    inst = line_instance()
    inst.due[4] = 11.6  # reached at 11.5 on the good route
    assert check_solution(inst, GOOD).ok
    (v,) = only(check_solution(inst, [[0, 1, 3, 3, 4, 3, 0], [0, 2, 0]]), "time_window")
    assert (v.route, v.position) == (0, 4)
    assert "service at C4 (node 4) starts at 12, after its due time 11.6" in v.message
    inst = line_instance()
    inst.due[0] = 22.9
    (v,) = only(check_solution(inst, GOOD), "time_window")
    assert v.message == "Route 0 returns to the depot at 23, after its due time 22.9."


def test_waiting_is_not_counted_in_duration() -> None:
    inst = line_instance(max_duration=5.0)
    inst.ready[1] = 5.0  # reached at 2: leave the depot 3 later instead of waiting
    rep = check_solution(inst, [[0, 1, 0]])
    assert rep.duration == pytest.approx([5.0])
    assert rep.kinds == {"unserved"}
    # with a fixed departure the waiting counts
    rep = check_solution(inst, [[0, 1, 0]], departures=[0.0])
    assert rep.duration == pytest.approx([8.0])
    assert "duration" in rep.kinds


def test_unserved() -> None:
    (v,) = only(check_solution(line_instance(), [[0, 1, 3, 4, 3, 0]]), "unserved")
    assert v.route is None and v.message == "Customer C2 (node 2) is not served by any route."


def test_served_twice() -> None:
    (v,) = only(check_solution(line_instance(), [*GOOD, [0, 1, 0]]), "served_twice")
    assert (v.route, v.position) == (2, 1)
    assert v.message == (
        "Customer C1 (node 1) is served 2 times (route 0 position 1, route 2 position 1)."
    )


def test_served_unservable() -> None:
    inst = line_instance()
    inst.unservable = [2]
    assert check_solution(inst, [[0, 1, 3, 4, 3, 0]]).ok
    (v,) = only(check_solution(inst, GOOD), "served_unservable")
    assert (v.route, v.position) == (1, 1)
    assert "marked unservable" in v.message


def test_fleet_size() -> None:
    inst = line_instance(fleet_size=2)
    assert check_solution(inst, [*GOOD, [0, 0]]).ok  # an empty route is no vehicle
    (v,) = only(check_solution(inst, [[0, 1, 0], [0, 3, 4, 3, 0], [0, 2, 0]]), "fleet_size")
    assert v.message == "The solution uses 3 vehicles but the fleet has 2."


def test_station_capacity() -> None:
    inst = line_instance(refuel_rate=1.0, station_capacity=np.array([0, 0, 0, 1, 0]))
    assert check_solution(inst, GOOD).ok
    # route 1 refuels at S during [6, 12.5), route 0 during [7, 13.5)
    bad = [[0, 1, 3, 4, 3, 0], [0, 3, 0], [0, 2, 0]]
    (v,) = only(check_solution(inst, bad), "station_capacity")
    assert (v.route, v.position) == (0, 2)
    assert v.message == (
        "At 7, 2 vehicles (routes 0, 1) refuel at station S (node 3) at once but it has 1 dispenser."
    )
    assert check_solution(inst, bad, departures=[0.0, 40.0, 0.0]).ok
    inst.station_capacity = np.array([0, 0, 0, 2, 0])
    assert check_solution(inst, bad).ok


def test_partial_refuelling() -> None:
    inst = line_instance(full_refuel=False, refuel_rate=1.0)
    rep = check_solution(inst, GOOD)
    assert rep.ok, str(rep)
    # just enough: 4 at the first stop (4 left, 8 to the next stop), 6 at the second
    assert rep.duration[0] == pytest.approx(23.0 + 4 + 6)
    assert rep.energy_min[0] == pytest.approx(0.0)
    (v,) = only(check_solution(inst, GOOD, refuel_amounts={(0, 2): 2.0}), "range")
    assert (v.route, v.position) == (0, 4)
    (v,) = only(check_solution(inst, GOOD, refuel_amounts={(0, 2): 7.0}), "range")
    assert "refuelling 7 at S (node 3) is impossible" in v.message
    (v,) = only(check_solution(inst, GOOD, refuel_amounts={(0, 1): 1.0}), "shape")
    assert "not a station visit" in v.message
    assert check_solution(inst, GOOD, refuel_amounts={(0, 2): 6.0, (0, 4): 8.0}).ok
