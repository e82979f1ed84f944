"""Data quality statement, iLEAP glecDataQualityIndex, plausibility checks, overflow."""

from __future__ import annotations

import json

import numpy as np
import pytest
from paths import DATA

from h2lane.emissions import account, ledger_from_records, read_ledger, read_plan, user_wtt
from h2lane.emissions.errors import EmissionsConfigError
from h2lane.emissions.ileap import toc_documents, validate, write_ileap
from h2lane.emissions.plausibility import PlausibilityLimits
from h2lane.emissions.quality import data_quality

DATA_DIR = DATA / "emissions"


def _rows(*rows):
    keys = ("shipment_id", "date", "truck_id", "tonnes", "distance_km", "h2_kg")
    return ledger_from_records([dict(zip(keys, r, strict=True)) for r in rows])


def test_ledger_is_primary_plan_is_modelled():
    dq = data_quality(account(read_ledger(DATA_DIR / "ledger_small.csv")))
    assert dq["activity_data"]["primary_share"] == 1.0
    assert dq["activity_data"]["modelled_share"] == 0.0
    dq = data_quality(account(read_plan(DATA_DIR / "dispatch_plan.json")))
    assert dq["activity_data"]["modelled_share"] == 1.0


def test_factor_status_shares_and_index_by_hand():
    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"))
    dq = data_quality(acc)
    shares = dq["emission_factors"]["wtt_share_by_status"]
    # every part of cog-psa has a K input (station kWh, trailer diesel, purification kWh,
    # coking burden): 100 % of WTT is K-weakest; honest, not flattering
    assert shares["K"] == pytest.approx(1.0) and shares["V"] == 0.0
    (toc,) = dq["glec_data_quality_index"]["tocs"]
    # ledger → primary fuel (1); SFD: S1 and S3 fall back to the distance driven (0 of 2)
    assert toc["criteria"] == {
        "primary_fuel_data": True,
        "shortest_feasible_distance": False,
        "verified_factor_inputs": False,
        "supply_specific_factors": False,
    }
    assert toc["index"] == 1
    # a user-given factor is supply-specific data: one more point
    dq2 = data_quality(account(read_ledger(DATA_DIR / "ledger_small.csv"), h2=user_wtt(3.0)))
    assert dq2["glec_data_quality_index"]["tocs"][0]["index"] == 2


def test_ileap_toc_carries_the_index_and_the_manifest_its_rule(tmp_path):
    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"), toc_by="truck")
    docs, _ = toc_documents(acc)
    for doc in docs:
        assert doc["glecDataQualityIndex"] in range(5)
        validate("toc", doc)
    manifest = write_ileap(acc, tmp_path / "il")
    assert "h2lane rule" in manifest["glecDataQualityIndex"]
    tocs = json.loads((tmp_path / "il" / "tocs.json").read_text(encoding="utf-8"))
    assert all("glecDataQualityIndex" in t for t in tocs)


def test_hydrogen_per_100km_outside_the_band_is_listed():
    led = _rows(
        ("S1", "2026-01-05", "T1", 20, 500, 45),  # 9 kg/100 km: fine
        ("S2", "2026-01-06", "T2", 20, 500, 150),  # 30 kg/100 km: a meter or unit error
        ("S3", "2026-01-07", "T3", 20, 400, 4),  # 1 kg/100 km
    )
    acc = account(led)
    msgs = acc.plausibility
    assert any("truck 'T2'" in m and "30.0 kg H2/100 km" in m for m in msgs)
    assert any("truck 'T3'" in m and "1.0 kg H2/100 km" in m for m in msgs)
    assert not any("'T1'" in m for m in msgs)
    assert any("2 movement(s)" in m and "first row 2" in m for m in msgs)
    assert all(m in acc.warnings for m in msgs)
    # a band for the fleet set by the user
    wide = account(led, checks=PlausibilityLimits.parse("0.5:40"))
    assert not any("truck" in m for m in wide.plausibility)


def test_band_per_truck_type_from_a_plan():
    led = read_plan(DATA_DIR / "dispatch_plan.json")
    assert led.truck_types and all(led.truck_types)
    kind = led.truck_types[0]
    acc = account(led, checks=PlausibilityLimits.parse(f"{kind}=20:30"))
    assert any(f"(type {kind})" in m for m in acc.plausibility)


def test_tonnes_above_payload():
    led = _rows(("S1", "2026-01-05", "T1", 45, 500, 45))
    acc = account(led)
    assert any("more than the truck's payload" in m and "45 t" in m for m in acc.plausibility)
    assert not account(led, checks=PlausibilityLimits.parse(None, 49)).plausibility


@pytest.mark.parametrize("text", ["5", "9:3", "a:b", "x=1", "1:inf", "-1:4"])
def test_bad_band_is_one_sentence(text):
    with pytest.raises(EmissionsConfigError, match="--h2-band item"):
        PlausibilityLimits.parse(text)


def test_overflow_is_an_error_not_inf():
    led = _rows(("S1", "2026-01-05", "T1", 20, 500, 45))
    led.h2_kg = np.array([1e308])  # past any limit the reader allows: × factor overflows
    with pytest.raises(EmissionsConfigError, match=r"overflowed.*'wtt_kg'.*inf"):
        account(led)
