"""The ``h2lane`` command line: a thin layer over the package."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from h2lane import OSM_ATTRIBUTION, __version__, params
from h2lane.errors import H2laneError, OptionError, PlaceNotFoundError
from h2lane.output import console, err_console, fail, print_json
from h2lane.scenario import io as scenario_io
from h2lane.scenario.model import SECTIONS, Scenario, TruckType

app = typer.Typer(
    name="h2lane",
    help="Plan and operate zero-carbon hydrogen truck logistics. Road data © OpenStreetMap contributors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenario_app = typer.Typer(help="Inspect, validate and convert scenarios.", no_args_is_help=True)
roads_app = typer.Typer(help="The road network: info and shortest routes.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
vrp_app = typer.Typer(
    help="Vehicle routing with refuelling stops on benchmark instances.", no_args_is_help=True
)
app.add_typer(roads_app, name="roads")
app.add_typer(vrp_app, name="vrp")

DEFAULT_SCENARIO = "shanxi-tianjin"
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")]
ScenarioOpt = Annotated[
    str,
    typer.Option("--scenario", help="Bundled scenario name or a scenario YAML file / directory."),
]


StationsOpt = Annotated[
    Path | None,
    typer.Option(
        "--stations", help="CSV id,name,lat,lon[,price] replacing the scenario's stations."
    ),
]


def _stations(scen: Scenario, stations: Path | None) -> list:
    """The ``--stations`` CSV if given, else the scenario's stations."""
    return scenario_io.read_stations_csv(stations) if stations is not None else scen.stations


class Optimize(StrEnum):
    time = "time"
    cost = "cost"


class InstanceFormat(StrEnum):
    emh = "emh"
    evrptw = "evrptw"
    cec = "cec"
    h2lane = "h2lane"


class VRPObjective(StrEnum):
    distance = "distance"
    vehicles_distance = "vehicles-distance"
    time = "time"
    cost = "cost"


class RefuelPolicy(StrEnum):
    partial = "partial"
    full = "full"


def main() -> None:
    """Entry point of the ``h2lane`` script."""
    app()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        console.print(f"h2lane {__version__}")
        raise typer.Exit()


# ---------------------------------------------------------------------------- helpers
def resolve_waypoint(text: str, scenario: Scenario):
    """A scenario place name (case-insensitive) or ``lat,lon``."""
    from h2lane.routing.trip import Waypoint

    place = scenario.place(text)
    if place is not None:
        return Waypoint(place.name, place.lat, place.lon)
    latlon = scenario_io.parse_latlon(text)
    if latlon is not None:
        return Waypoint(text.replace(" ", ""), *latlon)
    names = ", ".join(p.name for p in scenario.places) or "none"
    raise PlaceNotFoundError(
        f"'{text}' is neither a place of scenario '{scenario.name}' nor 'lat,lon' (places: {names})"
    )


def _load_graph(spec: str, quiet: bool):
    from h2lane.roads.graph import RoadGraph

    if quiet:
        graph = RoadGraph.load(spec)
        graph.engine  # noqa: B018 - build the hierarchy now
        return graph
    with err_console.status(f"Loading road graph '{spec}'…"):
        graph = RoadGraph.load(spec)
        graph.engine  # noqa: B018
    return graph


def _truck_from_options(
    scenario: Scenario,
    truck: str | None,
    tank_kg: float | None,
    kg_per_100km: float | None,
    kg_per_100km_empty: float | None,
    speed_kmh: float | None,
) -> TruckType:
    if truck is not None and (tank_kg is not None or kg_per_100km is not None):
        raise OptionError("give either --truck TYPE or --tank-kg/--kg-per-100km, not both")
    if tank_kg is not None or kg_per_100km is not None:
        if tank_kg is None or kg_per_100km is None:
            raise OptionError("--tank-kg and --kg-per-100km must be given together")
        if tank_kg <= 0 or kg_per_100km <= 0:
            raise OptionError("--tank-kg and --kg-per-100km must be greater than 0")
        base = TruckType(
            id="custom",
            name=f"custom {tank_kg:g} kg / {kg_per_100km:g} kg per 100 km",
            tank_kg=tank_kg,
            kg_per_100km=kg_per_100km,
            kg_per_100km_empty=kg_per_100km_empty
            if kg_per_100km_empty is not None
            else kg_per_100km * params.FCET_EMPTY_RATIO.value,
        )
    else:
        if not scenario.truck_types and truck is None:
            raise OptionError(
                f"scenario '{scenario.name}' has no truck types; give --tank-kg and --kg-per-100km"
            )
        type_id = truck or scenario.truck_types[0].id
        found = scenario.truck_type(type_id)
        if found is None:
            known = ", ".join(t.id for t in scenario.truck_types) or "none"
            raise OptionError(f"unknown truck type '{type_id}' (known: {known})")
        base = dataclasses.replace(found)
        if kg_per_100km_empty is not None:
            base.kg_per_100km_empty = kg_per_100km_empty
    if speed_kmh is not None:
        if speed_kmh <= 0:
            raise OptionError("--speed-kmh must be greater than 0")
        base.speed_kmh = speed_kmh
    return base


