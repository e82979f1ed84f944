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


def _wait_value(value: Any) -> float | None:
    """A finite wait ≥ 0 in minutes, None for null; raises ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number of minutes or null")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be a finite number of minutes ≥ 0, not {value!r}")
    return float(value)


class StationWaits:
    """Expected queue waits per station and clock hour: what a trip planner adds at a stop.

    Checked on creation: the kind and version, ``stations`` an object, and for each station
    24 hourly ``mean_wait_min`` values (finite minutes ≥ 0 or null) and a finite
    ``overall_mean_wait_min`` ≥ 0; the first problem is one sentence naming the field.
    """

    def __init__(self, doc: dict[str, Any], source: str = "waits") -> None:
        self.source = source
        if doc.get("kind") != WAITS_KIND or doc.get("version") != WAITS_VERSION:
            raise InputFileError(
                source, f"is not a {WAITS_KIND} version {WAITS_VERSION} document", field="kind"
            )
        stations = doc.get("stations")
        if not isinstance(stations, dict):
            raise InputFileError(source, "must be an object of station id: waits", field="stations")
        self.days = doc.get("days")
        self.table: dict[str, tuple[list[float | None], float]] = {}
        for sid, row in stations.items():
            where = f"stations.{sid}"
            if not isinstance(row, dict):
                raise InputFileError(source, "must be an object", field=where)
            means = row.get("mean_wait_min")
            if not isinstance(means, list) or len(means) != 24:
                raise InputFileError(
                    source, "needs 24 hourly values", field=f"{where}.mean_wait_min"
                )
            checked: list[float | None] = []
            for h, value in enumerate(means):
                try:
                    checked.append(_wait_value(value))
                except ValueError as exc:
                    raise InputFileError(
                        source, f"{exc} (got {value!r})", field=f"{where}.mean_wait_min[{h}]"
                    ) from None
            try:
                overall = _wait_value(row.get("overall_mean_wait_min", 0.0))
            except ValueError as exc:
                raise InputFileError(
                    source, str(exc), field=f"{where}.overall_mean_wait_min"
                ) from None
            self.table[str(sid)] = (checked, overall or 0.0)

    @classmethod
    def read(cls, path: str | Path) -> StationWaits:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputFileError(str(path), "file not found") from None
        except IsADirectoryError:
            raise InputFileError(str(path), "is a directory, not a station-waits file") from None
        except UnicodeDecodeError:
            raise InputFileError(str(path), "is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise InputFileError(
                str(path), f"is not valid JSON ({exc.msg})", line=exc.lineno
            ) from None
        if not isinstance(doc, dict):
            raise InputFileError(str(path), "must be a JSON object")
        return cls(doc, str(path))

    def expected_wait_min(self, station_id: str, when: datetime) -> float:
        """Mean simulated queue wait at ``station_id`` for an arrival at ``when`` (0 if unknown)."""
        hour = (when.astimezone(CHINA) if when.tzinfo else when.replace(tzinfo=CHINA)).hour
        return self.hourly_min(station_id)[hour]

    def hourly_min(self, station_id: str) -> list[float]:
        """The 24 expected waits (minutes) by clock hour: the overall mean where an hour has
        no data, zeros for a station the document does not know."""
        row = self.table.get(station_id)
        if row is None:
            return [0.0] * 24
        means, overall = row
        return [overall if v is None else v for v in means]

    def by_station(self) -> dict[str, list[float]]:
        """``{station id: 24 waits in minutes}``, what the trip planner and dispatch take."""
        return {sid: self.hourly_min(sid) for sid in self.table}


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
