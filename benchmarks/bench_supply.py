"""Benchmark (issue 13): the supply MILP for 100 stations × 5 sites (target ≤ 10 s) and the
network simulation of 100 stations × 365 days, ≈4,000 fills a day, trailers included
(target ≤ 60 s on one core; events per second reported).

Stations and sites are road-graph nodes of the bundled North China graph drawn with a fixed
seed (sites among the nodes, stations within reach of them); demand is 40 Poisson arrivals a
day per station of 40 kg each over 24 h; the supply plan (HiGHS) sizes the trailer fleet the
simulation then runs (swap model). Everything runs in this one process, single-threaded.

Run: ``python benchmarks/bench_supply.py [--stations N] [--days D] [--write]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, today, write_section

from h2lane.roads.graph import RoadGraph
from h2lane.supply.arrivals import poisson_arrivals, station_generators
from h2lane.supply.milp import SupplySettings, SupplySite, SupplyStation, solve_supply
from h2lane.supply.results import balance_kg, network_stats, station_stats
from h2lane.supply.sim import Network, SimSettings, SiteSpec, StationSpec

MILP_TARGET_S = 10.0
SIM_TARGET_S = 60.0


def draw_network(graph: RoadGraph, n_stations: int, n_sites: int, seed: int):
    """Site and station nodes and the site → station road km (stations within 400 km)."""
    rng = np.random.default_rng(seed)
    sites = rng.choice(graph.n_nodes, n_sites, replace=False)
    pool = rng.choice(graph.n_nodes, n_stations * 6, replace=False)
    km_pool = np.asarray(graph.matrix_km(sites, pool), dtype=np.float64)
    ok = np.flatnonzero(np.min(km_pool, axis=0) <= 400.0)[:n_stations]
    if ok.size < n_stations:
        raise SystemExit("not enough stations within reach; try another seed")
    return sites, pool[ok], km_pool[:, ok]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--sites", type=int, default=5)
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--fills-per-day", type=float, default=40.0, help="per station")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()

    graph = RoadGraph.bundled("north-china")
    graph.engine  # noqa: B018 - build the hierarchy outside the timings
    _, _, km = draw_network(graph, a.stations, a.sites, a.seed)
    fill_kg = 40.0
    demand_day = a.fills_per_day * fill_kg
    total = demand_day * a.stations
    sites = [
        SupplySite(f"P{i}", f"site {i}", total / a.sites * 1.15, 300.0, None)
        for i in range(a.sites)
    ]
    stations = [SupplyStation(f"H{j:03d}", f"station {j}", demand_day) for j in range(a.stations)]
    settings = SupplySettings(period_days=7, parked_per_station=1, time_limit_s=60.0)
    t = time.perf_counter()
    plan = solve_supply(sites, stations, km, settings)
    milp_s = time.perf_counter() - t
    print(
        f"supply MILP {a.stations} × {a.sites}: {milp_s:.2f} s, {plan.status}, gap "
        f"{plan.mip_gap:.2e}, {sum(plan.fleet.values())} trailers in circulation, "
        f"{plan.trailer_km_per_day:,.0f} km/day, unserved {len(plan.unserved)}"
    )

    specs = []
    for j, st in enumerate(stations):
        site = plan.site_of(st.id)
        i = int(site[1:]) if site else 0
        specs.append(
            StationSpec(
                st.id,
                st.name,
                dispensers=3,
                nozzle_g_s=60.0,
                connect_min=5.0,
                storage_kg=1000.0,
                min_level_kg=100.0,
                compressor_kg_h=demand_day / 20.0,
                site=site,
                one_way_km=float(km[i, j]),
            )
        )
    hours = a.days * 24.0
    gens = station_generators(a.seed, a.stations)
    t = time.perf_counter()
    arrivals = {
        s.id: poisson_arrivals(g, [a.fills_per_day / 24.0], hours, fill_kg, "fixed")
        for s, g in zip(specs, gens, strict=False)
    }
    gen_s = time.perf_counter() - t
    net = Network(
        specs,
        arrivals,
        [
            SiteSpec(s.id, s.capacity_kg_per_day / 24.0, plan.fleet[s.id], s.payload_kg)
            for s in sites
        ],
        SimSettings(horizon_h=hours, record_hourly=True),
    )
    t = time.perf_counter()
    net.run()
    sim_s = time.perf_counter() - t
    stats = [station_stats(st, net) for st in net.stations]
    n = network_stats(net, stats)
    bal = balance_kg(net)
    events = net.events
    print(
        f"simulation {a.stations} stations × {a.days:g} days: {n['fills']:,} fills "
        f"({n['fills'] / a.days:,.0f}/day), {n['refused']:,} refused, {n['trailer_trips']:,} "
        f"trailer deliveries, {n['trailer_km']:,.0f} km; {events:,} events in {sim_s:.1f} s "
        f"({events / sim_s:,.0f} events/s); arrivals drawn in {gen_s:.2f} s; balance residual "
        f"{bal['residual_g']} g; wait p95 {n['wait_p95_min']:.1f} min"
    )
    if a.write:
        load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        ok_m = "met" if milp_s <= MILP_TARGET_S else "missed"
        ok_s = "met" if sim_s <= SIM_TARGET_S else "missed"
        md = f"""## Supply plan and station network simulation (issue 13)

`python benchmarks/bench_supply.py` — {today()}, {machine()}; load: `{load}`.
One process, one core (HiGHS `threads=1`; SimPy is single-threaded).

| what | size | time | target | |
|---|---|---|---|---|
| supply MILP (HiGHS), single sourcing, swap model | {a.stations} stations × {a.sites} sites, {3 * a.stations * a.sites + a.sites + a.stations} columns | {milp_s:.2f} s ({plan.status}, gap {plan.mip_gap:.1e}) | ≤ {MILP_TARGET_S:g} s | {ok_m} |
| network simulation (SimPy), trailers included | {a.stations} stations × {a.days:g} days, {n["fills"]:,} fills ({n["fills"] / a.days:,.0f}/day), {n["trailer_trips"]:,} trailer deliveries | {sim_s:.1f} s, {events:,} events = **{events / sim_s:,.0f} events/s** | ≤ {SIM_TARGET_S:g} s | {ok_s} |

The run: {n["refused"]:,} fills refused ({n["refused_share"]:.2%}), wait p95 {n["wait_p95_min"]:.1f} min,
{n["trailers"]} trailers ({n["trailer_utilisation"]:.0%} away from their site), {n["trailer_km"]:,.0f}
trailer km ({n["trailer_km_per_kg"]:.3f} km/kg); hydrogen balance residual {bal["residual_g"]} g
(exact). Arrival generation ({gen_s:.2f} s) and statistics are outside the simulation time.
"""
        write_section("supply", md)
        print("written benchmarks/results/supply.md")


if __name__ == "__main__":
    main()
