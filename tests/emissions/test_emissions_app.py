"""The emissions use case (h2lane.app.emissions): request, output checks, result, no printing."""

from __future__ import annotations

from pathlib import Path

import pytest
from paths import DATA

from h2lane.app.emissions import (
    EmissionsRequest,
    LazyOracle,
    account_emissions,
    pathways_document,
)
from h2lane.emissions.errors import EmissionsConfigError, ExportError
from h2lane.errors import InputError, OptionError, OutputPathError

DATA_DIR = DATA / "emissions"
LEDGER = DATA_DIR / "ledger_small.csv"


def test_request_fields_are_the_long_options():
    fields = set(EmissionsRequest.model_fields)
    assert {
        "ledger",
        "plan",
        "toc_by",
        "h2_pathway",
        "cog_allocation",
        "report",
        "ileap",
        "csv",
    } <= fields
    with pytest.raises(OptionError, match=r"^unknown option --toc\.$"):
        EmissionsRequest.build(toc="truck")
    with pytest.raises(OptionError, match=r"^--h2-wtt-kg-per-kg: .*finite number.*\(got nan\)\.$"):
        EmissionsRequest.build(ledger=LEDGER, h2_wtt_kg_per_kg=float("nan"))


def test_result_and_progress(tmp_path, capsys):
    steps: list[tuple[str, float, float | None]] = []
    req = EmissionsRequest.build(
        plan=DATA_DIR / "dispatch_plan.json", toc_by="truck", csv=tmp_path / "s.csv"
    )
    res = account_emissions(req, progress=lambda *a: steps.append(a))
    assert [s[0] for s in steps] == ["reading input", "accounting", "writing outputs", "done"]
    assert steps[-1][1:] == (5.0, 5.0)
    doc = res.document()
    assert [s["shipment_id"] for s in doc["shipments"]] == ["D01", "D02"]
    assert doc["outputs"] == {"csv": str(tmp_path / "s.csv")}
    assert res.document(shipments_limit=0)["shipments"] == []
    assert capsys.readouterr().out == ""  # the use case never prints


def test_lazy_oracle_loads_only_when_asked(tmp_path):
    loads: list[int] = []
    ledger = tmp_path / "l.csv"
    ledger.write_text(
        "shipment_id,date,truck_id,tonnes,distance_km,h2_kg,sfd_km,origin,destination\n"
        "S1,2026-01-05,T1,30,700,63,650,Xiaoyi,Tianjin Port\n"
        "E1,2026-01-06,T1,0,700,38.5,,Tianjin Port,Xiaoyi\n",
        encoding="utf-8",
    )

    def provider():
        loads.append(1)
        return lambda o, d: 100.0

    oracle = LazyOracle(provider)
    # the loaded row has its sfd_km (the empty row needs none): the network is never loaded
    account_emissions(EmissionsRequest.build(ledger=ledger), distance_oracle=oracle)
    assert loads == []
    res = account_emissions(
        EmissionsRequest.build(plan=DATA_DIR / "trip_plan.json"), distance_oracle=oracle
    )
    assert loads == [1] and res.accounting.shipments["sfd_km"].tolist() == [100.0]
    assert oracle("a", "b") == 100.0 and loads == [1]


@pytest.mark.parametrize(
    ("option", "make", "expect"),
    [
        (
            "report",
            lambda t: t / "missing" / "r.html",
            "--report {p}: the directory {d} does not exist.",
        ),
        ("csv", lambda t: t / "missing" / "s.csv", "--csv {p}: the directory {d} does not exist."),
        ("ileap", lambda t: t / "missing" / "il", "--ileap {p}: the directory {d} does not exist."),
        ("csv", lambda t: t, "--csv {p} is a directory, not a file."),
    ],
)
def test_output_paths_are_checked_before_the_accounting(tmp_path, option, make, expect):
    p = make(tmp_path)
    steps: list[str] = []
    # the ledger does not exist either: the output path is reported first, before reading
    req = EmissionsRequest.build(ledger=tmp_path / "nope.csv", **{option: p})
    with pytest.raises(OutputPathError) as exc:
        account_emissions(req, progress=lambda task, *_: steps.append(task))
    assert str(exc.value) == expect.format(p=p, d=p.parent)
    assert exc.value.exit_code == 2 and steps == []


def test_ileap_path_that_is_a_file_and_output_over_input(tmp_path):
    f = tmp_path / "f.txt"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(OutputPathError, match=r"--ileap .* is a file, not a directory"):
        account_emissions(EmissionsRequest.build(ledger=LEDGER, ileap=f))
    copy = tmp_path / "l.csv"
    copy.write_bytes(LEDGER.read_bytes())
    with pytest.raises(OutputPathError, match=r"--csv .* is the --ledger file"):
        account_emissions(EmissionsRequest.build(ledger=copy, csv=copy))
    assert copy.read_bytes() == LEDGER.read_bytes()


def test_file_system_error_while_writing_is_an_input_error(tmp_path):
    full = Path("/dev/full")
    if not full.exists():
        pytest.skip("no /dev/full")
    with pytest.raises(ExportError) as exc:
        account_emissions(EmissionsRequest.build(ledger=LEDGER, csv=full))
    assert isinstance(exc.value, OutputPathError) and isinstance(exc.value, InputError)
    assert str(exc.value).startswith("cannot write the shipments CSV /dev/full:")


def test_option_errors():
    for kw, expect in (
        ({}, "give exactly one of --ledger"),
        ({"ledger": LEDGER, "toc_by": "week"}, "--toc-by must be one of all, truck, month"),
        ({"ledger": LEDGER, "h2_pathway": "cog-psa", "h2_wtt_kg_per_kg": 1.0}, "not both"),
    ):
        with pytest.raises(EmissionsConfigError, match=expect) as exc:
            account_emissions(EmissionsRequest.build(**kw))
        assert isinstance(exc.value, OptionError)
    # bounds are checked when the request is built
    with pytest.raises(
        OptionError, match="--delivery-km: input should be greater than or equal to 0"
    ):
        EmissionsRequest.build(ledger=LEDGER, delivery_km=-1.0)


def test_pathways_document():
    doc = pathways_document(EmissionsRequest.build(grid="shanxi-2022"))
    assert doc["grid"] == "shanxi-2022"
    assert [p["pathway"] for p in doc["pathways"]] == [
        "cog-psa",
        "grid-electrolysis",
        "wind-pv-electrolysis",
    ]


def test_lazy_oracle_without_road_network_says_so():
    # the provider has no road network: the warning says none was available
    res = account_emissions(
        EmissionsRequest.build(plan=DATA_DIR / "trip_via_plan.json"),
        distance_oracle=LazyOracle(lambda: None),
    )
    assert any("no road network was available" in w for w in res.warnings)
    assert res.accounting.shipment_sfd_source == ["distance_km"]
