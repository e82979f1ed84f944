"""Exports: iLEAP JSON against the published schemas, the shipments CSV, the HTML report."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal

import numpy as np
import pytest
from paths import DATA, SHARED

from h2lane.emissions import WttConfig, ledger_from_records, read_hubs, read_ledger
from h2lane.emissions import account as _account
from h2lane.emissions.errors import ExportError
from h2lane.emissions.fastfmt import Num, render, text_column
from h2lane.emissions.ileap import (
    SCHEMA_DIR,
    dec,
    footprint_strings,
    validate,
    validator,
    write_ileap,
)
from h2lane.emissions.report import render_html, write_html
from h2lane.emissions.results import SHIPMENT_COLUMNS, write_outputs, write_shipments_csv

DATA_DIR = DATA / "emissions"
ILEAP = SHARED / "specs" / "ileap"


def account(*args, **kwargs):
    """Hand-computed numbers here use the cut-off factor 4.456094 (see test_factors.py)."""
    kwargs.setdefault("config", WttConfig(allocation="cut-off"))
    return _account(*args, **kwargs)


def test_bundled_schemas_are_the_published_ones():
    for name in ("toc.json", "shipment-footprint.json", "hoc.json"):
        bundled = (SCHEMA_DIR / name).read_bytes()
        if ILEAP.exists():
            assert bundled == (ILEAP / name).read_bytes()
    assert "8bb6878f" in (SCHEMA_DIR / "PROVENANCE.md").read_text(encoding="utf-8")


def test_decimal_strings():
    assert dec(1e-9) == "0.000000"
    assert dec(-1e-9) == "0.000000"
    assert dec(123456789.5, 3) == "123456789.500"
    assert re.fullmatch(r"^-?\d+(\.\d+)?$", dec(-2.5))


@pytest.mark.parametrize("toc_by", ["all", "truck", "month"])
def test_ileap_exports_validate(tmp_path, toc_by):
    acc = account(
        read_ledger(DATA_DIR / "ledger_hubs_pathways.csv"),
        toc_by=toc_by,
        hubs=read_hubs(DATA_DIR / "hubs.csv"),
    )
    manifest = write_ileap(acc, tmp_path / "ileap")
    tocs = json.loads((tmp_path / "ileap" / "tocs.json").read_text(encoding="utf-8"))
    feet = json.loads((tmp_path / "ileap" / "shipment-footprints.json").read_text(encoding="utf-8"))
    for doc in tocs:
        assert not list(validator("toc").iter_errors(doc))
    for doc in feet:
        assert not list(validator("shipment-footprint").iter_errors(doc))
    (s1,) = feet
    assert s1["shipmentId"] == "S1" and s1["mass"] == "30000.000"  # kg
    legs = [t for t in s1["tces"] if t.get("tocId")]
    hubs = [t for t in s1["tces"] if t.get("hocId")]
    assert len(legs) == 2 and len(hubs) == 1
    assert legs[0]["distance"] == {"sfd": "650.000"}
    assert legs[0]["transportActivity"] == "19500.000000"  # 30 t × 650 km
    total = sum(float(t["co2eWTW"]) for t in s1["tces"])
    assert total == pytest.approx(acc.shipments["wtw_kg"][0], abs=1e-5)
    assert manifest["counts"]["shipment_footprints"] == 1
    assert "all 1 validated" in manifest["validation"]["shipment_footprints"]


def test_ileap_toc_intensity_units_and_zero_tkm(tmp_path):
    led = ledger_from_records(
        [
            {
                "shipment_id": "S1",
                "date": "2026-01-01",
                "truck_id": "T1",
                "tonnes": 20,
                "distance_km": 400,
                "h2_kg": 36,
            },
            {
                "shipment_id": "E9",
                "date": "2026-01-01",
                "truck_id": "T9",
                "tonnes": 0,
                "distance_km": 400,
                "h2_kg": 22,
            },
        ]
    )
    acc = account(led, toc_by="truck")
    manifest = write_ileap(acc, tmp_path)
    (toc,) = json.loads((tmp_path / "tocs.json").read_text(encoding="utf-8"))
    # kg CO2e per t·km: 36 kg × 4.456094 / 8,000 t·km = 0.020052 kg/t·km
    assert float(toc["co2eIntensityWTW"]) == pytest.approx(36 * 4.456094 / 8000, abs=1e-9)
    assert toc["co2eIntensityTTW"] == "0.000000000"
    assert toc["energyCarriers"][0]["energyCarrier"] == "Hydrogen"
    assert toc["energyCarriers"][0]["feedstocks"] == [{"feedstock": "Fossil"}]
    assert manifest["left_out"]["tocs_without_tonne_km"] == ["truck:T9"]
    assert manifest["left_out"]["empty_running_only_shipments"] == 1


def test_validate_rejects_bad_numbers():
    bad = {
        "shipmentId": "S",
        "mass": "1",
        "tces": [
            {
                "tceId": "x",
                "shipmentId": "S",
                "mass": "1e3",
                "distance": {"sfd": "1"},
                "transportActivity": "1",
                "co2eWTW": "1",
                "co2eTTW": "0",
            }
        ],
    }
    with pytest.raises(Exception, match="fails its schema"):
        validate("shipment-footprint", bad)


def test_shipments_csv_has_every_shipment(tmp_path):
    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"), toc_by="truck")
    n = write_shipments_csv(acc, tmp_path / "s.csv")
    with open(tmp_path / "s.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert n == len(rows) == 5
    assert tuple(rows[0]) == SHIPMENT_COLUMNS
    by_id = {r["shipment_id"]: r for r in rows}
    assert float(by_id["S1"]["wtw_kg"]) == pytest.approx(101.5 * 4.456094, abs=1e-3)
    assert by_id["E1"]["empty_running"] == "true"
    assert sum(float(r["wtw_kg"]) for r in rows) == pytest.approx(174 * 4.456094, abs=5e-3)


def test_csv_quotes_awkward_ids(tmp_path):
    led = ledger_from_records(
        [
            {
                "shipment_id": 'S,"1"',
                "date": "2026-01-01",
                "truck_id": "T1",
                "tonnes": 1,
                "distance_km": 1,
                "h2_kg": 1,
            }
        ]
    )
    write_shipments_csv(account(led), tmp_path / "s.csv")
    with open(tmp_path / "s.csv", encoding="utf-8", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["shipment_id"] == 'S,"1"'


def test_html_is_self_contained(tmp_path):
    acc = account(
        read_ledger(DATA_DIR / "ledger_hubs_pathways.csv"), hubs=read_hubs(DATA_DIR / "hubs.csv")
    )
    write_html(acc, tmp_path / "r.html", outputs={"csv": "s.csv"})
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "<svg" in text and "Hydrogen vs diesel" in text
    assert "T/CAB" in text and "tianjin-port" in text
    # works offline: no external resources, no scripts
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text)
    assert "<script" not in text and "@import" not in text
    for word in ("Per truck", "Per month", "Transport operation categories", "Shipments"):
        assert word in text


def test_html_summarises_large_ledgers():
    rows = [
        {
            "shipment_id": f"S{i}",
            "date": f"2026-{1 + i % 12:02d}-01",
            "truck_id": f"T{i % 150}",
            "tonnes": 10 + i % 5,
            "distance_km": 100 + i,
            "h2_kg": 9 + i % 3,
        }
        for i in range(600)
    ]
    text = render_html(account(ledger_from_records(rows), toc_by="truck"))
    assert "600 shipments: showing the 50 with the highest emissions" in text
    assert "Showing the 100 trucks with the highest emissions of 150" in text
    assert text.count("<tr>") < 600


@pytest.mark.parametrize("parallel", [True, False])
def test_write_outputs_serial_and_forked_agree(tmp_path, parallel):
    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"), toc_by="month")
    out, manifest = write_outputs(
        acc,
        csv=tmp_path / "s.csv",
        ileap=tmp_path / "il",
        report=tmp_path / "r.html",
        parallel=parallel,
    )
    assert set(out) == {"csv", "ileap", "report"}
    assert manifest is not None and manifest["counts"]["shipment_footprints"] == 3
    write_shipments_csv(acc, tmp_path / "ref.csv")
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()
    assert "s.csv" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_forked_csv_error_is_one_sentence(tmp_path):
    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"))
    with pytest.raises(ExportError, match="cannot write the shipments CSV"):
        write_outputs(acc, csv=tmp_path / "no" / "s.csv", ileap=tmp_path / "il", parallel=True)


def test_fast_number_text_matches_python_formatting():
    rng = np.random.default_rng(7)
    x = np.concatenate(
        [rng.uniform(-5000, 5000, 3000), rng.uniform(0, 1e9, 300), [0.0, -0.0, 1e-9, -2.5]]
    )
    for decimals in (0, 3, 6):
        text, lengths = render([Num(x, decimals), b"\n"], len(x))
        got = text.decode().split("\n")[:-1]
        assert lengths.tolist() == [len(g) + 1 for g in got]
        for g, v in zip(got, x.tolist(), strict=True):
            ref = f"{v:.{decimals}f}"
            # equal, or one unit apart on a rounding tie; never "-0"
            assert g == ref or abs(Decimal(g) - Decimal(ref)) <= Decimal(10) ** -decimals
            assert not re.fullmatch(r"-0(\.0+)?", g)
    text, _ = render([text_column(["a", "天津", "bc"]), b",", Num(np.array([1, 2, 3.0]), 1)], 3)
    assert text.decode() == "a,1.0天津,2.0bc,3.0"


def test_footprints_keep_ledger_order_with_mixed_shipments(tmp_path):
    rows = []
    for i in range(40):
        rows.append(
            {"shipment_id": f"S{i}", "date": "2026-01-01", "truck_id": f"T{i % 3}",
             "tonnes": 5 + i % 7, "distance_km": 100 + i, "h2_kg": 9 + i % 4}
        )  # fmt: skip
        if i % 9 == 4:  # a second leg of the same shipment, later in the ledger
            rows.append({**rows[-1], "distance_km": 50, "h2_kg": 4})
        if i % 11 == 3:
            rows.append({**rows[-1], "shipment_id": f"E{i}", "tonnes": 0})
    acc = account(ledger_from_records(rows), toc_by="truck")
    write_ileap(acc, tmp_path)
    feet = json.loads((tmp_path / "shipment-footprints.json").read_text(encoding="utf-8"))
    assert [f["shipmentId"] for f in feet] == [f"S{i}" for i in range(40)]
    assert [len(f["tces"]) for f in feet].count(2) == 4  # i = 4, 13, 22, 31
    for f in feet:
        assert not list(validator("shipment-footprint").iter_errors(f))
    total = sum(float(t["co2eWTW"]) for f in feet for t in f["tces"])
    assert total == pytest.approx(acc.tocs["wtw_kg"].sum(), abs=1e-4)
    assert footprint_strings(acc) == [json.dumps(f, separators=(",", ":")) for f in feet]
    sampled = write_ileap(acc, tmp_path / "sampled", validate_all_up_to=5)
    assert "of 40 validated" in sampled["validation"]["shipment_footprints"]
