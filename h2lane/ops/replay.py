"""Fleet replay: drive a plan's trucks along their roads and emit the telemetry they would send.

Each route of a plan document becomes a truck that leaves at the route's departure, drives its
legs on the road graph at the plan's pace (stopping for the planned breaks and daily rests),
waits and refuels at the planned stations (the hydrogen level rises over the refuel minutes),
and reports position, speed, hydrogen and odometer every ``interval_s`` simulated seconds, with
seeded noise (GPS σ ≈ 5 m, level σ 0.1 kg). Each station the plan refuels at reports its gas
detectors (``D1`` dispenser, ``D2`` compressor) every ``station_interval_s``, and the fill while
one of the plan's trucks is at its nozzle. Faults can be injected:

* ``leak:STATION@MIN`` — detector ``D1`` rises 0.1 % vol per minute from MIN minutes after the
  plan's start to 2.5 % vol, holds 30 min, falls back over 10 min (the whole alarm ladder);
* ``silent-detector:STATION:TAG@MIN`` — the detector stops reporting;
* ``silent:DEVICE@MIN`` — the device stops sending;
* ``h2-drop:TRUCK@MIN`` — the truck loses 0.3 kg/min beyond its consumption (a leak).

Messages come out in time order; :func:`send_http` and :func:`send_mqtt` pace them by
``speedup`` (simulated seconds per real second).
"""

from __future__ import annotations

import bisect
import heapq
import json
import math
import time as walltime
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from h2lane.errors import InputError, OptionError
from h2lane.roads.geo import haversine_km
from h2lane.roads.graph import RoadGraph
from h2lane.timeutil import CHINA

LEAK_RAMP_PCT_PER_MIN = 0.1
LEAK_PEAK_PCT = 2.5
LEAK_HOLD_MIN = 30.0
LEAK_FALL_MIN = 10.0
DROP_KG_PER_MIN = 0.3
FAULT_KINDS = ("leak", "silent-detector", "silent", "h2-drop")


@dataclass(frozen=True, slots=True)
class Fault:
    """An injected fault: kind, target device (and detector tag), minutes after the start."""

    kind: str
    device: str
    after_min: float
    tag: str = ""

    @classmethod
    def parse(cls, text: str) -> Fault:
        """``KIND:DEVICE[:TAG][@MIN]``, e.g. ``leak:yangquan@90``."""
        spec, _, after = text.partition("@")
        parts = spec.split(":")
        if parts[0] not in FAULT_KINDS or len(parts) < 2 or not parts[1]:
            raise OptionError(
                f"--fault {text!r}: use KIND:DEVICE[@MIN] with KIND one of {', '.join(FAULT_KINDS)}"
            )
        tag = parts[2] if len(parts) > 2 else ""
        if parts[0] == "silent-detector" and not tag:
            raise OptionError(f"--fault {text!r}: silent-detector needs STATION:TAG")
        try:
            minutes = float(after) if after else 0.0
        except ValueError:
            raise OptionError(f"--fault {text!r}: the minutes after @ must be a number") from None
        if minutes < 0:
            raise OptionError(f"--fault {text!r}: the minutes after @ must be ≥ 0")
        return cls(parts[0], parts[1], minutes, tag)


