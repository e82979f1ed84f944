"""Independent references: drive the round trip node by node; enumerate every station set.

Nothing here uses the arc-cover sets: a flow counts as served when the simulated truck makes
O → D → O along the path (fill to full at every station passed, start with R/2 at O or full
when O has a station, back at O with at least R/2 when it has none).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

EPS = 1e-9


def round_trip_ok(
    positions: Sequence[float], nodes: Sequence[int], stations: set[int], range_km: float
) -> bool:
    """Drive O → D → O along the path, filling up at every station node passed."""
    if len(nodes) < 2:
        return True
    seq = list(range(len(nodes))) + list(range(len(nodes) - 2, -1, -1))
    origin_station = nodes[0] in stations
    fuel = range_km / 2
    for a, b in zip(seq, seq[1:], strict=False):
        if nodes[a] in stations:
            fuel = range_km
        fuel -= abs(positions[b] - positions[a])
        if fuel < -EPS:
            return False
    return origin_station or fuel >= range_km / 2 - EPS


def enumerate_best(
    paths: Sequence[tuple[Sequence[float], Sequence[int]]],
    volumes: Sequence[float],
    sites: Sequence[int],
    p: int,
    range_km: float,
    existing: frozenset[int] = frozenset(),
) -> tuple[float, tuple[int, ...]]:
    """The most flow any p of ``sites`` (plus ``existing``) serve, and one best set."""
    sites = sorted(set(sites) - existing)
    bit = {s: 1 << i for i, s in enumerate(sites)}
    combos = list(combinations(sites, p))
    masks = np.array([sum(bit[s] for s in c) for c in combos], dtype=np.int64)
    total = np.zeros(len(combos))
    for (pos, nodes), vol in zip(paths, volumes, strict=True):
        pm = 0
        for n in nodes:
            pm |= bit.get(n, 0)
        inter = masks & pm
        uniq, inv = np.unique(inter, return_inverse=True)
        ok = np.zeros(len(uniq), dtype=bool)
        for i, m in enumerate(uniq.tolist()):
            chosen = {s for s in sites if bit[s] & m} | set(existing)
            ok[i] = round_trip_ok(pos, nodes, chosen, range_km)
        total += vol * ok[inv]
    best = int(np.argmax(total)) if len(combos) else -1
    return (float(total[best]), combos[best]) if best >= 0 else (0.0, ())
