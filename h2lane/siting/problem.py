"""A siting problem: flows with their paths, candidate sites, the range; compiled to cover rows.

Each flow has one or more *routes* (its shortest path, plus deviation paths in the deviation
model, each with a weight: the share of the flow that still takes it). A route is served when
every one of its arc-cover sets (:mod:`h2lane.siting.rule`) holds an open station; a flow's
served value is its volume × the largest weight among its served routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from h2lane.siting.network import NetworkPath, SitingNetwork
from h2lane.siting.rule import Stretch, cover_sets, failing_stretch


@dataclass(frozen=True, slots=True)
class Candidate:
    """A site where a station may be built (or stands already)."""

    id: str
    node: int
    cost: float = 1.0
    existing: bool = False
    name: str = ""


@dataclass(frozen=True, slots=True)
class Flow:
    """Trucks per day (or any flow unit) from origin to destination along ``path``."""

    origin: str
    destination: str
    volume: float
    path: NetworkPath
    origin_node: int
    destination_node: int


@dataclass(frozen=True, slots=True)
class Route:
    """One way a flow may drive: its path, the deviation from the shortest, the weight kept."""

    flow: int
    path: NetworkPath
    weight: float = 1.0
    deviation_km: float = 0.0
    via: int | None = None  # candidate the deviation path detours through


@dataclass(frozen=True, slots=True)
class SizeClass:
    """A station size: capacity in kg/day and its cost."""

    name: str
    kg_per_day: float
    cost: float


@dataclass
class SitingProblem:
    """Compiled problem: cover rows per route, over candidate indices."""

    network: SitingNetwork
    flows: list[Flow]
    candidates: list[Candidate]
    range_km: float
    routes: list[Route]
    route_sets: list[list[frozenset[int]]] = field(default_factory=list)
    route_stops: list[list[tuple[float, int]]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        network: SitingNetwork,
        flows: list[Flow],
        candidates: list[Candidate],
        range_km: float,
        routes: list[Route] | None = None,
    ) -> SitingProblem:
        """Cover sets for every route (default: one route per flow, its own path)."""
        routes = routes if routes is not None else [Route(i, f.path) for i, f in enumerate(flows)]
        at_node: dict[int, list[int]] = {}
        for k, c in enumerate(candidates):
            at_node.setdefault(c.node, []).append(k)
        prob = cls(network, flows, candidates, range_km, routes)
        for r in routes:
            cands = [at_node.get(n, []) for n in r.path.nodes]
            prob.route_sets.append(cover_sets(r.path.positions_km, cands, range_km))
            prob.route_stops.append(
                [(p, k) for p, ks in zip(r.path.positions_km, cands, strict=True) for k in ks]
            )
        return prob

    # ------------------------------------------------------------------ arrays
    @property
    def n_candidates(self) -> int:
        return len(self.candidates)

    @property
    def volumes(self) -> NDArray:
        return np.array([f.volume for f in self.flows], dtype=float)

    @property
    def total_flow(self) -> float:
        return float(self.volumes.sum())

    @property
    def existing(self) -> NDArray:
        return np.array([c.existing for c in self.candidates], dtype=bool)

    def rows(self) -> tuple[NDArray, NDArray, NDArray]:
        """CSR of every cover row (route by route): ``row_ptr``, ``row_cands``, ``row_route``."""
        ptr = [0]
        idx: list[int] = []
        owner: list[int] = []
        for r, sets in enumerate(self.route_sets):
            for s in sets:
                idx.extend(sorted(s))
                ptr.append(len(idx))
                owner.append(r)
        return (
            np.asarray(ptr, dtype=np.int64),
            np.asarray(idx, dtype=np.int64),
            np.asarray(owner, dtype=np.int64),
        )

    # ------------------------------------------------------------------ evaluation
    def route_served(self, r: int, open_mask: NDArray) -> bool:
        """Whether route ``r`` is served by the open candidates (cover sets)."""
        return all(any(open_mask[k] for k in s) for s in self.route_sets[r])

    def evaluate(self, open_mask: NDArray) -> tuple[float, list[int | None]]:
        """Served flow and, per flow, the route that serves it best (None: not served)."""
        best: list[int | None] = [None] * len(self.flows)
        value = np.zeros(len(self.flows))
        for r, route in enumerate(self.routes):
            v = self.flows[route.flow].volume * route.weight
            if v > value[route.flow] and self.route_served(r, open_mask):
                value[route.flow] = v
                best[route.flow] = r
        return float(value.sum()), best

    def explain(self, r: int, open_mask: NDArray) -> Stretch | None:
        """The stretch of route ``r`` that the open stations leave longer than allowed."""
        flow = self.flows[self.routes[r].flow]
        stops = [(p, self.candidates[k].id) for p, k in self.route_stops[r] if open_mask[k]]
        return failing_stretch(
            self.routes[r].path.length_km, stops, self.range_km, flow.origin, flow.destination
        )

    def stations_on(self, r: int, open_mask: NDArray) -> list[str]:
        """Open station ids along route ``r``, in driving order (each once)."""
        seen: list[str] = []
        for _, k in sorted(self.route_stops[r]):
            cid = self.candidates[k].id
            if open_mask[k] and cid not in seen:
                seen.append(cid)
        return seen

    def relevant_candidates(self) -> NDArray:
        """Candidates that appear in some cover row (the others can never help)."""
        mask = np.zeros(self.n_candidates, dtype=bool)
        for sets in self.route_sets:
            for s in sets:
                mask[list(s)] = True
        return mask
