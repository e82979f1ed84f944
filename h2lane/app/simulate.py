"""Use cases: simulate the station network (``h2lane simulate``) and one station
(``h2lane simulate station``)."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from h2lane import OSM_ATTRIBUTION, params
from h2lane.app.context import DEFAULT_SCENARIO, Context
from h2lane.app.requests import Request, RequestError
from h2lane.app.supply import SupplyOptions, SupplyResult, emissions_feed, plan_supply, supply_dict
from h2lane.errors import InputFileError
from h2lane.plan import read_plan_file
from h2lane.supply.arrivals import (
    midnight,
    plan_stops,
    poisson_arrivals,
    read_arrivals_csv,
    span_days,
    station_generators,
    timed_arrivals,
)
from h2lane.supply.feedback import capacity_round, waits_document
from h2lane.supply.network import site_specs, station_specs
from h2lane.supply.results import balance_kg, hourly_waits, network_stats, station_stats
from h2lane.supply.sim import Arrivals, Network, SimSettings
from h2lane.supply.study import StationStudy, run_station_study
from h2lane.timeutil import CHINA, iso, parse_datetime, today


class SimulateOptions(Request):
    """What ``h2lane simulate`` asks for (keys are the CLI's long options)."""

    scenario: str = DEFAULT_SCENARIO
    stations: str | None = None
    plan: str | None = Field(default=None, description="plan document: its stops are the arrivals")
    arrivals: str | None = Field(default=None, description="CSV station_id,time,kg")
    arrivals_per_day: float | None = Field(default=None, gt=0, le=10000)
    fill_kg: float = Field(default=params.TRUCK_FILL_KG.value, gt=0, le=500)
    fill_dist: Literal["fixed", "exponential"] = "fixed"
    days: float | None = Field(default=None, gt=0, le=3660)
    warmup_days: float = Field(default=0.0, ge=0, le=365)
    repeat_every_days: float | None = Field(default=None, gt=0, le=366)
    start: str | None = None
    seed: int = Field(default=1, ge=0)
    trailer_mode: Literal["swap", "unload"] = "swap"
    outages: str | None = Field(default=None, description="CSV station_id,start,hours")
    target_p95_min: float | None = Field(default=None, gt=0, le=1440)
    max_refused_share: float = Field(default=0.01, ge=0, le=1)
    proposal_rounds: int = Field(default=4, ge=1, le=20)


@dataclass(slots=True)
class SimulationResult:
    """The answer: statistics, series for the report, the supply plan it ran on."""

    summary: dict[str, Any]
    series: dict[str, dict[str, Any]] = field(default_factory=dict)
    waits: dict[str, Any] = field(default_factory=dict)
    supply: SupplyResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.summary


def _start(o: SimulateOptions, default: datetime) -> datetime:
    if o.start is None:
        return default
    t = parse_datetime(o.start)
    if t is None:
        raise RequestError(f"--start: '{o.start}' is not an ISO 8601 date-time", "start")
    return t


def read_outages(path: str, ids: set[str], start: datetime) -> dict[str, list[tuple[float, float]]]:
    """``station_id,start,hours`` rows → outage intervals in s after the simulation start."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(path, "file not found") from None
    except UnicodeDecodeError:
        raise InputFileError(path, "is not UTF-8 text") from None
    except IsADirectoryError:
        raise InputFileError(path, "is a directory, not a CSV file") from None
    reader = csv.DictReader(io.StringIO(text))
    cols = [c.strip() for c in reader.fieldnames or []]
    for need in ("station_id", "start", "hours"):
        if need not in cols:
            raise InputFileError(
                path, f"has no '{need}' column (expected station_id,start,hours)", line=1
            )
    out: dict[str, list[tuple[float, float]]] = {}
    for k, raw in enumerate(reader, start=1):
        row = {(a or "").strip(): (b or "").strip() for a, b in raw.items()}
        if row["station_id"] not in ids:
            raise InputFileError(
                path,
                f"station '{row['station_id']}' is not a station of the scenario",
                row=k,
                line=k + 1,
                field="station_id",
            )
        when = parse_datetime(row["start"])
        if when is None:
            raise InputFileError(
                path,
                f"'{row['start']}' is not an ISO 8601 date-time",
                row=k,
                line=k + 1,
                field="start",
            )
        try:
            hours = float(row["hours"])
        except ValueError:
            hours = math.nan
        if not math.isfinite(hours) or hours <= 0 or hours > 24 * 366:
            raise InputFileError(
                path,
                f"hours must be above 0 and at most 8784 (got '{row['hours']}')",
                row=k,
                line=k + 1,
                field="hours",
            )
        a = (when - start).total_seconds()
        out.setdefault(row["station_id"], []).append((a, a + hours * 3600.0))
    return out


def build_arrivals(
    o: SimulateOptions, ctx: Context
) -> tuple[dict[str, Arrivals], datetime, float, str]:
    """Arrivals per station, the start, the horizon (h) and a description of the source."""
    stations = ctx.stations
    ids = {s.id for s in stations}
    given = [
        n
        for n, v in (
            ("--plan", o.plan),
            ("--arrivals", o.arrivals),
            ("--arrivals-per-day", o.arrivals_per_day),
        )
        if v is not None
    ]
    if len(given) > 1:
        raise RequestError(f"give one arrivals source, not {' and '.join(given)}", "plan")
    if o.plan is not None or o.arrivals is not None:
        if o.plan is not None:
            rows = plan_stops(read_plan_file(o.plan), ids, o.plan)
            what = f"plan {o.plan}"
        else:
            assert o.arrivals is not None
            rows = read_arrivals_csv(o.arrivals, ids)
            what = f"arrivals file {o.arrivals}"
        start = _start(o, midnight(min(w for _, w, _, _ in rows)))
        cover = span_days(rows, start)
        days = o.days if o.days is not None else cover
        every = o.repeat_every_days
        if every is None and o.plan is not None and days > cover:
            every = cover  # the plan's cycle, repeated to fill the horizon
        if every is None:
            for sid, when, _, k in rows:
                t = (when - start).total_seconds() / 3600.0
                if not 0 <= t < days * 24:
                    raise InputFileError(
                        o.arrivals or o.plan or "",
                        f"{sid} at {iso(when)} is outside the simulated "
                        f"period {iso(start)} + {days:g} day(s) (set --start and --days)",
                        row=k if o.arrivals else None,
                    )
        arr = timed_arrivals(rows, start, (days + o.warmup_days) * 24.0, every)
        if every:
            what += f", repeated every {every:g} day(s)"
        return arr, start, days * 24.0, what
    start = _start(o, datetime.combine(today(), datetime.min.time(), tzinfo=CHINA))
    days = o.days if o.days is not None else 7.0
    per_day = o.arrivals_per_day if o.arrivals_per_day is not None else None
    gens = station_generators(o.seed, len(stations))
    out: dict[str, Arrivals] = {}
    total_h = (days + o.warmup_days) * 24.0
    for st, rng in zip(stations, gens, strict=False):
        open_h, close_h = st.open_window_h()
        span = close_h - open_h
        n = per_day if per_day is not None else st.capacity_kg_per_day / o.fill_kg
        rates = [0.0] * 24
        for h in range(24):
            # share of clock hour h inside the opening window (an overnight window wraps)
            cover = sum(max(0.0, min(h + 1 + d, close_h) - max(h + d, open_h)) for d in (0, 24))
            rates[h] = n / span * cover
        out[st.id] = poisson_arrivals(
            rng, rates, total_h, o.fill_kg, o.fill_dist, start.hour + start.minute / 60.0
        )
    what = (
        f"Poisson, {per_day:g} trucks/day per station"
        if per_day is not None
        else "Poisson, each station's capacity_kg_per_day ÷ fill kg trucks/day"
    )
    return out, start, days * 24.0, what + f" over opening hours, seed {o.seed}"


def simulate_network(o: SimulateOptions, ctx: Context | None = None) -> SimulationResult:
    """Supply plan for the simulated demand, then the SimPy run; capacity proposals on request."""
    ctx = ctx or Context(scenario_spec=o.scenario, stations_file=o.stations)
    arrivals, start, horizon_h, source = build_arrivals(o, ctx)
    stations = ctx.stations
    ids = {s.id for s in stations}
    warm_h = o.warmup_days * 24.0
    total_h = horizon_h + warm_h
    sim_start = start  # arrivals were placed after `start`; the warm-up comes after it too
    demand = {sid: float(a.kg.sum()) / (total_h / 24.0) for sid, a in arrivals.items()}
    supply = plan_supply(
        SupplyOptions.build(scenario=o.scenario, stations=o.stations, trailer_mode=o.trailer_mode),
        ctx,
        demand={s: demand.get(s, 0.0) for s in ids},
        demand_source=f"the simulated arrivals ({source})",
    )
    outages = read_outages(o.outages, ids, sim_start) if o.outages else {}
    settings = SimSettings(
        horizon_h=total_h,
        warmup_h=warm_h,
        start_hour=sim_start.hour + sim_start.minute / 60.0,
        trailer_mode=o.trailer_mode,
    )
    site_ids = [s.id for s in ctx.scenario.production_sites]

    def run(
        overrides: dict[str, dict[str, float]], extra: dict[str, int], label: str
    ) -> tuple[Network, list[dict[str, Any]]]:
        specs = station_specs(
            stations, supply.plan, supply.geometry.km, site_ids, outages, overrides
        )
        net = Network(
            specs,
            arrivals,
            site_specs(ctx.scenario, supply.plan, extra),
            settings,
            progress=lambda d, t: ctx.report(label, d, t),
        )
        net.run()
        return net, [station_stats(st, net) for st in net.stations]

    net, stats = run({}, {}, "simulating")
    summary = _summary(o, net, stats, supply, sim_start, horizon_h, source)
    series = {st.spec.id: _series(st) for st in net.stations}
    waits = waits_document(net, sim_start, source, o.seed)
    summary["station_waits"] = {"kind": waits["kind"], "stations": len(waits["stations"])}
    if o.target_p95_min is not None:
        overrides: dict[str, dict[str, float]] = {}
        extra: dict[str, int] = {}
        rounds: list[dict[str, Any]] = []
        unsupplied: set[str] = set()
        cur = stats
        met = False
        for k in range(o.proposal_rounds):
            changed = capacity_round(
                cur, net, o.target_p95_min, o.max_refused_share, overrides, extra, unsupplied
            )
            if not changed:
                met = not unsupplied
                break
            net2, cur = run(overrides, extra, f"proposal round {k + 1}")
            rounds.append(
                {
                    "round": k + 1,
                    "wait_p95_min": network_stats(net2, cur)["wait_p95_min"],
                    "refused": sum(s["refused"] for s in cur),
                }
            )
            net = net2
        else:
            met = not capacity_round(cur, net, o.target_p95_min, o.max_refused_share, {}, {}, set())
        base = {s.id: s for s in stations}
        summary["capacity_proposals"] = {
            "target_p95_min": o.target_p95_min,
            "max_refused_share": o.max_refused_share,
            "met": met,
            "rounds": rounds,
            "stations": [
                {
                    "station_id": sid,
                    "dispensers": [
                        base[sid].dispensers,
                        int(v.get("dispensers", base[sid].dispensers)),
                    ],
                    "storage_kg": [base[sid].storage_kg, v.get("storage_kg", base[sid].storage_kg)],
                    "compressor_kg_h": [
                        base[sid].capacity_kg_per_day / params.COMPRESSOR_RUN_H_PER_DAY.value,
                        v.get(
                            "compressor_kg_h",
                            base[sid].capacity_kg_per_day / params.COMPRESSOR_RUN_H_PER_DAY.value,
                        ),
                    ],
                    "after": next(
                        {"wait_p95_min": s["wait_p95_min"], "refused_share": s["refused_share"]}
                        for s in cur
                        if s["station_id"] == sid
                    ),
                }
                for sid, v in sorted(overrides.items())
            ],
            "trailers_added": extra,
            "unsupplied": [
                {"station_id": u.station_id, "reason": u.reason}
                for u in supply.plan.unserved
                if u.station_id in unsupplied
            ],
            "note": "[before, after]; each round adds a dispenser where p95 wait is over the "
            "target, and storage, compressor and a trailer where fills are refused; re-simulated "
            "with the same arrivals",
        }
    return SimulationResult(summary, series, waits, supply)


def _series(st: Any) -> dict[str, Any]:
    return {
        "queue_max": st.q_max.tolist(),
        "storage_kg": [None if math.isnan(x) else x for x in st.store_kg.tolist()],
        "waits_min": [w / 60.0 for w in st.waits],
        "storage_cap_kg": st.spec.storage_kg,
        "name": st.spec.name,
    }


def _summary(
    o: SimulateOptions,
    net: Network,
    stats: list[dict[str, Any]],
    supply: SupplyResult,
    start: datetime,
    horizon_h: float,
    source: str,
) -> dict[str, Any]:
    netw = network_stats(net, stats)
    return {
        "kind": "simulation",
        "scenario": supply.scenario,
        "start": iso(start),
        "days": horizon_h / 24.0,
        "warmup_days": o.warmup_days,
        "seed": o.seed,
        "arrivals": source,
        "trailer_mode": o.trailer_mode,
        "network": netw,
        "balance": balance_kg(net),
        "emissions_feed": emissions_feed(netw["trailer_km_per_kg"], netw["trailer_payload_kg"]),
        "stations": stats,
        "hourly_waits": {st.spec.id: hourly_waits(st) for st in net.stations},
        "supply": supply_dict(supply),
        "events": net.events,
        "model": {
            "fills": "FCFS over the dispensers; connect + kg ÷ nozzle flow; kg leave storage at "
            "the start; a fill storage cannot cover is refused",
            "trailers": "swap: a full trailer replaces the one on the bay, which returns with its "
            "rest; unload: the trailer stays until the compressor has emptied it",
            "waits": "minutes from arrival to the start of the fill; hourly_waits exclude waiting "
            "for opening hours (queue and outages only), by clock hour of arrival",
            "stockout": "hours with storage above its minimum below one typical fill "
            f"({params.TRUCK_FILL_KG.value:g} kg)",
        },
        "road_data": OSM_ATTRIBUTION,
    }


def simulate_station(study: StationStudy) -> dict[str, Any]:
    """The single-station study (see :mod:`h2lane.supply.study`)."""
    if study.storage_kg is not None and study.storage_kg <= 0:
        raise RequestError("--storage-kg must be above 0", "storage_kg")
    return run_station_study(study)
