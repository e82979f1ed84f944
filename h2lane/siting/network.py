"""Networks for station siting: the bundled road graph, or ``nodes.csv`` + ``edges.csv``.

A siting network keeps the user's node ids (as strings), coordinates (WGS-84 ``lat,lon`` or
planar ``x,y``) and undirected edges with lengths in km. Shortest paths follow one documented
tie-break everywhere: among the shortest paths from O to D the one whose node-id sequence is
lexicographically smallest (ids compared as numbers when every id is an integer, else as
text). It is found by walking from O along the shortest-path tree rooted at D and taking, at
each node, the smallest-id neighbour that stays on a shortest path.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from h2lane.errors import InputFileError, RoadNetworkError

TIE_TOLERANCE_KM = 1e-9
"""Two path lengths closer than this are equal (the tie-break above decides)."""


@dataclass(frozen=True, slots=True)
class NetworkPath:
    """A node path with cumulative km at every node."""

    nodes: tuple[int, ...]
    positions_km: tuple[float, ...]

    @property
    def length_km(self) -> float:
        return self.positions_km[-1] if self.positions_km else 0.0


class SitingNetwork:
    """An undirected network: node ids, coordinates, edges with km.

    Parameters
    ----------
    ids
        Node ids as the user names them (strings).
    x, y
        Longitude and latitude (``geographic``) or planar coordinates.
    u, v, length_km
        Undirected edges between node indices.
    geographic
        Whether ``x, y`` are ``lon, lat`` in degrees.
    road_graph
        The :class:`~h2lane.roads.graph.RoadGraph` behind the network, when there is one (its
        CCH engine answers distance matrices; maps draw it).
    """

    def __init__(
        self,
        ids: list[str],
        x: NDArray,
        y: NDArray,
        u: NDArray,
        v: NDArray,
        length_km: NDArray,
        *,
        geographic: bool,
        name: str = "custom",
        road_graph: object | None = None,
    ) -> None:
        self.ids = list(ids)
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.u = np.asarray(u, dtype=np.int64)
        self.v = np.asarray(v, dtype=np.int64)
        self.length_km = np.asarray(length_km, dtype=float)
        self.geographic = geographic
        self.name = name
        self.road_graph = road_graph
        self.index = {nid: i for i, nid in enumerate(self.ids)}
        numeric = all(_is_int(s) for s in self.ids)
        keys = [int(s) for s in self.ids] if numeric else self.ids
        order = sorted(range(len(self.ids)), key=lambda i: keys[i])
        self.rank = np.empty(len(self.ids), dtype=np.int64)
        self.rank[np.asarray(order, dtype=np.int64)] = np.arange(len(self.ids))

    @property
    def n_nodes(self) -> int:
        return len(self.ids)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, spec: str | Path) -> SitingNetwork:
        """``north-china`` (the bundled road graph) or a directory with nodes.csv and edges.csv."""
        from h2lane.roads.graph import BUNDLED_GRAPHS

        text = str(spec)
        if text in BUNDLED_GRAPHS:
            return cls.from_road_graph(text)
        p = Path(text)
        if p.is_dir():
            nodes, edges = p / "nodes.csv", p / "edges.csv"
            if not nodes.exists() or not edges.exists():
                raise RoadNetworkError(f"--network {p} must contain nodes.csv and edges.csv")
            return cls.from_csv(nodes, edges, name=p.name)
        raise RoadNetworkError(
            f"--network '{spec}' is neither a bundled network ({', '.join(BUNDLED_GRAPHS)}) "
            "nor a directory with nodes.csv and edges.csv"
        )

    @classmethod
    def from_road_graph(cls, name: str = "north-china") -> SitingNetwork:
        """The bundled OpenStreetMap road graph (node ids are its node indices)."""
        from h2lane.app.context import load_graph

        g = load_graph(name)
        return cls(
            [str(i) for i in range(g.n_nodes)],
            g.lon,
            g.lat,
            g.u,
            g.v,
            g.length_m / 1000.0,
            geographic=True,
            name=name,
            road_graph=g,
        )

    @classmethod
    def from_csv(cls, nodes_csv: Path, edges_csv: Path, name: str = "custom") -> SitingNetwork:
        """``node_id`` with ``lat,lon`` or ``x,y``; ``u,v,length_km`` (other columns ignored)."""
        ids, x, y, geographic = _read_nodes(nodes_csv)
        index = {nid: i for i, nid in enumerate(ids)}
        u, v, km = _read_edges(edges_csv, index)
        if not ids:
            raise InputFileError(str(nodes_csv), "has no nodes")
        return cls(
            ids,
            x,
            y,
            np.asarray(u),
            np.asarray(v),
            np.asarray(km),
            geographic=geographic,
            name=name,
        )

    # ------------------------------------------------------------------ queries
    @cached_property
    def _adjacency(self) -> csr_matrix:
        tail = np.concatenate([self.u, self.v])
        head = np.concatenate([self.v, self.u])
        w = np.concatenate([self.length_km, self.length_km])
        # keep the shortest of parallel edges; zero lengths become a tiny positive weight so
        # scipy keeps them as edges
        order = np.lexsort((w, head, tail))
        t, h, w = tail[order], head[order], w[order]
        first = np.ones(len(t), dtype=bool)
        first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
        keep = first & (t != h)
        w = np.where(w[keep] > 0, w[keep], 1e-12)
        return csr_matrix((w, (t[keep], h[keep])), shape=(self.n_nodes, self.n_nodes))

    def distances_from(self, sources: NDArray) -> NDArray:
        """Shortest km from each source to every node (``inf`` where unreachable)."""
        if self.road_graph is not None:
            g = self.road_graph
            return np.atleast_2d(
                g.matrix_km(np.asarray(sources), np.arange(self.n_nodes))  # type: ignore[attr-defined]
            )
        return np.atleast_2d(dijkstra(self._adjacency, indices=np.asarray(sources, dtype=np.int64)))

    def matrix_km(self, sources: NDArray, targets: NDArray) -> NDArray:
        """Shortest km between node lists (the road graph's CCH engine when there is one)."""
        if self.road_graph is not None:
            return self.road_graph.matrix_km(np.asarray(sources), np.asarray(targets))  # type: ignore[attr-defined]
        full = dijkstra(self._adjacency, indices=np.asarray(sources, dtype=np.int64))
        return np.atleast_2d(full)[:, np.asarray(targets, dtype=np.int64)]

    def tree_to(self, target: int) -> NDArray:
        """Shortest km from every node to ``target`` (undirected, so from ``target``)."""
        return np.asarray(dijkstra(self._adjacency, indices=int(target)), dtype=float)

    def shortest_path(
        self, source: int, target: int, dist_to_target: NDArray | None = None
    ) -> NetworkPath:
        """The tie-broken shortest path (module docstring); empty when unreachable."""
        dist = self.tree_to(target) if dist_to_target is None else dist_to_target
        if not np.isfinite(dist[source]):
            return NetworkPath((), ())
        adj = self._adjacency
        indptr, indices, data = adj.indptr, adj.indices, adj.data
        tol = TIE_TOLERANCE_KM + 1e-12 * float(dist[source])
        nodes, pos = [source], [0.0]
        seen = {source}
        cur = source
        while cur != target:
            lo, hi = indptr[cur], indptr[cur + 1]
            nbrs, w = indices[lo:hi], data[lo:hi]
            ok = np.abs(w + dist[nbrs] - dist[cur]) <= tol
            best = -1
            for nb in nbrs[ok].tolist():
                if nb not in seen and (best < 0 or self.rank[nb] < self.rank[best]):
                    best = nb
            if best < 0:  # numerical corner: fall back to the steepest descent
                cand = [nb for nb in nbrs.tolist() if nb not in seen]
                best = min(cand, key=lambda n: dist[n])
            step = float(data[lo:hi][nbrs == best].min())
            nodes.append(best)
            pos.append(pos[-1] + (step if step > 1e-11 else 0.0))
            seen.add(best)
            cur = best
        return NetworkPath(tuple(nodes), tuple(pos))

    def path_from_ids(self, ids: list[str]) -> NetworkPath | str:
        """The path through the given node indices' edges, or why it is not a path."""
        idx = [self.index[i] for i in ids]
        adj = self._adjacency
        pos = [0.0]
        for a, b in zip(idx, idx[1:], strict=False):
            w = adj[a, b]
            if w == 0:
                return f"nodes {self.ids[a]} and {self.ids[b]} are not joined by an edge"
            pos.append(pos[-1] + (float(w) if w > 1e-11 else 0.0))
        return NetworkPath(tuple(idx), tuple(pos))

    def point(self, node: int) -> tuple[float, float]:
        """``(y, x)``: latitude and longitude for a geographic network."""
        return float(self.y[node]), float(self.x[node])


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _open(path: Path) -> io.StringIO:
    try:
        return io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")
    except UnicodeDecodeError:
        raise InputFileError(str(path), "cannot be read (it is not UTF-8 text)") from None
    except OSError as exc:
        raise InputFileError(str(path), f"cannot be read ({exc.strerror})") from None


def _read_nodes(path: Path) -> tuple[list[str], NDArray, NDArray, bool]:
    with _open(path) as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            raise InputFileError(
                str(path), "is empty (it needs a header node_id,lat,lon or node_id,x,y)"
            )
        cols = set(reader.fieldnames)
        if "node_id" not in cols:
            raise InputFileError(str(path), "is missing column node_id")
        if {"lat", "lon"} <= cols:
            geographic, xcol, ycol = True, "lon", "lat"
        elif {"x", "y"} <= cols:
            geographic, xcol, ycol = False, "x", "y"
        else:
            raise InputFileError(str(path), "needs columns lat,lon (WGS-84) or x,y (planar)")
        ids: list[str] = []
        xs: list[float] = []
        ys: list[float] = []
        seen: set[str] = set()
        for row_no, row in enumerate(reader, start=1):
            nid = (row.get("node_id") or "").strip()
            if not nid:
                raise InputFileError(
                    str(path), "node_id is empty", row=row_no, line=reader.line_num, field="node_id"
                )
            if nid in seen:
                raise InputFileError(
                    str(path),
                    f"node_id {nid} appears more than once",
                    row=row_no,
                    line=reader.line_num,
                    field="node_id",
                )
            seen.add(nid)
            for col in (xcol, ycol):
                try:
                    val = float(row.get(col) or "")
                except ValueError:
                    raise InputFileError(
                        str(path),
                        f"{col} must be a number",
                        row=row_no,
                        line=reader.line_num,
                        field=col,
                    ) from None
                if not np.isfinite(val):
                    raise InputFileError(
                        str(path),
                        f"{col} must be finite",
                        row=row_no,
                        line=reader.line_num,
                        field=col,
                    )
            xv, yv = float(row[xcol]), float(row[ycol])
            if geographic and not (-90 <= yv <= 90 and -180 <= xv <= 180):
                raise InputFileError(
                    str(path),
                    f"{yv},{xv} is not a latitude,longitude",
                    row=row_no,
                    line=reader.line_num,
                )
            ids.append(nid)
            xs.append(xv)
            ys.append(yv)
    return ids, np.array(xs), np.array(ys), geographic


def _read_edges(path: Path, index: dict[str, int]) -> tuple[list[int], list[int], list[float]]:
    us: list[int] = []
    vs: list[int] = []
    km: list[float] = []
    with _open(path) as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            raise InputFileError(str(path), "is empty (it needs a header u,v,length_km)")
        missing = {"u", "v", "length_km"} - set(reader.fieldnames)
        if missing:
            raise InputFileError(str(path), "is missing column(s) " + ", ".join(sorted(missing)))
        for row_no, row in enumerate(reader, start=1):
            a, b = (row.get("u") or "").strip(), (row.get("v") or "").strip()
            for fld, nid in (("u", a), ("v", b)):
                if nid not in index:
                    raise InputFileError(
                        str(path),
                        f"node {nid or '(empty)'} is not in nodes.csv",
                        row=row_no,
                        line=reader.line_num,
                        field=fld,
                    )
            try:
                d = float(row.get("length_km") or "")
            except ValueError:
                raise InputFileError(
                    str(path),
                    "length_km must be a number",
                    row=row_no,
                    line=reader.line_num,
                    field="length_km",
                ) from None
            if not (np.isfinite(d) and d >= 0):
                raise InputFileError(
                    str(path),
                    f"length_km {d} must be a finite number ≥ 0",
                    row=row_no,
                    line=reader.line_num,
                    field="length_km",
                )
            us.append(index[a])
            vs.append(index[b])
            km.append(d)
    return us, vs, km
