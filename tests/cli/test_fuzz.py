"""Fuzz the ``h2lane`` command line with odd option values and mangled input files.

Every invocation goes through ``typer.testing.CliRunner`` on ``h2lane.cli.app`` and must end in
the error model's terms:

- exit code 0 (done), 2 (bad input) or 3 (infeasible), and never a traceback;
- with ``--json``, valid JSON on stdout (no NaN/Infinity), also on errors;
- on exit 2, a message naming the file or the option that is wrong;
- a NaN/±inf value, or a negative one for a quantity that cannot be negative, is bad input (exit 2);
- no number beyond ±1e100 in the JSON output (an overflow or an absurd input let through);
- an invocation that runs longer than ``CALL_SECONDS`` is reported as a hang.

Strategies: random mixes of options per command; one option at a time against an otherwise
valid command; input files from ``tests/data`` mangled (truncated, lines and columns dropped,
duplicated or swapped, tokens replaced by other types or odd text, NaN cells, UTF-16/Latin-1/
invalid bytes, BOM, CRLF); and every data number of every input file replaced by NaN/inf,
which must be refused naming the file. Hypothesis does not shrink (that can take minutes on a
CLI): the failing example is reported as generated.

Runs are derandomized so CI is reproducible. Environment:

- ``H2LANE_FUZZ_EXAMPLES=N`` runs every test with ``N`` examples (a longer run by hand);
- ``H2LANE_FUZZ_LOG=FILE`` records every problem as a JSON line in ``FILE`` instead of failing,
  so one run lists every failure, not only the first of each test.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from paths import DATA
from typer.testing import CliRunner

from h2lane.cli import app

pytestmark = pytest.mark.slow  # about a minute in all; `-m "not slow"` leaves it out

EXAMPLES = int(os.environ.get("H2LANE_FUZZ_EXAMPLES", "0") or 0)
LOG = os.environ.get("H2LANE_FUZZ_LOG")
CALL_SECONDS = 20  # one invocation longer than this is a hang (the solver JIT is warmed first)
ALLOWED_EXITS = {0, 2, 3}
runner = CliRunner()
T = TypeVar("T")


@pytest.fixture(scope="module", autouse=True)
def _warm_solver() -> None:
    """Compile (or load) the solver's numba kernels once, outside the per-call time box."""
    runner.invoke(
        app,
        [
            "vrp",
            "solve",
            str(DATA / "vrp" / "native" / "tiny-euclidean.yaml"),
            "--format",
            "h2lane",
            "--time-limit",
            "0.1",
        ],
    )


def fuzz(n: int) -> Any:
    """Hypothesis settings: ``n`` examples (or ``H2LANE_FUZZ_EXAMPLES``), reproducible."""
    return settings(
        max_examples=EXAMPLES or n,
        deadline=None,
        derandomize=True,
        database=None,
        # no shrinking: it can take minutes on a slow CLI; the failing example is shown as is
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


# ------------------------------------------------------------------------ option values

ODD_NUMBERS = [
    "nan", "NaN", "inf", "-inf", "Infinity", "-1", "0", "-0", "1e308", "-1e308", "1e309",
    "99999999999999999999999999999", "1e-320", "", " ", "abc", "1,5", "0x10", "１２", "½",
]  # fmt: skip
EDGE_NUMBERS = ["nan", "inf", "-inf", "-1", "-0.001", "-1e308", "1e308", "1e300", "1e309", "-1e309"]
numbers = st.one_of(
    st.sampled_from(EDGE_NUMBERS),
    st.sampled_from(EDGE_NUMBERS),
    st.sampled_from(ODD_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(0.01, 100.0).map(lambda x: f"{x:.3g}"),
)
ODD_TEXT = [
    "", " ", "nan", "inf", "-1", "é", "北京", "🚚", "\x00", "a" * 300, "../..", "'", '"', "\\",
    "-", "lat,lon", "None", "null",
]  # fmt: skip
text = st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=12))
PLACES = [
    "Xiaoyi", "Baoding", "tianjin port", "TAIYUAN", "37.145,111.785", "38.874,115.465",
    "nan,nan", "inf,0", "91,0", "0,181", "37.1,", ",111", "37.1,111.7,5", "1e308,1e308",
    " 37.145 , 111.785 ", "37,145;111,785", "0,0", "-90,0", "A", "B",
]  # fmt: skip
GOOD_PLACES = ["Xiaoyi", "Baoding", "Tianjin Port", "Taiyuan", "37.145,111.785"]
good_places = st.sampled_from(GOOD_PLACES)
places = st.one_of(st.sampled_from(PLACES), text)
# mostly places that exist, so that the other options are what gets tested
mostly_good_places = st.one_of(good_places, good_places, good_places, places)
TIMES = [
    "", "08:00", "25:00", "24:00", "07:60", "2026-12-02T08:00", "2026-12-02T08:00+08:00",
    "2026-12-02T08:00Z", "2026-13-01T08:00", "2026-02-30T08:00", "0001-01-01T00:00",
    "9999-12-31T23:59", "nan", "tomorrow", "2026-12-02T08:00+99:00", "-1", "1e308",
]  # fmt: skip
times = st.one_of(st.sampled_from(TIMES), text)

