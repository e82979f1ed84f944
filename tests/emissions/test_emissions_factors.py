"""Hydrogen WTT factors built from parts, T/CAB classification, diesel factors."""

from __future__ import annotations

import pytest

from h2lane.emissions import factors as F
from h2lane.emissions.errors import EmissionsConfigError

# Defaults (North China grid 2023 = 0.6361 kg CO2/kWh):
#   plant purification + compression (COG)  3 kWh/kg × 0.6361          = 1.9083
#   tube trailer   30 L/100 km × 2 × 100 km ÷ 300 kg × 3.19747 kg/L   = 0.2 × 3.19747 = 0.639494
#   station        3 kWh/kg × 0.6361                                   = 1.9083
DELIVERY = 0.30 * 200 / 300 * 3.19747
STATION = 3 * 0.6361


def test_cog_psa_cut_off_by_hand():
    f = F.hydrogen_wtt("cog-psa", F.WttConfig(allocation="cut-off"))
    assert f.name == "cog-psa@north-china-2023"
    assert f.part_value("production") == 0.0  # allocation share 0 (by-product cut-off)
    assert f.part_value("purification_compression") == pytest.approx(3 * 0.6361)
    assert f.part_value("delivery") == pytest.approx(DELIVERY)  # 0.639494
    assert f.part_value("station") == pytest.approx(STATION)
    # 0 + 1.9083 + 0.639494 + 1.9083 = 4.456094
    assert f.total == pytest.approx(4.456094)
    assert f.cradle_to_gate == pytest.approx(1.9083)
    assert f.tcab_class == "clean"  # 1.9083 ≤ 4.9 and not renewable
    assert f.feedstock == "Fossil"
    assert f.allocation == "cut-off" and f.allocation_share == 0.0


def test_cog_psa_default_is_energy_allocation():
    f = F.hydrogen_wtt("cog-psa")
    assert f.allocation == "energy"
    # 500 kg CO2e/t coke × 119.96 MJ/kg H2 ÷ 38,210 MJ of co-products per t coke = 1.56975
    assert f.part_value("production") == pytest.approx(500 * 119.96 / 38210, rel=1e-4)
    assert f.total == pytest.approx(4.456094 + 1.56975, rel=1e-5)
    assert f.as_dict()["allocation"]["default"] is True


def test_cog_allocation_share_is_configurable():
    # burden at full allocation: 500 kg CO2e/t coke ÷ (430 × 0.61 × 0.75 × 0.08988 kg H2/t)
    h2_per_t_coke = 430 * 0.61 * 0.75 * 0.08988  # = 17.6816 kg
    burden = 500 / h2_per_t_coke  # = 28.278 kg CO2e/kg H2
    f = F.hydrogen_wtt("cog-psa", F.WttConfig(cog_allocation=0.25))
    assert f.part_value("production") == pytest.approx(0.25 * burden, rel=1e-4)
    assert f.allocation == "share"
    # cradle-to-gate 7.07 + 1.91 = 8.98 → low-carbon (≤ 14.51)
    assert f.tcab_class == "low-carbon"
    g = F.hydrogen_wtt("cog-psa", F.WttConfig(cog_allocation=0.5, cog_burden_kg_per_kg=10.0))
    assert g.part_value("production") == pytest.approx(5.0)
    with pytest.raises(EmissionsConfigError, match="between 0 and 1"):
        F.hydrogen_wtt("cog-psa", F.WttConfig(cog_allocation=1.5))
    with pytest.raises(EmissionsConfigError, match="not both"):
        F.hydrogen_wtt("cog-psa", F.WttConfig(cog_allocation=0.5, allocation="mass"))
    with pytest.raises(EmissionsConfigError, match="--allocation must be one of"):
        F.hydrogen_wtt("cog-psa", F.WttConfig(allocation="volume"))


def test_grid_electrolysis_north_china_by_hand():
    f = F.hydrogen_wtt("grid-electrolysis")
    # 55 kWh/kg × 0.6361 = 34.9855 (row 56 of the parameter table: ≈35)
    assert f.part_value("production") == pytest.approx(34.9855)
    # compression to trailer pressure 2 kWh/kg × 0.6361 = 1.2722
    assert f.part_value("purification_compression") == pytest.approx(1.2722)
    assert f.cradle_to_gate == pytest.approx(36.2577)
    assert f.tcab_class == "conventional"  # above 14.51
    assert f.total == pytest.approx(36.2577 + DELIVERY + STATION)


