"""The HTML report an auditor reads: first screen, like-for-like charts, provenance, print."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import pytest
from paths import DATA

from h2lane import __version__
from h2lane.app.emissions import EmissionsRequest, account_emissions
from h2lane.emissions import WttConfig, account, read_ledger, read_plan
from h2lane.emissions.charts import LINE_GAP, hbar_chart
from h2lane.emissions.factors import FACTOR_TABLE_VERSION, factor_table
from h2lane.emissions.report import render_html
from h2lane.timeutil import CHINA

DATA_DIR = DATA / "emissions"
WHEN = datetime(2026, 12, 2, 8, 0, tzinfo=CHINA)


def _svg(text: str, chart_id: str) -> str:
    m = re.search(rf'<svg[^>]*id="{chart_id}".*?</svg>', text, re.S)
    assert m, chart_id
    return m.group(0)


def test_provenance_block(tmp_path):
    ledger = tmp_path / "actuals.csv"
    # an extra column: its warning names the file, which the report gives by name only
    lines = (DATA_DIR / "ledger_small.csv").read_text(encoding="utf-8").splitlines()
    ledger.write_text(
        "\n".join([lines[0] + ",driver"] + [ln + ",x" for ln in lines[1:]]) + "\n",
        encoding="utf-8",
    )
    sha = hashlib.sha256(ledger.read_bytes()).hexdigest()
    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    res = account_emissions(
        EmissionsRequest.build(ledger=ledger, report=report, csv=tmp_path / "s.csv"),
        generated_at=WHEN,
    )
    text = report.read_text(encoding="utf-8")
    section = re.search(r'<section id="provenance".*?</section>', text, re.S).group(0)
    assert f"h2lane {__version__}" in section
    table = factor_table()
    assert f"version {FACTOR_TABLE_VERSION}" in section and table["sha256"] in section
    size = ledger.stat().st_size
    assert "actuals.csv" in section and sha in section and f"{size:,} bytes" in section
    assert "actuals.csv: ignored column(s)" in text
    assert "2026-12-02T08:00+08:00" in section
    # no absolute local path anywhere in the report (inputs and outputs by file name)
    assert str(tmp_path) not in text and "/tmp" not in text
    doc = res.document()
    prov = doc["provenance"]
    assert prov["inputs"] == [
        {"option": "--ledger", "name": "actuals.csv", "bytes": size, "sha256": sha}
    ]
    assert prov["factor_table"] == {"version": FACTOR_TABLE_VERSION, "sha256": table["sha256"]}
    assert prov["generated_at"] == "2026-12-02T08:00+08:00"
    # the checksum is of the rows themselves: changing a row changes it
    assert len(table["rows"]) == len({r["id"] for r in table["rows"]}) > 40


def test_first_screen_states_the_allocation_and_its_sensitivity():
    acc = account(read_ledger(DATA_DIR / "ledger_small.csv"))
    text = render_html(acc)
    first = text.index('<section id="allocation"')
    assert first < text.index("Like-for-like") and first < text.index('class="cards"')
    screen = re.search(r'<section id="allocation".*?</section>', text, re.S).group(0)
    assert "energy (lower heating value)" in screen and "h2lane default" in screen
    assert "Why this default" in screen
    for label in ("cut-off", "mass", "energy (LHV) ◀ chosen", "economic (value)", "full"):
        assert label in screen
    assert screen.count('class="chosen"') == 2  # one allocation row, one grid row
    for grid in ("national-2023", "north-china-2023 ◀ chosen", "shanxi-2022", "provincial"):
        assert grid in screen
    assert "low-carbon" in screen and "conventional" in screen


def test_tcab_chart_compares_cradle_to_gate_and_wtt_chart_has_no_thresholds():
    acc = account(
        read_ledger(DATA_DIR / "ledger_small.csv"), config=WttConfig(allocation="cut-off")
    )
    text = render_html(acc)
    tcab = _svg(text, "tcab-chart")
    # the classified cradle-to-gate 1.91, never the delivered 4.46
    values = re.findall(r'class="value"[^>]*>([^<]+)<', tcab)
    assert values[0] == "1.91" and "4.46" not in values
    assert tcab.count('class="thr"') == 2 and "≤ 4.9" in tcab and "≤ 14.51" in tcab
    wtt = _svg(text, "wtt-chart")
    assert 'class="thr"' not in wtt and "4.46" in wtt
    for part in ("purification", "tube-trailer delivery", "station"):  # production 0: cut-off
        assert part in wtt
    assert "production" in _svg(
        render_html(account(read_ledger(DATA_DIR / "ledger_small.csv"))), "wtt-chart"
    )
    pathways = _svg(text, "pathway-chart")
    for case in ("coke-oven gas", "grid electrolysis", "wind/PV electrolysis", "diesel trucks"):
        assert case in pathways


def _boxes(svg: str):
    lines = [float(x) for x in re.findall(r'<line class="thr" x1="([\d.]+)"', svg)]
    line_top = min(
        (float(y) for y in re.findall(r'<line class="thr" x1="[\d.]+" y1="([\d.]+)"', svg)),
        default=0.0,
    )
    labels = []
    for m in re.finditer(
        r'<text class="(value|thr-label)" x="([\d.]+)" y="([\d.]+)"[^>]*?'
        r'(?:text-anchor="(\w+)")?[^>]*data-w="([\d.]+)"',
        svg,
    ):
        kind, x, y, anchor, w = (
            m.group(1),
            float(m.group(2)),
            float(m.group(3)),
            m.group(4),
            float(m.group(5)),
        )
        x0 = x - w if anchor == "end" else x
        labels.append((kind, x0, x0 + w, y))
    return lines, line_top, labels


@pytest.mark.parametrize(
    "totals",
    [
        [4.5, 4.8, 4.85, 14.2, 14.4, 14.5, 30.0],  # bars ending just before each line
        [4.9, 14.51, 0.1, 5.0, 14.6],  # on and just after the lines
        [0.2, 0.3],  # everything left of both lines
    ],
)
def test_value_labels_never_cross_a_threshold_line(totals):
    rows = [(f"r{i}", {"production": t}) for i, t in enumerate(totals)]
    svg = hbar_chart(
        rows,
        title="t",
        unit="u",
        colours={"production": "#000"},
        labels={"production": "production"},
        order=("production",),
        thresholds=[(4.9, "clean ≤ 4.9"), (14.51, "low-carbon ≤ 14.51")],
    )
    lines, line_top, labels = _boxes(svg)
    assert len(lines) == 2 and len(labels) == len(totals) + 2
    for kind, a, b, y in labels:
        if kind == "thr-label":
            assert y < line_top  # threshold labels sit above where the lines start
            continue
        for x in lines:  # a clear gap (less the rounding of the SVG's one-decimal numbers)
            gap = LINE_GAP - 0.2
            assert not (a - gap <= x <= b + gap), (kind, a, b, x)
    # threshold labels never overlap each other
    thr = sorted((a, b, y) for k, a, b, y in labels if k == "thr-label")
    for (_a1, b1, y1), (a2, _b2, y2) in zip(thr, thr[1:], strict=False):
        assert y1 != y2 or b1 < a2


def test_print_layout_and_no_scripts():
    acc = account(read_plan(DATA_DIR / "dispatch_plan.json"))
    text = render_html(acc)
    assert "@media print" in text and "size:A4" in text
    assert "<details" not in text  # nothing hidden from print
    assert "<script" not in text


def test_loaded_empty_customers_and_orders():
    acc = account(read_plan(DATA_DIR / "dispatch_plan.json"))
    text = render_html(acc)
    assert "Loaded and empty running per TOC" in text
    assert "Per customer (consignee)" in text
    t = acc.tocs
    # loaded + empty = all, for km, hydrogen and WTW
    assert (t["loaded_km"] + t["empty_km"]) == pytest.approx(t["distance_km"])
    assert (t["loaded_h2_kg"] + t["empty_h2_kg"]) == pytest.approx(t["h2_kg"])
    assert (t["loaded_wtw_kg"] + t["empty_wtw_kg"]) == pytest.approx(t["wtw_kg"])
    assert t["empty_h2_kg"].sum() > 0
    c = acc.customers
    assert c is not None and c["wtw_kg"].sum() == pytest.approx(acc.shipments["wtw_kg"].sum())
    assert int(c["shipments"].sum()) == 2
    for m in ("WTW kg cut-off", "WTW kg mass", "WTW kg energy", "WTW kg economic"):
        assert m in text
