"""Bad inputs give one clear sentence (file, row, field); the network loads and paths tie-break."""

from __future__ import annotations

from pathlib import Path

import pytest
from siting_data import SMALL

from h2lane.errors import InputError, InputFileError, RoadNetworkError
from h2lane.siting.inputs import every_node, node_resolver, read_candidates, read_flows, read_sizes
from h2lane.siting.network import SitingNetwork
from h2lane.siting.problem import SitingProblem
from h2lane.siting.solve import locate


@pytest.fixture()
def grid() -> SitingNetwork:
    return SitingNetwork.load(SMALL)


def _one_sentence(exc: Exception) -> str:
    text = str(exc)
    assert text.endswith(".") and "\n" not in text and "Traceback" not in text
    return text


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_grid_loads_with_planar_coordinates(grid: SitingNetwork) -> None:
    assert grid.n_nodes == 16 and not grid.geographic
    flows = read_flows(SMALL / "flows.csv", grid, node_resolver(grid))
    assert len(flows) == 10 and flows[0].path.nodes[0] == grid.index["10"]


def test_unknown_node(grid: SitingNetwork, tmp_path: Path) -> None:
    f = _csv(tmp_path, "flows.csv", "origin,destination,flow\n10,25,3\n10,99,4\n")
    with pytest.raises(InputFileError) as err:
        read_flows(f, grid, node_resolver(grid))
    msg = _one_sentence(err.value)
    assert "row 2" in msg and "'origin'" not in msg and "field 'destination'" in msg and "99" in msg


def test_negative_flow(grid: SitingNetwork, tmp_path: Path) -> None:
    f = _csv(tmp_path, "flows.csv", "origin,destination,flow\n10,25,-5\n")
    with pytest.raises(InputFileError) as err:
        read_flows(f, grid, node_resolver(grid))
    msg = _one_sentence(err.value)
    assert "field 'flow'" in msg and "-5" in msg and "≥ 0" in msg


def test_nan_flow(grid: SitingNetwork, tmp_path: Path) -> None:
    f = _csv(tmp_path, "flows.csv", "origin,destination,flow\n10,25,nan\n")
    with pytest.raises(InputFileError, match="finite"):
        read_flows(f, grid, node_resolver(grid))


def test_disconnected_origin_destination(tmp_path: Path) -> None:
    d = tmp_path / "split"
    d.mkdir()
    _csv(d, "nodes.csv", "node_id,x,y\n1,0,0\n2,1,0\n3,5,0\n4,6,0\n")
    _csv(d, "edges.csv", "u,v,length_km\n1,2,10\n3,4,10\n")
    net = SitingNetwork.load(d)
    f = _csv(tmp_path, "flows.csv", "origin,destination,flow\n1,2,1\n1,4,2\n")
    with pytest.raises(InputFileError) as err:
        read_flows(f, net, node_resolver(net))
    msg = _one_sentence(err.value)
    assert "row 2" in msg and "disconnected" in msg


def test_broken_given_path(grid: SitingNetwork, tmp_path: Path) -> None:
    f = _csv(tmp_path, "flows.csv", "origin,destination,flow,path\n10,12,1,10 12\n")
    with pytest.raises(InputFileError, match="not joined by an edge"):
        read_flows(f, grid, node_resolver(grid))


def test_given_path_is_used(grid: SitingNetwork, tmp_path: Path) -> None:
    f = _csv(tmp_path, "flows.csv", "origin,destination,flow,path\n10,15,1,10 14 15\n")
    (flow,) = read_flows(f, grid, node_resolver(grid))
    assert [grid.ids[n] for n in flow.path.nodes] == ["10", "14", "15"]


def test_more_stations_than_candidates(grid: SitingNetwork) -> None:
    flows = read_flows(SMALL / "flows.csv", grid, node_resolver(grid))
    prob = SitingProblem.build(grid, flows, every_node(grid), 300.0)
    with pytest.raises(InputError) as err:
        locate(prob, p=17)
    msg = _one_sentence(err.value)
    assert "--stations 17" in msg and "16" in msg


def test_candidates_and_sizes(grid: SitingNetwork, tmp_path: Path) -> None:
    c = _csv(tmp_path, "c.csv", "id,node,cost\nA,10,2\nB,77,1\n")
    with pytest.raises(InputFileError, match="node 77 is not in network"):
        read_candidates(c, grid, node_resolver(grid))
    c = _csv(tmp_path, "c.csv", "id,node\nA,10\nA,11\n")
    with pytest.raises(InputFileError, match="appears more than once"):
        read_candidates(c, grid, node_resolver(grid))
    s = _csv(tmp_path, "s.csv", "size,kg_per_day,cost\nsmall,0,3\n")
    with pytest.raises(InputFileError, match="kg_per_day"):
        read_sizes(s)


def test_bad_network(tmp_path: Path) -> None:
    with pytest.raises(RoadNetworkError, match=r"nodes\.csv and edges\.csv"):
        SitingNetwork.load(tmp_path)
    _csv(tmp_path, "nodes.csv", "node_id,a,b\n1,0,0\n")
    _csv(tmp_path, "edges.csv", "u,v,length_km\n")
    with pytest.raises(InputFileError, match="lat,lon"):
        SitingNetwork.load(tmp_path)
