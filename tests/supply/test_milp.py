"""The supply MILP against enumeration, and its explanations of unserved stations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from h2lane.supply.milp import (
    SupplySettings,
    SupplySite,
    SupplyStation,
    solve_supply,
    trailer_hours,
)


def enumerate_best(sites, stations, km, s: SupplySettings) -> float:
    """Cheapest single-source plan by trying every assignment (trips and fleet rounded up)."""
    best = math.inf
    for choice in itertools.product(range(len(sites)), repeat=len(stations)):
        use = [0.0] * len(sites)
        hours = [0.0] * len(sites)
        km_day = 0.0
        ok = True
        for j, i in enumerate(choice):
            if not np.isfinite(km[i, j]) or km[i, j] > s.max_one_way_km:
                ok = False
                break
            d = stations[j].demand_kg_per_day
            use[i] += d
            trips = math.ceil(s.period_days * d / sites[i].payload_kg - 1e-9)
            hours[i] += trips * float(trailer_hours(np.array(km[i, j]), s))
            km_day += 2 * km[i, j] * trips / s.period_days
        if not ok or any(
            u > si.capacity_kg_per_day + 1e-9 for u, si in zip(use, sites, strict=False)
        ):
            continue
        fleet = [math.ceil(hh / (s.period_days * s.hours_per_day) - 1e-9) for hh in hours]
        parked = [s.parked_per_station * choice.count(i) for i in range(len(sites))]
        if any(
            si.trailers_available is not None and f + p > si.trailers_available
            for f, p, si in zip(fleet, parked, sites, strict=False)
        ):
            continue
        cost = km_day * s.cost_per_km + s.cost_per_trailer_day * sum(fleet)
        best = min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_milp_equals_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_i, n_j = 2 + seed % 2, 4
    sites = [
        SupplySite(
            f"S{i}",
            f"site {i}",
            float(rng.uniform(900, 2500)),
            300.0,
            int(rng.integers(2, 6)) if seed % 3 == 0 else None,
        )
        for i in range(n_i)
    ]
    stations = [SupplyStation(f"H{j}", f"st {j}", float(rng.uniform(150, 900))) for j in range(n_j)]
    km = rng.uniform(20, 400, size=(n_i, n_j))
    s = SupplySettings(period_days=int(rng.integers(1, 8)), parked_per_station=seed % 2)
    plan = solve_supply(sites, stations, km, s)
    best = enumerate_best(sites, stations, km, s)
    if math.isinf(best):
        assert plan.unserved
        return
    assert not plan.unserved
    assert plan.cost_per_day == pytest.approx(best, rel=1e-6, abs=1e-6)
    delivered = {a.station_id: 0.0 for a in plan.assignments}
    for a in plan.assignments:
        delivered[a.station_id] += a.kg_per_day
        assert a.trips_per_period * 300.0 >= s.period_days * a.kg_per_day - 1e-6
    for st in stations:
        assert delivered[st.id] == pytest.approx(st.demand_kg_per_day)


def test_hand_checked_plan() -> None:
    """One site, one station 100 km away, 600 kg/day, 300 kg trailers, 1-day period."""
    s = SupplySettings(
        period_days=1,
        trailer_speed_kmh=50,
        load_h=1.5,
        unload_h=0.5,
        hours_per_day=20,
        cost_per_km=5,
        cost_per_trailer_day=800,
    )
    plan = solve_supply(
        [SupplySite("P", "plant", 5000, 300)],
        [SupplyStation("A", "a", 600)],
        np.array([[100.0]]),
        s,
    )
    (a,) = plan.assignments
    assert a.trips_per_day == 2  # 600 / 300
    assert a.trailer_h_per_trip == pytest.approx(6.0)  # 4 h driving + 1.5 + 0.5
    assert plan.fleet == {"P": 1}  # 12 h ≤ 20 h
    assert plan.trailer_km_per_day == pytest.approx(400.0)
    assert plan.cost_per_day == pytest.approx(400 * 5 + 800)
    assert plan.trailer_km_per_kg == pytest.approx(400 / 600)


def test_unserved_stations_are_explained() -> None:
    sites = [SupplySite("P", "plant", 1000, 300, trailers_available=1)]
    stations = [
        SupplyStation("far", "far", 100),
        SupplyStation("cut", "cut off", 100),
        SupplyStation("big", "big", 5000),
        SupplyStation("ok", "ok", 900),
        SupplyStation("late", "late", 500),
    ]
    km = np.array([[900.0, np.inf, 50.0, 50.0, 50.0]])
    plan = solve_supply(sites, stations, km, SupplySettings(period_days=1))
    reasons = {u.station_id: u.reason for u in plan.unserved}
    assert "beyond the 600 km trailer limit" in reasons["far"]
    assert "no production site is connected" in reasons["cut"]
    assert "exceeds the capacity of every site" in reasons["big"]
    assert "taken by other stations" in reasons["late"]
    assert "ok" not in reasons


def test_split_supply_serves_a_station_larger_than_one_site() -> None:
    sites = [SupplySite("P", "p", 600, 300), SupplySite("Q", "q", 600, 300)]
    stations = [SupplyStation("big", "big", 900)]
    plan = solve_supply(
        sites,
        stations,
        np.array([[100.0], [150.0]]),
        SupplySettings(single_source=False, period_days=1),
    )
    assert not plan.unserved
    assert plan.delivered_kg_per_day == pytest.approx(900)