# Options whose values cannot be NaN/inf (all) nor negative (those marked True).
NON_NEGATIVE = {
    "--tank-kg": True, "--kg-per-100km": True, "--kg-per-100km-empty": True, "--speed-kmh": True,
    "--start-kg": True, "--reserve-kg": True, "--tonnes": True, "--max-duration-h": True,
    "--start-level": True, "--dispensers": True, "--time-limit": True, "--seed": False,
    "--h2-wtt-kg-per-kg": False, "--cog-allocation": True, "--cog-burden": False,
    "--delivery-km": True, "--diesel-l-per-100km": True, "--diesel-empty-l-per-100km": True,
    "--diesel-wtw-kg-per-l": True,
}  # fmt: skip


def clearly_invalid(flag: str, value: str) -> bool:
    """A number no quantity may take: NaN or ±inf, or negative where that makes no sense."""
    try:
        x = float(value)
    except ValueError:
        return False  # not a number at all: the parser's own error, exit 2, checked anyway
    if not math.isfinite(x):
        return True
    return NON_NEGATIVE.get(flag, False) and x < 0


# ------------------------------------------------------------------------------ mangling

BAD_TOKENS = [
    "", "nan", "NaN", "inf", "-inf", "-1", "0", "1e308", "99999999999999999999999", "abc",
    "null", "~", "true", "[1, 2]", "{}", '""', "é", "🚚", ",", ":", "#", "\t", "'", '"', "-",
]  # fmt: skip
OPS = [
    "truncate", "drop_line", "dup_line", "drop_col", "dup_col", "swap_cols", "token", "nan_cell",
    "utf16", "latin1", "bad_bytes", "empty", "bom", "crlf", "header_only", "dup_key",
]  # fmt: skip
mutation = st.tuples(st.sampled_from(OPS), st.integers(0, 10**6), st.sampled_from(BAD_TOKENS))
mutations = st.lists(mutation, min_size=1, max_size=3)
TOKEN = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_-]*")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")


def _split(line: str) -> tuple[list[str], str]:
    for sep in (",", "\t"):
        if sep in line:
            return line.split(sep), sep
    return line.split(), " "


def mangle(data: bytes, muts: Sequence[tuple[str, int, str]]) -> bytes:
    """Apply the mutations in order (each is deterministic in its integer)."""
    for op, k, tok in muts:
        text = data.decode("utf-8", errors="surrogateescape")
        lines = text.split("\n")
        n = max(1, len(lines))
        if op == "truncate":
            data = data[: k % (len(data) + 1)]
            continue
        if op == "utf16":
            data = data.decode("utf-8", errors="replace").encode("utf-16")
            continue
        if op == "latin1":
            data = ("é" + text).encode("latin-1", errors="replace")
            continue
        if op == "bad_bytes":
            at = k % (len(data) + 1)
            data = data[:at] + b"\xff\xfe\xc3\x28" + data[at:]
            continue
        if op == "empty":
            data = b""
            continue
        if op == "bom":
            data = b"\xef\xbb\xbf" + data
            continue
        if op == "crlf":
            data = data.replace(b"\n", b"\r\n")
            continue
        if op == "drop_line":
            del lines[k % n]
        elif op == "dup_line":
            i = k % n
            lines.insert(i, lines[i] if lines else "")
        elif op == "header_only":
            lines = lines[:1]
        elif op == "dup_key":
            # repeat a "key: value" / "key,..." line further down (duplicate keys, rows, ids)
            keyed = [ln for ln in lines if ":" in ln or "," in ln]
            if keyed:
                lines.append(keyed[k % len(keyed)])
        elif op in ("drop_col", "dup_col", "swap_cols"):
            out = []
            for ln in lines:
                cells, sep = _split(ln)
                if len(cells) > 1:
                    j = k % len(cells)
                    if op == "drop_col":
                        del cells[j]
                    elif op == "dup_col":
                        cells.insert(j, cells[j])
                    else:
                        j2 = (j + 1) % len(cells)
                        cells[j], cells[j2] = cells[j2], cells[j]
                out.append(sep.join(cells))
            lines = out
        elif op in ("token", "nan_cell"):
            pattern = NUMBER if op == "nan_cell" else TOKEN
            found = list(pattern.finditer(text))
            if found:
                m = found[k % len(found)]
                new = "NaN" if op == "nan_cell" else tok
                text = text[: m.start()] + new + text[m.end() :]
            data = text.encode("utf-8", errors="surrogateescape")
            continue
        data = "\n".join(lines).encode("utf-8", errors="surrogateescape")
    return data


