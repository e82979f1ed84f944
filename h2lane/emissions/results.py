"""The accounting as JSON (the CLI's ``--json``) and as a per-shipment CSV."""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from pathlib import Path
from typing import Any

import numpy as np

from h2lane.emissions.accounting import ALL_PARTS, SFD_SOURCES, Accounting, GroupTable
from h2lane.emissions.errors import ExportError
from h2lane.emissions.fastfmt import Num, Piece, render, text_column

KIND = "h2lane.emissions"
VERSION = 1
METHOD = {
    "standard": "ISO 14083:2023 / GLEC Framework v3",
    "allocation": "tonne-km using the shortest feasible distance (SFD)",
    "hydrogen_ttw": "0 kg CO2e (a fuel-cell truck emits no greenhouse gas at the tailpipe)",
    "wtw": "well-to-wheel = well-to-tank + tank-to-wheel, reported separately",
    "empty_running": "rows with tonnes = 0 add emissions to their TOC and no tonne-km",
    "diesel_baseline": (
        "same legs by diesel truck: distance × L/100 km (loaded or empty) × kg CO2e/L, "
        "allocated to shipments by tonne-km"
    ),
    "truck_and_month_tables": (
        "sum each row's own emissions (fuel-based, empty running included); shipment "
        "figures are the TOC-intensity allocation"
    ),
}

SHIPMENT_COLUMNS = (
    "shipment_id",
    "toc_id",
    "legs",
    "tonnes",
    "sfd_km",
    "sfd_source",
    "tkm",
    "wtt_kg",
    "ttw_kg",
    "wtw_kg",
    "hub_wtw_kg",
    "diesel_baseline_wtw_kg",
    "avoided_kg",
    "empty_running",
)


def _num(x: float) -> float | None:
    return None if (x is None or (isinstance(x, float) and math.isnan(x))) else x


def _group_rows(table: GroupTable, key: str, parts: np.ndarray | None) -> list[dict[str, Any]]:
    cols = {k: v.tolist() for k, v in table.cols.items()}
    out = []
    for i, name in enumerate(table.names):
        rec: dict[str, Any] = {key: name}
        for k, v in cols.items():
            rec[k] = _num(v[i])
        if parts is not None:
            rec["wtt_parts_kg"] = dict(zip(ALL_PARTS, parts[i].tolist(), strict=True))
        out.append(rec)
    return out


def shipment_records(acc: Accounting, limit: int | None = None) -> list[dict[str, Any]]:
    """Per-shipment dicts in ledger order (the first ``limit`` if given)."""
    from h2lane.emissions.sensitivity import allocation_vectors

    s = acc.shipments
    n = len(s) if limit is None else min(limit, len(s))
    cols = {k: v[:n].tolist() for k, v in s.cols.items()}
    by_method = {m: v[:n].tolist() for m, v in allocation_vectors(acc).items()} if n else {}
    customers = acc.shipment_customer or [""] * len(s)
    out = []
    for i in range(n):
        out.append(
            {
                "shipment_id": s.names[i],
                "toc_id": acc.shipment_toc[i],
                "legs": cols["legs"][i],
                "tonnes": cols["tonnes"][i],
                "sfd_km": cols["sfd_km"][i],
                "sfd_source": acc.shipment_sfd_source[i],
                "distance_km": cols["distance_km"][i],
                "tkm": cols["tkm"][i],
                "wtt_kg": cols["wtt_kg"][i],
                "ttw_kg": cols["ttw_kg"][i],
                "wtw_kg": cols["wtw_kg"][i],
                "hub_wtw_kg": cols["hub_wtw_kg"][i],
                "intensity_g_per_tkm": _num(cols["intensity_g_per_tkm"][i]),
                "diesel_baseline_wtw_kg": cols["diesel_baseline_wtw_kg"][i],
                "diesel_baseline_ttw_kg": cols["diesel_baseline_ttw_kg"][i],
                "avoided_kg": cols["avoided_kg"][i],
                "empty_running": cols["loaded_legs"][i] == 0,
                "customer": customers[i],
                "wtw_kg_by_allocation": {m: v[i] for m, v in by_method.items()},
            }
        )
    return out


