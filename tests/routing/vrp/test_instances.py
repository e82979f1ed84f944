"""Benchmark readers: parameters, index mapping, distances, malformed files, unservable test."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from paths import DATA, SHARED

from h2lane.errors import InputFileError, OptionError
from h2lane.routing.vrp import (
    CUSTOMER,
    DEPOT,
    STATION,
    InstanceFormatError,
    VRPInstance,
    check_solution,
    find_unservable,
    load_bks,
    read_cec,
    read_emh,
    read_evrptw,
    read_instance,
)
from h2lane.routing.vrp.model import solution_distance

DATA_DIR = DATA / "vrp"
BENCH = Path(os.environ.get("H2LANE_BENCHMARKS", SHARED / "benchmarks"))
ROUTE_LINE = re.compile(r"^Route\s+\d+:\s*([\d\s]+?)\s*\(cost:\s*([0-9.]+)\)")


def shared(*parts: str) -> Path:
    path = BENCH.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared benchmark data not found at {path} (set H2LANE_BENCHMARKS)")
    return path


def read_reference(path: Path) -> tuple[list[list[int]], list[float]]:
    """Routes and per-route costs of an ``lh_model_*.txt`` reference solution."""
    routes, costs = [], []
    for line in path.read_text().splitlines():
        m = ROUTE_LINE.match(line)
        if m:
            routes.append([int(v) for v in m.group(1).split()])
            costs.append(float(m.group(2)))
    assert routes, f"no route lines in {path}"
    return routes, costs


# --------------------------------------------------------------------------- EMH


def test_emh_fixture_parameters() -> None:
    inst = read_emh(DATA_DIR / "AS1_20c3sU1.txt")
    assert inst.name == "AS1_20c3sU1"
    assert inst.n_nodes == 24
    assert inst.kinds[0] == DEPOT
    assert list(inst.stations) == [1, 2, 3]
    assert len(inst.customers) == 20 and inst.customers[0] == 4
    assert inst.labels[:5] == ["D", "BD12", "BD20", "BD13", "C1"]
    assert inst.x[0] == pytest.approx(-77.49439265) and inst.y[0] == pytest.approx(37.60851245)
    assert (inst.tank, inst.consumption, inst.speed) == (60.0, 0.2, 40.0)
    assert inst.tank / inst.consumption == pytest.approx(300.0)
    assert inst.max_duration == 10.75
    assert inst.refuel_fixed == 0.25 and inst.refuel_rate == 0.0
    assert np.all(inst.service[inst.customers] == 0.5) and inst.service[0] == 0.0
    assert np.all(inst.service[inst.stations] == 0.0)
    assert inst.full_refuel and inst.depot_refuels and inst.fleet_size is None
    assert inst.objective == "distance"
    assert np.all(np.isinf(inst.due)) and np.all(inst.demand == 0)
    assert (inst.distance_unit, inst.time_unit) == ("mi", "h")
    assert np.allclose(inst.dist, inst.dist.T) and np.all(np.diag(inst.dist) == 0)
    assert inst.unservable == []


def test_emh_duration_override() -> None:
    assert read_emh(DATA_DIR / "AS1_20c3sU1.txt", max_duration_h=11).max_duration == 11.0
    assert read_instance(DATA_DIR / "AS1_20c3sU1.txt", "emh").max_duration == 10.75
    tight = read_emh(DATA_DIR / "AS1_20c3sU1.txt", max_duration_h=5)
    assert tight.unservable  # far customers cannot be reached and left in 5 h
    with pytest.raises(OptionError):
        read_emh(DATA_DIR / "AS1_20c3sU1.txt", max_duration_h=0)


def test_emh_reference_solution_recomputes_and_passes() -> None:
    inst = read_emh(DATA_DIR / "AS1_20c3sU1.txt")
    routes, costs = read_reference(DATA_DIR / "lh_model_AS1_20c3sU1.txt")
    assert solution_distance(inst, routes) == pytest.approx(1797.495, abs=0.005)
    rep = check_solution(inst, routes)
    assert rep.ok, str(rep)
    assert rep.vehicles == 6
    assert rep.distance == pytest.approx(1797.495, abs=0.005)
    assert rep.route_distance == pytest.approx(costs, abs=1e-3)
    # the file's "(time: minutes)" of route 2 is 624.312
    assert rep.duration[1] * 60 == pytest.approx(624.312, abs=1e-3)
    assert max(rep.duration) <= 10.75


def test_emh_all_reference_solutions() -> None:
    folder = shared("gvrp_emh", "reference_solutions_lh_model")
    files = sorted(folder.glob("lh_model_*.txt"))
    assert len(files) == 40
    bks = load_bks(shared("gvrp_emh"))
    for sol in files:
        name = sol.stem.removeprefix("lh_model_")
        inst = read_emh(shared("gvrp_emh", "instances", "small", f"{name}.txt"))
        routes, costs = read_reference(sol)
        rep = check_solution(inst, routes)
        assert rep.ok, f"{name}: {rep}"
        assert rep.route_distance == pytest.approx(costs, abs=1e-3), name
        assert rep.distance >= bks[name]["bks"] - 0.01, name


# --------------------------------------------------------------------------- E-VRPTW


def test_evrptw_fixture_parameters() -> None:
    inst = read_evrptw(DATA_DIR / "c101C5.txt")
    assert inst.labels == ["D0", "S0", "S5", "S15", "C30", "C12", "C100", "C85", "C64"]
    assert list(inst.kinds) == [DEPOT, STATION, STATION, STATION] + [CUSTOMER] * 5
    assert inst.dist[0, 1] == 0.0  # S0 sits on the depot but is its own node
    assert inst.dist[0, 4] == pytest.approx(np.hypot(20, 5))  # not rounded
    assert (inst.tank, inst.load_capacity, inst.consumption) == (77.75, 200.0, 1.0)
    assert (inst.refuel_rate, inst.refuel_fixed, inst.speed) == (3.47, 0.0, 1.0)
    assert inst.ready[0] == 0.0 and inst.due[0] == 1236.0
    assert inst.max_duration == np.inf
    assert inst.demand[4] == 10 and inst.ready[4] == 355 and inst.due[4] == 407
    assert inst.service[4] == 90 and inst.service[1] == 0
    assert inst.objective == "vehicles-distance" and inst.full_refuel
    assert inst.unservable == []


def test_evrptw_bks_solution_passes() -> None:
    # c101C5: BKS 257.75 with 2 vehicles (Schneider et al. 2014, Table 3), found by enumeration
    inst = read_evrptw(DATA_DIR / "c101C5.txt")
    routes = [[0, 5, 2, 6, 0], [0, 3, 8, 4, 1, 7, 0]]
    rep = check_solution(inst, routes)
    assert rep.ok, str(rep)
    assert rep.distance == pytest.approx(257.75, abs=0.005)
    assert rep.vehicles == 2
    # without the depot-side station S0 the second route runs out of energy
    rep = check_solution(inst, [[0, 5, 2, 6, 0], [0, 3, 8, 4, 7, 0]])
    assert "range" in rep.kinds


def test_evrptw_shared_loads() -> None:
    inst = read_instance(shared("evrptw_schneider", "instances", "5", "c101C5.txt"), "evrptw")
    assert inst.n_nodes == 9
    big = read_evrptw(shared("evrptw_schneider", "instances", "100", "c101_21.txt"))
    assert len(big.customers) == 100 and len(big.stations) == 21
    assert big.labels[1] == "S0" and big.dist[0, 1] == 0.0
    assert big.unservable == []
    bks = load_bks(shared("evrptw_schneider"))
    assert bks["c101C5"]["bks"] == pytest.approx(257.75)
    assert bks["c101C5"]["optimal"] is True


# --------------------------------------------------------------------------- CEC


def test_cec_fixture_parameters() -> None:
    inst = read_cec(DATA_DIR / "E-n22-k4.evrp")
    assert inst.name == "E-n22-k4"
    assert inst.n_nodes == 30
    assert inst.labels == [str(i) for i in range(1, 31)]  # depot id 1 -> index 0
    assert inst.kinds[0] == DEPOT
    assert list(inst.customers) == list(range(1, 22))
    assert list(inst.stations) == list(range(22, 30))
    assert (inst.load_capacity, inst.tank, inst.consumption) == (6000.0, 94.0, 1.2)
    assert inst.demand[1] == 1100 and inst.demand[21] == 700 and inst.demand[0] == 0
    assert inst.dist[0, 1] == pytest.approx(np.hypot(6, 49))
    assert inst.depot_refuels and inst.full_refuel and inst.refuel_rate == 0
    assert inst.speed == 1 and np.all(inst.service == 0) and np.all(np.isinf(inst.due))
    assert inst.max_duration == np.inf and inst.fleet_size is None
    assert inst.objective == "distance"
    assert inst.unservable == []


def test_cec_depot_not_first(tmp_path: Path) -> None:
    text = (DATA_DIR / "E-n22-k4.evrp").read_text()
    text = text.replace("DEPOT_SECTION\n1\n", "DEPOT_SECTION\n5\n")
    text = text.replace("\n1 0\n", "\n1 1400\n").replace("\n5 1400\n", "\n5 0\n")
    path = tmp_path / "moved.evrp"
    path.write_text(text)
    inst = read_cec(path)
    assert inst.labels[:6] == ["5", "1", "2", "3", "4", "6"]
    assert inst.kinds[0] == DEPOT and inst.x[0] == 128 and inst.demand[1] == 1400


def test_cec_shared_loads() -> None:
    folder = shared("cec2020_evrp", "instances")
    inst = read_instance(folder / "E-n22-k4.evrp", "cec")
    assert len(inst.customers) == 21 and len(inst.stations) == 8
    for path in sorted(folder.glob("*.evrp")):
        big = read_cec(path)
        assert big.unservable == [], path.name
    assert load_bks(shared("cec2020_evrp"))["E-n22-k4"]["bks"] == pytest.approx(384.68)


# --------------------------------------------------------------------------- dispatch and BKS


def test_read_instance_rejects_unknown_format() -> None:
    with pytest.raises(OptionError, match="Unknown instance format 'xyz'"):
        read_instance(DATA_DIR / "c101C5.txt", "xyz")  # type: ignore[arg-type]
    with pytest.raises(OptionError):
        read_instance(DATA_DIR / "c101C5.txt", "evrptw", max_duration_h=5)


def test_load_bks(tmp_path: Path) -> None:
    (tmp_path / "bks.csv").write_text("instance,bks,optimal,source\na,12.5,yes,x\nb,7,no,y\n")
    bks = load_bks(tmp_path)
    assert bks["a"] == {"instance": "a", "bks": 12.5, "optimal": True, "source": "x"}
    assert bks["b"]["optimal"] is False
    (tmp_path / "bks.csv").write_text("instance,bks\na,12.5\nb,abc\n")
    with pytest.raises(InstanceFormatError, match=r"bks.csv, line 3, field 'bks': 'abc' is not"):
        load_bks(tmp_path)
    with pytest.raises(InstanceFormatError, match="does not exist"):
        load_bks(tmp_path / "nowhere")


# --------------------------------------------------------------------------- malformed files


def _emh_text() -> str:
    return (DATA_DIR / "AS1_20c3sU1.txt").read_text()


def _evrptw_text() -> str:
    return (DATA_DIR / "c101C5.txt").read_text()


def _cec_text() -> str:
    return (DATA_DIR / "E-n22-k4.evrp").read_text()


def _drop_line(text: str, start: str) -> str:
    return "\n".join(ln for ln in text.splitlines() if not ln.startswith(start)) + "\n"


def _sub_line(text: str, number: int, new: str) -> str:
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


MALFORMED = [
    # (format, file text, expected line, fragment of the problem)
    ("emh", lambda: _drop_line(_emh_text(), "Q "), 30, "without the 'Q' parameter line"),
    ("emh", lambda: _drop_line(_emh_text(), "v "), 30, "without the 'v' parameter line"),
    ("emh", lambda: _sub_line(_emh_text(), 6, "C1\tc\t-76.27\tabc"), 6, "'abc' is not a number"),
    ("emh", lambda: _sub_line(_emh_text(), 6, "C1\tx\t-76.27\t36.1"), 6, "unknown node type 'x'"),
    ("emh", lambda: _sub_line(_emh_text(), 6, "C1\tc\t-76.27"), 6, "needs 4 columns"),
    ("emh", lambda: _sub_line(_emh_text(), 6, "C2\tc\t-76.27\t36.1"), 7, "listed twice"),
    ("emh", lambda: _sub_line(_emh_text(), 6, "D2\td\t-76.27\t36.1"), 6, "second depot"),
    ("emh", lambda: _sub_line(_emh_text(), 2, "D\tc\t-76.27\t36.1"), 2, "must be the depot"),
    (
        "emh",
        lambda: _sub_line(_emh_text(), 6, "C1\tc\t-276.27\t36.1"),
        6,
        "outside the valid range",
    ),
    ("emh", lambda: _emh_text().replace("/60/", "/sixty/"), 27, "'sixty' is not a number"),
    ("emh", lambda: _emh_text().replace("/40/", "/0/"), 30, "'v' must be positive"),
    ("emh", lambda: _emh_text().replace("/60/", "/60"), 27, "cannot read the parameter line"),
    ("emh", lambda: _emh_text() + "C99\tc\t-76.0\t36.0\n", 32, "follows the parameter lines"),
    ("emh", lambda: "ID Type Longitude Latitude\n", 1, "contains no node rows"),
    ("evrptw", lambda: _drop_line(_evrptw_text(), "g "), 15, "without the 'g' parameter line"),
    (
        "evrptw",
        lambda: _evrptw_text().replace("10.0       355.0", "ten        355.0"),
        6,
        "'ten' is not a number",
    ),
    (
        "evrptw",
        lambda: _evrptw_text().replace("355.0      407.0", "455.0      407.0"),
        6,
        "DueDate 407 before ReadyTime 455",
    ),
    (
        "evrptw",
        lambda: _evrptw_text().replace("C12        c", "C12        z"),
        7,
        "unknown node type 'z'",
    ),
    (
        "cec",
        lambda: _drop_line(_cec_text(), "ENERGY_CAPACITY"),
        11,
        "no 'ENERGY_CAPACITY: <value>'",
    ),
    (
        "cec",
        lambda: _cec_text().replace("DEMAND_SECTION", "DEMANDS"),
        43,
        "'DEMANDS' is not a known section",
    ),
    (
        "cec",
        lambda: _cec_text().split("DEMAND_SECTION")[0] + "EOF\n",
        43,
        "has no DEMAND_SECTION",
    ),
    (
        "cec",
        lambda: _cec_text().replace("\n2 151 264", "\n2 151 x264"),
        14,
        "'x264' is not a number",
    ),
    ("cec", lambda: _cec_text().replace("\n23  \n", "\n99\n"), 67, "node 99 is not in NODE_COORD"),
    ("cec", lambda: _cec_text().replace("\n30 155 254", ""), 12, "lists 29 nodes but DIMENSION"),
    ("cec", lambda: _cec_text().replace("\n2 1100", ""), 43, "customer 2 has no demand line"),
    (
        "cec",
        lambda: _cec_text().replace("DEPOT_SECTION\n1\n", "DEPOT_SECTION\n"),
        75,
        "exactly one depot",
    ),
    ("cec", lambda: _cec_text().replace("EUC_2D", "GEO"), 11, "'GEO' is not supported"),
    ("cec", lambda: _cec_text().replace("CAPACITY: 6000", "CAPACITY: -5"), 8, "must be positive"),
]


@pytest.mark.parametrize(("fmt", "make", "line", "fragment"), MALFORMED)
def test_malformed_file_gives_one_sentence(
    tmp_path: Path, fmt: str, make, line: int, fragment: str
) -> None:
    path = tmp_path / f"bad.{fmt}"
    path.write_text(make())
    with pytest.raises(InstanceFormatError) as info:
        read_instance(path, fmt)  # type: ignore[arg-type]
    msg = str(info.value)
    assert isinstance(info.value, InputFileError)
    assert msg.startswith(str(path) + ", ")
    assert f"line {line}" in msg, msg
    assert fragment in msg, msg
    assert msg.endswith(".") and "\n" not in msg and msg.count(". ") == 0, msg
    assert info.value.line == line


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InstanceFormatError, match="does not exist"):
        read_evrptw(tmp_path / "none.txt")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InstanceFormatError, match="not a UTF-8 text file"):
        read_emh(tmp_path / "bin.txt")


# --------------------------------------------------------------------------- unservable customers


def _line_instance(xs: list[float], kinds: list[int], **kw) -> VRPInstance:
    x = np.asarray(xs, dtype=float)
    inst = VRPInstance(
        name="line",
        kinds=np.asarray(kinds, dtype=np.int8),
        labels=[f"n{i}" for i in range(len(xs))],
        x=x,
        y=np.zeros_like(x),
        dist=np.abs(x[:, None] - x[None, :]),
        **kw,
    )
    return inst


def test_find_unservable_uses_station_chains() -> None:
    # depot 0, stations at 8 and 16, customers at 4, 20, 30 and -7; tank 10
    kinds = [DEPOT, STATION, STATION, CUSTOMER, CUSTOMER, CUSTOMER, CUSTOMER]
    inst = _line_instance([0, 8, 16, 4, 20, 30, -7], kinds, tank=10.0)
    # 20 is reachable through both stations; 30 is 14 beyond the last station; -7 needs 14 > 10
    assert find_unservable(inst) == [5, 6]
    assert inst.unservable == [5, 6]
    # a duration limit: 0 -> 8 -> 16 -> 20 and back is 40 long, plus two refuel stops of 1 each way
    inst = _line_instance([0, 8, 16, 4, 20], kinds[:5], tank=10.0, refuel_fixed=1.0)
    inst.max_duration = 44.0
    assert find_unservable(inst) == []
    inst.max_duration = 43.9
    assert find_unservable(inst) == [4]


def test_find_unservable_time_windows_and_load() -> None:
    kinds = [DEPOT, STATION, CUSTOMER, CUSTOMER, CUSTOMER]
    inst = _line_instance(
        [0, 8, 4, 12, 5],
        kinds,
        tank=10.0,
        refuel_rate=0.5,
        demand=np.array([0, 0, 1, 1, 3.0]),
        load_capacity=2.0,
    )
    inst.due = np.array([40.0, 40, 4, 14, 40])
    # 12 is reached via the station at 8: arrive 8 with 2 left, refill 8 units = 4 time, on to 12 at 16
    assert find_unservable(inst) == [3, 4]  # 3 is late (16 > 14); 4 exceeds the load capacity
    inst.due[3] = 16.0
    assert find_unservable(inst) == [4]
    inst.due[0] = 27.9  # back home from 12 needs 12 more and 12 > 10: via the station again
    assert 3 in find_unservable(inst)


@pytest.mark.parametrize(
    "folder, pattern",
    [
        ("small", "*.txt"),
        ("large", "LargeVAInput_111c_*.txt"),
        ("large", "LargeVAInput_500c_*.txt"),
    ],
)
def test_emh_servable_customers_have_a_route_of_their_own(folder: str, pattern: str) -> None:
    """The solver's station-path options keep a solo route for every customer the
    unservable test keeps (500c once lost R241 to the cap on options per pair)."""
    import math

    from h2lane.routing.vrp.solver import _Data

    files = sorted(shared("gvrp_emh", "instances", folder).glob(pattern))
    assert files
    for path in files:
        inst = read_emh(path)
        vt = _Data(inst).types[0]
        lost = [
            inst.labels[c]
            for c in inst.customers
            if c not in inst.unservable and not math.isfinite(vt.cost([int(c)]))
        ]
        assert lost == [], f"{path.name}: {lost}"


def test_emh_more_stations_never_lengthen_a_route() -> None:
    """111c_24s has 111c_22s's stations and two more: no route may cost more there (with 12
    candidate first/last stations of 25, 16 of 300 random routes did)."""
    import math

    from h2lane.routing.vrp.solver import _Data

    folder = shared("gvrp_emh", "instances", "large")
    a = read_emh(folder / "LargeVAInput_111c_22s.txt")
    b = read_emh(folder / "LargeVAInput_111c_24s.txt")
    ta, tb = _Data(a).types[0], _Data(b).types[0]
    ia = {label: i for i, label in enumerate(a.labels)}
    ib = {label: i for i, label in enumerate(b.labels)}
    customers = [a.labels[c] for c in a.customers if c not in a.unservable]
    rng = np.random.default_rng(0)
    worse = []
    for _ in range(300):
        seq = [str(x) for x in rng.choice(customers, size=3, replace=False)]
        ca, cb = ta.cost([ia[x] for x in seq]), tb.cost([ib[x] for x in seq])
        if cb > ca + 1e-6 or (math.isfinite(ca) and not math.isfinite(cb)):
            worse.append((seq, ca, cb))
    assert worse == []
