"""The simulation engine against queueing theory (Erlang C for M/M/c, Pollaczek–Khinchine for M/D/1).

Tolerance. Waits of successive trucks are correlated, so the standard error of the simulated
mean comes from 20 non-overlapping batch means of the post-warm-up fills (each batch 7,500
fills, far longer than the queue's relaxation time at these loads). It shrinks as
1/√(run length). A simulation that is right lies within 4 standard errors of the exact value
with probability > 0.9999 (normal batch means); the seeds are fixed, so the test is
reproducible, and a wrong engine (a bias above 15 %) lies outside: each test also checks that
4 SE is less than 15 % of the theoretical value (150,000 fills per run), so the comparison has teeth.
"""

from __future__ import annotations

import math

import pytest

from h2lane.supply.queueing import erlang_c, md1_mean_wait, mmc_mean_wait
from h2lane.supply.study import StationStudy, run_station_study


def test_erlang_c_known_values() -> None:
    # c = 1: P(wait) = ρ; c = 2, a = 1: C = 1/3 (textbook)
    assert erlang_c(1, 0.6) == pytest.approx(0.6)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mmc_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)  # ρ/(μ−λ)
    assert md1_mean_wait(0.5, 1.0) == pytest.approx(0.5)  # ρ S / (2(1−ρ))


@pytest.mark.parametrize(("c", "lam"), [(1, 3.0), (2, 6.0), (4, 14.0)])
def test_mmc_matches_erlang_c(c: int, lam: float) -> None:
    study = StationStudy(
        c, lam, 40.0, 60.0, "exponential", 0.0, hours=150000 / lam, warmup_hours=20, seed=11 + c
    )
    r = run_station_study(study)
    th = r["theory"]
    assert th["model"] == "M/M/c (Erlang C)"
    se = r["mean_wait_se_min"]
    assert 4 * se < 0.15 * th["mean_wait_min"]
    assert abs(r["mean_wait_min"] - th["mean_wait_min"]) < 4 * se
    assert abs(r["p_wait"] - th["p_wait"]) < 4 * r["p_wait_se"]
    assert r["utilisation"] == pytest.approx(th["utilisation"], rel=0.03)
    assert r["balance"]["residual_g"] == 0


@pytest.mark.parametrize("lam", [2.0, 4.0])
def test_md1_matches_pollaczek_khinchine(lam: float) -> None:
    study = StationStudy(
        1, lam, 40.0, 60.0, "fixed", 0.0, hours=150000 / lam, warmup_hours=20, seed=5
    )
    r = run_station_study(study)
    th = r["theory"]
    assert th["model"].startswith("M/D/1")
    se = r["mean_wait_se_min"]
    assert 4 * se < 0.15 * th["mean_wait_min"]
    assert abs(r["mean_wait_min"] - th["mean_wait_min"]) < 4 * se
    assert abs(r["p_wait"] - th["p_wait"]) < 4 * r["p_wait_se"]


def test_same_seed_same_answer() -> None:
    s = StationStudy(2, 5.0, 40.0, 60.0, "exponential", 0.0, hours=500, seed=9)
    a, b = run_station_study(s), run_station_study(s)
    assert a["mean_wait_min"] == b["mean_wait_min"] and a["fills"] == b["fills"]
    c = run_station_study(StationStudy(2, 5.0, 40.0, 60.0, "exponential", 0.0, hours=500, seed=10))
    assert c["mean_wait_min"] != a["mean_wait_min"]
    assert not math.isnan(c["p95_wait_min"])
