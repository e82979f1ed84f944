"""The tube-trailer supply plan as a transport MILP on HiGHS.

Production sites ``i`` (capacity kg/day, trailer payload, trailers available) supply stations
``j`` (demand kg/day) over road distances ``km[i, j]``. Over a planning period of ``T`` days:

* ``y[i, j]`` — share of station ``j``'s demand that site ``i`` supplies (binary with single
  sourcing, the default; continuous in ``[0, 1]`` otherwise);
* ``n[i, j]`` — integer tube-trailer trips in the period, ``payload_i · n[i, j] ≥ T · d_j · y[i, j]``;
* ``F[i]`` — integer trailers based at site ``i``: every trip takes ``h[i, j] = 2 km / v + load +
  unload`` trailer-hours, ``Σ_j h[i, j] n[i, j] ≤ T · H · F[i]`` (``H`` duty hours a day) and
  ``F[i] ≤`` the trailers the scenario has there (when given);
* ``Σ_j d_j y[i, j] ≤ capacity_i``;
* ``u_j`` — demand left unserved (share of ``d_j``), priced far above any delivery cost so it is
  used only when no plan serves the station; a station with ``u_j > 0`` is explained (no road,
  too far, too large for any single site, or the capacity and trailers it could use are taken).

Objective (yuan/day): ``Σ 2 km · cost_km · n / T + cost_day · F`` (+ the unserved penalty).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from numpy.typing import NDArray

from h2lane import params

UNSERVED_PENALTY_PER_KG = 1.0e5
"""yuan per kg/day left unserved: far above any trailer cost, so slack is a last resort."""


@dataclass(frozen=True, slots=True)
class SupplySite:
    """A production site as the supply plan sees it."""

    id: str
    name: str
    capacity_kg_per_day: float
    payload_kg: float = params.TUBE_TRAILER_PAYLOAD_20MPA.value
    trailers_available: int | None = None
    """Trailers the site has (None: as many as the plan needs)."""


@dataclass(frozen=True, slots=True)
class SupplyStation:
    """A station's hydrogen demand."""

    id: str
    name: str
    demand_kg_per_day: float
    fixed_site: str | None = None
    """Only this site may supply it (``--keep-assignments``)."""


@dataclass(frozen=True, slots=True)
class SupplySettings:
    """Trailer operation and cost inputs (defaults from :mod:`h2lane.params`)."""

    trailer_speed_kmh: float = params.TRAILER_SPEED.value
    load_h: float = params.TRAILER_LOAD_H.value
    unload_h: float = params.TRAILER_SWAP_H.value
    hours_per_day: float = params.TRAILER_HOURS_PER_DAY.value
    cost_per_km: float = params.TRAILER_COST_PER_KM.value
    cost_per_trailer_day: float = params.TRAILER_COST_PER_DAY.value
    period_days: int = 7
    single_source: bool = True
    max_one_way_km: float = 600.0
    time_limit_s: float = 30.0
    parked_per_station: int = 0
    """Trailers each served station keeps on its bay (1 in the swap model): they count
    against a site's trailers but not in its trip hours."""


@dataclass(slots=True)
class Assignment:
    """Site → station flow of the plan."""

    site_id: str
    station_id: str
    kg_per_day: float
    one_way_km: float
    trips_per_period: int
    trips_per_day: float
    trailer_h_per_trip: float
    km_per_day: float
    cost_per_day: float


@dataclass(slots=True)
class UnservedStation:
    """A station (or part of its demand) the plan cannot serve, and why."""

    station_id: str
    kg_per_day: float
    reason: str


@dataclass(slots=True)
class SupplyPlan:
    """The answer: assignments, fleet per site, totals and what cannot be served."""

    assignments: list[Assignment]
    fleet: dict[str, int]
    """Trailers in circulation per site (the trips need them)."""
    parked: dict[str, int]
    """Trailers standing on station bays per site (swap model)."""
    site_use_kg_per_day: dict[str, float]
    unserved: list[UnservedStation]
    period_days: int
    cost_per_day: float
    trailer_km_per_day: float
    delivered_kg_per_day: float
    status: str
    mip_gap: float
    seconds: float
    objective: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def trailer_km_per_kg(self) -> float:
        """Trailer (diesel tractor) km driven per kg delivered, loaded and empty legs both."""
        if self.delivered_kg_per_day <= 0:
            return 0.0
        return self.trailer_km_per_day / self.delivered_kg_per_day

    def site_of(self, station_id: str) -> str | None:
        """The site supplying most of a station's demand."""
        best = None
        for a in self.assignments:
            if a.station_id == station_id and (best is None or a.kg_per_day > best.kg_per_day):
                best = a
        return best.site_id if best else None


