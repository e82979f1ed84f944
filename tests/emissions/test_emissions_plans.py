"""Plans (version 2: trip, dispatch, vrp) accounted per ISO 14083: a shipment is a consignment.

Worked examples use a user WTT factor of 10 kg CO2e per kg H2 (TTW of a fuel-cell truck is
0, so WTW = 10 × hydrogen) and the fixtures' hydrogen: 9.0 kg/100 km loaded, 5.5 kg/100 km
empty (tests/data/emissions/make_plans.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from paths import DATA

from h2lane.emissions import account, read_plan, to_json, user_wtt, write_ileap
from h2lane.emissions.errors import EmissionsConfigError, PlanError
from h2lane.emissions.ileap import validator
from h2lane.emissions.plans import place_key, plan_ledger
from h2lane.emissions.results import write_shipments_csv
from h2lane.errors import InputFileError
from h2lane.plan import PlanPlace, parse_plan

DATA_DIR = DATA / "emissions"
WTT = user_wtt(10.0)
XIAOYI = place_key(PlanPlace(name="Xiaoyi", lat=37.145, lon=111.785))
TIANJIN = place_key(PlanPlace(name="Tianjin Port", lat=38.97583, lon=117.7875))
TAIYUAN = place_key(PlanPlace(name="Taiyuan", lat=37.870, lon=112.549))
YANGQUAN = place_key(PlanPlace(name="Yangquan", lat=37.857, lon=113.581))
FIXTURES = ("trip_plan.json", "trip_via_plan.json", "dispatch_plan.json", "vrp_plan.json")


def _doc(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
    return data


def _ledger(data: dict[str, Any]):
    return plan_ledger(parse_plan(data, "p.json"), "p.json")


class Oracle:
    """A dict of road distances that records what it was asked."""

    def __init__(self, km: dict[tuple[str, str], float]) -> None:
        self.km = km
        self.asked: list[tuple[str, str]] = []

    def __call__(self, origin: str, destination: str) -> float | None:
        self.asked.append((origin, destination))
        return self.km.get((origin, destination))


@pytest.mark.parametrize("name", FIXTURES)
def test_fixtures_are_valid_version_2_plans(name):
    doc = parse_plan(_doc(name), name)
    assert doc.version == 2 and doc.kind in name


def test_via_point_gives_one_shipment_with_the_sfd():
    # Xiaoyi → Lvliang 70 km → Tianjin Port 682 km with 31 t, back empty 632.4 km.
    # hydrogen: 70 × 0.09 = 6.3, 682 × 0.09 = 61.38, 632.4 × 0.055 = 34.782 → 102.462 kg
    # WTW = 10 × 102.462 = 1024.62 kg; one shipment 31 t × SFD 632.4 km = 19,604.4 t·km
    # (one shipment per leg, as before, gave 31 × 752 = 23,312 t·km: +18.9 %)
    oracle = Oracle({(XIAOYI, TIANJIN): 632.4})
    acc = account(read_plan(DATA_DIR / "trip_via_plan.json"), h2=WTT, oracle=oracle)
    assert oracle.asked == [(XIAOYI, TIANJIN)]  # one question, origin → destination
    doc = to_json(acc)
    (ship,) = doc["shipments"]
    assert ship["shipment_id"] == "trip-1"
    assert ship["legs"] == 2 and ship["distance_km"] == pytest.approx(752.0)
    assert ship["sfd_km"] == 632.4 and ship["sfd_source"] == "road_network"
    assert ship["tkm"] == pytest.approx(19_604.4)
    assert doc["totals"]["tkm"] == pytest.approx(19_604.4)
    assert doc["totals"]["h2_kg"] == pytest.approx(102.462)
    assert doc["totals"]["wtw_kg"] == pytest.approx(1024.62)
    # intensity 1024.62 / 19,604.4 = 52.2648 g/t·km; × 31 t × 632.4 km = the TOC total
    (toc,) = doc["tocs"]
    assert toc["intensity_g_per_tkm"] == pytest.approx(52.2648, abs=1e-4)
    assert toc["intensity_g_per_tkm"] / 1000 * 31 * 632.4 == pytest.approx(1024.62)
    assert ship["wtw_kg"] == pytest.approx(1024.62)


def test_without_road_network_the_sfd_is_the_distance_carried():
    # no oracle: SFD = 70 + 682 = 752 km driven with the freight, still ONE shipment
    acc = account(read_plan(DATA_DIR / "trip_via_plan.json"), h2=WTT)
    doc = to_json(acc)
    assert [s["shipment_id"] for s in doc["shipments"]] == ["trip-1"]
    assert doc["shipments"][0]["sfd_km"] == pytest.approx(752.0)
    assert doc["shipments"][0]["sfd_source"] == "distance_km"
    assert any("no road network" in w for w in doc["warnings"])


def test_empty_legs_count_in_the_toc_but_are_not_shipments():
    # trip: 632.4 km loaded (56.916 kg) + 632.4 km empty (34.782 kg) = 91.698 kg → 916.98 kg
    acc = account(read_plan(DATA_DIR / "trip_plan.json"), h2=WTT)
    doc = to_json(acc)
    assert [s["shipment_id"] for s in doc["shipments"]] == ["trip-1"]
    assert not any(s["empty_running"] for s in doc["shipments"])
    t = doc["totals"]
    assert (t["legs"], t["shipments"]) == (2, 1)
    assert t["empty_km"] == pytest.approx(632.4)
    assert t["wtw_kg"] == pytest.approx(916.98)
    # the empty leg's 347.82 kg are inside the one shipment's figure
    assert doc["shipments"][0]["wtw_kg"] == pytest.approx(916.98)
    assert doc["tocs"][0]["empty_rows"] == 1


def test_dispatch_plan_shipment_ids_are_order_ids():
    # T1: D01 31 t 632.4 km (56.916 kg) + empty return 632.4 km (34.782 kg) = 91.698 kg
    # T2: empty 110 km to Taiyuan (6.05 kg) + D02 25 t 560 km (50.4 kg)       = 56.45 kg
    acc = account(read_plan(DATA_DIR / "dispatch_plan.json"), h2=WTT, toc_by="truck")
    doc = to_json(acc)
    ships = {s["shipment_id"]: s for s in doc["shipments"]}
    assert list(ships) == ["D01", "D02"]
    assert ships["D01"]["toc_id"] == "truck:T1" and ships["D02"]["toc_id"] == "truck:T2"
    # one shipment per TOC: it carries the whole TOC, empty running included
    assert ships["D01"]["wtw_kg"] == pytest.approx(916.98)
    assert ships["D02"]["wtw_kg"] == pytest.approx(564.5)
    assert ships["D02"]["tkm"] == pytest.approx(25 * 560.0)
    # one TOC for all: intensity 1481.48 / (19,604.4 + 14,000) t·km; shares by t·km
    acc = account(read_plan(DATA_DIR / "dispatch_plan.json"), h2=WTT, toc_by="all")
    ships = {s["shipment_id"]: s for s in to_json(acc)["shipments"]}
    assert ships["D01"]["wtw_kg"] == pytest.approx(1481.48 * 19_604.4 / 33_604.4)
    assert ships["D01"]["wtw_kg"] + ships["D02"]["wtw_kg"] == pytest.approx(1481.48)


def test_vrp_plan_is_accepted_each_customer_a_shipment_from_the_depot():
    # depot Xiaoyi → C1 Taiyuan (18 t on board, 110 km, 9.9 kg) → C2 Yangquan (8 t, 100 km,
    # 9.0 kg) → depot empty (200 km, 11.0 kg): 29.9 kg → WTW 299 kg.
    # SFD depot → customer by road: C1 110 km, C2 190 km (not the 210 km driven via C1)
    # t·km 10 × 110 + 8 × 190 = 1100 + 1520 = 2620; C1 = 299 × 1100/2620, C2 = 299 × 1520/2620
    oracle = Oracle({(XIAOYI, TAIYUAN): 110.0, (XIAOYI, YANGQUAN): 190.0})
    acc = account(read_plan(DATA_DIR / "vrp_plan.json"), h2=WTT, oracle=oracle)
    doc = to_json(acc)
    ships = {s["shipment_id"]: s for s in doc["shipments"]}
    assert list(ships) == ["C1", "C2"]
    assert ships["C1"]["tonnes"] == 10.0 and ships["C2"]["tonnes"] == 8.0
    assert ships["C2"]["distance_km"] == pytest.approx(210.0)  # carried via C1
    assert doc["totals"]["tkm"] == pytest.approx(2620.0)
    assert ships["C1"]["wtw_kg"] == pytest.approx(299 * 1100 / 2620)
    assert ships["C2"]["wtw_kg"] == pytest.approx(299 * 1520 / 2620)
    assert ships["C1"]["wtw_kg"] + ships["C2"]["wtw_kg"] == pytest.approx(299.0)
    # no clock times in this VRP answer: months cannot be told apart
    with pytest.raises(EmissionsConfigError, match="--toc-by month needs a date"):
        account(read_plan(DATA_DIR / "vrp_plan.json"), toc_by="month")


def test_vrp_miles_are_converted_and_other_units_rejected():
    data = _doc("vrp_plan.json")
    data["units"]["distance"] = "mi"
    acc = account(_ledger(data), h2=WTT)
    # 410 mi driven = 659.83 km; SFD fallback C1 110 mi = 177.03 km
    assert acc.totals()["distance_km"] == pytest.approx(410 * 1.609344)
    assert acc.shipments["sfd_km"][0] == pytest.approx(110 * 1.609344)
    assert any("converted from miles" in w for w in acc.warnings)
    for key, value, expect in (
        ("energy", "gal", "field 'units.energy': gives energy in 'gal'"),
        ("distance", "u", "field 'units.distance': gives distances in 'u'"),
    ):
        bad = _doc("vrp_plan.json")
        bad["units"][key] = value
        with pytest.raises(PlanError) as exc:
            _ledger(bad)
        msg = str(exc.value)
        assert expect in msg and msg.count("\n") == 0 and msg.endswith(".")


def test_vrp_route_orders_without_leg_lists():
    # legs do not list what is on board: the route's orders and the leg ending at each
    # customer say which legs carried it (C2: the first two legs, 210 km)
    data = _doc("vrp_plan.json")
    for leg in data["routes"][0]["legs"]:
        leg["orders"] = []
    acc = account(_ledger(data), h2=WTT)
    assert acc.shipments.names == ["C1", "C2"]
    assert acc.shipments["distance_km"].tolist() == pytest.approx([110.0, 210.0])


def test_dispatch_without_orders_groups_legs_by_order_id():
    data = _doc("dispatch_plan.json")
    data["orders"] = []
    led = _ledger(data)
    assert led.shipment_names == ["D01", "D02"]
    assert led.tonnes[:2].tolist() == [31.0, 25.0]


def test_two_loaded_runs_of_a_trip_are_two_consignments():
    data = _doc("trip_via_plan.json")
    data["routes"][0]["legs"][1].update(loaded=False, tonnes=0.0)
    data["routes"][0]["legs"][2].update(loaded=True, tonnes=12.0)
    led = _ledger(data)
    # loaded, empty, loaded: two runs → two consignments
    assert led.shipment_names == ["trip-1", "trip-2"]
    assert led.tonnes[:2].tolist() == [31.0, 12.0]
    # consecutive loaded legs whose tonnes change are not one consignment: one sentence
    data = _doc("trip_plan.json")
    data["routes"][0]["legs"][1].update(loaded=True, tonnes=20.0)
    with pytest.raises(
        PlanError, match=r"routes\[0\]\.legs\[1\]\.tonnes'?: is 20 t but the loaded"
    ):
        _ledger(data)


@pytest.mark.parametrize(
    ("name", "change", "expect"),
    [
        (
            "dispatch_plan.json",
            lambda d: d["orders"][1].update(tonnes=0),
            "field 'orders[1].tonnes': must be more than 0 t",
        ),
        (
            "dispatch_plan.json",
            lambda d: d["orders"][1].update(order_id="D01"),
            "field 'orders[1].order_id': repeats order 'D01' of orders[0]",
        ),
        (
            "dispatch_plan.json",
            lambda d: d["orders"][1].update(order_id="D99"),
            "field 'orders[1].order_id': 'D99' is carried by no leg",
        ),
        (
            "dispatch_plan.json",
            lambda d: d["routes"][0]["legs"][1].update(tonnes=3.0),
            "field 'routes[0].legs[1].tonnes': is 3 t on a leg marked loaded: false",
        ),
        (
            "vrp_plan.json",
            lambda d: d.update(orders=[]),
            "field 'orders': is empty: a vrp plan must list its served customers",
        ),
        (
            "dispatch_plan.json",
            lambda d: d["routes"][0]["legs"][0].update(distance_km=float("nan")),
            "field 'routes[0].legs[0].distance_km'",
        ),
        (
            "dispatch_plan.json",
            lambda d: d["routes"][0]["legs"][0].update(h2_kg=-1),
            "field 'routes[0].legs[0].h2_kg'",
        ),
    ],
)
def test_bad_plans_are_one_sentence_naming_the_field(name, change, expect):
    data = _doc(name)
    change(data)
    with pytest.raises(InputFileError) as exc:
        _ledger(data)
    msg = str(exc.value)
    assert expect in msg
    assert msg.startswith("p.json") and "\n" not in msg


def test_version_1_plan_is_rejected(tmp_path):
    p = tmp_path / "old.json"
    p.write_text('{"kind": "h2lane.trip-plan", "version": 1, "legs": []}', encoding="utf-8")
    with pytest.raises(InputFileError, match="is a version 1 plan"):
        read_plan(p)


def _ileap(acc, out: Path) -> list[dict[str, Any]]:
    manifest = write_ileap(acc, out)
    feet: list[dict[str, Any]] = json.loads(
        (out / "shipment-footprints.json").read_text(encoding="utf-8")
    )
    for f in feet:
        assert not list(validator("shipment-footprint").iter_errors(f))
    for t in json.loads((out / "tocs.json").read_text(encoding="utf-8")):
        assert not list(validator("toc").iter_errors(t))
    assert manifest["left_out"]["empty_running_only_shipments"] == 0
    return feet


def test_ileap_exports_validate_with_order_ids(tmp_path):
    acc = account(read_plan(DATA_DIR / "dispatch_plan.json"), h2=WTT, toc_by="truck")
    feet = _ileap(acc, tmp_path / "d")
    assert [f["shipmentId"] for f in feet] == ["D01", "D02"]
    assert [t["tceId"] for f in feet for t in f["tces"]] == ["D01-tce1", "D02-tce1"]
    assert feet[0]["mass"] == "31000.000"  # kg
    assert feet[0]["tces"][0]["transportActivity"] == "19604.400000"
    assert sum(float(t["co2eWTW"]) for f in feet for t in f["tces"]) == pytest.approx(
        916.98 + 564.5, abs=1e-5
    )
    oracle = Oracle({(XIAOYI, TAIYUAN): 110.0, (XIAOYI, YANGQUAN): 190.0})
    feet = _ileap(account(read_plan(DATA_DIR / "vrp_plan.json"), oracle=oracle), tmp_path / "v")
    assert [f["shipmentId"] for f in feet] == ["C1", "C2"]
    assert feet[1]["tces"][0]["distance"] == {"sfd": "190.000"}
    feet = _ileap(account(read_plan(DATA_DIR / "trip_via_plan.json")), tmp_path / "t")
    assert [f["shipmentId"] for f in feet] == ["trip-1"] and len(feet[0]["tces"]) == 1


def test_shipments_csv_has_order_ids(tmp_path):
    acc = account(read_plan(DATA_DIR / "dispatch_plan.json"), h2=WTT)
    write_shipments_csv(acc, tmp_path / "s.csv")
    lines = (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in lines] == ["shipment_id", "D01", "D02"]
    assert lines[1].split(",")[2] == "1"  # one leg carried D01


def test_place_without_coordinates_falls_back_to_the_distance_carried():
    # a VRP node on a plane has no lat/lon (newer plan documents allow that): no road
    # distance is asked for it, its SFD is the 210 km driven with it, and a warning says so
    doc = parse_plan(_doc("vrp_plan.json"), "p.json")
    order = doc.orders[1]
    order.destination = order.destination.model_copy(update={"lat": None})
    oracle = Oracle({(XIAOYI, TAIYUAN): 110.0})
    acc = account(plan_ledger(doc, "p.json"), oracle=oracle)
    assert oracle.asked == [(XIAOYI, TAIYUAN)]
    assert acc.shipment_sfd_source == ["road_network", "distance_km"]
    assert acc.shipments["sfd_km"].tolist() == [110.0, 210.0]
    assert any("have no coordinates" in w for w in acc.warnings)


def test_html_report_of_a_plan_names_orders():
    from h2lane.emissions import render_html

    html = render_html(account(read_plan(DATA_DIR / "dispatch_plan.json"), h2=WTT))
    assert "dispatch plan: 2 shipments, 4 legs" in html
    assert ">D01<" in html and ">D02<" in html and "-leg" not in html
