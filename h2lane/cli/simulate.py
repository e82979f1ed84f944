"""``h2lane simulate``: the station network over days (SimPy); ``simulate station``: one station."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from h2lane import params
from h2lane.app.context import Context
from h2lane.app.outputs import check_output_file, write_text
from h2lane.app.requests import RequestError
from h2lane.app.simulate import (
    SimulateOptions,
    SimulationResult,
    simulate_network,
    simulate_station,
)
from h2lane.cli.common import (
    DEFAULT_SCENARIO,
    JsonOpt,
    ScenarioOpt,
    StationsOpt,
    emit,
    guarded,
    progress_bar,
)
from h2lane.output import console, dumps
from h2lane.supply.study import StationStudy

app = typer.Typer(
    help="Simulate stations: queues, storage, compressors, opening hours, outages and tube-trailer "
    "deliveries (SimPy). `h2lane simulate [OPTIONS]` runs the network; `h2lane simulate station` "
    "one station against queueing theory.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@app.callback(invoke_without_command=True)
def simulate(
    ctx: typer.Context,
    scenario: ScenarioOpt = DEFAULT_SCENARIO,
    stations: StationsOpt = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="Plan document (dispatch/trip/vrp --json): its stops are the truck arrivals.",
        ),
    ] = None,
    arrivals: Annotated[
        Path | None, typer.Option("--arrivals", help="CSV station_id,time,kg of truck arrivals.")
    ] = None,
    arrivals_per_day: Annotated[
        float | None,
        typer.Option(
            "--arrivals-per-day",
            help="Poisson arrivals per station and day, over its opening hours (default: capacity ÷ fill kg).",
        ),
    ] = None,
    fill_kg: Annotated[
        float, typer.Option("--fill-kg", help="Poisson arrivals: kg per fill.")
    ] = params.TRUCK_FILL_KG.value,
    fill_dist: Annotated[
        str, typer.Option("--fill-dist", help="Poisson arrivals: fixed or exponential fills.")
    ] = "fixed",
    days: Annotated[
        float | None,
        typer.Option("--days", help="Days to simulate (default: 7, or the arrivals' span)."),
    ] = None,
    warmup_days: Annotated[
        float,
        typer.Option("--warmup-days", help="Days simulated first and left out of the statistics."),
    ] = 0.0,
    repeat_every_days: Annotated[
        float | None,
        typer.Option(
            "--repeat-every-days",
            help="Repeat the plan/arrivals every N days (a plan repeats over its own span by default).",
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--start", help="Simulation start, ISO 8601 (no offset = China time)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (Poisson arrivals).")] = 1,
    trailer_mode: Annotated[str, typer.Option("--trailer-mode", help="swap or unload.")] = "swap",
    outages: Annotated[
        Path | None,
        typer.Option("--outages", help="CSV station_id,start,hours of station outages."),
    ] = None,
    target_p95_min: Annotated[
        float | None,
        typer.Option(
            "--target-p95-min",
            help="Propose dispensers, storage and trailers until p95 wait ≤ this.",
        ),
    ] = None,
    max_refused: Annotated[
        float,
        typer.Option(
            "--max-refused", help="Proposals: largest share of fills refused for lack of hydrogen."
        ),
    ] = 0.01,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report.")
    ] = None,
    waits: Annotated[
        Path | None,
        typer.Option(
            "--waits", help="Write expected waits per station and hour (JSON, for planning)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate the station network: queues, refused fills, stock-outs, trailers."""
    if ctx.invoked_subcommand is not None:
        return

    def run() -> SimulationResult:
        report_path = check_output_file(report, "--report")
        waits_path = check_output_file(waits, "--waits")
        options = SimulateOptions.build(
            scenario=scenario,
            stations=str(stations) if stations else None,
            plan=str(plan) if plan else None,
            arrivals=str(arrivals) if arrivals else None,
            arrivals_per_day=arrivals_per_day,
            fill_kg=fill_kg,
            fill_dist=fill_dist,
            days=days,
            warmup_days=warmup_days,
            repeat_every_days=repeat_every_days,
            start=start,
            seed=seed,
            trailer_mode=trailer_mode,
            outages=str(outages) if outages else None,
            target_p95_min=target_p95_min,
            max_refused_share=max_refused,
        )
        with progress_bar(not as_json) as progress:
            c = Context(
                scenario_spec=options.scenario, stations_file=options.stations, progress=progress
            )
            result = simulate_network(options, c)
        if report_path is not None:
            from h2lane.supply.report import simulation_html

            write_text(report_path, simulation_html(result), "--report")
            result.summary["report"] = str(report_path)
        if waits_path is not None:
            write_text(waits_path, dumps(result.waits) + "\n", "--waits")
            result.summary["waits_file"] = str(waits_path)
        return result

    result = guarded(run, as_json)
    if as_json:
        emit(result.summary)
    else:
        print_simulation(result.summary)


