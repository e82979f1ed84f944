"""Solver: checker-verified answers, determinism, and optimality on enumerable instances."""

import itertools
import math

import pytest
from brute import set_partitions
from paths import DATA
from typer.testing import CliRunner
from vrp_random import random_instance

from h2lane.cli import app
from h2lane.routing.vrp.checker import check_solution
from h2lane.routing.vrp.instances import read_instance
from h2lane.routing.vrp.model import VRPInstance
from h2lane.routing.vrp.solver import solve_vrp
from h2lane.routing.vrp.stop import MaxIterations, MaxRuntime

DATA_DIR = DATA / "vrp"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("AS1_20c3sU1.txt", "emh"), ("c101C5.txt", "evrptw"), ("E-n22-k4.evrp", "cec")],
)
def test_solutions_pass_the_checker(name, fmt):
    inst = read_instance(DATA_DIR / name, fmt)
    sol = solve_vrp(inst, stop=[MaxIterations(300), MaxRuntime(60)], seed=3)
    report = check_solution(inst, sol.routes)
    assert report.ok, report.violations
    assert report.distance == pytest.approx(sol.distance, rel=1e-9)
    assert all(r[0] == 0 and r[-1] == 0 for r in sol.routes)
    # output hygiene: no node twice in a row (these files put a station at the depot)
    assert all(a != b for r in sol.routes for a, b in itertools.pairwise(r))


def test_deterministic_for_a_seed():
    inst = read_instance(DATA_DIR / "AS1_20c3sU1.txt", "emh")
    a = solve_vrp(inst, stop=MaxIterations(200), seed=5)
    b = solve_vrp(inst, time_limit=60, seed=5, max_iterations=200)  # the compatibility keywords
    assert a.iterations == b.iterations == 200
    assert a.routes == b.routes and a.distance == b.distance
    c = solve_vrp(inst, stop=MaxIterations(200), seed=6)
    assert c.iterations == 200


def _tiny(seed: int, n_cust: int, windows: bool) -> VRPInstance:
    return random_instance(
        seed,
        n_cust,
        name=f"tiny{seed}",
        windows=(150.0, 40.0, 120.0, 600.0) if windows else None,
        tank=(1.05, 1.8),
        load_capacity=6.0,
        refuel_rate=0.3 if windows else 0.0,
        objective="vehicles-distance" if windows else "distance",
    )


def candidate_routes(inst: VRPInstance, subset: tuple[int, ...]):
    """Every route serving ``subset`` with at most two distinct stations on each arc, shortest
    first. With two stations (full refuels) that is all routes worth trying: a longer station
    sequence repeats a station and cannot beat the one without the repeat."""
    stations = [int(s) for s in inst.stations]
    fillers = [()] + [(s,) for s in stations] + list(itertools.permutations(stations, 2))
    out = []
    for perm in itertools.permutations(subset):
        stops = [0, *perm, 0]
        for choice in itertools.product(fillers, repeat=len(stops) - 1):
            route = [0]
            for k, c in enumerate(choice):
                route.extend(c)
                route.append(stops[k + 1])
            out.append((sum(inst.dist[a, b] for a, b in itertools.pairwise(route)), route))
    out.sort(key=lambda x: x[0])
    return out


def route_feasible(inst: VRPInstance, route: list[int], **kw) -> bool:
    """The checker finds nothing wrong with the route itself (other customers aside)."""
    return all(v.kind == "unserved" for v in check_solution(inst, [route], **kw).violations)


def _best_route(inst: VRPInstance, subset: tuple[int, ...]) -> float:
    for d, route in candidate_routes(inst, subset):
        if route_feasible(inst, route):
            return float(d)
    return math.inf


def _exhaustive(inst: VRPInstance) -> tuple[int, float]:
    custs = [int(c) for c in inst.customers if int(c) not in inst.unservable]
    cost = {}
    for k in range(1, len(custs) + 1):
        for sub in itertools.combinations(custs, k):
            cost[sub] = _best_route(inst, sub)

    best = (math.inf, math.inf)
    for p in set_partitions(custs):
        total = sum(cost[b] for b in p)
        if math.isfinite(total):
            key = (len(p), total) if inst.objective == "vehicles-distance" else (0, total)
            best = min(best, key)
    return best


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_tiny_instances_match_exhaustive_enumeration(seed):
    inst = _tiny(seed, n_cust=4 if seed % 2 else 3, windows=seed >= 3)
    vehicles, distance = _exhaustive(inst)
    assert math.isfinite(distance)
    sol = solve_vrp(inst, stop=MaxIterations(400), seed=seed)
    assert check_solution(inst, sol.routes).ok
    if inst.objective == "vehicles-distance":
        assert sol.vehicles == vehicles
    assert sol.distance == pytest.approx(distance, rel=1e-9)


@pytest.mark.slow
def test_cli_vrp_solve_json_and_bad_file(tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "vrp",
            "solve",
            str(DATA_DIR / "c101C5.txt"),
            "--format",
            "evrptw",
            "--time-limit",
            "1",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    import json

    out = json.loads(res.output)
    solver = out["solver"]
    assert solver["checker"]["ok"] and solver["vehicles"] == 2 == out["trucks_used"]
    assert out["routes"][0]["nodes"][0] == 0
    bad = tmp_path / "bad.txt"
    bad.write_text(
        "StringID Type x y demand ReadyTime DueDate ServiceTime\nD0 d 40 fifty 0 0 1236 0\n"
    )
    res = runner.invoke(app, ["vrp", "solve", str(bad), "--format", "evrptw"])
    assert res.exit_code == 2 and "Traceback" not in res.output and "bad.txt" in res.output
