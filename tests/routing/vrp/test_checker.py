"""Feasibility checker: one hand-made instance, one bad route per violation kind."""

from __future__ import annotations

import numpy as np
import pytest

from h2lane.routing.vrp import CUSTOMER, DEPOT, STATION, VRPInstance, check_solution
from h2lane.routing.vrp.model import VehicleType

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
    # half an hour of queueing at the station
    (v,) = only(check_solution(inst, GOOD, waits={(0, 2): 0.5}), "duration")
    assert v.route == 0 and v.message == "Route 0 lasts 23.5, longer than the limit 23."


def test_time_window_at_customer_and_depot() -> None:
    inst = line_instance()
    inst.due[4] = 11.6  # reached at 11.5 on the good route
    assert check_solution(inst, GOOD).ok
    (v,) = only(check_solution(inst, GOOD, waits={(0, 2): 0.5}), "time_window")
    assert (v.route, v.position) == (0, 3)
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


# --------------------------------------------------------------- fleet, depots, queues, cost

# Nodes on a line:  C2(-2)  D(0)  C1(2)  S(6)  C4(10)  E(12); D and E are depots.
# Service 1 at customers, 0.5 per station stop, demand 1 per customer.


def two_depot_instance(types: list[VehicleType] | None = None, **kw) -> VRPInstance:
    x = np.array([0.0, 2.0, -2.0, 6.0, 10.0, 12.0])
    kinds = np.array([DEPOT, CUSTOMER, CUSTOMER, STATION, CUSTOMER, DEPOT], dtype=np.int8)
    params = dict(
        demand=np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0]),
        service=np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0]),
        refuel_fixed=0.5,
        vehicle_types=types,
    )
    params.update(kw)
    return VRPInstance(
        name="two-depot",
        kinds=kinds,
        labels=["D", "C1", "C2", "S", "C4", "E"],
        x=x,
        y=np.zeros(6),
        dist=np.abs(x[:, None] - x[None, :]),
        **params,
    )


def small_big() -> list[VehicleType]:
    """A small slow vehicle at D and a big fast one at E, one of each."""
    return [
        VehicleType(name="small", depot=0, count=1, tank=10.0, load_capacity=2.0),
        VehicleType(name="big", depot=5, count=1, tank=30.0, load_capacity=5.0, speed=2.0),
    ]


# small: D C2 D.  big: E C4 S C1 E, 2 + 4 + 4 + 10 = 20 long; at speed 2 that is 10 of
# driving, + 2 services + 0.5 at the station = 12.5.
MIXED = [[0, 2, 0], [5, 4, 3, 1, 5]]
MIXED_TYPES = [0, 1]


def test_multi_depot_heterogeneous_solution_passes() -> None:
    rep = check_solution(two_depot_instance(small_big()), MIXED, route_types=MIXED_TYPES)
    assert rep.ok, str(rep)
    assert rep.route_types == [0, 1]
    assert rep.vehicles == 2
    assert rep.route_distance == pytest.approx([4.0, 20.0])
    assert rep.duration == pytest.approx([5.0, 12.5])
    # big: 30 - 2 - 4 = 24 at S, refilled to 30, then 30 - 4 - 10 = 16 at E
    assert rep.energy_min == pytest.approx([6.0, 16.0])
    assert rep.load == pytest.approx([1.0, 2.0])


def test_route_types_default_to_type_zero() -> None:
    inst = line_instance()
    for types in (None, [], [0, 0]):
        rep = check_solution(inst, GOOD, route_types=types)
        assert rep.ok, str(rep)
        assert rep.route_types == [0, 0]


def test_wrong_depot_for_the_type() -> None:
    inst = two_depot_instance(small_big())
    inst.vehicle_types[0].count = None
    (v,) = only(check_solution(inst, MIXED, route_types=[0, 0]), "shape")
    assert v.route == 1
    assert v.message == (
        "Route 1 must start and end at the depot 0 of its vehicle type 'small' but is "
        "[5, 4, 3, 1, 5]."
    )
    (v,) = only(check_solution(inst, [[0, 2, 0], [0, 4, 3, 1, 0]], route_types=[0, 1]), "shape")
    assert v.route == 1 and "at the depot 5 of its vehicle type 'big'" in v.message


