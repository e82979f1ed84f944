"""The alarm engine: readings in, alarm conditions raised and cleared out, one per episode.

The engine holds what the rules need to remember (the active conditions, each device's newest
time, a truck's recent hydrogen levels) and nothing about people: acknowledging and resolving
are the alarm log's business (:mod:`h2lane.ops.alarms.lifecycle`). Conditions are keyed by
``(rule, device, subject, level)`` — ``subject`` is a detector tag or a nozzle — so a reading
that stays over a threshold raises once, and a leak that rises raises each rung of the ladder
in order. A reading older than the device's newest (clock skew, a resent batch) may raise a
condition it shows but never clears one: state follows the newest ``time``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Literal

from h2lane.ops.alarms.rules import Level, Rule
from h2lane.ops.telemetry.messages import Reading
from h2lane.params import FCET_H2_LOADED
from h2lane.roads.geo import haversine_km_1

Action = Literal["raise", "clear"]
_MINUTE = timedelta(minutes=1)
Key = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition raised or cleared by a rule."""

    action: Action
    rule: str
    level: Level
    device: str
    subject: str
    time: datetime
    message: str
    value: float | None = None

    @property
    def key(self) -> Key:
        return (self.rule, self.device, self.subject, self.level)


@dataclass(frozen=True, slots=True)
class RefuelEvent:
    """A fill detected from a truck's hydrogen level, matched to a station where one is near."""

    device: str
    start: datetime
    end: datetime
    kg: float
    lat: float
    lon: float
    station: str | None
    station_km: float | None


@dataclass(frozen=True, slots=True)
class ReachVerdict:
    """Whether a truck can still reach an open station, keeping its reserve."""

    reachable: bool
    station: str | None = None
    km: float | None = None
    kg_needed: float | None = None


ReachQuery = Callable[[Reading, float], ReachVerdict | None]
"""(truck reading, reserve kg) → verdict, or None where no answer (off the road graph)."""
NextStopQuery = Callable[[Reading], tuple[str, float] | None]
"""truck reading → (next planned stop, road km to it), or None when the truck has no plan."""


@dataclass(slots=True)
class _Track:
    """A truck's recent readings since its last fill: (time, h2 kg, cumulative km)."""

    points: deque[tuple[datetime, float, float]] = field(default_factory=deque)
    last: Reading | None = None
    fill_start: Reading | None = None
    fill_peak: Reading | None = None


def _km(a: Reading, b: Reading, road_factor: float) -> float:
    """km between two readings: by odometer where both report one, else straight line × factor."""
    if a.odometer_km is not None and b.odometer_km is not None:
        return max(0.0, b.odometer_km - a.odometer_km)
    straight = haversine_km_1(a.lat or 0.0, a.lon or 0.0, b.lat or 0.0, b.lon or 0.0)
    return straight * road_factor


