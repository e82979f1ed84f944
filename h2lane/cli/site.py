"""``h2lane site``: where to build hydrogen stations so that truck flows can make their round trips."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from h2lane import params
from h2lane.app.context import Context
from h2lane.app.outputs import check_output_file
from h2lane.app.siting import SiteOptions, SiteResult, site_stations
from h2lane.cli.common import DEFAULT_SCENARIO, JsonOpt, ScenarioOpt, emit, guarded, progress_bar
from h2lane.output import console
from h2lane.render.siting_map import siting_map


def site(
    network: Annotated[
        str,
        typer.Option(
            "--network",
            help="'north-china' (bundled OSM graph) or a directory with nodes.csv and edges.csv.",
        ),
    ] = "north-china",
    flows: Annotated[
        str | None,
        typer.Option(
            "--flows",
            help="CSV origin,destination,flow[,path], or 'orders' (the scenario's orders).",
        ),
    ] = None,
    zones: Annotated[
        Path | None,
        typer.Option(
            "--zones",
            help="Gravity model: CSV name,node|lat,lon,weight[,role origin|destination|both].",
        ),
    ] = None,
    beta: Annotated[
        float, typer.Option("--beta", help="Gravity exponent β in W_i·W_j / d^β.")
    ] = params.SITING_GRAVITY_BETA.value,
    total_flow: Annotated[
        float | None,
        typer.Option("--total-flow", help="Scale gravity flows to this total (e.g. trucks/day)."),
    ] = None,
    example: Annotated[
        str | None,
        typer.Option(
            "--example",
            help="Bundled example: 'shanxi-ports' (Shanxi coal → Tianjin, Huanghua, Caofeidian, Qingdao).",
        ),
    ] = None,
    range_km: Annotated[
        float | None,
        typer.Option("--range-km", help="Truck range on a full tank, km (example: 650, Pengfei)."),
    ] = None,
    stations: Annotated[
        int | None,
        typer.Option("--stations", help="Number of new stations to place (maximise served flow)."),
    ] = None,
    target_share: Annotated[
        float | None,
        typer.Option(
            "--target-share",
            help="Instead of --stations: fewest (cheapest) stations serving this share of the flow (0–1].",
        ),
    ] = None,
    candidates: Annotated[
        Path | None,
        typer.Option(
            "--candidates",
            help="CSV id,node or id,lat,lon [,name,cost,existing]. Default: every node.",
        ),
    ] = None,
    existing: Annotated[
        list[str] | None,
        typer.Option(
            "--existing",
            help="Open station (repeatable): a candidate id, a scenario station id, or 'scenario' for all of them.",
        ),
    ] = None,
    capacity: Annotated[
        Path | None,
        typer.Option(
            "--capacity",
            help="Capacitated model: CSV size,kg_per_day,cost of the station size classes.",
        ),
    ] = None,
    kg_per_refuel: Annotated[
        float,
        typer.Option(
            "--kg-per-refuel", help="Capacitated: hydrogen per truck of a flow per day, kg."
        ),
    ] = params.FCET_USABLE_H2.value,
    max_deviation_km: Annotated[
        float,
        typer.Option(
            "--max-deviation-km",
            help="Deviation model: trucks may detour up to this many km to a station.",
        ),
    ] = 0.0,
    deviation_penalty: Annotated[
        float,
        typer.Option(
            "--deviation-penalty",
            help="Share of a flow lost at the largest detour (linear in between).",
        ),
    ] = 0.5,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds for the whole solve.")
    ] = 60.0,
    gap: Annotated[
        float, typer.Option("--gap", help="Relative MIP gap at which HiGHS stops.")
    ] = 1e-4,
    method: Annotated[
        str,
        typer.Option("--method", help="auto (MILP, heuristic for huge models), milp or greedy."),
    ] = "auto",
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Write an offline HTML map of sites and flows.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Choose hydrogen station sites so that the most truck flow can make its round trip.

    A flow is served when a truck of --range-km can drive O → D → O along its path, filling up at
    every open station it passes, starting with half a tank at O (full if O has a station) and
    coming back with at least half. Unserved flows are listed with the stretch that is too long.
    """

    def run() -> tuple[SiteResult, dict[str, Any]]:
        map_path = check_output_file(map_file, "--map")
        options = SiteOptions.build(
            network=network,
            flows=flows,
            zones=str(zones) if zones else None,
            beta=beta,
            total_flow=total_flow,
            example=example,
            range_km=range_km,
            stations=stations,
            target_share=target_share,
            candidates=str(candidates) if candidates else None,
            existing=existing or [],
            capacity=str(capacity) if capacity else None,
            kg_per_refuel=kg_per_refuel,
            max_deviation_km=max_deviation_km,
            deviation_penalty=deviation_penalty,
            time_limit=time_limit,
            gap=gap,
            method=method,
            scenario=scenario,
        )
        with progress_bar(not as_json) as progress:
            result = site_stations(
                options, Context(scenario_spec=options.scenario, progress=progress)
            )
        doc = result.to_dict()
        if map_path is not None:
            siting_map(map_path, result.outcome, result.network, _summary(doc))
            doc["map"] = str(map_path)
        return result, doc

    _, doc = guarded(run, as_json)
    if as_json:
        emit(doc)
    else:
        _print(doc)