def test_invalid_route_type() -> None:
    inst = two_depot_instance(small_big())
    for bad in (2, -1, "big"):
        rep = check_solution(inst, MIXED, route_types=[0, bad])
        (v,) = only(rep, "shape")
        assert v.route == 1
        assert "which is not a type index (valid: 0 to 1)" in v.message
        assert rep.route_types == [0, -1]
        assert np.isnan(rep.route_cost[1])
    (v,) = only(check_solution(line_instance(), GOOD, route_types=[0]), "shape")
    assert v.route is None
    assert v.message == (
        "The route_types list has length 1 but there are 2 routes; give one entry per route."
    )
    (v,) = only(check_solution(line_instance(), GOOD, departures=[0.0]), "shape")
    assert "The departures list has length 1" in v.message


def test_fleet_size_per_type() -> None:
    inst = two_depot_instance(small_big())
    # an empty route is no vehicle, so one 'small' is used here
    assert check_solution(inst, [[0, 2, 1, 0], [5, 4, 5], [0, 0]], route_types=[0, 1, 0]).ok
    over = [[0, 2, 0], [0, 1, 0], [5, 4, 5]]
    (v,) = only(check_solution(inst, over, route_types=[0, 0, 1]), "fleet_size")
    assert v.route is None
    assert v.message == "The solution uses 2 vehicles of type 'small' but the fleet has 1."
    inst.vehicle_types[0].count = None  # unlimited
    assert check_solution(inst, over, route_types=[0, 0, 1]).ok


def test_range_per_type() -> None:
    types = [VehicleType(name="small", tank=10.0), VehicleType(name="big", tank=30.0)]
    inst = two_depot_instance(types)
    # D C1 C4 D is 2 + 8 + 10 = 20 long with no station: a tank of 10 is empty at C4
    routes = [[0, 1, 4, 0], [0, 2, 0]]
    (v,) = only(check_solution(inst, routes, route_types=[0, 0]), "range")
    assert (v.route, v.position) == (0, 3)
    assert "reaches D (node 0) with energy -10" in v.message
    rep = check_solution(inst, routes, route_types=[1, 0])
    assert rep.ok, str(rep)
    assert rep.energy_min[0] == pytest.approx(10.0)


def test_consumption_and_start_energy_per_type() -> None:
    thirsty = VehicleType(name="thirsty", tank=10.0, consumption=2.0)
    half = VehicleType(name="half", tank=10.0, start_energy=3.0)
    inst = two_depot_instance([VehicleType(tank=10.0), thirsty, half])
    # legs of at most 6 between D and S, and 4 between S and C4
    routes = [[0, 1, 0], [0, 2, 0], [0, 3, 4, 3, 0]]
    assert check_solution(inst, routes, route_types=[0, 0, 0]).ok
    # consumption 2: D-S (6) takes 12 and S-C4-S (8) takes 16, with 10 in the tank
    vs = only(check_solution(inst, routes, route_types=[0, 0, 1]), "range")
    assert [(v.route, v.position) for v in vs] == [(2, 1), (2, 3), (2, 4)]
    # start energy 3: 1 left at C1 (2 away), -1 back at D
    (v,) = only(check_solution(inst, routes, route_types=[2, 0, 0]), "range")
    assert (v.route, v.position) == (0, 2)


def test_payload_per_type() -> None:
    types = [
        VehicleType(name="van", load_capacity=1.0),
        VehicleType(name="truck", load_capacity=3.0),
    ]
    inst = two_depot_instance(types)
    routes = [[0, 2, 1, 0], [0, 4, 0]]
    (v,) = only(check_solution(inst, routes, route_types=[0, 0]), "payload")
    assert (v.route, v.position) == (0, 2)
    assert "the load reaches 2 at C1 (node 1), above the capacity 1" in v.message
    assert check_solution(inst, routes, route_types=[1, 0]).ok


