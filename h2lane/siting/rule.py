"""The refuelling rule, its arc-cover constraints and the per-flow explanation.

**Rule** (Kuby & Lim 2005's repeatable round trip). A flow O → D on path P is served by a
station set S when a truck of range R drives O → D → O along P, refuels to full at every node
of S it passes (out and back; at D once, on turning), starts at O with R/2 (full if O ∈ S),
never runs dry and, when O ∉ S, is back at O with at least R/2.

Equivalently, with the open stations on P at distances p₁ ≤ … ≤ pₘ from O along P (length L):
m ≥ 1, p₁ ≤ R/2, L − pₘ ≤ R/2 and every gap pᵢ₊₁ − pᵢ ≤ R. (The trip out and back is a
cycle of length 2L; the R/2 start and return make the stretch O → first station → O one
cycle segment.)

**Arc cover** (Capar & Kuby 2012). On the cycle, each directed arc a must have an open station
k before it within R of the arc's end: Σ_{k∈K(a)} x_k ≥ y. Only arcs ending at a candidate
node or at the turning point D can bind (between two candidate nodes the sets only shrink),
duplicates and supersets are dropped, so a flow has at most 2(m + 1) rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EPS_KM = 1e-9


@dataclass(frozen=True, slots=True)
class Stretch:
    """Why a flow is not served: the first stretch of its path that is longer than allowed."""

    kind: str  # 'no-station' | 'origin' | 'gap' | 'destination'
    from_label: str
    to_label: str
    km: float
    limit_km: float

    def sentence(self) -> str:
        if self.kind == "no-station":
            return f"no station on its path ({self.km:.1f} km {self.from_label} → {self.to_label})"
        if self.kind == "origin":
            return (
                f"{self.from_label} → first station {self.to_label} is {self.km:.1f} km, more than "
                f"half the range ({self.limit_km:g} km), so the truck cannot get there and back"
            )
        if self.kind == "destination":
            return (
                f"last station {self.from_label} → destination {self.to_label} is {self.km:.1f} km, "
                f"more than half the range ({self.limit_km:g} km) for there and back"
            )
        return (
            f"station {self.from_label} → station {self.to_label} is {self.km:.1f} km, longer than "
            f"the range ({self.limit_km:g} km)"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "from": self.from_label,
            "to": self.to_label,
            "km": round(self.km, 3),
            "limit_km": self.limit_km,
            "reason": self.sentence(),
        }


def failing_stretch(
    length_km: float,
    stops: Sequence[tuple[float, str]],
    range_km: float,
    origin: str,
    destination: str,
) -> Stretch | None:
    """The first stretch that breaks the rule for open stations ``stops`` = (km from O, label)."""
    half = range_km / 2.0
    if not stops:
        return Stretch("no-station", origin, destination, length_km, half)
    ordered = sorted(stops)
    if ordered[0][0] > half + EPS_KM:
        return Stretch("origin", origin, ordered[0][1], ordered[0][0], half)
    for (pa, la), (pb, lb) in zip(ordered, ordered[1:], strict=False):
        if pb - pa > range_km + EPS_KM:
            return Stretch("gap", la, lb, pb - pa, range_km)
    if length_km - ordered[-1][0] > half + EPS_KM:
        return Stretch("destination", ordered[-1][1], destination, length_km - ordered[-1][0], half)
    return None


def _one_direction(
    positions: Sequence[float], cands: Sequence[Sequence[int]], range_km: float
) -> list[frozenset[int]]:
    """Arc-cover sets of the outbound arcs (positions non-decreasing, cands per path node)."""
    n = len(positions) - 1
    at = [j for j in range(n + 1) if cands[j]]
    ends = [e for e in at if e >= 1]
    if not ends or ends[-1] != n:
        ends.append(n)
    out: list[frozenset[int]] = []
    prev = 0
    for e in ends:
        t = positions[e]
        stretch_km = t - positions[prev]
        prev = e
        if stretch_km <= 0.0:  # only zero-length arcs since the last candidate node: no fuel used
            continue
        members: set[int] = set()
        for j in at:
            pj = positions[j]
            if (j <= e - 1 and t - pj <= range_km + EPS_KM) or pj + t <= range_km + EPS_KM:
                members.update(cands[j])
        out.append(frozenset(members))
    return out


def cover_sets(
    positions: Sequence[float], cands: Sequence[Sequence[int]], range_km: float
) -> list[frozenset[int]]:
    """Minimal arc-cover sets of one flow's round trip (an empty set: the flow cannot be served).

    ``positions`` are km from O of the path's nodes, ``cands[i]`` the candidate indices at the
    i-th path node. A path of one node (O = D) needs no station: no sets.
    """
    if len(positions) < 2:
        return []
    length = positions[-1]
    back = [length - p for p in reversed(positions)]
    sets = _one_direction(positions, cands, range_km) + _one_direction(
        back, list(reversed(cands)), range_km
    )
    return minimal_sets(sets)


def minimal_sets(sets: Sequence[frozenset[int]]) -> list[frozenset[int]]:
    """Distinct sets with no kept set containing another (the smaller one implies it)."""
    unique = sorted(set(sets), key=len)
    if unique and not unique[0]:
        return [frozenset()]
    keys = sorted({k for s in unique for k in s})
    bit = {k: 1 << i for i, k in enumerate(keys)}
    kept: list[frozenset[int]] = []
    masks: list[int] = []
    for s in unique:
        m = 0
        for k in s:
            m |= bit[k]
        if any(km & m == km for km in masks):
            continue
        kept.append(s)
        masks.append(m)
    return kept