def print_simulation(doc: dict) -> None:
    n = doc["network"]
    console.print(
        f"[bold]Simulation[/] {doc['scenario']}: {doc['days']:g} days from {doc['start']} "
        f"(arrivals: {doc['arrivals']}; {doc['trailer_mode']} trailers)"
    )
    t = Table(
        "station",
        "fills",
        "refused",
        "wait p50",
        "p95",
        "max (min)",
        "stock-out h",
        "util.",
        "kg",
        "deliveries",
    )
    for s in doc["stations"]:
        t.add_row(
            s["station_id"],
            str(s["fills"]),
            str(s["refused"]),
            f"{s['wait_p50_min']:.1f}",
            f"{s['wait_p95_min']:.1f}",
            f"{s['wait_max_min']:.1f}",
            f"{s['stockout_h']:.1f}",
            f"{s['utilisation']:.0%}",
            f"{s['kg_dispensed']:,.0f}",
            str(s["deliveries"]),
        )
    console.print(t)
    b = doc["balance"]
    console.print(
        f"Network: {n['fills']:,} fills, {n['refused']:,} refused ({n['refused_share']:.1%}), wait p95 "
        f"{n['wait_p95_min']:.1f} min, {n['kg_dispensed']:,.0f} kg; {n['trailers']} trailers "
        f"({n['trailer_utilisation']:.0%} busy), {n['trailer_trips']:,} deliveries, "
        f"{n['trailer_km']:,.0f} km ({n['trailer_km_per_kg']:.3f} km/kg). Balance: produced "
        f"{b['produced_kg']:,.1f} kg = dispensed {b['dispensed_kg']:,.1f} + Δ storage "
        f"{b['storage_change_kg']:,.1f} + Δ trailers {b['trailer_change_kg']:,.1f} (residual "
        f"{b['residual_g']} g). {doc['events']:,} events."
    )
    cp = doc.get("capacity_proposals")
    if cp:
        console.print(
            f"[bold]Capacity proposals[/] (p95 ≤ {cp['target_p95_min']:g} min, refused ≤ "
            f"{cp['max_refused_share']:.0%}): {'met' if cp['met'] else 'NOT met'}"
        )
        for s in cp["stations"]:
            console.print(
                f"  {s['station_id']}: dispensers {s['dispensers'][0]} → {s['dispensers'][1]}, "
                f"storage {s['storage_kg'][0]:,.0f} → {s['storage_kg'][1]:,.0f} kg"
            )
        for site, k in cp["trailers_added"].items():
            console.print(f"  {site}: +{k} trailer(s)")
    for key in ("report", "waits_file"):
        if key in doc:
            console.print(f"Written: [bold]{doc[key]}[/]")