def test_speed_per_type_and_time_window() -> None:
    types = [VehicleType(name="slow", speed=1.0), VehicleType(name="fast", speed=2.0)]
    inst = two_depot_instance(types)
    inst.due[4] = 6.0
    routes = [[0, 2, 1, 0], [0, 4, 0]]
    # C4 is 10 away: reached at 10 at speed 1, at 5 at speed 2
    (v,) = only(check_solution(inst, routes, route_types=[0, 0]), "time_window")
    assert (v.route, v.position) == (1, 1)
    assert "service at C4 (node 4) starts at 10, after its due time 6" in v.message
    rep = check_solution(inst, routes, route_types=[0, 1])
    assert rep.ok, str(rep)
    assert rep.duration[1] == pytest.approx(11.0)  # 5 + 1 + 5


def test_max_duration_per_type() -> None:
    types = [VehicleType(max_duration=10.0), VehicleType(max_duration=20.0)]
    inst = two_depot_instance(types)
    routes = [[0, 2, 0], [0, 1, 4, 0]]  # the second lasts 20 + 2 services = 22
    (v,) = only(check_solution(inst, routes, route_types=[0, 1]), "duration")
    assert v.message == "Route 1 lasts 22, longer than the limit 20."


def test_departure_before_the_depot_opens() -> None:
    inst = two_depot_instance(small_big())
    inst.ready[5] = 4.0
    assert check_solution(inst, MIXED, route_types=MIXED_TYPES).ok  # default: leave at 4
    (v,) = only(
        check_solution(inst, MIXED, route_types=MIXED_TYPES, departures=[0.0, 3.0]),
        "time_window",
    )
    assert (v.route, v.position) == (1, 0)
    assert v.message == "Route 1 departs at 3, before its depot E (node 5) opens at 4."
    rep = check_solution(inst, MIXED, route_types=MIXED_TYPES, departures=[0.0, 6.0])
    assert rep.ok, str(rep)
    assert rep.duration == pytest.approx([5.0, 12.5])


def test_final_due_time_of_the_types_depot() -> None:
    inst = two_depot_instance(small_big())
    inst.due[5] = 12.0  # big returns to E at 12.5
    (v,) = only(check_solution(inst, MIXED, route_types=MIXED_TYPES), "time_window")
    assert v.message == "Route 1 returns to the depot at 12.5, after its due time 12."


def test_any_depot_refuels_mid_route() -> None:
    inst = two_depot_instance([VehicleType(tank=13.0)])
    # D C1 C4 E D: 2 + 8 + 2 = 12 to E, full again there, 12 home
    routes = [[0, 1, 4, 5, 0], [0, 2, 0]]
    rep = check_solution(inst, routes, waits={(0, 3): 1.0})
    assert rep.ok, str(rep)
    # 24 driving + 2 services + 0.5 at E + 1 queueing
    assert rep.duration[0] == pytest.approx(27.5)
    inst.depot_refuels = False
    rep = check_solution(inst, routes, waits={(0, 3): 1.0})
    assert rep.kinds == {"range", "shape"}
    assert [(v.kind, v.route, v.position) for v in rep.violations] == [
        ("range", 0, 4),
        ("shape", 0, 3),
    ]


def test_negative_wait() -> None:
    (v,) = only(check_solution(line_instance(), GOOD, waits={(0, 2): -1.0}), "shape")
    assert (v.route, v.position) == (0, 2)
    assert (
        v.message == "Route 0, position 2: the queue wait -1 is negative; waits must be 0 or more."
    )


def test_wait_must_be_at_a_charging_stop() -> None:
    inst = line_instance()
    (v,) = only(check_solution(inst, GOOD, waits={(0, 1): 1.0}), "shape")
    assert (v.route, v.position) == (0, 1)
    assert v.message == (
        "A queue wait is given for route 0, position 1, which is not a station visit "
        "(or a mid-route depot visit where the depot refuels)."
    )
    for where in [(0, 0), (0, 5), (2, 1), (0, 9)]:  # both depot ends, no route 2, no position 9
        only(check_solution(inst, GOOD, waits={where: 1.0}), "shape")
    assert check_solution(inst, GOOD, waits={(0, 2): 0.0, (0, 4): 3.0}).ok