# ------------------------------------------------------------------------ running, checks


class CommandHang(BaseException):
    """An invocation ran longer than ``CALL_SECONDS``."""


@contextmanager
def _time_box(seconds: int) -> Iterator[None]:
    def _raise(signum: int, frame: FrameType | None) -> None:
        raise CommandHang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _huge_numbers(doc: Any, path: str = "") -> list[tuple[str, float]]:
    """Numbers beyond ±1e100 in a JSON document (an overflow or an absurd input let through)."""
    if isinstance(doc, dict):
        return [h for k, v in doc.items() for h in _huge_numbers(v, f"{path}.{k}")]
    if isinstance(doc, list):
        return [h for i, v in enumerate(doc) for h in _huge_numbers(v, f"{path}[{i}]")]
    if isinstance(doc, float | int) and not isinstance(doc, bool) and abs(doc) > 1e100:
        return [(path or ".", doc)]
    return []


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} in JSON output")


def problems(args: Sequence[str], files: Sequence[Path] = ()) -> tuple[list[str], int | None]:
    """Run the CLI with ``args``; what is wrong with how it ended, and its exit code."""
    args = list(args)
    try:
        with _time_box(CALL_SECONDS):
            res = runner.invoke(app, args)
    except CommandHang as hang:
        return [f"hang: {hang}"], None
    out: list[str] = []
    exc = res.exception
    if exc is not None and not isinstance(exc, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        last = [ln for ln in tb.strip().splitlines() if ln.strip()][-4:]
        out.append(f"traceback: {type(exc).__name__}: {exc!s:.300}\n" + "\n".join(last))
    elif res.exit_code not in ALLOWED_EXITS:
        out.append(f"exit code {res.exit_code}: {res.output[-300:]!r}")
    if "Traceback (most recent call last)" in res.output:
        out.append(f"traceback printed: {res.output[-300:]!r}")
    message = ""
    if "--json" in args and (exc is None or isinstance(exc, SystemExit)):
        try:
            doc = json.loads(res.stdout, parse_constant=_no_constants)
            if isinstance(doc, dict):
                message = str(doc.get("message", ""))
            huge = _huge_numbers(doc)
            if res.exit_code == 0 and huge:
                out.append(f"absurd value in the JSON output: {huge[0][0]} = {huge[0][1]!r}")
            if res.exit_code == 2 and not (isinstance(doc, dict) and "error" in doc):
                out.append(
                    f"exit {res.exit_code} with --json but no 'error' key: {res.stdout[:200]!r}"
                )
        except ValueError as e:
            out.append(
                f"exit {res.exit_code} with --json but stdout is not JSON ({e!s:.80}): "
                f"stdout={res.stdout[:160]!r} stderr={res.stderr[:200]!r}"
            )
    if res.exit_code == 2:
        said = res.output + "\n" + message
        # the file (its name, or the path as given), the option, or the bad value quoted
        names = [f.name for f in files] + [a for a in args if a.startswith("--")]
        names += [a.lstrip("-").replace("-", "_") for a in args if a.startswith("--")]
        names += [str(Path(a)) for a in args if "/" in a] + [str(f) for f in files]
        names += [f"'{a}'" for a in args] + [repr(a) for a in args]
        names += [json.dumps(repr(a))[1:-1] for a in args]  # as quoted inside a JSON message
        if not any(nm and nm in said for nm in names) and not re.search(r"--[a-z]", said):
            out.append(f"exit 2 names neither the file nor the option: {said[-300:]!r}")
    last: dict[str, str] = {}  # a repeated option: the last value is the one that counts
    for f, v in zip(args, args[1:], strict=False):
        if f in NON_NEGATIVE:
            last[f] = v
    bad = [(f, v) for f, v in last.items() if clearly_invalid(f, v)]
    if bad and res.exit_code != 2:
        out.append(
            f"accepted {bad[0][0]} {bad[0][1]!r}: exit {res.exit_code}, {res.output[:200]!r}"
        )
    return out, res.exit_code


def check(args: Sequence[str], files: Sequence[Path] = ()) -> None:
    """Fail (or, with ``H2LANE_FUZZ_LOG``, record) the problems of one invocation."""
    found, _ = problems(args, files)
    if found and LOG:
        shown = [str(a) for a in args]
        with open(LOG, "a", encoding="utf-8") as fh:
            for p in found:
                fh.write(json.dumps({"args": shown, "problem": p}, ensure_ascii=False) + "\n")
        return
    assert not found, f"h2lane {' '.join(map(repr, args))}\n" + "\n".join(found)


def opts(pairs: Sequence[tuple[str, str | None]]) -> list[str]:
    """``[flag, value, ...]`` for the values that are not ``None``."""
    out: list[str] = []
    for flag, value in pairs:
        if value is not None:
            out += [flag, value]
    return out


def maybe(s: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.one_of(st.none(), s)


OUT_PATHS = ["out.html", "no/such/dir/out.html", ".", "", "afile.txt/out.html", "ü ñ/out.html"]
out_paths = st.sampled_from(OUT_PATHS)
MISSING = ["does-not-exist.csv", "no/such/dir/file.csv", "", ".", "afile.txt/x.csv"]


def _out(tmp: Path, rel: str) -> str:
    """An output path under ``tmp`` (``afile.txt`` exists there as a file)."""
    (tmp / "afile.txt").write_text("x")
    return str(tmp / rel) if rel else ""


def _write(tmp: Path, name: str, src: Path, muts: Sequence[tuple[str, int, str]]) -> Path:
    path = tmp / name
    path.write_bytes(mangle(src.read_bytes(), muts))
    return path


@contextmanager
def workdir() -> Iterator[Path]:
    """A scratch directory that is also the current directory (relative outputs land there)."""
    old = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="h2fuzz-") as d:
        os.chdir(d)
        try:
            yield Path(d)
        finally:
            os.chdir(old)


# -------------------------------------------------------------------------------- trip

json_flag = st.sampled_from([["--json"], [], ["--json"]])


@fuzz(30)
@given(
    origin=mostly_good_places,
    destination=mostly_good_places,
    via=maybe(mostly_good_places),
    numeric=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "--tank-kg",
                    "--kg-per-100km",
                    "--kg-per-100km-empty",
                    "--speed-kmh",
                    "--start-kg",
                    "--reserve-kg",
                    "--tonnes",
                ]
            ),
            numbers,
        ),
        max_size=3,
    ),
    truck=maybe(st.one_of(st.sampled_from(["legacy-35mpa", "pengfei-49t-70mpa"]), text)),
    optimize=maybe(st.sampled_from(["time", "cost", "TIME", "", "money"])),
    refuel=maybe(st.sampled_from(["partial", "full", "none", ""])),
    depart=maybe(times),
    flags=st.lists(
        st.sampled_from(["--round-trip", "--return-loaded", "--return-empty"]), max_size=2
    ),
    map_to=maybe(out_paths),
    as_json=json_flag,
)
def test_trip_options(
    origin, destination, via, numeric, truck, optimize, refuel, depart, flags, map_to, as_json
) -> None:
    with workdir() as tmp:
        args = ["trip", "--from", origin, "--to", destination, *opts([("--via", via)])]
        for flag, value in numeric:
            args += [flag, value]
        args += opts([("--truck", truck), ("--optimize", optimize), ("--refuel", refuel)])
        args += opts([("--depart", depart)]) + flags
        args += opts([("--map", _out(tmp, map_to) if map_to is not None else None)]) + as_json
        check(args)


