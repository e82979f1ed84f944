"""Rebuild h2lane/roads/data/north-china.npz from ../shared/data/roads (run once by maintainers).

Usage: python scripts/build_roads_data.py [SHARED_ROADS_DIR]
"""

import sys
from pathlib import Path

from h2lane.roads.graph import RoadGraph

src = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/roads")
graph = RoadGraph.from_csv(
    src / "north_china_nodes.csv", src / "north_china_edges.csv", name="north-china"
)
out = Path(__file__).resolve().parents[1] / "h2lane" / "roads" / "data" / "north-china.npz"
graph.to_npz(out)
print(
    f"wrote {out} ({out.stat().st_size:,} bytes): {graph.n_nodes:,} nodes, {graph.n_edges:,} edges"
)
