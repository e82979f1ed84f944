"""Compiled (numba) :meth:`h2lane.roads.geo.NearestNodes.query` for many points at once.

The same latitude bands, the same squared chords in the same order of operations and the
same ties (the lowest index) as the per-point query, so the same node to the bit. Kept out
of :mod:`h2lane.roads.geo` so that importing the road graph does not import numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def nearest_many(lat, order, xyz, qlat, q, band, edges2):
    """Index of the nearest point for each query.

    ``lat`` the points' latitudes sorted, ``order`` their original indices, ``xyz`` their unit
    vectors (sorted the same), ``qlat`` and ``q`` the queries' latitudes and unit vectors,
    ``band`` the first half-width in degrees, ``edges2`` the squared chord of the half-width
    at each widening (×4), the last one for every widening after it.
    """
    n = len(lat)
    out = np.empty(len(qlat), np.int64)
    for i in range(len(qlat)):
        qx, qy, qz = q[i, 0], q[i, 1], q[i, 2]
        w = band
        level = 0
        while True:
            lo = np.searchsorted(lat, qlat[i] - w, side="left")
            hi = np.searchsorted(lat, qlat[i] + w, side="right")
            if hi > lo:
                best = np.inf
                node = n
                for j in range(lo, hi):
                    dx = xyz[j, 0] - qx
                    dy = xyz[j, 1] - qy
                    dz = xyz[j, 2] - qz
                    d2 = (dx * dx + dy * dy) + dz * dz  # numpy's sum over the row, in order
                    if d2 < best:
                        best = d2
                        node = order[j]
                    elif d2 == best and order[j] < node:
                        node = order[j]
                if best <= edges2[min(level, len(edges2) - 1)] or (lo == 0 and hi == n):
                    out[i] = node
                    break
            w *= 4.0
            level += 1
    return out