@fuzz(40)
@given(
    which=st.sampled_from(["stations", "scenario", "roads-nodes", "roads-edges", "missing"]),
    muts=mutations,
    missing=st.sampled_from(MISSING),
    as_json=json_flag,
)
def test_trip_files(which, muts, missing, as_json) -> None:
    with workdir() as tmp:
        args = ["trip", "--from", "Xiaoyi", "--to", "Baoding"]
        files: list[Path] = []
        if which == "stations":
            files.append(_write(tmp, "stations.csv", DATA / "stations.csv", muts))
            args += ["--stations", str(files[-1])]
        elif which == "scenario":
            files.append(_write(tmp, "mini-scenario.yaml", DATA / "mini-scenario.yaml", muts))
            args = ["trip", "--from", "A", "--to", "B", "--scenario", str(files[-1])]
        elif which.startswith("roads"):
            roads = tmp / "mini-graph"
            roads.mkdir()
            for name in ("nodes.csv", "edges.csv"):
                src = DATA / "mini-graph" / name
                mm = muts if which.endswith(name.split(".")[0]) else []
                files.append(_write(roads, name, src, mm))
            files.append(roads)
            args = ["trip", "--from", "38.0,114.0", "--to", "38.0,115.0", "--roads", str(roads)]
        else:
            (tmp / "afile.txt").write_text("x")
            path = str(tmp / missing) if missing else ""
            files.append(Path(path))
            args += [["--stations", "--scenario", "--roads"][len(missing) % 3], path]
        check(args + as_json, files)


# ---------------------------------------------------------------------------- dispatch


