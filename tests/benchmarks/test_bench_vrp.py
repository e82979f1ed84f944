"""bench_vrp's untimed warm-up: each h2lane process solves the family's first file briefly
before any timed run, so no timed run pays for compiling the kernels."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
C101C5 = ROOT / "tests" / "data" / "vrp" / "c101C5.txt"


def test_the_warm_up_solves_the_first_file_for_its_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = importlib.import_module("bench_vrp")
    from h2lane.routing.vrp.solver import solve_vrp

    monkeypatch.setattr(bench, "WARM_UP_S", 0.3)
    calls: list[tuple[Any, float, int]] = []

    def recording(inst: Any, limit: float, seed: int = 0) -> Any:
        calls.append((inst, limit, seed))
        return solve_vrp(inst, limit, seed=seed)

    took = bench._warm_up(recording, C101C5, bench.FAMILIES["evrptw-small"], None, 7)
    assert len(calls) == 1
    inst, limit, seed = calls[0]
    assert (limit, seed) == (0.3, 7)
    assert inst.objective == "vehicles-distance"  # prepared as the family runs it
    assert took >= 0.3


def test_the_partial_recharging_family_warms_up_on_partial_recharging() -> None:
    bench = importlib.import_module("bench_vrp")
    seen: list[bool] = []
    bench._warm_up(lambda inst, limit, seed=0: seen.append(inst.full_refuel), C101C5,
                   bench.FAMILIES["evrptw-pr"], None, 0)  # fmt: skip
    assert seen == [False]
