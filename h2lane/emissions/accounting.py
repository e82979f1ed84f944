"""ISO 14083 / GLEC v3 accounting of hydrogen-truck transport legs.

Method (ISO 14083:2023 §§ on TOCs; GLEC Framework v3):

1. Legs are grouped into transport operation categories (TOCs): one for everything, one per
   truck, or one per month. Empty running (``tonnes = 0``) stays in its TOC: its hydrogen
   adds emissions, its tonne-km are zero.
2. TOC emissions: well-to-tank = Σ h2_kg × WTT factor of the leg's hydrogen; tank-to-wheel
   of a fuel-cell truck = 0; well-to-wheel = WTT + TTW (always reported separately).
3. Transport activity: Σ tonnes × shortest feasible distance (SFD). SFD comes from the
   ledger's ``sfd_km``, else from the road network (a :class:`DistanceOracle`) when origin
   and destination are known, else the leg's ``distance_km``.
4. TOC intensity = TOC emissions ÷ TOC tonne-km; a leg's emissions = intensity × tonnes ×
   SFD, so a TOC's shipments add up to the TOC total. A TOC with no tonne-km (only empty
   running) has no intensity; its emissions are reported as unallocated, never divided by 0.
5. Hub operations (optional): tonnes × the hub's kg CO2e per tonne, added to the shipment.
6. Diesel baseline: the same legs by diesel truck (L/100 km loaded or empty × kg CO2e/L),
   allocated to shipments by tonne-km like the actual emissions; avoided = baseline − actual.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from h2lane.emissions.errors import EmissionsConfigError, LedgerError
from h2lane.emissions.factors import (
    PART_LABELS,
    PARTS,
    DieselFactors,
    HydrogenWtt,
    WttConfig,
    hydrogen_wtt,
)
from h2lane.emissions.ledger import Ledger
from h2lane.emissions.plausibility import PlausibilityLimits, check_finite, plausibility_warnings

TocBy = Literal["all", "truck", "month"]
TOC_BY: tuple[str, ...] = ("all", "truck", "month")
SFD_SOURCES = ("sfd_km", "road_network", "distance_km")
ALL_PARTS = (*PARTS, "user")
NO_CUSTOMER = "(no destination given)"
#: Largest plausible hub emission factor, kg CO2e per tonne handled.
HUB_LIMIT_KG_PER_T = 1_000.0
HUB_TYPES = (
    "transshipment",
    "storageAndTransshipment",
    "warehouse",
    "liquidBulkTerminal",
    "maritimeContainerterminal",
)


class DistanceOracle(Protocol):
    """Shortest feasible road distance in km between two named places, or None if unknown.

    The CLI fills this in with the road network; tests pass a dict lookup.
    """

    def __call__(self, origin: str, destination: str) -> float | None: ...


@dataclass(frozen=True, slots=True)
class HubOperation:
    """A hub operation category (HOC): emissions per tonne handled."""

    hoc_id: str
    wtw_kg_per_t: float
    ttw_kg_per_t: float
    hub_type: str = "transshipment"
    description: str = ""
    source: str = ""


def read_hubs(path: str | Path) -> dict[str, HubOperation]:
    """Read a hubs CSV: ``hoc_id,wtw_kg_per_t,ttw_kg_per_t[,hub_type,description,source]``."""
    display = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LedgerError(display, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(display, f"cannot be read ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    fields = [f.strip() for f in (reader.fieldnames or [])]
    for col in ("hoc_id", "wtw_kg_per_t", "ttw_kg_per_t"):
        if col not in fields:
            raise LedgerError(display, f"missing required column '{col}'")
    hubs: dict[str, HubOperation] = {}
    try:
        records = list(reader)
    except csv.Error as exc:
        raise LedgerError(display, f"is not a readable CSV ({exc})") from None
    for row_no, raw in enumerate(records, start=1):
        if None in raw:
            n_fields = len(fields) + len(raw[None])
            raise LedgerError(
                display, f"has {n_fields} fields but the header has {len(fields)}", row=row_no
            )
        rec = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        hoc_id = rec["hoc_id"]
        if not hoc_id:
            raise LedgerError(display, "must not be empty", row=row_no, field="hoc_id")
        if hoc_id in hubs:
            raise LedgerError(display, f"duplicate hub '{hoc_id}'", row=row_no, field="hoc_id")
        values = {}
        for col in ("wtw_kg_per_t", "ttw_kg_per_t"):
            try:
                values[col] = float(rec[col])
            except ValueError:
                raise LedgerError(
                    display, f"must be a number (got '{rec[col]}')", row=row_no, field=col
                ) from None
            if not (0.0 <= values[col] < math.inf):
                raise LedgerError(
                    display,
                    f"must be a finite number ≥ 0 (got '{rec[col]}')",
                    row=row_no,
                    field=col,
                )
            if values[col] > HUB_LIMIT_KG_PER_T:
                raise LedgerError(
                    display,
                    f"must be at most {HUB_LIMIT_KG_PER_T:,.0f} kg CO2e per tonne handled "
                    f"(got '{rec[col]}')",
                    row=row_no,
                    field=col,
                )
        if values["ttw_kg_per_t"] > values["wtw_kg_per_t"]:
            raise LedgerError(
                display, "must not exceed wtw_kg_per_t", row=row_no, field="ttw_kg_per_t"
            )
        hub_type = rec.get("hub_type") or "transshipment"
        if hub_type not in HUB_TYPES:
            raise LedgerError(
                display,
                f"must be one of {', '.join(HUB_TYPES)} (got '{hub_type}')",
                row=row_no,
                field="hub_type",
            )
        hubs[hoc_id] = HubOperation(
            hoc_id,
            values["wtw_kg_per_t"],
            values["ttw_kg_per_t"],
            hub_type,
            rec.get("description", ""),
            rec.get("source", ""),
        )
    return hubs


@dataclass
class GroupTable:
    """Aggregates per group (TOC, truck, month, shipment or hub) as numpy columns."""

    names: list[str]
    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, key: str) -> np.ndarray:
        return self.cols[key]


def _bincount(codes: np.ndarray, weights: np.ndarray | None, n: int) -> np.ndarray:
    if weights is None:
        return np.bincount(codes, minlength=n).astype(np.int64)
    return np.bincount(codes, weights=weights, minlength=n)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    ok = den > 0
    np.divide(num, den, out=out, where=ok)
    return out


@dataclass
class Accounting:
    """Result of :func:`account`: per-row, per-TOC, per-shipment, per-truck, per-month."""

    ledger: Ledger
    toc_by: str
    factors: list[HydrogenWtt]
    diesel: DieselFactors
    row_factor: np.ndarray
    row_toc: np.ndarray
    sfd: np.ndarray
    sfd_source: np.ndarray
    tkm: np.ndarray
    wtt: np.ndarray
    ttw: np.ndarray
    alloc_wtt: np.ndarray
    alloc_ttw: np.ndarray
    diesel_wtw: np.ndarray
    diesel_ttw: np.ndarray
    alloc_diesel_wtw: np.ndarray
    alloc_diesel_ttw: np.ndarray
    hub_wtw: np.ndarray
    hub_ttw: np.ndarray
    part_matrix: np.ndarray
    tocs: GroupTable
    shipments: GroupTable
    trucks: GroupTable
    months: GroupTable
    hocs: GroupTable
    hubs: dict[str, HubOperation]
    shipment_toc: list[str]
    shipment_sfd_source: list[str]
    warnings: list[str] = field(default_factory=list)
    config: WttConfig = field(default_factory=WttConfig)
    customers: GroupTable | None = None
    shipment_customer: list[str] = field(default_factory=list)
    plausibility: list[str] = field(default_factory=list)
    provenance: dict[str, Any] | None = None

    @property
    def wtw(self) -> np.ndarray:
        return self.wtt + self.ttw

    @property
    def alloc_wtw(self) -> np.ndarray:
        return self.alloc_wtt + self.alloc_ttw

    def parts_by(self, codes: np.ndarray, n: int) -> np.ndarray:
        """kg CO2e per part of the hydrogen chain for ``n`` groups (shape n × parts)."""
        nf = len(self.factors)
        h2 = np.bincount(codes * nf + self.row_factor, weights=self.ledger.h2_kg, minlength=n * nf)
        return h2.reshape(n, nf) @ self.part_matrix

    def totals(self) -> dict[str, Any]:
        t = self.tocs
        wtw = float(t["wtw_kg"].sum())
        tkm = float(t["tkm"].sum())
        hub_wtw = float(self.hub_wtw.sum())
        diesel = float(t["diesel_baseline_wtw_kg"].sum())
        unalloc = float(t["unallocated_wtw_kg"].sum())
        return {
            "rows": len(self.ledger),
            "legs": int(t["legs"].sum()),
            "shipments": len(self.shipments),
            "tocs": len(self.tocs),
            "distance_km": float(t["distance_km"].sum()),
            "empty_km": float(t["empty_km"].sum()),
            "h2_kg": float(t["h2_kg"].sum()),
            "tkm": tkm,
            "wtt_kg": float(t["wtt_kg"].sum()),
            "ttw_kg": float(t["ttw_kg"].sum()),
            "wtw_kg": wtw,
            "hub_wtw_kg": hub_wtw,
            "intensity_g_per_tkm": (wtw / tkm * 1000.0) if tkm > 0 else None,
            "diesel_baseline_wtw_kg": diesel,
            "diesel_baseline_ttw_kg": float(t["diesel_baseline_ttw_kg"].sum()),
            "diesel_intensity_g_per_tkm": (diesel / tkm * 1000.0) if tkm > 0 else None,
            "diesel_litres": float(t["diesel_litres"].sum()),
            "avoided_kg": diesel - wtw,
            "avoided_share": ((diesel - wtw) / diesel) if diesel > 0 else None,
            "allocated_wtw_kg": float(self.shipments["transport_wtw_kg"].sum()),
            "unallocated_wtw_kg": unalloc,
            "wtt_parts_kg": dict(
                zip(
                    ALL_PARTS,
                    self.parts_by(np.zeros(len(self.ledger), np.int64), 1)[0].tolist(),
                    strict=True,
                )
            ),
        }


def _resolve_sfd(
    ledger: Ledger, oracle: DistanceOracle | None, warnings: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    sfd = ledger.sfd_km.copy()
    source = np.where(np.isnan(sfd), 2, 0).astype(np.int8)
    need = (
        np.isnan(sfd)
        & (ledger.origin >= 0)
        & (ledger.destination >= 0)
        & (ledger.tonnes > 0)
        & (ledger.shipment >= 0)
    )
    if need.any():
        if oracle is None:
            warnings.append(
                f"{int(need.sum())} shipment row(s) give origin/destination but no sfd_km and "
                "no road network was available: their shortest feasible distance is the "
                "distance driven with the freight on board (sfd_source 'distance_km')"
            )
        else:
            idx = np.flatnonzero(need)
            n_places = max(len(ledger.place_names), 1)
            pair = ledger.origin[idx] * n_places + ledger.destination[idx]
            uniq, inv = np.unique(pair, return_inverse=True)
            km = np.full(uniq.shape, np.nan)
            names = ledger.place_names
            for k, p in enumerate(uniq.tolist()):
                o, d = names[p // n_places], names[p % n_places]
                value = oracle(o, d)
                if value is None:
                    continue
                value = float(value)
                if not (0.0 <= value < math.inf):
                    raise EmissionsConfigError(
                        f"the road network returned {value!r} km from '{o}' to '{d}'."
                    )
                km[k] = value
            got = km[inv]
            ok = ~np.isnan(got)
            sfd[idx[ok]] = got[ok]
            source[idx[ok]] = 1
            missing = int((~ok).sum())
            if missing:
                warnings.append(
                    f"{missing} shipment row(s): the road network found no route between "
                    "origin and destination; their SFD is the distance driven with the freight"
                )
    fallback = np.isnan(sfd)
    carried = ledger.carried
    sfd[fallback] = carried[fallback]
    longer = int(((sfd > carried * 1.0001 + 1e-9) & (ledger.tonnes > 0)).sum())
    if longer:
        warnings.append(
            f"{longer} loaded row(s) have a shortest feasible distance longer than the distance "
            "driven; check sfd_km"
        )
    return sfd, source


def account(
    ledger: Ledger,
    *,
    toc_by: str = "all",
    h2: HydrogenWtt | None = None,
    config: WttConfig | None = None,
    diesel: DieselFactors | None = None,
    oracle: DistanceOracle | None = None,
    hubs: Mapping[str, HubOperation] | None = None,
    checks: PlausibilityLimits | None = None,
) -> Accounting:
    """Account the ledger's legs (see the module docstring for the method).

    Parameters
    ----------
    ledger
        Validated legs.
    toc_by
        ``all`` (one TOC), ``truck`` (one per truck_id) or ``month`` (one per YYYY-MM).
    h2
        Default hydrogen WTT factor (``cog-psa`` on the configured grid if None); rows whose
        ``h2_pathway`` is filled use that pathway instead.
    config
        Grid and pathway options for the factors.
    diesel
        Diesel baseline factors (defaults if None).
    oracle
        Road-network distance for rows with origin/destination and no ``sfd_km``.
    hubs
        Hub operation categories referenced by the ledger's ``hub_id`` column.
    checks
        Plausibility limits (hydrogen per 100 km band, payload); defaults if None. What falls
        outside is listed in ``warnings`` and ``plausibility``; a non-finite result is an error.
    """
    if toc_by not in TOC_BY:
        raise EmissionsConfigError(f"--toc-by must be one of {', '.join(TOC_BY)}, got '{toc_by}'.")
    if toc_by == "month" and "" in ledger.date_names:
        raise EmissionsConfigError(
            f"--toc-by month needs a date on every leg, but {ledger.source} has legs without "
            "a departure time (a VRP benchmark answer has no clock times)."
        )
    config = config or WttConfig()
    diesel = diesel or DieselFactors()
    hubs = dict(hubs or {})
    warnings = list(ledger.warnings)
    n = len(ledger)
    if n == 0:
        warnings.append(f"{ledger.source} has no data rows: every figure is zero")

    # hydrogen factors: index 0 = default, then one per named pathway in the ledger
    default = h2 or hydrogen_wtt("cog-psa", config)
    factors = [default]
    lut = np.zeros(len(ledger.pathway_names) + 1, dtype=np.int64)
    used = np.unique(ledger.pathway[ledger.pathway >= 0]) if n else np.zeros(0, np.int64)
    for code in used.tolist():
        factors.append(hydrogen_wtt(ledger.pathway_names[code], config))
        lut[code] = len(factors) - 1
    row_factor = np.where(ledger.pathway >= 0, lut[np.maximum(ledger.pathway, 0)], 0)
    part_matrix = np.array(
        [[f.part_value(p) for p in ALL_PARTS] for f in factors], dtype=np.float64
    )
    wtt_factor = np.array([f.total for f in factors])
    ttw_factor = np.zeros(len(factors))  # fuel-cell trucks emit no CO2e at the tailpipe

    # TOCs
    if toc_by == "all":
        row_toc = np.zeros(n, dtype=np.int64)
        toc_names = ["all"]
    elif toc_by == "truck":
        row_toc = ledger.truck
        toc_names = [f"truck:{t}" for t in ledger.truck_names]
    else:
        row_toc = ledger.month
        toc_names = [f"month:{m}" for m in ledger.month_names]
    nt = len(toc_names)

    sfd, sfd_source = _resolve_sfd(ledger, oracle, warnings)
    tonnes, dist, h2kg = ledger.tonnes, ledger.distance_km, ledger.h2_kg
    loaded = ledger.loaded_mask
    movement = ledger.movement_mask
    tkm = tonnes * sfd
    with np.errstate(over="ignore", invalid="ignore"):  # overflow: check_finite says so
        wtt = h2kg * wtt_factor[row_factor]
        ttw = h2kg * ttw_factor[row_factor]
    litres = dist / 100.0 * np.where(loaded, diesel.loaded.value, diesel.empty.value)
    diesel_wtw = litres * diesel.wtw.value
    diesel_ttw = litres * diesel.ttw.value

    def agg(codes: np.ndarray, k: int) -> dict[str, np.ndarray]:
        wtt_k = _bincount(codes, wtt, k)
        ttw_k = _bincount(codes, ttw, k)
        tkm_k = _bincount(codes, tkm, k)
        dwtw = _bincount(codes, diesel_wtw, k)
        dist_k = _bincount(codes, dist, k)
        empty_k = _bincount(codes, np.where(loaded, 0.0, dist), k)
        wtw_k = wtt_k + ttw_k
        empty_h2 = _bincount(codes, np.where(loaded, 0.0, h2kg), k)
        empty_wtw = _bincount(codes, np.where(loaded, 0.0, wtt + ttw), k)
        return {
            "rows": _bincount(codes, None, k),
            "legs": _bincount(codes[movement], None, k),
            "empty_rows": _bincount(codes[~loaded & movement], None, k),
            "distance_km": dist_k,
            "empty_km": empty_k,
            "h2_kg": _bincount(codes, h2kg, k),
            "tkm": tkm_k,
            "wtt_kg": wtt_k,
            "ttw_kg": ttw_k,
            "wtw_kg": wtw_k,
            "intensity_g_per_tkm": _safe_div(wtw_k, tkm_k) * 1000.0,
            "diesel_litres": _bincount(codes, litres, k),
            "diesel_baseline_wtw_kg": dwtw,
            "diesel_baseline_ttw_kg": _bincount(codes, diesel_ttw, k),
            "avoided_kg": dwtw - wtw_k,
            "empty_distance_factor": _safe_div(empty_k, dist_k),
            "loaded_km": dist_k - empty_k,
            "loaded_h2_kg": _bincount(codes, h2kg, k) - empty_h2,
            "empty_h2_kg": empty_h2,
            "loaded_wtw_kg": wtw_k - empty_wtw,
            "empty_wtw_kg": empty_wtw,
            "empty_wtw_share": _safe_div(empty_wtw, wtw_k),
        }

    toc_cols = agg(row_toc, nt)
    toc_tkm = toc_cols["tkm"]
    has_tkm = toc_tkm > 0
    toc_cols["unallocated_wtw_kg"] = np.where(has_tkm, 0.0, toc_cols["wtw_kg"])
    toc_cols["intensity_wtt_g_per_tkm"] = _safe_div(toc_cols["wtt_kg"], toc_tkm) * 1000.0
    toc_cols["intensity_ttw_g_per_tkm"] = _safe_div(toc_cols["ttw_kg"], toc_tkm) * 1000.0
    toc_cols["diesel_intensity_g_per_tkm"] = (
        _safe_div(toc_cols["diesel_baseline_wtw_kg"], toc_tkm) * 1000.0
    )
    for k in np.flatnonzero(~has_tkm & (toc_cols["rows"] > 0)).tolist():
        warnings.append(
            f"TOC '{toc_names[k]}' has no tonne-km (only empty running): its intensity is "
            f"undefined and its {toc_cols['wtw_kg'][k]:.3f} kg CO2e WTW stay unallocated"
        )

    # allocation by tonne-km: share of the TOC's tonne-km × TOC total
    share = np.zeros(n)
    np.divide(tkm, toc_tkm[row_toc], out=share, where=has_tkm[row_toc])
    alloc_wtt = share * toc_cols["wtt_kg"][row_toc]
    alloc_ttw = share * toc_cols["ttw_kg"][row_toc]
    alloc_dwtw = share * toc_cols["diesel_baseline_wtw_kg"][row_toc]
    alloc_dttw = share * toc_cols["diesel_baseline_ttw_kg"][row_toc]

    # hubs
    hub_wtw = np.zeros(n)
    hub_ttw = np.zeros(n)
    hub_names = ledger.hub_names
    with_hub = ledger.hub >= 0
    hoc_ids = [h for h in hub_names if h]
    if with_hub.any():
        codes_used = np.unique(ledger.hub[with_hub]).tolist()
        hw = np.zeros(len(hub_names))
        ht = np.zeros(len(hub_names))
        for c in codes_used:
            hop = hubs.get(hub_names[c])
            if hop is None:
                i = int(np.flatnonzero(ledger.hub == c)[0])
                known = ", ".join(hubs) if hubs else "none (give --hubs FILE.csv)"
                raise ledger.row_error(
                    i, "hub_id", f"unknown hub '{hub_names[c]}'; known hubs: {known}"
                )
            hw[c], ht[c] = hop.wtw_kg_per_t, hop.ttw_kg_per_t
        hcode = np.maximum(ledger.hub, 0)
        hub_wtw = np.where(with_hub, tonnes * hw[hcode], 0.0)
        hub_ttw = np.where(with_hub, tonnes * ht[hcode], 0.0)
    hoc_list = [h for h in hoc_ids if h in hubs]
    hoc_pos = {h: i for i, h in enumerate(hoc_list)}
    hoc_lut = np.array([hoc_pos.get(h, -1) for h in hub_names] or [-1], dtype=np.int64)
    row_hoc = np.where(with_hub, hoc_lut[np.maximum(ledger.hub, 0)], -1)
    sel = row_hoc >= 0
    nh = len(hoc_list)
    hocs = GroupTable(
        hoc_list,
        {
            "rows": _bincount(row_hoc[sel], None, nh),
            "tonnes": _bincount(row_hoc[sel], tonnes[sel], nh),
            "wtw_kg": _bincount(row_hoc[sel], hub_wtw[sel], nh),
            "ttw_kg": _bincount(row_hoc[sel], hub_ttw[sel], nh),
        },
    )

    # shipments (rows with shipment code -1 are legs of a plan: movements, not shipments)
    is_ship = ledger.shipment >= 0
    ship = ledger.shipment[is_ship]
    ns = len(ledger.shipment_names)

    def per_ship(values: np.ndarray | None) -> np.ndarray:
        return _bincount(ship, None if values is None else values[is_ship], ns)

    s_tkm = per_ship(tkm)
    s_wtt = per_ship(alloc_wtt)
    s_ttw = per_ship(alloc_ttw)
    s_hub_wtw = per_ship(hub_wtw)
    s_hub_ttw = per_ship(hub_ttw)
    s_dwtw = per_ship(alloc_dwtw)
    s_dttw = per_ship(alloc_dttw)
    s_mass = np.zeros(ns)
    np.maximum.at(s_mass, ship, tonnes[is_ship])
    s_loaded = _bincount(ship[loaded[is_ship]], None, ns)
    s_sfd = per_ship(np.where(loaded, sfd, 0.0))
    s_legs = (
        per_ship(None)
        if ledger.carried_legs is None
        else per_ship(ledger.carried_legs.astype(np.float64)).astype(np.int64)
    )
    transport_wtw = s_wtt + s_ttw
    wtw_total = transport_wtw + s_hub_wtw
    ttw_total = s_ttw + s_hub_ttw
    shipments = GroupTable(
        ledger.shipment_names,
        {
            "legs": s_legs,
            "loaded_legs": s_loaded,
            "tonnes": s_mass,
            "sfd_km": s_sfd,
            "distance_km": per_ship(ledger.carried),
            "tkm": s_tkm,
            "wtt_kg": s_wtt,
            "ttw_kg": ttw_total,
            "wtw_kg": wtw_total,
            "transport_wtw_kg": transport_wtw,
            "hub_wtw_kg": s_hub_wtw,
            "intensity_g_per_tkm": _safe_div(transport_wtw, s_tkm) * 1000.0,
            "diesel_baseline_wtw_kg": s_dwtw + s_hub_wtw,
            "diesel_baseline_ttw_kg": s_dttw + s_hub_ttw,
            "avoided_kg": s_dwtw - transport_wtw,
        },
    )
    # per-shipment TOC and SFD source ("mixed" when its loaded legs differ)
    shipment_toc = _per_shipment_label(ship, row_toc[is_ship], loaded[is_ship], ns, toc_names)
    shipment_sfd = _per_shipment_label(
        ship, sfd_source[is_ship].astype(np.int64), loaded[is_ship], ns, list(SFD_SOURCES)
    )

    truck_cols = agg(ledger.truck, len(ledger.truck_names))
    months = ledger.month
    month_cols = agg(months, len(ledger.month_names))
    for cols in (truck_cols, month_cols):
        cols["unallocated_wtw_kg"] = np.zeros_like(cols["wtw_kg"])

    customers, shipment_customer = _customers(ledger, shipments, loaded, is_ship)
    acc = Accounting(
        ledger=ledger,
        toc_by=toc_by,
        factors=factors,
        diesel=diesel,
        row_factor=row_factor,
        row_toc=row_toc,
        sfd=sfd,
        sfd_source=sfd_source,
        tkm=tkm,
        wtt=wtt,
        ttw=ttw,
        alloc_wtt=alloc_wtt,
        alloc_ttw=alloc_ttw,
        diesel_wtw=diesel_wtw,
        diesel_ttw=diesel_ttw,
        alloc_diesel_wtw=alloc_dwtw,
        alloc_diesel_ttw=alloc_dttw,
        hub_wtw=hub_wtw,
        hub_ttw=hub_ttw,
        part_matrix=part_matrix,
        tocs=GroupTable(toc_names, toc_cols),
        shipments=shipments,
        trucks=GroupTable(list(ledger.truck_names), truck_cols),
        months=GroupTable(list(ledger.month_names), month_cols),
        hocs=hocs,
        hubs={h: hubs[h] for h in hoc_list},
        shipment_toc=shipment_toc,
        shipment_sfd_source=shipment_sfd,
        warnings=warnings,
        config=config,
        customers=customers,
        shipment_customer=shipment_customer,
    )
    with np.errstate(over="ignore", invalid="ignore"):
        acc.plausibility = plausibility_warnings(acc, checks or PlausibilityLimits())
    acc.warnings.extend(acc.plausibility)
    check_finite(acc)
    return acc


def _customers(
    ledger: Ledger, shipments: GroupTable, loaded: np.ndarray, is_ship: np.ndarray
) -> tuple[GroupTable, list[str]]:
    """Shipments grouped by customer (the consignee: the plan's order destination, else the
    ledger's ``destination`` of the shipment's first loaded row)."""
    ns = len(shipments)
    if ledger.consignee_names is not None:
        names = list(ledger.consignee_names)
    else:
        names = [NO_CUSTOMER] * ns
        rows = np.flatnonzero(is_ship & loaded & (ledger.destination >= 0))
        if rows.size and ns:
            ship = ledger.shipment[rows]
            first = np.full(ns, -1, dtype=np.int64)
            # the first loaded row with a destination, in ledger order
            order = np.argsort(ship, kind="stable")
            ship_sorted, rows_sorted = ship[order], rows[order]
            starts = np.flatnonzero(np.r_[True, ship_sorted[1:] != ship_sorted[:-1]])
            first[ship_sorted[starts]] = rows_sorted[starts]
            place = ledger.place_names
            for s_idx in np.flatnonzero(first >= 0).tolist():
                names[s_idx] = place[int(ledger.destination[first[s_idx]])]
    # empty-running-only "shipments" carry no freight and have no customer
    freight = shipments["loaded_legs"] > 0
    names = [n if f else "" for n, f in zip(names, freight.tolist(), strict=True)]
    uniq: dict[str, int] = {}
    codes = np.array([uniq.setdefault(n, len(uniq)) if n else -1 for n in names], dtype=np.int64)
    k = len(uniq)
    sel = codes >= 0
    c = codes[sel]

    def col(key: str) -> np.ndarray:
        return _bincount(c, shipments[key][sel], k)

    cols = {
        "shipments": _bincount(c, None, k),
        "tonnes": col("tonnes"),
        "tkm": col("tkm"),
        "wtt_kg": col("wtt_kg"),
        "ttw_kg": col("ttw_kg"),
        "wtw_kg": col("wtw_kg"),
        "diesel_baseline_wtw_kg": col("diesel_baseline_wtw_kg"),
        "avoided_kg": col("avoided_kg"),
    }
    cols["intensity_g_per_tkm"] = _safe_div(col("transport_wtw_kg"), cols["tkm"]) * 1000.0
    return GroupTable(list(uniq), cols), names


def _per_shipment_label(
    ship: np.ndarray, value: np.ndarray, loaded: np.ndarray, ns: int, names: list[str]
) -> list[str]:
    """Label of each shipment's loaded legs (all legs if none is loaded); 'mixed' if they differ."""
    big = np.iinfo(np.int64).max
    lo = np.full(ns, big, dtype=np.int64)
    hi = np.full(ns, -1, dtype=np.int64)
    np.minimum.at(lo, ship[loaded], value[loaded])
    np.maximum.at(hi, ship[loaded], value[loaded])
    none = hi < 0
    if none.any():
        lo2 = np.full(ns, big, dtype=np.int64)
        hi2 = np.full(ns, -1, dtype=np.int64)
        np.minimum.at(lo2, ship, value)
        np.maximum.at(hi2, ship, value)
        lo = np.where(none, lo2, lo)
        hi = np.where(none, hi2, hi)
    arr = np.array([*names, "mixed"], dtype=object)
    code = np.where(lo == hi, lo, len(names))
    return arr[code].tolist()


def part_labels() -> dict[str, str]:
    """Human labels of the parts of the hydrogen chain."""
    return {p: PART_LABELS[p] for p in ALL_PARTS}
