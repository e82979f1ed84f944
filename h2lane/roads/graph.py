"""Road graphs: load, snap points, shortest paths with geometry, matrices.

The bundled graph is the OpenStreetMap North China intercity road network
(© OpenStreetMap contributors, ODbL 1.0), stored compactly in
``h2lane/roads/data/north-china.npz`` with a precomputed hierarchy order.
Another region's graph loads from a node CSV (``node_id,lat,lon``) and an edge
CSV (``u,v,length_km``) with :meth:`RoadGraph.from_csv`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from h2lane import OSM_ATTRIBUTION
from h2lane.errors import InputFileError, RoadNetworkError
from h2lane.roads.engines import CCHEngine, PathEngine, ScipyEngine
from h2lane.roads.geo import NearestNodes, haversine_km, haversine_km_1

BUNDLED_GRAPHS = ("north-china",)
MAX_SNAP_KM = 30.0
"""A point further than this from any road node is outside the graph's coverage."""
SNAP_MEMO_LISTS = 4
"""Point lists (e.g. a scenario's stations) whose nearest nodes :meth:`RoadGraph.snap_many`
remembers, the most recently used first."""


@dataclass(frozen=True, slots=True)
class Snap:
    """A point placed on the graph."""

    node: int
    lat: float
    lon: float
    snap_km: float


