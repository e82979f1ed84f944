"""Truck arrivals at stations: a Poisson profile per hour of day, an arrivals CSV, or a plan.

Every source gives, per station, arrival times in seconds after the simulation start and the
kg each truck wants. Random draws come from one ``numpy`` generator per station, spawned from
the seed in station order, so a run is reproducible and adding a station does not change the
draws of the others.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np

from h2lane.errors import InputFileError
from h2lane.plan import PlanDocument
from h2lane.supply.sim import DAY, HOUR, Arrivals
from h2lane.timeutil import parse_datetime

FillDist = Literal["fixed", "exponential"]


def station_generators(seed: int, n: int) -> list[np.random.Generator]:
    """One independent generator per station, from one seed."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def poisson_arrivals(
    rng: np.random.Generator,
    per_hour: Sequence[float],
    hours: float,
    fill_kg: float,
    fill_dist: FillDist = "fixed",
    start_hour: float = 0.0,
) -> Arrivals:
    """Non-homogeneous Poisson arrivals: ``per_hour[h]`` trucks/h during clock hour ``h``.

    ``per_hour`` has 24 values (or one, used for every hour). Counts per clock hour are
    Poisson, times uniform inside the hour — exactly a Poisson process with a piecewise
    constant rate.
    """
    rates = np.asarray(per_hour, dtype=np.float64)
    if rates.size == 1:
        rates = np.full(24, float(rates[0]))
    n_hours = math.ceil(hours)
    clock = (np.arange(n_hours) + round(start_hour)) % 24
    lam = rates[clock]
    counts = rng.poisson(lam)
    starts = np.repeat(np.arange(n_hours, dtype=np.float64) * HOUR, counts)
    times = starts + rng.random(starts.size) * HOUR
    keep = times < hours * HOUR
    times = np.sort(times[keep])
    if fill_dist == "exponential":
        kg = rng.exponential(fill_kg, size=times.size)
    else:
        kg = np.full(times.size, float(fill_kg))
    return Arrivals(times, kg)


def read_arrivals_csv(
    path: str | Path, station_ids: set[str]
) -> list[tuple[str, datetime, float, int]]:
    """Rows ``station_id,time,kg`` of an arrivals CSV, each checked (row numbers 1-based)."""
    display = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(display, "file not found") from None
    except UnicodeDecodeError:
        raise InputFileError(display, "is not UTF-8 text") from None
    except IsADirectoryError:
        raise InputFileError(display, "is a directory, not a CSV file") from None
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    for need in ("station_id", "time", "kg"):
        if need not in fields:
            raise InputFileError(
                display, f"has no '{need}' column (expected station_id,time,kg)", line=1
            )
    rows: list[tuple[str, datetime, float, int]] = []
    for k, raw in enumerate(reader, start=1):
        row = {(key or "").strip(): (v or "").strip() for key, v in raw.items()}
        sid = row["station_id"]
        if sid not in station_ids:
            raise InputFileError(
                display,
                f"station '{sid}' is not a station of the scenario",
                row=k,
                line=k + 1,
                field="station_id",
            )
        when = None
        try:
            when = parse_datetime(row["time"])
        except (ValueError, TypeError):
            when = None
        if when is None:
            raise InputFileError(
                display,
                f"'{row['time']}' is not an ISO 8601 date-time",
                row=k,
                line=k + 1,
                field="time",
            )
        try:
            kg = float(row["kg"])
        except ValueError:
            raise InputFileError(
                display, f"'{row['kg']}' is not a number", row=k, line=k + 1, field="kg"
            ) from None
        if not math.isfinite(kg) or kg <= 0 or kg > 500:
            raise InputFileError(
                display,
                f"kg must be above 0 and at most 500 (got {row['kg']})",
                row=k,
                line=k + 1,
                field="kg",
            )
        rows.append((sid, when, kg, k))
    if not rows:
        raise InputFileError(display, "has no arrival rows")
    return rows


def plan_stops(
    plan: PlanDocument, station_ids: set[str], source: str
) -> list[tuple[str, datetime, float, int]]:
    """Every refuelling stop of a plan document: (station, arrival time, kg, stop number)."""
    rows: list[tuple[str, datetime, float, int]] = []
    n = 0
    for r, route in enumerate(plan.routes):
        for s, stop in enumerate(route.stops):
            n += 1
            where = f"routes[{r}].stops[{s}]"
            if stop.station_id not in station_ids:
                raise InputFileError(
                    source,
                    f"station '{stop.station_id}' is not a station of the scenario",
                    field=f"{where}.station_id",
                )
            if stop.arrive is None:
                raise InputFileError(
                    source,
                    "has no clock times (a benchmark VRP plan cannot be simulated)",
                    field=f"{where}.arrive",
                )
            if stop.refuel_kg > 0:
                rows.append((stop.station_id, stop.arrive, float(stop.refuel_kg), n))
    if not rows:
        raise InputFileError(source, "has no refuelling stops to simulate", field="routes")
    return rows


def midnight(t: datetime) -> datetime:
    """00:00 of ``t``'s day in its own zone."""
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def timed_arrivals(
    rows: list[tuple[str, datetime, float, int]],
    start: datetime,
    horizon_h: float,
    every_days: float | None,
) -> dict[str, Arrivals]:
    """Arrivals from timed rows; repeated every ``every_days`` to fill the horizon if given."""
    per: dict[str, tuple[list[float], list[float]]] = {}
    horizon = horizon_h * HOUR
    for sid, when, kg, _ in rows:
        t = (when - start).total_seconds()
        copies = 1 if not every_days else math.ceil(horizon / (every_days * DAY)) + 1
        for c in range(copies):
            tc = t + c * (every_days or 0.0) * DAY
            if 0 <= tc < horizon:
                times, kgs = per.setdefault(sid, ([], []))
                times.append(tc)
                kgs.append(kg)
    return {sid: Arrivals(np.array(t), np.array(k)) for sid, (t, k) in per.items()}


def span_days(rows: list[tuple[str, datetime, float, int]], start: datetime) -> float:
    """Whole days from ``start`` that cover every row (at least 1)."""
    last = max(when for _, when, _, _ in rows)
    return max(1.0, math.ceil((last - start) / timedelta(days=1) + 1e-9))
