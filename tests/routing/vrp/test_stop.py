"""Solver API: stopping criteria, callbacks, determinism, no printing, unserved customers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from paths import DATA

from h2lane.errors import InfeasiblePlanError, OptionError
from h2lane.routing.vrp import (
    Improvement,
    MaxIterations,
    MaxRuntime,
    MultipleCriteria,
    SolveCallbacks,
    VRPInstance,
    check_solution,
    find_unservable,
    read_instance,
    solve_vrp,
    unserved_customers,
)
from h2lane.routing.vrp.checker import check_result

AS1 = DATA / "vrp" / "AS1_20c3sU1.txt"


@pytest.fixture(scope="module")
def as1() -> VRPInstance:
    return read_instance(AS1, "emh")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 0, -1.0, "10", None, True])
def test_bad_runtime_names_the_option(bad) -> None:
    with pytest.raises(OptionError) as err:
        MaxRuntime(bad)
    msg = str(err.value)
    assert "--time-limit" in msg and "\n" not in msg


@pytest.mark.parametrize("bad", [math.nan, math.inf, 0, -3, 2.5, "5", True])
def test_bad_iterations_name_the_option(bad) -> None:
    with pytest.raises(OptionError, match="--max-iterations"):
        MaxIterations(bad)


def test_solve_rejects_nan_time_limit_at_once(as1) -> None:
    """``vrp solve --time-limit nan`` used to run for ever."""
    with pytest.raises(OptionError, match="--time-limit"):
        solve_vrp(as1, time_limit=math.nan)
    with pytest.raises(OptionError, match="--time-limit"):
        solve_vrp(as1, stop=math.nan)
    with pytest.raises(OptionError):
        solve_vrp(as1, stop=[])
    with pytest.raises(OptionError):
        solve_vrp(as1, stop="fast")  # type: ignore[arg-type]


def test_criteria_fractions() -> None:
    both = MultipleCriteria([MaxRuntime(10.0), MaxIterations(100)])
    assert both.fraction(50, 1.0) == pytest.approx(0.5)
    assert both.fraction(10, 9.0) == pytest.approx(0.9)
    assert both.fraction(100, 0.0) >= 1.0 and both.fraction(0, 10.0) >= 1.0
    assert both.deterministic and both.runtime == 10.0
    assert both.schedule_fraction(10, 9.0) == pytest.approx(0.1)  # the iteration cap leads
    assert not MultipleCriteria([MaxRuntime(1.0)]).deterministic


def test_iteration_cap_is_deterministic_and_exact(as1) -> None:
    a = solve_vrp(as1, stop=MaxIterations(150), seed=2)
    b = solve_vrp(as1, stop=[MaxIterations(150), MaxRuntime(120)], seed=2)
    c = solve_vrp(as1, stop=MultipleCriteria([MaxRuntime(120), MaxIterations(150)]), seed=2)
    assert a.iterations == b.iterations == c.iterations == 150
    assert a.routes == b.routes == c.routes


def test_runtime_stops_the_search(as1) -> None:
    sol = solve_vrp(as1, stop=MaxRuntime(0.5), seed=0)
    assert 0.5 <= sol.seconds < 5.0
    assert check_result(as1, sol).ok


def test_first_criterion_met_stops(as1) -> None:
    sol = solve_vrp(as1, stop=[MaxRuntime(30), MaxIterations(20)], seed=0)
    assert sol.iterations == 20 and sol.seconds < 30


def test_callbacks_report_improvements_and_progress(as1, capsys) -> None:
    best: list[Improvement] = []
    progress: list[tuple[float, float]] = []
    cb = SolveCallbacks(
        on_best=best.append, on_progress=lambda f, c: progress.append((f, c)), progress_every=0
    )
    sol = solve_vrp(as1, stop=MaxIterations(300), seed=1, callbacks=cb, progress=True)
    assert capsys.readouterr() == ("", "")  # the library never prints nor draws a bar
    assert best[0].iteration == 0 and len(best) >= 2
    assert all(isinstance(b, Improvement) for b in best)
    assert [b.iteration for b in best] == sorted(b.iteration for b in best)
    costs = [b.cost for b in best]
    assert all(x > y for x, y in zip(costs, costs[1:], strict=False))
    assert best[-1].cost == pytest.approx(sol.distance, rel=1e-9)
    assert best[-1].vehicles == sol.vehicles
    assert all(b.iteration <= 300 and b.seconds >= 0 for b in best)
    fr = [f for f, _ in progress]
    assert fr == sorted(fr) and fr[0] == 0.0 and fr[-1] == 1.0
    assert len(progress) > 100  # progress_every=0: every iteration
    assert progress[-1][1] == pytest.approx(sol.distance, rel=1e-9)
    # the callbacks change nothing
    assert solve_vrp(as1, stop=MaxIterations(300), seed=1).routes == sol.routes


def test_positional_seconds_still_work(as1) -> None:
    """The benchmark scripts call ``solve(inst, seconds, seed=...)``."""
    sol = solve_vrp(as1, 0.3, seed=0)
    assert sol.seconds >= 0.3 and check_result(as1, sol).ok


# ---------------------------------------------------------------------------- unserved


def _line(**kw) -> VRPInstance:
    """Depot 0, customers at 10, 20 and 400 on a line, a station at 15; range 100."""
    x = np.array([0.0, 10.0, 20.0, 400.0, 15.0])
    kinds = np.array([0, 1, 1, 1, 2], dtype=np.int8)
    params: dict = dict(tank=100.0, demand=np.array([0.0, 1.0, 1.0, 1.0, 0.0]))
    params.update(kw)
    return VRPInstance(
        name="line",
        kinds=kinds,
        labels=["D", "near", "mid", "far", "S"],
        x=x,
        y=np.zeros(5),
        dist=np.abs(x[:, None] - x[None, :]),
        distance_unit="km",
        **params,
    )


def test_unservable_customer_named_with_the_range() -> None:
    inst = _line()
    assert find_unservable(inst) == [3]
    sol = solve_vrp(inst, stop=MaxIterations(30))
    (u,) = sol.unserved
    assert (u.node, u.label, u.reason) == (3, "far", "range")
    assert u.message == (
        "customer 3 (far) is 385 km from the nearest station or depot, beyond the 100 km range."
    )
    assert unserved_customers(inst, sol) == [u]
    assert unserved_customers(inst) == [u]
    assert check_result(inst, sol).ok


def test_payload_and_fleet_reasons() -> None:
    inst = _line(load_capacity=2.0, fleet_size=1)
    inst.demand[3] = 0.0
    inst.x[3] = 30.0
    inst.dist = np.abs(inst.x[:, None] - inst.x[None, :])
    inst.demand[1] = 5.0  # above the payload
    find_unservable(inst)
    assert inst.unservable == [1]
    (u,) = unserved_customers(inst)
    assert u.reason == "payload" and "demand 5" in u.message and "payload 2" in u.message
    # 2 more customers of 1 each fit one vehicle; make them 1.5 each: one is left over
    inst.demand[2] = inst.demand[3] = 1.5
    with pytest.raises(InfeasiblePlanError, match="more vehicles than the fleet"):
        solve_vrp(inst, stop=MaxIterations(30))
    sol = solve_vrp(inst, stop=MaxIterations(30), allow_unserved=True)
    reasons = {u.node: u.reason for u in sol.unserved}
    assert reasons[1] == "payload" and sorted(reasons) in ([1, 2], [1, 3])
    fleet = [u for u in sol.unserved if u.reason == "fleet"]
    assert len(fleet) == 1 and "fleet is too small" in fleet[0].message
    assert "1 vehicles available" in fleet[0].message
    served = {c for r in sol.routes for c in r if inst.kinds[c] == 1}
    assert served.isdisjoint(reasons)
    rep = check_solution(inst, sol.routes)
    assert rep.kinds == {"unserved"}  # the checker still reports the one the fleet left out
