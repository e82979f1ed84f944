"""Siting inputs: flows, candidates and size classes from CSV; gravity flows; deviation routes.

* flows CSV ``origin,destination,flow[,path]``: ends are node ids, scenario place names or
  ``lat,lon`` (geographic networks); ``path`` (optional) the node ids of the path separated by
  spaces, else the tie-broken shortest path (:mod:`h2lane.siting.network`).
* candidates CSV ``id`` and ``node`` or ``lat,lon`` (optional ``name``, ``cost``, ``existing``
  = yes/no); default: every node of the network is a candidate.
* capacity CSV ``size,kg_per_day,cost``: the station size classes.
* gravity model: flow between places i and j = ``scale · W_i · W_j / d_ij^β`` (d in km along
  the network), for every unordered pair (origin = the one listed first).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from h2lane.errors import InputError, InputFileError
from h2lane.siting.network import NetworkPath, SitingNetwork
from h2lane.siting.problem import Candidate, Flow, Route, SizeClass

Resolver = Callable[[str], int | None]
"""Text (node id, place name, ``lat,lon``) → node index, or None if it names nothing."""


def node_resolver(
    network: SitingNetwork, places: dict[str, tuple[float, float]] | None = None
) -> Resolver:
    """Node ids first, then scenario place names (case-insensitive), then ``lat,lon``."""
    by_name = {k.lower(): v for k, v in (places or {}).items()}

    def resolve(text: str) -> int | None:
        t = text.strip()
        if t in network.index:
            return network.index[t]
        if not network.geographic:
            return None
        latlon = by_name.get(t.lower()) or _parse_latlon(t)
        if latlon is None:
            return None
        graph = network.road_graph
        if graph is not None:
            return int(graph.snap(*latlon).node)  # type: ignore[attr-defined]
        d = (network.y - latlon[0]) ** 2 + (
            (network.x - latlon[1]) * math.cos(math.radians(latlon[0]))
        ) ** 2
        return int(np.argmin(d))

    return resolve


def _parse_latlon(text: str) -> tuple[float, float] | None:
    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _rows(path: Path, required: Sequence[str]) -> tuple[list[dict[str, str]], list[int]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(str(path), "cannot be read (it is not UTF-8 text)") from None
    except OSError as exc:
        raise InputFileError(str(path), f"cannot be read ({exc.strerror})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None:
        raise InputFileError(str(path), "is empty (it needs a header " + ",".join(required) + ")")
    cols = [c.strip() for c in reader.fieldnames]
    missing = [c for c in required if c not in cols]
    if missing:
        raise InputFileError(str(path), "is missing column(s) " + ", ".join(missing))
    rows, lines = [], []
    for raw in reader:
        rows.append({(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None})
        lines.append(reader.line_num)
    if not rows:
        raise InputFileError(str(path), "has no data rows")
    return rows, lines


def _number(
    path: Path, value: str, row: int, line: int, fld: str, *, positive: bool = False
) -> float:
    try:
        x = float(value)
    except ValueError:
        raise InputFileError(
            str(path), f"'{value}' is not a number", row=row, line=line, field=fld
        ) from None
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        bound = "> 0" if positive else "≥ 0"
        raise InputFileError(
            str(path), f"{value} must be a finite number {bound}", row=row, line=line, field=fld
        )
    return x


def _key(path: Path, seen: set[str], value: str, row: int, line: int, fld: str) -> None:
    """Refuse an empty key (id, name, size) or one that an earlier row already had."""
    if not value:
        raise InputFileError(str(path), f"{fld} is empty", row=row, line=line, field=fld)
    if value in seen:
        raise InputFileError(
            str(path), f"{fld} {value} appears more than once", row=row, line=line, field=fld
        )
    seen.add(value)


def paths_to(network: SitingNetwork, pairs: Sequence[tuple[int, int]]) -> list[NetworkPath]:
    """Tie-broken shortest paths for (origin, destination) node pairs, one tree per destination."""
    out: list[NetworkPath | None] = [None] * len(pairs)
    by_dest: dict[int, list[int]] = {}
    for i, (_, d) in enumerate(pairs):
        by_dest.setdefault(d, []).append(i)
    for d, idx in by_dest.items():
        tree = network.tree_to(d)
        for i in idx:
            out[i] = network.shortest_path(pairs[i][0], d, tree)
    return [p for p in out if p is not None]


def read_flows(path: Path, network: SitingNetwork, resolve: Resolver) -> list[Flow]:
    """Flows from ``origin,destination,flow[,path]``; each bad row named in one sentence."""
    rows, lines = _rows(path, ["origin", "destination", "flow"])
    ends: list[tuple[int, int]] = []
    volumes: list[float] = []
    given: dict[int, NetworkPath] = {}
    for i, (row, line) in enumerate(zip(rows, lines, strict=True), start=1):
        pair = []
        for fld in ("origin", "destination"):
            node = resolve(row[fld]) if row[fld] else None
            if node is None:
                what = (
                    "a node id, a scenario place or lat,lon" if network.geographic else "a node id"
                )
                raise InputFileError(
                    str(path),
                    f"'{row[fld]}' is not {what} of network '{network.name}'",
                    row=i,
                    line=line,
                    field=fld,
                )
            pair.append(node)
        volumes.append(_number(path, row["flow"], i, line, "flow"))
        if row.get("path"):
            ids = row["path"].split()
            unknown = [n for n in ids if n not in network.index]
            if unknown:
                raise InputFileError(
                    str(path),
                    f"path node {unknown[0]} is not in the network",
                    row=i,
                    line=line,
                    field="path",
                )
            got = network.path_from_ids(ids)
            if isinstance(got, str):
                raise InputFileError(
                    str(path), f"the path is broken: {got}", row=i, line=line, field="path"
                )
            if got.nodes[0] != pair[0] or got.nodes[-1] != pair[1]:
                raise InputFileError(
                    str(path),
                    "the path must start at the origin and end at the destination",
                    row=i,
                    line=line,
                    field="path",
                )
            given[i - 1] = got
        ends.append((pair[0], pair[1]))
    need = [i for i in range(len(ends)) if i not in given]
    computed = dict(zip(need, paths_to(network, [ends[i] for i in need]), strict=True))
    flows = []
    for i, (o, d) in enumerate(ends):
        p = given.get(i) or computed[i]
        if not p.nodes:
            raise InputFileError(
                str(path),
                f"no road joins {rows[i]['origin']} and {rows[i]['destination']} in network '{network.name}' (disconnected)",
                row=i + 1,
                line=lines[i],
            )
        flows.append(Flow(rows[i]["origin"], rows[i]["destination"], volumes[i], p, o, d))
    return flows


def read_candidates(path: Path, network: SitingNetwork, resolve: Resolver) -> list[Candidate]:
    """Candidates from ``id`` + ``node`` or ``lat,lon`` [+ ``name``, ``cost``, ``existing``]."""
    rows, lines = _rows(path, ["id"])
    cols = set(rows[0])
    if "node" not in cols and not {"lat", "lon"} <= cols:
        raise InputFileError(str(path), "needs a column node, or columns lat and lon")
    out: list[Candidate] = []
    seen: set[str] = set()
    for i, (row, line) in enumerate(zip(rows, lines, strict=True), start=1):
        cid = row["id"]
        _key(path, seen, cid, i, line, "id")
        if row.get("node"):
            node = network.index.get(row["node"])
            if node is None:
                raise InputFileError(
                    str(path),
                    f"node {row['node']} is not in network '{network.name}'",
                    row=i,
                    line=line,
                    field="node",
                )
        else:
            if not network.geographic:
                raise InputFileError(
                    str(path),
                    "lat,lon needs a geographic network; give node",
                    row=i,
                    line=line,
                    field="node",
                )
            node = resolve(f"{row.get('lat', '')},{row.get('lon', '')}")
            if node is None:
                raise InputFileError(
                    str(path),
                    "lat and lon must be a latitude and a longitude",
                    row=i,
                    line=line,
                    field="lat",
                )
        cost = _number(path, row["cost"], i, line, "cost") if row.get("cost") else 1.0
        existing = row.get("existing", "").lower() in {"yes", "true", "1", "y"}
        out.append(Candidate(cid, node, cost, existing, row.get("name", "")))
    return out


def every_node(network: SitingNetwork) -> list[Candidate]:
    """The default candidates: every node, id = node id."""
    return [Candidate(nid, i) for i, nid in enumerate(network.ids)]


def read_sizes(path: Path) -> list[SizeClass]:
    """Size classes from ``size,kg_per_day,cost``."""
    rows, lines = _rows(path, ["size", "kg_per_day", "cost"])
    out: list[SizeClass] = []
    seen: set[str] = set()
    for i, (row, line) in enumerate(zip(rows, lines, strict=True), start=1):
        _key(path, seen, row["size"], i, line, "size")
        out.append(
            SizeClass(
                row["size"],
                _number(path, row["kg_per_day"], i, line, "kg_per_day", positive=True),
                _number(path, row["cost"], i, line, "cost"),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Zone:
    """A gravity-model zone: a name, its node, its weight (e.g. Mt/yr of coal or port throughput)."""

    name: str
    node: int
    weight: float


def read_zones(path: Path, network: SitingNetwork) -> list[tuple[Zone, str]]:
    """Zones CSV ``name``, ``node`` or ``lat,lon``, ``weight`` [, ``role`` origin|destination|both]."""
    rows, lines = _rows(path, ["name", "weight"])
    if "node" not in rows[0] and not {"lat", "lon"} <= set(rows[0]):
        raise InputFileError(str(path), "needs a column node, or columns lat and lon")
    resolve = node_resolver(network)
    out: list[tuple[Zone, str]] = []
    seen: set[str] = set()
    for i, (row, line) in enumerate(zip(rows, lines, strict=True), start=1):
        name = row["name"]
        _key(path, seen, name, i, line, "name")
        where = row.get("node") or f"{row.get('lat', '')},{row.get('lon', '')}"
        node = resolve(where)
        if node is None:
            raise InputFileError(
                str(path),
                f"'{where}' is not a node or lat,lon of network '{network.name}'",
                row=i,
                line=line,
                field="node" if row.get("node") else "lat",
            )
        weight = _number(path, row["weight"], i, line, "weight")
        role = (row.get("role") or "both").lower()
        if role not in {"origin", "destination", "both"}:
            raise InputFileError(
                str(path),
                f"role '{row['role']}' must be origin, destination or both",
                row=i,
                line=line,
                field="role",
            )
        out.append((Zone(name, node, weight), role))
    if len(out) < 2:
        raise InputFileError(str(path), "needs at least two zones")
    return out


def gravity_flows(
    network: SitingNetwork,
    zones: Sequence[Zone],
    beta: float,
    *,
    scale: float = 1.0,
    pairs: Sequence[tuple[int, int]] | None = None,
) -> list[Flow]:
    """``scale · W_i W_j / d_ij^β`` for the given zone index pairs (default: all i < j)."""
    if beta < 0 or not math.isfinite(beta):
        raise InputError(f"the gravity exponent β must be ≥ 0 (got {beta})")
    pairs = (
        list(pairs)
        if pairs is not None
        else [(i, j) for i in range(len(zones)) for j in range(i + 1, len(zones))]
    )
    nodes = [(zones[i].node, zones[j].node) for i, j in pairs]
    paths = paths_to(network, nodes)
    flows = []
    for (i, j), (o, d), p in zip(pairs, nodes, paths, strict=True):
        if not p.nodes:
            raise InputError(
                f"no road joins zones {zones[i].name} and {zones[j].name} (disconnected)"
            )
        dist = max(p.length_km, 1e-9)
        volume = scale * zones[i].weight * zones[j].weight / dist**beta
        flows.append(Flow(zones[i].name, zones[j].name, volume, p, o, d))
    return flows


def deviation_routes(
    network: SitingNetwork,
    flows: Sequence[Flow],
    candidates: Sequence[Candidate],
    max_deviation_km: float,
    *,
    penalty: float = 0.5,
    max_paths: int = 4,
) -> list[Route]:
    """Each flow's shortest path plus up to ``max_paths`` detours O → k → D through a candidate
    k off the path with a detour of at most ``max_deviation_km``; a detour of δ km keeps
    ``1 − penalty · δ / max_deviation_km`` of the flow (linear decay, after Kim & Kuby 2012)."""
    routes = [Route(i, f.path) for i, f in enumerate(flows)]
    if max_deviation_km <= 0 or not flows:
        return routes
    cand_nodes = np.array(sorted({c.node for c in candidates}), dtype=np.int64)
    ends = np.array(
        sorted({f.origin_node for f in flows} | {f.destination_node for f in flows}), dtype=np.int64
    )
    dist = network.matrix_km(ends, cand_nodes)
    row = {int(n): i for i, n in enumerate(ends)}
    first_cand: dict[int, int] = {}
    for k, c in enumerate(candidates):
        first_cand.setdefault(c.node, k)
    trees: dict[int, np.ndarray] = {}
    for q, f in enumerate(flows):
        on_path = set(f.path.nodes)
        detour = dist[row[f.origin_node]] + dist[row[f.destination_node]] - f.path.length_km
        ok = np.flatnonzero((detour <= max_deviation_km + 1e-9) & (detour > 1e-9))
        near = [
            i
            for i in ok[np.argsort(detour[ok], kind="stable")]
            if int(cand_nodes[i]) not in on_path
        ]
        for i in near[:max_paths]:
            k = int(cand_nodes[i])
            if k not in trees:
                trees[k] = network.tree_to(k)
            a = network.shortest_path(f.origin_node, k, trees[k])
            b = network.shortest_path(f.destination_node, k, trees[k])
            nodes = list(a.nodes) + list(reversed(b.nodes))[1:]
            pos = (
                list(a.positions_km)
                + [a.length_km + b.length_km - x for x in reversed(b.positions_km)][1:]
            )
            delta = float(detour[i])
            routes.append(
                Route(
                    q,
                    NetworkPath(tuple(nodes), tuple(pos)),
                    1.0 - penalty * delta / max_deviation_km,
                    delta,
                    first_cand[k],
                )
            )
    return routes