@dataclass(slots=True)
class PlannedTruck:
    """A plan route as keyframes (seconds after the plan's start, km along the route, kg H2)
    and its road polyline: where the truck should be, and with how much hydrogen, when."""

    device: str
    times: list[float]  # seconds after the plan's start, keyframes
    km: list[float]
    h2: list[float]
    line: np.ndarray  # (n, 2) lat, lon along the route
    line_km: np.ndarray  # cumulative km along ``line``
    scale: float  # line km per plan km
    fills: list[tuple[float, float, str]] = field(default_factory=list)  # start, end, station
    route: int = -1  # index of the route in the plan document
    coslat: float = field(init=False, default=1.0)  # x scale of the planar projection

    def __post_init__(self) -> None:
        self.coslat = math.cos(math.radians(float(np.mean(self.line[:, 0]))))

    def advance(
        self, seg: int, at: float, lat: float, lon: float, ahead_km: float
    ) -> tuple[int, float]:
        """Project a position onto the polyline from segment ``seg`` (line km ``at``) onwards,
        looking at most ``ahead_km`` plan km further along; never back. The new
        ``(segment, line km)``."""
        line, line_km = self.line, self.line_km
        coslat = self.coslat
        reach = at + ahead_km * self.scale
        end = min(len(line) - 1, int(np.searchsorted(line_km, reach, "right")) + 1)
        end = max(end, min(seg + 1, len(line) - 1))
        if end <= seg:
            return seg, at
        ax, ay = line[seg:end, 1] * coslat, line[seg:end, 0]
        bx, by = line[seg + 1 : end + 1, 1] * coslat, line[seg + 1 : end + 1, 0]
        px, py = lon * coslat, lat
        dx, dy = bx - ax, by - ay
        l2 = dx * dx + dy * dy
        t = np.where(l2 > 0, ((px - ax) * dx + (py - ay) * dy) / np.where(l2 > 0, l2, 1.0), 0.0)
        t = np.clip(t, 0.0, 1.0)
        k = int(np.argmin((ax + t * dx - px) ** 2 + (ay + t * dy - py) ** 2))
        km = float(line_km[seg + k] + t[k] * (line_km[seg + k + 1] - line_km[seg + k]))
        return (seg + k, km) if km >= at else (seg, at)

    def at(self, t: float) -> tuple[float, float, float, float]:
        """(lat, lon, km, h2) at ``t`` seconds."""
        i = max(0, min(len(self.times) - 2, bisect.bisect_right(self.times, t) - 1))
        t0, t1 = self.times[i], self.times[i + 1]
        f = 0.0 if t1 <= t0 else min(1.0, max(0.0, (t - t0) / (t1 - t0)))
        km = self.km[i] + f * (self.km[i + 1] - self.km[i])
        h2 = self.h2[i] + f * (self.h2[i + 1] - self.h2[i])
        pos = min(km * self.scale, float(self.line_km[-1]))
        j = max(0, min(len(self.line_km) - 2, int(np.searchsorted(self.line_km, pos, "right")) - 1))
        seg = self.line_km[j + 1] - self.line_km[j]
        g = 0.0 if seg <= 0 else (pos - self.line_km[j]) / seg
        lat, lon = self.line[j] + g * (self.line[j + 1] - self.line[j])
        return float(lat), float(lon), km, h2


def _secs(value: Any, start: datetime) -> float:
    return (value - start).total_seconds()


def _line_km(line: np.ndarray) -> np.ndarray:
    """Cumulative great-circle km along a ``(n, 2)`` lat/lon polyline."""
    steps = haversine_km(line[:-1, 0], line[:-1, 1], line[1:, 0], line[1:, 1])
    return np.concatenate([[0.0], np.cumsum(steps)])


def plan_trucks(
    document: dict[str, Any], graph: RoadGraph
) -> tuple[datetime, datetime, list[PlannedTruck]]:
    """The plan's start, end and one :class:`PlannedTruck` per route with clock times."""
    from h2lane.app.geometry import route_lines
    from h2lane.plan import PlanDocument

    doc = PlanDocument.model_validate(document)
    departs = [r.depart for r in doc.routes if r.depart is not None]
    arrives = [r.arrive for r in doc.routes if r.arrive is not None]
    if not doc.routes or not departs or not arrives:
        raise InputError(
            "the plan has no routes with clock times to replay (VRP benchmark plans have none)"
        )
    start, end = min(departs), max(arrives)
    lines = route_lines(document, graph)
    trucks: list[PlannedTruck] = []
    for i, route in enumerate(doc.routes):
        if route.depart is None or route.arrive is None:
            continue
        device = (
            route.truck_id or (route.truck.truck_id if route.truck else None) or f"truck-{i + 1}"
        )
        frames: list[tuple[float, float, float]] = [
            (_secs(route.depart, start), 0.0, route.start_kg or 0.0)
        ]
        fills: list[tuple[float, float, str]] = []
        events: list[tuple[float, int, Any]] = [(s.km_from_start, 1, s) for s in route.stops]
        events += [(b.km_from_start, 0, b) for b in route.breaks if b.station_id is None]
        leg_start = 0.0
        for leg in route.legs:
            rate = leg.h2_kg / leg.distance_km if leg.distance_km > 0 else 0.0
            leg_end = leg_start + leg.distance_km
            if leg.depart is not None:
                t = _secs(leg.depart, start)
                if t > frames[-1][0]:
                    frames.append((t, frames[-1][1], frames[-1][2]))
            for km, kind, ev in sorted(
                e for e in events if leg_start - 1e-6 <= e[0] < leg_end - 1e-6
            ):
                h2 = frames[-1][2] - rate * (km - frames[-1][1])
                if kind == 1 and ev.arrive is not None and ev.depart is not None:
                    t = _secs(ev.arrive, start)
                    frames.append((t, km, ev.arrive_kg))
                    f0 = t + ev.wait_min * 60.0
                    f1 = f0 + ev.refuel_min * 60.0
                    frames += [(f0, km, ev.arrive_kg), (f1, km, ev.depart_kg)]
                    frames.append((max(f1, _secs(ev.depart, start)), km, ev.depart_kg))
                    fills.append((f0, f1, ev.station_id))
                elif kind == 0 and ev.start is not None:
                    t = _secs(ev.start, start)
                    frames += [(t, km, h2), (t + ev.minutes * 60.0, km, h2)]
            if leg.arrive is not None:
                h2 = frames[-1][2] - rate * (leg_end - frames[-1][1])
                frames.append((_secs(leg.arrive, start), leg_end, max(0.0, h2)))
            leg_start = leg_end
        frames.sort(key=lambda f: f[0])
        coords = (
            np.asarray(lines[i]["coordinates"], dtype=float) if lines[i]["coordinates"] else None
        )
        if coords is None or len(coords) < 2:
            continue
        cum = _line_km(coords)
        scale = float(cum[-1]) / max(route.distance_km, 1e-9)
        trucks.append(
            PlannedTruck(
                device,
                [f[0] for f in frames],
                [f[1] for f in frames],
                [f[2] for f in frames],
                coords,
                cum,
                scale,
                fills,
                i,
            )
        )
    return start, end, trucks


