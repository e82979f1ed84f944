"""Sensitivity of an accounting to its two most consequential choices.

* **Allocation** of the coking plant's burden to coke-oven-gas hydrogen: cut-off, mass,
  energy, economic and the full-allocation bound (plus the chosen ``--cog-allocation``
  share when one was given).
* **Grid factor** for grid electricity: national, regional and provincial MEE factors.

Each alternative rebuilds the hydrogen factors and re-prices the same ledger without
re-running the accounting: a shipment's WTW is linear in the factors, ``WTW' = WTW +
Σ_f (total'_f − total_f) × H2_{s,f}`` where ``H2_{s,f}`` is the hydrogen of factor ``f`` the
tonne-km allocation gives shipment ``s`` (its share of its TOC's t·km × the TOC's kg of
that hydrogen). Hub emissions do not depend on the hydrogen and stay as they are.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from h2lane.emissions.accounting import Accounting
from h2lane.emissions.allocation import ALLOCATION_LABELS, ALLOCATION_METHODS, DEFAULT_ALLOCATION
from h2lane.emissions.factors import (
    DEFAULT_GRID,
    GRID_FACTORS,
    HydrogenWtt,
    WttConfig,
    hydrogen_wtt,
)

#: Shipments listed one by one in each sensitivity row (above it: the mean, min and max).
SHIPMENTS_LISTED = 1_000


def grid_level(grid: str) -> str:
    """``national``, ``regional`` (a regional grid such as North China) or ``provincial``."""
    if grid.startswith("national"):
        return "national"
    if grid.startswith("north-china"):
        return "regional"
    return "provincial"


def allocated_h2(acc: Accounting) -> tuple[np.ndarray, np.ndarray]:
    """kg H2 of each factor allocated to each shipment (ns × nf) and in total (nf)."""
    led = acc.ledger
    nf, nt, ns = len(acc.factors), len(acc.tocs), len(acc.shipments)
    h2_tf = np.bincount(
        acc.row_toc * nf + acc.row_factor, weights=led.h2_kg, minlength=nt * nf
    ).reshape(nt, nf)
    toc_tkm = acc.tocs["tkm"]
    share = np.zeros(len(led))
    ok = toc_tkm[acc.row_toc] > 0 if len(led) else np.zeros(0, dtype=bool)
    np.divide(acc.tkm, toc_tkm[acc.row_toc], out=share, where=ok)
    is_ship = led.shipment >= 0
    ship = led.shipment[is_ship]
    per_ship = np.zeros((ns, nf))
    for f in range(nf):
        w = share[is_ship] * h2_tf[acc.row_toc[is_ship], f]
        per_ship[:, f] = np.bincount(ship, weights=w, minlength=ns)
    total = h2_tf.sum(axis=0) if nt else np.zeros(nf)
    return per_ship, total


def _rebuild(f: HydrogenWtt, config: WttConfig, grid: str | None = None) -> HydrogenWtt:
    if f.pathway == "user":
        return f
    name = f"{f.pathway}@{grid}" if grid is not None else f.name
    return hydrogen_wtt(name, config)


def _scenario(
    acc: Accounting,
    factors: list[HydrogenWtt],
    per_ship: np.ndarray,
    h2_total: np.ndarray,
    limit: int,
) -> dict[str, Any]:
    delta = np.array([g.total - f.total for f, g in zip(acc.factors, factors, strict=True)])
    ship = acc.shipments["wtw_kg"] + per_ship @ delta
    tot = acc.totals()
    wtw = float(tot["wtw_kg"] + h2_total @ delta)
    tkm = float(tot["tkm"])
    loaded = acc.shipments["loaded_legs"] > 0
    carried = ship[loaded]
    out: dict[str, Any] = {
        "wtt_kg_per_kg": factors[0].total,
        "wtw_kg": wtw,
        "intensity_g_per_tkm": wtw / tkm * 1000.0 if tkm > 0 else None,
        "shipment_wtw_mean_kg": float(carried.mean()) if carried.size else None,
        "shipment_wtw_min_kg": float(carried.min()) if carried.size else None,
        "shipment_wtw_max_kg": float(carried.max()) if carried.size else None,
        "shipment_wtw_kg": (
            dict(zip(acc.shipments.names, ship.tolist(), strict=True))
            if len(ship) <= limit
            else None
        ),
    }
    return out


def allocation_vectors(acc: Accounting) -> dict[str, np.ndarray]:
    """Each shipment's WTW (kg) under each allocation method, in shipment order."""
    per_ship, _ = allocated_h2(acc)
    out = {}
    for method in ALLOCATION_METHODS:
        cfg = replace(acc.config, allocation=method, cog_allocation=None)
        factors = [_rebuild(f, cfg) for f in acc.factors]
        delta = np.array([g.total - f.total for f, g in zip(acc.factors, factors, strict=True)])
        out[method] = acc.shipments["wtw_kg"] + per_ship @ delta
    return out


