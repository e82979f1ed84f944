"""Alarm rules as data: a JSON document of rules, each citing its source.

The document is ``{"kind": "h2lane.alarm-rules", "version": N, "rules": [...]}``. Every rule has
``id`` (unique), ``kind`` (one of :data:`KINDS`), ``level`` or ``levels``, ``source`` (where the
threshold comes from) and the numbers its kind needs. :func:`default_rules` gives the defaults;
:func:`load_rules` validates a document and names the field path of the first fault
(``rules[2].levels[0].pct_vol``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal, cast

from h2lane.errors import InputError

Level = Literal["warning", "critical", "emergency"]
LEVELS: tuple[Level, ...] = ("warning", "critical", "emergency")
KINDS = (
    "leak",
    "fill_temperature",
    "fill_pressure",
    "esd",
    "silent",
    "detector_silent",
    "range",
    "range_next_stop",
    "h2_drop",
)
DOC_KIND = "h2lane.alarm-rules"

_DEFAULTS: dict[str, Any] = {
    "kind": DOC_KIND,
    "version": 1,
    "rules": [
        {
            "id": "h2-leak",
            "kind": "leak",
            "title": "hydrogen detected",
            "hysteresis_pct_vol": 0.1,
            "levels": [
                {
                    "level": "warning",
                    "pct_vol": 0.4,
                    "action": "alarm, record and start the exhaust fans",
                    "source": "GB 50516-2010 (2021 ed.) §7.3.3: 0.4 % vol = 10 % LFL (V)",
                },
                {
                    "level": "critical",
                    "pct_vol": 1.0,
                    "action": "shut down the compressor and dispensing, close the isolation valves",
                    "source": "NFPA 2:2023 detection at 25 % LFL = 1.0 % vol (V, secondary)",
                },
                {
                    "level": "emergency",
                    "pct_vol": 2.0,
                    "action": "site emergency shut-down (ESD)",
                    "source": "50 % LFL = 2.0 % vol; hydrogen-parameters.md row 65 (D)",
                },
            ],
            "source": "LFL 4 % vol (hydrogen-parameters.md §6.1, V); hysteresis 0.1 % vol (D)",
        },
        {
            "id": "fill-gas-temperature",
            "kind": "fill_temperature",
            "title": "fill gas too hot",
            "level": "critical",
            "max_c": 85.0,
            "source": "SAE J2601 / CSA HGV 4.3: CHSS gas temperature ≤ 85 °C (V)",
        },
        {
            "id": "fill-pressure",
            "kind": "fill_pressure",
            "title": "fill over pressure",
            "level": "critical",
            "max_share_of_nwp": 1.25,
            "source": "SAE J2601 / CSA HGV 4.3: final pressure ≤ 125 % NWP (V)",
        },
        {
            "id": "station-esd",
            "kind": "esd",
            "title": "emergency shut-down active",
            "level": "emergency",
            "source": "station ESD state (GB 50516 §7.3; operator practice, K)",
        },
        {
            "id": "silent-truck",
            "kind": "silent",
            "title": "truck silent",
            "device_kind": "truck",
            "minutes": 10.0,
            "level": "warning",
            "source": "h2lane default: 10 missed 1-minute reports (D)",
        },
        {
            "id": "silent-station",
            "kind": "silent",
            "title": "station silent",
            "device_kind": "station",
            "minutes": 5.0,
            "level": "warning",
            "source": "h2lane default: 5 missed 1-minute reports (D)",
        },
        {
            "id": "detector-silent",
            "kind": "detector_silent",
            "title": "gas detector not reporting",
            "minutes": 2.0,
            "level": "warning",
            "source": "loss of a detector is treated as an alarm (hydrogen-parameters.md §6.2, D); "
            "2 min = twice the ISO 26142 response time of < 60 s (V, secondary)",
        },
        {
            "id": "range",
            "kind": "range",
            "title": "no station within range",
            "level": "critical",
            "reserve_kg": 2.0,
            "source": "road distance on the bundled OSM graph; reserve as the trip planner's "
            "default (h2lane.params, K)",
        },
        {
            "id": "range-next-stop",
            "kind": "range_next_stop",
            "title": "must refuel before the next planned stop",
            "level": "warning",
            "reserve_kg": 2.0,
            "source": "the stored plan's next stop and the truck type's consumption (D)",
        },
        {
            "id": "h2-drop",
            "kind": "h2_drop",
            "title": "hydrogen falling faster than consumption",
            "level": "warning",
            "tolerance": 0.5,
            "min_excess_kg": 2.0,
            "window_min": 30.0,
            "road_factor": 1.5,
            "refuel_min_kg": 3.0,
            "station_radius_km": 2.0,
            "source": "h2lane default: 50 % over the truck type's consumption and 2 kg unexplained "
            "within 30 min (D); distance by odometer, else 1.5 × straight line",
        },
    ],
}


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of a threshold ladder."""

    level: Level
    threshold: float
    action: str
    source: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated rule; ``params`` holds the kind's numbers."""

    id: str
    kind: str
    title: str
    level: Level
    source: str
    params: dict[str, Any]
    steps: tuple[Step, ...] = ()

    def number(self, name: str) -> float:
        return float(self.params[name])