def _parse_depart(text: str | None) -> datetime:
    if text is None:
        today = datetime.now().replace(hour=8, minute=0, second=0, microsecond=0)
        return today
    try:
        if len(text) <= 5 and ":" in text:
            h, m = (int(x) for x in text.split(":"))
            return datetime.now().replace(hour=h, minute=m, second=0, microsecond=0)
        return datetime.fromisoformat(text)
    except ValueError:
        raise OptionError(
            f"--depart '{text}' is not a time HH:MM or an ISO date-time like 2026-12-01T06:00"
        ) from None


# ---------------------------------------------------------------------------- trip
@app.command()
def trip(
    origin: Annotated[str, typer.Option("--from", help="Place name or 'lat,lon'.")],
    destination: Annotated[str, typer.Option("--to", help="Place name or 'lat,lon'.")],
    via: Annotated[
        list[str] | None, typer.Option("--via", help="Intermediate place (repeatable, in order).")
    ] = None,
    round_trip: Annotated[
        bool,
        typer.Option(
            "--round-trip", help="Come back to the origin (directly) after the destination."
        ),
    ] = False,
    return_loaded: Annotated[
        bool,
        typer.Option(
            "--return-loaded/--return-empty",
            help="Whether the return leg of a round trip is loaded (default empty, as for coal haul).",
        ),
    ] = False,
    truck: Annotated[
        str | None,
        typer.Option("--truck", help="Truck type id from the scenario (default: its first)."),
    ] = None,
    tank_kg: Annotated[
        float | None, typer.Option("--tank-kg", help="Usable tank, kg (custom truck).")
    ] = None,
    kg_per_100km: Annotated[
        float | None,
        typer.Option("--kg-per-100km", help="Loaded consumption, kg/100 km (custom truck)."),
    ] = None,
    kg_per_100km_empty: Annotated[
        float | None,
        typer.Option(
            "--kg-per-100km-empty",
            help="Empty consumption, kg/100 km (custom truck default: 0.6 × loaded, parameters row 4, K).",
        ),
    ] = None,
    speed_kmh: Annotated[
        float | None, typer.Option("--speed-kmh", help="Average speed, km/h.")
    ] = None,
    start_kg: Annotated[
        float | None,
        typer.Option("--start-kg", help="Hydrogen on board at departure, kg (default: full)."),
    ] = None,
    reserve_kg: Annotated[
        float,
        typer.Option(
            "--reserve-kg",
            help="Minimum hydrogen on arrival anywhere, kg. Default 5 kg ≈ 55 km at 9 kg/100 km.",
        ),
    ] = params.DEFAULT_RESERVE_KG.value,
    optimize: Annotated[
        Optimize, typer.Option("--optimize", help="Minimise total time or hydrogen cost.")
    ] = Optimize.time,
    refuel: Annotated[
        RefuelPolicy,
        typer.Option(
            "--refuel", help="partial: buy the optimal amount; full: always fill the tank."
        ),
    ] = RefuelPolicy.partial,
    depart: Annotated[
        str | None,
        typer.Option(
            "--depart", help="Departure, HH:MM today or ISO date-time (default 08:00 today)."
        ),
    ] = None,
    tonnes: Annotated[
        float | None,
        typer.Option("--tonnes", help="Freight on loaded legs, t (default: truck payload)."),
    ] = None,
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    stations: StationsOpt = None,
    roads: Annotated[
        str | None,
        typer.Option(
            "--roads", help="Road graph: bundled name or directory with nodes.csv, edges.csv."
        ),
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Write an offline HTML map of the route and stops.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan one truck's trip with refuelling stops: where, how much, how long, at what cost."""
    from h2lane.routing.trip import TripRequest, plan_trip

    try:
        scen = scenario_io.load_scenario(scenario)
        station_list = _stations(scen, stations)
        truck_type = _truck_from_options(
            scen, truck, tank_kg, kg_per_100km, kg_per_100km_empty, speed_kmh
        )
        points = [origin, *(via or []), destination]
        waypoints = [resolve_waypoint(p, scen) for p in points]
        loaded = [True] * (len(waypoints) - 1)
        if round_trip:
            waypoints.append(resolve_waypoint(origin, scen))
            loaded.append(return_loaded)
        start = truck_type.tank_kg if start_kg is None else start_kg
        if start < 0 or reserve_kg < 0:
            raise OptionError("--start-kg and --reserve-kg must be at least 0")
        if tonnes is not None and tonnes < 0:
            raise OptionError("--tonnes must be at least 0")
        request = TripRequest(
            waypoints=waypoints,
            truck=truck_type,
            loaded=loaded,
            start_kg=start,
            reserve_kg=reserve_kg,
            objective=optimize.value,
            depart=_parse_depart(depart),
            full_refuel=refuel is RefuelPolicy.full,
            tonnes=tonnes,
        )
        graph = _load_graph(roads or scen.roads, quiet=as_json)
        plan = plan_trip(graph, station_list, request)
        result = plan.to_dict()
        if map_file is not None:
            _write_trip_map(map_file, plan, graph, station_list)
            result["map"] = str(map_file)
    except H2laneError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(result)
        return
    _print_trip(result)
    if map_file is not None:
        console.print(f"Map written to [bold]{map_file}[/] (road data {OSM_ATTRIBUTION}).")


def _write_trip_map(path: Path, plan: Any, graph: Any, station_list: list) -> None:
    from h2lane.maps import MapLayer, Marker, render_html

    d = plan.to_dict()
    coords = d["geometry"]["features"][0]["geometry"]["coordinates"]
    points = [(w["lat"], w["lon"], w["name"], "waypoint") for w in d["waypoints"]]
    points += [
        (s["lat"], s["lon"], f"{i}. {s['name']} +{s['refuel_kg']:.1f} kg", "stop")
        for i, s in enumerate(d["stops"], start=1)
    ]
    names = " → ".join(w["name"] for w in d["waypoints"])
    summary = [
        ("Route", names),
        ("Truck", f"{d['truck']['type']} ({d['truck']['tank_kg']:g} kg tank)"),
        ("Distance", f"{d['distance_km']:.1f} km"),
        ("Duration", f"{d['duration_h']:.2f} h"),
        ("Hydrogen used", f"{d['h2_kg']:.1f} kg"),
        ("Refuelled", f"{d['refuel_kg']:.1f} kg in {len(d['stops'])} stop(s), {d['cost']:.0f} CNY"),
    ]
    render_html(
        path,
        f"h2lane trip: {names}",
        [MapLayer("route", coords, points=points)],
        graph=graph,
        markers=[Marker(s.lat, s.lon, f"{s.name} ({s.price:g} yuan/kg)") for s in station_list],
        summary=summary,
    )


def _print_trip(d: dict[str, Any]) -> None:
    names = " → ".join(w["name"] for w in d["waypoints"])
    summary = Table(title=f"Trip {names}", show_header=False, title_justify="left")
    summary.add_column(style="bold")
    summary.add_column()
    t = d["truck"]
    summary.add_row(
        "truck", f"{t['type']}: {t['tank_kg']:g} kg tank, {t['kg_per_100km']:g} kg/100 km loaded"
    )
    summary.add_row("objective", f"{d['objective']} ({d['refuel_policy']} refuels)")
    summary.add_row("distance", f"{d['distance_km']:.1f} km")
    summary.add_row("duration", f"{d['duration_h']:.2f} h (driving {d['drive_h']:.2f} h)")
    summary.add_row("depart → arrive", f"{d['depart']} → {d['arrive']}")
    summary.add_row(
        "hydrogen used", f"{d['h2_kg']:.1f} kg (start {d['start_kg']:g}, end {d['end_kg']:.1f})"
    )
    summary.add_row("refuelled", f"{d['refuel_kg']:.1f} kg, {d['cost']:.2f} CNY")
    console.print(summary)
    stops = Table(title="Refuelling stops (~ = approximate site)", title_justify="left")
    for col in ("#", "station", "km", "arrive", "in kg", "+kg", "min", "CNY"):
        stops.add_column(col, justify="left" if col in ("station", "arrive") else "right")
    for i, s in enumerate(d["stops"], start=1):
        approx = "~" if s["location"] == "approximate" else ""
        stops.add_row(
            str(i),
            f"{s['station_id']}{approx}",
            f"{s['km_from_start']:.0f}",
            s["arrive"][5:].replace("T", " "),
            f"{s['arrive_kg']:.1f}",
            f"{s['refuel_kg']:.1f}",
            f"{s['wait_min'] + s['refuel_min']:.0f}",
            f"{s['cost']:.0f}",
        )
    if not d["stops"]:
        stops.add_row("-", "no stop needed", "", "", "", "", "", "")
    console.print(stops)
    legs = Table(title="Legs", title_justify="left")
    for col in ("leg", "from → to", "km", "h", "H2 kg", "load t", "stops"):
        legs.add_column(col)
    for leg in d["legs"]:
        legs.add_row(
            str(leg["index"]),
            f"{leg['from']} → {leg['to']}",
            f"{leg['distance_km']:.1f}",
            f"{leg['duration_h']:.2f}",
            f"{leg['h2_kg']:.1f}",
            f"{leg['tonnes']:g}",
            ", ".join(leg["stops"]) or "-",
        )
    console.print(legs)
    console.print(f"[dim]Road data {OSM_ATTRIBUTION} (graph '{d['road_graph']}').[/]")


# ---------------------------------------------------------------------------- scenario
@scenario_app.command("validate")
def scenario_validate(
    file: Annotated[str, typer.Argument(help="Scenario YAML file, directory or bundled name.")],
    as_json: JsonOpt = False,
) -> None:
    """Validate a scenario file; print one sentence naming file, row and field if it is wrong."""
    try:
        scen = scenario_io.load_scenario(file)
    except H2laneError as exc:
        fail(exc, as_json=as_json)
    counts = {s: len(getattr(scen, s)) for s in SECTIONS}
    if as_json:
        print_json({"valid": True, "scenario": scen.name, "counts": counts})
    else:
        listed = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
        console.print(f"[green]valid[/]: scenario '{scen.name}' with {listed}.")


@scenario_app.command("show")
def scenario_show(scenario: ScenarioOpt = DEFAULT_SCENARIO, as_json: JsonOpt = False) -> None:
    """List a scenario's components."""
    try:
        scen = scenario_io.load_scenario(scenario)
    except H2laneError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(
            {
                "name": scen.name,
                "description": scen.description,
                "roads": scen.roads,
                **{s: [dataclasses.asdict(r) for r in getattr(scen, s)] for s in SECTIONS},
            }
        )
        return
    console.print(f"[bold]{scen.name}[/]: {scen.description}")
    for section, cls in SECTIONS.items():
        records = getattr(scen, section)
        if not records:
            continue
        names = [f.name for f in dataclasses.fields(cls) if f.name not in ("note",)]
        table = Table(title=section.replace("_", " "), title_justify="left")
        for n in names:
            table.add_column(n)
        for r in records:
            table.add_row(*(_fmt(getattr(r, n)) for n in names))
        console.print(table)


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@scenario_app.command("fields")
def scenario_fields(as_json: JsonOpt = False) -> None:
    """Every component field with unit, default and the default's source and year."""
    rows = []
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            src = f.metadata.get("source")
            default = None if f.default is dataclasses.MISSING else f.default
            rows.append(
                {
                    "section": section,
                    "field": f.name,
                    "unit": f.metadata.get("unit", ""),
                    "required": f.default is dataclasses.MISSING,
                    "default": default,
                    "source": src.source if src else "",
                    "year": src.year if src else "",
                    "status": src.status if src else "",
                    "doc": f.metadata.get("doc", ""),
                }
            )
    if as_json:
        print_json(rows)
        return
    table = Table(title="Scenario fields", title_justify="left")
    for col in ("section", "field", "unit", "default", "source (year, status)", "meaning"):
        table.add_column(col)
    for r in rows:
        default = "required" if r["required"] else _fmt(r["default"])
        src = f"{r['source']} ({r['year']}, {r['status']})" if r["source"] else ""
        table.add_row(r["section"], r["field"], r["unit"], default, src, r["doc"])
    console.print(table)


@scenario_app.command("export")
def scenario_export(
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="Write places, sites and stations as GeoJSON.")
    ] = None,
    yaml_file: Annotated[
        Path | None, typer.Option("--yaml", help="Write the scenario as one YAML file.")
    ] = None,
    csv_dir: Annotated[
        Path | None, typer.Option("--csv-dir", help="Write scenario.yaml plus one CSV per section.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Convert a scenario to YAML, CSV tables or GeoJSON."""
    written: list[str] = []
    try:
        scen = scenario_io.load_scenario(scenario)
        if geojson is not None:
            geojson.write_text(
                json.dumps(scenario_io.to_geojson(scen), indent=1, ensure_ascii=False)
            )
            written.append(str(geojson))
        if yaml_file is not None:
            written.append(str(scenario_io.write_yaml(scen, yaml_file)))
        if csv_dir is not None:
            written.append(str(scenario_io.write_csv_dir(scen, csv_dir)))
    except H2laneError as exc:
        fail(exc, as_json=as_json)
    except OSError as exc:
        fail(OptionError(f"cannot write output: {exc}"), as_json=as_json)
    if not written:
        fail(OptionError("nothing to export: give --geojson, --yaml or --csv-dir"), as_json=as_json)
    if as_json:
        print_json({"written": written})
    else:
        for w in written:
            console.print(f"wrote {w}")


# ---------------------------------------------------------------------------- roads
@roads_app.command("info")
def roads_info(
    roads: Annotated[
        str, typer.Option("--roads", help="Bundled graph name or CSV directory.")
    ] = "north-china",
    as_json: JsonOpt = False,
) -> None:
    """Size and extent of a road graph."""
    try:
        graph = _load_graph(roads, quiet=as_json)
    except H2laneError as exc:
        fail(exc, as_json=as_json)
    info = {
        "name": graph.name,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "total_km": round(float(graph.length_m.sum()) / 1000.0, 1),
        "lat_range": [float(graph.lat.min()), float(graph.lat.max())],
        "lon_range": [float(graph.lon.min()), float(graph.lon.max())],
        "attribution": graph.attribution,
    }
    if as_json:
        print_json(info)
        return
    table = Table(title=f"Road graph '{graph.name}'", show_header=False, title_justify="left")
    for k, v in info.items():
        table.add_row(k, str(v))
    console.print(table)


@roads_app.command("route")
def roads_route(
    origin: Annotated[str, typer.Option("--from", help="Place name or 'lat,lon'.")],
    destination: Annotated[str, typer.Option("--to", help="Place name or 'lat,lon'.")],
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    as_json: JsonOpt = False,
) -> None:
    """Shortest road distance between two places (no refuelling)."""
    try:
        scen = scenario_io.load_scenario(scenario)
        a, b = resolve_waypoint(origin, scen), resolve_waypoint(destination, scen)
        graph = _load_graph(scen.roads, quiet=as_json)
        sa, sb = graph.snap(a.lat, a.lon), graph.snap(b.lat, b.lon)
        km, nodes = graph.path(sa.node, sb.node)
    except H2laneError as exc:
        fail(exc, as_json=as_json)
    out = {
        "from": a.name,
        "to": b.name,
        "distance_km": round(km, 3),
        "nodes": len(nodes),
        "snap_km": [round(sa.snap_km, 3), round(sb.snap_km, 3)],
        "geometry": {"type": "LineString", "coordinates": graph.geometry(nodes)},
        "attribution": graph.attribution,
    }
    if as_json:
        print_json(out)
    else:
        console.print(
            f"{a.name} → {b.name}: [bold]{km:.1f} km[/] by road ({len(nodes)} graph nodes)."
        )
        console.print(f"[dim]Road data {OSM_ATTRIBUTION}.[/]")


# ---------------------------------------------------------------------------- dispatch
@app.command()
def dispatch(
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    optimize: Annotated[
        Optimize, typer.Option("--optimize", help="Minimise truck-hours or hydrogen cost.")
    ] = Optimize.time,
    reserve_kg: Annotated[
        float, typer.Option("--reserve-kg", help="Minimum hydrogen on arrival anywhere, kg.")
    ] = params.DEFAULT_RESERVE_KG.value,
    stations: StationsOpt = None,
    depart: Annotated[
        str | None,
        typer.Option(
            "--depart", help="Departure for orders without a ready time (default 08:00 today)."
        ),
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--map", help="Write an offline HTML map of every truck's route.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Assign a scenario's freight orders to its trucks, with exact refuelling stops per truck."""
    from rich.progress import Progress

    from h2lane.routing.dispatch import plan_dispatch

    try:
        scen = scenario_io.load_scenario(scenario)
        station_list = _stations(scen, stations)
        graph = _load_graph(scen.roads, quiet=as_json)
        with Progress(console=err_console, transient=True, disable=as_json) as bar:
            task = bar.add_task("dispatching orders", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            plan = plan_dispatch(
                scen,
                graph,
                stations=station_list,
                objective=optimize.value,
                reserve_kg=reserve_kg,
                default_depart=_parse_depart(depart),
                progress=tick,
            )
        result = plan.to_dict()
        if map_file is not None:
            _write_dispatch_map(map_file, result, graph, station_list)
            result["map"] = str(map_file)
    except H2laneError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(result)
    else:
        _print_dispatch(result)
        if map_file is not None:
            console.print(f"Map written to [bold]{map_file}[/] (road data {OSM_ATTRIBUTION}).")
    if result["unassigned"]:
        raise SystemExit(3)


def _print_dispatch(d: dict[str, Any]) -> None:
    t = d["totals"]
    console.print(
        f"[bold]Dispatch of scenario {d['scenario']}[/] ({d['objective']}): {t['orders_served']} orders "
        f"on {t['trucks_used']} trucks, {t['distance_km']:.0f} km, {t['duration_h']:.1f} truck-hours, "
        f"{t['h2_kg']:.0f} kg H2, {t['cost']:.0f} CNY."
    )
    table = Table(title="Trucks", title_justify="left")
    for col in ("truck", "orders", "depart", "finish", "km", "H2 kg", "stops", "CNY"):
        table.add_column(col)
    for r in d["routes"]:
        table.add_row(
            r["truck_id"],
            ", ".join(r["orders"]),
            r["depart"].replace("T", " "),
            r["finish"].replace("T", " "),
            f"{r['distance_km']:.0f}",
            f"{r['h2_kg']:.1f}",
            ", ".join(s["station_id"] for s in r["stops"]) or "-",
            f"{r['cost']:.0f}",
        )
    console.print(table)
    sched = Table(title="Deliveries", title_justify="left")
    for col in ("order", "truck", "pick-up", "delivery", "due", "on time"):
        sched.add_column(col)
    for r in d["routes"]:
        pick = {e["order_id"]: e for e in r["schedule"] if e["event"] == "pickup"}
        for e in r["schedule"]:
            if e["event"] != "delivery":
                continue
            sched.add_row(
                e["order_id"],
                r["truck_id"],
                pick[e["order_id"]]["time"].replace("T", " "),
                e["time"].replace("T", " "),
                e.get("due", "-").replace("T", " "),
                {True: "yes", False: "NO"}.get(e.get("on_time"), "-"),
            )
    console.print(sched)
    for u in d["unassigned"]:
        console.print(f"[red]not served[/] {u['order_id']}: {u['reason']}")
    console.print(f"[dim]Road data {OSM_ATTRIBUTION}.[/]")


def _write_dispatch_map(path: Path, d: dict[str, Any], graph: Any, station_list: list) -> None:
    from h2lane.maps import COLORS, MapLayer, Marker, render_html

    layers = []
    for i, r in enumerate(d["routes"]):
        coords = r["geometry"]["features"][0]["geometry"]["coordinates"]
        pts = [(w["lat"], w["lon"], w["name"], "waypoint") for w in r["waypoints"]]
        pts += [
            (s["lat"], s["lon"], f"{r['truck_id']}: {s['name']} +{s['refuel_kg']:.1f} kg", "stop")
            for s in r["stops"]
        ]
        layers.append(
            MapLayer(
                f"{r['truck_id']} ({', '.join(r['orders'])})", coords, COLORS[i % len(COLORS)], pts
            )
        )
    t = d["totals"]
    render_html(
        path,
        f"h2lane dispatch: {d['scenario']}",
        layers,
        graph=graph,
        markers=[Marker(s.lat, s.lon, f"{s.name} ({s.price:g} yuan/kg)") for s in station_list],
        summary=[
            ("Orders", f"{t['orders_served']} served, {t['orders_unassigned']} not served"),
            ("Trucks", str(t["trucks_used"])),
            ("Distance", f"{t['distance_km']:.0f} km"),
            ("Hydrogen", f"{t['h2_kg']:.0f} kg, {t['cost']:.0f} CNY"),
        ],
    )


# ---------------------------------------------------------------------------- emissions
def _road_distance_oracle():
    """Shortest road distance between places of the bundled scenario or 'lat,lon' points."""
    from h2lane.roads.graph import RoadGraph

    scen = scenario_io.load_scenario(DEFAULT_SCENARIO)
    graph = RoadGraph.load(scen.roads)
    cache: dict[tuple[str, str], float | None] = {}

    def locate(text: str) -> tuple[float, float] | None:
        place = scen.place(text)
        if place is not None:
            return place.lat, place.lon
        return scenario_io.parse_latlon(text)

    def oracle(origin: str, destination: str) -> float | None:
        key = (origin, destination)
        if key not in cache:
            a, b = locate(origin), locate(destination)
            if a is None or b is None:
                cache[key] = None
            else:
                try:
                    na, nb = graph.snap(*a).node, graph.snap(*b).node
                except H2laneError:
                    cache[key] = None
                else:
                    km = graph.engine.distance_km(na, nb)
                    cache[key] = km if km != float("inf") else None
        return cache[key]

    return oracle


def _register_emissions() -> None:
    from h2lane.emissions.cli import emissions, register_distance_oracle

    register_distance_oracle(_road_distance_oracle)
    app.command("emissions")(emissions)


_register_emissions()


# ---------------------------------------------------------------------------- vrp
@vrp_app.command("solve")
def vrp_solve(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    fmt: Annotated[
        InstanceFormat,
        typer.Option(
            "--format",
            help="emh (G-VRP), evrptw (Schneider et al.), cec (CEC-2020) or h2lane (YAML/JSON: "
            "depots, vehicle types, dispensers, road distances).",
        ),
    ],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds of search.")] = 10.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (deterministic per seed).")] = 0,
    max_duration_h: Annotated[
        float | None,
        typer.Option(
            "--max-duration-h", help="emh only: route limit, h (default 10.75, as the BKS)."
        ),
    ] = None,
    objective: Annotated[
        VRPObjective | None,
        typer.Option("--objective", help="Override the instance's objective."),
    ] = None,
    refuel: Annotated[
        RefuelPolicy | None,
        typer.Option("--refuel", help="Override the refuelling policy: full or partial."),
    ] = None,
    start_level: Annotated[
        float | None,
        typer.Option(
            "--start-level",
            help="Energy on leaving the depot as a fraction of the tank (0-1], every vehicle type.",
        ),
    ] = None,
    dispensers: Annotated[
        int | None,
        typer.Option(
            "--dispensers",
            help="Dispensers at every station (vehicles queue when all are busy); 0 = unlimited.",
        ),
    ] = None,
    map_path: Annotated[
        Path | None,
        typer.Option(
            "--map",
            help="Write an offline HTML map of the routes (instances with lat/lon coordinates).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Solve a refuelling VRP; the answer is verified by the independent checker (exit 4 if not).

    INSTANCE is a file, or with --format h2lane the name of a bundled example (xiaoyi-fleet).
    """
    from h2lane.routing.vrp.checker import check_result
    from h2lane.routing.vrp.instances import read_instance
    from h2lane.routing.vrp.solver import solve_vrp

    try:
        if time_limit <= 0:
            raise OptionError("--time-limit must be greater than 0")
        if fmt == InstanceFormat.h2lane and not instance.exists():
            from h2lane.routing.vrp.native import EXAMPLES, example_path

            if str(instance) in EXAMPLES:
                instance = example_path(str(instance))
        inst = read_instance(instance, fmt.value, max_duration_h=max_duration_h)
        _override_instance(inst, objective, refuel, start_level, dispensers)
        if map_path is not None and not _geographic(inst):
            raise OptionError(
                f"--map needs longitude/latitude coordinates; {inst.name} has plane coordinates"
            )
        sol = solve_vrp(inst, time_limit=time_limit, seed=seed, progress=not as_json)
    except H2laneError as exc:
        fail(exc, as_json=as_json)
    report = check_result(inst, sol)
    violations = [v.message for v in report.violations]
    if abs(report.cost - sol.cost) > 1e-6 * max(1.0, abs(sol.cost)):
        violations.append(
            f"The checker's objective value {report.cost:.6f} differs from the solver's "
            f"{sol.cost:.6f}."
        )
    verified = not violations
    fleet = inst.fleet
    out = {
        "instance": inst.name,
        "format": fmt.value,
        "objective": inst.objective,
        "refuel": "full" if inst.full_refuel else "partial",
        "routes": sol.routes,
        "route_types": [fleet[t].name for t in sol.route_types],
        "cost": round(sol.cost, 6),
        "distance": round(sol.distance, 6),
        "duration": round(sol.duration, 6),
        "vehicles": sol.vehicles,
        "unservable": sol.unservable,
        "departures": [round(t, 6) for t in sol.departures],
        "refuels": [
            {"route": r, "position": p, "node": sol.routes[r][p], "amount": round(a, 6)}
            for (r, p), a in sorted(sol.refuel_amounts.items())
        ],
        "queue_waits": [
            {"route": r, "position": p, "node": sol.routes[r][p], "wait": round(w, 6)}
            for (r, p), w in sorted(sol.waits.items())
        ],
        "units": {"distance": inst.distance_unit, "time": inst.time_unit},
        "checker": {
            "ok": verified,
            "distance": round(report.distance, 6),
            "cost": round(report.cost, 6),
            "violations": violations,
        },
        "seconds": round(sol.seconds, 3),
        "iterations": sol.iterations,
        "seed": seed,
    }
    if map_path is not None:
        out["map"] = str(_write_vrp_map(map_path, inst, sol, quiet=as_json))
    if as_json:
        print_json(out)
    else:
        title = (
            f"{inst.name}: {sol.vehicles} vehicles, {inst.objective} {sol.cost:.2f}"
            f" (distance {sol.distance:.2f})"
        )
        table = Table(title=title)
        table.add_column("route")
        if len(fleet) > 1:
            table.add_column("vehicle")
        table.add_column("nodes (file order; stations marked *)")
        table.add_column("length", justify="right")
        table.add_column("duration", justify="right")
        queued: dict[int, float] = {}
        for (r, _p), w in sol.waits.items():
            queued[r] = queued.get(r, 0.0) + w
        if queued:
            table.add_column("queued", justify="right")
        for i, r in enumerate(sol.routes):
            shown = " ".join(f"{n}*" if inst.kinds[n] == 2 else str(n) for n in r)
            row = [str(i + 1)]
            if len(fleet) > 1:
                row.append(fleet[sol.route_types[i]].name)
            row += [shown, f"{report.route_distance[i]:.2f}", f"{report.duration[i]:.2f}"]
            if queued:
                row.append(f"{queued.get(i, 0.0):.2f}")
            table.add_row(*row)
        console.print(table)
        if sol.unservable:
            console.print(f"unservable customers (left out): {sol.unservable}")
        verdict = "[green]feasible[/]" if verified else "[red]REJECTED[/]"
        console.print(f"checker: {verdict}; {sol.iterations} iterations in {sol.seconds:.1f} s")
        for v in violations:
            console.print(f"  - {v}")
        if map_path is not None:
            console.print(f"map: {out['map']}")
    if not verified:
        raise SystemExit(4)


def _geographic(inst: Any) -> bool:
    """Whether the instance's x/y are longitude/latitude (G-VRP files, h2lane road/haversine)."""
    import numpy as np

    x, y = np.asarray(inst.x, dtype=float), np.asarray(inst.y, dtype=float)
    return (
        inst.distance_unit in ("km", "mi")
        and bool(np.all(np.isfinite(x)) and np.all(np.isfinite(y)))
        and bool(np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90))
    )


def _write_vrp_map(path: Path, inst: Any, sol: Any, quiet: bool) -> Path:
    """Offline map of VRP routes: road geometry where the nodes lie on the bundled graph."""
    import numpy as np

    from h2lane.maps import COLORS, MapLayer, Marker, render_html
    from h2lane.routing.vrp.model import STATION

    graph = _load_graph("north-china", quiet)
    nodes, snap_km = graph.snap_many(np.asarray(inst.y), np.asarray(inst.x))
    on_roads = bool(np.all(snap_km <= 30.0))
    fleet = inst.fleet
    layers = []
    for i, route in enumerate(sol.routes):
        coords: list[list[float]] = []
        for a, b in zip(route[:-1], route[1:], strict=True):
            if on_roads:
                _d, path_nodes = graph.path(int(nodes[a]), int(nodes[b]))
                seg = graph.geometry(path_nodes) if path_nodes else []
            else:
                seg = [[float(inst.x[a]), float(inst.y[a])], [float(inst.x[b]), float(inst.y[b])]]
            coords.extend(seg if not coords else seg[1:])
        pts = [
            (float(inst.y[v]), float(inst.x[v]), inst.labels[v], "waypoint")
            for v in route[:-1]
            if inst.kinds[v] != STATION
        ]
        pts += [
            (float(inst.y[v]), float(inst.x[v]), f"route {i + 1}: {inst.labels[v]}", "stop")
            for v in route
            if inst.kinds[v] == STATION
        ]
        name = f"route {i + 1}"
        if len(fleet) > 1:
            name += f" ({fleet[sol.route_types[i]].name})"
        layers.append(MapLayer(name, coords, COLORS[i % len(COLORS)], pts))
    markers = [Marker(float(inst.y[s]), float(inst.x[s]), inst.labels[s]) for s in inst.stations]
    unit = inst.distance_unit
    summary = [
        ("Objective", f"{inst.objective}: {sol.cost:.2f}"),
        ("Vehicles", str(sol.vehicles)),
        ("Distance", f"{sol.distance:.1f} {unit}"),
        ("Refuelling", "partial" if not inst.full_refuel else "to full"),
    ]
    if sol.waits:
        summary.append(("Queued at stations", f"{sum(sol.waits.values()):.2f} {inst.time_unit}"))
    if not on_roads:
        summary.append(("Lines", "straight (nodes are outside the bundled road graph)"))
    return render_html(
        path,
        f"h2lane vrp: {inst.name}",
        layers,
        graph=graph if on_roads else None,
        markers=markers,
        summary=summary,
    )


def _override_instance(
    inst: Any,
    objective: VRPObjective | None,
    refuel: RefuelPolicy | None,
    start_level: float | None,
    dispensers: int | None,
) -> None:
    """Apply ``vrp solve``'s command-line overrides to an instance."""
    import numpy as np

    if objective is not None:
        inst.objective = objective.value
    if refuel is not None:
        inst.full_refuel = refuel == RefuelPolicy.full
    if start_level is not None:
        if not 0.0 < start_level <= 1.0:
            raise OptionError(f"--start-level must be in (0, 1], not {start_level:g}")
        fleet = inst.fleet
        for vt in fleet:
            vt.start_energy = start_level * vt.tank
        inst.vehicle_types = fleet
        inst.start_energy = start_level * inst.tank
    if dispensers is not None:
        if dispensers < 0:
            raise OptionError(f"--dispensers must be 0 or more, not {dispensers}")
        cap = np.zeros(inst.n_nodes, dtype=np.int64)
        cap[inst.stations] = dispensers
        inst.station_capacity = cap
    if inst.objective == "cost" and not any(
        vt.fixed_cost or vt.cost_per_distance or vt.cost_per_time for vt in inst.fleet
    ):
        raise OptionError(
            f"--objective cost needs vehicle costs, and {inst.name} gives none "
            "(use an h2lane-format instance with fixed_cost / cost_per_distance / cost_per_time)"
        )
    if refuel is not None or start_level is not None:
        from h2lane.routing.vrp.native import fleet_unservable

        inst.unservable = fleet_unservable(inst)  # servability depends on both


if __name__ == "__main__":  # pragma: no cover
    main()