def to_json(acc: Accounting, *, shipments_limit: int | None = None) -> dict[str, Any]:
    """Everything an auditor needs to re-derive the numbers, as plain JSON types."""
    led = acc.ledger
    n = len(led)
    src_counts = np.bincount(
        acc.sfd_source[acc.ledger.shipment >= 0].astype(np.int64), minlength=3
    ).tolist()
    rows_per_factor = np.bincount(acc.row_factor, minlength=len(acc.factors)).tolist()
    h2_per_factor = np.bincount(
        acc.row_factor, weights=led.h2_kg, minlength=len(acc.factors)
    ).tolist()
    hydrogen = []
    for f, rows, kg in zip(acc.factors, rows_per_factor, h2_per_factor, strict=True):
        d = f.as_dict()
        d["rows"] = rows
        d["h2_kg"] = kg
        d["wtt_kg"] = kg * f.total
        hydrogen.append(d)
    n_ship = len(acc.shipments)
    doc: dict[str, Any] = {
        "kind": KIND,
        "version": VERSION,
        "source": led.source,
        "method": {
            **METHOD,
            "toc_by": acc.toc_by,
            "sfd_sources": dict(zip(SFD_SOURCES, src_counts, strict=True)),
            "default_hydrogen": acc.factors[0].name,
        },
        "factors": {"hydrogen": hydrogen, "diesel": acc.diesel.as_dict()},
        "totals": acc.totals(),
        "tocs": [],
        "hocs": [],
        "trucks": [],
        "months": [],
        "shipments": shipment_records(acc, shipments_limit),
        "shipments_listed": n_ship if shipments_limit is None else min(shipments_limit, n_ship),
        "warnings": list(acc.warnings),
    }
    doc.update(audit_sections(acc))
    toc_parts = acc.parts_by(acc.row_toc, len(acc.tocs)) if n else None
    tocs = _group_rows(acc.tocs, "toc_id", toc_parts)
    for rec in tocs:
        tkm = rec["tkm"]
        rec["warning"] = (
            None
            if tkm and tkm > 0
            else "no tonne-km (only empty running): intensity undefined, emissions unallocated"
        )
    doc["tocs"] = tocs
    for rec in _group_rows(acc.hocs, "hoc_id", None):
        hop = acc.hubs[rec["hoc_id"]]
        rec.update(
            {
                "hub_type": hop.hub_type,
                "wtw_kg_per_t": hop.wtw_kg_per_t,
                "ttw_kg_per_t": hop.ttw_kg_per_t,
                "description": hop.description,
                "source": hop.source,
            }
        )
        doc["hocs"].append(rec)
    if n:
        doc["trucks"] = _group_rows(
            acc.trucks, "truck_id", acc.parts_by(led.truck, len(acc.trucks))
        )
        doc["months"] = _group_rows(acc.months, "month", acc.parts_by(led.month, len(acc.months)))
    return doc


def audit_sections(acc: Accounting) -> dict[str, Any]:
    """Allocation, sensitivity, data quality, provenance, factor table, customers (JSON)."""
    from h2lane.emissions.allocation import (
        ALLOCATION_LABELS,
        DEFAULT_ALLOCATION,
        DEFAULT_JUSTIFICATION,
    )
    from h2lane.emissions.factors import factor_table
    from h2lane.emissions.quality import data_quality, provenance
    from h2lane.emissions.sensitivity import (
        allocation_sensitivity,
        grid_sensitivity,
        pathway_comparison,
    )

    method = "share" if acc.config.cog_allocation is not None else (
        acc.config.allocation or DEFAULT_ALLOCATION
    )
    cog = next((f for f in acc.factors if f.pathway == "cog-psa"), None)
    customers = []
    if acc.customers is not None:
        customers = _group_rows(acc.customers, "customer", None)
    return {
        "allocation": {
            "method": method,
            "label": ALLOCATION_LABELS[method],
            "default": DEFAULT_ALLOCATION,
            "is_default": method == DEFAULT_ALLOCATION,
            "justification_of_default": DEFAULT_JUSTIFICATION,
            "share": None if cog is None else cog.allocation_share,
            "applies_to": [f.name for f in acc.factors if f.pathway == "cog-psa"],
        },
        "sensitivity": {
            "allocation": allocation_sensitivity(acc),
            "grid": grid_sensitivity(acc),
            "pathways": pathway_comparison(acc),
        },
        "data_quality": data_quality(acc),
        "provenance": acc.provenance or provenance(acc),
        "factor_table": factor_table(),
        "customers": customers,
        "plausibility": list(acc.plausibility),
    }