def _leak_level(minutes_since: float) -> float:
    if minutes_since < 0:
        return 0.0
    rise = LEAK_PEAK_PCT / LEAK_RAMP_PCT_PER_MIN
    if minutes_since <= rise:
        return LEAK_RAMP_PCT_PER_MIN * minutes_since
    if minutes_since <= rise + LEAK_HOLD_MIN:
        return LEAK_PEAK_PCT
    fall = minutes_since - rise - LEAK_HOLD_MIN
    return max(0.0, LEAK_PEAK_PCT * (1.0 - fall / LEAK_FALL_MIN))


def replay_messages(
    document: dict[str, Any],
    graph: RoadGraph,
    *,
    interval_s: float = 60.0,
    station_interval_s: float = 60.0,
    faults: list[Fault] | None = None,
    start_at: datetime | None = None,
    seed: int = 1,
) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """``(time, message)`` pairs in time order for the whole plan (see the module docstring)."""
    if interval_s <= 0 or station_interval_s <= 0:
        raise OptionError("--interval must be > 0 seconds")
    plan_start, plan_end, trucks = plan_trucks(document, graph)
    t0 = start_at or plan_start
    rng = np.random.default_rng(seed)
    faults = faults or []
    known = {t.device for t in trucks} | {s for t in trucks for *_, s in t.fills}
    for f in faults:
        if f.device not in known:
            raise OptionError(
                f"--fault {f.kind}:{f.device}: the plan has no truck or station {f.device!r}"
            )
    horizon = (plan_end - plan_start).total_seconds()

    def silent_after(device: str) -> float:
        times = [f.after_min * 60 for f in faults if f.kind == "silent" and f.device == device]
        return min(times) if times else math.inf

    def truck_stream(
        truck: PlannedTruck, index: int
    ) -> Iterator[tuple[float, int, dict[str, Any]]]:
        quiet = silent_after(truck.device)
        drops = [
            f.after_min * 60 for f in faults if f.kind == "h2-drop" and f.device == truck.device
        ]
        odo0 = 100_000.0 + 1_000.0 * index
        t = truck.times[0]
        last_km, last_t = None, t
        n = 0
        end = truck.times[-1]
        while t <= end + 1e-9:
            if t >= quiet:
                return
            lat, lon, km, h2 = truck.at(t)
            if drops and t > drops[0]:
                h2 = max(0.0, h2 - DROP_KG_PER_MIN * (t - drops[0]) / 60.0)
            gap_h = max(t - last_t, 1.0) / 3600.0
            speed = 0.0 if last_km is None else max(0.0, (km - last_km) / gap_h)
            last_km, last_t = km, t
            n += 1
            msg = {
                "id": f"{truck.device}-{n}",
                "device": truck.device,
                "time": (t0 + timedelta(seconds=t)).isoformat(timespec="seconds"),
                "lat": round(lat + rng.normal(0, 4.5e-5), 6),
                "lon": round(lon + rng.normal(0, 5.7e-5), 6),
                "h2_kg": round(max(0.0, h2 + rng.normal(0, 0.1)), 2),
                "speed_kmh": round(
                    min(250.0, speed * (1 + rng.normal(0, 0.02)) if speed else 0.0), 1
                ),
                "odometer_km": round(odo0 + km, 3),
            }
            yield t, 0, msg
            # the last report is on arrival, not up to one interval before it
            t = end if t < end < t + interval_s else t + interval_s

    def station_stream(sid: str) -> Iterator[tuple[float, int, dict[str, Any]]]:
        quiet = silent_after(sid)
        leaks = [f.after_min for f in faults if f.kind == "leak" and f.device == sid]
        deaf = {
            f.tag: f.after_min * 60
            for f in faults
            if f.kind == "silent-detector" and f.device == sid
        }
        fills = sorted((a, b) for tr in trucks for a, b, s in tr.fills if s == sid)
        t, n = 0.0, 0
        while t <= horizon + 1e-9:
            if t >= quiet:
                return
            d1 = abs(rng.normal(0, 0.005)) + sum(_leak_level(t / 60 - m) for m in leaks)
            detectors = {"D1": round(min(100.0, d1), 3), "D2": round(abs(rng.normal(0, 0.005)), 3)}
            for tag, after in deaf.items():
                if t >= after:
                    detectors.pop(tag, None)
            n += 1
            msg: dict[str, Any] = {
                "id": f"{sid}-{n}",
                "device": sid,
                "time": (t0 + timedelta(seconds=t)).isoformat(timespec="seconds"),
                "detectors": detectors,
            }
            active = [(a, b) for a, b in fills if a <= t <= b]
            if active:
                a, b = active[0]
                frac = (t - a) / max(b - a, 1.0)
                msg["fill"] = {
                    "nozzle": "N1",
                    "gas_temp_c": round(15.0 + 30.0 * frac + rng.normal(0, 0.5), 1),
                    "pressure_mpa": round(10.0 + 25.0 * frac, 2),
                    "nwp_mpa": 35.0,
                }
            if detectors:
                yield t, 1, msg
            t += station_interval_s

    streams = [truck_stream(tr, i) for i, tr in enumerate(trucks)]
    streams += [station_stream(s) for s in sorted({s for tr in trucks for *_, s in tr.fills})]
    for t, _, msg in heapq.merge(*streams, key=lambda x: (x[0], x[1])):
        yield t0 + timedelta(seconds=t), msg


