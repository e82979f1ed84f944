"""ISO 14083 accounting: worked examples by hand, allocation, SFD, empty running, hubs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import DATA

from h2lane.emissions import (
    DieselFactors,
    WttConfig,
    ledger_from_records,
    read_hubs,
    read_ledger,
    to_json,
    user_wtt,
)
from h2lane.emissions import account as _account
from h2lane.emissions.errors import EmissionsConfigError, LedgerError

DATA_DIR = DATA / "emissions"
WTT = 4.456094  # cog-psa cut-off on the North China 2023 grid, see test_factors.py


def account(*args, **kwargs):
    """The worked examples here use the cut-off factor (arithmetic in test_factors.py, where
    the default energy allocation and every other method are worked by hand too)."""
    kwargs.setdefault("config", WttConfig(allocation="cut-off"))
    return _account(*args, **kwargs)


def _ledger(rows):
    keys = ("shipment_id", "date", "truck_id", "tonnes", "distance_km", "h2_kg")
    return ledger_from_records([dict(zip(keys, r, strict=False)) for r in rows])


def test_worked_example_one_toc():
    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"), toc_by="all")
    doc = to_json(acc)
    (toc,) = doc["tocs"]
    # hydrogen: 63 + 38.5 + 32 + 24 + 16.5 = 174 kg, empty running included
    assert toc["h2_kg"] == pytest.approx(174.0)
    # WTT = 174 × 4.456094 = 775.360356 kg; TTW = 0; WTW = WTT + TTW
    assert toc["wtt_kg"] == pytest.approx(174 * WTT)
    assert toc["ttw_kg"] == 0.0
    assert toc["wtw_kg"] == pytest.approx(775.360356)
    # t·km with SFD: 30 × 700 + 20 × 380 (sfd_km) + 10 × 300 = 31,600; empty rows add 0
    assert toc["tkm"] == pytest.approx(31600.0)
    # intensity 775.360356 / 31,600 × 1000 = 24.5367 g/t·km
    assert toc["intensity_g_per_tkm"] == pytest.approx(24.53672, rel=1e-6)
    ships = {s["shipment_id"]: s for s in doc["shipments"]}
    # shipment = intensity × tonnes × SFD
    assert ships["S1"]["wtw_kg"] == pytest.approx(775.360356 * 21000 / 31600)  # 515.27
    assert ships["S2"]["wtw_kg"] == pytest.approx(775.360356 * 7600 / 31600)  # 186.48
    assert ships["S2"]["sfd_km"] == 380.0 and ships["S2"]["sfd_source"] == "sfd_km"
    assert ships["S3"]["wtw_kg"] == pytest.approx(775.360356 * 3000 / 31600)  # 73.61
    assert ships["E1"]["empty_running"] and ships["E1"]["wtw_kg"] == 0.0
    # diesel: loaded (700 + 400 + 300) km × 38 L/100 km = 532 L; empty 1000 km × 26 = 260 L
    # 792 L × 3.19747 kg CO2e/L = 2532.39624 kg WTW; × 2.60 kg CO2/L = 2059.2 kg TTW
    assert toc["diesel_litres"] == pytest.approx(792.0)
    assert toc["diesel_baseline_wtw_kg"] == pytest.approx(2532.39624)
    assert toc["diesel_baseline_ttw_kg"] == pytest.approx(2059.2)
    assert ships["S1"]["diesel_baseline_wtw_kg"] == pytest.approx(2532.39624 * 21000 / 31600)
    assert ships["S1"]["avoided_kg"] == pytest.approx((2532.39624 - 775.360356) * 21000 / 31600)
    tot = doc["totals"]
    assert tot["avoided_kg"] == pytest.approx(2532.39624 - 775.360356)  # 1757.04 kg
    # the S1 row names origin/destination but there is no road network here: said so
    assert any("no road network" in w for w in doc["warnings"])
    assert ships["S1"]["sfd_source"] == "distance_km"


def test_worked_example_per_truck():
    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"), toc_by="truck")
    tocs = {t["toc_id"]: t for t in to_json(acc)["tocs"]}
    t1, t2 = tocs["truck:T1"], tocs["truck:T2"]
    # T1: (63 + 38.5) kg × 4.456094 = 452.2935 kg over 21,000 t·km → S1 carries all of it
    assert t1["wtw_kg"] == pytest.approx(101.5 * WTT)
    assert t1["intensity_g_per_tkm"] == pytest.approx(101.5 * WTT / 21000 * 1000)
    # T2: (32 + 24 + 16.5) kg × 4.456094 = 323.0668 kg over 7,600 + 3,000 = 10,600 t·km
    assert t2["wtw_kg"] == pytest.approx(72.5 * WTT)
    assert t2["empty_rows"] == 1 and t2["empty_km"] == 300.0
    assert t2["empty_distance_factor"] == pytest.approx(300 / 1000)
    ships = {s["shipment_id"]: s for s in to_json(acc)["shipments"]}
    assert ships["S1"]["wtw_kg"] == pytest.approx(101.5 * WTT)
    assert ships["S2"]["wtw_kg"] == pytest.approx(72.5 * WTT * 7600 / 10600)
    assert ships["S3"]["toc_id"] == "truck:T2"


def test_toc_by_month():
    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"), toc_by="month")
    tocs = {t["toc_id"]: t for t in to_json(acc)["tocs"]}
    assert set(tocs) == {"month:2026-01", "month:2026-02"}
    # January: S1, E1, S2 → 63 + 38.5 + 32 = 133.5 kg; February: S3, E2 → 40.5 kg
    assert tocs["month:2026-01"]["h2_kg"] == pytest.approx(133.5)
    assert tocs["month:2026-02"]["wtw_kg"] == pytest.approx(40.5 * WTT)


@pytest.mark.parametrize("toc_by", ["all", "truck", "month"])
def test_allocation_sums_to_toc_total(toc_by):
    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"), toc_by=toc_by)
    # per TOC: Σ allocated leg emissions = TOC emissions
    for k in range(len(acc.tocs)):
        rows = acc.row_toc == k
        assert acc.alloc_wtw[rows].sum() == pytest.approx(acc.tocs["wtw_kg"][k])
        assert acc.alloc_diesel_wtw[rows].sum() == pytest.approx(
            acc.tocs["diesel_baseline_wtw_kg"][k]
        )
    assert acc.shipments["wtw_kg"].sum() == pytest.approx(acc.tocs["wtw_kg"].sum())


def test_intensity_does_not_depend_on_how_freight_is_split():
    whole = [("A", "2026-01-01", "T1", 30, 500, 45), ("E", "2026-01-01", "T1", 0, 500, 27.5)]
    split = [
        ("A1", "2026-01-01", "T1", 10, 500, 15),
        ("A2", "2026-01-01", "T1", 20, 500, 30),
        ("E", "2026-01-01", "T1", 0, 500, 27.5),
    ]
    a = to_json(account(_ledger(whole)))
    b = to_json(account(_ledger(split)))
    # (45 + 27.5) kg × 4.456094 / (30 t × 500 km) either way
    assert a["tocs"][0]["intensity_g_per_tkm"] == pytest.approx(b["tocs"][0]["intensity_g_per_tkm"])
    assert a["tocs"][0]["intensity_g_per_tkm"] == pytest.approx(72.5 * WTT / 15000 * 1000)
    sa = {s["shipment_id"]: s["wtw_kg"] for s in a["shipments"]}
    sb = {s["shipment_id"]: s["wtw_kg"] for s in b["shipments"]}
    assert sb["A1"] + sb["A2"] == pytest.approx(sa["A"])
    assert sb["A2"] == pytest.approx(2 * sb["A1"])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),  # shipment
            st.integers(0, 2),  # truck
            st.integers(1, 3),  # month
            st.one_of(st.just(0.0), st.floats(0.5, 40)),  # tonnes (0 = empty running)
            st.floats(1, 900),  # km
            st.floats(0, 90),  # kg H2
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(["all", "truck", "month"]),
)
def test_allocation_property(rows, toc_by):
    led = _ledger([(f"S{s}", f"2026-0{m}-01", f"T{t}", w, km, h) for s, t, m, w, km, h in rows])
    acc = account(led, toc_by=toc_by)
    tot = acc.totals()
    # everything is either allocated to a shipment or reported as unallocated
    assert tot["allocated_wtw_kg"] + tot["unallocated_wtw_kg"] == pytest.approx(
        tot["wtw_kg"], rel=1e-9, abs=1e-9
    )
    assert tot["wtw_kg"] == pytest.approx(sum(h for *_, h in rows) * WTT, rel=1e-9, abs=1e-9)
    intens = acc.tocs["intensity_g_per_tkm"]
    assert np.all(np.isnan(intens) == (acc.tocs["tkm"] == 0))


def test_multi_leg_shipment_sums_its_legs_and_sfd_below_distance():
    led = read_ledger(DATA_DIR / "ledger_hubs_pathways.csv")
    acc = account(led, hubs=read_hubs(DATA_DIR / "hubs.csv"))
    doc = to_json(acc)
    # factors per row: leg 1 default cog-psa (4.456094), leg 2 wind-pv (0.639494 + 1.9083),
    # empty leg grid electrolysis on the Shanxi 2022 grid: (55 + 2 + 3) × 0.7096 + 0.639494
    wind = 0.639494 + 1.9083
    shanxi = 60 * 0.7096 + 0.639494
    wtw = 63 * WTT + 9 * wind + 44 * shanxi
    (toc,) = doc["tocs"]
    assert toc["wtw_kg"] == pytest.approx(wtw)
    # t·km with SFD: 30 × 650 + 30 × 100 = 22,500 (actual km 700 + 100 are only for fuel)
    assert toc["tkm"] == pytest.approx(22500.0)
    (s1,) = [s for s in doc["shipments"] if s["shipment_id"] == "S1"]
    assert s1["legs"] == 2 and s1["sfd_km"] == 750.0
    # one loaded shipment carries the whole TOC, plus the hub: 30 t × 1.5 kg/t = 45 kg
    assert s1["hub_wtw_kg"] == pytest.approx(45.0)
    assert s1["wtw_kg"] == pytest.approx(wtw + 45.0)
    assert s1["ttw_kg"] == pytest.approx(30 * 0.2)  # hub TTW; the trucks emit none
    # the diesel baseline passes through the same hub, so the hub cancels in "avoided"
    # diesel: loaded 800 km × 0.38 L/km = 304 L, empty 800 km × 0.26 = 208 L → 512 L
    assert s1["diesel_baseline_wtw_kg"] == pytest.approx(512 * 3.19747 + 45.0)
    assert s1["avoided_kg"] == pytest.approx(512 * 3.19747 - wtw)
    (hoc,) = doc["hocs"]
    assert hoc["hoc_id"] == "tianjin-port" and hoc["tonnes"] == 30.0
    names = {f["name"] for f in doc["factors"]["hydrogen"]}
    assert names == {
        "cog-psa@north-china-2023",
        "wind-pv-electrolysis@north-china-2023",
        "grid-electrolysis@shanxi-2022",
    }


def test_unknown_hub_names_its_row():
    led = read_ledger(DATA_DIR / "ledger_hubs_pathways.csv")
    with pytest.raises(LedgerError) as exc:
        account(led)
    msg = str(exc.value)
    assert "row 1" in msg and "hub_id" in msg and "tianjin-port" in msg


def test_road_network_oracle_gives_sfd():
    calls = []

    def oracle(origin: str, destination: str) -> float | None:
        calls.append((origin, destination))
        return 650.0 if (origin, destination) == ("Xiaoyi", "Tianjin Port") else None

    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"), oracle=oracle)
    doc = to_json(acc)
    s1 = next(s for s in doc["shipments"] if s["shipment_id"] == "S1")
    assert s1["sfd_source"] == "road_network" and s1["sfd_km"] == 650.0
    assert s1["tkm"] == pytest.approx(30 * 650)
    # only the loaded row needs it, asked once; the empty return leg is not asked
    assert calls == [("Xiaoyi", "Tianjin Port")]
    assert doc["method"]["sfd_sources"] == {"sfd_km": 1, "road_network": 1, "distance_km": 3}
    assert not any("no road network" in w for w in doc["warnings"])


def test_zero_tkm_toc_is_reported_not_divided():
    led = _ledger([("E1", "2026-01-01", "T9", 0, 400, 22), ("S1", "2026-01-01", "T1", 20, 400, 36)])
    acc = account(led, toc_by="truck")
    doc = to_json(acc)
    t9 = next(t for t in doc["tocs"] if t["toc_id"] == "truck:T9")
    assert t9["intensity_g_per_tkm"] is None
    assert "no tonne-km" in t9["warning"]
    assert t9["unallocated_wtw_kg"] == pytest.approx(22 * WTT)
    assert doc["totals"]["unallocated_wtw_kg"] == pytest.approx(22 * WTT)
    assert any("truck:T9" in w for w in doc["warnings"])


def test_user_factor_and_diesel_flags():
    led = _ledger([("S1", "2026-01-01", "T1", 10, 100, 9)])
    acc = account(
        led,
        h2=user_wtt(10.0),
        diesel=DieselFactors.build(l_per_100km=40.0, wtw_kg_per_l=3.24),
    )
    tot = acc.totals()
    assert tot["wtw_kg"] == pytest.approx(90.0)  # 9 kg × 10
    assert tot["diesel_baseline_wtw_kg"] == pytest.approx(100 * 0.40 * 3.24)  # 129.6
    with pytest.raises(EmissionsConfigError):
        account(led, toc_by="week")
