"""Data quality (GLEC / ISO 14083 style) and provenance of an accounting.

**Activity data** — where the fuel figures come from, as shares of WTW emissions:
``primary`` (a ledger of what the trucks actually refuelled and drove), ``modelled`` (a
plan: hydrogen computed from the truck type's consumption) or ``default`` (a default
intensity; h2lane never uses one, so 0 unless a future input type does).

**Emission factors** — each part of each hydrogen factor takes the weakest status of the
inputs it is computed from (``K`` background knowledge to verify < ``user`` given on the
command line < ``D`` derived by h2lane < ``V`` read in the cited source); the statement
gives the share of WTT emissions by that status.

**glecDataQualityIndex** — iLEAP defines the field as 0–4 "as defined in the GLEC
Framework" and notes that the exact calculation rules are still to be defined; the GLEC v3
rules were not retrievable. h2lane therefore fills it with its own, stated rule: one point
for each criterion a TOC meets (0 = none, 4 = all):

1. ≥ 95 % of the TOC's WTW from primary activity data (measured fuel);
2. ≥ 95 % of its t·km on a shortest feasible distance (``sfd_km`` or the road network), not
   the distance driven;
3. ≥ 95 % of its WTT from factor parts whose inputs were all read in the cited source (V);
4. ≥ 95 % of its WTT from supply-specific factor data (a user-given factor or burden: the
   plant's certificate or LCA) rather than literature defaults.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from h2lane import __version__
from h2lane.emissions.accounting import ALL_PARTS, Accounting
from h2lane.emissions.factors import factor_table
from h2lane.timeutil import CHINA, iso

STATUS_ORDER = ("K", "user", "D", "V")  # weakest first
THRESHOLD = 0.95
INDEX_RULE = (
    "h2lane rule v1 (iLEAP leaves the rules to be defined): one point each, 0–4, for ≥95 % of "
    "the TOC's WTW from primary fuel data, ≥95 % of its t·km on a shortest feasible distance, "
    "≥95 % of its WTT from factor parts whose inputs are all V (read in the source), ≥95 % of "
    "its WTT from supply-specific (user-given) factor data"
)


def part_status(inputs: Sequence[Any]) -> str:
    """The weakest status among a part's inputs (``V`` if it has none)."""
    statuses = {i.status for i in inputs}
    for s in STATUS_ORDER:
        if s in statuses:
            return s
    return "V"


def _status_matrix(acc: Accounting) -> tuple[np.ndarray, list[str]]:
    """For each factor (row) and part (column) the index of its status in STATUS_ORDER."""
    out = np.full((len(acc.factors), len(ALL_PARTS)), STATUS_ORDER.index("V"), dtype=np.int64)
    for i, f in enumerate(acc.factors):
        for p in f.parts:
            out[i, ALL_PARTS.index(p.part)] = STATUS_ORDER.index(part_status(p.inputs))
    return out, list(STATUS_ORDER)


def data_quality(acc: Accounting) -> dict[str, Any]:
    """The data-quality statement (shares of emissions) and each TOC's index."""
    led = acc.ledger
    nt, nf = len(acc.tocs), len(acc.factors)
    wtw_total = float(acc.tocs["wtw_kg"].sum())
    activity = "primary" if led.kind == "ledger" else "modelled"
    # WTT by (TOC, factor, part) → by status
    h2_tf = np.bincount(
        acc.row_toc * nf + acc.row_factor, weights=led.h2_kg, minlength=nt * nf
    ).reshape(nt, nf)
    status, names = _status_matrix(acc)
    wtt_tfp = h2_tf[:, :, None] * acc.part_matrix[None, :, :]  # nt × nf × parts
    by_status = np.zeros((nt, len(names)))
    for k in range(len(names)):
        by_status[:, k] = (wtt_tfp * (status == k)[None, :, :]).sum(axis=(1, 2))
    wtt_toc = by_status.sum(axis=1)
    total_wtt = float(wtt_toc.sum())
    user = np.zeros(nt)
    for i, f in enumerate(acc.factors):
        for p in f.parts:
            if any(inp.status == "user" for inp in p.inputs):
                user += h2_tf[:, i] * p.value
    sfd_ok = np.bincount(
        acc.row_toc, weights=np.where(acc.sfd_source < 2, acc.tkm, 0.0), minlength=nt
    )
    toc_tkm = acc.tocs["tkm"]
    indices = []
    for k, toc_id in enumerate(acc.tocs.names):
        w = wtt_toc[k]
        crit = {
            "primary_fuel_data": activity == "primary",
            "shortest_feasible_distance": bool(
                toc_tkm[k] > 0 and sfd_ok[k] >= THRESHOLD * toc_tkm[k]
            ),
            "verified_factor_inputs": bool(
                w > 0 and by_status[k, names.index("V")] >= THRESHOLD * w
            ),
            "supply_specific_factors": bool(w > 0 and user[k] >= THRESHOLD * w),
        }
        indices.append({"toc_id": toc_id, "index": int(sum(crit.values())), "criteria": crit})

    def share(x: float, of: float) -> float | None:
        return x / of if of > 0 else None

    return {
        "activity_data": {
            "basis": (
                "actuals ledger: hydrogen refuelled and distance driven as recorded"
                if activity == "primary"
                else f"{led.kind} plan: hydrogen modelled from the truck types' consumption"
            ),
            "primary_share": 1.0 if activity == "primary" and wtw_total > 0 else 0.0,
            "modelled_share": 1.0 if activity == "modelled" and wtw_total > 0 else 0.0,
            "default_share": 0.0,
        },
        "emission_factors": {
            "rule": "each part takes the weakest status of its inputs (K < user < D < V)",
            "wtt_share_by_status": {
                s: share(float(by_status[:, k].sum()), total_wtt) for k, s in enumerate(names)
            },
            "parts": [
                {
                    "factor": f.name,
                    "part": p.part,
                    "status": part_status(p.inputs),
                    "inputs": {i.name: i.status for i in p.inputs},
                }
                for f in acc.factors
                for p in f.parts
            ],
        },
        "glec_data_quality_index": {"rule": INDEX_RULE, "tocs": indices},
    }


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_record(option: str, path: str | Path) -> dict[str, Any]:
    """Name (never the directory), size and SHA-256 of an input file."""
    p = Path(path)
    return {
        "option": option,
        "name": p.name,
        "bytes": os.path.getsize(p),
        "sha256": sha256_of(p),
    }


def provenance(
    acc: Accounting,
    inputs: Sequence[dict[str, Any]] = (),
    *,
    options: dict[str, Any] | None = None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """What produced the numbers: tool version, factor table, input files, options, time."""
    table = factor_table()
    when = generated_at or datetime.now(CHINA)
    return {
        "tool": "h2lane",
        "version": __version__,
        "factor_table": {"version": table["version"], "sha256": table["sha256"]},
        "inputs": list(inputs) or [{"option": "input", "name": Path(acc.ledger.source).name}],
        "options": dict(options or {}),
        "generated_at": iso(when),
    }
