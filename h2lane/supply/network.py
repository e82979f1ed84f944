"""From a scenario to the supply plan's and the simulation's inputs (sites, stations, km)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from h2lane import params
from h2lane.roads.graph import RoadGraph
from h2lane.scenario.model import ProductionSite, Scenario, Station
from h2lane.supply.milp import SupplyPlan, SupplySite, SupplyStation
from h2lane.supply.sim import SiteSpec, StationSpec


@dataclass(slots=True)
class SupplyGeometry:
    """Road distances (km) from every production site to every station."""

    km: NDArray[np.float64]
    site_snap_km: NDArray[np.float64]
    station_snap_km: NDArray[np.float64]


def road_km(
    graph: RoadGraph, sites: list[ProductionSite], stations: list[Station]
) -> SupplyGeometry:
    """Shortest road km site → station, with the straight-line access to the road at both ends."""
    s_nodes, s_snap = graph.snap_many(
        np.array([s.lat for s in sites]), np.array([s.lon for s in sites])
    )
    t_nodes, t_snap = graph.snap_many(
        np.array([s.lat for s in stations]), np.array([s.lon for s in stations])
    )
    km = np.asarray(graph.matrix_km(s_nodes, t_nodes), dtype=np.float64)
    km = km + s_snap[:, None] + t_snap[None, :]
    return SupplyGeometry(km, np.asarray(s_snap), np.asarray(t_snap))


def supply_sites(scenario: Scenario) -> list[SupplySite]:
    """Production sites with their capacity per day, trailer payload and trailers.

    A site's trailers are the scenario's trailers whose ``home_site`` it is; a scenario that
    lists no trailers at all leaves the fleet free (as many as the plan needs).
    """
    any_trailers = bool(scenario.trailers)
    out = []
    for site in scenario.production_sites:
        own = [t for t in scenario.trailers if t.home_site == site.id]
        payload = own[0].payload_kg if own else params.TUBE_TRAILER_PAYLOAD_20MPA.value
        count = sum(t.count for t in own) if any_trailers else None
        out.append(
            SupplySite(site.id, site.name, site.capacity_t_per_yr * 1000.0 / 365.0, payload, count)
        )
    return out


def supply_stations(
    stations: list[Station], demand_kg_per_day: dict[str, float], keep_assignments: bool
) -> list[SupplyStation]:
    return [
        SupplyStation(
            st.id,
            st.name,
            float(demand_kg_per_day.get(st.id, 0.0)),
            (st.supplied_by or None) if keep_assignments else None,
        )
        for st in stations
    ]


def compressor_kg_h(station: Station) -> float:
    """Default compressor throughput: the daily capacity in the compressor's daily run hours."""
    return station.capacity_kg_per_day / params.COMPRESSOR_RUN_H_PER_DAY.value


def station_specs(
    stations: list[Station],
    plan: SupplyPlan | None,
    km: NDArray[np.float64] | None,
    site_ids: list[str],
    outages: dict[str, list[tuple[float, float]]] | None = None,
    overrides: dict[str, dict[str, float]] | None = None,
) -> list[StationSpec]:
    """Simulation stations from scenario stations, supplied as the supply plan says."""
    specs = []
    for j, st in enumerate(stations):
        open_h, close_h = st.open_window_h()
        site = plan.site_of(st.id) if plan is not None else None
        one_way = float(km[site_ids.index(site), j]) if site is not None and km is not None else 0.0
        o = (overrides or {}).get(st.id, {})
        storage = float(o.get("storage_kg", st.storage_kg))
        specs.append(
            StationSpec(
                id=st.id,
                name=st.name,
                dispensers=int(o.get("dispensers", st.dispensers)),
                nozzle_g_s=st.nozzle_flow_g_s,
                connect_min=st.connect_min,
                storage_kg=storage,
                min_level_kg=storage * params.STORAGE_MIN_LEVEL_FRACTION.value,
                compressor_kg_h=float(o.get("compressor_kg_h", compressor_kg_h(st))),
                open_h=open_h,
                close_h=close_h,
                outages=list((outages or {}).get(st.id, [])),
                site=site if site is not None else "",
                one_way_km=one_way,
            )
        )
    return specs


def site_specs(
    scenario: Scenario, plan: SupplyPlan, extra_trailers: dict[str, int] | None = None
) -> list[SiteSpec]:
    """Simulation sites: capacity per hour and the trailers the supply plan puts in circulation."""
    out = []
    for s in supply_sites(scenario):
        out.append(
            SiteSpec(
                s.id,
                s.capacity_kg_per_day / 24.0,
                plan.fleet.get(s.id, 0) + (extra_trailers or {}).get(s.id, 0),
                s.payload_kg,
            )
        )
    return out
