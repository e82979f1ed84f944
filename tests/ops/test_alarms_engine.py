"""The alarm engine and lifecycle on hand-made readings (no server)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from h2lane.errors import InputError
from h2lane.ops.alarms import (
    AlarmEngine,
    AlarmLog,
    AlarmStateError,
    ReachVerdict,
    default_rules,
    load_rules,
)
from h2lane.ops.telemetry import Reading
from h2lane.timeutil import CHINA

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=CHINA)


def station(t_min: float, **detectors: float | None) -> Reading:
    return Reading(
        f"m{t_min}", "jinzhong", "station", T0 + timedelta(minutes=t_min), detectors=detectors
    )


def engine(**kw: object) -> AlarmEngine:
    return AlarmEngine(load_rules(default_rules()), **kw)  # type: ignore[arg-type]


def test_leak_raises_the_ladder_in_order_once_per_episode() -> None:
    e = engine()
    seen = []
    for i, v in enumerate([0.1, 0.5, 0.6, 1.2, 1.1, 2.4, 2.5, 2.6]):
        seen += [(c.action, c.level) for c in e.observe(station(i, D1=v))]
    assert seen == [("raise", "warning"), ("raise", "critical"), ("raise", "emergency")]


def test_leak_hysteresis_prevents_flapping_and_clears_below_the_band() -> None:
    e = engine()
    actions = []
    for i, v in enumerate([0.41, 0.39, 0.41, 0.38, 0.40, 0.31]):
        actions += [c.action for c in e.observe(station(i, D1=v))]
    assert actions == ["raise"]  # hovering at 0.4 % vol raises once
    cleared = e.observe(station(10, D1=0.29))
    assert [(c.action, c.level) for c in cleared] == [("clear", "warning")]
    again = e.observe(station(11, D1=0.45))
    assert [(c.action, c.level) for c in again] == [("raise", "warning")]


def test_a_late_reading_raises_but_never_clears() -> None:
    e = engine()
    e.observe(station(10, D1=1.5))
    assert e.observe(station(5, D1=0.0)) == []  # older than the newest: no clear
    assert ("h2-leak", "jinzhong", "D1", "critical") in e.active
    late_leak = e.observe(station(7, D2=0.5))
    assert [(c.action, c.subject) for c in late_leak] == [("raise", "D2")]


def test_a_faulty_or_silent_detector_is_an_alarm_not_no_leak() -> None:
    e = engine()
    fault = e.observe(station(0, D1=None, D2=0.0))
    assert [(c.rule, c.subject) for c in fault] == [("detector-silent", "D1")]
    e.observe(station(1, D1=0.0, D2=0.0))  # D1 back: its fault clears
    assert ("detector-silent", "jinzhong", "D1", "warning") not in e.active
    for m in range(2, 6):
        e.observe(station(m, D1=0.0))  # D2 stops reporting
    raised = e.tick(T0 + timedelta(minutes=5))
    assert [(c.rule, c.subject) for c in raised] == [("detector-silent", "D2")]


def test_silent_devices_per_kind() -> None:
    e = engine()
    e.observe(station(0, D1=0.0))
    e.observe(truck(0, 40.0, 0.0))
    devices = lambda cs: [(c.rule, c.device) for c in cs if c.subject == ""]  # noqa: E731
    assert devices(e.tick(T0 + timedelta(minutes=4))) == []
    assert devices(e.tick(T0 + timedelta(minutes=6))) == [("silent-station", "jinzhong")]
    assert devices(e.tick(T0 + timedelta(minutes=7))) == []  # once per episode
    assert devices(e.tick(T0 + timedelta(minutes=11))) == [("silent-truck", "truck-1")]
    back = e.observe(station(12, D1=0.0))
    assert ("clear", "silent-station") in [(c.action, c.rule) for c in back]


def test_fill_limits_and_esd() -> None:
    from h2lane.ops.telemetry import Fill

    e = engine()
    hot = Reading(
        "a", "s1", "station", T0, detectors={"D1": 0.0}, fill=Fill("N1", 86.0, 40.0, 35.0)
    )
    assert [c.rule for c in e.observe(hot)] == ["fill-gas-temperature"]
    over = Reading(
        "b",
        "s1",
        "station",
        T0 + timedelta(seconds=5),
        detectors={"D1": 0.0},
        fill=Fill("N1", 80.0, 44.0, 35.0),
    )
    assert [(c.action, c.rule) for c in e.observe(over)] == [
        ("clear", "fill-gas-temperature"),
        ("raise", "fill-pressure"),
    ]  # 44 MPa > 125 % of 35 MPa = 43.75 MPa
    ok = Reading("c", "s1", "station", T0 + timedelta(seconds=9), detectors={"D1": 0.0}, esd=True)
    assert [(c.action, c.rule, c.level) for c in e.observe(ok)] == [
        ("clear", "fill-pressure", "critical"),
        ("raise", "station-esd", "emergency"),
    ]


def truck(t_min: float, h2: float, km: float, **kw: object) -> Reading:
    return Reading(
        f"t{t_min}",
        "truck-1",
        "truck",
        T0 + timedelta(minutes=t_min),
        lat=37.0,
        lon=112.0 + km / 89.0,
        h2_kg=h2,
        speed_kmh=60.0,
        odometer_km=1000.0 + km,
        **kw,  # type: ignore[arg-type]
    )


def test_hydrogen_drop_beyond_consumption_is_flagged_and_normal_use_is_not() -> None:
    e = engine()
    # 60 km/h for 60 min at 9 kg/100 km: 5.4 kg used; level noise of ±0.2 kg
    for m in range(0, 61, 5):
        noise = 0.2 if m % 10 else -0.2
        assert e.observe(truck(m, 50.0 - 0.09 * m + noise, m)) == []
    # now 5 kg more than consumption explains over 20 minutes
    out = []
    for m in range(65, 81, 5):
        out += e.observe(truck(m, 50.0 - 0.09 * m - 1.25 * (m - 60) / 5, m))
    assert [c.rule for c in out] == ["h2-drop"]


def test_refuel_is_detected_and_matched_to_the_nearest_station() -> None:
    e = engine(stations={"jinzhong": (37.0, 112.5), "far": (38.0, 114.0)})
    levels = [20.0, 19.9, 19.9, 30.0, 45.0, 57.5, 57.4, 57.4]
    for m, h2 in enumerate(levels):
        e.observe(truck(m, h2, 44.5 if m >= 2 else 44.5 - (2 - m)))
    (fill,) = e.take_refuels()
    assert fill.station == "jinzhong"
    assert fill.kg == pytest.approx(57.5 - 19.9)
    assert e.take_refuels() == []


def test_range_rule_uses_the_reach_query() -> None:
    verdicts = iter([ReachVerdict(True, "a", 100.0, 9.0), ReachVerdict(False, "a", 400.0, 36.0)])
    e = engine(reach=lambda r, reserve: next(verdicts))
    assert e.observe(truck(0, 30.0, 0.0)) == []
    (c,) = e.observe(truck(1, 30.0, 1.0))
    assert (c.rule, c.level) == ("range", "critical")
    assert "nearest station a is 400 km away" in c.message


def test_next_stop_warning() -> None:
    e = engine(next_stop=lambda r: ("Shijiazhuang", 300.0))
    (c,) = e.observe(truck(0, 25.0, 0.0))  # needs 27 kg + 2 kg reserve
    assert (c.rule, c.level) == ("range-next-stop", "warning")
    assert [x.action for x in e.observe(truck(1, 40.0, 1.0))] == ["clear"]


def test_lifecycle_ack_then_resolve_never_deleted_new_episode_new_alarm() -> None:
    e, log = engine(), AlarmLog()
    for c in e.observe(station(0, D1=0.5)):
        log.apply(c)
    (alarm,) = log.listing("active")
    log.acknowledge(alarm.id, "operator-1", T0)
    with pytest.raises(AlarmStateError):
        log.acknowledge(alarm.id, "operator-1", T0)
    for c in e.observe(station(1, D1=0.0)):
        log.apply(c)
    assert alarm.cleared_at is not None and alarm.state == "acknowledged"
    log.resolve(alarm.id, "operator-1", T0 + timedelta(minutes=3), note="fan checked")
    with pytest.raises(AlarmStateError):
        log.resolve(alarm.id, "x", T0)
    for c in e.observe(station(2, D1=0.6)):
        log.apply(c)
    assert [a.state for a in log.listing()] == ["resolved", "active"]
    assert log.listing()[0].as_dict()["notes"][0]["note"] == "fan checked"


def test_default_rules_validate_and_cite_sources() -> None:
    doc = default_rules()
    rules = load_rules(doc)
    assert {r.kind for r in rules} >= {"leak", "fill_temperature", "silent", "range", "h2_drop"}
    assert all(r.source for r in rules)
    leak = next(r for r in rules if r.kind == "leak")
    assert [s.threshold for s in leak.steps] == [0.4, 1.0, 2.0]
    assert "GB 50516" in leak.steps[0].source


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d["rules"][0]["levels"][1].update(pct_vol=0.3), "rules[0].levels[1].pct_vol"),
        (lambda d: d["rules"][1].update(kind="nope"), "rules[1].kind"),
        (lambda d: d["rules"][1].update(max_c="hot"), "rules[1].max_c"),
        (lambda d: d["rules"][2].update(id=d["rules"][1]["id"]), "rules[2].id"),
        (lambda d: d["rules"][4].update(device_kind="robot"), "rules[4].device_kind"),
        (lambda d: d["rules"][0].update(hysteresis_pct_vol=0.5), "rules[0].hysteresis_pct_vol"),
        (lambda d: d.update(rules={}), "rules"),
    ],
)
def test_bad_rules_name_the_field_path(edit, path) -> None:  # type: ignore[no-untyped-def]
    doc = default_rules()
    edit(doc)
    with pytest.raises(InputError) as err:
        load_rules(doc)
    assert f"`{path}`" in str(err.value)
    assert err.value.details["field"] == path