def _cog_factor(acc: Accounting, factors: list[HydrogenWtt], config: WttConfig) -> HydrogenWtt:
    """The COG factor of a scenario: the ledger's own if it uses one, else cog-psa on its grid."""
    for f in factors:
        if f.pathway == "cog-psa":
            return f
    return hydrogen_wtt("cog-psa", config)


def allocation_sensitivity(
    acc: Accounting, *, shipments_listed: int = SHIPMENTS_LISTED
) -> list[dict[str, Any]]:
    """One row per allocation method (and the full bound): factor, T/CAB class and WTW."""
    per_ship, h2_total = allocated_h2(acc)
    chosen = _chosen_method(acc)
    rows = []
    cases: list[tuple[str, WttConfig]] = [
        (m, replace(acc.config, allocation=m, cog_allocation=None)) for m in ALLOCATION_METHODS
    ]
    cases.append(("full", replace(acc.config, allocation=None, cog_allocation=1.0)))
    if chosen == "share":
        cases.append(("share", acc.config))
    for method, cfg in cases:
        factors = [_rebuild(f, cfg) for f in acc.factors]
        cog = _cog_factor(acc, factors, cfg)
        row: dict[str, Any] = {
            "method": method,
            "label": ALLOCATION_LABELS[method],
            "chosen": method == chosen,
            "default": method == DEFAULT_ALLOCATION,
            "share": cog.allocation_share,
            "production_kg_per_kg": cog.part_value("production"),
            "cradle_to_gate_kg_per_kg": cog.cradle_to_gate,
            "tcab_0078_2020_class": cog.tcab_class,
            "cog_wtt_kg_per_kg": cog.total,
        }
        row.update(_scenario(acc, factors, per_ship, h2_total, shipments_listed))
        rows.append(row)
    return rows


def grid_sensitivity(
    acc: Accounting, *, shipments_listed: int = SHIPMENTS_LISTED
) -> list[dict[str, Any]]:
    """One row per grid factor: grid electrolysis on it, and this ledger's hydrogen on it."""
    per_ship, h2_total = allocated_h2(acc)
    chosen = acc.config.grid or DEFAULT_GRID
    rows = []
    for grid, param in GRID_FACTORS.items():
        cfg = replace(acc.config, grid=grid)
        factors = [_rebuild(f, cfg, grid) for f in acc.factors]
        electro = hydrogen_wtt(f"grid-electrolysis@{grid}", cfg)
        row: dict[str, Any] = {
            "grid": grid,
            "level": grid_level(grid),
            "kg_co2_per_kwh": param.value,
            "data_year": param.year,
            "source": param.source,
            "status": param.status,
            "chosen": grid == chosen,
            "grid_electrolysis_cradle_to_gate_kg_per_kg": electro.cradle_to_gate,
            "grid_electrolysis_tcab_0078_2020_class": electro.tcab_class,
            "grid_electrolysis_wtt_kg_per_kg": electro.total,
        }
        row.update(_scenario(acc, factors, per_ship, h2_total, shipments_listed))
        rows.append(row)
    return rows


def pathway_comparison(acc: Accounting) -> list[dict[str, Any]]:
    """The same transport (every kg of hydrogen) from each pathway, and by diesel trucks."""
    tot = acc.totals()
    h2 = float(tot["h2_kg"])
    tkm = float(tot["tkm"])
    rows = []
    for pathway in ("cog-psa", "grid-electrolysis", "wind-pv-electrolysis"):
        f = hydrogen_wtt(pathway, acc.config)
        wtw = h2 * f.total
        rows.append(
            {
                "case": f.name,
                "pathway": pathway,
                "wtt_kg_per_kg": f.total,
                "cradle_to_gate_kg_per_kg": f.cradle_to_gate,
                "tcab_0078_2020_class": f.tcab_class,
                "wtw_kg": wtw,
                "intensity_g_per_tkm": wtw / tkm * 1000.0 if tkm > 0 else None,
            }
        )
    diesel = float(tot["diesel_baseline_wtw_kg"])
    rows.append(
        {
            "case": "diesel baseline",
            "pathway": "diesel",
            "wtt_kg_per_kg": None,
            "cradle_to_gate_kg_per_kg": None,
            "tcab_0078_2020_class": None,
            "wtw_kg": diesel,
            "intensity_g_per_tkm": diesel / tkm * 1000.0 if tkm > 0 else None,
        }
    )
    return rows


def _chosen_method(acc: Accounting) -> str:
    if acc.config.cog_allocation is not None:
        return "share"
    return acc.config.allocation or DEFAULT_ALLOCATION
