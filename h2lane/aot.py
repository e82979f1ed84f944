"""Kernels compiled ahead of time, so that a short command need not start numba.

A process that plans one trip spends about 0.7 s importing numba (it also imports
``scipy.linalg`` to probe BLAS) and loading its cached kernels before it can answer — more
than the road graph, the station graph and the plan together. :func:`build` (``h2lane kernels
build``, run by the README's set-up) compiles the kernels that path calls into one extension
module with :mod:`numba.pycc`, which needs a C compiler and the Python headers, and keeps it in
the cache directory. :func:`kernel` returns the compiled function when that module exists for
the current sources and library versions, else the numba JIT dispatcher of the same Python
function (the same code through the same compiler, so the same answers; a call whose argument
types the module was not built for goes to the JIT).

``H2LANE_AOT=0`` uses the JIT kernels only. :mod:`numba.pycc` is deprecated upstream;
``constraints.txt`` pins a numba that has it, and without it :func:`build` says so and the JIT
kernels answer.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from h2lane.cache import cache_dir
from h2lane.errors import KernelBuildError

_F1, _F2 = "float64[::1]", "float64[:, ::1]"
_I1, _I2, _I32 = "int64[::1]", "int64[:, ::1]", "int32[::1]"
_B1, _F, _B, _I = "boolean[::1]", "float64", "boolean", "int64"


@dataclass(frozen=True, slots=True)
class Kernel:
    """One kernel of the module: where its Python function lives and the argument types
    (numba type names, C-contiguous arrays) it is compiled for."""

    module: str
    function: str
    args: tuple[str, ...]


KERNELS: dict[str, Kernel] = {
    "nearest_many": Kernel(
        "h2lane.roads.nearestkernel", "nearest_many", (_F1, _I1, _F2, _F1, _F2, _F, _F1)
    ),
    "dense_sub_km": Kernel(
        "h2lane.routing.stationkernels", "dense_sub_km", (_I1, _I32, _I32, _I1, _I1, _F2)
    ),
    "full_refuel_dijkstra": Kernel(
        "h2lane.routing.stationkernels",
        "full_refuel_dijkstra",
        (_I1, _I32, _I32, _I2, _I2, _F1, _F1, _F, _F, _F, _F, _F, _F1, _F1, _F, _B1),
    ),
    "refuel_search": Kernel(
        "h2lane.routing.refuelkernel",
        "search",
        (
            *(_F1, _F2, _F2, _F2, _F1, _F, _F, _F, _F1, _F1, _F1, _F1, _F1, _F, _F, _B, _F, _F),
            *(_F, _F, _F1, _F1, _B, _B, _I, _B, _F2, _F2, _F, _F1, _F1, _F, _B),
        ),
    ),
}
"""The kernels of one trip plan (``h2lane trip``): snapping places to the road graph, the
station-graph bound and sub-matrix, and the exact label search."""

_SOURCES = ("roads", "routing")
"""Sub-packages whose sources the module is built from (a kernel's callees live there too)."""

_EXT = sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def enabled() -> bool:
    """Whether :func:`kernel` may use the ahead-of-time module (``H2LANE_AOT`` not ``0``)."""
    return os.environ.get("H2LANE_AOT", "").strip() != "0"


def _file_bytes(package: str, name: str) -> bytes:
    """The bytes of ``package/name`` found without importing the package (empty if absent)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return b""
    path = Path(next(iter(spec.submodule_search_locations))) / name
    return path.read_bytes() if path.exists() else b""


def fingerprint(root: Path | None = None) -> str:
    """Digest of everything the compiled module depends on: h2lane's road and routing
    sources and this file (under ``root``, default the installed package), the numba,
    llvmlite and numpy versions and the interpreter."""
    package = root if root is not None else Path(__file__).resolve().parent
    h = hashlib.blake2b(digest_size=8)
    for path in [package / "aot.py"] + [
        p for sub in _SOURCES for p in sorted((package / sub).glob("*.py"))
    ]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    for dependency in ("numba", "llvmlite", "numpy"):
        h.update(_file_bytes(dependency, "_version.py") or _file_bytes(dependency, "version.py"))
    h.update(sys.version.encode())
    h.update(_EXT.encode())
    return h.hexdigest()


@functools.cache
def module_name() -> str:
    """The extension module's name for the installed sources' :func:`fingerprint` (read
    once per process: the sources are hashed, not watched)."""
    return f"h2lane_kernels_{fingerprint()}"


def module_path(directory: Path | None = None) -> Path | None:
    """Where the module for the current sources is (or would be) kept; ``None`` when the
    cache directory is switched off."""
    base = directory if directory is not None else cache_dir()
    return None if base is None else base / "aot" / f"{module_name()}{_EXT}"


_loaded: dict[str, Any] = {}
_module: list[ModuleType | None] = []


def _load() -> ModuleType | None:
    """The compiled module for the current sources, imported once (``None``: not built)."""
    if _module:
        return _module[0]
    found: ModuleType | None = None
    path = module_path() if enabled() else None
    if path is not None and path.exists():
        spec = importlib.util.spec_from_file_location(path.name.split(".")[0], path)
        if spec is not None and spec.loader is not None:
            try:
                found = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(found)
            except ImportError:  # a broken or foreign file: use the JIT kernels
                found = None
    _module.append(found)
    return found


def available() -> bool:
    """Whether the ahead-of-time module is built for the current sources and in use."""
    return _load() is not None


def _jit(name: str) -> Callable[..., Any]:
    k = KERNELS[name]
    fn: Callable[..., Any] = getattr(importlib.import_module(k.module), k.function)
    return fn


def _accepts(spec: tuple[str, ...]) -> Callable[[tuple[Any, ...]], bool]:
    """A test that call arguments have exactly the types of ``spec``.

    A pycc module converts what it is given without checking it: a strided or float32
    array would be read as a C-contiguous float64 one, and a float as an integer. So
    arrays must have the dtype, dimensions and C order, and scalars the kind, of ``spec``.
    """
    import numpy as np

    checks: list[Callable[[Any], bool]] = []
    for arg in spec:
        if "[" in arg:
            dtype = np.dtype(arg.split("[")[0].replace("boolean", "bool"))
            ndim = arg.count(",") + 1

            def array(x: Any, dtype: Any = dtype, ndim: int = ndim) -> bool:
                return (
                    isinstance(x, np.ndarray)
                    and x.dtype == dtype
                    and x.ndim == ndim
                    and x.flags.c_contiguous
                    and x.flags.aligned
                )

            checks.append(array)
        elif arg == "boolean":
            checks.append(lambda x: isinstance(x, bool | np.bool_))
        elif arg == "int64":
            checks.append(lambda x: isinstance(x, int | np.integer) and not isinstance(x, bool))
        else:
            checks.append(lambda x: isinstance(x, float | np.floating))

    def accepts(args: tuple[Any, ...]) -> bool:
        return len(args) == len(checks) and all(c(a) for c, a in zip(checks, args, strict=True))

    return accepts


def kernel(name: str) -> Callable[..., Any]:
    """The kernel ``name`` of :data:`KERNELS`: compiled ahead of time if built, else JIT.

    A call whose arguments are not exactly the types the module was built for goes to the
    JIT kernel (which compiles for them)."""
    if name in _loaded:
        return _loaded[name]
    module = _load()
    if module is None:
        fn = _jit(name)
    else:
        compiled = getattr(module, name)
        accepts = _accepts(KERNELS[name].args)

        def fn(*args: Any) -> Any:
            if accepts(args):
                return compiled(*args)
            return _jit(name)(*args)

        fn.__name__ = fn.__qualname__ = name
    _loaded[name] = fn
    return fn


def _forget() -> None:
    """Drop what :func:`kernel` remembered (after a build, in tests)."""
    _loaded.clear()
    _module.clear()


def build(directory: Path | None = None, *, force: bool = False) -> dict[str, Any]:
    """Compile :data:`KERNELS` into the module for the current sources (nothing to do when
    it exists, unless ``force``); older builds in the same folder are removed.

    Returns ``{"path", "built", "seconds", "kernels"}``. Raises :class:`KernelBuildError`
    with the compiler's complaint when it cannot be built.
    """
    path = module_path(directory)
    if path is None:
        raise KernelBuildError(
            "the cache directory is switched off (H2LANE_NO_CACHE), so the compiled kernels "
            "have nowhere to go: set H2LANE_CACHE_DIR or unset H2LANE_NO_CACHE"
        )
    info: dict[str, Any] = {
        "path": str(path),
        "built": False,
        "seconds": 0.0,
        "kernels": sorted(KERNELS),
    }
    if path.exists() and not force:
        return info
    t0 = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name.split(".")[0]
    work = Path(tempfile.mkdtemp(prefix="build-", dir=path.parent))
    try:
        _compile(name, work)
        built = work / path.name
        if not built.exists():
            raise KernelBuildError(f"the kernel compiler wrote no {path.name} in {work}")
        os.replace(built, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for old in path.parent.glob(f"h2lane_kernels_*{_EXT}"):
        if old != path:
            old.unlink(missing_ok=True)
    _forget()
    info.update(built=True, seconds=round(time.perf_counter() - t0, 1))
    return info


def _compile(name: str, work: Path) -> None:
    """Run numba.pycc on :data:`KERNELS` into ``work/name.<ext>``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pycc's pending-deprecation notice
        from numba.core import sigutils

        try:
            from numba.pycc import CC
        except ImportError as exc:  # deprecated upstream; constraints.txt pins a numba with it
            raise KernelBuildError(
                f"this numba has no ahead-of-time compiler (numba.pycc: {exc}); h2lane works "
                "without it on the JIT kernels"
            ) from exc

        cc = CC(name)
        cc.output_dir = str(work)
        for export, k in KERNELS.items():
            args = sigutils.normalize_signature(f"({', '.join(k.args)},)")[0]
            cc.export(export, args)(_jit(export).py_func)  # type: ignore[attr-defined]
        try:
            cc.compile()
        except Exception as exc:  # distutils/setuptools raise their own classes
            raise KernelBuildError(
                f"the kernels could not be compiled ahead of time ({type(exc).__name__}: "
                f"{str(exc).strip().splitlines()[-1] if str(exc).strip() else exc}); "
                "h2lane works without them (the JIT kernels, about 0.7 s more per process) "
                "— install a C compiler and the Python headers to build them"
            ) from exc