class AlarmEngine:
    """Evaluates the rules on each reading (:meth:`observe`) and on the clock (:meth:`tick`)."""

    def __init__(
        self,
        rules: Iterable[Rule],
        *,
        reach: ReachQuery | None = None,
        next_stop: NextStopQuery | None = None,
        kg_per_100km: Callable[[str], float] | None = None,
        stations: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        self.set_rules(rules)
        self.reach = reach
        self.next_stop = next_stop
        self.kg_per_100km = kg_per_100km or (lambda _device: FCET_H2_LOADED.value)
        self.stations = stations or {}
        self.active: dict[Key, Condition] = {}
        self.newest: dict[str, datetime] = {}
        self.kinds: dict[str, str] = {}
        self.detector_seen: dict[tuple[str, str], datetime] = {}
        self.tracks: dict[str, _Track] = {}
        self._range_at: dict[str, tuple[datetime, float, float, float]] = {}
        self.refuels: list[RefuelEvent] = []

    def set_rules(self, rules: Iterable[Rule]) -> None:
        """Evaluate ``rules`` from now on (the conditions already open stay open)."""
        self.rules = list(rules)
        self._by_kind: dict[str, list[Rule]] = {}
        self._silent: dict[str, list[Rule]] = {}
        for rule in self.rules:
            self._by_kind.setdefault(rule.kind, []).append(rule)
            if rule.kind == "silent":
                self._silent.setdefault(rule.params["device_kind"], []).append(rule)
        # the hydrogen-drop rules' numbers, read once: (window, tolerance, min excess kg,
        # road factor)
        self._drop_params: dict[str, tuple[timedelta, float, float, float]] = {
            rule.id: (
                timedelta(minutes=rule.number("window_min")),
                rule.number("tolerance"),
                rule.number("min_excess_kg"),
                rule.number("road_factor"),
            )
            for rule in self._by_kind.get("h2_drop", [])
        }

    def _of(self, kind: str) -> list[Rule]:
        return self._by_kind.get(kind, [])

    # --- transitions -------------------------------------------------------------------

    def _raise(
        self,
        out: list[Condition],
        rule: Rule,
        level: Level,
        device: str,
        subject: str,
        when: datetime,
        message: str,
        value: float | None = None,
    ) -> None:
        c = Condition("raise", rule.id, level, device, subject, when, message, value)
        if c.key not in self.active:
            self.active[c.key] = c
            out.append(c)

    def _clear(
        self,
        out: list[Condition],
        rule: Rule,
        level: Level,
        device: str,
        subject: str,
        when: datetime,
        message: str | Callable[[], str],
    ) -> None:
        """Clear the condition if it is open; ``message`` may be a function that makes the
        text (most readings clear nothing: their texts need not be made)."""
        key = (rule.id, device, subject, level)
        if key in self.active:
            del self.active[key]
            text = message if isinstance(message, str) else message()
            out.append(Condition("clear", rule.id, level, device, subject, when, text))

    # --- readings ----------------------------------------------------------------------

    def observe(self, r: Reading) -> list[Condition]:
        """Conditions raised or cleared by one reading (in the order they happen)."""
        out: list[Condition] = []
        late = r.device in self.newest and r.time < self.newest[r.device]
        if not late:
            self.newest[r.device] = r.time
        self.kinds[r.device] = r.kind
        if not late:
            for rule in self._silent.get(r.kind, ()):
                self._clear(
                    out, rule, rule.level, r.device, "", r.time,
                    lambda: f"{r.kind} {r.device} reports again",
                )  # fmt: skip
        if r.kind == "station":
            self._station(out, r, late)
        elif not late:
            self._truck(out, r)
        return out

    def _station(self, out: list[Condition], r: Reading, late: bool) -> None:
        for rule in self._of("leak"):
            hyst = rule.number("hysteresis_pct_vol")
            for tag, value in r.detectors.items():
                if value is None:
                    continue
                for step in rule.steps:
                    if value >= step.threshold:
                        self._raise(
                            out,
                            rule,
                            step.level,
                            r.device,
                            tag,
                            r.time,
                            f"H2 {value:.2f} % vol at detector {tag} of station {r.device} "
                            f"(≥ {step.threshold:g} % vol): {step.action}",
                            value,
                        )
                    elif value < step.threshold - hyst and not late:
                        self._clear(
                            out, rule, step.level, r.device, tag, r.time,
                            partial(
                                "H2 {:.2f} % vol at detector {}, below {:g} % vol".format,
                                value, tag, step.threshold - hyst,
                            ),
                        )  # fmt: skip
        for rule in self._of("detector_silent"):
            for tag, value in r.detectors.items():
                if value is None:
                    self._raise(
                        out,
                        rule,
                        rule.level,
                        r.device,
                        tag,
                        r.time,
                        f"detector {tag} of station {r.device} reports a fault: treated as an alarm",
                    )
                    continue
                if not late:
                    seen = self.detector_seen.get((r.device, tag))
                    if seen is None or r.time > seen:
                        self.detector_seen[(r.device, tag)] = r.time
                    self._clear(
                        out, rule, rule.level, r.device, tag, r.time,
                        partial("detector {} reports again".format, tag),
                    )  # fmt: skip
        fill = r.fill
        for rule in self._of("fill_temperature"):
            limit = rule.number("max_c")
            breach = None
            if fill is not None and fill.gas_temp_c > limit:
                breach = (
                    f"fill gas {fill.gas_temp_c:.1f} °C at nozzle {fill.nozzle} of station "
                    f"{r.device} (limit {limit:g} °C): stop the fill",
                    fill.gas_temp_c,
                )
            self._fill_limit(out, rule, r, late, breach, "fill gas temperature")
        for rule in self._of("fill_pressure"):
            share = rule.number("max_share_of_nwp")
            breach = None
            if fill is not None and fill.pressure_mpa > share * fill.nwp_mpa:
                breach = (
                    f"fill pressure {fill.pressure_mpa:.1f} MPa at nozzle {fill.nozzle} of station "
                    f"{r.device} over {share:.0%} of {fill.nwp_mpa:g} MPa NWP: stop the fill",
                    fill.pressure_mpa,
                )
            self._fill_limit(out, rule, r, late, breach, "fill pressure")
        for rule in self._of("esd"):
            if r.esd:
                self._raise(
                    out, rule, rule.level, r.device, "", r.time, f"station {r.device}: ESD active"
                )
            elif r.esd is False and not late:
                self._clear(
                    out, rule, rule.level, r.device, "", r.time, f"station {r.device}: ESD reset"
                )

    def _fill_limit(
        self,
        out: list[Condition],
        rule: Rule,
        r: Reading,
        late: bool,
        breach: tuple[str, float] | None,
        what: str,
    ) -> None:
        """A fill limit: raise for the reported nozzle on a ``breach`` (message, value);
        otherwise (unless the reading is late) clear the reported nozzle's condition, or every
        nozzle's when no fill runs."""
        if breach is not None and r.fill is not None:
            self._raise(out, rule, rule.level, r.device, r.fill.nozzle, r.time, *breach)
            return
        if late:
            return
        nozzles = [k[2] for k in self.active if k[0] == rule.id and k[1] == r.device]
        for nozzle in nozzles:
            if r.fill is None or r.fill.nozzle == nozzle:
                self._clear(
                    out, rule, rule.level, r.device, nozzle, r.time, f"{what} back in limits"
                )

    def _range_due(self, r: Reading) -> bool:
        """Whether the range rules look again: the truck moved ≥ 1 km, its hydrogen changed by
        ≥ 0.5 kg, or a minute passed since they last looked (the queries cost a snap and a
        road search; in between nothing they depend on has changed, except a station going out
        of service, which the next look within the minute sees)."""
        last = self._range_at.get(r.device)
        h2, lat, lon = r.h2_kg or 0.0, r.lat or 0.0, r.lon or 0.0
        if last is not None:
            t, h, la, lo = last
            if (
                abs(h2 - h) < 0.5
                and -_MINUTE < r.time - t < _MINUTE
                and math.hypot(lat - la, (lon - lo) * math.cos(math.radians(lat))) * 111.2 < 1.0
            ):
                return False
        self._range_at[r.device] = (r.time, h2, lat, lon)
        return True

    def _truck(self, out: list[Condition], r: Reading) -> None:
        h2 = r.h2_kg or 0.0
        rate = self.kg_per_100km(r.device) / 100.0
        if (self.reach or self.next_stop) and self._range_due(r):
            self._ranges(out, r, h2, rate)
        for rule in self._of("h2_drop"):
            self._drop(out, rule, r, rate)

    def _ranges(self, out: list[Condition], r: Reading, h2: float, rate: float) -> None:
        for rule in self._of("range"):
            verdict = self.reach(r, rule.number("reserve_kg")) if self.reach else None
            if verdict is None:
                continue
            if not verdict.reachable:
                near = (
                    f"; nearest station {verdict.station} is {verdict.km:.0f} km away and needs "
                    f"{verdict.kg_needed:.1f} kg"
                    if verdict.station is not None
                    and verdict.km is not None
                    and verdict.kg_needed is not None
                    else ""
                )
                self._raise(
                    out,
                    rule,
                    rule.level,
                    r.device,
                    "",
                    r.time,
                    f"truck {r.device} with {h2:.1f} kg cannot reach any open station keeping "
                    f"{rule.number('reserve_kg'):g} kg{near}",
                    h2,
                )
            else:
                self._clear(
                    out,
                    rule,
                    rule.level,
                    r.device,
                    "",
                    r.time,
                    f"truck {r.device} can reach {verdict.station}",
                )
        for rule in self._of("range_next_stop"):
            nxt = self.next_stop(r) if self.next_stop else None
            if nxt is None:
                continue
            stop, km = nxt
            need = km * rate + rule.number("reserve_kg")
            if h2 < need:
                self._raise(
                    out,
                    rule,
                    rule.level,
                    r.device,
                    "",
                    r.time,
                    f"truck {r.device} has {h2:.1f} kg but needs {need:.1f} kg to reach its next "
                    f"planned stop {stop} ({km:.0f} km): refuel before it",
                    h2,
                )
            else:
                self._clear(
                    out,
                    rule,
                    rule.level,
                    r.device,
                    "",
                    r.time,
                    f"truck {r.device} can reach {stop}",
                )

    def _drop(self, out: list[Condition], rule: Rule, r: Reading, rate: float) -> None:
        track = self.tracks.get(r.device)
        if track is None:
            track = self.tracks[r.device] = _Track()
        prev = track.last
        track.last = r
        h2 = r.h2_kg or 0.0
        points = track.points
        if prev is None:
            points.append((r.time, h2, 0.0))
            return
        rise = h2 - (prev.h2_kg or 0.0)
        noise = 0.5  # kg: a level sensor's jitter is not a fill (D)
        if rise > noise:
            track.fill_start = track.fill_start or prev
            track.fill_peak = r
            return
        window, tolerance, limit, road_factor = self._drop_params[rule.id]
        if track.fill_start is not None and track.fill_peak is not None:
            self._close_fill(rule, track)
            points.clear()
            points.append((prev.time, prev.h2_kg or 0.0, 0.0))
        cum = points[-1][2] + _km(prev, r, road_factor) if points else 0.0
        points.append((r.time, h2, cum))
        horizon = r.time - window
        while len(points) > 2 and points[1][0] <= horizon:
            points.popleft()
        t0, h0, c0 = points[0]
        allowed = (cum - c0) * rate * (1.0 + tolerance)
        excess = (h0 - h2) - allowed
        if excess > limit:
            self._raise(
                out,
                rule,
                rule.level,
                r.device,
                "",
                r.time,
                f"truck {r.device} lost {h0 - h2:.1f} kg H2 since {t0:%H:%M} over {cum - c0:.0f} km; "
                f"consumption explains {allowed:.1f} kg: possible leak or theft",
                excess,
            )
        elif excess < limit / 2:
            self._clear(
                out, rule, rule.level, r.device, "", r.time,
                lambda: f"truck {r.device}: hydrogen use as expected",
            )  # fmt: skip

    def _close_fill(self, rule: Rule, track: _Track) -> None:
        start, peak = track.fill_start, track.fill_peak
        track.fill_start = track.fill_peak = None
        assert start is not None and peak is not None
        kg = (peak.h2_kg or 0.0) - (start.h2_kg or 0.0)
        if kg < rule.number("refuel_min_kg"):
            return
        station, dist = None, None
        for sid, (lat, lon) in self.stations.items():
            probe = Reading("", "", "truck", peak.time, lat=lat, lon=lon)
            d = _km(peak, probe, 1.0)
            if d <= rule.number("station_radius_km") and (dist is None or d < dist):
                station, dist = sid, d
        self.refuels.append(
            RefuelEvent(
                peak.device,
                start.time,
                peak.time,
                kg,
                peak.lat or 0.0,
                peak.lon or 0.0,
                station,
                dist,
            )
        )

    # --- memory from stored readings -----------------------------------------------------

    def memory_minutes(self) -> float | None:
        """How far back the hydrogen-drop rules look (the longest window), None without one."""
        windows = [rule.number("window_min") for rule in self._of("h2_drop")]
        return max(windows) if windows else None

    def remember(self, readings: Iterable[Reading]) -> None:
        """Rebuild the hydrogen-drop memory of trucks (recent levels and distances, a fill in
        progress) from stored truck readings, in the order they were ingested, raising and
        clearing nothing and detecting no refuel: what those readings raised or detected is
        stored already. A reading older than its truck's newest before it is skipped, as
        :meth:`observe` skips it."""
        active, refuels = dict(self.active), self.refuels
        newest: dict[str, datetime] = {}
        scratch: list[Condition] = []
        drops = self._of("h2_drop")
        for r in readings:
            if r.kind != "truck" or (r.device in newest and r.time < newest[r.device]):
                continue
            newest[r.device] = r.time
            rate = self.kg_per_100km(r.device) / 100.0
            for rule in drops:
                self._drop(scratch, rule, r, rate)
        self.active, self.refuels = active, refuels

    # --- the clock ---------------------------------------------------------------------

    def tick(self, now: datetime) -> list[Condition]:
        """Conditions raised by silence: devices and detectors that stopped reporting."""
        out: list[Condition] = []
        for rule in self._of("silent"):
            gap = timedelta(minutes=rule.number("minutes"))
            for device, seen in self.newest.items():
                if self.kinds.get(device) == rule.params["device_kind"] and now - seen > gap:
                    self._raise(
                        out,
                        rule,
                        rule.level,
                        device,
                        "",
                        now,
                        f"{rule.params['device_kind']} {device} silent since {seen:%Y-%m-%d %H:%M}",
                    )
        for rule in self._of("detector_silent"):
            gap = timedelta(minutes=rule.number("minutes"))
            for (device, tag), seen in self.detector_seen.items():
                if now - seen > gap:
                    self._raise(
                        out,
                        rule,
                        rule.level,
                        device,
                        tag,
                        now,
                        f"detector {tag} of station {device} silent since {seen:%H:%M}: treated as an alarm",
                    )
        return out

    def take_refuels(self) -> list[RefuelEvent]:
        """Refuels detected since the last call."""
        out, self.refuels = self.refuels, []
        return out
