"""Allocation of the coking plant's burden to COG hydrogen: each method worked by hand.

Worked case: the default data rows per tonne of coke (h2lane/emissions/allocation.py).

    hydrogen recovered  430 Nm3 × 0.61 × 0.75 × 0.08988 kg/Nm3      = 17.6816 kg (row, 4 dp)
    burden at 100 %     500 kg CO2e ÷ 17.6816 kg                    = 28.2779 kg CO2e/kg H2
    COG mass            430 Nm3 × 0.45 kg/Nm3                        = 193.5 kg
    tail gas            193.5 − 17.6816                              = 175.8184 kg
    co-products (kg)    coke 1000, H2 17.6816, tail gas 175.8184, tar 45, benzol 13 = 1251.5
    energy (MJ)         coke 1000 × 28.5 = 28,500; H2 17.6816 × 119.96 = 2,121.08;
                        tail gas 430 × 17.5 − 2,121.08 = 5,403.92; tar 45 × 37 = 1,665;
                        benzol 13 × 40 = 520                         → 38,210 MJ
    value (CNY)         coke 1000 × 2.0 = 2,000; H2 17.6816 × 35 = 618.856;
                        tail gas 5,403.92 MJ × 0.6/17.5 CNY/MJ = 185.277; tar 45 × 3.5 = 157.5;
                        benzol 13 × 5.5 = 71.5                       → 3,033.133 CNY

Plant-side purification and compression is 3 kWh/kg × 0.6361 = 1.9083 kg CO2e/kg H2
(North China 2023); T/CAB 0078-2020 classifies cradle-to-gate = production + that.
"""

from __future__ import annotations

import pytest
from paths import DATA

from h2lane.emissions import WttConfig, account, hydrogen_wtt, read_ledger
from h2lane.emissions.allocation import (
    ALLOCATION_METHODS,
    COG_BURDEN_FULL,
    H2_PER_T_COKE,
    allocation_share,
)
from h2lane.emissions.errors import EmissionsConfigError
from h2lane.emissions.sensitivity import allocation_sensitivity, grid_sensitivity

PLANT = 3 * 0.6361  # 1.9083
H2 = 17.6816
BURDEN = 500 / H2  # 28.2779
MASS_TOTAL = 1000 + H2 + (193.5 - H2) + 45 + 13  # 1251.5
ENERGY_H2 = H2 * 119.96  # 2121.08
ENERGY_TOTAL = 28500 + ENERGY_H2 + (430 * 17.5 - ENERGY_H2) + 45 * 37 + 13 * 40  # 38210
VALUE_H2 = H2 * 35  # 618.856
VALUE_TOTAL = 2000 + VALUE_H2 + (430 * 17.5 - ENERGY_H2) * 0.6 / 17.5 + 45 * 3.5 + 13 * 5.5

BY_HAND = {
    # method: (share, production kg CO2e/kg H2, T/CAB class of production + 1.9083)
    "cut-off": (0.0, 0.0, "clean"),  # 1.908 ≤ 4.9
    "mass": (H2 / MASS_TOTAL, 500 / MASS_TOTAL, "clean"),  # 0.3995 + 1.908 = 2.308
    "energy": (ENERGY_H2 / ENERGY_TOTAL, 500 * 119.96 / ENERGY_TOTAL, "clean"),  # 3.478
    "economic": (VALUE_H2 / VALUE_TOTAL, 500 * 35 / VALUE_TOTAL, "low-carbon"),  # 7.678
}


def test_worked_case_rows():
    assert H2_PER_T_COKE.value == pytest.approx(430 * 0.61 * 0.75 * 0.08988, abs=1e-4)
    assert COG_BURDEN_FULL.value == pytest.approx(BURDEN, rel=1e-5)
    assert pytest.approx(1251.5) == MASS_TOTAL
    assert pytest.approx(38210.0) == ENERGY_TOTAL
    assert pytest.approx(3033.133, rel=1e-6) == VALUE_TOTAL


