"""Great-circle helpers."""

from __future__ import annotations

import math
import sys

import numpy as np
from numpy.typing import ArrayLike, NDArray

from h2lane import aot

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""
_COMPILED_MIN = 15_000
"""Queries from which :meth:`NearestNodes.query_many` imports numba for them: importing it and
loading the kernel, about 0.55 s, costs as much as some 15,000 per-point queries."""


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    p1, l1, p2, l2 = (np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def haversine_km_1(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """:func:`haversine_km` for one pair of points, without numpy's per-call cost."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def unit_vectors(lat: ArrayLike, lon: ArrayLike) -> NDArray:
    """3-D unit vectors of points on the sphere, for nearest-neighbour search."""
    p, lam = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    return np.column_stack([np.cos(p) * np.cos(lam), np.cos(p) * np.sin(lam), np.sin(p)])


def _chord2(w: float) -> float:
    """The squared chord of ``w`` degrees of arc (of 180 beyond)."""
    edge = 2.0 * math.sin(math.radians(min(w, 180.0)) / 2.0)
    return edge * edge


class NearestNodes:
    """Exact nearest point on the sphere, from latitude bands (no spatial-tree library).

    Points are sorted by latitude. A query looks at the band within ``w`` degrees of its
    latitude; every point outside it is more than ``w`` degrees of arc away, so the nearest
    in the band is the nearest overall once its distance is within that; otherwise the band
    widens. Ties go to the lowest index.
    """

    def __init__(self, lat: ArrayLike, lon: ArrayLike, band_deg: float = 0.05) -> None:
        lat = np.asarray(lat, dtype=float)
        if not 0.0 < float(band_deg) < math.inf:
            raise ValueError(
                f"band_deg must be a positive finite number of degrees, not {band_deg}"
            )
        bad = np.flatnonzero(~(np.isfinite(lat) & np.isfinite(np.asarray(lon, dtype=float))))
        if len(bad):
            raise ValueError(f"point {int(bad[0])} has no finite latitude and longitude")
        self._order = np.argsort(lat, kind="stable")
        self._lat = lat[self._order]
        self._xyz = unit_vectors(lat, lon)[self._order]
        self._band = float(band_deg)

    def query(self, lat: float, lon: float) -> int:
        """Index of the point nearest to ``(lat, lon)``."""
        if len(self._lat) == 0:
            raise ValueError("no points to search")
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValueError(f"query point {lat},{lon} is not a finite latitude and longitude")
        q = unit_vectors([lat], [lon])[0]
        w = self._band
        while True:
            lo = int(np.searchsorted(self._lat, lat - w, side="left"))
            hi = int(np.searchsorted(self._lat, lat + w, side="right"))
            if hi > lo:
                d2 = ((self._xyz[lo:hi] - q) ** 2).sum(axis=1)
                best = float(d2.min())
                # the chord of the band's half-width: every point outside is farther
                if best <= _chord2(w) or (lo == 0 and hi == len(self._lat)):
                    ties = self._order[lo + np.flatnonzero(d2 == best)]
                    return int(ties.min())
            w *= 4.0

    def query_many(self, lat: ArrayLike, lon: ArrayLike) -> NDArray:
        """:meth:`query` for each point: the same indices, ties included.

        The compiled kernel (:mod:`h2lane.roads.nearestkernel`) runs them when it is built
        ahead of time (:mod:`h2lane.aot`), numba is loaded already or there are at least
        ``_COMPILED_MIN`` points; a point that is not finite goes to :meth:`query`, which
        names it.
        """
        la, lo = np.asarray(lat, dtype=float).ravel(), np.asarray(lon, dtype=float).ravel()
        if len(la) != len(lo):
            raise ValueError(f"{len(la)} latitudes but {len(lo)} longitudes")
        compiled = "numba" in sys.modules or len(la) >= _COMPILED_MIN or aot.available()
        if not (compiled and np.isfinite(la).all() and np.isfinite(lo).all()):
            return np.array(
                [self.query(float(a), float(b)) for a, b in zip(la, lo, strict=True)], np.int64
            )
        if len(la) == 0:
            return np.zeros(0, dtype=np.int64)
        if len(self._lat) == 0:
            raise ValueError("no points to search")
        q = unit_vectors(la, lo)
        nearest_many = aot.kernel("nearest_many")
        return nearest_many(self._lat, self._order, self._xyz, la, q, self._band, self._edges2())

    def _edges2(self) -> NDArray[np.float64]:
        """The squared chord of the band's half-width at each widening, as :meth:`query`
        computes it, until it covers every latitude (it stays the same after)."""
        out, w = [], self._band
        while True:
            out.append(_chord2(w))
            if w >= 180.0:
                return np.array(out)
            w *= 4.0