def _summary(doc: dict[str, Any]) -> dict[str, str]:
    gap = doc["mip_gap"]
    return {
        "model": f"{doc['model']} ({doc['method']}, {doc['status']})",
        "range": f"{doc['range_km']:g} km",
        "new stations": ", ".join(doc["stations"]) or "none",
        "existing": ", ".join(doc["existing"]) or "none",
        "served flow": f"{doc['covered_flow']:,.1f} of {doc['total_flow']:,.1f} ({(doc['covered_share'] or 0):.1%})",
        "MIP gap": "-" if gap is None else f"{gap:.2%}",
        "greedy + substitution": "-"
        if doc["greedy_covered_flow"] is None
        else f"{doc['greedy_covered_flow']:,.1f} with {doc['greedy_stations']} new station(s)",
    }


def _print(doc: dict[str, Any]) -> None:
    head = Table(title="Station siting", show_header=False, title_justify="left")
    for k, v in _summary(doc).items():
        head.add_row(k, v)
    console.print(head)
    sites = Table(title="Sites", title_justify="left")
    cols = ["id", "name", "where", "existing", "flow through"]
    capacitated = any("size" in s for s in doc["sites"])
    if capacitated:
        cols += ["size", "kg/day used", "capacity"]
    for c in cols:
        sites.add_column(c)
    for s in doc["sites"]:
        where = f"{s['lat']:.3f},{s['lon']:.3f}" if "lat" in s else f"node {s['node']}"
        row = [
            s["id"],
            s["name"] or "",
            where,
            "yes" if s["existing"] else "new",
            f"{s['flow_through']:,.1f}",
        ]
        if capacitated:
            row += [
                str(s.get("size", "")),
                f"{s.get('kg_per_day', 0):,.0f}",
                f"{s.get('capacity_kg_per_day', 0):,.0f}",
            ]
        sites.add_row(*row)
    console.print(sites)
    unserved = [f for f in doc["flows"] if not f["covered"]]
    if unserved:
        t = Table(
            title=f"Unserved flows ({len(unserved)} of {len(doc['flows'])})", title_justify="left"
        )
        for c in ("origin", "destination", "flow", "why"):
            t.add_column(c)
        for f in sorted(unserved, key=lambda f: -f["flow"])[:25]:
            t.add_row(f["origin"], f["destination"], f"{f['flow']:,.2f}", f.get("reason", ""))
        console.print(t)
        if len(unserved) > 25:
            console.print(f"… {len(unserved) - 25} more in --json.")
    for n in doc["notices"]:
        console.print(f"[yellow]note:[/] {n}")
    if doc.get("map"):
        console.print(f"Map written to [bold]{doc['map']}[/].")
