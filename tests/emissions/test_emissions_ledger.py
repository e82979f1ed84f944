"""Ledger CSV and plan input: every bad row is one sentence with its row number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from paths import DATA

from h2lane.emissions import read_ledger
from h2lane.emissions.errors import LedgerError
from h2lane.emissions.ledger import factorize

DATA_DIR = DATA / "emissions"
HEADER = "shipment_id,date,truck_id,tonnes,distance_km,h2_kg,sfd_km"
GOOD = "S{i},2026-01-{d:02d},T1,20,400,36,"


def _write(tmp_path: Path, lines: list[str], name: str = "ledger.csv") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _rows(n: int) -> list[str]:
    return [GOOD.format(i=i, d=1 + i % 28) for i in range(n)]


def _error(path: Path, **kw) -> str:
    with pytest.raises(LedgerError) as exc:
        read_ledger(path, **kw)
    msg = str(exc.value)
    assert msg.count(".") >= 1 and "\n" not in msg and "Traceback" not in msg
    return msg


@pytest.mark.parametrize("workers", [None, 1, 2])
@pytest.mark.parametrize(
    ("bad_line", "field", "expect"),
    [
        ("S6,2026-01-06,T1,-3,400,36,", "tonnes", "must be a finite number ≥ 0"),
        ("S6,2026-01-06,T1,20,400,lots,", "h2_kg", "must be a number (got 'lots')"),
        ("S6,2026-01-06,T1,20,400,,", "h2_kg", "must be a number (got '')"),
        ("S6,2026-01-06,T1,20,nan,36,", "distance_km", "finite"),
        ("S6,2026-13-06,T1,20,400,36,", "date", "must be a date YYYY-MM-DD"),
        (",2026-01-06,T1,20,400,36,", "shipment_id", "must not be empty"),
        ("S6,2026-01-06,,20,400,36,", "truck_id", "must not be empty"),
        ("S6,2026-01-06,T1,20,400,36,-1", "sfd_km", "≥ 0"),
        ("S6,2026-01-06,T1,20,400,36,far", "sfd_km", "must be a number or empty"),
    ],
)
def test_bad_row_named_with_row_and_field(tmp_path, workers, bad_line, field, expect):
    # the bad record is data row 7 (line 8); later bad rows must not win
    lines = [HEADER, *_rows(6), bad_line, *_rows(3), "S9,2026-01-09,T1,-5,1,1,"]
    msg = _error(_write(tmp_path, lines), workers=workers, chunk_rows=4)
    assert f"row 7 (line 8), field '{field}'" in msg
    assert expect in msg
    assert msg.startswith(str(tmp_path / "ledger.csv"))


@pytest.mark.parametrize("workers", [None, 1])
def test_wrong_field_count(tmp_path, workers):
    lines = [HEADER, *_rows(3), "S3,2026-01-04,T1,20,400", *_rows(2)]
    msg = _error(_write(tmp_path, lines), workers=workers)
    assert "row 4" in msg and "has 5 fields but the header has 7" in msg


def test_earliest_problem_wins_across_columns(tmp_path):
    # row 3 has a bad date, row 2 a negative h2: row 2 is reported
    lines = [HEADER, *_rows(1), "S1,2026-01-02,T1,20,400,-1,", "S2,bad,T1,20,400,1,"]
    msg = _error(_write(tmp_path, lines))
    assert "row 2 (line 3), field 'h2_kg'" in msg


def test_missing_column(tmp_path):
    p = _write(tmp_path, ["shipment_id,date,truck_id,tonnes,distance_km", "S1,2026-01-01,T1,1,2"])
    msg = _error(p)
    assert "missing required column 'h2_kg'" in msg


def test_unknown_pathway_in_a_row(tmp_path):
    lines = [
        HEADER + ",h2_pathway",
        "S1,2026-01-01,T1,20,400,36,,cog-psa",
        "S2,2026-01-01,T1,20,400,36,,grid-electrolysis@tianjin-2022",
        "S3,2026-01-01,T1,20,400,36,,green-magic",
    ]
    msg = _error(_write(tmp_path, lines))
    assert (
        "row 3 (line 4), field 'h2_pathway'" in msg
        and "unknown hydrogen pathway 'green-magic'" in msg
    )


def test_missing_file_and_not_utf8(tmp_path):
    assert "file not found" in _error(tmp_path / "nope.csv")
    p = tmp_path / "latin1.csv"
    p.write_bytes((HEADER + "\nS\xe9,2026-01-01,T1,1,1,1,\n").encode("latin-1"))
    assert "not UTF-8" in _error(p)


def test_nothing_dropped_and_parsers_agree(tmp_path):
    rng = np.random.default_rng(4)
    lines = [HEADER + ",origin,destination"]
    for i in range(2500):
        sfd = "" if i % 3 else f"{rng.uniform(10, 90):.1f}"
        lines.append(
            f"S{i % 1700},2026-{1 + i % 12:02d}-15,T{i % 7},{0 if i % 10 == 0 else 12.5},"
            f"{rng.uniform(100, 900):.1f},{rng.uniform(5, 60):.2f},{sfd},A{i % 5},B{i % 4}"
        )
    p = _write(tmp_path, lines)
    fast = read_ledger(p, chunk_rows=700)
    slow = read_ledger(p, workers=1, chunk_rows=300)
    par = read_ledger(p, workers=2, chunk_rows=500)
    assert len(fast) == len(slow) == len(par) == 2500
    for led in (slow, par):
        for key in ("row_numbers", "shipment", "truck", "date", "origin", "destination"):
            assert np.array_equal(getattr(fast, key), getattr(led, key)), key
        for key in ("tonnes", "distance_km", "h2_kg", "sfd_km"):
            np.testing.assert_array_equal(getattr(fast, key), getattr(led, key))
        assert fast.shipment_names == led.shipment_names
        assert fast.place_names == led.place_names
    assert fast.shipment_names[:3] == ["S0", "S1", "S2"]  # first-appearance order
    assert fast.month_names == [f"2026-{m:02d}" for m in range(1, 13)]


def test_quoted_fields_and_crlf_and_blank_lines(tmp_path):
    text = (
        "shipment_id,date,truck_id,tonnes,distance_km,h2_kg,origin,destination\r\n"
        '"S,1",2026-01-01,T1,10,100,9,"Tianjin Port, berth 3",Xiaoyi\r\n'
        "\r\n"
        "S2,2026-01-02T08:00:00,T1,0,100,5.5,,\r\n"
    )
    p = tmp_path / "q.csv"
    p.write_text(text, encoding="utf-8", newline="")
    led = read_ledger(p)
    assert led.shipment_names == ["S,1", "S2"]
    assert led.place_names == ["Tianjin Port, berth 3", "Xiaoyi"]
    assert led.date_names == ["2026-01-01", "2026-01-02"]
    # blank lines are skipped but keep the numbering of the lines after them
    p2 = _write(tmp_path, [HEADER, *_rows(2), "", "S9,2026-01-09,T1,-1,1,1,"], "b.csv")
    assert "row 4" in _error(p2)


def test_factorize_first_appearance_and_unicode():
    codes, names = factorize(np.array(["b", "a", "b", "c", "a"]))
    assert names == ["b", "a", "c"] and codes.tolist() == [0, 1, 0, 2, 1]
    codes, names = factorize(np.array(["孝义", "天津港", "孝义"]))
    assert names == ["孝义", "天津港"] and codes.tolist() == [0, 1, 0]
    long = np.array(["x" * 40 + "1", "x" * 40 + "2", "x" * 40 + "1"])
    assert factorize(long)[0].tolist() == [0, 1, 0]


@pytest.mark.parametrize("workers", [None, 1])
@pytest.mark.parametrize(
    ("bad_line", "field", "expect"),
    [
        ("S6,2026-01-06,T1,inf,400,36,", "tonnes", "must be a finite number ≥ 0 (got 'inf')"),
        ("S6,2026-01-06,T1,20,-inf,36,", "distance_km", "must be a finite number ≥ 0"),
        ("S6,2026-01-06,T1,20,400,NaN,", "h2_kg", "must be a finite number ≥ 0"),
        ("S6,2026-01-06,T1,20,400,36,nan", "sfd_km", "must be a finite number ≥ 0"),
        ("S6,2026-01-06,T1,20,400,36,inf", "sfd_km", "must be a finite number ≥ 0"),
        ("S6,2026-01-06,T1,1e400,400,36,", "tonnes", "must be a finite number ≥ 0"),
        ("S6,2026-01-06,T1,-0.5,400,36,", "tonnes", "must be a finite number ≥ 0"),
        ("S6,2026-01-06,T1,5000,400,36,", "tonnes", "must be at most 1,000 for one truck"),
        ("S6,2026-01-06,T1,20,90000,36,", "distance_km", "must be at most 20,000"),
        ("S6,2026-01-06,T1,20,400,36000,", "h2_kg", "must be at most 10,000"),
        ("S6,2026-01-06,T1,20,400,36,25000", "sfd_km", "must be at most 20,000"),
    ],
)
def test_non_finite_negative_and_absurd_numbers(tmp_path, workers, bad_line, field, expect):
    lines = [HEADER, *_rows(6), bad_line, *_rows(2)]
    msg = _error(_write(tmp_path, lines), workers=workers)
    assert f"row 7 (line 8), field '{field}'" in msg
    assert expect in msg


def test_records_reject_absurd_numbers():
    from h2lane.emissions import ledger_from_records

    rec = {"shipment_id": "S1", "date": "2026-01-01", "truck_id": "T1", "tonnes": 20,
           "distance_km": 100, "h2_kg": 9}  # fmt: skip
    with pytest.raises(LedgerError, match=r"row 2 \(line 3\), field 'h2_kg': must be a finite"):
        ledger_from_records([rec, {**rec, "h2_kg": float("nan")}])
    with pytest.raises(LedgerError, match="field 'tonnes': must be at most 1,000"):
        ledger_from_records([{**rec, "tonnes": 1e6}])


@pytest.mark.parametrize(
    ("line", "field", "expect"),
    [
        ("h1,nan,0.1", "wtw_kg_per_t", "must be a finite number ≥ 0 (got 'nan')"),
        ("h1,inf,0.1", "wtw_kg_per_t", "must be a finite number ≥ 0 (got 'inf')"),
        ("h1,1.5,-inf", "ttw_kg_per_t", "must be a finite number ≥ 0 (got '-inf')"),
        ("h1,-1,0", "wtw_kg_per_t", "must be a finite number ≥ 0 (got '-1')"),
        ("h1,1.5,x", "ttw_kg_per_t", "must be a number (got 'x')"),
        ("h1,5000,1", "wtw_kg_per_t", "must be at most 1,000 kg CO2e per tonne"),
        ("h1,1.5,2", "ttw_kg_per_t", "must not exceed wtw_kg_per_t"),
        (",1.5,0.2", "hoc_id", "must not be empty"),
    ],
)
def test_hubs_csv_bad_numbers_name_row_and_field(tmp_path, line, field, expect):
    from h2lane.emissions import read_hubs

    p = _write(tmp_path, ["hoc_id,wtw_kg_per_t,ttw_kg_per_t", "h0,1,0.5", line], "hubs.csv")
    with pytest.raises(LedgerError) as exc:
        read_hubs(p)
    msg = str(exc.value)
    assert f"row 2 (line 3), field '{field}'" in msg and expect in msg and "\n" not in msg


def test_hubs_csv_wrong_field_count_is_one_sentence(tmp_path):
    from h2lane.emissions import read_hubs

    p = _write(tmp_path, ["hoc_id,wtw_kg_per_t,ttw_kg_per_t", "h0,1,0.5,extra,more"], "h.csv")
    with pytest.raises(LedgerError, match=r"row 1 \(line 2\): has 5 fields but the header has 3"):
        read_hubs(p)