class RoadGraph:
    """An undirected road graph with lengths in metres.

    Parameters
    ----------
    lat, lon
        Node coordinates in degrees (WGS-84).
    u, v
        Endpoints of each undirected edge.
    length_m
        Edge lengths in whole metres.
    order
        Optional precomputed contraction order for the CCH engine.
    name, attribution
        Label and data credit shown in outputs.
    """

    def __init__(
        self,
        lat: NDArray,
        lon: NDArray,
        u: NDArray,
        v: NDArray,
        length_m: NDArray,
        *,
        order: NDArray | None = None,
        name: str = "custom",
        attribution: str = OSM_ATTRIBUTION,
    ) -> None:
        self.lat = np.asarray(lat, dtype=float)
        self.lon = np.asarray(lon, dtype=float)
        self.u = np.asarray(u, dtype=np.int64)
        self.v = np.asarray(v, dtype=np.int64)
        self.length_m = np.asarray(length_m, dtype=np.int64)
        self.name = name
        self.attribution = attribution
        self._order = order
        self._snap_lists: list[tuple[bytes, NDArray, NDArray]] = []

    @property
    def n_nodes(self) -> int:
        return len(self.lat)

    @property
    def n_edges(self) -> int:
        return len(self.u)

    def _arcs(self) -> tuple[NDArray, NDArray, NDArray]:
        return (
            np.concatenate([self.u, self.v]),
            np.concatenate([self.v, self.u]),
            np.concatenate([self.length_m, self.length_m]),
        )

    @cached_property
    def engine(self) -> CCHEngine:
        """The fast engine (built on first use)."""
        tail, head, w = self._arcs()
        return CCHEngine(self.n_nodes, tail, head, w, self._order, self.lat, self.lon)

    @cached_property
    def reference_engine(self) -> ScipyEngine:
        """The scipy Dijkstra engine, for checks and benchmarks."""
        tail, head, w = self._arcs()
        return ScipyEngine(self.n_nodes, tail, head, w)

    @cached_property
    def _tree(self) -> NearestNodes:
        return NearestNodes(self.lat, self.lon)

    # ------------------------------------------------------------------ loading
    @classmethod
    def bundled(cls, name: str = "north-china") -> RoadGraph:
        """Load a graph shipped with h2lane."""
        if name not in BUNDLED_GRAPHS:
            raise RoadNetworkError(
                f"unknown road graph '{name}' (bundled: {', '.join(BUNDLED_GRAPHS)}; "
                "or give a directory with nodes.csv and edges.csv)"
            )
        path = Path(str(resources.files("h2lane.roads") / "data" / f"{name}.npz"))
        return cls.from_npz(path, name=name)

    @classmethod
    def from_npz(cls, path: str | Path, name: str | None = None) -> RoadGraph:
        """Load the compact form written by :meth:`to_npz`."""
        with np.load(path) as z:
            scale = float(z["coord_scale"])
            return cls(
                z["lat"] / scale,
                z["lon"] / scale,
                z["u"],
                z["v"],
                z["length_m"],
                order=z.get("order", None),
                name=name or Path(path).stem,
            )

    def to_npz(self, path: str | Path, *, coord_scale: int = 1000) -> None:
        """Write the compact form: int32 coordinates, edges and the CCH order."""
        lat_i = np.round(self.lat * coord_scale)
        lon_i = np.round(self.lon * coord_scale)
        if not (
            np.allclose(lat_i / coord_scale, self.lat)
            and np.allclose(lon_i / coord_scale, self.lon)
        ):
            raise RoadNetworkError(f"coordinates need more precision than 1/{coord_scale} degree")
        np.savez_compressed(
            path,
            lat=lat_i.astype(np.int32),
            lon=lon_i.astype(np.int32),
            coord_scale=np.int64(coord_scale),
            u=self.u.astype(np.int32),
            v=self.v.astype(np.int32),
            length_m=self.length_m.astype(np.int32),
            order=self.engine.order.astype(np.int32),
        )

    @classmethod
    def load(cls, spec: str | Path) -> RoadGraph:
        """Load a bundled graph by name, or a directory holding ``nodes.csv`` and ``edges.csv``."""
        text = str(spec)
        if text in BUNDLED_GRAPHS:
            return cls.bundled(text)
        p = Path(text)
        if p.is_dir():
            nodes = next((p / n for n in ("nodes.csv",) if (p / n).exists()), None)
            edges = p / "edges.csv"
            if nodes is None or not edges.exists():
                raise RoadNetworkError(f"{p} must contain nodes.csv and edges.csv")
            return cls.from_csv(nodes, edges, name=p.name)
        if p.suffix == ".npz" and p.exists():
            return cls.from_npz(p)
        raise RoadNetworkError(
            f"unknown road graph '{spec}' (bundled: {', '.join(BUNDLED_GRAPHS)}; "
            "or a directory with nodes.csv and edges.csv)"
        )

    @classmethod
    def from_csv(
        cls, nodes_csv: str | Path, edges_csv: str | Path, name: str = "custom"
    ) -> RoadGraph:
        """Load a graph from ``node_id,lat,lon`` and ``u,v,length_km`` CSVs.

        ``node_id`` values may be any integers; they are renumbered densely.
        Lengths are rounded to whole metres.
        """
        ids, lat, lon = _read_nodes(Path(nodes_csv))
        index = {nid: i for i, nid in enumerate(ids)}
        u, v, km = _read_edges(Path(edges_csv), index)
        return cls(
            lat, lon, np.asarray(u), np.asarray(v), np.round(np.asarray(km) * 1000.0), name=name
        )

    # ------------------------------------------------------------------ queries
    def snap(self, lat: float, lon: float, max_km: float = MAX_SNAP_KM) -> Snap:
        """Nearest graph node to a point; error if it is beyond ``max_km``."""
        # the same node as ``query``; compiled once numba is loaded (see ``query_many``)
        node = int(self._tree.query_many(np.array([lat], float), np.array([lon], float))[0])
        d = haversine_km_1(lat, lon, float(self.lat[node]), float(self.lon[node]))
        if d > max_km:
            raise RoadNetworkError(
                f"point {lat:.4f},{lon:.4f} is {d:.1f} km from the nearest road of the "
                f"'{self.name}' graph (limit {max_km:g} km): it is outside the graph's coverage"
            )
        return Snap(node, float(self.lat[node]), float(self.lon[node]), d)

    def snap_many(self, lat: NDArray, lon: NDArray) -> tuple[NDArray, NDArray]:
        """Nearest nodes and snap distances (km) for many points.

        The answers for the last few point lists are remembered (the planner snaps the same
        stations on every query), and returned as fresh arrays.
        """
        la = np.ascontiguousarray(lat, dtype=float)
        lo = np.ascontiguousarray(lon, dtype=float)
        key = b"|".join([str((la.shape, lo.shape)).encode(), la.tobytes(), lo.tobytes()])
        for i, (k, idx, km) in enumerate(self._snap_lists):
            if k == key:
                self._snap_lists.insert(0, self._snap_lists.pop(i))
                return idx.copy(), km.copy()
        idx = self._tree.query_many(lat, lon)
        km = haversine_km(lat, lon, self.lat[idx], self.lon[idx])
        self._snap_lists.insert(0, (key, idx, km))
        del self._snap_lists[SNAP_MEMO_LISTS:]
        return idx.copy(), np.array(km, copy=True)

    def path(
        self, source: int, target: int, engine: PathEngine | None = None
    ) -> tuple[float, list[int]]:
        """Shortest distance (km) and node path between two nodes."""
        return (engine or self.engine).path(source, target)

    def geometry(self, nodes: list[int]) -> list[list[float]]:
        """``[lon, lat]`` coordinates of a node path (GeoJSON order)."""
        idx = np.asarray(nodes, dtype=np.int64)
        return np.column_stack([self.lon[idx], self.lat[idx]]).round(6).tolist()

    def matrix_km(
        self, sources: NDArray, targets: NDArray, engine: PathEngine | None = None
    ) -> NDArray:
        """Distance matrix in km between node lists."""
        return (engine or self.engine).matrix_km(np.asarray(sources), np.asarray(targets))

    def time_matrix_h(self, sources: NDArray, targets: NDArray, speed_kmh: float) -> NDArray:
        """Travel-time matrix in hours at a flat average speed (the graph has no road classes)."""
        return self.matrix_km(sources, targets) / speed_kmh