@fuzz(20)
@given(
    muts=st.one_of(st.just([]), mutations),
    reserve=maybe(numbers),
    depart=maybe(times),
    optimize=maybe(st.sampled_from(["time", "cost", "", "x"])),
    stations_muts=maybe(mutations),
    map_to=maybe(out_paths),
    as_json=json_flag,
)
def test_dispatch(muts, reserve, depart, optimize, stations_muts, map_to, as_json) -> None:
    with workdir() as tmp:
        scen = _write(tmp, "mini-scenario.yaml", DATA / "mini-scenario.yaml", muts)
        files = [scen]
        args = ["dispatch", "--scenario", str(scen)]
        if stations_muts is not None:
            files.append(_write(tmp, "stations.csv", DATA / "stations.csv", stations_muts))
            args += ["--stations", str(files[-1])]
        args += opts([("--reserve-kg", reserve), ("--depart", depart), ("--optimize", optimize)])
        args += opts([("--map", _out(tmp, map_to) if map_to is not None else None)])
        check(args + as_json, files)


@fuzz(3)
@given(reserve=st.sampled_from(["nan", "-1", "inf", "1e308"]), depart=maybe(times))
def test_dispatch_bundled_scenario(reserve, depart) -> None:
    with workdir():
        check(["dispatch", "--reserve-kg", reserve, *opts([("--depart", depart)]), "--json"])


# ------------------------------------------------------------------------ roads, scenario


@fuzz(25)
@given(
    sub=st.sampled_from(["info", "route"]),
    origin=places,
    destination=places,
    which=st.sampled_from(["nodes", "edges", "bundled", "missing"]),
    muts=mutations,
    missing=st.sampled_from([*MISSING, "north-china", "south-china", "../north-china"]),
    as_json=json_flag,
)
def test_roads(sub, origin, destination, which, muts, missing, as_json) -> None:
    with workdir() as tmp:
        files: list[Path] = []
        if which in ("nodes", "edges"):
            roads = tmp / "mini-graph"
            roads.mkdir()
            for name in ("nodes", "edges"):
                src = DATA / "mini-graph" / f"{name}.csv"
                files.append(_write(roads, f"{name}.csv", src, muts if name == which else []))
            files.append(roads)
            spec = str(roads)
        elif which == "missing":
            (tmp / "afile.txt").write_text("x")
            spec = str(tmp / missing) if "/" in missing or missing in ("", ".") else missing
            files.append(Path(spec))
        else:
            spec = "north-china"
        # `roads route` has no --roads: it always uses the bundled graph
        args = ["roads", sub] + (["--roads", spec] if sub == "info" else [])
        if sub == "route":
            args += ["--from", origin, "--to", destination]
        check(args + as_json, files)


@fuzz(40)
@given(
    sub=st.sampled_from(["validate", "show", "export"]),
    src=st.sampled_from(["mini-scenario.yaml", "bundled"]),
    muts=mutations,
    geojson=maybe(out_paths),
    yaml_to=maybe(out_paths),
    csv_dir=maybe(st.sampled_from(["csv", "no/such/dir", "afile.txt", "", "."])),
    as_json=json_flag,
)
def test_scenario(sub, src, muts, geojson, yaml_to, csv_dir, as_json) -> None:
    with workdir() as tmp:
        if src == "bundled":
            from h2lane.scenario import io as scenario_io

            base = tmp / "shanxi-tianjin.yaml"
            scenario_io.write_yaml(scenario_io.load_scenario("shanxi-tianjin"), base)
            scen = _write(tmp, "shanxi.yaml", base, muts)
        else:
            scen = _write(tmp, "mini-scenario.yaml", DATA / src, muts)
        if sub == "validate":
            args = ["scenario", "validate", str(scen)]
        elif sub == "show":
            args = ["scenario", "show", "--scenario", str(scen)]
        else:
            args = ["scenario", "export", "--scenario", str(scen)]
            args += opts([("--geojson", _out(tmp, geojson) if geojson is not None else None)])
            args += opts([("--yaml", _out(tmp, yaml_to) if yaml_to is not None else None)])
            args += opts([("--csv-dir", _out(tmp, csv_dir) if csv_dir is not None else None)])
        if sub != "export":
            args += as_json
        check(args, [scen])


# --------------------------------------------------------------------------- emissions

EMISSIONS_NUMERIC = [
    "--h2-wtt-kg-per-kg", "--cog-allocation", "--cog-burden", "--delivery-km",
    "--diesel-l-per-100km", "--diesel-empty-l-per-100km", "--diesel-wtw-kg-per-l",
]  # fmt: skip


