"""Use case: where to build hydrogen stations so that truck flows can make their round trips."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from h2lane import params
from h2lane.app.context import DEFAULT_SCENARIO, Context
from h2lane.app.requests import Request
from h2lane.errors import InputError, OptionError
from h2lane.siting.inputs import (
    Zone,
    deviation_routes,
    every_node,
    gravity_flows,
    node_resolver,
    paths_to,
    read_candidates,
    read_flows,
    read_sizes,
    read_zones,
)
from h2lane.siting.network import SitingNetwork
from h2lane.siting.problem import Candidate, Flow, SitingProblem, SizeClass
from h2lane.siting.solve import SitingOutcome, locate

EXAMPLES = ("shanxi-ports",)


class SiteOptions(Request):
    """What ``h2lane site`` (and the service) asks for; keys are the CLI's long options."""

    network: str = "north-china"
    flows: str | None = Field(default=None, description="flows CSV, or 'orders' (the scenario's)")
    zones: str | None = Field(default=None, description="gravity-model zones CSV")
    beta: float = Field(default=params.SITING_GRAVITY_BETA.value, ge=0, le=5)
    total_flow: float | None = Field(
        default=None, gt=0, description="scale gravity flows to this total"
    )
    example: Literal["shanxi-ports"] | None = None
    range_km: float | None = Field(default=None, gt=0, le=10000)
    stations: int | None = Field(default=None, ge=0)
    target_share: float | None = Field(default=None, gt=0, le=1)
    candidates: str | None = None
    existing: list[str] = Field(default_factory=list)
    capacity: str | None = None
    kg_per_refuel: float = Field(default=params.FCET_USABLE_H2.value, gt=0, le=2000)
    max_deviation_km: float = Field(default=0.0, ge=0, le=2000)
    deviation_penalty: float = Field(default=0.5, ge=0, le=1)
    deviation_paths: int = Field(default=4, ge=1, le=50)
    time_limit: float = Field(default=60.0, gt=0, le=86400)
    gap: float = Field(default=1e-4, ge=0, le=1)
    method: Literal["auto", "milp", "greedy"] = "auto"
    scenario: str = DEFAULT_SCENARIO


@dataclass(slots=True)
class SiteResult:
    outcome: SitingOutcome
    network: SitingNetwork
    options: SiteOptions
    range_km: float
    beta: float | None

    def to_dict(self) -> dict[str, Any]:
        o = self.outcome
        prob = o.problem
        flows = o.flow_rows()
        served_at: dict[str, float] = {}
        for f in flows:
            for sid in f["stations"]:
                served_at[sid] = served_at.get(sid, 0.0) + f["served_flow"]
        sites = []
        for k in np.flatnonzero(o.open_mask).tolist():
            c = prob.candidates[k]
            site: dict[str, Any] = {
                "id": c.id,
                "name": c.name or None,
                "node": self.network.ids[c.node],
                "existing": c.existing,
                "flow_through": round(served_at.get(c.id, 0.0), 6),
            }
            if self.network.geographic:
                site["lat"], site["lon"] = self.network.point(c.node)
            else:
                site["x"], site["y"] = float(self.network.x[c.node]), float(self.network.y[c.node])
            if o.sizes is not None and k in o.size_of:
                size = o.sizes[o.size_of[k]]
                site |= {
                    "size": size.name,
                    "capacity_kg_per_day": size.kg_per_day,
                    "kg_per_day": round(o.supply.get(k, 0.0), 3),
                    "cost": size.cost,
                }
            sites.append(site)
        total = o.total_flow
        idle = [s["id"] for s in sites if not s["existing"] and s["flow_through"] <= 0]
        notices = list(o.notices)
        if idle:
            notices.append(
                f"{len(idle)} of the {len(o.new_stations)} new stations serve no flow "
                f"({', '.join(idle[:5])}{', …' if len(idle) > 5 else ''}): the served flows need "
                "no more, so they only fill up --stations"
            )
        return {
            "network": self.network.name,
            "range_km": self.range_km,
            "model": _model_name(self.options),
            "method": o.method,
            "status": o.status,
            "stations": [prob.candidates[k].id for k in o.new_stations],
            "existing": [c.id for c in prob.candidates if c.existing],
            "covered_flow": round(o.covered_flow, 6),
            "total_flow": round(total, 6),
            "covered_share": round(o.covered_flow / total, 6) if total > 0 else None,
            "mip_gap": o.mip_gap,
            "greedy_covered_flow": None if o.greedy_flow is None else round(o.greedy_flow, 6),
            "greedy_stations": o.greedy_stations,
            "seconds": round(o.seconds, 3),
            "candidates": prob.n_candidates,
            "gravity_beta": self.beta,
            "sites": sites,
            "flows": flows,
            "notices": notices,
            "rule": (
                "round trip O→D→O along the path, full refuel at every open station passed, "
                "start at O with half the range (full if O has a station) and, without a station "
                "at O, return with at least half"
            ),
        }


