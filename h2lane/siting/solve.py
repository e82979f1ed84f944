"""Choose stations: MILP warm-started by the heuristic, heuristic fallback, per-flow explanation."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from h2lane.errors import InfeasibleError, InputError
from h2lane.siting import milp
from h2lane.siting.greedy import greedy
from h2lane.siting.problem import SitingProblem, SizeClass

Method = Literal["auto", "milp", "greedy"]
MAX_MILP_NONZEROS = 5_000_000
"""Above this many cover-row entries ``auto`` keeps the heuristic's answer (a notice says so)."""


@dataclass
class SitingOutcome:
    """The chosen stations and what they serve."""

    problem: SitingProblem
    open_mask: NDArray
    method: str
    covered_flow: float
    mip_gap: float | None
    status: str
    seconds: float
    greedy_flow: float | None
    route_value: NDArray
    size_of: dict[int, int] = field(default_factory=dict)
    supply: dict[int, float] = field(default_factory=dict)
    sizes: list[SizeClass] | None = None
    notices: list[str] = field(default_factory=list)
    greedy_stations: int | None = None  # new stations the heuristic opened

    @property
    def total_flow(self) -> float:
        return self.problem.total_flow

    @property
    def new_stations(self) -> list[int]:
        ex = self.problem.existing
        return [int(k) for k in np.flatnonzero(self.open_mask & ~ex)]

    def flow_rows(self) -> list[dict[str, Any]]:
        """One entry per flow: served share, route, stations used, or why it is not served."""
        prob = self.problem
        everything = np.ones(prob.n_candidates, dtype=bool)
        best: dict[int, tuple[float, int]] = {}
        for r, route in enumerate(prob.routes):
            share = float(self.route_value[r])
            if share > 1e-9 and share * route.weight > best.get(route.flow, (0.0, -1))[0]:
                best[route.flow] = (share * route.weight, r)
        base_route: dict[int, int] = {}
        for r, route in enumerate(prob.routes):
            base_route.setdefault(route.flow, r)
        out = []
        for q, f in enumerate(prob.flows):
            entry: dict[str, Any] = {
                "origin": f.origin,
                "destination": f.destination,
                "flow": f.volume,
                "km": round(f.path.length_km, 3),
            }
            if q in best:
                value, r = best[q]
                route = prob.routes[r]
                share = float(self.route_value[r])
                entry |= {
                    "covered": share >= 1 - 1e-6,
                    "served_share": round(share, 6),
                    "served_flow": value * f.volume,
                    "stations": prob.stations_on(r, self.open_mask),
                }
                if route.via is not None:
                    entry |= {
                        "deviation_km": round(route.deviation_km, 3),
                        "via": prob.candidates[route.via].id,
                        "weight": round(route.weight, 6),
                    }
                if share < 1 - 1e-6:
                    entry["reason"] = "station capacity: only part of this flow's hydrogen fits"
            else:
                r = base_route[q]
                stretch = prob.explain(r, self.open_mask)
                entry |= {"covered": False, "served_share": 0.0, "served_flow": 0.0, "stations": []}
                if stretch is None:  # refuelable, but the model left it (capacity)
                    entry["reason"] = "station capacity: no open station has hydrogen left for it"
                else:
                    entry["reason"] = stretch.sentence()
                    entry["stretch"] = stretch.as_dict()
                entry["servable"] = prob.explain(r, everything) is None or any(
                    prob.route_served(r2, everything)
                    for r2, rt in enumerate(prob.routes)
                    if rt.flow == q
                )
            out.append(entry)
        return out


