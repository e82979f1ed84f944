"""The greedy dispatcher's lower-bound pruning: the same plans as planning every candidate."""

from __future__ import annotations

import importlib.util
import itertools
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from h2lane.routing import dispatch
from h2lane.routing.rest import RestRules
from h2lane.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DEPART = datetime(2026, 12, 1, 6, 0)


def _ftl_instance(tmp_path: Path, orders: int, trucks: int, seed: int):
    spec = importlib.util.spec_from_file_location(
        "ftl_instances", ROOT / "benchmarks" / "ftl_instances.py"
    )
    assert spec and spec.loader
    ftl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ftl)
    path = tmp_path / "ftl.yaml"
    path.write_text(
        yaml.safe_dump(ftl.generate(orders, trucks, seed=seed), sort_keys=False),
        encoding="utf-8",
    )
    return load_scenario(str(path))


def _both(scen, graph, monkeypatch, **kw):
    """(pruned plan, reference plan, plans solved by each)."""
    solved = []
    plan = dispatch._Dispatcher.plan

    def counted(self, req):
        solved[-1] += 1
        return plan(self, req)

    monkeypatch.setattr(dispatch._Dispatcher, "plan", counted)
    out = []
    for prune in (True, False):
        monkeypatch.setattr(dispatch, "_PRUNE", prune)
        solved.append(0)
        out.append(
            dispatch.plan_dispatch(
                scen, graph, default_depart=DEPART, engine="greedy", **kw
            ).to_dict()
        )
    return out[0], out[1], solved


def test_pruned_greedy_matches_the_reference_on_the_bundled_scenario(north_china, monkeypatch):
    fast, ref, solved = _both(load_scenario("shanxi-tianjin"), north_china, monkeypatch)
    assert fast == ref
    assert solved[0] < solved[1]


@pytest.mark.slow
def test_pruned_greedy_matches_the_reference_on_a_generated_instance(
    north_china, monkeypatch, tmp_path
):
    """12 orders on 4 trucks, two of them left out: the same chains, times and reasons."""
    scen = _ftl_instance(tmp_path, 12, 4, seed=2)
    fast, ref, solved = _both(scen, north_china, monkeypatch)
    assert fast == ref
    assert fast["unassigned"] and all("due time" in u["reason"] for u in fast["unassigned"])
    assert solved[0] < solved[1]


def test_cost_objective_is_not_pruned_and_matches(north_china, monkeypatch):
    scen = load_scenario("shanxi-tianjin")
    scen.orders = scen.orders[:3]
    fast, ref, _ = _both(scen, north_china, monkeypatch, objective="cost")
    assert fast == ref


@pytest.mark.slow
def test_bound_never_exceeds_the_exact_truck_hours(north_china, tmp_path):
    """Every one- and two-order chain: bound ≤ planned hours, ``inf`` only when infeasible."""
    scen = _ftl_instance(tmp_path, 8, 3, seed=4)
    disp = dispatch._Dispatcher(
        scen, north_china, scen.stations, "time", 5.0, DEPART, RestRules(), None, True
    )
    jobs = sorted(
        (dispatch._job(scen, o) for o in scen.orders),
        key=lambda j: (j.ready or dispatch._FAR_PAST, j.order.id),
    )
    ttype = {t.id: t for t in scen.truck_types}
    checked = 0
    for truck in scen.trucks[:2]:
        chains = [[j] for j in jobs] + [list(p) for p in itertools.combinations(jobs, 2)]
        for chain in chains[:20]:
            lb = disp.bound(truck, ttype[truck.type], chain)
            ev = disp.evaluate(truck, ttype[truck.type], chain)
            if ev.feasible:
                assert lb <= ev.score[0]
                checked += 1
            if lb == float("inf"):
                assert not ev.feasible
    assert checked


def test_rest_lower_bound():
    disp = dispatch._Dispatcher.__new__(dispatch._Dispatcher)
    disp.rest = RestRules(max_drive_h=4.5, break_min=45, max_daily_drive_h=9, daily_rest_h=11)
    assert disp._rest_h(4.5) == 0.0
    assert disp._rest_h(5.0) == pytest.approx(0.75)
    assert disp._rest_h(9.0) == pytest.approx(0.75)
    assert disp._rest_h(10.0) == pytest.approx(11.0 + 0.75)
    disp.rest = RestRules.off()
    assert disp._rest_h(30.0) == 0.0


def test_skipping_far_trucks_keeps_the_scans_choice():
    """The rule of ``_reach`` on random near-ties: the fleet-order scan with ``_better``
    chooses the same truck after dropping every truck bounded above one feasible truck's
    increase by more than (trucks + 3) tolerances."""
    import random

    rng = random.Random(7)

    def scan(values):
        best = None
        for i, v in values:
            if v is not None and (best is None or dispatch._better(v, best[1])):
                best = (i, v)
        return None if best is None else best[0]

    for _ in range(3000):
        n = rng.randint(1, 12)
        base = rng.choice([0.0, 1.0])
        values = [
            (
                i,
                None
                if rng.random() < 0.2
                else (base + rng.randint(0, 120) * 0.4e-6, float(rng.randint(0, 3))),
            )
            for i in range(n)
        ]
        feasible = [v for _, v in values if v is not None]
        if not feasible:
            continue
        known = rng.choice(feasible)[0]
        reach = (n + 3) * 1e-6 + dispatch._SLACK
        kept = [(i, v) for i, v in values if v is None or v[0] <= known + reach]
        assert scan(kept) == scan(values)
