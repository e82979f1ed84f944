"""Simulation → planning: expected station waits by hour of day, and capacity proposals.

The waits document (``h2lane simulate --waits FILE``; reference ``docs/station-waits.md``)::

    {"kind": "h2lane.station-waits", "version": 1, "start": ISO, "days": float,
     "seed": int, "arrivals": str,
     "stations": {ID: {"mean_wait_min": [24 × float|null], "p95_wait_min": [24 × float|null],
                       "fills": [24 × int], "overall_mean_wait_min": float}}}

Index ``h`` is the clock hour of arrival in China time (UTC+08:00). Waits are queue waits:
from arrival (or, if the station was closed, from the time its opening hours first allowed the
fill) to the fill's start — the wait a planner that already honours opening hours should add.
``null`` means no truck arrived in that hour; :meth:`StationWaits.expected_wait_min` then
falls back to the station's overall mean.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from h2lane.errors import InputFileError
from h2lane.supply.results import hourly_waits
from h2lane.supply.sim import Network
from h2lane.timeutil import CHINA, iso

WAITS_KIND = "h2lane.station-waits"
WAITS_VERSION = 1


def waits_document(net: Network, start: datetime, source: str, seed: int) -> dict[str, Any]:
    """The expected-waits document of a finished run."""
    stations: dict[str, Any] = {}
    for st in net.stations:
        h = hourly_waits(st)
        qw = np.asarray(st.queue_waits) / 60.0
        stations[st.spec.id] = {**h, "overall_mean_wait_min": float(qw.mean()) if qw.size else 0.0}
    return {
        "kind": WAITS_KIND,
        "version": WAITS_VERSION,
        "start": iso(start),
        "days": (net.horizon_s - net.warmup_s) / 86400.0,
        "seed": seed,
        "arrivals": source,
        "hour_zone": "+08:00",
        "stations": stations,
    }


class StationWaits:
    """Expected queue waits per station and clock hour: what a trip planner adds at a stop."""

    def __init__(self, doc: dict[str, Any], source: str = "waits") -> None:
        if doc.get("kind") != WAITS_KIND or doc.get("version") != WAITS_VERSION:
            raise InputFileError(
                source, f"is not a {WAITS_KIND} version {WAITS_VERSION} document", field="kind"
            )
        self.table: dict[str, tuple[list[float | None], float]] = {}
        for sid, row in doc.get("stations", {}).items():
            means = row.get("mean_wait_min")
            if not isinstance(means, list) or len(means) != 24:
                raise InputFileError(
                    source, "needs 24 hourly values", field=f"stations.{sid}.mean_wait_min"
                )
            self.table[sid] = (means, float(row.get("overall_mean_wait_min", 0.0)))

    @classmethod
    def read(cls, path: str | Path) -> StationWaits:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputFileError(str(path), "file not found") from None
        except json.JSONDecodeError as exc:
            raise InputFileError(
                str(path), f"is not valid JSON ({exc.msg})", line=exc.lineno
            ) from None
        if not isinstance(doc, dict):
            raise InputFileError(str(path), "must be a JSON object")
        return cls(doc, str(path))

    def expected_wait_min(self, station_id: str, when: datetime) -> float:
        """Mean simulated queue wait at ``station_id`` for an arrival at ``when`` (0 if unknown)."""
        row = self.table.get(station_id)
        if row is None:
            return 0.0
        means, overall = row
        hour = (when.astimezone(CHINA) if when.tzinfo else when.replace(tzinfo=CHINA)).hour
        value = means[hour]
        return float(value) if value is not None and math.isfinite(value) else overall


def capacity_round(
    stats: list[dict[str, Any]],
    net: Network,
    target_p95_min: float,
    max_refused_share: float,
    overrides: dict[str, dict[str, float]],
    extra_trailers: dict[str, int],
    unsupplied: set[str] | None = None,
) -> bool:
    """One round of proposals in place; False when every station already meets the targets.

    Over the p95 target: one more dispenser. Refusing more than the allowed share: storage
    × 1.5, compressor × 1.5, and one more trailer at its supplying site; a station no site
    supplies is added to ``unsupplied`` instead (the supply plan says why).
    """
    changed = False
    unsupplied = unsupplied if unsupplied is not None else set()
    for s, st in zip(stats, net.stations, strict=False):
        sid = s["station_id"]
        o = overrides.setdefault(sid, {})
        if s["wait_p95_min"] > target_p95_min and st.spec.dispensers < 100:
            o["dispensers"] = st.spec.dispensers + 1
            changed = True
        if s["refused_share"] > max_refused_share and not st.spec.site:
            unsupplied.add(sid)  # no site supplies it: more storage would only run dry later
        elif s["refused_share"] > max_refused_share and st.spec.storage_kg is not None:
            o["storage_kg"] = st.spec.storage_kg * 1.5
            o["compressor_kg_h"] = st.spec.compressor_kg_h * 1.5
            if st.spec.site:
                extra_trailers[st.spec.site] = extra_trailers.get(st.spec.site, 0) + 1
            changed = True
        if not o:
            del overrides[sid]
    return changed
