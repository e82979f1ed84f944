"""Rich tables for people: trip, dispatch and VRP plans, scenarios."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.console import Console
from rich.table import Table

from h2lane import OSM_ATTRIBUTION
from h2lane.plan import PlanDocument, PlanRoute
from h2lane.scenario.model import SECTIONS
from h2lane.timeutil import iso


def _t(value: Any) -> str:
    """``12-02 08:00`` (China time) or ``-``."""
    return iso(value)[5:16].replace("T", " ") if value is not None else "-"


def _notices(console: Console, doc: PlanDocument) -> None:
    for n in doc.notices:
        console.print(f"[yellow]note:[/] {n}")


def print_trip(console: Console, doc: PlanDocument) -> None:
    route = doc.routes[0]
    names = " → ".join([route.legs[0].origin.name, *(leg.destination.name for leg in route.legs)])
    summary = Table(title=f"Trip {names}", show_header=False, title_justify="left")
    summary.add_column(style="bold")
    summary.add_column()
    t = route.truck
    if t is not None:
        summary.add_row(
            "truck", f"{t.type}: {t.tank_kg:g} kg tank, {t.kg_per_100km:g} kg/100 km loaded"
        )
    summary.add_row("objective", f"{doc.objective} ({doc.refuel_policy} refuels)")
    summary.add_row("distance", f"{doc.distance_km:.1f} km")
    summary.add_row("duration", f"{doc.duration_h:.2f} h (driving {doc.drive_h:.2f} h)")
    summary.add_row("depart → arrive", f"{_t(doc.depart)} → {_t(doc.arrive)} (China time)")
    summary.add_row(
        "hydrogen used",
        f"{doc.h2_kg:.1f} kg (start {route.start_kg or 0:g}, end {route.end_kg or 0:.1f})",
    )
    summary.add_row("refuelled", f"{doc.refuel_kg:.1f} kg, {doc.cost:.2f} CNY")
    if route.breaks or any(s.rest_min for s in route.stops):
        rest = sum(b.minutes for b in route.breaks)
        summary.add_row("driver rest", f"{len(route.breaks)} break(s), {rest:.0f} min")
    console.print(summary)
    _print_stops(console, route)
    legs = Table(title="Legs", title_justify="left")
    for col in ("leg", "from → to", "depart", "arrive", "km", "h", "H2 kg", "load t", "stops"):
        legs.add_column(col)
    for leg in route.legs:
        legs.add_row(
            str(leg.index),
            f"{leg.origin.name} → {leg.destination.name}",
            _t(leg.depart),
            _t(leg.arrive),
            f"{leg.distance_km:.1f}",
            f"{leg.duration_h:.2f}",
            f"{leg.h2_kg:.1f}",
            f"{leg.tonnes:g}",
            ", ".join(leg.stops) or "-",
        )
    console.print(legs)
    _notices(console, doc)
    console.print(f"[dim]Road data {OSM_ATTRIBUTION} (graph '{doc.road_graph}').[/]")


def _print_stops(console: Console, route: PlanRoute) -> None:
    stops = Table(title="Refuelling stops and breaks (~ = approximate site)", title_justify="left")
    for col in ("#", "where", "km", "arrive", "in kg", "+kg", "wait", "fill", "rest", "CNY"):
        stops.add_column(col, justify="left" if col in ("where", "arrive") else "right")
    rows: list[tuple[float, list[str]]] = []
    for i, s in enumerate(route.stops, start=1):
        approx = "~" if (s.model_extra or {}).get("location") == "approximate" else ""
        rows.append(
            (
                s.km_from_start,
                [
                    str(i),
                    f"{s.station_id}{approx}",
                    f"{s.km_from_start:.0f}",
                    _t(s.arrive),
                    f"{s.arrive_kg:.1f}",
                    f"{s.refuel_kg:.1f}",
                    f"{s.wait_min:.0f}",
                    f"{s.refuel_min:.0f}",
                    f"{s.rest_min:.0f}",
                    f"{s.cost:.0f}",
                ],
            )
        )
    for b in route.breaks:
        if b.station_id is not None:
            continue
        rows.append(
            (
                b.km_from_start,
                [
                    "-",
                    b.kind,
                    f"{b.km_from_start:.0f}",
                    _t(b.start),
                    "",
                    "",
                    "",
                    "",
                    f"{b.minutes:.0f}",
                    "",
                ],
            )
        )
    for _km, row in sorted(rows, key=lambda r: r[0]):
        stops.add_row(*row)
    if not rows:
        stops.add_row("-", "no stop needed", "", "", "", "", "", "", "", "")
    console.print(stops)


def print_dispatch(console: Console, doc: PlanDocument) -> None:
    console.print(
        f"[bold]Dispatch of scenario {doc.scenario}[/] ({doc.objective}): {doc.orders_served} "
        f"orders on {doc.trucks_used} trucks, {doc.distance_km:.0f} km, {doc.duration_h:.1f} "
        f"truck-hours, {doc.h2_kg:.0f} kg H2, {doc.cost:.0f} CNY."
    )
    table = Table(title="Trucks", title_justify="left")
    for col in ("truck", "orders", "depart", "finish", "km", "H2 kg", "stops", "breaks", "CNY"):
        table.add_column(col)
    for r in doc.routes:
        table.add_row(
            str(r.truck_id),
            ", ".join(r.orders),
            _t(r.depart),
            _t(r.arrive),
            f"{r.distance_km:.0f}",
            f"{r.h2_kg:.1f}",
            ", ".join(s.station_id for s in r.stops) or "-",
            str(len(r.breaks)),
            f"{r.cost:.0f}",
        )
    console.print(table)
    sched = Table(title="Deliveries", title_justify="left")
    for col in ("order", "truck", "pick-up", "delivery", "due", "on time"):
        sched.add_column(col)
    for o in doc.orders:
        sched.add_row(
            o.order_id,
            str(o.truck_id),
            _t(o.pickup),
            _t(o.delivery),
            _t(o.due),
            {True: "yes", False: "NO"}.get(o.on_time, "-") if o.on_time is not None else "-",
        )
    console.print(sched)
    for u in doc.unassigned:
        console.print(f"[red]not served[/] {u.order_id}: {u.reason}")
    _notices(console, doc)
    console.print(f"[dim]Road data {OSM_ATTRIBUTION}.[/]")


def print_vrp(console: Console, doc: PlanDocument, inst: Any) -> None:
    from h2lane.routing.vrp.model import STATION

    solver = doc.solver or {}
    title = (
        f"{solver.get('instance')}: {doc.trucks_used} vehicles, {doc.objective} "
        f"{solver.get('objective_value', 0):.2f} (distance {doc.distance_km:.2f})"
    )
    table = Table(title=title)
    several = len(set(solver.get("route_types", []))) > 1
    table.add_column("route (JSON index)")
    if several:
        table.add_column("vehicle")
    table.add_column("nodes (file order; stations marked *)")
    table.add_column("length", justify="right")
    table.add_column("duration", justify="right")
    queued: dict[int, float] = {}
    for w in solver.get("queue_waits", []):
        queued[w["route"]] = queued.get(w["route"], 0.0) + w["wait"]
    if queued:
        table.add_column("queued", justify="right")
    for i, r in enumerate(doc.routes):
        shown = " ".join(f"{n}*" if inst.kinds[n] == STATION else str(n) for n in (r.nodes or []))
        row = [str(i)]
        if several:
            row.append(solver["route_types"][i])
        row += [shown, f"{r.distance_km:.2f}", f"{r.duration_h:.2f}"]
        if queued:
            row.append(f"{queued.get(i, 0.0):.2f}")
        table.add_row(*row)
    console.print(table)
    for u in doc.unassigned:
        console.print(f"[yellow]not served[/] {u.order_id}: {u.reason}")
    checker = solver.get("checker", {})
    verdict = "[green]feasible[/]" if checker.get("ok") else "[red]REJECTED[/]"
    console.print(
        f"checker: {verdict}; {solver.get('iterations')} iterations in {solver.get('seconds'):.1f} s"
    )
    for v in checker.get("violations", []):
        console.print(f"  - {v}")
    _notices(console, doc)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if hasattr(value, "isoformat"):
        return iso(value) if hasattr(value, "hour") else value.isoformat()
    return "" if value is None else str(value)


def print_scenario(console: Console, scen: Any) -> None:
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


def print_fields(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="Scenario fields", title_justify="left")
    for col in (
        "section",
        "field",
        "unit",
        "allowed",
        "default",
        "source (year, status)",
        "meaning",
    ):
        table.add_column(col)
    for r in rows:
        default = "required" if r["required"] else _fmt(r["default"])
        src = f"{r['source']} ({r['year']}, {r['status']})" if r["source"] else ""
        table.add_row(r["section"], r["field"], r["unit"], _allowed(r), default, src, r["doc"])


def _allowed(r: dict[str, Any]) -> str:
    """``> 0 … ≤ 150`` or the choices."""
    if r.get("choices"):
        return " | ".join(map(str, r["choices"]))
    low, high = r.get("minimum"), r.get("maximum")
    parts = []
    if low is not None:
        parts.append(f"{'>' if r.get('exclusive_minimum') else '≥'} {low:g}")
    if high is not None:
        parts.append(f"≤ {high:g}")
    return ", ".join(parts)