def _model_name(o: SiteOptions) -> str:
    parts = ["min-stations" if o.target_share is not None else "max-flow"]
    if o.capacity:
        parts.append("capacitated")
    if o.max_deviation_km > 0:
        parts.append("deviation")
    return "+".join(parts)


def example_zones(network: SitingNetwork) -> list[tuple[Zone, str]]:
    """The bundled Shanxi coal → ports zones (weights in Mt/yr, roles origin/destination)."""
    path = Path(str(resources.files("h2lane.siting") / "data" / "shanxi-ports-zones.csv"))
    return read_zones(path, network)


def zone_flows(
    network: SitingNetwork, zones: list[tuple[Zone, str]], beta: float, total: float | None
) -> list[Flow]:
    """Gravity flows from each origin-role zone to each destination-role zone (both: all pairs)."""
    zs = [z for z, _ in zones]
    roles = [r for _, r in zones]
    pairs = [
        (i, j)
        for i in range(len(zs))
        for j in range(len(zs))
        if i != j
        and zs[i].node != zs[j].node
        and roles[i] in {"origin", "both"}
        and roles[j] in {"destination", "both"}
        and not (roles[i] == roles[j] == "both" and j < i)
    ]
    if not pairs:
        raise InputError("the zones give no origin → destination pair")
    flows = gravity_flows(network, zs, beta, pairs=pairs)
    if total is not None:
        s = sum(f.volume for f in flows)
        if s > 0:
            flows = [
                Flow(
                    f.origin,
                    f.destination,
                    f.volume * total / s,
                    f.path,
                    f.origin_node,
                    f.destination_node,
                )
                for f in flows
            ]
    return flows


def order_flows(ctx: Context, network: SitingNetwork) -> list[Flow]:
    """The scenario's orders grouped by origin and destination (flow = number of orders)."""
    places = {p.name: (p.lat, p.lon) for p in ctx.scenario.places}
    resolve = node_resolver(network, places)
    counts: dict[tuple[str, str], int] = {}
    for order in ctx.scenario.orders:
        key = (str(order.origin), str(order.destination))
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        raise InputError(f"scenario '{ctx.scenario.name}' has no orders to make flows from")
    ends = []
    for o, d in counts:
        a, b = resolve(o), resolve(d)
        if a is None or b is None:
            raise InputError(
                f"order end '{o if a is None else d}' is not on network '{network.name}'"
            )
        ends.append((a, b))
    paths = paths_to(network, ends)
    return [
        Flow(o, d, float(n), p, a, b)
        for ((o, d), n), (a, b), p in zip(counts.items(), ends, paths, strict=True)
    ]