_banner_lock = threading.Lock()
_banner_done = False


def new_highs() -> highspy.Highs:
    """A quiet ``Highs``: the version banner of a process's first instance goes to /dev/null."""
    global _banner_done
    with _banner_lock:
        if _banner_done:
            return highspy.Highs()
        _banner_done = True
        try:
            sys.stdout.flush()
            saved = os.dup(1)
        except (OSError, ValueError, AttributeError):
            return highspy.Highs()
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.close(null)
            highs = highspy.Highs()
            with contextlib.suppress(Exception):
                ctypes.CDLL(None).fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        return highs


def trailer_hours(km: NDArray[np.float64], s: SupplySettings) -> NDArray[np.float64]:
    """Trailer-hours per trip: out and back at the trailer speed, loading and unloading."""
    return 2.0 * km / s.trailer_speed_kmh + s.load_h + s.unload_h


def solve_supply(
    sites: list[SupplySite],
    stations: list[SupplyStation],
    km: NDArray[np.float64],
    settings: SupplySettings | None = None,
) -> SupplyPlan:
    """Cheapest supply plan; stations that cannot be served are listed with their reason."""
    s = settings or SupplySettings()
    t0 = time.perf_counter()
    n_i, n_j = len(sites), len(stations)
    km = np.asarray(km, dtype=np.float64).reshape(n_i, n_j)
    period = float(s.period_days)
    d = np.array([st.demand_kg_per_day for st in stations], dtype=np.float64)
    cap = np.array([si.capacity_kg_per_day for si in sites], dtype=np.float64)
    pay = np.array([si.payload_kg for si in sites], dtype=np.float64)
    h = trailer_hours(np.where(np.isfinite(km), km, 0.0), s)
    site_index = {si.id: i for i, si in enumerate(sites)}
    allowed = np.isfinite(km) & (km <= s.max_one_way_km)
    for j, st in enumerate(stations):
        if st.fixed_site is not None:
            keep = site_index.get(st.fixed_site)
            allowed[:, j] = False
            if keep is not None:
                allowed[keep, j] = np.isfinite(km[keep, j]) and km[keep, j] <= s.max_one_way_km
    if s.single_source:  # a station too large for a site cannot be single-sourced there
        allowed &= d[None, :] <= cap[:, None] + 1e-9
    allowed &= d[None, :] > 0

    pairs = np.argwhere(allowed)  # (k, 2) rows of (i, j)
    n_pairs = len(pairs)
    # Columns: y[k] (n_pairs), n[k] (n_pairs), F[i] (n_i), u[j] (n_j)
    y0, n0, f0, u0 = 0, n_pairs, 2 * n_pairs, 2 * n_pairs + n_i
    n_cols = u0 + n_j
    cost = np.zeros(n_cols)
    pi, pj = pairs[:, 0], pairs[:, 1]
    cost[n0 : n0 + n_pairs] = 2.0 * km[pi, pj] * s.cost_per_km / period
    cost[f0 : f0 + n_i] = s.cost_per_trailer_day
    cost[u0:] = UNSERVED_PENALTY_PER_KG * np.maximum(d, 1e-9)
    lower = np.zeros(n_cols)
    upper = np.full(n_cols, np.inf)
    upper[y0 : y0 + n_pairs] = 1.0
    upper[u0:] = 1.0
    for i, si in enumerate(sites):
        if si.trailers_available is not None and s.parked_per_station == 0:
            upper[f0 + i] = float(si.trailers_available)
    integrality = np.zeros(n_cols, dtype=np.int32)
    if s.single_source:
        integrality[y0 : y0 + n_pairs] = 1
        integrality[u0:] = 1
    integrality[n0 : n0 + n_pairs] = 1
    integrality[f0 : f0 + n_i] = 1

    rows: list[tuple[list[int], list[float], float, float]] = []
    # demand: Σ_i y_ij + u_j = 1
    by_station: list[list[int]] = [[] for _ in range(n_j)]
    by_site: list[list[int]] = [[] for _ in range(n_i)]
    for k, (i, j) in enumerate(pairs):
        by_station[j].append(k)
        by_site[i].append(k)
    for j in range(n_j):
        ks = by_station[j]
        rows.append(([y0 + k for k in ks] + [u0 + j], [1.0] * len(ks) + [1.0], 1.0, 1.0))
    # capacity: Σ_j d_j y_ij ≤ cap_i
    for i in range(n_i):
        ks = by_site[i]
        if ks:
            rows.append(([y0 + k for k in ks], [float(d[pj[k]]) for k in ks], -np.inf, cap[i]))
    # trips: payload n_k − T d_j y_k ≥ 0
    for k in range(n_pairs):
        rows.append(([n0 + k, y0 + k], [float(pay[pi[k]]), -period * float(d[pj[k]])], 0.0, np.inf))
    # fleet: Σ h_k n_k − T H F_i ≤ 0
    for i in range(n_i):
        ks = by_site[i]
        idx = [n0 + k for k in ks] + [f0 + i]
        val = [float(h[i, pj[k]]) for k in ks] + [-period * s.hours_per_day]
        rows.append((idx, val, -np.inf, 0.0))

    # trailers: F_i + parked · Σ_j y_ij ≤ available_i (swap model)
    if s.parked_per_station:
        for i, si in enumerate(sites):
            if si.trailers_available is not None:
                ks = by_site[i]
                idx = [f0 + i] + [y0 + k for k in ks]
                val = [1.0] + [float(s.parked_per_station)] * len(ks)
                rows.append((idx, val, -np.inf, float(si.trailers_available)))

    x = _solve(n_cols, cost, lower, upper, integrality, rows, s.time_limit_s)
    status, gap, objective, values = x
    seconds = time.perf_counter() - t0

    yv = values[y0 : y0 + n_pairs]
    nv = np.rint(values[n0 : n0 + n_pairs]).astype(np.int64)
    fv = np.rint(values[f0 : f0 + n_i]).astype(np.int64)
    uv = values[u0:]
    assignments: list[Assignment] = []
    use = dict.fromkeys((si.id for si in sites), 0.0)
    for k in range(n_pairs):
        if yv[k] <= 1e-7 and nv[k] == 0:
            continue
        i, j = int(pi[k]), int(pj[k])
        kg = float(d[j] * min(1.0, max(0.0, yv[k])))
        trips_day = nv[k] / period
        assignments.append(
            Assignment(
                site_id=sites[i].id,
                station_id=stations[j].id,
                kg_per_day=kg,
                one_way_km=float(km[i, j]),
                trips_per_period=int(nv[k]),
                trips_per_day=float(trips_day),
                trailer_h_per_trip=float(h[i, j]),
                km_per_day=float(2.0 * km[i, j] * trips_day),
                cost_per_day=float(2.0 * km[i, j] * trips_day * s.cost_per_km),
            )
        )
        use[sites[i].id] += kg
    fleet = {si.id: int(fv[i]) for i, si in enumerate(sites)}
    parked = dict.fromkeys(fleet, 0)
    if s.parked_per_station:
        for a in assignments:
            parked[a.site_id] += s.parked_per_station
    unserved = [
        UnservedStation(
            stations[j].id,
            float(d[j] * uv[j]),
            explain_unserved(j, sites, stations, km, s, allowed, use, fleet, parked),
        )
        for j in range(n_j)
        if uv[j] > 1e-6
    ]
    trailer_km = math.fsum(a.km_per_day for a in assignments)
    delivered = math.fsum(a.kg_per_day for a in assignments)
    cost_day = trailer_km * s.cost_per_km + s.cost_per_trailer_day * float(fv.sum())
    return SupplyPlan(
        assignments=sorted(assignments, key=lambda a: (a.site_id, a.station_id)),
        fleet=fleet,
        parked=parked,
        site_use_kg_per_day=use,
        unserved=unserved,
        period_days=s.period_days,
        cost_per_day=cost_day,
        trailer_km_per_day=trailer_km,
        delivered_kg_per_day=delivered,
        status=status,
        mip_gap=gap,
        seconds=seconds,
        objective=objective,
    )