@fuzz(25)
@given(
    numeric=st.lists(st.tuples(st.sampled_from(EMISSIONS_NUMERIC), numbers), max_size=3),
    toc_by=maybe(st.one_of(st.sampled_from(["all", "truck", "month", "year", ""]), text)),
    pathway=maybe(
        st.one_of(st.sampled_from(["cog-psa", "grid-electrolysis", "wind-pv-electrolysis"]), text)
    ),
    grid=maybe(st.one_of(st.sampled_from(["north-china", "china-average", ""]), text)),
    source=st.sampled_from(["--ledger", "--plan", "--list-pathways", "none", "both"]),
    outputs=st.lists(
        st.tuples(st.sampled_from(["--report", "--csv", "--ileap"]), out_paths), max_size=2
    ),
    as_json=json_flag,
)
def test_emissions_options(numeric, toc_by, pathway, grid, source, outputs, as_json) -> None:
    with workdir() as tmp:
        ledger = str(DATA / "emissions" / "ledger_small.csv")
        plan = str(DATA / "emissions" / "trip_plan.json")
        args = ["emissions"]
        if source == "--ledger":
            args += ["--ledger", ledger]
        elif source == "--plan":
            args += ["--plan", plan]
        elif source == "--list-pathways":
            args += ["--list-pathways"]
        elif source == "both":
            args += ["--ledger", ledger, "--plan", plan]
        for flag, value in numeric:
            args += [flag, value]
        args += opts([("--toc-by", toc_by), ("--h2-pathway", pathway), ("--grid", grid)])
        for flag, rel in outputs:
            args += [flag, _out(tmp, rel)]
        check(args + as_json)


# plan documents of every kind that tests/data holds (more kinds may be added there)
PLAN_FILES = sorted(p.name for p in (DATA / "emissions").glob("*plan*.json"))
EMISSIONS_FILES = ["ledger_small.csv", "ledger_hubs_pathways.csv", *PLAN_FILES, "hubs.csv"]


@fuzz(50)
@given(
    which=st.sampled_from([*EMISSIONS_FILES, "missing"]),
    muts=mutations,
    missing=st.sampled_from(MISSING),
    as_json=json_flag,
)
def test_emissions_files(which, muts, missing, as_json) -> None:
    with workdir() as tmp:
        src = DATA / "emissions"
        if which == "missing":
            (tmp / "afile.txt").write_text("x")
            path = Path(tmp / missing) if missing else Path("")
            flag = ["--ledger", "--plan", "--hubs"][len(missing) % 3]
            args = ["emissions", flag, str(path) if missing else ""]
            if flag == "--hubs":
                args += ["--ledger", str(src / "ledger_hubs_pathways.csv")]
            check(args + as_json, [path])
            return
        f = _write(tmp, which, src / which, muts)
        if which.endswith(".json"):
            args = ["emissions", "--plan", str(f)]
        elif which == "hubs.csv":
            args = [
                "emissions",
                "--ledger",
                str(src / "ledger_hubs_pathways.csv"),
                "--hubs",
                str(f),
            ]
        else:
            args = ["emissions", "--ledger", str(f)]
            if which == "ledger_hubs_pathways.csv":
                args += ["--hubs", str(src / "hubs.csv")]
        check(args + as_json, [f])


# --------------------------------------------------------------------------------- vrp

VRP_FILES = {
    "evrptw": ["c101C5.txt"],
    "emh": ["AS1_20c3sU1.txt"],
    "cec": ["E-n22-k4.evrp"],
    "h2lane": [
        "native/tiny-euclidean.yaml",
        "native/two-depots-haversine.yaml",
        "native/asymmetric-matrix.json",
    ],
}
VRP_FIXTURES = [(fmt, name) for fmt, names in VRP_FILES.items() for name in names]
# A non-finite or absurd time limit must be refused; one that is not would run until the
# CALL_SECONDS alarm reports it as a hang.
TIME_LIMITS = ["0.2", "0", "-1", "-inf", "", "abc", "-0", "nan", "inf", "1e308", "1e309"]


@fuzz(30)
@given(
    fixture=st.sampled_from(VRP_FIXTURES),
    numeric=st.lists(
        st.tuples(
            st.sampled_from(["--max-duration-h", "--start-level", "--dispensers", "--seed"]),
            numbers,
        ),
        max_size=3,
    ),
    time_limit=st.sampled_from(TIME_LIMITS + ["0.2"] * 5),
    objective=maybe(
        st.sampled_from(["distance", "time", "cost", "vehicles-distance", "", "speed"])
    ),
    refuel=maybe(st.sampled_from(["partial", "full", "", "half"])),
    fmt=maybe(st.sampled_from(["emh", "evrptw", "cec", "h2lane", "", "csv"])),
    map_to=maybe(out_paths),
    as_json=json_flag,
)
def test_vrp_options(fixture, numeric, time_limit, objective, refuel, fmt, map_to, as_json) -> None:
    with workdir() as tmp:
        family, name = fixture
        args = ["vrp", "solve", str(DATA / "vrp" / name), "--format", fmt or family]
        args += ["--time-limit", time_limit]
        for flag, value in numeric:
            args += [flag, value]
        args += opts([("--objective", objective), ("--refuel", refuel)])
        args += opts([("--map", _out(tmp, map_to) if map_to is not None else None)])
        check(args + as_json, [Path(name)])


