"""Seeded full-truckload (FTL) dispatch instances: Shanxi coal to the northern ports.

Each instance is an h2lane scenario YAML (`h2lane dispatch --scenario FILE` reads it) built from
the bundled shanxi-tianjin scenario — its stations, production sites, trailers and truck types
(the Pengfei 49 t tractor: 58 kg usable, 9 kg/100 km loaded, 5.5 empty) — plus:

* **places**: the 11 coal origins and 4 ports of the siting example
  (``h2lane/siting/data/shanxi-ports-zones.csv``, weights marked K there: coal output and port
  throughput estimates to verify);
* **stations**: one more at every origin and port without one (2 dispensers, 1,000 kg/day,
  55 CNY/kg, open 24 h, ``location: approximate``, note ``generated``), so every order can be
  served;
* **trucks**: ``--trucks`` Pengfei tractors spread over the origins in proportion to their
  weights (largest remainder), ids ``T0001…``;
* **orders**: ``--orders`` orders of 31 t (the payload), origin drawn by origin weight and port
  by port weight; ready times uniform over ``--days`` days between 06:00 and 18:00 China time,
  starting ``--start``; due = ready + the straight-line distance × 1.3 (road factor, K) ÷
  50 km/h + 10 h daily rest when that drive exceeds 8 h, + a slack uniform in 12–36 h.

Sizes named by the dispatch-at-scale issue: ``small`` 50 orders × 10 trucks, ``medium`` 200 × 40,
``large`` 1,000 × 150, ``xlarge`` 2,000 × 300. The horizon is ``--days`` or, by default, room for
the fleet to serve every order: 1.5 truck-days per order (``DAYS_PER_ORDER``), e.g. 8 days for
``small``.

    python benchmarks/ftl_instances.py --size medium --seed 1 --out ftl-medium.yaml
    python benchmarks/ftl_instances.py --orders 120 --trucks 25 --days 2 --out my.yaml
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

SIZES = {"small": (50, 10), "medium": (200, 40), "large": (1000, 150), "xlarge": (2000, 300)}
ROAD_FACTOR = 1.3
PLAN_SPEED_KMH = 50.0
PAYLOAD_T = 31.0
DAYS_PER_ORDER = 1.5
"""Truck-days one order takes: ≈ 780 road km to a port (13 h), a daily rest, and the empty
run to the next origin (estimate, K): the default horizon gives the fleet room for all orders."""


def _zones() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    path = resources.files("h2lane.siting") / "data" / "shanxi-ports-zones.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["lat"], r["lon"], r["weight"] = float(r["lat"]), float(r["lon"]), float(r["weight"])
    return [r for r in rows if r["role"] == "origin"], [
        r for r in rows if r["role"] == "destination"
    ]


def _km(a: dict[str, Any], b: dict[str, Any]) -> float:
    p1, l1, p2, l2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _spread(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder)."""
    share = np.asarray(weights) / sum(weights) * total
    base = np.floor(share).astype(int)
    for i in np.argsort(-(share - base), kind="stable")[: total - int(base.sum())]:
        base[i] += 1
    return [int(x) for x in base]


def generate(orders: int, trucks: int, *, seed: int = 1, days: int | None = None,
             start: str = "2026-12-01") -> dict[str, Any]:  # fmt: skip
    """The scenario document (a dict ready for YAML)."""
    if orders < 1 or trucks < 1:
        raise ValueError("--orders and --trucks must be at least 1")
    days = days or max(1, math.ceil(DAYS_PER_ORDER * orders / trucks))
    rng = np.random.default_rng(seed)
    base_path = resources.files("h2lane.scenario") / "data" / "shanxi-tianjin.yaml"
    base = yaml.safe_load(base_path.read_text(encoding="utf-8"))
    origins, ports = _zones()
    names = {p["name"] for p in base["places"]}
    for z in origins + ports:
        if z["name"] not in names:
            base["places"].append({"name": z["name"], "lat": z["lat"], "lon": z["lon"],
                                   "location": "approximate", "note": "siting example zone"})  # fmt: skip
    have = [(s["lat"], s["lon"]) for s in base["stations"]]
    for z in origins + ports:
        if min((_km(z, {"lat": a, "lon": b}) for a, b in have), default=1e9) > 15.0:
            base["stations"].append({
                "id": "gen-" + z["name"].lower().replace(" ", "-"), "name": f"{z['name']} station (generated)",
                "lat": z["lat"], "lon": z["lon"], "capacity_kg_per_day": 1000, "dispensers": 2,
                "price": 55, "location": "approximate", "note": "generated: every origin and port has a station",
            })  # fmt: skip
    counts = _spread(trucks, [z["weight"] for z in origins])
    base["trucks"] = []
    n = 0
    for z, c in zip(origins, counts, strict=True):
        for _ in range(c):
            n += 1
            base["trucks"].append({"id": f"T{n:04d}", "type": "pengfei-49t", "depot": z["name"]})
    ow = np.array([z["weight"] for z in origins])
    pw = np.array([z["weight"] for z in ports])
    day0 = datetime.fromisoformat(start)
    base["orders"] = []
    for i in range(orders):
        o = origins[int(rng.choice(len(origins), p=ow / ow.sum()))]
        d = ports[int(rng.choice(len(ports), p=pw / pw.sum()))]
        ready = day0 + timedelta(days=int(rng.integers(days)), hours=6 + 12 * float(rng.random()))
        drive_h = _km(o, d) * ROAD_FACTOR / PLAN_SPEED_KMH
        need_h = drive_h + (10.0 if drive_h > 8.0 else 0.0)
        due = ready + timedelta(hours=need_h + 12 + 24 * float(rng.random()))
        base["orders"].append({
            "id": f"F{i + 1:05d}", "origin": o["name"], "destination": d["name"], "tonnes": PAYLOAD_T,
            "ready": ready.strftime("%Y-%m-%dT%H:%M"), "due": due.strftime("%Y-%m-%dT%H:%M"),
        })  # fmt: skip
    base["name"] = f"ftl-{orders}x{trucks}-s{seed}"
    base["description"] = (
        f"Generated FTL instance (benchmarks/ftl_instances.py, seed {seed}): {orders} orders of "
        f"{PAYLOAD_T:g} t from Shanxi coal origins to 4 ports over {days} day(s), {trucks} trucks."
    )
    return base


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", choices=sorted(SIZES), help="a named size (orders × trucks)")
    ap.add_argument("--orders", type=int)
    ap.add_argument("--trucks", type=int)
    ap.add_argument("--days", type=int, help="horizon in days (default: 1 per 50 trucks)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2026-12-01", help="first day (China time)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    orders, trucks = SIZES[args.size] if args.size else (args.orders, args.trucks)
    if orders is None or trucks is None:
        ap.error("give --size or both --orders and --trucks")
    doc = generate(orders, trucks, seed=args.seed, days=args.days, start=args.start)
    args.out.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    print(f"wrote {args.out}: {len(doc['orders'])} orders, {len(doc['trucks'])} trucks, "
          f"{len(doc['stations'])} stations")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
