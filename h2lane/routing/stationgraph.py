"""Range-bounded station graph: built once, reused by every trip, dispatch and range query.

A :class:`StationGraph` holds, for a road graph and a list of stations, the road
distance between every two stations that are within ``range_km`` of each
other (and only those): a sparse graph found with one bounded Dijkstra per
station on the road graph (compiled, both cores), never an all-pairs matrix.
Per trip it adds the distances from the few waypoints to all stations (one CCH
one-to-many query per waypoint, the stations pinned once).

On top of it:

* :meth:`StationGraph.reach` — "can this truck still reach a station?" for the
  live range alarm, a table lookup after a k-nearest-stations search over the
  whole road graph done once at set-up;
* :func:`full_refuel_path` — the exact plan when every stop fills the tank
  (station-graph Dijkstra; time objective without opening hours, or cost),
  the lower limit of any planner for that case;
* :func:`upper_bound` — the time and cost of a feasible plan (the full-refuel
  paths, with the refuel amounts re-optimised on their stop sequence);
* :func:`candidate_stations` — an exact filter: the stations that can appear in
  an optimal plan, given an upper bound on the optimum.

All road distances are whole metres, as in the CCH engine, so every number
here equals what :meth:`RoadGraph.matrix_km` returns for the same pair.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import tempfile
import time
import weakref
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import routingkit_cch as rk
from numpy.typing import NDArray

from h2lane import aot
from h2lane.errors import OptionError, RoadNetworkError
from h2lane.forking import in_processes
from h2lane.roads.graph import MAX_SNAP_KM, RoadGraph
from h2lane.routing.refuel import wait_hours
from h2lane.routing.rest import RestRules

if TYPE_CHECKING:
    from h2lane.routing.trip import TripRequest
    from h2lane.scenario.model import Station

Objective = Literal["time", "cost"]
EPS = 1e-9
PROCESS_MIN_STATIONS = 1000
"""From this many stations the CCH build of :class:`StationGraph` uses two processes."""
CACHE_FORMAT = 1
"""Version of the file :meth:`StationGraph.save` writes; a file of another version is rebuilt."""
_ROAD_DIGESTS: weakref.WeakKeyDictionary[RoadGraph, bytes] = weakref.WeakKeyDictionary()


def _positive(name: str, value: float) -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise OptionError(f"{name} must be a finite number above 0, not {value!r}")
    return v


def _non_negative(name: str, value: float) -> float:
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise OptionError(f"{name} must be a finite number ≥ 0, not {value!r}")
    return v


def road_csr(graph: RoadGraph) -> tuple[NDArray, NDArray, NDArray]:
    """Both directions of every road edge as CSR arrays ``(indptr, heads, metres)``."""
    tail = np.concatenate([graph.u, graph.v])
    head = np.concatenate([graph.v, graph.u])
    w = np.concatenate([graph.length_m, graph.length_m]).astype(np.int64)
    order = np.argsort(tail, kind="stable")
    indptr = np.zeros(graph.n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=graph.n_nodes), out=indptr[1:])
    return indptr, head[order].astype(np.int32), w[order]


def _node_csr(nodes: NDArray, n_nodes: int) -> tuple[NDArray, NDArray]:
    """Stations grouped by road node: ``idx[ptr[u]:ptr[u+1]]`` are the stations at ``u``."""
    order = np.argsort(nodes, kind="stable").astype(np.int32)
    ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(nodes, minlength=n_nodes), out=ptr[1:])
    return ptr, order


def road_digest(graph: RoadGraph) -> bytes:
    """A content hash of the road graph (nodes, edges, lengths), computed once per graph."""
    digest = _ROAD_DIGESTS.get(graph)
    if digest is None:
        h = hashlib.blake2b(digest_size=20)
        h.update(np.int64(graph.n_nodes).tobytes())
        for a, dtype in (
            (graph.lat, np.float64),
            (graph.lon, np.float64),
            (graph.u, np.int64),
            (graph.v, np.int64),
            (graph.length_m, np.int64),
        ):
            h.update(np.ascontiguousarray(a, dtype=dtype).tobytes())
        digest = _ROAD_DIGESTS[graph] = h.digest()
    return digest


def _valid_arcs(indptr: NDArray, idx: NDArray, metres: NDArray, *, n: int, range_km: float) -> bool:
    """Whether ``(indptr, idx, metres)`` are CSR arcs of ``n`` stations within ``range_km``."""
    range_m = math.ceil(range_km * 1000.0)
    dtype = np.int32 if range_m < 2**31 - 1 else np.int64
    if (
        indptr.dtype != np.int64
        or idx.dtype != np.int32
        or metres.dtype != dtype
        or indptr.shape != (n + 1,)
        or idx.ndim != 1
        or metres.shape != idx.shape
        or indptr[0] != 0
        or indptr[-1] != idx.size
        or np.any(np.diff(indptr) < 0)
    ):
        return False
    return bool(
        idx.size == 0
        or (idx.min() >= 0 and idx.max() < n and metres.min() >= 0 and metres.max() <= range_m)
    )


@dataclass(frozen=True, slots=True)
class Reach:
    """Answer of :meth:`StationGraph.reach`: nearest stations within range, nearest first."""

    reachable: bool
    stations: list[int]
    km: list[float]
    node: int
    snap_km: float


@dataclass(frozen=True, slots=True)
class TripSpec:
    """What the station-graph routines need of a trip: waypoints on the graph and the truck."""

    waypoint_nodes: NDArray
    kg_per_km: NDArray
    tank_kg: float
    start_kg: float
    reserve_kg: float
    speed_kmh: float

    def __post_init__(self) -> None:
        if len(self.waypoint_nodes) < 2:
            raise OptionError("a trip needs an origin and a destination")
        if len(self.kg_per_km) != len(self.waypoint_nodes) - 1:
            raise OptionError("kg_per_km needs one consumption per leg")
        for r in self.kg_per_km:
            _positive("kg_per_km", r)
        _positive("tank_kg", self.tank_kg)
        _non_negative("start_kg", self.start_kg)
        _non_negative("reserve_kg", self.reserve_kg)
        _positive("speed_kmh", self.speed_kmh)
        if self.reserve_kg >= self.tank_kg:
            raise OptionError(
                f"reserve_kg {self.reserve_kg:g} leaves nothing of the {self.tank_kg:g} kg tank"
            )
        if not (self.reserve_kg <= self.start_kg <= self.tank_kg + EPS):
            raise OptionError(
                f"start_kg {self.start_kg:g} must lie between the reserve "
                f"{self.reserve_kg:g} kg and the tank {self.tank_kg:g} kg"
            )

    @property
    def n_legs(self) -> int:
        return len(self.kg_per_km)

    @classmethod
    def from_request(cls, graph: RoadGraph, req: TripRequest) -> TripSpec:
        """The spec of a :class:`~h2lane.routing.trip.TripRequest` (waypoints snapped here)."""
        nodes = [graph.snap(w.lat, w.lon).node for w in req.waypoints]
        t = req.truck
        rate = [(t.kg_per_100km if ld else t.kg_per_100km_empty) / 100.0 for ld in req.loaded]
        return cls(
            np.asarray(nodes, dtype=np.int64),
            np.asarray(rate, dtype=float),
            float(t.tank_kg),
            float(req.start_kg),
            float(req.reserve_kg),
            float(t.speed_kmh),
        )

    def max_hop_km(self) -> float:
        """The longest stretch a full tank covers above the reserve, on the thriftiest leg."""
        return (self.tank_kg - self.reserve_kg) / float(np.min(self.kg_per_km))


@dataclass(slots=True)
class TripDistances:
    """Road distances of one trip: ``wp_m[m, j]`` waypoint m ⇄ station j (−1 unreachable)."""

    wp_m: NDArray
    leg_m: NDArray

    @property
    def wp_km(self) -> NDArray:
        km = self.wp_m / 1000.0
        km[self.wp_m < 0] = np.inf
        return km

    @property
    def leg_km(self) -> NDArray:
        return self.leg_m / 1000.0


class StationGraph:
    """Stations and the road km between every two within ``range_km`` of each other.

    Parameters
    ----------
    graph
        The road graph (its CCH engine answers the per-trip waypoint queries).
    station_nodes
        Road node of each station.
    range_km
        Largest hop any truck using this graph can drive (e.g. the empty-leg range of the
        longest-range truck, :meth:`TripSpec.max_hop_km`).
    price, fill_h_per_kg, connect_h, open_h, close_h
        Per-station attributes (defaults: free, instant, always open).
    method
        ``"cch"`` (default: one CCH one-to-many query per station against all pinned
        stations, two threads, then thresholded at the range) or ``"dijkstra"`` (a
        compiled bounded Dijkstra per station on the road graph, both cores; same
        numbers, slower on the bundled graph: 16.6 s against 1.1–1.6 s for 1,000
        stations at 964 km on the loaded 2-core test machine).

    arcs
        The CSR arcs ``(indptr, idx, metres)`` of an earlier build of the same road graph,
        nodes and range (:meth:`load` passes them; nothing is built).

    Attributes ``indptr``, ``idx``, ``metres`` are the CSR arcs (symmetric, row ``i``
    sorted by station index); ``setup_s`` the build time and :attr:`nbytes` the memory.
    """

    def __init__(
        self,
        graph: RoadGraph,
        station_nodes: Sequence[int] | NDArray,
        range_km: float,
        *,
        price: NDArray | None = None,
        fill_h_per_kg: NDArray | None = None,
        connect_h: NDArray | None = None,
        open_h: NDArray | None = None,
        close_h: NDArray | None = None,
        method: Literal["dijkstra", "cch"] = "cch",
        chunk: int = 256,
        arcs: tuple[NDArray, NDArray, NDArray] | None = None,
    ) -> None:
        t0 = time.perf_counter()
        self.graph = graph
        self.nodes = np.asarray(station_nodes, dtype=np.int64)
        n = self.n = len(self.nodes)
        if n and (self.nodes.min() < 0 or self.nodes.max() >= graph.n_nodes):
            raise OptionError(f"station nodes must lie in 0..{graph.n_nodes - 1}")
        self.range_km = _positive("range_km", range_km)
        self.range_m = math.ceil(self.range_km * 1000.0)

        def attr(a: NDArray | None, default: float) -> NDArray:
            out = np.full(n, default) if a is None else np.asarray(a, dtype=float)
            if out.shape != (n,) or not np.all(np.isfinite(out)) or np.any(out < 0):
                raise OptionError("station attributes need one finite value ≥ 0 per station")
            return out

        self.price = attr(price, 0.0)
        self.fill_h_per_kg = attr(fill_h_per_kg, 0.0)
        self.connect_h = attr(connect_h, 0.0)
        self.open_h = attr(open_h, 0.0)
        self.close_h = attr(close_h, 24.0)
        self.road = road_csr(graph)
        self.st_ptr, self.st_idx = _node_csr(self.nodes, graph.n_nodes)
        if arcs is not None:
            self.indptr, self.idx, self.metres = arcs
        elif method == "dijkstra":
            self.indptr, self.idx, self.metres = self._build_dijkstra(chunk)
        elif method == "cch":
            self.indptr, self.idx, self.metres = self._build_cch()
        else:
            raise OptionError(f"method must be 'dijkstra' or 'cch', not {method!r}")
        self._one_to_many: rk.CCHOneToMany | None = None
        self._reach: tuple[NDArray, NDArray] | None = None
        self.setup_s = time.perf_counter() - t0

    @classmethod
    def from_stations(
        cls, graph: RoadGraph, stations: Sequence[Station], range_km: float, **kw: object
    ) -> StationGraph:
        """Snap scenario stations (as :func:`~h2lane.routing.trip.plan_trip` does) and build."""
        if stations:
            nodes, snap = graph.snap_many(
                np.array([s.lat for s in stations]), np.array([s.lon for s in stations])
            )
        else:
            nodes, snap = np.zeros(0, dtype=np.int64), np.zeros(0)
        far = np.flatnonzero(snap > MAX_SNAP_KM)
        if far.size:
            s = stations[int(far[0])]
            raise RoadNetworkError(
                f"station '{s.id}' ({s.lat:.4f},{s.lon:.4f}) is {snap[far[0]]:.1f} km from the "
                f"nearest road of the '{graph.name}' graph: it is outside the graph's coverage"
            )
        windows = np.array([s.open_window_h() for s in stations], dtype=float).reshape(-1, 2)
        return cls(
            graph,
            nodes,
            range_km,
            price=np.array([s.price for s in stations], dtype=float),
            fill_h_per_kg=np.array([1000.0 / s.nozzle_flow_g_s / 3600.0 for s in stations]),
            connect_h=np.array([s.connect_min / 60.0 for s in stations]),
            open_h=windows[:, 0],
            close_h=windows[:, 1],
            **kw,  # type: ignore[arg-type]
        )

    # ------------------------------------------------------------------ cache file
    def save(self, path: str | Path) -> None:
        """Write the arcs and what they were built from to ``path`` (a ``.npz``), atomically.

        The file is written beside ``path`` under a temporary name and renamed over it, so
        a reader sees the old file or the new one, never half of one. :meth:`load` reads it.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    format=np.int64(CACHE_FORMAT),
                    road=np.frombuffer(road_digest(self.graph), dtype=np.uint8),
                    range_km=np.float64(self.range_km),
                    nodes=self.nodes,
                    indptr=self.indptr,
                    idx=self.idx,
                    metres=self.metres,
                )
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(
        cls,
        path: str | Path,
        graph: RoadGraph,
        station_nodes: Sequence[int] | NDArray,
        range_km: float,
        **attrs: NDArray | None,
    ) -> StationGraph | None:
        """The station graph saved at ``path`` if it was built from ``graph``, these
        ``station_nodes`` and this ``range_km`` (station attributes as in the constructor).

        ``None`` when the file is missing, unreadable, truncated or corrupt (the zip CRC and
        the CSR structure are checked), of another :data:`CACHE_FORMAT`, or built from
        anything else: the caller then builds the graph afresh.
        """
        t0 = time.perf_counter()
        nodes = np.asarray(station_nodes, dtype=np.int64)
        try:
            with np.load(path, allow_pickle=False) as z:
                ok = (
                    int(z["format"]) == CACHE_FORMAT
                    and z["road"].tobytes() == road_digest(graph)
                    and float(z["range_km"]) == float(range_km)
                    and np.array_equal(z["nodes"], nodes)
                )
                if not ok:
                    return None
                arcs = (z["indptr"], z["idx"], z["metres"])
        except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
            return None
        if not _valid_arcs(*arcs, n=len(nodes), range_km=float(range_km)):
            return None
        sg = cls(graph, nodes, range_km, arcs=arcs, **attrs)  # type: ignore[arg-type]
        sg.setup_s = time.perf_counter() - t0
        return sg

    # ------------------------------------------------------------------ build
    def _compact(self, first: int, out: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """Row counts, columns and metres of a dense block of rows (−1 = no arc)."""
        rows = np.arange(first, first + out.shape[0])
        out[np.arange(out.shape[0]), rows] = -1  # no self-loops
        r, c = np.nonzero(out >= 0)
        dtype = np.int32 if self.range_m < 2**31 - 1 else np.int64
        counts = np.bincount(r, minlength=out.shape[0]).astype(np.int64)
        return counts, c.astype(np.int32), out[r, c].astype(dtype)

    def _assemble(
        self, parts: list[tuple[NDArray, NDArray, NDArray]]
    ) -> tuple[NDArray, NDArray, NDArray]:
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        if not parts:
            return indptr, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
        np.cumsum(np.concatenate([p[0] for p in parts]), out=indptr[1:])
        return indptr, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])

    def _build_dijkstra(self, chunk: int) -> tuple[NDArray, NDArray, NDArray]:
        from h2lane.routing import stationkernels as kern

        indptr, heads, w = self.road
        parts: list[tuple[NDArray, NDArray, NDArray]] = []
        for first in range(0, self.n, chunk):
            src = self.nodes[first : first + chunk]
            out = np.full((len(src), self.n), -1, dtype=np.int64)
            kern.bounded_rows(
                indptr, heads, w, src, np.int64(self.range_m), self.st_ptr, self.st_idx, out
            )
            parts.append(self._compact(first, out))
        return self._assemble(parts)

    def _build_cch(self, workers: int = 2, blocks: int = 16) -> tuple[NDArray, NDArray, NDArray]:
        """Upper triangle by blocks (sources of block b against stations b_start…n−1), mirrored.

        The CCH binding holds the GIL while it answers, so threads would take turns: from
        :data:`PROCESS_MIN_STATIONS` stations on, a forked process answers every other
        block while this one answers the rest (the blocks alternate, big ones first, so
        both finish together).
        """
        metric = self.graph.engine._metric
        n = self.n
        if n == 0:
            return self._assemble([])
        bounds = np.linspace(0, n, min(blocks, n) + 1).astype(int)
        jobs = [(int(bounds[b]), int(bounds[b + 1])) for b in range(len(bounds) - 1)]
        dtype = np.int32 if self.range_m < 2**31 - 1 else np.int64

        def work(mine: list[tuple[int, int]]) -> dict[int, tuple[NDArray, NDArray, NDArray]]:
            out_parts: dict[int, tuple[NDArray, NDArray, NDArray]] = {}
            otm: rk.CCHOneToMany | None = None
            for lo, hi in mine:
                targets = self.nodes[lo:].tolist()
                if otm is None:
                    otm = rk.CCHOneToMany(metric, targets)
                else:
                    otm.repin_targets(targets)
                out = np.full((hi - lo, n - lo), -1, dtype=np.int64)
                for r in range(hi - lo):
                    d = np.array(otm.distances_from(int(self.nodes[lo + r])), dtype=float)
                    d[np.isnan(d) | (d > self.range_m)] = -1
                    d[: r + 1] = -1  # keep j > i only
                    out[r] = d.astype(np.int64)
                rr, cc = np.nonzero(out >= 0)
                out_parts[lo] = (
                    np.bincount(rr, minlength=hi - lo).astype(np.int64),
                    (cc + lo).astype(np.int32),
                    out[rr, cc].astype(dtype),
                )
            return out_parts

        shares = [jobs[t::workers] for t in range(workers)]
        parts = in_processes(work, shares) if n >= PROCESS_MIN_STATIONS else None
        if parts is None:
            parts = {}
            for share in shares:
                parts.update(work(share))
        counts = np.concatenate([parts[lo][0] for lo, _ in jobs])
        rows = np.repeat(np.arange(n, dtype=np.int64), counts)
        cols = np.concatenate([parts[lo][1] for lo, _ in jobs]).astype(np.int64)
        vals = np.concatenate([parts[lo][2] for lo, _ in jobs])
        # mirrored: the upper triangle holds j > i only, so no pair comes twice
        heads, tails = np.concatenate([rows, cols]), np.concatenate([cols, rows])
        order = np.lexsort((tails, heads))
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(heads, minlength=n), out=indptr[1:])
        return indptr, tails[order].astype(np.int32), np.concatenate([vals, vals])[order]

    @property
    def n_arcs(self) -> int:
        return int(self.idx.size)

    @property
    def nbytes(self) -> int:
        """Memory held by the station graph and the road CSR copy."""
        parts = [self.indptr, self.idx, self.metres, self.st_ptr, self.st_idx, *self.road]
        if self._reach is not None:
            parts.extend(self._reach)
        return int(sum(a.nbytes for a in parts))

    # ------------------------------------------------------------------ look-ups
    def hop_m(self, i: int, j: int) -> int:
        """Road metres station ``i`` → ``j`` if within range, else −1."""
        lo, hi = int(self.indptr[i]), int(self.indptr[i + 1])
        q = lo + int(np.searchsorted(self.idx[lo:hi], j))
        return int(self.metres[q]) if q < hi and int(self.idx[q]) == j else -1

    def dense_km(self, sub: Sequence[int] | NDArray) -> NDArray:
        """``(len(sub), len(sub))`` km between the stations ``sub``; ``inf`` beyond the range.

        The ``st_st`` of a :class:`~h2lane.routing.refuel.RefuelProblem` over a filtered
        station list: a hop beyond ``range_km`` cannot be driven, so ``inf`` changes nothing
        as long as ``range_km`` covers the truck's longest hop.
        """
        sub = np.asarray(sub, dtype=np.int64)
        pos = np.full(self.n, -1, dtype=np.int64)
        pos[sub] = np.arange(len(sub))
        out = np.full((len(sub), len(sub)), np.inf)
        np.fill_diagonal(out, 0.0)
        aot.kernel("dense_sub_km")(self.indptr, self.idx, self.metres, sub, pos, out)
        return out

    def distances_from(self, node: int) -> NDArray:
        """Road metres from a road node to every station (−1 unreachable), one CCH query."""
        if self._one_to_many is None:
            self._one_to_many = rk.CCHOneToMany(self.graph.engine._metric, self.nodes.tolist())
        d = np.array(self._one_to_many.distances_from(int(node)), dtype=float)
        d[np.isnan(d)] = -1
        return d.astype(np.int64)

    def trip_distances(self, spec: TripSpec) -> TripDistances:
        """Waypoint ⇄ station metres and leg metres of one trip (L + 1 CCH queries)."""
        wps = [int(x) for x in spec.waypoint_nodes]
        cache: dict[int, NDArray] = {}
        rows = []
        for w in wps:
            if w not in cache:
                cache[w] = self.distances_from(w) if self.n else np.zeros(0, dtype=np.int64)
            rows.append(cache[w])
        wp_m = np.vstack(rows) if self.n else np.zeros((len(wps), 0), dtype=np.int64)
        eng = self.graph.engine
        leg_km = np.array([eng.distance_km(a, b) for a, b in zip(wps[:-1], wps[1:], strict=True)])
        leg_m = np.where(np.isfinite(leg_km), np.round(leg_km * 1000.0), -1).astype(np.int64)
        return TripDistances(wp_m, leg_m)

    # ------------------------------------------------------------------ range alarm
    def prepare_reach(self, k: int = 3) -> None:
        """Precompute the ``k`` nearest stations (within ``range_km``) of every road node."""
        from h2lane.routing import stationkernels as kern

        indptr, heads, w = self.road
        zero = np.zeros(self.n, dtype=np.int64)
        kd, ks = kern.k_nearest(indptr, heads, w, self.nodes, int(k), np.int64(self.range_m), zero)
        self._reach = (kd, ks)

    def reach(
        self,
        range_km: float,
        *,
        lat: float | None = None,
        lon: float | None = None,
        node: int | None = None,
        k: int = 3,
    ) -> Reach:
        """Stations the truck can still reach, nearest first (at most ``k``).

        Give the position as ``lat``/``lon`` (snapped to the nearest road node; its
        snap distance is added to every km, a conservative allowance) or as a road
        ``node``. ``range_km`` is what the hydrogen above the reserve still drives
        (:meth:`reach_kg` computes it). Answered from the k-nearest table built by
        :meth:`prepare_reach` (done on first use); ``k`` beyond the table or a range
        beyond ``range_km`` of the graph falls back to a bounded Dijkstra with early exit.
        """
        rng = _non_negative("range_km", range_km)
        if k < 1:
            raise OptionError(f"k must be at least 1, not {k}")
        if node is None:
            if lat is None or lon is None:
                raise OptionError("reach needs a position: lat and lon, or a road node")
            snap = self.graph.snap(lat, lon)
            node, snap_km = snap.node, snap.snap_km
        else:
            if not 0 <= node < self.graph.n_nodes:
                raise OptionError(f"node must lie in 0..{self.graph.n_nodes - 1}, not {node}")
            snap_km = 0.0
        if self._reach is None:
            self.prepare_reach(max(3, k))
        assert self._reach is not None
        kd, ks = self._reach
        limit_m = (rng - snap_km) * 1000.0
        if k <= kd.shape[1] and (rng <= self.range_km or ks[node, kd.shape[1] - 1] >= 0):
            row_d, row_s = kd[node, :k], ks[node, :k]
            ok = (row_s >= 0) & (row_d <= limit_m + 1e-6)
            found_s, found_d = row_s[ok], row_d[ok]
        else:
            from h2lane.routing import stationkernels as kern

            indptr, heads, w = self.road
            found_s, found_d = kern.nearest_from(
                indptr,
                heads,
                w,
                int(node),
                np.int64(max(-1, math.floor(limit_m + 1e-6))),
                self.st_ptr,
                self.st_idx,
                int(k),
            )
        km = [round(float(d) / 1000.0 + snap_km, 6) for d in found_d]
        return Reach(bool(len(found_s)), [int(s) for s in found_s], km, int(node), snap_km)

    def reach_kg(
        self,
        kg_on_board: float,
        kg_per_100km: float,
        reserve_kg: float,
        *,
        lat: float | None = None,
        lon: float | None = None,
        node: int | None = None,
        k: int = 3,
    ) -> Reach:
        """:meth:`reach` with the range from the hydrogen on board above the reserve."""
        kg = _non_negative("kg_on_board", kg_on_board)
        rate = _positive("kg_per_100km", kg_per_100km) / 100.0
        reserve = _non_negative("reserve_kg", reserve_kg)
        return self.reach(max(0.0, kg - reserve) / rate, lat=lat, lon=lon, node=node, k=k)


