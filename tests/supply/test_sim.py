"""The network simulation: hand-checked cases and the hydrogen balance in every run."""

from __future__ import annotations

import numpy as np
import pytest

from h2lane.supply.arrivals import poisson_arrivals, station_generators
from h2lane.supply.sim import Arrivals, Network, SimSettings, SiteSpec, StationSpec

TEN_MIN_FLOW = 40_000 / 600  # g/s: a 40 kg fill takes exactly 10 min


def run(specs, arrivals, sites=(), **settings) -> Network:
    net = Network(list(specs), arrivals, list(sites), SimSettings(**settings))
    net.run()
    assert net.balance()["residual_g"] == 0
    return net


def minutes(*m: float) -> np.ndarray:
    return np.array(m, dtype=np.float64) * 60.0


@pytest.mark.parametrize(("dispensers", "waits"), [(1, [0, 8, 16]), (2, [0, 0, 6])])
def test_hand_checked_waits(dispensers: int, waits: list[float]) -> None:
    """Trucks at 0, 2, 4 min, 40 kg each, 10 min fills: FCFS waits by hand."""
    spec = StationSpec(
        "A", dispensers=dispensers, nozzle_g_s=TEN_MIN_FLOW, connect_min=0, storage_kg=None
    )
    net = run([spec], {"A": Arrivals(minutes(0, 2, 4), np.full(3, 40.0))}, horizon_h=2)
    st = net.stations[0]
    assert np.asarray(st.waits) / 60 == pytest.approx(waits)
    busy = 30.0 / (dispensers * 120.0)  # 3 × 10 min over 2 h per dispenser
    assert st.busy_s / (dispensers * 7200.0) == pytest.approx(busy)


def test_connect_time_and_refused_fill() -> None:
    """100 kg storage, 10 kg minimum, no compressor: two 40 kg fills, the third is refused."""
    spec = StationSpec(
        "A",
        dispensers=1,
        nozzle_g_s=TEN_MIN_FLOW,
        connect_min=5,
        storage_kg=100,
        min_level_kg=10,
        compressor_kg_h=0,
        site=None,
    )
    net = run([spec], {"A": Arrivals(minutes(0, 1, 2), np.full(3, 40.0))}, horizon_h=2)
    st = net.stations[0]
    assert st.fills == 2 and st.refused == 1
    assert np.asarray(st.waits) / 60 == pytest.approx([0, 14])  # 15 min per fill
    assert st.level_g == 20_000  # 100 − 80 kg
    # out of stock (20 − 10 < 40 kg fill threshold) from the second fill's start at 15 min
    assert st.stockout_s / 60 == pytest.approx(120 - 15)


def test_opening_hours_make_trucks_wait_but_not_queue() -> None:
    """Open 08:00–20:00; a truck at 07:00 waits 60 min, of which 0 min in a queue."""
    spec = StationSpec(
        "A",
        dispensers=1,
        nozzle_g_s=TEN_MIN_FLOW,
        connect_min=0,
        storage_kg=None,
        open_h=8,
        close_h=20,
    )
    net = run(
        [spec],
        {"A": Arrivals(minutes(7 * 60, 7 * 60 + 30, 19 * 60 + 55), np.full(3, 40.0))},
        horizon_h=36,
    )
    st = net.stations[0]
    # 07:00 → starts 08:00 (60); 07:30 → starts 08:10 (40, of which 10 queueing);
    # 19:55 cannot end before 20:00 → starts 08:00 next day (725, 0 queueing)
    assert np.asarray(st.waits) / 60 == pytest.approx([60, 40, 12 * 60 + 5])
    assert np.asarray(st.queue_waits) / 60 == pytest.approx([0, 10, 0])


def test_outage_delays_fills() -> None:
    spec = StationSpec(
        "A",
        dispensers=1,
        nozzle_g_s=TEN_MIN_FLOW,
        connect_min=0,
        storage_kg=None,
        outages=[(0.0, 3600.0)],
    )
    net = run([spec], {"A": Arrivals(minutes(10), np.array([40.0]))}, horizon_h=3)
    assert net.stations[0].waits == pytest.approx([50 * 60])


def test_trailer_delivery_by_hand() -> None:
    """Swap model: 300 kg trailer, 25 km at 50 km/h (30 min), 1 h loading, 30 min swap."""
    spec = StationSpec(
        "A",
        dispensers=2,
        nozzle_g_s=TEN_MIN_FLOW,
        connect_min=0,
        storage_kg=100,
        min_level_kg=0,
        compressor_kg_h=600,
        site="P",
        one_way_km=25,
        demand_kg_h=40,
    )
    times = minutes(*range(0, 600, 30))  # 20 trucks, 40 kg each = 800 kg in 10 h
    net = run(
        [spec],
        {"A": Arrivals(times, np.full(20, 40.0))},
        [SiteSpec("P", capacity_kg_h=1000, trailers=2, payload_kg=300)],
        horizon_h=24,
        load_h=1.0,
        swap_h=0.5,
        trailer_speed_kmh=50,
        safety_h=2,
    )
    st = net.stations[0]
    assert st.refused == 0 and st.fills == 20
    # Reorder point 40 kg/h × (1 + 0.5 + 0.5 + 2 h) = 160 kg; stock 100 + 300 = 400 kg falls
    # below it at the 7th fill (03:00): P-2 loads (1 h), drives (0.5 h), swaps at 04:30 and
    # takes the bay trailer back; that one is topped up (300 kg produced) and delivers again.
    assert st.deliveries == 2
    trailers = {t.id: t for t in net.sites["P"].trailers}
    assert trailers["P-1"].trips == 0 and trailers["P-1"].content_g == 300_000
    assert trailers["P-2"].km == 50 and trailers["A-bay"].km == 50  # four 25 km legs
    assert net.trailer_km == 100
    b = net.balance()
    assert b["dispensed_g"] == 800_000 and b["produced_g"] == 300_000
    assert b["trailer_change_g"] == -500_000 and b["storage_change_g"] == 0


@pytest.mark.parametrize("mode", ["swap", "unload"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_balance_is_exact_with_trailers(mode: str, seed: int) -> None:
    """Random network, trailers and stockouts: produced = dispensed + Δ storage + Δ trailers."""
    rng = np.random.default_rng(seed)
    specs = [
        StationSpec(
            f"S{k}",
            dispensers=int(rng.integers(1, 4)),
            storage_kg=float(rng.uniform(200, 800)),
            min_level_kg=20,
            compressor_kg_h=float(rng.uniform(20, 90)),
            site=f"P{k % 2}",
            one_way_km=float(rng.uniform(10, 200)),
            open_h=6 if k == 0 else 0,
            close_h=22 if k == 0 else 24,
            outages=[(3600.0 * 30, 3600.0 * 34)],
        )
        for k in range(4)
    ]
    gens = station_generators(seed, len(specs))
    arrivals = {
        s.id: poisson_arrivals(g, [1.5], 24 * 10, 35.0, "exponential")
        for s, g in zip(specs, gens, strict=False)
    }
    sites = [SiteSpec("P0", 60.0, 3), SiteSpec("P1", 25.0, 2, payload_kg=350)]
    net = run(specs, arrivals, sites, horizon_h=24 * 10, warmup_h=24, trailer_mode=mode)
    b = net.balance()
    assert b["produced_g"] > 0 and b["dispensed_g"] > 0
    assert sum(st.deliveries for st in net.stations) > 0
    assert b["trailer_change_g"] != 0 or b["storage_change_g"] != 0
