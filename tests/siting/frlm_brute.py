"""Independent references: drive the round trip node by node; enumerate every station set."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

EPS = 1e-9


def round_trip_ok(
    positions: Sequence[float], nodes: Sequence[int], stations: set[int], range_km: float
) -> bool:
    """Drive O → D → O along the path, filling up at every station node passed."""
    if len(nodes) < 2:
        return True
    seq = list(range(len(nodes))) + list(range(len(nodes) - 2, -1, -1))
    origin_station = nodes[0] in stations
    fuel = range_km if origin_station else range_km / 2
    for a, b in zip(seq, seq[1:], strict=False):
        if nodes[a] in stations and not (a == 0 and b == 1 and origin_station and fuel == range_km):
            fuel = range_km
        fuel -= abs(positions[b] - positions[a])
        if fuel < -EPS:
            return False
    return not (not origin_station and fuel < range_km / 2 - EPS)


def served_flow(
    paths: Sequence[tuple[Sequence[float], Sequence[int]]],
    volumes: Sequence[float],
    stations: set[int],
    range_km: float,
) -> float:
    return sum(
        v
        for (pos, nodes), v in zip(paths, volumes, strict=False)
        if round_trip_ok(pos, nodes, stations, range_km)
    )


def best_by_enumeration(
    paths: Sequence[tuple[Sequence[float], Sequence[int]]],
    volumes: Sequence[float],
    sites: Iterable[int],
    p: int,
    range_km: float,
    existing: frozenset[int] = frozenset(),
) -> float:
    """The most flow any p new sites (plus the existing ones) serve."""
    best = 0.0
    for combo in combinations(sorted(set(sites) - existing), p):
        best = max(best, served_flow(paths, volumes, set(combo) | existing, range_km))
    return best
