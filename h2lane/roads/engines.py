"""Shortest-path engines behind one small interface.

:class:`CCHEngine` answers queries with RoutingKit's customizable contraction
hierarchies (``routingkit-cch``); :class:`ScipyEngine` runs Dijkstra from
``scipy.sparse.csgraph`` and is the reference the tests compare against.
Distances are integers in metres inside the engines and km outside.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
import routingkit_cch as rk
from numpy.typing import NDArray


class PathEngine(Protocol):
    """What the planners need from a road graph engine."""

    def distance_km(self, source: int, target: int) -> float:
        """Shortest distance between two nodes; ``inf`` if unreachable."""
        ...

    def path(self, source: int, target: int) -> tuple[float, list[int]]:
        """Shortest distance and the node sequence from ``source`` to ``target``."""
        ...

    def matrix_km(self, sources: NDArray[np.int64], targets: NDArray[np.int64]) -> NDArray:
        """``len(sources) × len(targets)`` distances; ``inf`` where unreachable."""
        ...


class CCHEngine:
    """Customizable contraction hierarchy over a symmetric arc list.

    Parameters
    ----------
    n_nodes
        Number of nodes.
    tail, head, weight_m
        Directed arcs (both directions of every road) and their lengths in metres.
    order
        Node order for the hierarchy (nested dissection). Computed when ``None``.
    lat, lon
        Node coordinates, needed only when ``order`` is ``None``.
    """

    def __init__(
        self,
        n_nodes: int,
        tail: NDArray,
        head: NDArray,
        weight_m: NDArray,
        order: NDArray | None = None,
        lat: NDArray | None = None,
        lon: NDArray | None = None,
    ) -> None:
        tail_l, head_l = tail.tolist(), head.tolist()
        if order is None:
            if lat is None or lon is None:
                order_l = rk.compute_order_degree(n_nodes, tail_l, head_l)
            else:
                order_l = rk.compute_order_inertial(
                    n_nodes, tail_l, head_l, lat.tolist(), lon.tolist()
                )
        else:
            order_l = order.tolist()
        self.order = np.asarray(order_l, dtype=np.int32)
        self._cch = rk.CCH(order_l, tail_l, head_l, False)
        self._metric = rk.CCHMetric(self._cch, weight_m.astype(np.int64).tolist())
        self._query = rk.CCHQuery(self._metric)

    def path(self, source: int, target: int) -> tuple[float, list[int]]:
        res = self._query.run(int(source), int(target))
        if res.distance is None:
            return float("inf"), []
        return res.distance / 1000.0, list(res.node_path)

    def distance_km(self, source: int, target: int) -> float:
        res = self._query.run(int(source), int(target))  # the node path is not unpacked
        return float("inf") if res.distance is None else res.distance / 1000.0

    def matrix_km(
        self, sources: NDArray[np.int64], targets: NDArray[np.int64], threads: int = 2
    ) -> NDArray:
        src = [int(s) for s in np.asarray(sources).ravel()]
        tgt = [int(t) for t in np.asarray(targets).ravel()]
        out = np.empty((len(src), len(tgt)), dtype=float)
        if not src or not tgt:
            return out
        chunks = np.array_split(np.arange(len(src)), max(1, min(threads, len(src))))

        def work(rows: NDArray) -> None:
            one_to_many = rk.CCHOneToMany(self._metric, tgt)
            for i in rows:
                out[i] = np.array(one_to_many.distances_from(src[i]), dtype=float)

        if len(chunks) == 1:
            work(chunks[0])
        else:
            with ThreadPoolExecutor(len(chunks)) as pool:
                list(pool.map(work, chunks))
        out /= 1000.0
        out[np.isnan(out)] = np.inf
        return out


class ScipyEngine:
    """Reference engine: Dijkstra on a ``scipy.sparse`` adjacency matrix."""

    def __init__(self, n_nodes: int, tail: NDArray, head: NDArray, weight_m: NDArray) -> None:
        from scipy.sparse import csr_matrix  # only the reference needs scipy (import time)

        # duplicate arcs: keep the shortest (csr_matrix would sum them)
        order = np.lexsort((weight_m, head, tail))
        t, h, w = tail[order], head[order], weight_m[order]
        first = np.ones(len(t), dtype=bool)
        first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
        self._adj = csr_matrix((w[first] / 1000.0, (t[first], h[first])), shape=(n_nodes, n_nodes))

    def path(self, source: int, target: int) -> tuple[float, list[int]]:
        from scipy.sparse.csgraph import dijkstra

        dist, pred = dijkstra(self._adj, indices=int(source), return_predecessors=True)
        if not np.isfinite(dist[target]):
            return float("inf"), []
        nodes = [int(target)]
        while nodes[-1] != source:
            nodes.append(int(pred[nodes[-1]]))
        return float(dist[target]), nodes[::-1]

    def distance_km(self, source: int, target: int) -> float:
        from scipy.sparse.csgraph import dijkstra

        return float(dijkstra(self._adj, indices=int(source))[target])

    def matrix_km(self, sources: NDArray[np.int64], targets: NDArray[np.int64]) -> NDArray:
        from scipy.sparse.csgraph import dijkstra

        full = dijkstra(self._adj, indices=np.asarray(sources, dtype=np.int64))
        return np.atleast_2d(full)[:, np.asarray(targets, dtype=np.int64)]
