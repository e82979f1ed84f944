"""``h2lane site`` on bad input: exit 2, one sentence naming the file, row and field, no traceback.

Two parts: hand-written cases (unknown node, disconnected O–D, negative flow, more stations than
candidates, and malformed CSVs — a missing column, a non-numeric cell, an empty file, duplicated
ids — for every file the command reads), each checked as text and as ``--json``; and a seeded
fuzz that corrupts random cells, lines and columns of the grid's CSVs, where every run must end
in exit 0, 2 or 3 with valid JSON and, on exit 2, a message naming the file or option at fault.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from siting_data import SMALL
from typer.testing import CliRunner

from h2lane.cli import app

runner = CliRunner()
FLOWS = (SMALL / "flows.csv").read_text()
SIZES = (SMALL / "sizes.csv").read_text()
ZONES = "name,node,weight,role\nA,10,5,origin\nB,25,3,destination\nC,22,2,both\n"
CANDS = "id,node,cost\nA,10,1\nB,11,1\nC,14,2\nD,25,1\n"


def _net(tmp_path: Path) -> Path:
    d = tmp_path / "net"
    if not d.exists():
        shutil.copytree(SMALL, d)
    return d


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def _bad(args: list[str], *needles: str) -> str:
    """Run as text and as --json: exit 2, one sentence holding every needle, valid JSON."""
    res = runner.invoke(app, ["site", *args])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "internal error" not in res.output
    res_json = runner.invoke(app, ["site", *args, "--json"])
    assert res_json.exit_code == 2, res_json.output
    doc = json.loads(res_json.output)
    msg = doc["message"]
    assert msg.endswith(".") and "\n" not in msg, msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


def _grid(net: Path, flows: Path, *more: str) -> list[str]:
    return ["--network", str(net), "--flows", str(flows), "--range-km", "300", *more]


# ------------------------------------------------------------------------- flows CSV

FLOW_CASES = {
    "unknown node": (
        "origin,destination,flow\n10,25,3\n10,99,4\n",
        ["row 2", "field 'destination'", "'99'"],
    ),
    "negative flow": ("origin,destination,flow\n10,25,-5\n", ["row 1", "field 'flow'", "-5"]),
    "non-numeric flow": (
        "origin,destination,flow\n10,25,3\n13,22,many\n",
        ["row 2", "field 'flow'", "'many'"],
    ),
    "infinite flow": ("origin,destination,flow\n10,25,inf\n", ["field 'flow'", "finite"]),
    "missing column": ("origin,flow\n10,3\n", ["missing column", "destination"]),
    "empty file": ("", ["flows.csv", "empty"]),
    "header only": ("origin,destination,flow\n", ["no data rows"]),
    "empty origin": ("origin,destination,flow\n,25,3\n", ["row 1", "field 'origin'"]),
    "path with unknown node": (
        "origin,destination,flow,path\n10,15,1,10 77 15\n",
        ["row 1", "field 'path'", "77"],
    ),
    "broken path": (
        "origin,destination,flow,path\n10,12,1,10 12\n",
        ["row 1", "field 'path'", "not joined"],
    ),
    "path not ending at destination": (
        "origin,destination,flow,path\n10,15,1,10 14\n",
        ["field 'path'", "destination"],
    ),
}


@pytest.mark.parametrize("case", sorted(FLOW_CASES))
def test_bad_flows(tmp_path: Path, case: str) -> None:
    text, needles = FLOW_CASES[case]
    flows = _write(tmp_path, "flows.csv", text)
    _bad(_grid(_net(tmp_path), flows, "--stations", "2"), "flows.csv", *needles)


def test_not_utf8_and_missing_file(tmp_path: Path) -> None:
    flows = _write(tmp_path, "flows.csv", FLOWS.encode("utf-16"))
    _bad(_grid(_net(tmp_path), flows, "--stations", "2"), "flows.csv", "UTF-8")
    _bad(_grid(_net(tmp_path), tmp_path / "nowhere.csv", "--stations", "2"), "nowhere.csv")


def test_disconnected_origin_destination(tmp_path: Path) -> None:
    d = tmp_path / "split"
    d.mkdir()
    _write(d, "nodes.csv", "node_id,x,y\n1,0,0\n2,100,0\n3,500,0\n4,600,0\n")
    _write(d, "edges.csv", "u,v,length_km\n1,2,100\n3,4,100\n")
    flows = _write(tmp_path, "flows.csv", "origin,destination,flow\n1,2,1\n1,4,2\n")
    _bad(_grid(d, flows, "--stations", "1"), "flows.csv", "row 2", "disconnected")


def test_more_stations_than_candidates(tmp_path: Path) -> None:
    net = _net(tmp_path)
    flows = _write(tmp_path, "flows.csv", FLOWS)
    cands = _write(tmp_path, "cands.csv", CANDS)
    _bad(_grid(net, flows, "--stations", "17"), "--stations 17", "16")
    _bad(_grid(net, flows, "--stations", "5", "--candidates", str(cands)), "--stations 5", "4")


# --------------------------------------------------------------- candidates, sizes, zones

OTHER_CASES = {
    "candidates duplicated id": (
        "--candidates",
        "id,node\nA,10\nB,11\nA,12\n",
        ["row 3", "field 'id'", "more than once"],
    ),
    "candidates unknown node": ("--candidates", "id,node\nA,10\nB,77\n", ["row 2", "77"]),
    "candidates missing column": ("--candidates", "name,node\nA,10\n", ["missing column", "id"]),
    "candidates no node column": ("--candidates", "id,cost\nA,1\n", ["node"]),
    "candidates non-numeric cost": (
        "--candidates",
        "id,node,cost\nA,10,cheap\n",
        ["row 1", "field 'cost'", "'cheap'"],
    ),
    "candidates empty": ("--candidates", "", ["empty"]),
    "capacity missing column": ("--capacity", "size,cost\nsmall,11\n", ["missing column"]),
    "capacity non-numeric": (
        "--capacity",
        "size,kg_per_day,cost\nsmall,lots,11\n",
        ["row 1", "field 'kg_per_day'"],
    ),
    "capacity zero size": (
        "--capacity",
        "size,kg_per_day,cost\nsmall,0,11\n",
        ["field 'kg_per_day'", "> 0"],
    ),
    "capacity duplicated size": (
        "--capacity",
        "size,kg_per_day,cost\nsmall,500,11\nsmall,1000,18\n",
        ["row 2", "field 'size'", "more than once"],
    ),
    "capacity empty": ("--capacity", "", ["empty"]),
}


@pytest.mark.parametrize("case", sorted(OTHER_CASES))
def test_bad_candidates_and_sizes(tmp_path: Path, case: str) -> None:
    option, text, needles = OTHER_CASES[case]
    f = _write(tmp_path, "input.csv", text)
    flows = _write(tmp_path, "flows.csv", FLOWS)
    _bad(_grid(_net(tmp_path), flows, "--stations", "2", option, str(f)), "input.csv", *needles)


ZONE_CASES = {
    "non-numeric weight": ("name,node,weight\nA,10,big\nB,25,1\n", ["row 1", "field 'weight'"]),
    "negative weight": ("name,node,weight\nA,10,-2\nB,25,1\n", ["row 1", "field 'weight'"]),
    "unknown node": ("name,node,weight\nA,10,1\nB,99,1\n", ["row 2", "field 'node'", "99"]),
    "missing column": ("name,node\nA,10\nB,25\n", ["weight"]),
    "duplicated name": (
        "name,node,weight\nA,10,1\nA,25,1\n",
        ["row 2", "field 'name'", "more than once"],
    ),
    "bad role": ("name,node,weight,role\nA,10,1,port\nB,25,1,both\n", ["row 1", "field 'role'"]),
    "empty": ("", ["empty"]),
    "one zone": ("name,node,weight\nA,10,1\n", ["two zones"]),
}


@pytest.mark.parametrize("case", sorted(ZONE_CASES))
def test_bad_zones(tmp_path: Path, case: str) -> None:
    text, needles = ZONE_CASES[case]
    zones = _write(tmp_path, "zones.csv", text)
    args = ["--network", str(_net(tmp_path)), "--zones", str(zones), "--range-km", "300"]
    _bad([*args, "--stations", "1"], "zones.csv", *needles)


# ------------------------------------------------------------------------- network CSVs

NETWORK_CASES = {
    "nodes duplicated id": (
        "nodes.csv",
        "node_id,x,y\n10,0,0\n10,1,1\n",
        ["row 2", "more than once"],
    ),
    "nodes non-numeric x": ("nodes.csv", "node_id,x,y\n10,east,0\n", ["row 1", "field 'x'"]),
    "nodes empty": ("nodes.csv", "", ["empty"]),
    "edges unknown node": ("edges.csv", "u,v,length_km\n10,99,5\n", ["row 1", "99"]),
    "edges non-numeric length": (
        "edges.csv",
        "u,v,length_km\n10,11,far\n",
        ["row 1", "field 'length_km'"],
    ),
    "edges negative length": ("edges.csv", "u,v,length_km\n10,11,-4\n", ["field 'length_km'"]),
    "edges missing column": ("edges.csv", "u,v\n10,11\n", ["length_km"]),
}


@pytest.mark.parametrize("case", sorted(NETWORK_CASES))
def test_bad_network_files(tmp_path: Path, case: str) -> None:
    name, text, needles = NETWORK_CASES[case]
    net = _net(tmp_path)
    _write(net, name, text)
    flows = _write(tmp_path, "flows.csv", FLOWS)
    _bad(_grid(net, flows, "--stations", "2"), name, *needles)


def test_bad_options(tmp_path: Path) -> None:
    net = _net(tmp_path)
    flows = _write(tmp_path, "flows.csv", FLOWS)
    _bad(_grid(net, flows, "--stations", "2", "--existing", "nowhere"), "--existing nowhere")
    _bad(_grid(Path("atlantis"), flows, "--stations", "2"), "atlantis")
    _bad(_grid(net, flows, "--target-share", "1.5"), "target")
    _bad(_grid(net, flows, "--stations", "2", "--time-limit", "nan"), "time")
    _bad(_grid(net, flows, "--stations", "2", "--max-deviation-km", "-5"), "deviation")
    sizes = _write(tmp_path, "sizes.csv", SIZES)
    _bad(
        _grid(net, flows, "--stations", "2", "--capacity", str(sizes), "--method", "greedy"),
        "--method greedy",
        "capacit",
    )


# ------------------------------------------------------------------------------- fuzz

TOKENS = ["", "nan", "inf", "-1", "0", "1e308", "abc", "é", "10 99", ",", '"', "10,25", "-0"]
OPS = ["cell", "drop_line", "dup_line", "drop_col", "swap_cols", "truncate", "header_only"]


def _mangle(text: str, ops: list[tuple[str, int, str]]) -> str:
    for op, k, tok in ops:
        lines = text.split("\n")
        n = max(1, len(lines))
        if op == "truncate":
            text = text[: k % (len(text) + 1)]
            continue
        if op == "header_only":
            lines = lines[:1]
        elif op == "drop_line":
            del lines[k % n]
        elif op == "dup_line":
            lines.insert(k % n, lines[k % n])
        else:
            rows = [ln.split(",") for ln in lines]
            if op == "cell":
                i = k % n
                if rows[i]:
                    rows[i][k % len(rows[i])] = tok
            else:
                for cells in rows:
                    if len(cells) > 1:
                        j = k % len(cells)
                        if op == "drop_col":
                            del cells[j]
                        else:
                            j2 = (j + 1) % len(cells)
                            cells[j], cells[j2] = cells[j2], cells[j]
            lines = [",".join(c) for c in rows]
        text = "\n".join(lines)
    return text


FILES = {
    "flows.csv": ("--flows", FLOWS),
    "cands.csv": ("--candidates", CANDS),
    "sizes.csv": ("--capacity", SIZES),
    "zones.csv": ("--zones", ZONES),
    "nodes.csv": (None, (SMALL / "nodes.csv").read_text()),
    "edges.csv": (None, (SMALL / "edges.csv").read_text()),
}
ops = st.lists(
    st.tuples(st.sampled_from(OPS), st.integers(0, 10**6), st.sampled_from(TOKENS)),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(name=st.sampled_from(sorted(FILES)), muts=ops, p=st.sampled_from(["1", "3", "20"]))
def test_fuzz_input_files(tmp_path_factory: pytest.TempPathFactory, name: str, muts, p) -> None:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("fuzz")
    net = _net(tmp)
    option, text = FILES[name]
    target = net / name if option is None else tmp / name
    target.write_text(_mangle(text, muts), encoding="utf-8")
    if option == "--zones":
        args = ["--network", str(net), "--zones", str(target)]
    else:
        args = [
            "--network",
            str(net),
            "--flows",
            str(tmp / "flows.csv" if name == "flows.csv" else net / "flows.csv"),
        ]
        if option in ("--candidates", "--capacity"):
            args += [option, str(target)]
    args += ["--range-km", "300", "--stations", p, "--time-limit", "5", "--json"]
    res = runner.invoke(app, ["site", *args])
    assert res.exit_code in {0, 2, 3}, (name, muts, res.output)
    assert "Traceback" not in res.output
    doc = json.loads(res.output)
    if res.exit_code == 2:
        msg = doc["message"]
        assert "\n" not in msg and msg.endswith("."), msg
        # the mangled file, or another input it broke (a cut edges.csv disconnects a flow)
        assert any(f in msg for f in FILES) or "--" in msg, msg