@app.command("station")
def station(
    dispensers: Annotated[
        int, typer.Option("--dispensers", help="Dispensers (parallel fills).", min=1, max=100)
    ],
    arrivals_per_hour: Annotated[
        float, typer.Option("--arrivals-per-hour", help="Poisson arrival rate, trucks/h.")
    ],
    fill_kg: Annotated[float, typer.Option("--fill-kg", help="Mean kg per fill.")],
    nozzle_g_s: Annotated[float, typer.Option("--nozzle-g-s", help="Nozzle flow, g/s.")],
    fill_dist: Annotated[
        str, typer.Option("--fill-dist", help="fixed or exponential fill sizes.")
    ] = "fixed",
    connect_min: Annotated[
        float, typer.Option("--connect-min", help="Connect/pay time per fill, min.")
    ] = 0.0,
    hours: Annotated[
        float, typer.Option("--hours", help="Hours measured after the warm-up.")
    ] = 1000.0,
    warmup_hours: Annotated[
        float, typer.Option("--warmup-hours", help="Hours simulated first, not measured.")
    ] = 50.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
    storage_kg: Annotated[
        float | None,
        typer.Option(
            "--storage-kg", help="Finite storage (default unlimited), refilled by a compressor."
        ),
    ] = None,
    compressor_kg_h: Annotated[
        float | None,
        typer.Option(
            "--compressor-kg-h",
            help="With --storage-kg: compressor kg/h (default: mean demand × 24 ÷ 20 h).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """One always-open station with Poisson arrivals; JSON: fills, mean_wait_min, p95_wait_min, p_wait, utilisation."""

    def run() -> dict:
        checks = (
            ("--arrivals-per-hour", arrivals_per_hour, 0, 10000),
            ("--fill-kg", fill_kg, 0, 500),
            ("--nozzle-g-s", nozzle_g_s, 0, 2000),
            ("--hours", hours, 0, 1e6),
        )
        for name, value, lo, hi in checks:
            if not (lo < value <= hi):
                raise RequestError(
                    f"{name} must be above {lo:g} and at most {hi:g} (got {value:g})", name
                )
        if not 0 <= connect_min <= 240:
            raise RequestError(
                f"--connect-min must be from 0 to 240 (got {connect_min:g})", "connect_min"
            )
        if not 0 <= warmup_hours <= 1e5:
            raise RequestError(
                f"--warmup-hours must be from 0 to 100000 (got {warmup_hours:g})", "warmup_hours"
            )
        if fill_dist not in ("fixed", "exponential"):
            raise RequestError(
                f"--fill-dist must be fixed or exponential (got {fill_dist!r})", "fill_dist"
            )
        if compressor_kg_h is not None and compressor_kg_h < 0:
            raise RequestError("--compressor-kg-h must be 0 or more", "compressor_kg_h")
        if arrivals_per_hour * (hours + warmup_hours) > 5e6:
            raise RequestError(
                "--arrivals-per-hour × (--hours + --warmup-hours) is above 5,000,000 "
                "trucks: shorten the run",
                "hours",
            )
        study = StationStudy(
            dispensers,
            arrivals_per_hour,
            fill_kg,
            nozzle_g_s,
            fill_dist,  # type: ignore[arg-type]
            connect_min,
            hours,
            warmup_hours,
            seed,
            storage_kg,
            compressor_kg_h,
        )
        return simulate_station(study)

    out = guarded(run, as_json)
    if as_json:
        emit(out)
        return
    th = out["theory"] or {}
    console.print(
        f"[bold]Single station[/]: {out['fills']:,} fills over {hours:g} h (seed {seed}); mean wait "
        f"{out['mean_wait_min']:.2f} ± {out['mean_wait_se_min']:.2f} min, p95 {out['p95_wait_min']:.2f} "
        f"min, P(wait) {out['p_wait']:.3f}, utilisation {out['utilisation']:.3f}"
        + (f", refused {out['refused']}" if out["refused"] else "")
    )
    if "mean_wait_min" in th:
        console.print(
            f"Theory ({th['model']}): mean wait {th['mean_wait_min']:.2f} min, P(wait) "
            f"{th['p_wait']:.3f}, utilisation {th['utilisation']:.3f}"
        )
    else:
        console.print(f"Theory: {th.get('model', 'none')}")