def test_wait_delays_the_rest_of_the_route() -> None:
    inst = line_instance()
    inst.due[4] = 11.6  # reached at 11.5 without queueing
    # 0.1 at S: refuel 7.1 to 7.6, C4 reached at 11.6, just in time
    rep = check_solution(inst, GOOD, waits={(0, 2): 0.1})
    assert rep.ok, str(rep)
    assert rep.duration[0] == pytest.approx(23.1)
    # 0.5 at S: C4 reached at 12
    (v,) = only(check_solution(inst, GOOD, waits={(0, 2): 0.5}), "time_window")
    assert (v.route, v.position) == (0, 3)
    assert "service at C4 (node 4) starts at 12, after its due time 11.6" in v.message


def test_queue_wait_separates_refuels_at_a_one_dispenser_station() -> None:
    inst = line_instance(refuel_rate=1.0, station_capacity=np.array([0, 0, 0, 1, 0]))
    # route 1 refuels 6 at S during [6, 12.5); route 0 arrives at 7 with 4 left, refuels 6
    # during [7, 13.5)
    bad = [[0, 1, 3, 4, 3, 0], [0, 3, 0], [0, 2, 0]]
    only(check_solution(inst, bad), "station_capacity")
    # route 0 queues 6: [13, 19.5), then C4 at 23.5, S again [28.5, 37)
    rep = check_solution(inst, bad, waits={(0, 2): 6.0})
    assert rep.ok, str(rep)
    # 20 driving + 2 services + 2 stops of 0.5 + refuels of 6 and 8 + 6 queueing
    assert rep.duration[0] == pytest.approx(43.0)
    # 5.4 is not enough: [12.4, 18.9) still overlaps [6, 12.5)
    (v,) = only(check_solution(inst, bad, waits={(0, 2): 5.4}), "station_capacity")
    assert (v.route, v.position) == (0, 2)
    assert v.message.startswith("At 12.4, 2 vehicles (routes 0, 1) refuel at station S (node 3)")


def test_back_to_back_refuels_touching_at_one_instant() -> None:
    inst = line_instance(refuel_rate=1.0, station_capacity=np.array([0, 0, 0, 1, 0]))
    bad = [[0, 1, 3, 4, 3, 0], [0, 3, 0], [0, 2, 0]]
    # route 0 starts at 7 + 5.5 = 12.5, the instant route 1 leaves: half-open intervals
    assert check_solution(inst, bad, waits={(0, 2): 5.5}).ok
    # the other way round: route 1 queues until 13.5, when route 0 leaves
    assert check_solution(inst, bad, waits={(1, 1): 7.5}).ok
    # with departures instead of waits: route 0 leaves at 5.5 and reaches S at 12.5
    assert check_solution(inst, bad, departures=[5.5, 0.0, 0.0]).ok
    only(check_solution(inst, bad, departures=[5.4, 0.0, 0.0]), "station_capacity")


def test_partial_refuelling_per_type() -> None:
    thirsty = VehicleType(tank=20.0, consumption=2.0, load_capacity=2.0)
    inst = line_instance(full_refuel=False, refuel_rate=1.0, vehicle_types=[thirsty])
    # at S with 20 - 2 * 6 = 8; the next stop (S again, via C4) is 8 away = 16 of energy,
    # so just enough is 8; back at S with 0, home is 6 away = 12 of energy
    rep = check_solution(inst, GOOD)
    assert rep.ok, str(rep)
    assert rep.energy_min[0] == pytest.approx(0.0)
    assert rep.duration[0] == pytest.approx(23.0 + 8 + 12)
    # 7 instead of 8: 15 at S, 7 at C4, -1 back at S
    (v,) = only(check_solution(inst, GOOD, refuel_amounts={(0, 2): 7.0}), "range")
    assert (v.route, v.position) == (0, 4)
    assert "reaches S (node 3) with energy -1" in v.message
    # 13 does not fit: the tank holds 20 and 8 are left
    (v,) = only(check_solution(inst, GOOD, refuel_amounts={(0, 2): 13.0}), "range")
    assert "refuelling 13 at S (node 3) is impossible (between 0 and 12 fit" in v.message


