"""Range alarm: can this truck still reach a station? Answered in microseconds.

:class:`StationReach` is built once for a road graph and a station list: one multi-source
Dijkstra over the road graph (compiled) keeps, for every road node, its ``k`` nearest
stations by road within ``max_km``, each station's own access to its road node included
(:func:`h2lane.routing.stationkernels.k_nearest`, exact). A query is then a snap (for a
latitude/longitude) and a table row::

    reach = StationReach(graph, scenario.stations)
    r = reach.query((38.5, 115.4), h2_kg=12.0, kg_per_100km=9.0, reserve_kg=5.0)
    r.reachable, r.nearest[0]        # True, ('baoding', 41.3, 3.72)

Distances are road km from the position's nearest road node to the station's, plus the
straight-line access at both ends (the position's snap distance and the station's), the
way the trip planner counts them. ``kg_needed`` is that distance at the given consumption;
a station is reachable when ``kg_needed`` ≤ hydrogen on board − reserve. The table lists
stations up to ``max_km`` (default 2,000 km, beyond any fuel-cell truck's tank); a query whose
range exceeds it answers from a bounded Dijkstra from the position instead (exact, slower).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from h2lane.errors import OptionError
from h2lane.roads.graph import RoadGraph
from h2lane.routing import stationkernels as kern
from h2lane.routing.stationgraph import _node_csr, _non_negative, _positive, road_csr

if TYPE_CHECKING:
    from h2lane.scenario.model import Station

Position = int | tuple[float, float]
"""A road node index, or ``(lat, lon)`` in WGS-84 degrees."""


@dataclass(frozen=True, slots=True)
class ReachResult:
    """Answer of :meth:`StationReach.query`.

    ``nearest``: up to ``k`` stations nearest by road, nearest first, as
    ``(station_id, km, kg_needed)`` — reachable or not, so an alarm can name the closest;
    ``reachable``: whether at least one of them can be reached keeping the reserve (the
    nearest is, if any is); ``range_km``: what the hydrogen above the reserve still drives.
    """

    reachable: bool
    nearest: list[tuple[str, float, float]]
    range_km: float
    node: int
    snap_km: float


class StationReach:
    """Nearest stations by road from any position, from a table built once.

    Parameters
    ----------
    graph
        The road graph.
    stations
        Scenario stations (snapped to their nearest road nodes here).
    k
        Stations kept per road node (the length of :attr:`ReachResult.nearest`).
    max_km
        The farthest station distance the table holds.
    """

    def __init__(
        self,
        graph: RoadGraph,
        stations: Sequence[Station],
        *,
        k: int = 3,
        max_km: float = 2000.0,
    ) -> None:
        t0 = time.perf_counter()
        if k < 1:
            raise OptionError(f"k must be at least 1, not {k}")
        self.graph, self.k = graph, int(k)
        self.max_km = _positive("max_km", max_km)
        self.ids = [s.id for s in stations]
        if stations:
            nodes, snap = graph.snap_many(
                np.array([s.lat for s in stations]), np.array([s.lon for s in stations])
            )
        else:
            nodes, snap = np.zeros(0, dtype=np.int64), np.zeros(0)
        self.nodes = np.asarray(nodes, dtype=np.int64)
        self.station_snap_km = np.asarray(snap, dtype=float)
        self.road = road_csr(graph)
        self.st_ptr, self.st_idx = _node_csr(self.nodes, graph.n_nodes)
        indptr, heads, w = self.road
        self.access_m = np.round(self.station_snap_km * 1000.0).astype(np.int64)
        self.limit_m = math.ceil(self.max_km * 1000.0)
        self.table_m, self.table_st = kern.k_nearest(
            indptr, heads, w, self.nodes, self.k, np.int64(self.limit_m), self.access_m
        )
        self.setup_s = time.perf_counter() - t0

    @property
    def nbytes(self) -> int:
        """Memory held by the table and the road CSR copy."""
        parts = [self.table_m, self.table_st, self.st_ptr, self.st_idx, *self.road]
        return int(sum(a.nbytes for a in parts))

    def _locate(self, where: Position) -> tuple[int, float]:
        if isinstance(where, bool) or not isinstance(where, int | np.integer | tuple | list):
            raise OptionError(f"a position is a road node or (lat, lon), not {where!r}")
        if isinstance(where, tuple | list):
            if len(where) != 2:
                raise OptionError(f"a position is (lat, lon), not {where!r}")
            lat, lon = float(where[0]), float(where[1])
            if not (math.isfinite(lat) and math.isfinite(lon)):
                raise OptionError(f"a position needs a finite latitude and longitude: {where!r}")
            snap = self.graph.snap(lat, lon)
            return int(snap.node), float(snap.snap_km)
        node = int(where)
        if not 0 <= node < self.graph.n_nodes:
            raise OptionError(f"node must lie in 0..{self.graph.n_nodes - 1}, not {node}")
        return node, 0.0

    def query(
        self,
        where: Position,
        h2_kg: float,
        kg_per_100km: float,
        reserve_kg: float = 0.0,
    ) -> ReachResult:
        """The nearest stations from ``where`` and whether one is reachable with the reserve."""
        kg = _non_negative("h2_kg", h2_kg)
        rate = _positive("kg_per_100km", kg_per_100km) / 100.0
        reserve = _non_negative("reserve_kg", reserve_kg)
        node, snap_km = self._locate(where)
        range_km = max(0.0, kg - reserve) / rate
        row_st = self.table_st[node]
        row_m = self.table_m[node]
        have = row_st >= 0
        if range_km > self.max_km and not have.any():
            st, metres = self._search(node, range_km - snap_km)
        else:
            st, metres = row_st[have], row_m[have]
        nearest: list[tuple[str, float, float]] = []
        for s, m in zip(st, metres, strict=True):
            km = float(m) / 1000.0 + snap_km
            nearest.append((self.ids[int(s)], round(km, 6), round(km * rate, 6)))
        reachable = bool(nearest) and nearest[0][2] <= kg - reserve + 1e-9
        return ReachResult(reachable, nearest, range_km, node, snap_km)

    def _search(self, node: int, limit_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Stations within ``limit_km`` of ``node`` by road plus their access, nearest ``k``."""
        indptr, heads, w = self.road
        limit_m = np.int64(max(-1, math.floor(limit_km * 1000.0 + 1e-6)))
        found_s, found_d = kern.nearest_from(
            indptr, heads, w, int(node), limit_m, self.st_ptr, self.st_idx, len(self.ids)
        )
        total = found_d + self.access_m[found_s]
        order = np.argsort(total, kind="stable")[: self.k]
        return found_s[order], total[order]
