"""Queue scheduler: hand-made instances with worked timelines, plus random cross-checks."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from h2lane.routing.vrp import CUSTOMER, DEPOT, STATION, VRPInstance, check_solution
from h2lane.routing.vrp.model import VehicleType
from h2lane.routing.vrp.queues import Schedule, schedule


def make(kinds, labels, edges, default=5.0, **kw) -> VRPInstance:
    """Instance with symmetric distances ``edges[(i, j)]`` (others ``default``, diagonal 0)."""
    n = len(kinds)
    dist = np.full((n, n), default)
    np.fill_diagonal(dist, 0.0)
    for (i, j), d in edges.items():
        dist[i, j] = dist[j, i] = d
    return VRPInstance(
        name="toy",
        kinds=np.array(kinds, dtype=np.int8),
        labels=list(labels),
        x=np.zeros(n),
        y=np.zeros(n),
        dist=dist,
        **kw,
    )


# ---------------------------------------------------------------------------------------------
# Fork: depot D (0) -- 2 -- station S (1) -- 3 -- C1 (2) / C2 (3); both customers 5 from D.
# tank 10, start 4, consumption 1, speed 1: at S the energy is 2; a full refuel adds 8 and takes
# refuel_fixed 1 + rate 0.5 * 8 = 5. Customers take 1 of service.
# Route [0, 1, c, 0]: S at 2, refuel [2, 7), c at 10, service to 11, home at 16.
FORK = [[0, 1, 2, 0], [0, 1, 3, 0]]


def fork(capacity=1, **kw) -> VRPInstance:
    params = dict(
        tank=10.0,
        start_energy=4.0,
        refuel_fixed=1.0,
        refuel_rate=0.5,
        service=np.array([0.0, 0.0, 1.0, 1.0]),
        station_capacity=None if capacity is None else np.array([0, capacity, 0, 0]),
    )
    params.update(kw)
    return make(
        [DEPOT, STATION, CUSTOMER, CUSTOMER],
        ["D", "S", "C1", "C2"],
        {(0, 1): 2.0, (1, 2): 3.0, (1, 3): 3.0, (2, 3): 0.0},
        **params,
    )


def test_one_dispenser_second_vehicle_waits_the_first_refuel() -> None:
    s = schedule(fork(), FORK)
    assert isinstance(s, Schedule)
    # route 0 refuels [2, 7); route 1, ready at 2 too, waits 5 and refuels [7, 12)
    assert s.waits == {(1, 1): 5.0}
    assert s.total_wait == 5.0
    assert s.departures == [0.0, 0.0]
    assert s.end == [16.0, 21.0]
    assert s.duration == [16.0, 21.0]
    assert s.lateness == [0.0, 0.0]
    assert s.late == []
    assert s.feasible


def test_two_dispensers_no_wait() -> None:
    s = schedule(fork(capacity=2), FORK)
    assert s.waits == {}
    assert s.total_wait == 0.0
    assert s.end == [16.0, 16.0]


def test_arrival_exactly_when_previous_leaves_does_not_wait() -> None:
    # route 1 leaves at 5: at S at 7, the instant route 0 frees the dispenser (half-open)
    s = schedule(fork(), FORK, departures=[0.0, 5.0])
    assert s.waits == {}
    assert s.end == [16.0, 21.0]
    assert s.duration == [16.0, 16.0]
    # leaving at 4.5 it is at S at 6.5 and waits 0.5
    s = schedule(fork(), FORK, departures=[0.0, 4.5])
    assert s.waits == {(1, 1): pytest.approx(0.5)}
    assert s.end == pytest.approx([16.0, 21.0])


def test_unlimited_station_never_queues() -> None:
    for inst in (fork(capacity=0), fork(capacity=None)):
        s = schedule(inst, FORK * 3)
        assert s.waits == {}
        assert s.end == [16.0] * 6


def test_three_vehicles_one_dispenser_queue_in_line() -> None:
    # three at S at 2: refuels [2, 7), [7, 12), [12, 17); waits 0, 5, 10
    s = schedule(fork(), [*FORK, [0, 1, 2, 0]])
    assert s.waits == {(1, 1): 5.0, (2, 1): 10.0}
    assert s.total_wait == 15.0
    # two dispensers: [2, 7) twice, the third waits 5
    s = schedule(fork(capacity=2), [*FORK, [0, 1, 2, 0]])
    assert s.waits == {(2, 1): 5.0}


def test_partial_refuel_just_enough_is_shorter_than_full() -> None:
    # just enough at S: S -> C1 -> D needs 3 + 5 = 8, 2 on board -> add 6: 1 + 0.5 * 6 = 4
    s = schedule(fork(full_refuel=False), FORK)
    assert s.waits == {(1, 1): 4.0}
    assert s.end == [15.0, 19.0]
    # a given amount of 2 takes 1 + 1 = 2 (refuel_amounts used in partial mode only)
    s = schedule(fork(full_refuel=False), FORK, refuel_amounts={(0, 1): 2.0})
    assert s.waits == {(1, 1): 2.0}
    s = schedule(fork(full_refuel=True), FORK, refuel_amounts={(0, 1): 2.0})
    assert s.waits == {(1, 1): 5.0}
    # an amount larger than the room (8) is clipped to it
    s = schedule(fork(full_refuel=False), FORK, refuel_amounts={(0, 1): 50.0})
    assert s.waits == {(1, 1): 5.0}


def test_fifo_ties_go_to_the_lower_route_index() -> None:
    # start 2: empty at S. Just enough, rate 1, fixed 0: via C1 needs 3 + 5 = 8 (refuel 8),
    # via C2 needs 1 + 3 = 4 (refuel 4). Both ready at S at 2: route 0 goes first.
    inst = make(
        [DEPOT, STATION, CUSTOMER, CUSTOMER],
        ["D", "S", "C1", "C2"],
        {(0, 1): 2.0, (1, 2): 3.0, (1, 3): 1.0, (0, 2): 5.0, (0, 3): 3.0},
        tank=20.0,
        start_energy=2.0,
        full_refuel=False,
        refuel_rate=1.0,
        station_capacity=np.array([0, 1, 0, 0]),
    )
    long, short = [0, 1, 2, 0], [0, 1, 3, 0]
    assert schedule(inst, [long, short]).waits == {(1, 1): 8.0}
    assert schedule(inst, [short, long]).waits == {(1, 1): 4.0}


def test_heterogeneous_speeds_change_arrival_order() -> None:
    slow = VehicleType(name="slow", tank=10.0, start_energy=4.0, speed=1.0)
    fast = VehicleType(name="fast", tank=10.0, start_energy=4.0, speed=2.0)
    inst = fork(vehicle_types=[slow, fast])
    # same type: tie at 2, route 0 first, route 1 waits 5
    assert schedule(inst, FORK, route_types=[0, 0]).waits == {(1, 1): 5.0}
    # route 1 fast: at S at 1, refuels [1, 6); slow route 0 at 2 waits 4
    s = schedule(inst, FORK, route_types=[0, 1])
    assert s.waits == {(0, 1): 4.0}
    # fast: S -> C2 1.5, service 1, home 2.5 -> 6 + 5 = 11; slow: 11 + 3 + 1 + 5 = 20
    assert s.end == [20.0, 11.0]
    assert schedule(inst, FORK, route_types=[1, 0]).waits == {(1, 1): 4.0}


def test_departure_defaults_to_ready_of_the_type_depot() -> None:
    # a second depot D2 (node 4) opening at 3, 2 from S: its vehicle is at S at 5
    inst = make(
        [DEPOT, STATION, CUSTOMER, CUSTOMER, DEPOT],
        ["D", "S", "C1", "C2", "D2"],
        {(0, 1): 2.0, (1, 2): 3.0, (1, 3): 3.0, (1, 4): 2.0},
        tank=10.0,
        start_energy=4.0,
        refuel_fixed=1.0,
        refuel_rate=0.5,
        ready=np.array([0.0, 0.0, 0.0, 0.0, 3.0]),
        station_capacity=np.array([0, 1, 0, 0, 0]),
        vehicle_types=[
            VehicleType(tank=10.0, start_energy=4.0),
            VehicleType(depot=4, tank=10.0, start_energy=4.0),
        ],
    )
    s = schedule(inst, [[0, 1, 2, 0], [4, 1, 3, 4]], route_types=[0, 1])
    assert s.departures == [0.0, 3.0]
    assert s.waits == {(1, 1): 2.0}  # at S at 5, route 0 leaves at 7
    assert s.duration[1] == s.end[1] - 3.0


# ---------------------------------------------------------------------------------------------
# Two stations: D (0), S1 (1), S2 (2), customers C1 (3), C2 (4), C3 (5). Every refuel takes
# refuel_fixed 4 (rate 0), no service. D-S1 2, S1-S2 3, D-S2 12, S1-C1 1, S2-C2 1, S2-C3 1,
# customers 1 from D.
#   route 0 [D S1 C1 D]:    S1 ready 2, refuels [2, 6); C1 7; home 8.
#   route 1 [D S1 S2 C2 D]: S1 ready 2, waits 4, [6, 10); S2 at 13 ...
#   route 2 [D S2 C3 D]:    S2 ready 12, [12, 16); C3 17; home 18.
#   ... so route 1 waits 3 more at S2, [16, 20); C2 at 21; home 22.
# Without the first wait route 1 would reach S2 at 9, before route 2: the second queue is
# caused by the first.
TWO = [[0, 1, 3, 0], [0, 1, 2, 4, 0], [0, 2, 5, 0]]


def two_stations(**kw) -> VRPInstance:
    params = dict(
        tank=100.0,
        full_refuel=False,
        refuel_fixed=4.0,
        station_capacity=np.array([0, 1, 1, 0, 0, 0]),
    )
    params.update(kw)
    return make(
        [DEPOT, STATION, STATION, CUSTOMER, CUSTOMER, CUSTOMER],
        ["D", "S1", "S2", "C1", "C2", "C3"],
        {
            (0, 1): 2.0,
            (1, 2): 3.0,
            (0, 2): 12.0,
            (1, 3): 1.0,
            (2, 4): 1.0,
            (2, 5): 1.0,
            (0, 3): 1.0,
            (0, 4): 1.0,
            (0, 5): 1.0,
        },
        **params,
    )


def test_wait_propagates_to_a_later_station_and_queues_again() -> None:
    s = schedule(two_stations(), TWO)
    assert s.waits == {(1, 1): 4.0, (1, 2): 3.0}
    assert s.end == [8.0, 22.0, 18.0]
    assert s.total_wait == 7.0
    assert s.feasible
    # with S2 unlimited only the first queue remains
    s = schedule(two_stations(station_capacity=np.array([0, 1, 0, 0, 0, 0])), TWO)
    assert s.waits == {(1, 1): 4.0}
    assert s.end == [8.0, 19.0, 18.0]


def test_queue_making_a_customer_late_is_reported() -> None:
    due = np.full(6, np.inf)
    due[4] = 20.5
    s = schedule(two_stations(due=due), TWO)
    assert s.lateness == [0.0, pytest.approx(0.5), 0.0]
    assert not s.feasible
    assert s.late == [
        "route 1 reaches customer C2 (node 4) at 21.0 after its due time 20.5 because it "
        "queued 4.0 at station S1 (node 1) and 3.0 at station S2 (node 2)."
    ]


def test_late_return_and_duration_limit() -> None:
    due = np.full(6, np.inf)
    due[0] = 21.0
    truck = VehicleType(name="truck", tank=100.0, max_duration=20.0)
    s = schedule(two_stations(due=due, vehicle_types=[truck]), TWO)
    # route 1 home at 22: 1 late at the depot and 2 over the 20 limit
    assert s.lateness == [0.0, 3.0, 0.0]
    assert s.late == [
        "route 1 returns to depot D (node 0) at 22.0 after its due time 21.0 because it "
        "queued 4.0 at station S1 (node 1) and 3.0 at station S2 (node 2).",
        "route 1 lasts 22.0, longer than the limit 20.0 of its vehicle type truck because it "
        "queued 4.0 at station S1 (node 1) and 3.0 at station S2 (node 2).",
    ]
    # only the waits before a late arrival are named; none at all -> no "because"
    due = np.full(6, np.inf)
    due[1] = 1.0  # S1 reached at 2 by routes 0 and 1, before anyone queued
    s = schedule(two_stations(due=due), TWO)
    assert s.late == [
        "route 0 reaches station S1 (node 1) at 2.0 after its due time 1.0.",
        "route 1 reaches station S1 (node 1) at 2.0 after its due time 1.0.",
    ]
    assert s.lateness == [1.0, 1.0, 0.0]


def test_lateness_is_measured_not_prevented() -> None:
    # a window that closes before the arrival does not stop the replay or its queues
    due = np.full(6, np.inf)
    due[2] = 10.0
    s = schedule(two_stations(due=due), TWO)
    assert s.waits == {(1, 1): 4.0, (1, 2): 3.0}
    assert s.lateness == [0.0, 3.0, 2.0]  # route 1 at S2 at 13, route 2 at 12


def test_mid_route_depot_refuel_queues_when_capacitated() -> None:
    # D (0) 2 from C1 (1) and C2 (2). Back at D at 4 with energy 6: a full refuel adds 4,
    # 1 + 0.5 * 4 = 3. One dispenser at the depot.
    inst = make(
        [DEPOT, CUSTOMER, CUSTOMER],
        ["D", "C1", "C2"],
        {(0, 1): 2.0, (0, 2): 2.0},
        tank=10.0,
        refuel_fixed=1.0,
        refuel_rate=0.5,
        station_capacity=np.array([1, 0, 0]),
    )
    routes = [[0, 1, 0, 2, 0], [0, 2, 0, 1, 0]]
    s = schedule(inst, routes)
    assert s.waits == {(1, 2): 3.0}
    assert s.end == [11.0, 14.0]
    inst.depot_refuels = False
    s = schedule(inst, routes)
    assert s.waits == {}
    assert s.end == [8.0, 8.0]


def test_zero_length_refuel_takes_no_dispenser() -> None:
    # no fixed time and nothing to add (just enough, tank plenty): no interval, no queue
    inst = fork(full_refuel=False, refuel_fixed=0.0, start_energy=10.0)
    assert schedule(inst, FORK).waits == {}


def test_wait_survives_float_rounding() -> None:
    """The wait is such that ``ready + wait`` (as the checker adds it) is not before the free time."""
    rng = np.random.default_rng(7)
    for _ in range(10_000):
        fixed = float(rng.uniform(1.0, 40.0))
        d = float(rng.uniform(0.0, fixed))
        ready, free = d + 2.0, 2.0 + fixed  # route 1 at S; route 0 frees S (rate 0)
        if ready + (free - ready) < free:
            break
    else:
        raise AssertionError("no rounding case found")
    inst = fork(refuel_fixed=fixed, refuel_rate=0.0)
    s = schedule(inst, FORK, departures=[0.0, d])
    w = s.waits[(1, 1)]
    assert w == pytest.approx(free - ready)
    assert ready + w >= free
    rep = check_solution(inst, FORK, departures=[0.0, d], waits=s.waits)
    assert "station_capacity" not in rep.kinds, str(rep)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        schedule(fork(), [[0]])
    with pytest.raises(ValueError):
        schedule(fork(), FORK, route_types=[0])
    with pytest.raises(ValueError):
        schedule(fork(), FORK, departures=[0.0])
    assert schedule(fork(), []).waits == {}


# ---------------------------------------------------------------------------------------------
# Random instances and an independent reference.


def random_case(seed: int, capacity: int = 1):
    rng = np.random.default_rng(seed)
    n_st = int(rng.integers(1, 3))
    n_c = 5
    kinds = [DEPOT] + [CUSTOMER] * n_c + [STATION] * n_st
    n = len(kinds)
    pts = rng.uniform(0.0, 10.0, (n, 2))
    dist = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    ready = np.zeros(n)
    ready[1 : 1 + n_c] = rng.uniform(0.0, 15.0, n_c) * (rng.random(n_c) < 0.4)
    due = np.full(n, np.inf)
    due[1 : 1 + n_c] = np.where(rng.random(n_c) < 0.5, rng.uniform(10.0, 40.0, n_c), np.inf)
    service = np.zeros(n)
    service[1 : 1 + n_c] = rng.uniform(0.0, 1.0, n_c)
    cap = np.zeros(n, dtype=np.int64)
    cap[1 + n_c :] = capacity
    inst = VRPInstance(
        name=f"random{seed}",
        kinds=np.array(kinds, dtype=np.int8),
        labels=[f"N{i}" for i in range(n)],
        x=pts[:, 0],
        y=pts[:, 1],
        dist=dist,
        tank=30.0,
        start_energy=float(rng.uniform(5.0, 30.0)),
        full_refuel=bool(rng.integers(2)),
        refuel_fixed=0.5,
        refuel_rate=float(rng.uniform(0.1, 1.0)),
        ready=ready,
        due=due,
        service=service,
        station_capacity=cap,
        max_duration=60.0,
    )
    stations = list(range(1 + n_c, n))
    routes = []
    for _ in range(int(rng.integers(2, 5))):
        k = int(rng.integers(1, 4))
        stops = [int(v) for v in rng.choice(np.arange(1, n), size=k)]
        stops.insert(int(rng.integers(0, k + 1)), int(rng.choice(stations)))
        routes.append([0, *stops, 0])
    departures = rng.uniform(0.0, 3.0, len(routes)).tolist()
    return inst, routes, departures


def replay(inst, routes, departures, waits):
    """Independent replay of every route under fixed waits (the timeline contract, spelled out).

    Returns the refuel visits ``(ready, route, position, node, length)`` and the end times.
    """
    visits, ends = [], []

    def charges(b: int) -> bool:
        return inst.kinds[b] == STATION or (inst.kinds[b] == DEPOT and inst.depot_refuels)

    for r, route in enumerate(routes):
        t, e = departures[r], inst.initial_energy
        for p in range(1, len(route)):
            a, b = route[p - 1], route[p]
            t += inst.dist[a, b] / inst.speed
            e -= inst.consumption * inst.dist[a, b]
            if p == len(route) - 1:
                break
            t = max(t, inst.ready[b]) + inst.service[b]
            if charges(b):
                room = inst.tank - max(e, 0.0)
                if inst.full_refuel:
                    amount = room
                else:
                    q, need = p, 0.0
                    while True:
                        q += 1
                        need += inst.consumption * inst.dist[route[q - 1], route[q]]
                        if q == len(route) - 1 or charges(route[q]):
                            break
                    amount = min(max(need - max(e, 0.0), 0.0), room)
                length = inst.refuel_fixed + inst.refuel_rate * amount
                visits.append((t, r, p, b, length))
                t += waits.get((r, p), 0.0) + length
                e = max(e, 0.0) + amount
        ends.append(t)
    return visits, ends


def brute_force_waits(inst, routes, departures):
    """Capacity-1 FCFS waits by repeated whole replays: fix the earliest conflict, repeat.

    A conflict is a visit that starts before the dispenser is free (push it later) or waits
    although it is free (pull it earlier). Fixing the earliest one never disturbs earlier ones.
    """
    waits: dict[tuple[int, int], float] = {}
    for _ in range(10_000):
        visits, _ = replay(inst, routes, departures, waits)
        first = None
        for s in set(v[3] for v in visits):
            free = -math.inf
            for ready, r, p, _, length in sorted(v for v in visits if v[3] == s):
                want = max(0.0, free - ready)
                if abs(want - waits.get((r, p), 0.0)) > 1e-9:
                    first = min(first or (math.inf,), (ready, r, p, want))
                    break
                free = ready + want + length
        if first is None:
            return waits
        _, r, p, want = first
        waits.pop((r, p), None)
        if want > 0:
            waits[(r, p)] = want
    raise AssertionError("brute force did not settle")


def station_waits(routes, waits) -> dict[int, Counter]:
    out: dict[int, Counter] = {}
    for (r, p), w in waits.items():
        out.setdefault(routes[r][p], Counter())[round(w, 9)] += 1
    return out


@pytest.mark.parametrize("seed", range(60))
def test_matches_brute_force_reference(seed: int) -> None:
    inst, routes, departures = random_case(seed)
    s = schedule(inst, routes, departures=departures)
    ref = brute_force_waits(inst, routes, departures)
    assert s.waits.keys() == ref.keys()
    for key, w in ref.items():
        assert s.waits[key] == pytest.approx(w, abs=1e-9)
    _, ends = replay(inst, routes, departures, s.waits)
    assert s.end == pytest.approx(ends, abs=1e-9)
    assert s.duration == pytest.approx([e - d for e, d in zip(ends, departures, strict=True)])


def test_brute_force_sees_queues() -> None:
    """The random cases do exercise queueing (guard against a vacuous comparison)."""
    queued = sum(bool(brute_force_waits(*random_case(seed))) for seed in range(60))
    assert queued >= 20


@pytest.mark.parametrize("seed", range(30))
def test_route_order_does_not_matter_without_ties(seed: int) -> None:
    inst, routes, departures = random_case(seed, capacity=1 + seed % 2)
    base = schedule(inst, routes, departures=departures)
    perm = np.random.default_rng(1000 + seed).permutation(len(routes))
    s = schedule(inst, [routes[i] for i in perm], departures=[departures[i] for i in perm])
    assert station_waits([routes[i] for i in perm], s.waits) == station_waits(routes, base.waits)
    # route by route, too
    back = {(int(perm[r]), p): w for (r, p), w in s.waits.items()}
    assert back == base.waits
    assert [s.end[list(perm).index(r)] for r in range(len(routes))] == base.end


@pytest.mark.parametrize("seed", range(30))
def test_capacity_respected_and_no_idle_waiting(seed: int) -> None:
    capacity = 1 + seed % 3
    inst, routes, departures = random_case(seed, capacity=capacity)
    s = schedule(inst, routes, departures=departures)
    visits, _ = replay(inst, routes, departures, s.waits)
    for st in set(v[3] for v in visits):
        here = sorted(v for v in visits if v[3] == st)
        spans = [(ready + s.waits.get((r, p), 0.0), length) for ready, r, p, _, length in here]
        spans = [(a, a + length) for a, length in spans]
        # never more than `capacity` refuels at once (half-open intervals)
        for a, _ in spans:
            assert sum(b0 <= a < b1 for b0, b1 in spans) <= capacity
        # first come first served: starts follow the ready order
        starts = [a for a, _ in spans]
        assert starts == sorted(starts)
        # a vehicle only waits until a dispenser frees up
        for (_ready, r, p, _, _), (a, _) in zip(here, spans, strict=True):
            if (r, p) in s.waits:
                assert any(b1 == pytest.approx(a, abs=1e-12) for _, b1 in spans)
    assert s.total_wait == pytest.approx(sum(s.waits.values()))
    assert s.feasible == all(x <= 1e-6 for x in s.lateness)


@pytest.mark.parametrize("seed", range(30))
def test_checker_accepts_the_waits(seed: int) -> None:
    """The checker (taking queue waits) accepts the scheduler's waits and agrees on lateness."""
    inst, routes, departures = random_case(seed)
    s = schedule(inst, routes, departures=departures)
    rep = check_solution(inst, routes, departures=departures, waits=s.waits)
    assert "station_capacity" not in rep.kinds, str(rep)
    late_arrival = any(" after its due time " in m for m in s.late)
    assert ("time_window" in rep.kinds) == late_arrival, str(rep)