def test_cost_distance_objectives() -> None:
    for objective in ("distance", "vehicles-distance"):
        rep = check_solution(line_instance(objective=objective), GOOD)
        # lengths 20 and 4
        assert rep.route_cost == pytest.approx([20.0, 4.0])
        assert rep.cost == pytest.approx(24.0)


def test_cost_time_objective() -> None:
    inst = line_instance(objective="time")
    # durations 23 and 5 (see test_good_solution_and_route_statistics)
    rep = check_solution(inst, GOOD)
    assert rep.route_cost == pytest.approx([23.0, 5.0])
    assert rep.cost == pytest.approx(28.0)
    # queueing counts: 2 more at S
    assert check_solution(inst, GOOD, waits={(0, 2): 2.0}).cost == pytest.approx(30.0)
    # waiting for a time window is cut by a later departure unless the departure is fixed
    inst.ready[1] = 5.0  # reached at 2
    assert check_solution(inst, [[0, 1, 0]]).cost == pytest.approx(5.0)  # leave at 3
    assert check_solution(inst, [[0, 1, 0]], departures=[0.0]).cost == pytest.approx(8.0)


def test_cost_objective_with_fixed_distance_and_time_terms() -> None:
    types = small_big()
    types[0].fixed_cost, types[0].cost_per_distance, types[0].cost_per_time = 100.0, 2.0, 0.5
    types[1].fixed_cost, types[1].cost_per_distance, types[1].cost_per_time = 300.0, 1.0, 3.0
    inst = two_depot_instance(types, objective="cost")
    types[0].count = 2
    rep = check_solution(inst, [*MIXED, [0, 0]], route_types=[*MIXED_TYPES, 0])
    assert rep.ok, str(rep)
    # small: length 4, duration 5   -> 100 + 2 * 4 + 0.5 * 5    = 110.5
    # big:   length 20, duration 12.5 -> 300 + 1 * 20 + 3 * 12.5 = 357.5
    # the empty route is no vehicle: no fixed cost, length and duration 0
    assert rep.route_cost == pytest.approx([110.5, 357.5, 0.0])
    assert rep.cost == pytest.approx(468.0)
    assert rep.distance == pytest.approx(24.0)


def test_cost_objective_without_vehicle_types() -> None:
    # the single type built from the instance: fixed_cost per vehicle + 1 per distance unit
    rep = check_solution(line_instance(objective="cost", fixed_cost=10.0), GOOD)
    assert rep.route_cost == pytest.approx([30.0, 14.0])  # 10 + 20, 10 + 4
    assert rep.cost == pytest.approx(44.0)


def test_redundant_stops_are_flagged() -> None:
    """Output hygiene: a node twice in a row, and a reported refuel of nothing."""
    inst = line_instance()
    vs = only(check_solution(inst, [[0, 1, 3, 3, 4, 3, 0], [0, 2, 0]]), "redundant_stop")
    assert [(v.route, v.position) for v in vs] == [(0, 3)]
    assert vs[0].message == (
        "Route 0, position 3: S (node 3) is visited twice in a row; drop the repeated visit."
    )
    (v,) = only(check_solution(inst, [GOOD[0], [0, 0, 2, 0]]), "redundant_stop")
    assert (v.route, v.position) == (1, 1) and "D (node 0) is visited twice" in v.message
    assert check_solution(inst, [*GOOD, [0, 0]]).ok  # an unused vehicle is no repeat
    # with a tank of 30 route 0 (20 long) needs no energy at S: a reported 0 is an empty stop
    partial = line_instance(full_refuel=False, tank=30.0)
    (v,) = only(check_solution(partial, GOOD, refuel_amounts={(0, 4): 0.0}), "redundant_stop")
    assert (v.route, v.position) == (0, 4)
    assert v.message == (
        "Route 0, position 4: the refuel amount at S (node 3) is 0; leave the station out of "
        "the route or report no amount."
    )
    assert check_solution(partial, GOOD).ok  # no amount reported: not flagged
    assert check_solution(partial, GOOD, refuel_amounts={(0, 4): 1.0}).ok
