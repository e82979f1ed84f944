"""Discrete-event simulation (SimPy) of hydrogen stations fed by tube trailers.

Model (all hydrogen in integer grams, so the balance closes exactly):

* **Station.** ``dispensers`` parallel nozzles, first come first served. A fill takes
  ``connect + kg ÷ nozzle flow``; it starts only while the station is open, not in an outage,
  and if it ends before closing (otherwise the truck waits for the next opening). The truck's
  kg leave storage when its fill starts; if storage holds less than the fill above its minimum
  dispensing level the fill is **refused** (the truck leaves). An outage stops new fills; a fill
  under way finishes.
* **Storage and compressor.** The compressor moves hydrogen from the trailer on the bay into
  storage at ``compressor_kg_h`` while storage has room and the trailer has gas. It is
  integrated exactly between events (piecewise linear), so it costs no events of its own.
  ``storage_kg=None`` is unlimited storage (no supply modelled: every fill is served).
* **Trailers.** Each site has trailers; a station orders one when its stock (storage above the
  minimum + gas on the bay + trailers on their way) falls below its reorder point
  (demand over the lead time and a safety margin). A trailer is topped up at its site (the
  site's production rate limits it: cumulative kg loaded ≤ rate × time), loads for ``load_h``,
  drives to the station at ``speed``, and then

  - **swap** model: is dropped on the bay in ``swap_h``; the trailer it replaces drives back
    with whatever gas it still holds (one trailer always stands at each station);
  - **unload** model: waits for the bay, connects, stays until the compressor has emptied it,
    disconnects (``connect_h`` in all) and drives back empty.

* **Balance.** kg loaded at the sites (produced) = kg dispensed + Δ station storage + Δ gas in
  trailers, to the gram; :meth:`Network.balance` reports it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import simpy
from numpy.typing import NDArray

from h2lane import params

HOUR = 3600.0
DAY = 86400.0
UNLIMITED = 1 << 62
"""Gas of an unlimited source, grams."""

TrailerMode = Literal["swap", "unload"]


@dataclass(slots=True)
class StationSpec:
    """A station as the simulation sees it."""

    id: str
    name: str = ""
    dispensers: int = 2
    nozzle_g_s: float = params.NOZZLE_FLOW_NORMAL.value
    connect_min: float = params.CONNECT_TIME.value
    storage_kg: float | None = params.STATION_STORAGE_SMALL.value
    """None: unlimited storage, no supply modelled."""
    initial_kg: float | None = None
    """Storage at the start (None: full)."""
    min_level_kg: float = 0.0
    compressor_kg_h: float = 50.0
    open_h: float = 0.0
    close_h: float = 24.0
    outages: list[tuple[float, float]] = field(default_factory=list)
    """(start s, end s) after the simulation start."""
    site: str | None = None
    """Supplying site id; None with bounded storage: the bay is fed by an unlimited source."""
    one_way_km: float = 0.0
    demand_kg_h: float = 0.0
    """Mean demand for the reorder point (set from the arrivals when 0)."""
    stockout_kg: float = params.TRUCK_FILL_KG.value
    """Storage (above the minimum) below which the station counts as out of stock."""

    @property
    def always_open(self) -> bool:
        return self.open_h <= 0.0 and self.close_h >= 24.0


@dataclass(slots=True)
class SiteSpec:
    """A production site with its trailers."""

    id: str
    capacity_kg_h: float
    trailers: int
    payload_kg: float = params.TUBE_TRAILER_PAYLOAD_20MPA.value


@dataclass(slots=True)
class SimSettings:
    """Run length, trailer operation and replenishment policy."""

    horizon_h: float
    warmup_h: float = 0.0
    start_hour: float = 0.0
    """Clock hour (China time) at simulation time 0: opening hours follow it."""
    trailer_mode: TrailerMode = "swap"
    trailer_speed_kmh: float = params.TRAILER_SPEED.value
    load_h: float = params.TRAILER_LOAD_H.value
    swap_h: float = params.TRAILER_SWAP_H.value
    connect_h: float = params.TRAILER_UNLOAD_CONNECT_H.value
    safety_h: float = 4.0
    """Reorder point covers the lead time plus this many hours of mean demand."""
    record_hourly: bool = True


@dataclass(slots=True)
class Arrivals:
    """Truck arrivals at one station: times (s after start, sorted) and kg wanted."""

    times_s: NDArray[np.float64]
    kg: NDArray[np.float64]

    def __post_init__(self) -> None:
        order = np.argsort(self.times_s, kind="stable")
        self.times_s = np.asarray(self.times_s, dtype=np.float64)[order]
        self.kg = np.asarray(self.kg, dtype=np.float64)[order]


class Trailer:
    """A tube trailer: where it is and the gas it holds (grams)."""

    __slots__ = ("busy_s", "busy_since", "content_g", "id", "km", "site", "trips")

    def __init__(self, tid: str, site: str, content_g: int) -> None:
        self.id, self.site, self.content_g = tid, site, content_g
        self.busy_s = 0.0
        self.busy_since: float | None = None
        self.km = 0.0
        self.trips = 0


class Site:
    """A production site: its production rate limits loading; idle trailers wait for orders."""

    def __init__(self, net: Network, spec: SiteSpec) -> None:
        self.net, self.spec = net, spec
        self.rate_g_s = spec.capacity_kg_h * 1000.0 / HOUR
        self.payload_g = round(spec.payload_kg * 1000.0)
        self.produced_g = 0
        self.idle: list[Trailer] = [
            Trailer(f"{spec.id}-{k + 1}", spec.id, self.payload_g) for k in range(spec.trailers)
        ]
        self.trailers: list[Trailer] = list(self.idle)
        self.orders: deque[Station] = deque()

    def order(self, station: Station) -> None:
        self.orders.append(station)
        self._dispatch()

    def _dispatch(self) -> None:
        while self.orders and self.idle:
            station = self.orders.popleft()
            trailer = self.idle.pop()
            trailer.busy_since = self.net.env.now
            self.net.env.process(self.net.trip(self, trailer, station))

    def back(self, trailer: Trailer) -> None:
        now = self.net.env.now
        if trailer.busy_since is not None:
            self.net.count_busy(trailer, trailer.busy_since, now)
        trailer.busy_since = None
        self.idle.append(trailer)
        self._dispatch()


class Station:
    """A station's queue, dispensers, storage and bay, with its statistics."""

    def __init__(self, net: Network, spec: StationSpec, arrivals: Arrivals) -> None:
        self.net, self.spec, self.arrivals = net, spec, arrivals
        self.free = spec.dispensers
        self.queue: deque[tuple[float, int]] = deque()  # (arrival s, kg in grams)
        self.flow_g_s = spec.nozzle_g_s
        self.connect_s = spec.connect_min * 60.0
        self.bounded = spec.storage_kg is not None
        self.cap_g = round(spec.storage_kg * 1000.0) if spec.storage_kg is not None else 0
        init = spec.storage_kg if spec.initial_kg is None else spec.initial_kg
        self.level_g = min(self.cap_g, round((init or 0.0) * 1000.0)) if self.bounded else 0
        self.start_level_g = self.level_g
        self.min_g = round(spec.min_level_kg * 1000.0)
        self.stockout_g = round(spec.stockout_kg * 1000.0)
        self.rate_g_s = spec.compressor_kg_h * 1000.0 / HOUR
        self.t_upd = 0.0
        self.bay: Trailer | None = None
        self.infinite_source = self.bounded and spec.site is None
        self.source_g = 0  # gas taken from an unlimited source (counted as produced)
        self.on_order = 0  # trailers ordered, not yet on the bay
        self.reorder_g = 0
        self.bay_queue: deque[simpy.Event] = deque()
        self.room_event: simpy.Event | None = None
        """Set while an unloading trailer waits for room in full storage."""
        self.next_arrival = 0
        self.kick_at = math.inf
        # statistics (arrivals after the warm-up)
        self.waits: list[float] = []
        self.queue_waits: list[float] = []
        self.arrive_hour: list[int] = []
        self.fills = 0
        self.refused = 0
        self.refused_kg_g = 0
        self.dispensed_g = 0  # all fills, for the balance
        self.dispensed_stat_g = 0
        self.busy_s = 0.0
        self.stockout_s = 0.0
        self.waited = 0
        self.deliveries = 0
        self.hours = math.ceil(net.settings.horizon_h) if net.settings.record_hourly else 0
        self.q_max = np.zeros(self.hours, dtype=np.int32)
        self.store_kg = np.full(self.hours, np.nan, dtype=np.float64)
        self.next_sample = 1  # next hour boundary whose storage is sampled

    # ----------------------------------------------------------------- storage
    def _segment(self, dt: float) -> int:
        """Grams the compressor moves in ``dt`` seconds from the state at ``t_upd``."""
        if not self.bounded or dt <= 0:
            return 0
        src = UNLIMITED if self.infinite_source else (self.bay.content_g if self.bay else 0)
        if src <= 0 or self.level_g >= self.cap_g:
            return 0
        return min(int(self.rate_g_s * dt), self.cap_g - self.level_g, src)

    def advance(self, t: float) -> None:
        """Bring storage to time ``t``: compressor flow, hourly samples, stockout time."""
        if not self.bounded:
            return
        t0 = self.t_upd
        if t <= t0:
            return
        # stockout time in [t0, t]: storage rises linearly from level_g at rate until it stops
        thr = self.min_g + self.stockout_g
        if self.level_g < thr:
            total = self._segment(t - t0)
            if self.level_g + total < thr or self.rate_g_s <= 0:
                below = t - t0
            else:
                below = (thr - self.level_g) / self.rate_g_s
            w = self.net.warmup_s
            lo, hi = max(t0, w), min(t0 + below, t)
            if hi > lo:
                self.stockout_s += hi - lo
        if self.hours:
            while self.next_sample <= self.hours and self.next_sample * HOUR <= t:
                tb = self.next_sample * HOUR
                self.store_kg[self.next_sample - 1] = (
                    self.level_g + self._segment(tb - t0)
                ) / 1000.0
                self.next_sample += 1
        moved = self._segment(t - t0)
        if moved:
            self.level_g += moved
            if self.infinite_source:
                self.source_g += moved
            elif self.bay is not None:
                self.bay.content_g -= moved
        self.t_upd = t

    def stock_g(self) -> int:
        """Stock for the reorder rule: storage above the minimum, the bay, trailers on order."""
        bay = self.bay.content_g if self.bay is not None else 0
        payload = self.net.payload_g(self.spec.site)
        return self.level_g - self.min_g + bay + self.on_order * payload

    def check_reorder(self) -> None:
        site = self.net.sites.get(self.spec.site or "")
        if site is None:
            return
        while self.stock_g() < self.reorder_g and self.on_order < 4:
            self.on_order += 1
            site.order(self)

    # ----------------------------------------------------------------- opening hours
    def _open_window(self, t: float) -> tuple[float, float]:
        """(open, close) in s of the window containing or following ``t``."""
        s = self.spec
        clock = self.net.settings.start_hour * HOUR
        day0 = math.floor((t + clock) / DAY) * DAY - clock
        for d in (-1, 0, 1):
            o, c = day0 + d * DAY + s.open_h * HOUR, day0 + d * DAY + s.close_h * HOUR
            if t < c:
                return (o, c)
        return (day0 + 2 * DAY + s.open_h * HOUR, day0 + 2 * DAY + s.close_h * HOUR)

    def opened_from(self, t: float, service: float) -> float:
        """Earliest time ≥ ``t`` the opening hours alone allow a fill of ``service`` s to start."""
        if self.spec.always_open:
            return t
        for _ in range(3):
            o, c = self._open_window(t)
            t = max(t, o)
            if t + service <= c:
                return t
            t = c
        return t

    def available_from(self, t: float) -> tuple[float, float]:
        """Earliest time ≥ ``t`` the station is open and not in an outage, and its closing."""
        for _ in range(10000):
            if self.spec.always_open:
                o, c = t, math.inf
            else:
                o, c = self._open_window(t)
                t = max(t, o)
            moved = False
            for a, b in self.spec.outages:
                if a <= t < b:
                    t, moved = b, True
            if not moved:
                return t, c
        return t, math.inf

    # ----------------------------------------------------------------- trucks
    def schedule_next_arrival(self) -> None:
        k = self.next_arrival
        if k >= len(self.arrivals.times_s):
            return
        env = self.net.env
        delay = max(0.0, float(self.arrivals.times_s[k]) - env.now)
        env.timeout(delay).callbacks.append(self._on_arrival)

    def _on_arrival(self, _event: simpy.Event) -> None:
        k = self.next_arrival
        self.next_arrival += 1
        self.queue.append(
            (float(self.arrivals.times_s[k]), round(float(self.arrivals.kg[k]) * 1000.0))
        )
        if self.hours:
            h = int(self.net.env.now // HOUR)
            if h < self.hours:
                q = len(self.queue) - 1 if self.free > 0 else len(self.queue)
                if q > self.q_max[h]:
                    self.q_max[h] = q
        self.try_start()
        self.schedule_next_arrival()

    def try_start(self) -> None:
        env = self.net.env
        now = env.now
        while self.free > 0 and self.queue:
            start, close = (
                (now, math.inf)
                if self.spec.always_open and not self.spec.outages
                else self.available_from(now)
            )
            arrival, kg_g = self.queue[0]
            service = self.connect_s + kg_g / self.flow_g_s
            if start > now or now + service > close:
                nxt = start if start > now else self.available_from(close)[0]
                if nxt < self.kick_at:
                    self.kick_at = nxt
                    env.timeout(nxt - now).callbacks.append(self._kick)
                return
            self.queue.popleft()
            self.advance(now)
            warm = arrival >= self.net.warmup_s
            if self.bounded and self.level_g - self.min_g < kg_g:
                if warm:
                    self.refused += 1
                    self.refused_kg_g += kg_g
                continue
            if self.bounded:
                self.level_g -= kg_g
            self.dispensed_g += kg_g
            self.free -= 1
            env.timeout(service).callbacks.append(self._done)
            if warm:
                wait = now - arrival
                self.fills += 1
                self.dispensed_stat_g += kg_g
                self.waits.append(wait)
                self.queue_waits.append(max(0.0, now - self.opened_from(arrival, service)))
                self.arrive_hour.append(int(((arrival / HOUR) + self.net.settings.start_hour) % 24))
                if wait > 1e-9:
                    self.waited += 1
            lo = max(now, self.net.warmup_s)
            hi = min(now + service, self.net.horizon_s)
            if hi > lo:
                self.busy_s += hi - lo
            if self.bounded:
                self.check_reorder()
                if self.room_event is not None:
                    self.room_event.succeed()
                    self.room_event = None

    def _kick(self, _event: simpy.Event) -> None:
        if self.net.env.now >= self.kick_at - 1e-9:
            self.kick_at = math.inf
        self.try_start()

    def _done(self, _event: simpy.Event) -> None:
        self.free += 1
        self.try_start()


class Network:
    """Stations, sites and trailers in one SimPy environment."""

    def __init__(
        self,
        stations: list[StationSpec],
        arrivals: dict[str, Arrivals],
        sites: list[SiteSpec],
        settings: SimSettings,
        progress: Callable[[float, float], None] | None = None,
    ) -> None:
        self.env = simpy.Environment()
        self.settings = settings
        self.horizon_s = settings.horizon_h * HOUR
        self.warmup_s = settings.warmup_h * HOUR
        self.progress = progress
        self.sites = {s.id: Site(self, s) for s in sites}
        self.stations = [
            Station(self, spec, arrivals.get(spec.id, Arrivals(np.zeros(0), np.zeros(0))))
            for spec in stations
        ]
        self.start_trailer_g = 0
        self.events = 0
        for st in self.stations:
            self._prepare(st)
        self.start_trailer_g = self.trailer_gas_g()

    def payload_g(self, site_id: str | None) -> int:
        site = self.sites.get(site_id or "")
        return site.payload_g if site is not None else 0

    def _prepare(self, st: Station) -> None:
        spec, s = st.spec, self.settings
        if spec.demand_kg_h <= 0 and len(st.arrivals.kg):
            span_h = max(self.settings.horizon_h, 1e-9)
            spec.demand_kg_h = float(st.arrivals.kg.sum()) / span_h
        site = self.sites.get(spec.site or "")
        if st.bounded and site is not None:
            lead_h = (
                s.load_h
                + spec.one_way_km / s.trailer_speed_kmh
                + (s.swap_h if s.trailer_mode == "swap" else s.connect_h)
            )
            st.reorder_g = round(spec.demand_kg_h * (lead_h + s.safety_h) * 1000.0)
            if s.trailer_mode == "swap":  # every station starts with a full trailer on its bay
                st.bay = Trailer(f"{spec.id}-bay", site.spec.id, site.payload_g)
                site.trailers.append(st.bay)
                st.bay.busy_since = 0.0

    @property
    def trailer_km(self) -> float:
        """Km driven by every trailer (a leg counts when it ends)."""
        return math.fsum(t.km for site in self.sites.values() for t in site.trailers)

    def trailer_gas_g(self) -> int:
        return sum(t.content_g for site in self.sites.values() for t in site.trailers)

    def count_busy(self, trailer: Trailer, a: float, b: float) -> None:
        lo, hi = max(a, self.warmup_s), min(b, self.horizon_s)
        if hi > lo:
            trailer.busy_s += hi - lo

    def trip(
        self, site: Site, trailer: Trailer, station: Station
    ) -> Generator[simpy.Event, object, None]:
        """One delivery: top up at the site, drive, swap or unload, drive back."""
        env, s = self.env, self.settings
        need = site.payload_g - trailer.content_g
        if need > 0 and site.rate_g_s > 0:
            ready = (site.produced_g + need) / site.rate_g_s
            site.produced_g += need  # reserved now: loading cannot overtake production
            trailer.content_g += need
            if ready > env.now:
                yield env.timeout(ready - env.now)
        yield env.timeout(s.load_h * HOUR)
        drive = station.spec.one_way_km / s.trailer_speed_kmh * HOUR
        yield env.timeout(drive)
        trailer.km += station.spec.one_way_km
        if s.trailer_mode == "swap":
            station.advance(env.now)
            old = station.bay
            station.bay = trailer
            station.on_order -= 1
            station.deliveries += 1
            trailer.trips += 1
            station.check_reorder()
            station.try_start()
            yield env.timeout(s.swap_h * HOUR)
            back = old
            if back is None:
                return
        else:
            if station.bay is not None:
                turn = env.event()
                station.bay_queue.append(turn)
                yield turn
            station.advance(env.now)
            station.bay = trailer
            station.on_order -= 1
            station.deliveries += 1
            trailer.trips += 1
            yield env.timeout(s.connect_h / 2 * HOUR)
            while True:
                station.advance(env.now)
                if trailer.content_g <= 0:
                    break
                room = station.cap_g - station.level_g
                if room <= 0 or station.rate_g_s <= 0:
                    station.room_event = env.event()
                    yield station.room_event
                    continue
                yield env.timeout(max(1.0, min(trailer.content_g, room) / station.rate_g_s))
            station.advance(env.now)
            station.check_reorder()
            yield env.timeout(s.connect_h / 2 * HOUR)
            station.advance(env.now)
            station.bay = None
            if station.bay_queue:
                station.bay_queue.popleft().succeed()
            back = trailer
        yield env.timeout(drive)
        back.km += station.spec.one_way_km
        site.back(back)

    def run(self) -> None:
        """Run to the horizon (in slices, to report progress)."""
        for st in self.stations:
            st.schedule_next_arrival()
        slices = max(1, min(100, int(self.settings.horizon_h // 24) or 1))
        for k in range(1, slices + 1):
            self.env.run(until=self.horizon_s * k / slices)
            if self.progress is not None:
                self.progress(float(k), float(slices))
        for st in self.stations:
            st.advance(self.horizon_s)
            if st.hours:
                # hours after the last sample keep the final level
                st.store_kg[np.isnan(st.store_kg)] = st.level_g / 1000.0 if st.bounded else np.nan
        self.events = next(self.env._eid)  # events scheduled (SimPy numbers them in order)
        now = self.horizon_s
        for site in self.sites.values():
            for t in site.trailers:
                if t.busy_since is not None:
                    self.count_busy(t, t.busy_since, now)
                    t.busy_since = now

    # ----------------------------------------------------------------- balance
    def balance(self) -> dict[str, int]:
        """Produced = dispensed + Δ storage + Δ trailer gas, in grams (residual must be 0)."""
        produced = sum(s.produced_g for s in self.sites.values()) + sum(
            st.source_g for st in self.stations
        )
        unlimited = sum(st.dispensed_g for st in self.stations if not st.bounded)
        produced += unlimited  # unlimited storage: every fill comes straight from the source
        dispensed = sum(st.dispensed_g for st in self.stations)
        d_storage = sum(st.level_g - st.start_level_g for st in self.stations)
        d_trailers = self.trailer_gas_g() - self.start_trailer_g
        return {
            "produced_g": produced,
            "dispensed_g": dispensed,
            "storage_change_g": d_storage,
            "trailer_change_g": d_trailers,
            "residual_g": produced - dispensed - d_storage - d_trailers,
        }


def percentile(values: list[float] | NDArray[np.float64], q: float) -> float:
    """The q-th percentile (linear), 0 for no values."""
    if len(values) == 0:
        return 0.0
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


__all__ = [
    "Arrivals",
    "Network",
    "SimSettings",
    "SiteSpec",
    "StationSpec",
    "percentile",
]
