"""iLEAP-style exports: TOC and ShipmentFootprint JSON, validated against the iLEAP schemas.

Files written to the ``--ileap`` directory:

* ``tocs.json`` — array of iLEAP ``TOC`` objects (kg CO2e per t·km, hydrogen carrier with
  its WTT factor and feedstock). A TOC without tonne-km has no intensity and is not
  exported; ``manifest.json`` lists it.
* ``shipment-footprints.json`` — array of ``ShipmentFootprint`` objects, one per shipment
  with freight; one TCE per loaded leg (mass in kg, transport activity in t·km,
  emissions in kg CO2e) plus one TCE per hub operation.
* ``manifest.json`` — schema provenance, counts, what was validated and what was left out.

Numbers are decimal strings (no exponent), as the schemas require.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from jsonschema import Draft7Validator

from h2lane.emissions.accounting import Accounting
from h2lane.emissions.errors import ExportError, ExportSchemaError
from h2lane.emissions.fastfmt import Num, Piece, render, text_column
from h2lane.emissions.quality import INDEX_RULE

SCHEMA_DIR = Path(__file__).with_name("schemas")
SCHEMAS = {"toc": "toc.json", "shipment-footprint": "shipment-footprint.json", "hoc": "hoc.json"}
VALIDATE_ALL_UP_TO = 2_000
SAMPLE = 1_000


@cache
def validator(name: str) -> Draft7Validator:
    """A Draft-7 validator for the bundled iLEAP schema ``name`` (toc, shipment-footprint, hoc)."""
    path = SCHEMA_DIR / SCHEMAS[name]
    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft7Validator(schema)


def validate(name: str, doc: Any) -> None:
    """Raise :class:`ExportSchemaError` with the first schema violation of ``doc``."""
    err = next(iter(validator(name).iter_errors(doc)), None)
    if err is not None:
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        raise ExportSchemaError(f"iLEAP {name} fails its schema at {where}: {err.message}.")


def dec(x: float, places: int = 6) -> str:
    """A decimal string without exponent, e.g. ``dec(1e-7) == '0.000000'``."""
    if not math.isfinite(x):
        raise ExportSchemaError(f"cannot export a non-finite number ({x!r}) to iLEAP.")
    s = f"{x:.{places}f}"
    return "0" + s[2:] if s.startswith("-0") and float(s) == 0 else s


def _esc(names: list[str]) -> list[str]:
    """JSON-escape strings (without the surrounding quotes), fast when nothing needs it."""
    joined = "".join(names)
    if joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined:
        return names
    return [json.dumps(n, ensure_ascii=False)[1:-1] for n in names]


def toc_documents(acc: Accounting) -> tuple[list[dict[str, Any]], list[str]]:
    """iLEAP TOC objects and the ids of TOCs left out (no tonne-km)."""
    led = acc.ledger
    t = acc.tocs
    nf = len(acc.factors)
    nt = len(t)
    h2 = np.bincount(acc.row_toc * nf + acc.row_factor, weights=led.h2_kg, minlength=nt * nf)
    h2 = h2.reshape(nt, nf)
    from h2lane.emissions.quality import data_quality

    index = {r["toc_id"]: r["index"] for r in data_quality(acc)["glec_data_quality_index"]["tocs"]}
    docs, skipped = [], []
    for k, toc_id in enumerate(t.names):
        tkm = float(t["tkm"][k])
        if not tkm > 0:
            skipped.append(toc_id)
            continue
        dist = float(t["distance_km"][k])
        carriers = []
        for f_idx in np.flatnonzero(h2[k] > 0).tolist() or [0]:
            f = acc.factors[f_idx]
            carrier: dict[str, Any] = {
                "energyCarrier": "Hydrogen",
                "emissionFactorWTW": dec(f.total),
                "emissionFactorTTW": dec(0.0),
                "energyConsumption": dec(h2[k, f_idx] / dist if dist > 0 else 0.0),
                "energyConsumptionUnit": "kg",
            }
            if f.feedstock:
                carrier["feedstocks"] = [{"feedstock": f.feedstock}]
            carriers.append(carrier)
        doc = {
            "tocId": toc_id,
            "isVerified": False,
            "isAccredited": False,
            "description": (
                f"fuel-cell heavy trucks, {toc_id}; ISO 14083 TOC incl. empty running; "
                f"hydrogen {', '.join(acc.factors[i].name for i in np.flatnonzero(h2[k] > 0))}"
            ),
            "mode": "Road",
            "emptyDistanceFactor": dec(float(t["empty_km"][k]) / dist if dist > 0 else 0.0),
            "energyCarriers": carriers,
            "co2eIntensityWTW": dec(float(t["wtw_kg"][k]) / tkm, 9),
            "co2eIntensityTTW": dec(float(t["ttw_kg"][k]) / tkm, 9),
            "co2eIntensityThroughput": "tkm",
            "glecDataQualityIndex": index[toc_id],
        }
        docs.append(doc)
    return docs, skipped


CHUNK = 100_000


@dataclass
class Footprints:
    """ShipmentFootprint documents in ledger order, one per shipment with freight.

    One-leg shipments are rendered vectorised into ``simple_buf`` (each followed by
    ``,\\n``); the others (several legs, hubs) are Python strings in ``complex_docs``.
    """

    count: int
    simple_groups: np.ndarray
    simple_buf: bytes
    simple_off: np.ndarray
    complex_groups: np.ndarray
    complex_docs: list[str]

    def doc(self, i: int) -> str:
        """Document ``i`` (0-based, ledger order) as text."""
        k = int(np.searchsorted(self.complex_groups, i))
        if k < len(self.complex_groups) and self.complex_groups[k] == i:
            return self.complex_docs[k]
        j = i - k  # simple documents before i
        return self.simple_buf[self.simple_off[j] : self.simple_off[j + 1] - 2].decode("utf-8")

    def write(self, fh: Any) -> None:
        """Write the documents as a JSON array to a binary file."""
        fh.write(b"[\n")
        prev = 0
        buf = memoryview(self.simple_buf)
        off = self.simple_off.tolist()
        pieces: list[Any] = []
        for k, g in enumerate(self.complex_groups.tolist()):
            upto = g - k
            pieces.append(buf[off[prev] : off[upto]])
            pieces.append(self.complex_docs[k].encode("utf-8") + b",\n")
            prev = upto
        pieces.append(buf[off[prev] :])
        fh.writelines(pieces)
        if self.count:
            fh.seek(fh.tell() - 2)
            fh.truncate()
        fh.write(b"\n]\n")


def footprints(acc: Accounting) -> Footprints:
    """Build the ShipmentFootprint documents of every shipment with freight."""
    led = acc.ledger
    idx = np.flatnonzero(led.tonnes > 0)
    ship = led.shipment[idx]
    order = np.argsort(ship, kind="stable")
    idx = idx[order]
    ship = ship[order]
    n = len(idx)
    empty = np.zeros(0, dtype=np.int64)
    if not n:
        return Footprints(0, empty, b"", np.zeros(1, dtype=np.int64), empty, [])
    wtw_arr = (acc.alloc_wtt + acc.alloc_ttw)[idx]
    ttw_arr = acc.alloc_ttw[idx]
    for arr in (wtw_arr, ttw_arr, acc.hub_wtw[idx], acc.tkm[idx], acc.sfd[idx]):
        if not np.isfinite(arr).all():
            raise ExportSchemaError("cannot export non-finite numbers to iLEAP.")
    names = _esc(led.shipment_names)
    toc_names = _esc(acc.tocs.names)
    hub_names = _esc(led.hub_names)
    mass_arr = led.tonnes[idx] * 1000.0
    # groups of rows per shipment (codes follow first appearance, so this is ledger order)
    bounds = np.flatnonzero(np.diff(ship)) + 1
    starts = np.concatenate([[0], bounds]).astype(np.int64)
    ends = np.concatenate([bounds, [n]]).astype(np.int64)
    s_mass = acc.shipments["tonnes"][ship[starts]] * 1000.0
    hubs = led.hub[idx]
    hub_group = np.add.reduceat((hubs >= 0).astype(np.int64), starts) > 0
    simple = ((ends - starts) == 1) & (s_mass == mass_arr[starts]) & ~hub_group

    # one-leg shipments: vectorised rendering, in chunks
    one = starts[simple]
    name_b = text_column(names)
    toc_b = text_column(toc_names)
    key_b = np.array([b"sfd", b"sfd", b"actual"])
    tce_label = f"-{led.tce_label}".encode()
    parts: list[bytes] = []
    lengths: list[np.ndarray] = []
    for a in range(0, len(one), CHUNK):
        sel = one[a : a + CHUNK]
        r = idx[sel]
        nm = name_b[ship[sel]]
        mass = Num(mass_arr[sel], 3)
        ttw = acc.alloc_ttw[r]
        pieces: list[Piece] = [
            b'{"shipmentId":"', nm, b'","mass":"', mass, b'","tces":[{"tceId":"', nm,
            tce_label, Num(led.row_numbers[r].astype(np.float64), 0), b'","tocId":"',
            toc_b[acc.row_toc[r]], b'","shipmentId":"', nm, b'","mass":"', mass,
            b'","distance":{"', key_b[acc.sfd_source[r]], b'":"', Num(acc.sfd[r], 3),
            b'"},"transportActivity":"', Num(acc.tkm[r], 6), b'","co2eWTW":"',
            Num(wtw_arr[sel], 6), b'","co2eTTW":"',
            Num(ttw, 6) if ttw.any() else b"0.000000", b'"}]},\n',
        ]  # fmt: skip
        text, lens = render(pieces, len(sel))
        parts.append(text)
        lengths.append(lens)
    simple_off = np.concatenate([[0], np.cumsum(np.concatenate(lengths or [empty]))])

    # several legs, a hub, or a leg lighter than the shipment: TCE strings per row, then join
    rest = np.flatnonzero(~simple)
    docs: list[str] = []
    if rest.size:
        rows_in = np.concatenate([np.arange(starts[g], ends[g]) for g in rest.tolist()])
        r_idx = idx[rows_in]
        keys = np.where(acc.sfd_source[r_idx] == 2, "actual", "sfd").tolist()
        tce = [
            f'{{"tceId":"{names[s]}-{led.tce_label}{rn}","tocId":"{toc_names[t]}","shipmentId":"{names[s]}",'
            f'"mass":"{m:.3f}","distance":{{"{k}":"{d:.3f}"}},"transportActivity":"{tk:.6f}",'
            f'"co2eWTW":"{w:.6f}","co2eTTW":"{tt:.6f}"}}'
            for s, rn, t, m, k, d, tk, w, tt in zip(
                ship[rows_in].tolist(),
                led.row_numbers[r_idx].tolist(),
                acc.row_toc[r_idx].tolist(),
                mass_arr[rows_in].tolist(),
                keys,
                acc.sfd[r_idx].tolist(),
                acc.tkm[r_idx].tolist(),
                wtw_arr[rows_in].tolist(),
                ttw_arr[rows_in].tolist(),
                strict=True,
            )
        ]
        for pos in np.flatnonzero(hubs[rows_in] >= 0).tolist():
            j = int(rows_in[pos])
            nm, rn = names[int(ship[j])], int(led.row_numbers[idx[j]])
            tce[pos] += (
                f',{{"tceId":"{nm}-{led.tce_label}{rn}-hub","hocId":"{hub_names[hubs[j]]}",'
                f'"shipmentId":"{nm}","mass":"{mass_arr[j]:.3f}","distance":{{"actual":"0"}},'
                f'"transportActivity":"0","co2eWTW":"{acc.hub_wtw[idx[j]]:.6f}",'
                f'"co2eTTW":"{acc.hub_ttw[idx[j]]:.6f}"}}'
            )
        pos = 0
        for g, size in zip(rest.tolist(), (ends - starts)[rest].tolist(), strict=True):
            name = names[int(ship[starts[g]])]
            body = ",".join(tce[pos : pos + size])
            pos += size
            docs.append(f'{{"shipmentId":"{name}","mass":"{s_mass[g]:.3f}","tces":[{body}]}}')
    return Footprints(
        count=len(starts),
        simple_groups=np.flatnonzero(simple),
        simple_buf=b"".join(parts),
        simple_off=simple_off.astype(np.int64),
        complex_groups=rest.astype(np.int64),
        complex_docs=docs,
    )


def footprint_strings(acc: Accounting) -> list[str]:
    """Every ShipmentFootprint as compact JSON text, in ledger order."""
    fp = footprints(acc)
    return [fp.doc(i) for i in range(fp.count)]


def write_ileap(
    acc: Accounting, directory: str | Path, *, validate_all_up_to: int = VALIDATE_ALL_UP_TO
) -> dict[str, Any]:
    """Write ``tocs.json``, ``shipment-footprints.json`` and ``manifest.json``.

    Every TOC is validated against the iLEAP schema; footprints are all validated up to
    ``validate_all_up_to`` shipments (jsonschema takes ≈0.2 ms per document), above that a
    deterministic sample of about 1,250 is (the first, an evenly spaced set and multi-leg/hub
    ones), since every footprint comes from one of two templates and all numbers are checked
    finite. Returns the manifest.
    """
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"cannot create the iLEAP directory {out}: {exc.strerror or exc}."
        ) from None
    tocs, skipped = toc_documents(acc)
    for doc in tocs:
        validate("toc", doc)
    fp = footprints(acc)
    n_ship = fp.count
    if n_ship <= validate_all_up_to:
        check = None
    else:
        # the first documents, an evenly spaced set, and documents of the multi-leg/hub
        # template (built by different code from the one-leg template)
        half = min(SAMPLE // 2, n_ship)
        spread = np.linspace(0, n_ship - 1, half).astype(int).tolist()
        n_multi = len(fp.complex_groups)
        pick = np.linspace(0, n_multi - 1, min(250, n_multi)).astype(int)
        check = set(range(half)) | set(spread) | set(fp.complex_groups[pick].tolist())
    validated = 0
    try:
        (out / "tocs.json").write_text(
            json.dumps(tocs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        for i in range(fp.count) if check is None else sorted(check):
            validate("shipment-footprint", json.loads(fp.doc(i)))
            validated += 1
        with open(out / "shipment-footprints.json", "wb") as fh:
            fp.write(fh)
    except OSError as exc:
        raise ExportError(
            f"cannot write the iLEAP files in {out}: {exc.strerror or exc}."
        ) from None
    except UnicodeEncodeError:
        raise ExportError(
            f"cannot write the iLEAP files in {out}: a name is not valid Unicode text."
        ) from None
    empty_only = len(acc.shipments) - n_ship
    manifest = {
        "kind": "h2lane.ileap-export",
        "schemas": {
            "toc": "iLEAP gen/schemas/toc.json @ sine-fdn/ileap-extension 8bb6878f",
            "shipment-footprint": (
                "iLEAP gen/schemas/shipment-footprint.json @ sine-fdn/ileap-extension 8bb6878f"
            ),
        },
        "units": {
            "mass": "kg",
            "transportActivity": "t·km",
            "co2eWTW/co2eTTW": "kg CO2e",
            "co2eIntensityWTW/TTW": "kg CO2e per t·km",
        },
        "files": {"tocs": "tocs.json", "shipment_footprints": "shipment-footprints.json"},
        "counts": {"tocs": len(tocs), "shipment_footprints": n_ship},
        "validation": {
            "tocs": f"all {len(tocs)} validated",
            "shipment_footprints": (
                f"all {validated} validated"
                if check is None
                else f"{validated} of {n_ship} validated (the first {SAMPLE // 2}, an evenly "
                "spaced sample and a sample of multi-leg/hub shipments); all are built from "
                "the same two templates and every number was checked finite"
            ),
        },
        "glecDataQualityIndex": INDEX_RULE,
        "left_out": {
            "tocs_without_tonne_km": skipped,
            "empty_running_only_shipments": empty_only,
            "note": (
                "empty running carries no freight: its emissions are inside its TOC's intensity "
                "and so inside the loaded shipments' footprints (unless the TOC has no "
                "tonne-km, see tocs_without_tonne_km)"
            ),
            "hocs": (
                "HOC objects are not exported: the hubs CSV gives kg CO2e per tonne but not the "
                "energy carriers the iLEAP HOC requires; hub TCEs carry their hocId"
                if len(acc.hocs)
                else None
            ),
        },
    }
    try:
        (out / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    except OSError as exc:
        raise ExportError(f"cannot write {out / 'manifest.json'}: {exc.strerror or exc}.") from None
    return manifest