# ---------------------------------------------------------------------- full refuels
@dataclass(slots=True)
class StopPlan:
    """A plan over the station graph: the stops ``(leg, station)`` and what they buy."""

    stops: list[tuple[int, int]]
    distance_km: float
    value: float
    buy_kg: list[float] = field(default_factory=list)
    time_h: float = math.nan
    cost: float = math.nan


def full_refuel_path(
    sg: StationGraph,
    spec: TripSpec,
    objective: Objective = "time",
    dist: TripDistances | None = None,
    *,
    keep: NDArray | None = None,
) -> StopPlan | None:
    """Exact optimum when every stop fills the tank; ``None`` when no plan exists.

    ``keep`` (boolean per station): use only those stations — a feasible plan, and the
    optimum over them, quicker than over all when few are kept.

    Time objective: hours of driving + connect + kg ÷ nozzle flow, opening hours
    ignored (the planner's full-refuel optimum when every station is always open).
    Cost objective: yuan paid. A station-graph Dijkstra over ``(leg, station)``
    states whose arcs are the within-range hops and the hops through waypoints.
    """
    if objective not in ("time", "cost"):
        raise OptionError(f"objective must be 'time' or 'cost', not {objective!r}")
    dist = dist or sg.trip_distances(spec)
    if np.any(dist.leg_m < 0):
        return None
    n, L = sg.n, spec.n_legs
    wp_sort = np.where(dist.wp_m < 0, np.iinfo(np.int64).max, dist.wp_m)
    wp_order = np.argsort(wp_sort, axis=1, kind="stable").astype(np.int64)
    if objective == "time":
        per_km, per_stop, per_kg = 1.0 / spec.speed_kmh, sg.connect_h, sg.fill_h_per_kg
    else:
        per_km, per_stop, per_kg = 0.0, np.zeros(n), sg.price
    use = np.ones(n, dtype=np.bool_) if keep is None else np.asarray(keep, dtype=np.bool_)
    value, km, pred = aot.kernel("full_refuel_dijkstra")(
        sg.indptr,
        sg.idx,
        sg.metres,  # int32 or int64: each hop read as km, the same floats
        dist.wp_m,
        wp_order,
        dist.leg_m.astype(np.float64),
        np.asarray(spec.kg_per_km, dtype=float),
        spec.tank_kg,
        spec.start_kg,
        spec.reserve_kg,
        spec.speed_kmh,
        per_km,
        np.asarray(per_stop, dtype=float),
        np.asarray(per_kg, dtype=float),
        EPS,
        use,
    )
    if not math.isfinite(value):
        return None
    dest = 1 + L * n
    chain: list[int] = []
    u = int(pred[dest])
    while u > 0:
        chain.append(u)
        u = int(pred[u])
    stops = [divmod(s - 1, n) for s in reversed(chain)]
    return StopPlan(stops=stops, distance_km=float(km), value=float(value))