@pytest.mark.parametrize("method", ALLOCATION_METHODS)
def test_each_method_by_hand(method):
    share, production, tcab = BY_HAND[method]
    assert allocation_share(method) == pytest.approx(share, rel=1e-5, abs=1e-12)
    f = hydrogen_wtt("cog-psa", WttConfig(allocation=method))
    assert f.part_value("production") == pytest.approx(production, rel=1e-4, abs=1e-12)
    # the share × the full burden is the same number: the burden per unit of basis × H2's
    assert f.part_value("production") == pytest.approx(share * BURDEN, rel=1e-4, abs=1e-12)
    assert f.cradle_to_gate == pytest.approx(production + PLANT, rel=1e-4)
    assert f.tcab_class == tcab
    # every number is traceable: the part lists the rows it read
    names = {i.name for p in f.parts for i in p.inputs}
    assert "allocation_share" in names and "coking_burden" in names
    if method != "cut-off":
        assert "hydrogen_per_t_coke" in names and "tar_per_t_coke" in names


def test_worked_numbers():
    # the figures the docs quote, rounded
    assert BY_HAND["mass"][1] == pytest.approx(0.39952, abs=1e-5)
    assert BY_HAND["energy"][1] == pytest.approx(1.56975, abs=1e-5)
    assert BY_HAND["economic"][1] == pytest.approx(5.76963, abs=1e-4)


def test_full_allocation_fails_low_carbon():
    f = hydrogen_wtt("cog-psa", WttConfig(cog_allocation=1.0))
    assert f.cradle_to_gate == pytest.approx(BURDEN + PLANT, rel=1e-4)  # 30.19
    assert f.tcab_class == "conventional"


def test_sensitivity_table_by_hand():
    led = read_ledger(DATA / "emissions" / "ledger_small.csv")
    acc = account(led, toc_by="all")
    rows = {r["method"]: r for r in allocation_sensitivity(acc)}
    assert list(rows) == ["cut-off", "mass", "energy", "economic", "full"]
    assert rows["energy"]["chosen"] and not rows["mass"]["chosen"]
    # 174 kg H2 in one TOC; S1 carries 21,000 of 31,600 t·km
    for method, (_share, production, tcab) in BY_HAND.items():
        wtt = production + PLANT + 0.639494 + PLANT  # + trailer + station (1.9083)
        r = rows[method]
        assert r["tcab_0078_2020_class"] == tcab
        assert r["wtt_kg_per_kg"] == pytest.approx(wtt, rel=1e-4)
        assert r["wtw_kg"] == pytest.approx(174 * wtt, rel=1e-4)
        assert r["shipment_wtw_kg"]["S1"] == pytest.approx(174 * wtt * 21000 / 31600, rel=1e-4)
        assert r["shipment_wtw_kg"]["E1"] == 0.0  # empty running carries no freight
    assert rows["full"]["tcab_0078_2020_class"] == "conventional"


def test_grid_sensitivity_levels():
    acc = account(read_ledger(DATA / "emissions" / "ledger_small.csv"))
    rows = {r["grid"]: r for r in grid_sensitivity(acc)}
    assert rows["national-2023"]["level"] == "national"
    assert rows["north-china-2023"]["level"] == "regional" and rows["north-china-2023"]["chosen"]
    assert rows["shanxi-2022"]["level"] == "provincial"
    # grid electrolysis at 55 + 2 kWh/kg on Shanxi 2022: 57 × 0.7096 = 40.45 → conventional
    sx = rows["shanxi-2022"]
    assert sx["grid_electrolysis_cradle_to_gate_kg_per_kg"] == pytest.approx(57 * 0.7096)
    assert sx["grid_electrolysis_tcab_0078_2020_class"] == "conventional"
    # the report's hydrogen (cog-psa, energy) on that grid: plant 3 + station 3 kWh/kg
    wtt = 500 * 119.96 / ENERGY_TOTAL + 6 * 0.7096 + 0.639494
    assert sx["wtt_kg_per_kg"] == pytest.approx(wtt, rel=1e-4)
    assert sx["wtw_kg"] == pytest.approx(174 * wtt, rel=1e-4)


def test_unknown_method_is_one_sentence():
    with pytest.raises(EmissionsConfigError, match="cut-off, mass, energy, economic"):
        allocation_share("volume")
