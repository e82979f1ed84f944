"""Statistics of a finished simulation: per station, per network, per hour of day."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from h2lane.supply.sim import HOUR, Network, Station, percentile


def _open_hours(st: Station, a: float, b: float) -> float:
    """Hours the station is open inside [a, b] s (outages not subtracted)."""
    spec = st.spec
    if spec.always_open:
        return max(0.0, b - a) / HOUR
    total, t = 0.0, a
    for _ in range(100000):
        if t >= b:
            break
        o, c = st._open_window(t)
        lo, hi = max(o, t, a), min(c, b)
        if hi > lo:
            total += hi - lo
        t = c
    return total / HOUR


def station_stats(st: Station, net: Network) -> dict[str, Any]:
    """Waits, refusals, stockout hours, utilisation, kg and deliveries of one station."""
    waits = np.asarray(st.waits) / 60.0
    measured_h = (net.horizon_s - net.warmup_s) / HOUR
    open_h = _open_hours(st, net.warmup_s, net.horizon_s)
    util = st.busy_s / HOUR / (st.spec.dispensers * open_h) if open_h > 0 else 0.0
    arrivals = st.fills + st.refused
    return {
        "station_id": st.spec.id,
        "name": st.spec.name,
        "site": st.spec.site,
        "dispensers": st.spec.dispensers,
        "storage_kg": st.spec.storage_kg,
        "compressor_kg_h": st.spec.compressor_kg_h if st.bounded else None,
        "arrivals": arrivals,
        "fills": st.fills,
        "refused": st.refused,
        "refused_share": st.refused / arrivals if arrivals else 0.0,
        "refused_kg": st.refused_kg_g / 1000.0,
        "kg_dispensed": st.dispensed_stat_g / 1000.0,
        "wait_p50_min": percentile(waits, 50),
        "wait_p95_min": percentile(waits, 95),
        "wait_max_min": float(waits.max()) if waits.size else 0.0,
        "wait_mean_min": float(waits.mean()) if waits.size else 0.0,
        "p_wait": st.waited / st.fills if st.fills else 0.0,
        "stockout_h": st.stockout_s / HOUR,
        "utilisation": util,
        "open_h": open_h,
        "measured_h": measured_h,
        "deliveries": st.deliveries,
        "storage_end_kg": st.level_g / 1000.0 if st.bounded else None,
    }


def hourly_waits(st: Station) -> dict[str, list[float | int | None]]:
    """Mean queue wait (min) and fills by clock hour of arrival (China time), 24 entries."""
    hours = np.asarray(st.arrive_hour, dtype=np.int64)
    qw = np.asarray(st.queue_waits, dtype=np.float64) / 60.0
    counts = np.bincount(hours, minlength=24)[:24] if hours.size else np.zeros(24, np.int64)
    sums = np.bincount(hours, weights=qw, minlength=24)[:24] if hours.size else np.zeros(24)
    p95: list[float | None] = []
    for h in range(24):
        sel = qw[hours == h] if hours.size else qw[:0]
        p95.append(percentile(sel, 95) if sel.size else None)
    mean: list[float | None] = [
        float(sums[h] / counts[h]) if counts[h] else None for h in range(24)
    ]
    return {"mean_wait_min": mean, "p95_wait_min": p95, "fills": [int(c) for c in counts]}


def network_stats(net: Network, stations: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over every station and trailer."""
    all_waits = (
        np.concatenate(
            [np.asarray(st.waits, dtype=np.float64) for st in net.stations] or [np.zeros(0)]
        )
        / 60.0
    )
    trailers = [t for site in net.sites.values() for t in site.trailers]
    measured = max(net.horizon_s - net.warmup_s, 1e-9)
    fills = sum(s["fills"] for s in stations)
    refused = sum(s["refused"] for s in stations)
    kg = math.fsum(s["kg_dispensed"] for s in stations)
    delivered_trips = sum(t.trips for t in trailers)
    km = net.trailer_km
    days = measured / 86400.0
    payloads = [site.payload_g / 1000.0 for site in net.sites.values()]
    return {
        "stations": len(stations),
        "fills": fills,
        "refused": refused,
        "refused_share": refused / (fills + refused) if fills + refused else 0.0,
        "kg_dispensed": kg,
        "wait_p50_min": percentile(all_waits, 50),
        "wait_p95_min": percentile(all_waits, 95),
        "wait_max_min": float(all_waits.max()) if all_waits.size else 0.0,
        "stockout_h": math.fsum(s["stockout_h"] for s in stations),
        "dispenser_utilisation": (
            math.fsum(s["utilisation"] * s["dispensers"] * s["open_h"] for s in stations)
            / max(math.fsum(s["dispensers"] * s["open_h"] for s in stations), 1e-9)
        ),
        "trailers": len(trailers),
        "trailer_utilisation": (
            math.fsum(t.busy_s for t in trailers) / (len(trailers) * measured) if trailers else 0.0
        ),
        "trailer_trips": delivered_trips,
        "trailer_km": km,
        "trailer_km_per_day": km / days if days else 0.0,
        "trailer_km_per_kg": km / kg if kg > 0 else 0.0,
        "trailer_payload_kg": payloads[0] if len(set(payloads)) == 1 else None,
        "days": days,
    }


def balance_kg(net: Network) -> dict[str, Any]:
    """The hydrogen balance in kg, with the exact gram residual."""
    b = net.balance()
    return {
        "produced_kg": b["produced_g"] / 1000.0,
        "dispensed_kg": b["dispensed_g"] / 1000.0,
        "storage_change_kg": b["storage_change_g"] / 1000.0,
        "trailer_change_kg": b["trailer_change_g"] / 1000.0,
        "residual_g": b["residual_g"],
        "exact": b["residual_g"] == 0,
        "note": "kg loaded at the sites (produced) = kg dispensed + Δ storage + Δ trailer gas; "
        "counted in whole grams over the whole run, warm-up included",
    }


def batch_means(values: list[float] | np.ndarray, batches: int = 20) -> tuple[float, float]:
    """Mean and its standard error by non-overlapping batch means (correlated samples)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2 * batches:
        return (float(x.mean()) if x.size else 0.0, math.inf)
    size = x.size // batches
    means = x[: size * batches].reshape(batches, size).mean(axis=1)
    return float(x.mean()), float(means.std(ddof=1) / math.sqrt(batches))