def _read_nodes(path: Path) -> tuple[list[int], NDArray, NDArray]:
    ids: list[int] = []
    lats: list[float] = []
    lons: list[float] = []
    with _open(path) as fh:
        reader = csv.DictReader(fh)
        missing = {"node_id", "lat", "lon"} - set(reader.fieldnames or [])
        if missing:
            raise InputFileError(str(path), "is missing column(s) " + ", ".join(sorted(missing)))
        for row_no, row in enumerate(reader, start=1):
            try:
                nid, la, lo = int(row["node_id"]), float(row["lat"]), float(row["lon"])
            except (TypeError, ValueError):
                raise InputFileError(
                    str(path),
                    "node_id, lat and lon must be numbers",
                    row=row_no,
                    line=reader.line_num,
                ) from None
            if not (-90 <= la <= 90):
                raise InputFileError(
                    str(path),
                    f"latitude {la} is outside -90..90",
                    row=row_no,
                    line=reader.line_num,
                    field="lat",
                )
            if not (-180 <= lo <= 180):
                raise InputFileError(
                    str(path),
                    f"longitude {lo} is outside -180..180",
                    row=row_no,
                    line=reader.line_num,
                    field="lon",
                )
            ids.append(nid)
            lats.append(la)
            lons.append(lo)
    if len(set(ids)) != len(ids):
        raise InputFileError(str(path), "node_id values are not unique", field="node_id")
    return ids, np.array(lats), np.array(lons)


def _read_edges(path: Path, index: dict[int, int]) -> tuple[list[int], list[int], list[float]]:
    us: list[int] = []
    vs: list[int] = []
    km: list[float] = []
    with _open(path) as fh:
        reader = csv.DictReader(fh)
        missing = {"u", "v", "length_km"} - set(reader.fieldnames or [])
        if missing:
            raise InputFileError(str(path), "is missing column(s) " + ", ".join(sorted(missing)))
        for row_no, row in enumerate(reader, start=1):
            try:
                a, b, d = int(row["u"]), int(row["v"]), float(row["length_km"])
            except (TypeError, ValueError):
                raise InputFileError(
                    str(path),
                    "u, v and length_km must be numbers",
                    row=row_no,
                    line=reader.line_num,
                ) from None
            for fld, nid in (("u", a), ("v", b)):
                if nid not in index:
                    raise InputFileError(
                        str(path),
                        f"node {nid} is not in the node file",
                        row=row_no,
                        line=reader.line_num,
                        field=fld,
                    )
            if not (d >= 0 and np.isfinite(d)):
                raise InputFileError(
                    str(path),
                    f"length {d} must be a finite number ≥ 0",
                    row=row_no,
                    line=reader.line_num,
                    field="length_km",
                )
            us.append(index[a])
            vs.append(index[b])
            km.append(d)
    return us, vs, km


def _open(path: Path) -> io.StringIO:
    """The file's text (UTF-8, a BOM allowed) as a stream; unreadable files in one sentence."""
    try:
        return io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")
    except UnicodeDecodeError:
        raise InputFileError(str(path), "cannot be read (it is not UTF-8 text)") from None
    except OSError as exc:
        raise InputFileError(str(path), f"cannot be read ({exc.strerror})") from None