# ---------------------------------------------------------------------- bounds
def _hops(
    sg: StationGraph, spec: TripSpec, dist: TripDistances, stops: list[tuple[int, int]]
) -> list[float] | None:
    """Road km of each hop origin → stop₁ → … → destination (None if a hop is unknown)."""
    leg_km = dist.leg_km
    cum = np.concatenate([[0.0], np.cumsum(leg_km)])
    wp_km = dist.wp_km
    L = spec.n_legs
    hops: list[float] = []
    prev: tuple[int, int] | None = None
    for k, j in [*stops, (L, -1)]:
        if prev is None:
            out, base = 0.0, 0
        else:
            pk, pi = prev
            if pk == k and j >= 0:
                m = sg.hop_m(pi, j)
                if m < 0:
                    return None
                hops.append(m / 1000.0)
                prev = (k, j)
                continue
            out, base = float(wp_km[pk + 1, pi]), pk + 1
        into = float(wp_km[k, j]) if j >= 0 else 0.0
        hops.append(out + float(cum[k] - cum[base]) + into)
        prev = (k, j)
    return hops if all(math.isfinite(h) for h in hops) else None


def _hop_kg(
    spec: TripSpec, dist: TripDistances, stops: list[tuple[int, int]], hops: list[float]
) -> list[float]:
    """Hydrogen of each hop, leg by leg (hops through waypoints change consumption)."""
    wp_km = dist.wp_km
    leg_km = dist.leg_km
    rate = spec.kg_per_km
    L = spec.n_legs
    out: list[float] = []
    pts: list[tuple[int, int]] = [(0, -1), *stops, (L, -1)]
    for h, ((pk, pi), (k, j)) in enumerate(zip(pts[:-1], pts[1:], strict=True)):
        if h > 0 and pk == k and j >= 0:
            out.append(hops[h] * rate[k])
            continue
        kg = 0.0
        base = pk
        if h > 0:
            kg += float(wp_km[pk + 1, pi]) * rate[pk]
            base = pk + 1
        for m in range(base, k):
            kg += float(leg_km[m]) * rate[m]
        if j >= 0:
            kg += float(wp_km[k, j]) * rate[k]
        out.append(kg)
    return out


