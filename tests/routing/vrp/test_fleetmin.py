"""Route minimisation (fleetmin): never more vehicles, checker-feasible, and fewer where it can."""

import numpy as np
import pytest
from paths import DATA
from vrp_random import random_instance

from h2lane.routing.vrp.checker import check_solution
from h2lane.routing.vrp.fleetmin import FleetRepair, fleet_lower_bound, minimise_fleet
from h2lane.routing.vrp.instances import read_instance
from h2lane.routing.vrp.model import VRPInstance
from h2lane.routing.vrp.solver import (
    SearchParams,
    _check_alone,
    _Data,
    _Search,
    _State,
    solve_vrp,
)
from h2lane.routing.vrp.stop import MaxIterations


def _windows(seed: int, n_cust: int) -> VRPInstance:
    """Random customers with time windows, two stations, a short range; fewest vehicles first."""
    return random_instance(
        seed,
        n_cust,
        name=f"windows{seed}",
        windows=(200.0, 30.0, 90.0, 500.0),
        tank=1.3,
        load_capacity=8.0,
        refuel_rate=0.3,
        objective="vehicles-distance",
        full_refuel=False,
    )


def _packing() -> VRPInstance:
    """Four customers with demands 5, 4, 5, 6 (far to near) and capacity 10.

    The construction inserts the farthest first: {5, 4} fills the first route to 9, the
    second 5 opens a route, and 6 fits in neither, so it builds 3 routes where {4, 6} and
    {5, 5} make 2.
    """
    angles = np.radians([0.0, 90.0, 180.0, 270.0])
    radii = np.array([40.0, 35.0, 30.0, 25.0])
    x = np.r_[0.0, radii * np.cos(angles), 10.0]
    y = np.r_[0.0, radii * np.sin(angles), 10.0]
    kinds = np.array([0, 1, 1, 1, 1, 2], dtype=np.int8)
    dist = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    n = len(kinds)
    return VRPInstance(
        name="packing",
        kinds=kinds,
        labels=[str(i) for i in range(n)],
        x=x,
        y=y,
        dist=dist,
        speed=1.0,
        demand=np.array([0.0, 5.0, 4.0, 5.0, 6.0, 0.0]),
        service=np.zeros(n),
        ready=np.zeros(n),
        due=np.full(n, np.inf),
        tank=1000.0,
        consumption=1.0,
        load_capacity=10.0,
        refuel_fixed=0.0,
        refuel_rate=0.0,
        objective="vehicles-distance",
    )


def _start(inst: VRPInstance, seed: int = 0) -> tuple[_Search, _State, list[int]]:
    """The solver's search object and its construction (as ``solve_vrp`` builds them)."""
    data = _Data(inst)
    unserv = {int(c) for c in inst.unservable}
    customers = [int(c) for c in inst.customers if int(c) not in unserv]
    alone, _lonely = _check_alone(data, customers)
    search = _Search(data, np.random.default_rng(seed), SearchParams(), 10.0 * (alone + 1), True)
    state = _State([], [], [])
    search.recreate(state, customers[:], order_key=2, blink=0.0)
    return search, state, customers


def _checked(inst: VRPInstance, search: _Search, state: _State) -> None:
    sol = search.solution(state, sorted(int(c) for c in inst.unservable), 0.0, 0, [])
    rep = check_solution(
        inst, sol.routes, refuel_amounts=sol.refuel_amounts, departures=sol.departures
    )
    assert rep.ok, rep.violations
    served = sorted(c for r in sol.routes for c in r if inst.kinds[c] == 1)
    assert served == sorted(set(served))
    assert len(served) + len(inst.unservable) == int(np.sum(inst.kinds == 1))


def test_packing_case_loses_the_extra_route():
    inst = _packing()
    search, state, customers = _start(inst)
    assert state.vehicles == 3  # the construction uses one route too many
    assert fleet_lower_bound(search, customers) == 2
    best, steps, _abs = minimise_fleet(search, state, customers, lambda k: k / 500, 1.0, 1.0)
    assert best.vehicles == 2
    assert 0 < steps < 500  # stops at the load bound, long before the cap
    assert search.route_cap is None  # the cap is lifted for the distance phase
    _checked(inst, search, best)
    sol = solve_vrp(inst, stop=MaxIterations(300), seed=1)
    assert sol.vehicles == 2


@pytest.mark.parametrize("seed", range(6))
def test_never_more_vehicles_and_feasible(seed):
    inst = _windows(seed, 14)
    search, state, customers = _start(inst, seed)
    before = state.vehicles
    best, _steps, _abs = minimise_fleet(
        search, state.copy(), customers, lambda k: k / 300, 1.0, 1.0
    )
    assert best.vehicles <= before
    assert not best.unassigned
    _checked(inst, search, best)


def test_benchmark_file_and_iteration_cap():
    inst = read_instance(DATA / "vrp" / "c101C5.txt", "evrptw")
    a = solve_vrp(inst, stop=MaxIterations(200), seed=2)
    b = solve_vrp(inst, stop=MaxIterations(200), seed=2)
    assert a.routes == b.routes  # deterministic: the phase counts its steps in the cap
    assert a.iterations == 200
    rep = check_solution(inst, a.routes)
    assert rep.ok, rep.violations
    assert a.vehicles == 2  # the BKS vehicle count of c101C5


def test_repair_brings_a_candidate_back_to_the_fleet_size():
    inst = _packing()
    search, state, _customers = _start(inst)
    assert state.vehicles == 3
    absences = np.ones(inst.n_nodes)
    absences[2] = 0.0  # only the customer of demand 4 may be ejected: it makes room
    FleetRepair(search, absences)(state, 2)
    assert state.vehicles == 2 and not state.unassigned
    assert search.route_cap is None
    _checked(inst, search, state)
    # nothing less absent to eject: the customer stays unserved and counts an absence
    search, state, _customers = _start(inst)
    blocked = np.zeros(inst.n_nodes)
    FleetRepair(search, blocked)(state, 2)
    assert state.vehicles == 2 and len(state.unassigned) == 1
    assert blocked[state.unassigned[0]] == 1.0
