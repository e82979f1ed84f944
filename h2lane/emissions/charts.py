"""Inline SVG bar charts for the emissions report: no scripts, scale to the page.

Text never collides with a threshold line: threshold labels sit in their own band above the
plot (stacked on a second row when two would overlap), and a bar's value label is moved past
a line, or inside the bar, when it would cross one. Text widths are estimated generously
(:data:`CHAR_W` px per character at 10 px type) so the placement holds in any sans-serif.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

CHAR_W = 6.4  # px per character at font-size 10 (digits and narrow sans ≈ 5.6)
LINE_GAP = 3.0  # px kept free on each side of a threshold line
THRESHOLD_COLOUR = "#b42318"


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def text_width(text: str, size: float = 10.0) -> float:
    """Estimated width in px of ``text`` at ``size`` px."""
    return len(text) * CHAR_W * size / 10.0


def _overlaps(a0: float, a1: float, x: float) -> bool:
    return a0 - LINE_GAP <= x <= a1 + LINE_GAP


def place_value_label(
    bar_end: float, bar_start: float, width: float, lines: Sequence[float], x_max: float
) -> tuple[float, str]:
    """(x, text-anchor) for a label of ``width`` px at the end of a bar, clear of ``lines``.

    Tries just after the bar, then just after each line in the way, then inside the bar.
    """
    x = bar_end + 4.0
    for _ in range(len(lines) + 1):
        hit = [ln for ln in lines if _overlaps(x, x + width, ln)]
        if not hit:
            if x + width <= x_max:
                return x, "start"
            break
        x = max(hit) + LINE_GAP + 2.0
    inside = bar_end - 4.0
    if inside - width >= bar_start and not any(
        _overlaps(inside - width, inside, ln) for ln in lines
    ):
        return inside, "end"
    # last resort: to the left of the first line the bar crosses, still clear of lines
    left = min((ln for ln in lines if ln >= bar_start), default=bar_end) - LINE_GAP - 2.0
    return left, "end"


def hbar_chart(
    rows: Sequence[tuple[str, dict[str, float]]],
    *,
    title: str,
    unit: str,
    colours: dict[str, str],
    labels: dict[str, str],
    order: Sequence[str],
    thresholds: Sequence[tuple[float, str]] = (),
    digits: int = 2,
    width: int = 900,
    left: int = 250,
    note: str = "",
    chart_id: str = "",
) -> str:
    """Horizontal (stacked) bars, one per row, with optional vertical threshold lines."""
    if not rows:
        return ""
    right, bar, gap = 24, 16, 9
    # legend (wraps)
    legend: list[tuple[float, float, str]] = []
    lx, ly = float(left), 28.0
    used = [p for p in order if any(d.get(p, 0.0) > 0 for _, d in rows)]
    for p in used:
        w = 26 + text_width(labels[p], 11)
        if lx + w > width and lx > left:
            lx, ly = float(left), ly + 16
        legend.append((lx, ly, p))
        lx += w
    totals = [sum(v for v in d.values() if v > 0) for _, d in rows]
    vmax = max([*totals, *(t * 1.1 for t, _ in thresholds)]) or 1.0
    # room for the longest value label after the longest bar
    label_w = max(text_width(f"{t:,.{digits}f}") for t in totals) + 8
    plot_w = width - left - right - label_w
    scale = plot_w / vmax
    xs = [left + t * scale for t, _ in thresholds]
    # threshold labels in rows above the plot, never overlapping each other
    band_rows: list[list[tuple[float, float]]] = []
    placed: list[tuple[float, int, str]] = []
    for x, (_, text) in sorted(zip(xs, thresholds, strict=True)):
        w = text_width(text)
        # just right of its line, or just left of it when it would leave the chart
        x0 = x + LINE_GAP if x + LINE_GAP + w <= width - 2 else x - LINE_GAP - w
        for r, taken in enumerate(band_rows):
            if all(x0 + w + 6 < a or x0 > b + 6 for a, b in taken):
                taken.append((x0, x0 + w))
                placed.append((x0, r, text))
                break
        else:
            band_rows.append([(x0, x0 + w)])
            placed.append((x0, len(band_rows) - 1, text))
    band_top = ly + 20
    top = band_top + 14 * len(band_rows) + (6 if band_rows else 0)
    height = top + len(rows) * (bar + gap) + 30 + (14 if note else 0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" role="img" aria-label="{_e(title)}"'
        + (f' id="{_e(chart_id)}"' if chart_id else "")
        + ">",
        f'<text x="0" y="16" font-size="14" font-weight="600">{_e(title)}</text>',
    ]
    for x0, y0, p in legend:
        out.append(
            f'<rect x="{x0:.0f}" y="{y0:.0f}" width="10" height="10" fill="{colours[p]}"/>'
            f'<text x="{x0 + 14:.0f}" y="{y0 + 9:.0f}" font-size="11">{_e(labels[p])}</text>'
        )
    for x0, r, text in placed:
        out.append(
            f'<text class="thr-label" x="{x0:.1f}" y="{band_top + 10 + 14 * r:.0f}" '
            f'font-size="10" fill="{THRESHOLD_COLOUR}" data-w="{text_width(text):.1f}">'
            f"{_e(text)}</text>"
        )
    y = top
    for (name, d), total in zip(rows, totals, strict=True):
        short = name if len(name) <= 40 else name[:39] + "…"
        out.append(
            f'<text x="{left - 6}" y="{y + bar - 4:.0f}" font-size="11" text-anchor="end">'
            f"{_e(short)}</text>"
        )
        x = float(left)
        for p in order:
            v = d.get(p, 0.0)
            if v <= 0:
                continue
            w = v * scale
            out.append(
                f'<rect x="{x:.1f}" y="{y:.0f}" width="{w:.1f}" height="{bar}" '
                f'fill="{colours[p]}"><title>{_e(labels[p])}: {v:,.3f} {_e(unit)}</title></rect>'
            )
            x += w
        text = f"{total:,.{digits}f}"
        tw = text_width(text)
        tx, anchor = place_value_label(x, float(left), tw, xs, float(width - 2))
        fill = "#ffffff" if anchor == "end" and tx <= x else "#101828"
        out.append(
            f'<text class="value" x="{tx:.1f}" y="{y + bar - 4:.0f}" font-size="10" '
            f'text-anchor="{anchor}" fill="{fill}" data-w="{tw:.1f}">{text}</text>'
        )
        y += bar + gap
    for x in xs:
        out.append(
            f'<line class="thr" x1="{x:.1f}" y1="{band_top + 14 * len(band_rows):.0f}" '
            f'x2="{x:.1f}" y2="{y:.0f}" stroke="{THRESHOLD_COLOUR}" stroke-dasharray="4 3"/>'
        )
    out.append(f'<text x="{left}" y="{y + 14:.0f}" font-size="10" fill="#475467">{_e(unit)}</text>')
    if note:
        out.append(f'<text x="0" y="{y + 28:.0f}" font-size="10" fill="#475467">{_e(note)}</text>')
    out.append("</svg>")
    return "".join(out)


def pair_chart(
    labels: list[str],
    first: list[float],
    second: list[float],
    *,
    title: str,
    names: tuple[str, str],
    colours: tuple[str, str],
    unit: str = "t CO2e",
) -> str:
    """Horizontal grouped bars: two values per label (e.g. hydrogen vs diesel baseline)."""
    if not labels:
        return ""
    width, left, bar, gap = 760, 170, 9, 8
    height = 40 + len(labels) * (2 * bar + gap) + 30
    vmax = max(max(first, default=0), max(second, default=0)) or 1.0
    scale = (width - left - 90) / vmax
    digits = 2 if vmax < 10 else 1
    legend_x = left + 26 + text_width(names[0], 11)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(title)}">',
        f'<text x="0" y="16" font-size="14" font-weight="600">{_e(title)}</text>',
        f'<rect x="{left}" y="24" width="10" height="10" fill="{colours[0]}"/>'
        f'<text x="{left + 14}" y="33" font-size="11">{_e(names[0])}</text>'
        f'<rect x="{legend_x:.0f}" y="24" width="10" height="10" fill="{colours[1]}"/>'
        f'<text x="{legend_x + 14:.0f}" y="33" font-size="11">{_e(names[1])}</text>',
    ]
    y = 44
    for lab, a, b in zip(labels, first, second, strict=True):
        short = lab if len(lab) <= 26 else lab[:25] + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y + bar + 3}" font-size="11" text-anchor="end">'
            f"{_e(short)}</text>"
        )
        for k, (v, colour) in enumerate(((a, colours[0]), (b, colours[1]))):
            w = max(v * scale, 0.5)
            yy = y + k * bar
            parts.append(
                f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar - 1}" fill="{colour}">'
                f"<title>{_e(lab)}: {v:,.2f} {_e(unit)}</title></rect>"
                f'<text x="{left + w + 4:.1f}" y="{yy + bar - 2}" font-size="9">'
                f"{v:,.{digits}f}</text>"
            )
        y += 2 * bar + gap
    parts.append(
        f'<text x="{left}" y="{y + 14}" font-size="10" fill="#475467">{_e(unit)}</text></svg>'
    )
    return "".join(parts)