def evaluate_stops(
    sg: StationGraph,
    spec: TripSpec,
    stops: list[tuple[int, int]],
    objective: Objective,
    dist: TripDistances | None = None,
    depart_h: float = 8.0,
) -> StopPlan | None:
    """A feasible plan along a fixed stop sequence, amounts chosen by the gas-station greedy.

    At each stop: if a stop ahead within a full tank is cheaper (price for cost,
    fill hours per kg for time), buy just enough to reach it; else if the
    destination is within a full tank, just enough for it; else fill. Stops that
    would buy nothing are dropped and the sequence re-evaluated. Arrival times
    follow the opening hours (wait until opening, and — conservatively — until the
    next opening when the fill would end after closing). Returns ``None`` when the
    sequence is infeasible. The plan is feasible, so its time and cost bound the
    planner's optimum from above (without driver rest rules: see
    :func:`candidate_stations`).
    """
    dist = dist or sg.trip_distances(spec)
    stops = list(stops)
    tank, reserve, cap = spec.tank_kg, spec.reserve_kg, spec.tank_kg - spec.reserve_kg
    w = sg.price if objective == "cost" else sg.fill_h_per_kg
    while True:
        hops = _hops(sg, spec, dist, stops)
        if hops is None:
            return None
        kg = _hop_kg(spec, dist, stops, hops)
        if kg[0] > spec.start_kg - reserve + EPS or any(f > cap + EPS for f in kg[1:]):
            return None
        level = spec.start_kg - kg[0]
        buys: list[float] = []
        for t, (_, j) in enumerate(stops):
            ahead, target = 0.0, tank
            for u in range(t, len(stops)):
                ahead += kg[u + 1]  # hop stop u → stop u+1 (or the destination)
                if ahead > cap + EPS:
                    break
                if u + 1 == len(stops) or w[stops[u + 1][1]] < w[j]:
                    target = ahead + reserve
                    break
            buy = max(0.0, min(tank, target) - level)
            buys.append(buy)
            level = level + buy - kg[t + 1]
        zero = [t for t, b in enumerate(buys) if b <= EPS]
        if not zero:
            break
        stops = [s for t, s in enumerate(stops) if t not in set(zero)]
    # simulate times with opening hours
    clock = 0.0
    cost = 0.0
    for t, (_, j) in enumerate(stops):
        clock += hops[t] / spec.speed_kmh
        now = depart_h + clock
        fill = float(sg.connect_h[j] + buys[t] * sg.fill_h_per_kg[j])
        wait = _fill_start(now, float(sg.open_h[j]), float(sg.close_h[j]), fill) - now
        clock += wait + fill
        cost += buys[t] * float(sg.price[j])
    clock += hops[-1] / spec.speed_kmh
    value = clock if objective == "time" else cost
    return StopPlan(stops, float(sum(hops)), value, buys, clock, cost)