def site_stations(o: SiteOptions, ctx: Context | None = None) -> SiteResult:
    """Choose stations for the flows; every flow is reported served or with its reason."""
    ctx = ctx or Context(scenario_spec=o.scenario)
    if o.example is not None:
        o = o.model_copy(
            update={
                "network": "north-china",
                "range_km": o.range_km or params.FCET_RANGE.value,
                "existing": o.existing or ["scenario"],
                "total_flow": o.total_flow or params.SITING_EXAMPLE_TRUCKS_PER_DAY.value,
            }
        )
    if o.range_km is None:
        raise OptionError("--range-km is required (the trucks' range on a full tank, km)")
    if o.stations is None and o.target_share is None:
        raise OptionError("give --stations P (new stations to place) or --target-share S")
    if o.stations is not None and o.target_share is not None:
        raise OptionError("give either --stations or --target-share, not both")
    sources = [o.flows is not None, o.zones is not None, o.example is not None]
    if sum(sources) != 1:
        raise OptionError(
            "give exactly one of --flows FILE.csv (or 'orders'), --zones FILE.csv or --example"
        )
    ctx.report("loading network", 0.0, None)
    network = SitingNetwork.load(o.network)
    ctx.report("loading network", 1.0, 1.0)
    ctx.report("shortest paths", 0.0, None)
    beta: float | None = None
    if o.example is not None:
        flows = zone_flows(network, example_zones(network), o.beta, o.total_flow)
        beta = o.beta
    elif o.zones is not None:
        flows = zone_flows(network, read_zones(Path(o.zones), network), o.beta, o.total_flow)
        beta = o.beta
    elif o.flows == "orders":
        flows = order_flows(ctx, network)
    else:
        assert o.flows is not None
        places = {p.name: (p.lat, p.lon) for p in ctx.scenario.places} if network.geographic else {}
        flows = read_flows(Path(o.flows), network, node_resolver(network, places))
    ctx.report("shortest paths", 1.0, 1.0)
    candidates = (
        read_candidates(Path(o.candidates), network, node_resolver(network))
        if o.candidates is not None
        else every_node(network)
    )
    candidates = _mark_existing(candidates, o.existing, ctx, network)
    sizes: list[SizeClass] | None = read_sizes(Path(o.capacity)) if o.capacity else None
    routes = None
    if o.max_deviation_km > 0:
        ctx.report("deviation paths", 0.0, None)
        routes = deviation_routes(
            network,
            flows,
            candidates,
            o.max_deviation_km,
            penalty=o.deviation_penalty,
            max_paths=o.deviation_paths,
        )
        ctx.report("deviation paths", 1.0, 1.0)
    ctx.report("cover rows", 0.0, None)
    prob = SitingProblem.build(network, flows, candidates, o.range_km, routes)
    ctx.report("cover rows", 1.0, 1.0)
    kg = np.array([f.volume * o.kg_per_refuel for f in flows]) if sizes else None
    outcome = locate(
        prob,
        p=o.stations,
        target_share=o.target_share,
        sizes=sizes,
        kg_per_flow=kg,
        method=o.method,
        time_limit=o.time_limit,
        gap=o.gap,
        progress=ctx.progress,
    )
    return SiteResult(outcome, network, o, o.range_km, beta)


def _mark_existing(
    candidates: list[Candidate], existing: list[str], ctx: Context, network: SitingNetwork
) -> list[Candidate]:
    """Existing stations: candidate ids, scenario station ids, or ``scenario`` (all of them)."""
    if not existing:
        return candidates
    by_id = {c.id: i for i, c in enumerate(candidates)}
    out = list(candidates)
    wanted = list(existing)
    if "scenario" in wanted:
        wanted = [w for w in wanted if w != "scenario"] + [s.id for s in ctx.scenario.stations]
    stations = {s.id: s for s in ctx.scenario.stations}
    for sid in dict.fromkeys(wanted):
        if sid in by_id:
            c = out[by_id[sid]]
            out[by_id[sid]] = Candidate(c.id, c.node, c.cost, True, c.name)
        elif sid in stations and network.geographic:
            s = stations[sid]
            node = node_resolver(network)(f"{s.lat},{s.lon}")
            assert node is not None
            out.append(Candidate(s.id, node, 0.0, True, s.name))
            by_id[sid] = len(out) - 1
        else:
            raise OptionError(
                f"--existing {sid} is neither a candidate id nor a station of scenario '{ctx.scenario.name}'"
            )
    return out
