"""Nearest points on the sphere without a spatial tree: equal to brute force."""

from __future__ import annotations

import numpy as np
import pytest

from h2lane.roads import geo
from h2lane.roads.geo import NearestNodes, unit_vectors


def _brute(lat: np.ndarray, lon: np.ndarray, qlat: float, qlon: float) -> int:
    d2 = ((unit_vectors(lat, lon) - unit_vectors([qlat], [qlon])[0]) ** 2).sum(axis=1)
    return int(np.flatnonzero(d2 == d2.min()).min())


@pytest.mark.parametrize("seed", range(5))
def test_nearest_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    lat = rng.uniform(30, 45, n)
    lon = rng.uniform(105, 125, n)
    if n > 3:  # duplicates: ties go to the lowest index
        lat[n // 2], lon[n // 2] = lat[1], lon[1]
    index = NearestNodes(lat, lon, band_deg=float(rng.choice([0.001, 0.05, 1.0])))
    # queries near the points, far outside them, at the poles and across the antimeridian
    qlat = np.concatenate([rng.uniform(29, 46, 200), [89.9, -89.9, 0.0, lat[0]]])
    qlon = np.concatenate([rng.uniform(100, 130, 200), [0.0, 179.0, -179.9, lon[0]]])
    got = index.query_many(qlat, qlon)
    want = [_brute(lat, lon, a, b) for a, b in zip(qlat, qlon, strict=True)]
    assert got.tolist() == want


def test_no_points() -> None:
    with pytest.raises(ValueError):
        NearestNodes([], []).query(30.0, 110.0)


@pytest.mark.parametrize("seed", range(4))
def test_query_many_equals_the_per_point_query(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled queries give the per-point query's indices, ties included."""
    monkeypatch.setattr(geo, "_COMPILED_MIN", 0)  # compiled even for few points
    rng = np.random.default_rng(10 + seed)
    n = int(rng.integers(1, 3000))
    lat = rng.uniform(30, 45, n)
    lon = rng.uniform(105, 125, n)
    src, dst = rng.integers(n, size=(2, n // 4))  # duplicates: ties go to the lowest index
    lat[dst], lon[dst] = lat[src], lon[src]
    index = NearestNodes(lat, lon, band_deg=[0.001, 0.05, 1.0, 200.0][seed])
    # near and far, on the points themselves (the ties), at the poles, across the antimeridian
    on = rng.integers(n, size=300)
    qlat = np.concatenate([rng.uniform(25, 50, 2000), lat[on], [89.9, -89.9, 0.0, -3.0]])
    qlon = np.concatenate([rng.uniform(95, 135, 2000), lon[on], [0.0, 179.0, -179.9, -60.0]])
    got = index.query_many(qlat, qlon)
    assert got.dtype == np.int64
    tied = sum(np.count_nonzero((lat == lat[k]) & (lon == lon[k])) > 1 for k in on)
    assert tied >= 20  # the ties were tried
    assert got.tolist() == [index.query(a, b) for a, b in zip(qlat, qlon, strict=True)]
    assert index.query_many([], []).tolist() == []
    with pytest.raises(ValueError, match="2 latitudes but 1 longitudes"):
        index.query_many([30.0, 31.0], [110.0])
    with pytest.raises(ValueError, match="no points to search"):
        NearestNodes([], []).query_many([30.0], [110.0])


@pytest.mark.parametrize(
    "point", [(float("nan"), 116.0), (39.0, float("inf")), (float("-inf"), 0.0)]
)
def test_a_point_that_is_not_finite_is_named_not_searched_forever(
    point: tuple[float, float],
) -> None:
    index = NearestNodes([39.0, 40.0], [116.0, 117.0])
    with pytest.raises(ValueError, match="not a finite latitude and longitude"):
        index.query(*point)
    with pytest.raises(ValueError, match="not a finite latitude and longitude"):
        index.query_many([39.5, point[0]], [116.5, point[1]])


def test_indexed_points_and_band_must_be_finite() -> None:
    with pytest.raises(ValueError, match="point 1 has no finite"):
        NearestNodes([39.0, float("nan")], [116.0, 117.0])
    with pytest.raises(ValueError, match="band_deg must be a positive finite"):
        NearestNodes([39.0], [116.0], band_deg=0.0)