def _fill_start(now: float, open_h: float, close_h: float, fill_h: float) -> float:
    """Earliest start ≥ ``now`` inside a daily window with the fill ending by closing.

    Falls back to the planner's waiting rule when the fill is longer than the window.
    """
    if close_h - open_h >= 24.0 - EPS:
        return now
    if fill_h <= close_h - open_h + EPS:
        d0 = math.floor((now - close_h) / 24.0)
        for d in range(d0, d0 + 3):
            start = max(now, open_h + 24.0 * d)
            if start + fill_h <= close_h + 24.0 * d + EPS:
                return start
    return now + wait_hours(now, open_h, close_h)


def upper_bound(
    sg: StationGraph,
    spec: TripSpec,
    objective: Objective,
    dist: TripDistances | None = None,
    depart_h: float = 8.0,
) -> StopPlan | None:
    """The best feasible plan found along the time and cost full-refuel paths (greedy amounts)."""
    dist = dist or sg.trip_distances(spec)
    best: StopPlan | None = None
    for obj in ("time", "cost"):
        path = full_refuel_path(sg, spec, obj, dist)
        if path is None:
            continue
        plan = evaluate_stops(sg, spec, path.stops, objective, dist, depart_h)
        if plan is not None and (best is None or plan.value < best.value):
            best = plan
    return best


