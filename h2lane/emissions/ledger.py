"""Transport legs as columns: the actuals ledger CSV (plans: :mod:`h2lane.emissions.plans`).

A :class:`Ledger` holds one row per leg (a truck movement between two places) in numpy
arrays, with string columns factorised into integer codes. Every row is validated; the
first bad row is reported as one sentence naming its row number and field, and no row is
ever dropped. Numbers must be finite, ≥ 0 and below a plausibility limit
(:data:`LIMITS`): ``nan``, ``inf``, ``-3`` or 10,000 t on one truck are input errors.

Ledger CSV columns: ``shipment_id,date,truck_id,tonnes,distance_km,h2_kg`` (required) and
``sfd_km,origin,destination,h2_pathway,hub_id`` (optional, may be empty). Row numbers count
data records after the header: row 1 is line 2 of a plain CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import multiprocessing as mp
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import methodcaller
from pathlib import Path
from typing import Any

import numpy as np

from h2lane.emissions.errors import LedgerError
from h2lane.emissions.factors import GRID_FACTORS, PATHWAYS

REQUIRED_COLUMNS = ("shipment_id", "date", "truck_id", "tonnes", "distance_km", "h2_kg")
OPTIONAL_COLUMNS = ("sfd_km", "origin", "destination", "h2_pathway", "hub_id")
NUMERIC_COLUMNS = ("tonnes", "distance_km", "h2_kg")
CHUNK_ROWS = 100_000
#: Largest plausible value of a numeric column for one row (one truck movement).
LIMITS: dict[str, float] = {
    "tonnes": 1_000.0,
    "distance_km": 20_000.0,
    "h2_kg": 10_000.0,
    "sfd_km": 20_000.0,
}

_COUNT_COMMAS = methodcaller("count", ",")


def factorize(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Integer codes for a string array, numbered in order of first appearance.

    Short ASCII strings (≤ 32 bytes) are sorted as machine words, which is several times
    faster than sorting Unicode strings.
    """
    n = int(values.shape[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64), []
    words = None
    try:
        raw = values if values.dtype.kind == "S" else values.astype("S")
    except UnicodeEncodeError:
        raw = None
    if raw is not None:
        k = max(1, -(-raw.dtype.itemsize // 8))
        if k <= 4:
            padded = np.zeros(n, dtype=f"S{8 * k}")
            padded[:] = raw
            words = padded.view(">u8").reshape(n, k)
    if words is not None:
        order = np.argsort(words[:, 0], kind="stable") if k == 1 else np.lexsort(words.T[::-1])
        w = words[order]
        new = np.ones(n, dtype=bool)
        new[1:] = (w[1:] != w[:-1]).any(axis=1)
        group = np.cumsum(new) - 1
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = group
        first = order[new]
    else:
        _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    # renumber groups by first appearance
    by_first = np.argsort(first, kind="stable")
    rank = np.empty_like(by_first)
    rank[by_first] = np.arange(by_first.shape[0])
    picked = values[np.sort(first)]
    if picked.dtype.kind == "S":
        picked = picked.astype("U")
    return rank[inverse.ravel()].astype(np.int64), picked.tolist()


@dataclass
class Ledger:
    """Transport legs (one per row) as numpy columns.

    ``*_names`` map codes to strings; optional string columns use code ``-1`` for empty.
    ``sfd_km`` is NaN where the ledger gives no shortest feasible distance.

    A ledger CSV row is both a movement (``distance_km``, ``h2_kg``) and the transport
    activity of its shipment (``tonnes`` × SFD). A ledger built from a plan
    (:func:`h2lane.emissions.plans.plan_ledger`) separates the two: one row per
    consignment (``shipment ≥ 0``, tonnes, origin → destination, no distance or hydrogen)
    and one row per leg (``shipment = -1``, ``tonnes = 0``, ``loaded`` from the plan). The
    optional columns say so:

    ``loaded``
        Whether the truck carried freight on the row (default ``tonnes > 0``); chooses the
        diesel consumption and counts empty kilometres.
    ``carried_km``
        Distance the shipment was driven on the row (default ``distance_km``): the
        shipment's reported distance and its SFD when neither ``sfd_km`` nor the road
        network gives one.
    ``carried_legs``
        Legs the shipment row stands for (default 1).
    ``movement``
        Whether the row is a truck movement (default all rows).
    ``consignee_names``
        Customer (consignee) of each shipment (a plan's order destination); None: the
        ledger's ``destination``.
    ``truck_types``, ``truck_payload_t``
        Type and payload of each truck code when the input says (a plan's route truck).
    """

    source: str
    row_numbers: np.ndarray
    shipment: np.ndarray
    shipment_names: list[str]
    truck: np.ndarray
    truck_names: list[str]
    date: np.ndarray
    date_names: list[str]
    tonnes: np.ndarray
    distance_km: np.ndarray
    h2_kg: np.ndarray
    sfd_km: np.ndarray
    origin: np.ndarray
    destination: np.ndarray
    place_names: list[str]
    pathway: np.ndarray
    pathway_names: list[str]
    hub: np.ndarray
    hub_names: list[str]
    warnings: list[str] = field(default_factory=list)
    loaded: np.ndarray | None = None
    carried_km: np.ndarray | None = None
    carried_legs: np.ndarray | None = None
    movement: np.ndarray | None = None
    kind: str = "ledger"
    tce_label: str = "r"
    consignee_names: list[str] | None = None
    truck_types: list[str] | None = None
    truck_payload_t: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.tonnes.shape[0])

    @property
    def loaded_mask(self) -> np.ndarray:
        """True where the truck carried freight."""
        return self.tonnes > 0 if self.loaded is None else self.loaded

    @property
    def carried(self) -> np.ndarray:
        """Distance each row's shipment was carried (km)."""
        return self.distance_km if self.carried_km is None else self.carried_km

    @property
    def movement_mask(self) -> np.ndarray:
        """True where the row is a truck movement (every row of a ledger CSV)."""
        return np.ones(len(self), dtype=bool) if self.movement is None else self.movement

    @property
    def month(self) -> np.ndarray:
        """Month code of each row (index into :attr:`month_names`)."""
        labels = [d[:7] for d in self.date_names]
        uniq = sorted(set(labels))
        pos = {m: i for i, m in enumerate(uniq)}
        lut = np.array([pos[m] for m in labels], dtype=np.int64)
        return lut[self.date] if len(self) else np.zeros(0, dtype=np.int64)

    @property
    def month_names(self) -> list[str]:
        return sorted({d[:7] for d in self.date_names})

    def row_error(self, index: int, field_name: str, problem: str) -> LedgerError:
        """A :class:`LedgerError` for row ``index`` (0-based position in the arrays)."""
        return LedgerError(self.source, problem, row=int(self.row_numbers[index]), field=field_name)


# ---------------------------------------------------------------------------
# Column validation, shared by the CSV reader and the plan reader
# ---------------------------------------------------------------------------


def _parse_date(value: str) -> str | None:
    """``YYYY-MM-DD`` (optionally followed by ``T``/space and a time) → ``YYYY-MM-DD``."""
    head = value.strip()[:10]
    rest = value.strip()[10:]
    if rest and rest[0] not in "T ":
        return None
    try:
        dt.date.fromisoformat(head)
    except ValueError:
        return None
    if len(head) != 10:
        return None
    return head


def _pathway_ok(name: str) -> bool:
    pathway, _, grid = name.partition("@")
    return pathway in PATHWAYS and (not grid or grid in GRID_FACTORS)


_TEXT = {
    "shipment_id": True,
    "date": True,
    "truck_id": True,
    "origin": False,
    "destination": False,
    "h2_pathway": False,
    "hub_id": False,
}
_ORDER = {c: i for i, c in enumerate((*REQUIRED_COLUMNS[:3], *NUMERIC_COLUMNS, *OPTIONAL_COLUMNS))}


def _float_column(
    values: Sequence[Any], optional: bool, limit: float = float("inf")
) -> tuple[np.ndarray, int | None, str]:
    """Parse and check a numeric column; return (array, first bad index or None, problem)."""
    n = len(values)
    if optional:
        if values.count("") == n:
            return np.full(n, np.nan), None, ""
        raw = np.array(["" if v is None else str(v) for v in values], dtype=str)
        present = np.strings.str_len(np.strings.strip(raw)) > 0
        out = np.full(n, np.nan)
        try:
            out[present] = np.array(raw[present].tolist(), dtype=np.float64)
        except ValueError:
            for i in np.flatnonzero(present).tolist():
                try:
                    float(raw[i])
                except ValueError:
                    return out, i, f"must be a number or empty (got '{raw[i]}')"
        bad = (~np.isfinite(out) & present) | (out < 0)
        too_big = present & np.isfinite(out) & (out > limit)
    else:
        try:
            out = np.array(values, dtype=np.float64)
        except (ValueError, TypeError):
            out = np.zeros(n)
            for i, v in enumerate(values):
                try:
                    out[i] = float(v)
                except (ValueError, TypeError):
                    shown = "" if v is None else str(v)
                    return out, i, f"must be a number (got '{shown}')"
        if out.shape != (n,):
            return out, 0, "must be a number"
        bad = ~np.isfinite(out) | (out < 0)
        too_big = np.isfinite(out) & (out > limit)
    idx = np.flatnonzero(bad | too_big)
    if idx.size:
        i = int(idx[0])
        if bad[i]:
            return out, i, f"must be a finite number ≥ 0 (got '{values[i]}')"
        return out, i, _too_big(limit, values[i])
    return out, None, ""


def _too_big(limit: float, value: object) -> str:
    return f"must be at most {limit:,.0f} for one truck movement (got '{value}')"


Problem = tuple[int, str, str]  # (row number, field, problem)


def _check_chunk(
    cols: Mapping[str, Sequence[Any]], rows: np.ndarray
) -> tuple[dict[str, np.ndarray], Problem | None]:
    """Validate one chunk of columns; return its arrays and the first problem (if any).

    Pure function of its inputs, so chunks can be checked in parallel processes.
    """
    n = len(rows)
    errors: list[tuple[int, int, str, str]] = []  # (index, column order, field, problem)
    out: dict[str, np.ndarray] = {"rows": rows}
    for name, required in _TEXT.items():
        values = cols.get(name)
        if values is None:
            continue
        arr = np.array(values, dtype=str) if n else np.zeros(0, dtype="U1")
        if not required:
            arr = np.strings.strip(arr)
        empty = np.flatnonzero(np.strings.str_len(arr) == 0) if required else None
        if empty is not None and empty.size:
            errors.append((int(empty[0]), _ORDER[name], name, "must not be empty"))
        out[name] = arr
    if "date" in out:
        uniq = np.unique(out["date"])
        for label in uniq.tolist():
            if label and _parse_date(label) is None:
                i = int(np.flatnonzero(out["date"] == label)[0])
                errors.append(
                    (i, _ORDER["date"], "date", f"must be a date YYYY-MM-DD (got '{label}')")
                )
    if "h2_pathway" in out:
        for label in np.unique(out["h2_pathway"]).tolist():
            if label and not _pathway_ok(label):
                i = int(np.flatnonzero(out["h2_pathway"] == label)[0])
                errors.append(
                    (
                        i,
                        _ORDER["h2_pathway"],
                        "h2_pathway",
                        f"unknown hydrogen pathway '{label}'; choose one of: "
                        + ", ".join(PATHWAYS)
                        + " (optionally NAME@GRID)",
                    )
                )
    for name in NUMERIC_COLUMNS:
        arr, bad, problem = _float_column(cols[name], optional=False, limit=LIMITS[name])
        out[name] = arr
        if bad is not None:
            errors.append((bad, _ORDER[name], name, problem))
    if "sfd_km" in cols:
        arr, bad, problem = _float_column(cols["sfd_km"], optional=True, limit=LIMITS["sfd_km"])
        out["sfd_km"] = arr
        if bad is not None:
            errors.append((bad, _ORDER["sfd_km"], "sfd_km", problem))
    if errors:
        i, _, name, problem = min(errors, key=lambda e: (e[0], e[1]))
        return out, (int(rows[i]), name, problem)
    return out, None


class _Builder:
    """Accumulates validated chunks of columns into a :class:`Ledger`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, cols: Mapping[str, Sequence[Any]], rows: np.ndarray) -> None:
        """Validate one chunk (``cols`` maps column → values) and append it."""
        arrays, problem = _check_chunk(cols, rows)
        self.add_checked(arrays, problem)

    def add_checked(self, arrays: dict[str, np.ndarray], problem: Problem | None) -> None:
        if problem is not None:
            row, name, text = problem
            raise LedgerError(self.source, text, row=row, field=name)
        self.parts.append(arrays)

    def build(self, warnings: list[str] | None = None) -> Ledger:
        n = sum(len(p["rows"]) for p in self.parts)

        def floats(key: str) -> np.ndarray:
            if not self.parts:
                return np.zeros(0)
            return np.concatenate(
                [p.get(key, np.full(len(p["rows"]), np.nan)) for p in self.parts]
            ).astype(np.float64, copy=False)

        def text(key: str, optional: bool) -> tuple[np.ndarray, list[str]]:
            if not any(key in p for p in self.parts):
                return np.full(n, -1, dtype=np.int64), []
            arr = np.concatenate(
                [p.get(key, np.full(len(p["rows"]), "", dtype="U1")) for p in self.parts]
            )
            codes, names = factorize(arr)
            if optional and "" in names:
                empty = names.index("")
                codes = np.where(codes == empty, -1, codes - (codes > empty))
                names = names[:empty] + names[empty + 1 :]
            return codes, names

        rows = (
            np.concatenate([p["rows"] for p in self.parts]).astype(np.int64)
            if self.parts
            else np.zeros(0, dtype=np.int64)
        )
        shipment, shipment_names = text("shipment_id", False)
        truck, truck_names = text("truck_id", False)
        date, date_names = text("date", False)
        date_names = [_parse_date(d) or d for d in date_names]
        # origin and destination share one list of places
        if any("origin" in p or "destination" in p for p in self.parts):
            both = np.concatenate(
                [
                    np.concatenate(
                        [p.get(c, np.full(len(p["rows"]), "", dtype="U1")) for p in self.parts]
                    )
                    for c in ("origin", "destination")
                ]
            )
            codes, place_names = factorize(both)
            if "" in place_names:
                empty = place_names.index("")
                codes = np.where(codes == empty, -1, codes - (codes > empty))
                place_names = place_names[:empty] + place_names[empty + 1 :]
            origin, destination = codes[:n], codes[n:]
        else:
            origin = destination = np.full(n, -1, dtype=np.int64)
            place_names = []
        pathway, pathway_names = text("h2_pathway", True)
        hub, hub_names = text("hub_id", True)
        return Ledger(
            source=self.source,
            row_numbers=rows,
            shipment=shipment,
            shipment_names=shipment_names,
            truck=truck,
            truck_names=truck_names,
            date=date,
            date_names=date_names,
            tonnes=floats("tonnes"),
            distance_km=floats("distance_km"),
            h2_kg=floats("h2_kg"),
            sfd_km=floats("sfd_km"),
            origin=origin,
            destination=destination,
            place_names=place_names,
            pathway=pathway,
            pathway_names=pathway_names,
            hub=hub,
            hub_names=hub_names,
            warnings=list(warnings or []),
        )


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------


def _read_text(path: Path, display: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LedgerError(display, "file not found") from None
    except OSError as exc:
        raise LedgerError(display, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LedgerError(display, f"is not UTF-8 text (byte {exc.start})") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _header(line: str, display: str) -> tuple[list[str], list[str]]:
    names = [h.strip() for h in next(csv.reader([line]))] if line.strip() else []
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        have = ", ".join(names) if names else "nothing"
        raise LedgerError(
            display,
            f"missing required column '{missing[0]}' (the header has: {have})",
            row=None,
        )
    dup = sorted({n for n in names if names.count(n) > 1 and n})
    if dup:
        raise LedgerError(display, f"column '{dup[0]}' appears twice in the header")
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    ignored = [n for n in names if n not in known]
    return names, ignored


# Set just before a fork so that worker processes share the text without pickling it.
_SHARED: dict[str, Any] = {}


def _parse_range(start: int, stop: int) -> tuple[dict[str, np.ndarray], Problem | None]:
    """Parse and validate lines ``start:stop`` of the shared body (a pure function)."""
    names: list[str] = _SHARED["names"]
    nc = len(names)
    chunk = _SHARED["lines"][start:stop]
    rows = np.arange(start + 1, start + len(chunk) + 1, dtype=np.int64)
    if "" in chunk:
        keep = [bool(line) for line in chunk]
        chunk = [line for line in chunk if line]
        rows = rows[np.array(keep, dtype=bool)]
    counts = np.fromiter(map(_COUNT_COMMAS, chunk), dtype=np.int64, count=len(chunk))
    bad = np.flatnonzero(counts != nc - 1)
    limit = int(bad[0]) if bad.size else len(chunk)
    arrays: dict[str, np.ndarray] = {"rows": rows[:0]}
    problem: Problem | None = None
    if limit:
        flat = ",".join(chunk[:limit]).split(",")
        wanted = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
        cols = {c: flat[i::nc] for i, c in enumerate(names) if c in wanted}
        arrays, problem = _check_chunk(cols, rows[:limit])
    if problem is None and bad.size:
        problem = (
            int(rows[limit]),
            "",
            f"has {int(counts[limit]) + 1} fields but the header has {nc}",
        )
    return arrays, problem


def _parse_task(bounds: tuple[int, int]) -> tuple[dict[str, np.ndarray], Problem | None]:
    return _parse_range(*bounds)


FAST_WIDTH = 64


class _SlowPath(Exception):
    """The fast parser met something it does not handle; use the line-by-line parser."""


def _fast_chunk(piece: str, first_row: int, names: list[str]) -> dict[str, np.ndarray]:
    """Parse a chunk of plain ASCII lines with numpy's C reader and validate it vectorised.

    Raises :class:`_SlowPath` on anything unusual (a field that is not a number, a wrong
    field count, a very long field) so that the line-by-line parser names the exact row;
    raises :class:`LedgerError` directly for values that parse but are out of range.
    """
    wanted = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    fields = []
    for i, c in enumerate(names):
        kind = "f8" if c in NUMERIC_COLUMNS else f"S{FAST_WIDTH}"
        fields.append((c if c in wanted else f"_ignored{i}", kind))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = np.loadtxt(
                io.StringIO(piece),
                delimiter=",",
                dtype=np.dtype(fields),
                comments=None,
                quotechar=None,
                ndmin=1,
            )
    except ValueError:
        raise _SlowPath from None
    n = int(data.shape[0])
    rows = np.arange(first_row, first_row + n, dtype=np.int64)
    out: dict[str, np.ndarray] = {"rows": rows}
    errors: list[tuple[int, int, str, str]] = []
    for name, required in _TEXT.items():
        if name not in names:
            continue
        col = data[name]
        length = np.strings.str_len(col)
        if n and int(length.max()) >= FAST_WIDTH:
            raise _SlowPath
        if required:
            empty = np.flatnonzero(length == 0)
            if empty.size:
                errors.append((int(empty[0]), _ORDER[name], name, "must not be empty"))
        else:
            col = np.strings.strip(col)
        width = max(1, int(length.max()) if n else 1)
        out[name] = col.astype(f"S{width}")
    for name in NUMERIC_COLUMNS:
        col = np.ascontiguousarray(data[name])
        out[name] = col
        bad = np.flatnonzero(~np.isfinite(col) | (col < 0) | (col > LIMITS[name]))
        if bad.size:
            i = int(bad[0])
            problem = (
                _too_big(LIMITS[name], f"{col[i]:g}")
                if col[i] > LIMITS[name] and np.isfinite(col[i])
                else f"must be a finite number ≥ 0 (got '{col[i]:g}')"
            )
            errors.append((i, _ORDER[name], name, problem))
    if "sfd_km" in names:
        raw = np.strings.strip(data["sfd_km"])
        present = np.strings.str_len(raw) > 0
        sfd = np.full(n, np.nan)
        if present.any():
            try:
                sfd[present] = raw[present].astype(np.float64)
            except ValueError:
                raise _SlowPath from None
            limit = LIMITS["sfd_km"]
            bad = np.flatnonzero((~np.isfinite(sfd) & present) | (sfd < 0) | (sfd > limit))
            if bad.size:
                i = int(bad[0])
                problem = (
                    _too_big(limit, f"{sfd[i]:g}")
                    if np.isfinite(sfd[i]) and sfd[i] > limit
                    else f"must be a finite number ≥ 0 (got '{sfd[i]:g}')"
                )
                errors.append((i, _ORDER["sfd_km"], "sfd_km", problem))
        out["sfd_km"] = sfd
    for name, check, problem in (
        ("date", lambda v: _parse_date(v) is not None, "must be a date YYYY-MM-DD (got '{}')"),
        (
            "h2_pathway",
            lambda v: not v or _pathway_ok(v),
            "unknown hydrogen pathway '{}'; choose one of: "
            + ", ".join(PATHWAYS)
            + " (optionally NAME@GRID)",
        ),
    ):
        if name not in out:
            continue
        for label in np.unique(out[name]).tolist():
            text = label.decode("ascii")
            if text and not check(text):
                i = int(np.flatnonzero(out[name] == label)[0])
                errors.append((i, _ORDER[name], name, problem.format(text)))
    if errors:
        i, _, name, problem = min(errors, key=lambda e: (e[0], e[1]))
        raise LedgerError(_SHARED["display"], problem, row=int(rows[i]), field=name)
    return out


def _fast_parse(body: str, names: list[str], builder: _Builder, chunk_rows: int) -> None:
    """Parse the whole body with :func:`_fast_chunk` in chunks of about ``chunk_rows`` lines."""
    n_lines = body.count("\n") + (0 if body.endswith("\n") or not body else 1)
    if not n_lines:
        return
    step = max(1, len(body) * chunk_rows // n_lines)
    pos, row = 0, 1
    while pos < len(body):
        end = body.find("\n", min(pos + step, len(body)))
        end = len(body) if end < 0 else end + 1
        piece = body[pos:end]
        builder.add_checked(_fast_chunk(piece, row, names), None)
        row += piece.count("\n") + (0 if piece.endswith("\n") else 1)
        pos = end


def _workers(requested: int | None, n_lines: int) -> int:
    if requested is None or n_lines < 2:
        return 1
    if "fork" not in mp.get_all_start_methods():
        return 1
    return max(1, min(requested, os.cpu_count() or 1))


def read_ledger(
    path: str | Path, *, chunk_rows: int = CHUNK_ROWS, workers: int | None = None
) -> Ledger:
    """Read and validate an actuals ledger CSV.

    Parameters
    ----------
    path
        CSV file with the columns described in the module docstring.
    chunk_rows
        Rows parsed per chunk (bounds memory; results do not depend on it).
    workers
        None (default): numpy's C reader on plain ASCII files, falling back to the
        line-by-line parser for exact error messages. An integer selects the line-by-line
        parser with that many processes (``fork`` platforms only). Results
        do not depend on it.

    Raises
    ------
    LedgerError
        One sentence naming the file, the first bad row and the field.
    """
    display = str(path)
    text = _read_text(Path(path), display)
    head, _, body = text.partition("\n")
    names, ignored = _header(head, display)
    builder = _Builder(display)
    notes: list[str] = []
    if ignored:
        notes.append(f"{display}: ignored column(s) not used by the method: {', '.join(ignored)}")
    if '"' in body:
        _read_quoted(body, names, builder, display, chunk_rows)
        return builder.build(notes)
    if workers is None and body.isascii() and "\n\n" not in body and not body.startswith("\n"):
        _SHARED["display"] = display
        try:
            _fast_parse(body, names, builder, chunk_rows)
            return builder.build(notes)
        except _SlowPath:
            builder = _Builder(display)  # start again line by line for an exact message
        finally:
            _SHARED.clear()
    lines = body.split("\n")
    del text, body
    if lines and lines[-1] == "":
        lines.pop()
    bounds = [(a, min(a + chunk_rows, len(lines))) for a in range(0, len(lines), chunk_rows)]
    n_workers = _workers(workers, len(lines))
    _SHARED.update(lines=lines, names=names)
    try:
        if n_workers > 1 and len(bounds) > 1:
            ctx = mp.get_context("fork")
            with ctx.Pool(n_workers) as pool:
                for arrays, problem in pool.imap(_parse_task, bounds):
                    _add(builder, arrays, problem, display)
        else:
            for b in bounds:
                _add(builder, *_parse_range(*b), display)
    finally:
        _SHARED.clear()
    return builder.build(notes)


def _add(
    builder: _Builder, arrays: dict[str, np.ndarray], problem: Problem | None, display: str
) -> None:
    if problem is not None and not problem[1]:
        # a row with the wrong number of fields (after any earlier rows were accepted)
        raise LedgerError(display, problem[2], row=problem[0])
    builder.add_checked(arrays, problem)


def _read_quoted(
    body: str, names: list[str], builder: _Builder, display: str, chunk_rows: int
) -> None:
    """Slow path for CSVs with quoted fields (commas or quotes inside values)."""
    nc = len(names)
    reader = csv.reader(io.StringIO(body))
    buffer: list[list[str]] = []
    rows: list[int] = []

    def flush() -> None:
        if buffer:
            columns = list(zip(*buffer, strict=True))
            cols = {c: list(columns[i]) for i, c in enumerate(names)}
            builder.add(cols, np.array(rows, dtype=np.int64))
            buffer.clear()
            rows.clear()

    for number, record in enumerate(reader, start=1):
        if not record:
            continue
        if len(record) != nc:
            flush()
            raise LedgerError(
                display, f"has {len(record)} fields but the header has {nc}", row=number
            )
        buffer.append(record)
        rows.append(number)
        if len(buffer) >= chunk_rows:
            flush()
    flush()


def ledger_from_records(
    records: Iterable[Mapping[str, Any]],
    *,
    source: str = "<records>",
    row_numbers: Sequence[int] | None = None,
) -> Ledger:
    """Build a validated :class:`Ledger` from dicts with the ledger's column names.

    Numbers may be given as numbers or strings; optional columns may be missing or None.
    """
    records = list(records)
    for i, rec in enumerate(records):
        for col in REQUIRED_COLUMNS:
            if col not in rec:
                row = row_numbers[i] if row_numbers is not None else i + 1
                raise LedgerError(source, "missing required column", row=row, field=col)
    cols: dict[str, list[Any]] = {c: [r[c] for r in records] for c in REQUIRED_COLUMNS}
    for c in OPTIONAL_COLUMNS:
        if any(r.get(c) not in (None, "") for r in records):
            cols[c] = [("" if r.get(c) is None else r.get(c)) for r in records]
    for c in _TEXT:
        if c in cols:
            cols[c] = ["" if v is None else str(v) for v in cols[c]]
    builder = _Builder(source)
    rows = (
        np.asarray(row_numbers, dtype=np.int64)
        if row_numbers is not None
        else np.arange(1, len(records) + 1, dtype=np.int64)
    )
    if records:
        builder.add(cols, rows)
    return builder.build()