@fuzz(40)
@given(
    fixture=st.sampled_from(VRP_FIXTURES),
    muts=mutations,
    wrong_format=st.booleans(),
    fmt=st.sampled_from(list(VRP_FILES)),
    as_json=json_flag,
)
def test_vrp_files(fixture, muts, wrong_format, fmt, as_json) -> None:
    with workdir() as tmp:
        family, name = fixture
        f = _write(tmp, Path(name).name, DATA / "vrp" / name, muts)
        use = fmt if wrong_format else family
        check(["vrp", "solve", str(f), "--format", use, "--time-limit", "0.2", *as_json], [f])


@fuzz(8)
@given(
    missing=st.sampled_from([*MISSING, "xiaoyi-fleet", "xiaoyi"]),
    fmt=st.sampled_from(list(VRP_FILES)),
)
def test_vrp_missing_instance(missing, fmt) -> None:
    with workdir() as tmp:
        (tmp / "afile.txt").write_text("x")
        path = missing if missing in ("xiaoyi-fleet", "xiaoyi", "") else str(tmp / missing)
        check(
            ["vrp", "solve", path, "--format", fmt, "--time-limit", "0.2", "--json"], [Path(path)]
        )


# ------------------------------------------------------- one option at a time, valid rest

names_or_text = st.one_of(st.sampled_from(["time", "cost", "partial", "full", "all"]), text)
TRIP_BASE = ["trip", "--from", "Xiaoyi", "--to", "Baoding"]
CUSTOM = ["--tank-kg", "40", "--kg-per-100km", "9"]
ONE_OPTION: dict[str, tuple[list[str], list[tuple[str, Any, list[str]]]]] = {
    "trip": (
        TRIP_BASE,
        [
            ("--tank-kg", numbers, ["--kg-per-100km", "9"]),
            ("--kg-per-100km", numbers, ["--tank-kg", "40"]),
            ("--kg-per-100km-empty", numbers, CUSTOM),
            ("--speed-kmh", numbers, []),
            ("--start-kg", numbers, []),
            ("--reserve-kg", numbers, []),
            ("--tonnes", numbers, []),
            ("--tonnes", numbers, ["--round-trip", "--return-loaded"]),
            ("--depart", times, []),
            ("--depart", times, ["--round-trip"]),
            ("--from", places, []),
            ("--to", places, []),
            ("--via", places, []),
            ("--truck", text, []),
            ("--optimize", names_or_text, []),
            ("--refuel", names_or_text, []),
            ("--map", out_paths, []),
        ],
    ),
    "dispatch": (
        ["dispatch", "--scenario", str(DATA / "mini-scenario.yaml")],
        [
            ("--reserve-kg", numbers, []),
            ("--depart", times, []),
            ("--optimize", names_or_text, []),
            ("--map", out_paths, []),
        ],
    ),
    "emissions": (
        ["emissions", "--ledger", str(DATA / "emissions" / "ledger_small.csv")],
        [
            *((flag, numbers, []) for flag in EMISSIONS_NUMERIC),
            ("--toc-by", names_or_text, []),
            ("--h2-pathway", text, []),
            ("--grid", text, []),
            ("--report", out_paths, []),
            ("--csv", out_paths, []),
            ("--ileap", out_paths, []),
        ],
    ),
    "vrp": (
        ["vrp", "solve", str(DATA / "vrp" / "native" / "two-depots-haversine.yaml")],
        [
            ("--max-duration-h", numbers, []),
            ("--start-level", numbers, []),
            ("--dispensers", numbers, []),
            ("--seed", numbers, []),
            ("--objective", names_or_text, []),
            ("--refuel", names_or_text, []),
            ("--map", out_paths, []),
            ("--time-limit", st.sampled_from(TIME_LIMITS), []),
        ],
    ),
}
OUTPUT_FLAGS = {"--map", "--report", "--csv", "--ileap"}


def _one_option_case(command: str, data: st.DataObject, as_json: list[str]) -> None:
    base, cases = ONE_OPTION[command]
    flag, values, partner = cases[data.draw(st.integers(0, len(cases) - 1), label="case")]
    value = data.draw(values, label=flag)
    with workdir() as tmp:
        if flag in OUTPUT_FLAGS:
            value = _out(tmp, value)
        args = [*base, *partner, flag, value]
        if command == "vrp":
            args += ["--format", "h2lane"] + (
                ["--time-limit", "0.2"] if flag != "--time-limit" else []
            )
        check(args + as_json)