@dataclass(slots=True)
class Candidates:
    """Result of :func:`candidate_stations`."""

    stations: NDArray
    leg_mask: NDArray
    lower_bound: NDArray
    upper_bound: float
    rounds: int


def candidate_stations(
    sg: StationGraph,
    spec: TripSpec,
    objective: Objective,
    upper: float,
    dist: TripDistances | None = None,
    rtol: float = 1e-9,
    rest: RestRules | None = None,
) -> Candidates:
    """Stations that can appear in an optimal plan whose value is at most ``upper``.

    Keeps station ``j`` (per leg ``k``) unless a lower bound ``LB[k, j]`` on every
    plan that stops at ``j`` during leg ``k`` exceeds ``upper``.

    Proof. A plan stopping at ``j`` in leg ``k`` drives waypoints ``0 … k``, then
    ``j``, then waypoints ``k+1 … L`` in order, so by the triangle inequality its
    road km are at least ``D = Σ_{m≠k} leg_m + d(w_k, j) + d(j, w_{k+1})`` and its
    hydrogen at least ``F = Σ_{m≠k} r_m leg_m + r_k (d(w_k, j) + d(j, w_{k+1}))``.
    It ends with at least the reserve, so it buys at least
    ``B = max(0, F + reserve − start)`` kg, and each stop buys at most
    ``tank − reserve`` (it arrives with at least the reserve), so it makes at least
    ``S = max(1, ⌈B / (tank − reserve)⌉)`` stops, one of them at ``j``.

    * time: elapsed ≥ driving + Σ stops (connect + kg × h/kg) + waits ≥
      ``D / speed + connect_j + (S − 1) min connect + B × min h/kg``;
    * cost: money = Σ price × kg ≥ ``B × min price``.

    Waits (opening hours, closing-time rule) and driver rest only add time, and
    extra rules only remove plans, so ``LB`` stays a lower bound under them. Every
    optimal plan has value ``opt ≤ upper``; each of its stops satisfies
    ``LB ≤ opt ≤ upper`` and is kept — whatever the tie-break, the optimum over the
    kept stations equals the optimum over all. The minima are then taken over the
    kept stations only (an optimal plan's stops are all kept) and the filter repeated
    until nothing changes; induction keeps it exact.

    With ``rest`` (driver rest rules in force) the time bound becomes
    ``D / speed + max(stops, rests)``: the time not spent driving is at least the
    stops' connect and fill time and at least the pauses the driving forces —
    ``⌈D/(speed·daily)⌉ − 1`` daily rests and as many more breaks as
    ``⌈D/(speed·continuous)⌉ − 1`` exceeds that (a daily rest also resets continuous
    driving; stops and rests may overlap, hence the maximum). This is the solver's own
    admissible rest bound from fresh counters.

    ``upper`` must be the objective value of a plan that is feasible under the rules
    in force: :func:`upper_bound` is valid without driver rest rules; with rest
    rules use the planner's own value of a plan over a few stations (e.g.
    ``plan_trip`` on the stations of :func:`upper_bound`'s plan).
    """
    if objective not in ("time", "cost"):
        raise OptionError(f"objective must be 'time' or 'cost', not {objective!r}")
    ub = float(upper)
    if math.isnan(ub):
        raise OptionError("the upper bound must be a number")
    dist = dist or sg.trip_distances(spec)
    n, L = sg.n, spec.n_legs
    wp_km = dist.wp_km
    leg_km = dist.leg_km
    rate = np.asarray(spec.kg_per_km, dtype=float)
    total_km = float(leg_km.sum())
    total_kg = float((leg_km * rate).sum())
    detour = wp_km[:L] + wp_km[1 : L + 1]  # (L, n)
    via_km = total_km - leg_km[:, None] + detour
    via_kg = total_kg - (leg_km * rate)[:, None] + detour * rate[:, None]
    need = np.maximum(0.0, via_kg + spec.reserve_kg - spec.start_kg)
    cap = spec.tank_kg - spec.reserve_kg
    extra_stops = np.maximum(0.0, np.ceil(need / cap - 1e-9) - 1.0)
    keep = np.isfinite(via_km)
    drive_h = via_km / spec.speed_kmh
    rest_h = np.zeros_like(via_km)
    if rest is not None and rest.enabled and objective == "time":
        with np.errstate(invalid="ignore"):
            fin = np.where(keep, drive_h * (1.0 - 1e-12), 0.0)
            days = np.maximum(0.0, np.ceil(fin / rest.max_daily_drive_h - 1e-9) - 1.0)
            pauses = np.maximum(0.0, np.ceil(fin / rest.max_drive_h - 1e-9) - 1.0)
        rest_h = days * rest.daily_rest_h + np.maximum(0.0, pauses - days) * rest.break_h
    lb = np.full((L, n), np.inf)
    limit = ub + rtol * max(1.0, abs(ub))
    rounds = 0
    while True:
        rounds += 1
        cols = np.flatnonzero(keep.any(axis=0))
        if cols.size == 0:
            break
        if objective == "time":
            stops_h = (
                sg.connect_h[None, :]
                + extra_stops * float(sg.connect_h[cols].min())
                + need * float(sg.fill_h_per_kg[cols].min())
            )
            lb = drive_h + np.maximum(stops_h, rest_h)
        else:
            lb = need * float(sg.price[cols].min())
        new_keep = keep & (lb <= limit)
        if np.array_equal(new_keep, keep):
            break
        keep = new_keep
    stations = np.flatnonzero(keep.any(axis=0))
    return Candidates(stations, keep, lb, ub, rounds)
