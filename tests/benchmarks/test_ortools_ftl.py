"""The OR-Tools FTL peer on a tiny generated instance: its plans replay feasibly; the results
merge of the FTL benchmark keeps the rows a run does not re-run."""

from __future__ import annotations

import importlib
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _load(name: str):
    """A module of benchmarks/ (on the path above)."""
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    from h2lane.roads.graph import RoadGraph
    from h2lane.routing.vrp.ftlbuild import build_instance
    from h2lane.scenario import load_scenario

    ftl = _load("ftl_instances")
    path = tmp_path_factory.mktemp("ftl") / "tiny.yaml"
    path.write_text(yaml.safe_dump(ftl.generate(8, 3, seed=4), allow_unicode=True), "utf-8")
    scen = load_scenario(str(path))
    return build_instance(
        scen, RoadGraph.bundled(), default_depart=datetime(2026, 12, 1, 6)
    ).instance


def test_ortools_plan_replays_feasibly(tiny) -> None:
    pytest.importorskip("ortools", reason="ortools is not installed (pip install -e '.[bench]')")
    from h2lane.routing.vrp.ftlcheck import check_ftl

    peer = _load("ortools_ftl")
    r = peer.solve_ftl_ortools(tiny, 3.0)
    assert r.first_solution_s is not None
    assert r.served, "OR-Tools served no order of the tiny instance"
    assert r.check_ok, r.violations
    rep = check_ftl(tiny, r.plans)
    assert rep.ok and rep.served == r.served
    assert r.truck_hours == pytest.approx(rep.truck_hours)
    assert len(r.served) + len(r.dropped_in_replay) == r.model_served
    # every order is served at most once, by the trucks of the instance
    assert len(set(r.served)) == len(r.served)
    assert {p.truck for p in r.plans} <= set(range(len(tiny.trucks)))


def test_replay_drops_an_order_that_does_not_fit(tiny) -> None:
    peer = _load("ortools_ftl")
    from h2lane.routing.vrp.ftl import Evaluator

    ev = Evaluator(tiny)
    # one truck given every order in reverse ready order: some cannot follow the others
    seq = sorted(range(len(tiny.orders)), key=lambda k: -tiny.orders[k].ready_h)
    plans, dropped = peer.replay(tiny, [seq], ev)
    assert dropped, "a reversed sequence of all orders should not fit one truck"
    kept = plans[0].orders if plans else []
    assert sorted(kept + dropped) == sorted(seq)
    assert ev.plan(0, kept) is not None


def test_merge_keeps_rows_not_re_run() -> None:
    bench = _load("bench_dispatch_ftl")
    head = "| instance | engine | served |"
    old = "\n".join(
        [
            "- Run 2026-12-02 on X, load average at start 1.0: `old`",
            "- small: old note",
            "- medium: old note",
            head,
            "|---|---|---:|",
            "| small | h2lane | 40 |",
            "| medium | h2lane | 180 |",
            "| target (issue 14) | measured | verdict |",
            "|---|---|---|",
            "| first feasible | 6 s | met |",
        ]
    )
    new = "\n".join(
        [
            "- Run 2026-12-03 on X, load average at start 2.0: `new`",
            "- small: new note",
            head,
            "|---|---|---:|",
            "| small | h2lane | 44 |",
            "| small | OR-Tools | 41 |",
            "| target (issue 14) | measured | verdict |",
            "|---|---|---|",
        ]
    )
    out = bench.merge_section(old, new).splitlines()
    assert "| small | h2lane | 44 |" in out and "| small | h2lane | 40 |" not in out
    assert "| medium | h2lane | 180 |" in out and "| small | OR-Tools | 41 |" in out
    assert "- medium: old note" in out and "- small: old note" not in out
    assert sum(x.startswith("- Run ") for x in out) == 2
    assert "| first feasible | 6 s | met |" in out
    assert bench.OPEN_PEER_ROW in out  # no OR-Tools target measured yet: the open row


def test_merge_replaces_the_greedy_stand_in_by_the_200_order_row() -> None:
    bench = _load("bench_dispatch_ftl")
    head = "| target (issue 14) | measured | verdict |"
    old = "\n".join(
        [
            head,
            "|---|---|---|",
            f"| {bench.GREEDY_TARGET}, 200 orders | greedy did not finish | not measured |",
            f"| {bench.GREEDY_TARGET}, 200 orders (measured on 50: …) | 44 vs 41 | missed |",
            "| first feasible | 6 s | met |",
        ]
    )
    new = "\n".join(
        [head, "|---|---|---|", f"| {bench.GREEDY_TARGET}, 200 orders | 189 vs 184 | missed |"]
    )
    out = bench.merge_section(old, new).splitlines()
    greedy = [x for x in out if x.startswith(f"| {bench.GREEDY_TARGET}")]
    assert greedy == [f"| {bench.GREEDY_TARGET}, 200 orders | 189 vs 184 | missed |"]
    assert "| first feasible | 6 s | met |" in out


def test_merge_keeps_old_notes_and_runs_when_the_new_run_has_no_notes() -> None:
    """A search-table-only run writes no notes: the old ones stay, each run line once."""
    bench = _load("bench_dispatch_ftl")
    head = "| instance | engine | served |"
    run_old = "- Run 2026-12-02 on X, load average at start 1.0: `old`"
    old = "\n".join(
        [
            run_old,
            "",
            head,
            "|---|---|---:|",
            "| small | h2lane | 40 |",
            "",
            "- small: old note",
            "- medium: old note",
            "",
            "text",
        ]
    )
    run_new = "- Run 2026-12-03 on X, load average at start 2.0: `new`"
    new = "\n".join(
        [run_old, run_new, "", head, "|---|---|---:|", "| small | h2lane | 44 |", "", "", "text"]
    )
    out = bench.merge_section(old, new).splitlines()
    assert out.count(run_old) == 1 and out.count(run_new) == 1
    assert "- small: old note" in out and "- medium: old note" in out
    assert "| small | h2lane | 44 |" in out and "| small | h2lane | 40 |" not in out
    assert "\n\n\n" not in bench.merge_section(old, new)


def test_merge_keeps_the_measured_300_s_peer_target_over_a_smaller_stand_in() -> None:
    """A 60 s run on 200 orders does not replace the verdict of the 300 s xlarge run."""
    bench = _load("bench_dispatch_ftl")
    head = "| target (issue 14) | measured | verdict |"
    measured = "| ahead of OR-Tools at 300 s | 1735 vs 1303 orders served | met |"
    old = "\n".join([head, "|---|---|---|", measured])
    stand_in = (
        "| ahead of OR-Tools at 300 s (measured on 200 × 40 at 60 s) | 190 vs 175 "
        "| open (not the 300 s xlarge run) |"
    )
    out = bench.merge_section(old, "\n".join([head, "|---|---|---|", stand_in])).splitlines()
    assert measured in out and stand_in not in out
    newer = "| ahead of OR-Tools at 300 s | 1750 vs 1310 orders served | met |"
    out = bench.merge_section(old, "\n".join([head, "|---|---|---|", newer])).splitlines()
    assert newer in out and measured not in out
