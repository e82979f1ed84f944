"""The ahead-of-time kernels: built for the sources they come from, the same answers as the
JIT kernels, and a trip plan that does not import numba."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from brute import random_problem

from h2lane import aot
from h2lane.errors import KernelBuildError
from h2lane.routing import refuelrun
from h2lane.routing.rest import RestRules

PACKAGE = Path(aot.__file__).resolve().parent


def _compiler() -> str | None:
    return shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache directory holding the module built for these sources (about a minute)."""
    if _compiler() is None:
        pytest.skip("no C compiler (cc/gcc) to build the ahead-of-time kernels")
    cache = tmp_path_factory.mktemp("aot-cache")
    info = aot.build(cache)
    assert info["built"] and Path(info["path"]).exists()
    assert aot.build(cache)["built"] is False  # up to date: nothing to do
    yield cache
    aot._forget()


def _use(monkeypatch: pytest.MonkeyPatch, cache: Path | None, on: bool = True) -> None:
    if cache is not None:
        monkeypatch.setenv("H2LANE_CACHE_DIR", str(cache))
    monkeypatch.setenv("H2LANE_AOT", "1" if on else "0")
    aot._forget()


def test_fingerprint_follows_the_sources(tmp_path: Path) -> None:
    copy = tmp_path / "h2lane"
    copy.mkdir()
    shutil.copy(PACKAGE / "aot.py", copy / "aot.py")
    for sub in ("roads", "routing"):
        shutil.copytree(PACKAGE / sub, copy / sub, ignore=shutil.ignore_patterns("__pycache__"))
    assert aot.fingerprint(copy) == aot.fingerprint()
    kernel = copy / "routing" / "refuelkernel.py"
    kernel.write_text(kernel.read_text() + "\n# edited\n")
    assert aot.fingerprint(copy) != aot.fingerprint()


def test_without_the_module_the_jit_kernels_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, tmp_path)  # an empty cache directory: nothing built
    assert not aot.available()
    from h2lane.routing import stationkernels

    assert aot.kernel("dense_sub_km") is stationkernels.dense_sub_km
    aot._forget()


def test_no_cache_directory_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2LANE_NO_CACHE", "1")
    with pytest.raises(KernelBuildError, match="cache directory is switched off"):
        aot.build()


def _case(seed: int):
    rng = np.random.default_rng(70_000 + seed)
    rest = RestRules() if seed % 2 else RestRules.off()
    return random_problem(rng, n_stations=int(rng.integers(6, 40)), n_legs=3, rest=rest)


def _runs(monkeypatch: pytest.MonkeyPatch, cache: Path, on: bool) -> list[tuple]:
    _use(monkeypatch, cache, on)
    assert aot.available() is on
    out = []
    for seed in range(16):
        p = _case(seed)
        for objective in ("time", "cost"):
            for full in (False, True):
                r = refuelrun.run(p, objective, full, 10**7)
                out.append((r.status, r.stops, r.explored, r.labels, r.time_h, r.money, r.chain))
    return out


def test_compiled_ahead_equals_jit(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bit for bit: the same stops, labels, hours and money on random problems."""
    ahead = _runs(monkeypatch, built, on=True)
    jit = _runs(monkeypatch, built, on=False)
    assert sum(r[0] == 0 for r in jit) > 10  # most cases have a plan
    assert ahead == jit


def test_other_argument_types_go_to_the_jit(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The module reads what it is given without checking it, so a strided or differently
    typed array must reach the JIT kernel instead (else: answers at the wrong addresses)."""
    _use(monkeypatch, built)
    dense = aot.kernel("dense_sub_km")
    indptr = np.array([0, 1, 2], dtype=np.int64)
    idx = np.array([1, 0], dtype=np.int32)
    sub = np.array([0, 1], dtype=np.int64)
    for metres in (np.array([1500, 2500], dtype=np.int32), np.array([1500, 2500])):
        for out in (np.zeros((2, 2)), np.zeros((2, 4))[:, ::2], np.zeros((2, 2)).T):
            out[:] = 0.0
            dense(indptr, idx, metres, sub, sub.copy(), out)
            assert out.tolist() == [[0.0, 1.5], [2.5, 0.0]]
    assert aot._accepts(aot.KERNELS["dense_sub_km"].args)(
        (indptr, idx, idx, sub, sub, np.zeros((2, 2)))
    )
    nearest = aot.kernel("nearest_many")
    lat = np.array([10.0, 20.0])
    xyz = np.eye(3)[:2].copy()
    got = nearest(lat, np.array([0, 1]), xyz, lat[::-1].copy(), xyz[::-1].copy(), 1, xyz[0])
    assert got.tolist() == [1, 0]  # an int for a float (the band) goes to the JIT too
    aot._forget()


def test_a_trip_plan_does_not_import_numba(built: Path, data_dir: Path) -> None:
    """The README's ``h2lane trip --stations``: the same plan, and numba never imported."""
    cmd = [sys.executable, "-X", "importtime", "-m", "h2lane", "trip", "--from", "Xiaoyi"]
    cmd += ["--to", "Tianjin Port", "--stations", str(data_dir / "stations.csv"), "--json"]
    env = dict(os.environ, H2LANE_CACHE_DIR=str(built))
    ahead = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    env["H2LANE_AOT"] = "0"
    jit = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    imported = [line.rsplit("|", 1)[-1].strip() for line in ahead.stderr.splitlines()]
    assert not [m for m in imported if m.split(".")[0] in ("numba", "scipy")]
    assert ahead.stdout == jit.stdout
    assert '"kind": "trip"' in ahead.stdout