_NUMBERS: dict[str, dict[str, tuple[float, float]]] = {
    "leak": {"hysteresis_pct_vol": (0.0, 10.0)},
    "fill_temperature": {"max_c": (-60.0, 300.0)},
    "fill_pressure": {"max_share_of_nwp": (0.5, 3.0)},
    "esd": {},
    "silent": {"minutes": (0.05, 10_080.0)},
    "detector_silent": {"minutes": (0.05, 10_080.0)},
    "range": {"reserve_kg": (0.0, 1_000.0)},
    "range_next_stop": {"reserve_kg": (0.0, 1_000.0)},
    "h2_drop": {
        "tolerance": (0.0, 10.0),
        "min_excess_kg": (0.01, 1_000.0),
        "window_min": (1.0, 1_440.0),
        "road_factor": (1.0, 5.0),
        "refuel_min_kg": (0.1, 1_000.0),
        "station_radius_km": (0.0, 100.0),
    },
}


def default_rules() -> dict[str, Any]:
    """The default rule document (a fresh copy)."""
    return copy.deepcopy(_DEFAULTS)


def _fail(path: str, problem: str) -> InputError:
    return InputError(f"alarm rules: `{path}` {problem}", {"field": path})


def _num(obj: dict[str, Any], name: str, path: str, lo: float, hi: float) -> float:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(f"{path}.{name}", "must be a number")
    if not lo <= float(value) <= hi:
        raise _fail(f"{path}.{name}", f"= {value} is outside {lo:g}–{hi:g}")
    return float(value)


def _str(obj: dict[str, Any], name: str, path: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{path}.{name}", "must be a non-empty string")
    return value.strip()


def _level(obj: dict[str, Any], path: str) -> Level:
    value = obj.get("level")
    if value not in LEVELS:
        raise _fail(f"{path}.level", f"must be one of {', '.join(LEVELS)}")
    return cast(Level, value)


def _rule(obj: Any, path: str) -> Rule:
    if not isinstance(obj, dict):
        raise _fail(path, "must be an object")
    rid = _str(obj, "id", path)
    kind = obj.get("kind")
    if kind not in KINDS:
        raise _fail(f"{path}.kind", f"must be one of {', '.join(KINDS)}")
    params = {name: _num(obj, name, path, lo, hi) for name, (lo, hi) in _NUMBERS[kind].items()}
    source = _str(obj, "source", path)
    title = str(obj.get("title") or rid)
    if kind == "silent":
        if obj.get("device_kind") not in ("truck", "station"):
            raise _fail(f"{path}.device_kind", "must be truck or station")
        params["device_kind"] = obj["device_kind"]
    if kind != "leak":
        return Rule(rid, kind, title, _level(obj, path), source, params)
    levels = obj.get("levels")
    if not isinstance(levels, list) or not levels:
        raise _fail(f"{path}.levels", "must be a list of {level, pct_vol, action, source}")
    steps: list[Step] = []
    for i, step in enumerate(levels):
        sp = f"{path}.levels[{i}]"
        if not isinstance(step, dict):
            raise _fail(sp, "must be an object")
        steps.append(
            Step(
                _level(step, sp),
                _num(step, "pct_vol", sp, 0.001, 100.0),
                str(step.get("action") or ""),
                _str(step, "source", sp),
            )
        )
    for i in range(1, len(steps)):
        if steps[i].threshold <= steps[i - 1].threshold:
            raise _fail(f"{path}.levels[{i}].pct_vol", "must be higher than the rung before it")
    if params["hysteresis_pct_vol"] >= steps[0].threshold:
        raise _fail(f"{path}.hysteresis_pct_vol", "must be below the lowest threshold")
    return Rule(rid, kind, title, steps[-1].level, source, params, tuple(steps))


def load_rules(doc: Any) -> list[Rule]:
    """Validated rules from a rule document; :class:`InputError` naming the field path."""
    if not isinstance(doc, dict):
        raise _fail("$", "must be an object with `kind`, `version` and `rules`")
    if doc.get("kind", DOC_KIND) != DOC_KIND:
        raise _fail("kind", f"must be {DOC_KIND!r}")
    rules = doc.get("rules")
    if not isinstance(rules, list):
        raise _fail("rules", "must be a list of rules")
    out = [_rule(r, f"rules[{i}]") for i, r in enumerate(rules)]
    seen: set[str] = set()
    for i, r in enumerate(out):
        if r.id in seen:
            raise _fail(f"rules[{i}].id", f"{r.id!r} is used twice")
        seen.add(r.id)
    return out
