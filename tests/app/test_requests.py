"""Use-case requests: CLI option names as keys, one sentence per problem, the field named."""

import math

import pytest

from h2lane.app.context import Context
from h2lane.app.dispatch import DispatchOptions
from h2lane.app.requests import RequestError
from h2lane.app.trip import TripOptions, plan_trip
from h2lane.app.vrp import VRPOptions
from h2lane.errors import InputFileError, OptionError, PlaceNotFoundError
from h2lane.scenario import io as scenario_io


def test_keys_are_the_cli_long_options():
    o = TripOptions.build(
        **{"from": "Xiaoyi", "to": "Lvliang", "reserve_kg": 3, "round_trip": True}
    )
    assert o.origin == "Xiaoyi" and o.reserve_kg == 3 and o.round_trip
    assert TripOptions.model_validate({"from": "A", "to": "B"}).origin == "A"


@pytest.mark.parametrize(
    ("model", "values", "option", "field"),
    [
        (TripOptions, {"from": "A", "to": "B", "tank_kg": math.nan}, "--tank-kg", "tank_kg"),
        (TripOptions, {"from": "A", "to": "B", "speed_kmh": 900}, "--speed-kmh", "speed_kmh"),
        (TripOptions, {"from": "A", "to": "B", "reserve_kg": -1}, "--reserve-kg", "reserve_kg"),
        (TripOptions, {"from": "A", "to": "B", "colour": "red"}, "--colour", "colour"),
        (TripOptions, {"to": "B"}, "--from", "origin"),
        (DispatchOptions, {"optimize": "speed"}, "--optimize", "optimize"),
        (
            VRPOptions,
            {"instance": "x", "format": "emh", "time_limit": math.inf},
            "--time-limit",
            "time_limit",
        ),
        (
            VRPOptions,
            {"instance": "x", "format": "emh", "max_iterations": 0},
            "--max-iterations",
            "max_iterations",
        ),
    ],
)
def test_bad_values_name_the_option(model, values, option, field):
    with pytest.raises(RequestError) as err:
        model.build(**values)
    assert option in str(err.value) and err.value.field == field
    assert str(err.value).count("\n") == 0 and err.value.exit_code == 2


def test_context_around_a_scenario_in_memory(north_china):
    scen = scenario_io.load_scenario("shanxi-tianjin")
    seen: list[str] = []
    ctx = Context.of(scen, progress=lambda task, done, total: seen.append(task))
    result = plan_trip(TripOptions.build(**{"from": "Xiaoyi", "to": "Lvliang"}), ctx)
    doc = result.document
    assert doc.kind == "trip" and doc.scenario == scen.name and doc.distance_km > 0
    assert "planning the trip" in seen  # progress goes through the callback, nothing printed
    with pytest.raises(PlaceNotFoundError, match="--to 'Atlantis'"):
        plan_trip(TripOptions.build(**{"from": "Xiaoyi", "to": "Atlantis"}), ctx)
    with pytest.raises(OptionError, match="--truck: unknown truck type"):
        plan_trip(TripOptions.build(**{"from": "Xiaoyi", "to": "Lvliang", "truck": "x"}), ctx)


def test_station_waits_key_takes_the_document_and_refuses_a_server_file(data_dir):
    import json

    from h2lane.app.plans import check_request

    doc = json.loads((data_dir / "cli" / "station-waits.json").read_text())
    request = {"from": "Xiaoyi", "to": "Tianjin Port", "rest": False, "station_waits": doc}
    o = check_request("trip", request)
    result = plan_trip(o, Context())
    (stop,) = result.document.routes[0].stops
    assert stop.wait_min == 15.0 and stop.queue_wait_min == 15.0
    with pytest.raises(RequestError) as err:
        check_request("dispatch", {"station_waits": "waits.json"})
    assert err.value.field == "station_waits"
    doc["stations"]["baoding"]["mean_wait_min"][0] = "slow"
    with pytest.raises(InputFileError) as bad:
        plan_trip(check_request("trip", {**request, "station_waits": doc}), Context())
    assert "stations.baoding.mean_wait_min[0]" in str(bad.value)