def explain_unserved(
    j: int,
    sites: list[SupplySite],
    stations: list[SupplyStation],
    km: NDArray[np.float64],
    s: SupplySettings,
    allowed: NDArray[np.bool_],
    use: dict[str, float],
    fleet: dict[str, int],
    parked: dict[str, int],
) -> str:
    """Why station ``j`` is (partly) unserved, in one clause."""
    st = stations[j]
    d = st.demand_kg_per_day
    reach = [i for i in range(len(sites)) if np.isfinite(km[i, j])]
    if st.fixed_site is not None and st.fixed_site not in {si.id for si in sites}:
        return f"its supplying site '{st.fixed_site}' is not a production site of the scenario"
    if not reach:
        return "no production site is connected to it by road"
    near = [i for i in reach if km[i, j] <= s.max_one_way_km]
    if not near:
        closest = min(reach, key=lambda i: km[i, j])
        return (
            f"the nearest production site ({sites[closest].id}, {km[closest, j]:.0f} km) is "
            f"beyond the {s.max_one_way_km:g} km trailer limit"
        )
    if s.single_source and not allowed[:, j].any():
        biggest = max(near, key=lambda i: sites[i].capacity_kg_per_day)
        return (
            f"its demand of {d:,.0f} kg/day exceeds the capacity of every site within reach "
            f"(largest: {sites[biggest].id}, {sites[biggest].capacity_kg_per_day:,.0f} kg/day); "
            "allow split supply (--split) or add capacity"
        )
    parts = []
    for i in np.flatnonzero(allowed[:, j]):
        si = sites[int(i)]
        left = si.capacity_kg_per_day - use[si.id]
        busy = fleet[si.id] + parked[si.id]
        trailers = (
            f", {busy} of its {si.trailers_available} trailers in use"
            + (f" ({parked[si.id]} on station bays)" if parked[si.id] else "")
            if si.trailers_available is not None
            else ""
        )
        parts.append(f"{si.id} has {max(left, 0.0):,.0f} kg/day left{trailers}")
    others = len(sites) - int(allowed[:, j].sum())
    tail = f"; {others} other site(s) out of reach or too small" if others else ""
    return (
        f"the sites that could supply its {d:,.0f} kg/day are taken by other stations ("
        + "; ".join(parts)
        + tail
        + ")"
    )


