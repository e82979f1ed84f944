"""Test networks: the classic 25-node FRLM network from ../shared, a small generated one."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from paths import DATA, SHARED

from h2lane.siting.network import SitingNetwork
from h2lane.siting.problem import Candidate, Flow

FRLM = Path(os.environ.get("H2LANE_BENCHMARKS", SHARED / "benchmarks")) / "frlm"
SMALL = DATA / "siting" / "grid"


def frlm_dir() -> Path:
    if not (FRLM / "kuby_lim_25node_arcs.csv").exists():
        pytest.skip(
            f"the 25-node FRLM network is not at {FRLM} (set H2LANE_SHARED or H2LANE_BENCHMARKS)"
        )
    return FRLM


def frlm_network() -> tuple[SitingNetwork, list[dict[str, str]]]:
    """The 25-node network (planar, unitless lengths) and its O–D rows."""
    d = frlm_dir()
    nodes = list(csv.DictReader((d / "kuby_lim_25node_nodes.csv").open()))
    arcs = list(csv.DictReader((d / "kuby_lim_25node_arcs.csv").open()))
    ids = [r["node_id"] for r in nodes]
    ix = {n: i for i, n in enumerate(ids)}
    net = SitingNetwork(
        ids,
        np.array([float(r["x"]) for r in nodes]),
        np.array([float(r["y"]) for r in nodes]),
        np.array([ix[a["from_node"]] for a in arcs]),
        np.array([ix[a["to_node"]] for a in arcs]),
        np.array([float(a["length"]) for a in arcs]),
        geographic=False,
        name="25-node",
    )
    ods = list(csv.DictReader((d / "derived_25node_od_pairs.csv").open()))
    return net, ods


def frlm_flows(net: SitingNetwork, ods: list[dict[str, str]]) -> list[Flow]:
    """Gravity flows on the paths given in the file."""
    flows = []
    for r in ods:
        path = net.path_from_ids(r["shortest_path_nodes"].split("-"))
        assert not isinstance(path, str)
        flows.append(
            Flow(
                r["origin"],
                r["destination"],
                float(r["gravity_flow_WiWj_over_d1p5"]),
                path,
                net.index[r["origin"]],
                net.index[r["destination"]],
            )
        )
    return flows


def all_nodes(net: SitingNetwork) -> list[Candidate]:
    return [Candidate(n, i) for i, n in enumerate(net.ids)]


def simulation_paths(flows: list[Flow]) -> list[tuple[tuple[float, ...], tuple[int, ...]]]:
    return [(f.path.positions_km, f.path.nodes) for f in flows]
