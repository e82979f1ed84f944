"""Vectorised text rendering for million-row exports (CSV lines, JSON documents).

A row is a sequence of *pieces*: constant bytes, a column of strings, or a column of
numbers with a fixed number of decimals. Each piece becomes a fixed-width block of bytes
(padded with NUL), the blocks are laid side by side in one ``uint8`` matrix and the NUL
padding is squeezed out in a single pass — no Python work per row.

Numbers are rounded half-to-even at the last decimal (``numpy.rint``); Python's ``%.3f``
rounds the exact binary value, so the two can differ by one unit in the last place on ties.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_DOT, _MINUS, _ZERO = ord("."), ord("-"), ord("0")
_POW10 = 10 ** np.arange(19, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Num:
    """A float column written with ``decimals`` decimals (``0`` writes an integer)."""

    values: np.ndarray
    decimals: int = 3


Piece = bytes | np.ndarray | Num


def text_column(values: Sequence[str]) -> np.ndarray:
    """Strings as a NUL-padded bytes array (UTF-8)."""
    try:
        return np.array(values, dtype="S") if len(values) else np.zeros(0, dtype="S1")
    except UnicodeEncodeError:
        return np.array([v.encode("utf-8") for v in values], dtype="S")


_PAIRS = np.array([[_ZERO + i // 10, _ZERO + i % 10] for i in range(100)], dtype=np.uint8)


def _digits(v: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded ASCII digits of non-negative ``v`` (< 10**width), shape (n, width)."""
    out = np.empty((v.shape[0], width), dtype=np.uint8)
    rem = v
    col = width
    while col >= 2:
        rem, pair = np.divmod(rem, 100)
        out[:, col - 2 : col] = _PAIRS[pair]
        col -= 2
    if col == 1:
        out[:, 0] = _ZERO + (rem % 10).astype(np.uint8)
    return out


def _num_blocks(x: np.ndarray, decimals: int) -> list[np.ndarray]:
    """Byte blocks (integer part, dot, fraction) of ``x`` printed with ``decimals``."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    scaled = np.rint(np.abs(x) * 10.0**decimals)
    if n and not (np.isfinite(scaled).all() and scaled.max() < 9e18):
        raise ValueError("numbers too large or not finite for fixed-point text")
    v = scaled.astype(np.int64)
    if decimals:
        ip, fp = np.divmod(v, _POW10[decimals])
    else:
        ip, fp = v, None
    ipn = np.maximum(np.searchsorted(_POW10, ip, side="right"), 1)  # digits per row
    neg = (x < 0) & (v > 0)
    lead = 1 if neg.any() else 0
    ipw = int(ipn.max()) + lead if n else 1
    block = _digits(ip, ipw)
    pad = np.arange(ipw)[None, :] < (ipw - ipn)[:, None]
    block[pad] = 0
    if lead:
        rows = np.flatnonzero(neg)
        block[rows, ipw - ipn[rows] - 1] = _MINUS
    if fp is None:
        return [block]
    dot = np.broadcast_to(np.array([_DOT], dtype=np.uint8), (n, 1))
    return [block, dot, _digits(fp, decimals)]


def render(pieces: Sequence[Piece], n: int) -> tuple[bytes, np.ndarray]:
    """Concatenate ``pieces`` row by row; return the text and each row's length in bytes."""
    blocks: list[np.ndarray] = []
    done: dict[int, list[np.ndarray]] = {}  # a Num used twice is rendered once
    for p in pieces:
        if isinstance(p, bytes):
            if p:
                blocks.append(np.broadcast_to(np.frombuffer(p, dtype=np.uint8), (n, len(p))))
        elif isinstance(p, Num):
            if id(p) not in done:
                done[id(p)] = _num_blocks(p.values, p.decimals)
            blocks.extend(done[id(p)])
        else:
            arr = np.ascontiguousarray(p)
            blocks.append(arr.view(np.uint8).reshape(n, arr.dtype.itemsize))
    if not n or not blocks:
        return b"", np.zeros(n, dtype=np.int64)
    mat = np.concatenate(blocks, axis=1)
    keep = mat != 0
    return mat[keep].tobytes(), np.count_nonzero(keep, axis=1).astype(np.int64)