def _csv_text(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _texts(values: list[str]) -> list[str]:
    joined = "".join(values)
    if not any(c in joined for c in ',"\n\r'):
        return values
    return [_csv_text(v) for v in values]


def _piece(values: np.ndarray, decimals: int) -> Piece:
    """A number column, or its text once when every value is the same."""
    if len(values) and (values == values[0]).all():
        return f"{float(values[0]):.{decimals}f}".encode()
    return Num(values, decimals)


def _text_piece(values: list[str]) -> Piece:
    if values and values.count(values[0]) == len(values):
        return values[0].encode("utf-8")
    return text_column(values)


def write_shipments_csv(acc: Accounting, path: str | Path, *, chunk: int = 200_000) -> int:
    """Write one line per shipment (all of them); return the number of shipments."""
    s = acc.shipments
    n = len(s)
    names = _texts(s.names)
    tocs = _texts(acc.shipment_toc)
    try:
        with open(path, "wb") as fh:
            fh.write((",".join(SHIPMENT_COLUMNS) + "\n").encode())
            for a in range(0, n, chunk):
                b = min(n, a + chunk)
                col = {k: v[a:b] for k, v in s.cols.items()}
                pieces: list[Piece] = [
                    _text_piece(names[a:b]), b",",
                    _text_piece(tocs[a:b]), b",",
                    _piece(col["legs"].astype(np.float64), 0), b",",
                    _piece(col["tonnes"], 3), b",",
                    _piece(col["sfd_km"], 3), b",",
                    _text_piece(acc.shipment_sfd_source[a:b]), b",",
                    _piece(col["tkm"], 3), b",",
                    _piece(col["wtt_kg"], 3), b",",
                    _piece(col["ttw_kg"], 3), b",",
                    _piece(col["wtw_kg"], 3), b",",
                    _piece(col["hub_wtw_kg"], 3), b",",
                    _piece(col["diesel_baseline_wtw_kg"], 3), b",",
                    _piece(col["avoided_kg"], 3), b",",
                    np.where(col["loaded_legs"] == 0, b"true", b"false"), b"\n",
                ]  # fmt: skip
                fh.write(render(pieces, b - a)[0])
    except OSError as exc:
        raise ExportError(
            f"cannot write the shipments CSV {path}: {exc.strerror or exc}."
        ) from None
    return n


def _idle_cores() -> float:
    try:
        return (os.cpu_count() or 1) - os.getloadavg()[0]
    except OSError:
        return 0.0


def _csv_child(acc: Accounting, path: str, conn: Any) -> None:
    try:
        conn.send(("ok", write_shipments_csv(acc, path)))
    except ExportError as err:
        conn.send(("error", str(err)))
    except Exception as err:  # report, never a traceback from a child process
        conn.send(("error", f"cannot write the shipments CSV {path}: {err}."))
    finally:
        conn.close()


def write_outputs(
    acc: Accounting,
    *,
    csv: str | Path | None = None,
    ileap: str | Path | None = None,
    report: str | Path | None = None,
    parallel: bool | None = None,
) -> tuple[dict[str, str], dict[str, Any] | None]:
    """Write the requested CSV, iLEAP files and HTML report.

    With both a CSV and iLEAP output the CSV can be written by a forked process while this
    one writes the iLEAP files. ``parallel=None`` does so for ≥ 100,000 shipments when a
    core is idle (CPU count − 1-minute load average ≥ 1); on a busy machine forking only
    adds work. Returns the paths written and the iLEAP manifest.
    """
    from h2lane.emissions.ileap import write_ileap
    from h2lane.emissions.report import write_html

    outputs: dict[str, str] = {}
    manifest = None
    use_fork = (
        csv is not None
        and ileap is not None
        and parallel is not False
        and (parallel or (len(acc.shipments) >= 100_000 and _idle_cores() >= 1.0))
        and "fork" in mp.get_all_start_methods()
    )
    child = receiver = None
    if use_fork:
        ctx = mp.get_context("fork")
        receiver, sender = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_csv_child, args=(acc, str(csv), sender), daemon=True)
        child.start()
        sender.close()
    elif csv is not None:
        write_shipments_csv(acc, csv)
    try:
        if ileap is not None:
            manifest = write_ileap(acc, ileap)
    finally:
        if child is not None and receiver is not None:
            status = receiver.recv() if receiver.poll(None) else ("error", "no answer")
            child.join()
            if status[0] != "ok":
                raise ExportError(str(status[1]))
    if csv is not None:
        outputs["csv"] = str(csv)
    if ileap is not None:
        outputs["ileap"] = str(ileap)
    if report is not None:
        write_html(acc, report, outputs=dict(outputs))
        outputs["report"] = str(report)
    return outputs, manifest