def locate(
    prob: SitingProblem,
    *,
    p: int | None = None,
    target_share: float | None = None,
    sizes: list[SizeClass] | None = None,
    kg_per_flow: NDArray | None = None,
    method: Method = "auto",
    time_limit: float = 60.0,
    gap: float = 1e-4,
    threads: int = 1,
    progress: Callable[[str, float, float | None], None] | None = None,
) -> SitingOutcome:
    """Max served flow with ``p`` new stations, or fewest (cheapest) stations for ``target_share``."""
    t0 = time.perf_counter()
    report = progress or (lambda task, done, total: None)
    n_new = int((~prob.existing).sum())
    if (p is None) == (target_share is None):
        raise InputError(
            "give either the number of new stations (--stations) or a target share, not both"
        )
    if p is not None:
        if p < 0:
            raise InputError(f"--stations must be ≥ 0 (got {p})")
        if p > n_new:
            raise InputError(
                f"--stations {p} is more than the {n_new} candidate site(s) that are not existing stations"
            )
    if target_share is not None and not (0 < target_share <= 1):
        raise InputError(f"--target-share must be in (0, 1] (got {target_share})")
    notices: list[str] = []
    capacitated = sizes is not None
    if capacitated and method == "greedy":
        raise InputError(
            "--method greedy ignores station capacities: use --method milp (or auto) with --capacity"
        )
    nnz = sum(len(s) for sets in prob.route_sets for s in sets)
    use_milp = capacitated or method == "milp" or (method == "auto" and nnz <= MAX_MILP_NONZEROS)
    if method == "auto" and not use_milp:
        notices.append(
            f"the model has {nnz:,} cover entries (> {MAX_MILP_NONZEROS:,}): the greedy + "
            "substitution heuristic answers alone, without an optimality gap"
        )
    target_flow = None if target_share is None else target_share * prob.total_flow
    if target_flow is not None:
        everything = np.ones(prob.n_candidates, dtype=bool)
        reachable = prob.evaluate(everything)[0]
        if reachable < target_flow - 1e-9:
            raise InfeasibleError(
                f"even with every candidate open only {reachable / prob.total_flow:.1%} of the flow "
                f"can be served, less than the target {target_share:.1%}"
            )
    if capacitated:  # the heuristic knows no capacities: neither a start nor a comparison
        return _capacitated(prob, p, target_flow, sizes, kg_per_flow, time_limit, gap, threads, t0)
    report("greedy + substitution", 0.0, 1.0)
    heur = greedy(
        prob,
        p if p is not None else n_new,
        time_limit=max(1.0, time_limit / 4),
        target_flow=target_flow,
    )
    report("greedy + substitution", 1.0, 1.0)
    greedy_stations = int((heur.open_mask & ~prob.existing).sum())

    def outcome(
        mask: NDArray, how: str, flow: float, gap_: float | None, status: str
    ) -> SitingOutcome:
        return SitingOutcome(
            prob,
            mask,
            how,
            flow,
            gap_,
            status,
            time.perf_counter() - t0,
            heur.covered_flow,
            _route_values(prob, mask),
            notices=notices,
            greedy_stations=greedy_stations,
        )

    if not use_milp:
        return outcome(heur.open_mask, "greedy", heur.covered_flow, None, "heuristic")
    report("MILP (HiGHS)", 0.0, None)
    res = milp.solve(
        prob,
        p=p,
        target_flow=target_flow,
        warm_start=heur.open_mask,
        time_limit=max(1.0, time_limit - heur.seconds),
        gap=gap,
        threads=threads,
    )
    report("MILP (HiGHS)", 1.0, 1.0)
    if res.mip_gap == float("inf"):
        notices.append(
            f"HiGHS found no solution in time ({res.status}): the heuristic's answer is shown"
        )
        return outcome(heur.open_mask, "greedy", heur.covered_flow, None, res.status)
    if not res.optimal:
        notices.append(f"HiGHS stopped at the time limit with a gap of {res.mip_gap:.2%}")
    return outcome(res.open_mask, "milp", res.objective, res.mip_gap, res.status)


def _capacitated(
    prob: SitingProblem,
    p: int | None,
    target_flow: float | None,
    sizes: list[SizeClass] | None,
    kg_per_flow: NDArray | None,
    time_limit: float,
    gap: float,
    threads: int,
    t0: float,
) -> SitingOutcome:
    """The capacitated MILP alone (no heuristic start: the heuristic ignores capacities)."""
    res = milp.solve(
        prob,
        p=p,
        target_flow=target_flow,
        sizes=sizes,
        kg_per_flow=kg_per_flow,
        time_limit=time_limit,
        gap=gap,
        threads=threads,
    )
    if res.mip_gap == float("inf"):
        raise InfeasibleError(
            f"HiGHS found no capacitated plan within {time_limit:g} s ({res.status}); "
            "allow more time with --time-limit"
        )
    notices = []
    if not res.optimal:
        notices.append(f"HiGHS stopped at the time limit with a gap of {res.mip_gap:.2%}")
    return SitingOutcome(
        prob,
        res.open_mask,
        "milp",
        res.objective,
        res.mip_gap,
        res.status,
        time.perf_counter() - t0,
        None,
        res.route_value,
        res.size_of,
        res.supply,
        sizes,
        notices,
    )


def _route_values(prob: SitingProblem, open_mask: NDArray) -> NDArray:
    """1 for the best served route of each flow, else 0."""
    _, best = prob.evaluate(open_mask)
    value = np.zeros(len(prob.routes))
    for r in best:
        if r is not None:
            value[r] = 1.0
    return value