@fuzz(60)
@given(data=st.data(), as_json=json_flag)
def test_trip_one_option(data, as_json) -> None:
    _one_option_case("trip", data, as_json)


@fuzz(30)
@given(data=st.data(), as_json=json_flag)
def test_dispatch_one_option(data, as_json) -> None:
    _one_option_case("dispatch", data, as_json)


@fuzz(50)
@given(data=st.data(), as_json=json_flag)
def test_emissions_one_option(data, as_json) -> None:
    _one_option_case("emissions", data, as_json)


@fuzz(40)
@given(data=st.data(), as_json=json_flag)
def test_vrp_one_option(data, as_json) -> None:
    _one_option_case("vrp", data, as_json)


# ------------------------------------------------------------- non-finite numbers in files

NON_FINITE = ["NaN", "nan", "inf", "-inf", ".nan", ".inf", "1e999", "Infinity"]
SKIP_LINE = re.compile(r"^\s*(#|Name:|COMMENT:|OPTIMAL_VALUE:)")


def _stations_cmd(f: Path) -> list[str]:
    return ["trip", "--from", "Xiaoyi", "--to", "Baoding", "--stations", str(f)]


def _roads_cmd(f: Path) -> list[str]:
    other = "edges.csv" if f.name == "nodes.csv" else "nodes.csv"
    (f.parent / other).write_bytes((DATA / "mini-graph" / other).read_bytes())
    return ["roads", "info", "--roads", str(f.parent)]


def _vrp_cmd(fmt: str) -> Any:
    return lambda f: ["vrp", "solve", str(f), "--format", fmt, "--time-limit", "0.2"]


NUMERIC_FILES: list[tuple[Path, Any]] = [
    (DATA / "stations.csv", _stations_cmd),
    (DATA / "mini-scenario.yaml", lambda f: ["scenario", "validate", str(f)]),
    (DATA / "mini-scenario.yaml", lambda f: ["dispatch", "--scenario", str(f)]),
    (DATA / "mini-graph" / "nodes.csv", _roads_cmd),
    (DATA / "mini-graph" / "edges.csv", _roads_cmd),
    (DATA / "emissions" / "ledger_small.csv", lambda f: ["emissions", "--ledger", str(f)]),
    *((DATA / "emissions" / n, lambda f: ["emissions", "--plan", str(f)]) for n in PLAN_FILES),
    (
        DATA / "emissions" / "hubs.csv",
        lambda f: [
            "emissions",
            "--ledger",
            str(DATA / "emissions" / "ledger_hubs_pathways.csv"),
            "--hubs",
            str(f),
        ],
    ),
    *((DATA / "vrp" / name, _vrp_cmd(fmt)) for fmt, name in VRP_FIXTURES),
]


def numeric_cells(text: str) -> list[re.Match[str]]:
    """The numbers of ``text`` that carry data (not in comments or name/comment headers)."""
    out = []
    for m in NUMBER.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        line = text[line_start : text.find("\n", m.start()) if "\n" in text[m.start() :] else None]
        if SKIP_LINE.match(line) or "#" in text[line_start : m.start()]:
            continue
        out.append(m)
    return out


@fuzz(80)
@given(
    fixture=st.sampled_from(range(len(NUMERIC_FILES))),
    k=st.integers(0, 10**6),
    tok=st.sampled_from(NON_FINITE),
    as_json=json_flag,
)
def test_non_finite_numbers_in_files_are_input_errors(fixture, k, tok, as_json) -> None:
    """Any data number of any input file replaced by NaN/inf is bad input: exit 2, file named."""
    src, command = NUMERIC_FILES[fixture]
    text = src.read_text(encoding="utf-8")
    cells = numeric_cells(text)
    m = cells[k % len(cells)]
    with workdir() as tmp:
        f = tmp / src.name
        f.write_text(text[: m.start()] + tok + text[m.end() :], encoding="utf-8")
        args = [*command(f), *as_json]
        found, code = problems(args, [f])
        res_line = text[text.rfind("\n", 0, m.start()) + 1 :].split("\n", 1)[0]
        if not found and code != 2:
            found = [
                f"accepted {tok} for {m.group()!r} in {src.name} line {res_line!r}: exit {code}"
            ]
        if found and LOG:
            with open(LOG, "a", encoding="utf-8") as fh:
                for p in found:
                    rec = {
                        "args": args,
                        "file": src.name,
                        "line": res_line,
                        "tok": tok,
                        "problem": p,
                    }
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            return
        assert not found, "\n".join(found)