def paced(
    messages: Iterator[tuple[datetime, dict[str, Any]]],
    send: Callable[[list[dict[str, Any]]], None],
    *,
    speedup: float,
    batch_s: float = 1.0,
    sleep: Callable[[float], None] = walltime.sleep,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Send messages in batches of ``batch_s`` real seconds at ``speedup`` (0: no pacing)."""
    sent = 0
    batch: list[dict[str, Any]] = []
    window_end: datetime | None = None
    step = timedelta(seconds=batch_s * max(speedup, 0.0)) if speedup > 0 else None
    for when, msg in messages:
        if step is not None:
            if window_end is None:
                window_end = when + step
            while when >= window_end:
                if batch:
                    send(batch)
                    sent += len(batch)
                    batch = []
                    if progress:
                        progress(sent)
                sleep(batch_s)
                window_end += step
        batch.append(msg)
        if step is None and len(batch) >= 1_000:
            send(batch)
            sent += len(batch)
            batch = []
            if progress:
                progress(sent)
    if batch:
        send(batch)
        sent += len(batch)
        if progress:
            progress(sent)
    return sent


def http_sender(
    url: str, token: str, timeout_s: float = 30.0
) -> Callable[[list[dict[str, Any]]], None]:
    """POST each batch as JSON to ``url`` (the service's ``/api/v1/telemetry``) with the token."""

    def send(batch: list[dict[str, Any]]) -> None:
        body = json.dumps(batch).encode()
        req = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise InputError(f"{url} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise InputError(f"cannot reach {url}: {getattr(exc, 'reason', exc)}") from None

    return send


def local_start() -> datetime:
    """Now in China time, to the second (the default start of a live replay)."""
    return datetime.now(CHINA).replace(microsecond=0)