def _solve(
    n_cols: int,
    cost: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
    integrality: NDArray[np.int32],
    rows: list[tuple[list[int], list[float], float, float]],
    time_limit: float,
) -> tuple[str, float, float, NDArray[np.float64]]:
    """Solve the MILP; returns status text, MIP gap, objective and column values."""
    highs = new_highs()
    for name, value in (
        ("output_flag", False),
        ("log_to_console", False),
        ("threads", 1),
        ("random_seed", 1),
        ("time_limit", float(time_limit)),
        ("mip_rel_gap", 1e-6),
    ):
        highs.setOptionValue(name, value)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = len(rows)
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = np.where(np.isfinite(upper), upper, inf)
    lp.row_lower_ = np.array([r[2] if np.isfinite(r[2]) else -inf for r in rows])
    lp.row_upper_ = np.array([r[3] if np.isfinite(r[3]) else inf for r in rows])
    # Row-wise sparse matrix
    starts: list[int] = [0]
    index: list[int] = []
    values_: list[float] = []
    for idx, val, _, _ in rows:
        index.extend(idx)
        values_.extend(val)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(values_, dtype=np.float64)
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = len(rows)
    lp.integrality_ = [highspy.HighsVarType(int(v)) for v in integrality]
    highs.passModel(lp)
    status = highs.run()
    if (
        status == highspy.HighsStatus.kError
        and highs.getModelStatus() == highspy.HighsModelStatus.kNotset
    ):
        highs.setOptionValue("threads", 0)
        highs.run()
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        raise RuntimeError(
            f"HiGHS found no supply plan ({highs.modelStatusToString(model_status)})"
        )
    values = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    gap = float(info.mip_gap) if math.isfinite(info.mip_gap) else 0.0
    return (
        highs.modelStatusToString(model_status),
        gap,
        float(info.objective_function_value),
        values,
    )
