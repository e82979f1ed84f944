"""Plausibility checks on an accounted ledger: warnings an auditor reads, errors for overflow.

* Hydrogen per 100 km outside a band for the truck type (per truck over all its movements,
  and per movement of at least :data:`MIN_CHECK_KM`): a meter or unit error is likely.
* Tonnes above the truck's payload (a plan's truck type says it; otherwise the largest
  payload of the fleet, :data:`MAX_PAYLOAD`).
* Every sum must be finite: a value that overflows to ``inf`` (or turns into ``nan``) is an
  error naming the table, row and field; ratios with a zero denominator are the only
  ``nan`` values and are written as ``null`` / "—" (documented, never silent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from h2lane.emissions.errors import EmissionsConfigError
from h2lane.params import FCET_H2_EMPTY, FCET_H2_LOADED, FCET_PAYLOAD, Parameter

if TYPE_CHECKING:
    from h2lane.emissions.accounting import Accounting

H2_BAND_LOW = Parameter(
    round(FCET_H2_EMPTY.value * 0.5, 2),
    "kg/100 km",
    "lower plausibility bound: half the empty-running consumption 5.5 kg/100 km (row 4)",
    "2026",
    "D",
    "set per truck type with --h2-band",
)
H2_BAND_HIGH = Parameter(
    FCET_H2_LOADED.value * 2.0,
    "kg/100 km",
    "upper plausibility bound: twice the loaded 49 t consumption 9 kg/100 km (row 1)",
    "2026",
    "D",
    "set per truck type with --h2-band",
)
MAX_PAYLOAD = FCET_PAYLOAD
MIN_CHECK_KM = 20.0
#: Ratio columns that are NaN (``null``) when their denominator is zero.
RATIO_COLUMNS = frozenset(
    {
        "intensity_g_per_tkm",
        "intensity_wtt_g_per_tkm",
        "intensity_ttw_g_per_tkm",
        "diesel_intensity_g_per_tkm",
        "empty_distance_factor",
        "empty_wtw_share",
    }
)


@dataclass(frozen=True)
class PlausibilityLimits:
    """Bands of hydrogen per 100 km (default and per truck type) and the largest payload."""

    band: tuple[float, float] = (H2_BAND_LOW.value, H2_BAND_HIGH.value)
    by_type: dict[str, tuple[float, float]] = field(default_factory=dict)
    max_payload_t: float = MAX_PAYLOAD.value

    def band_for(self, truck_type: str) -> tuple[float, float]:
        return self.by_type.get(truck_type, self.band)

    @classmethod
    def parse(cls, text: str | None, max_payload_t: float | None = None) -> PlausibilityLimits:
        """``LOW:HIGH`` and/or ``TYPE=LOW:HIGH`` items separated by commas (``--h2-band``)."""
        band = (H2_BAND_LOW.value, H2_BAND_HIGH.value)
        by_type: dict[str, tuple[float, float]] = {}
        for item in (text or "").split(","):
            item = item.strip()
            if not item:
                continue
            kind, _, rng = item.rpartition("=")
            lo_text, sep, hi_text = rng.partition(":")
            try:
                lo, hi = float(lo_text), float(hi_text)
            except ValueError:
                lo = hi = math.nan
            if not sep or not (0.0 <= lo < hi < math.inf):
                raise EmissionsConfigError(
                    f"--h2-band item '{item}' must be LOW:HIGH or TYPE=LOW:HIGH in kg H2 per "
                    "100 km with 0 ≤ LOW < HIGH."
                )
            if kind.strip():
                by_type[kind.strip()] = (lo, hi)
            else:
                band = (lo, hi)
        payload = MAX_PAYLOAD.value if max_payload_t is None else float(max_payload_t)
        if not 0.0 < payload < math.inf:
            raise EmissionsConfigError(f"--max-payload-t must be more than 0, got {payload:g}.")
        return cls(band, by_type, payload)


def _band_text(band: tuple[float, float]) -> str:
    return f"{band[0]:g}–{band[1]:g} kg/100 km"


def plausibility_warnings(acc: Accounting, limits: PlausibilityLimits) -> list[str]:
    """One sentence per implausible truck, and a count (with the first row) per kind of row."""
    led = acc.ledger
    out: list[str] = []
    if not len(led):
        return out
    types = led.truck_types or [""] * len(led.truck_names)
    # hydrogen per 100 km per truck
    trucks = acc.trucks
    for i, name in enumerate(trucks.names):
        km, kg = float(trucks["distance_km"][i]), float(trucks["h2_kg"][i])
        if km < MIN_CHECK_KM:
            continue
        rate = kg / km * 100.0
        band = limits.band_for(types[i])
        if not band[0] <= rate <= band[1]:
            kind = f" (type {types[i]})" if types[i] else ""
            out.append(
                f"plausibility: truck '{name}'{kind} used {rate:.1f} kg H2/100 km over "
                f"{km:,.0f} km, outside the band {_band_text(band)}; check its hydrogen meter "
                "and units"
            )
    # per movement
    move = led.movement_mask & (led.distance_km >= MIN_CHECK_KM)
    if move.any():
        lo_hi = np.array([limits.band_for(t) for t in types] or [limits.band], dtype=float)
        per_100 = np.zeros(len(led))
        np.divide(led.h2_kg * 100.0, led.distance_km, out=per_100, where=move)
        lo, hi = lo_hi[led.truck, 0], lo_hi[led.truck, 1]
        bad = np.flatnonzero(move & ((per_100 < lo) | (per_100 > hi)))
        if bad.size:
            j = int(bad[0])
            out.append(
                f"plausibility: {bad.size:,} movement(s) of at least {MIN_CHECK_KM:g} km use "
                f"hydrogen outside their truck type's band (first row {int(led.row_numbers[j])}: "
                f"{per_100[j]:.1f} kg/100 km, band {_band_text((float(lo[j]), float(hi[j])))})"
            )
    # tonnes above the payload
    payload = np.full(len(led.truck_names), limits.max_payload_t)
    if led.truck_payload_t is not None:
        known = np.isfinite(led.truck_payload_t) & (led.truck_payload_t > 0)
        payload = np.where(known, led.truck_payload_t, payload)
    if len(payload):
        over = np.flatnonzero(led.tonnes > payload[led.truck] + 1e-9)
        if over.size:
            j = int(over[0])
            out.append(
                f"plausibility: {over.size:,} row(s) carry more than the truck's payload (first "
                f"row {int(led.row_numbers[j])}: {led.tonnes[j]:g} t on truck "
                f"'{led.truck_names[int(led.truck[j])]}', payload {payload[led.truck[j]]:g} t; "
                "set the fleet's largest payload with --max-payload-t)"
            )
    return out


def check_finite(acc: Accounting) -> None:
    """Raise one sentence if any sum or value of the accounting is not a finite number."""
    tables = {
        "TOC": acc.tocs,
        "shipment": acc.shipments,
        "truck": acc.trucks,
        "month": acc.months,
        "hub": acc.hocs,
    }
    if acc.customers is not None:
        tables["customer"] = acc.customers
    for what, table in tables.items():
        for col, values in table.cols.items():
            arr = np.asarray(values, dtype=np.float64)
            bad = ~np.isfinite(arr)
            if col in RATIO_COLUMNS:
                bad &= ~np.isnan(arr)  # a ratio with a zero denominator: null, documented
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise EmissionsConfigError(
                    f"the accounting overflowed: {what} '{table.names[i]}' field '{col}' is "
                    f"{arr[i]!r}; an input or factor is too large to compute with."
                )