@pytest.mark.parametrize(
    ("grid", "ef"),
    [
        ("national-2023", 0.5306),
        ("north-china-2023", 0.6361),
        ("shanxi-2022", 0.7096),
        ("hebei-2022", 0.7252),
        ("tianjin-2022", 0.7041),
    ],
)
def test_grid_options(grid, ef):
    f = F.hydrogen_wtt(f"grid-electrolysis@{grid}")
    assert f.part_value("production") == pytest.approx(55 * ef)
    assert f.part_value("station") == pytest.approx(3 * ef)
    assert F.hydrogen_wtt("grid-electrolysis", F.WttConfig(grid=grid)).total == f.total


def test_wind_pv_is_renewable_but_not_zero():
    f = F.hydrogen_wtt("wind-pv-electrolysis")
    assert f.cradle_to_gate == 0.0
    assert f.tcab_class == "renewable"
    # delivery and station electricity are still counted
    assert f.total == pytest.approx(DELIVERY + STATION)
    assert "excluded" in f.included


def test_delivery_distance_option():
    f = F.hydrogen_wtt("wind-pv-electrolysis", F.WttConfig(delivery_one_way_km=0.0))
    assert f.part_value("delivery") == 0.0  # on-site production
    status = {i.name: i.status for p in f.parts for i in p.inputs}
    assert status["one_way_km"] == "user"


def test_tcab_thresholds():
    assert F.tcab_class(4.9, renewable=False) == "clean"
    assert F.tcab_class(4.9, renewable=True) == "renewable"
    assert F.tcab_class(4.91, renewable=True) == "low-carbon"
    assert F.tcab_class(14.51, renewable=False) == "low-carbon"
    assert F.tcab_class(14.52, renewable=False) == "conventional"
    assert F.tcab_class(None, renewable=False) == "unclassified"


def test_user_factor_and_errors():
    f = F.user_wtt(2.5)
    assert f.total == 2.5
    assert f.tcab_class == "unclassified"
    with pytest.raises(EmissionsConfigError):
        F.user_wtt(-1.0)
    with pytest.raises(EmissionsConfigError, match="unknown hydrogen pathway 'smr'"):
        F.hydrogen_wtt("smr")
    with pytest.raises(EmissionsConfigError, match="unknown grid factor 'mars'"):
        F.hydrogen_wtt("grid-electrolysis@mars")


def test_every_default_is_sourced_with_honest_status():
    for config in (F.WttConfig(), F.WttConfig(grid="shanxi-2022")):
        for f in F.list_pathways(config):
            for p in f.parts:
                assert p.inputs, p.part
                for inp in p.inputs:
                    assert inp.status in {"V", "K", "D"}
                    assert inp.source and inp.year and inp.unit and inp.licence
    # the few values read in their sources are marked V; engineering guesses K
    assert F.DIESEL_TTW.status == "V" and F.DIESEL_TTW.value == 2.60
    assert F.DIESEL_WTW.status == "V" and F.DIESEL_WTW.value == pytest.approx(3.19747)
    assert F.DIESEL_LOADED.status == "K" and F.DIESEL_EMPTY.status == "K"
    assert F.GRID_FACTORS["north-china-2023"].status == "V"
    assert F.STATION_KWH.status == "K"
    assert F.ELECTROLYSIS_KWH.status == "D"
    assert F.TCAB_CLEAN.value == 4.9 and F.TCAB_LOW_CARBON.value == 14.51


def test_diesel_overrides():
    d = F.DieselFactors.build(l_per_100km=40, empty_l_per_100km=30, wtw_kg_per_l=3.24)
    assert (d.loaded.value, d.empty.value, d.wtw.value, d.ttw.value) == (40, 30, 3.24, 2.60)
    assert d.loaded.status == "user" and d.ttw.status == "V"
    with pytest.raises(EmissionsConfigError):
        F.DieselFactors.build(l_per_100km=-1)
