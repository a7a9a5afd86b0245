"""Small inline SVG charts for the card's report.html and the audit's audit.html (both laid out by
html_report.py), so a report needs no plotting library and no network to render. Inline in HTML,
an <svg> needs no namespace attribute, so a report names no URL at all."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d")
PASS, FAIL = "#16a34a", "#dc2626"


def hbars(items: list[tuple[str, float]], color: str = PALETTE[0], width: int = 640, unit: str = "") -> str:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    if not items:
        return '<p class="empty">nothing to plot</p>'
    row, label_w, pad = 26, 210, 8
    top = max(v for _, v in items) or 1
    bar_w = width - label_w - 90
    parts = [f'<svg width="{width}" height="{row * len(items) + pad}" role="img">']
    for i, (label, value) in enumerate(items):
        y = i * row + pad // 2
        w = max(1.0, bar_w * value / top) if value else 0
        fill = PALETTE[i % len(PALETTE)] if color == "cycle" else color
        parts += [f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">{escape(label[:32])}</text>',
                  f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{fill}" rx="2"/>',
                  f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="12">{value:,.0f}{unit}</text>']
    return "".join(parts) + "</svg>"


def stacked(items: list[tuple[str, int, int]], width: int = 640) -> str:
    """One bar per label split into passed (green) and failed (red)."""
    if not items:
        return '<p class="empty">nothing to plot</p>'
    row, label_w, pad = 26, 210, 8
    top = max(p + f for _, p, f in items) or 1
    bar_w = width - label_w - 150
    parts = [f'<svg width="{width}" height="{row * len(items) + pad}" role="img">']
    for i, (label, passed, failed) in enumerate(items):
        y = i * row + pad // 2
        wp, wf = bar_w * passed / top, bar_w * failed / top
        parts += [f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">{escape(label[:32])}</text>',
                  f'<rect x="{label_w}" y="{y + 3}" width="{wp:.1f}" height="{row - 8}" fill="{PASS}"/>',
                  f'<rect x="{label_w + wp:.1f}" y="{y + 3}" width="{wf:.1f}" height="{row - 8}" fill="{FAIL}"/>',
                  f'<text x="{label_w + wp + wf + 6:.1f}" y="{y + 16}" font-size="12">{passed:,} passed, {failed:,} failed</text>']
    return "".join(parts) + "</svg>"


def histogram(counts: list[int], width: int = 640, height: int = 180, band: tuple[float, float] | None = None,
              xlabel: str = "") -> str:
    """Vertical bars over equal bins of [0, 1] (pass rates), with `band` (low, high) shaded."""
    if not counts or not any(counts):
        return '<p class="empty">nothing to plot</p>'
    top, n, base = max(counts), len(counts), height - 24
    bw = (width - 40) / n
    parts = [f'<svg width="{width}" height="{height + (16 if xlabel else 0)}" role="img">']
    if band is not None:
        x0, x1 = 20 + band[0] * (width - 40), 20 + band[1] * (width - 40)
        parts.append(f'<rect x="{x0:.1f}" y="0" width="{x1 - x0:.1f}" height="{base}" fill="{PALETTE[3]}" opacity="0.2"/>')
    for i, c in enumerate(counts):
        h = (base - 16) * c / top
        x = 20 + i * bw
        parts += [f'<rect x="{x + 2:.1f}" y="{base - h:.1f}" width="{bw - 4:.1f}" height="{h:.1f}" fill="{PALETTE[0]}"/>',
                  f'<text x="{x + bw / 2:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" font-size="11">{c:,}</text>',
                  f'<text x="{x + bw / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="11">{i / n:.1f}</text>']
    if xlabel:
        parts.append(f'<text x="{width / 2:.0f}" y="{height + 10}" text-anchor="middle" font-size="11">{escape(xlabel)}</text>')
    return "".join(parts) + "</svg>"


def _scale(values: Sequence[float], low: float, high: float) -> tuple[float, float]:
    """(offset, factor) mapping the values' range onto [low, high] (a single value to the middle)."""
    lo, hi = min(values), max(values)
    if hi == lo:
        return (low + high) / 2, 0.0
    return low - lo * (high - low) / (hi - lo), (high - low) / (hi - lo)


def _frame(width: int, height: int, xlabel: str, ylabel: str) -> list[str]:
    return [f'<svg width="{width}" height="{height}" role="img">',
            f'<rect x="50" y="10" width="{width - 210}" height="{height - 50}" fill="none" stroke="#bbb"/>',
            f'<text x="{(width - 160) / 2 + 25:.0f}" y="{height - 8}" text-anchor="middle" font-size="11">{escape(xlabel)}</text>',
            f'<text x="12" y="{(height - 40) / 2 + 10:.0f}" text-anchor="middle" font-size="11" '
            f'transform="rotate(-90 12 {(height - 40) / 2 + 10:.0f})">{escape(ylabel)}</text>']


def _legend(labels: Sequence[str], width: int) -> list[str]:
    return [f'<rect x="{width - 150}" y="{14 + 16 * i}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{width - 135}" y="{23 + 16 * i}" font-size="10">{escape(label[:30])}</text>'
            for i, label in enumerate(labels)]


def _ticks(xs: Sequence[float], ys: Sequence[float], x: tuple[float, float], y: tuple[float, float], height: int) -> list[str]:
    """The smallest and largest value on each axis, where they are drawn."""
    return [f'<text x="{x[0] + v * x[1]:.1f}" y="{height - 26}" text-anchor="middle" font-size="10">{v:.3g}</text>'
            for v in sorted({min(xs), max(xs)})] + \
           [f'<text x="46" y="{y[0] + v * y[1] + 4:.1f}" text-anchor="end" font-size="10">{v:.3g}</text>'
            for v in sorted({min(ys), max(ys)})]


def lines(series: dict[str, list[tuple[float, float]]], xlabel: str = "", ylabel: str = "", zero: bool = False,
          width: int = 640, height: int = 240) -> str:
    """One line with markers per labelled series of (x, y) points, on shared axes (a rule at y = 0 with `zero`)."""
    points = [p for values in series.values() for p in values]
    if not points:
        return '<p class="empty">nothing to plot</p>'
    xs, ys = [x for x, _ in points], [y for _, y in points] + ([0.0] if zero else [])
    (xo, xf), (yo, yf) = _scale(xs, 60, width - 170), _scale(ys, height - 50, 20)
    parts = _frame(width, height, xlabel, ylabel) + _ticks(xs, ys, (xo, xf), (yo, yf), height)
    if zero:
        parts.append(f'<line x1="50" x2="{width - 160}" y1="{yo:.1f}" y2="{yo:.1f}" stroke="#888" stroke-width="0.8"/>')
    for i, values in enumerate(series.values()):
        colour, xy = PALETTE[i % len(PALETTE)], [(xo + x * xf, yo + y * yf) for x, y in values]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="{2.5 if i == 0 else 1.2}" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy) + '"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in xy]
    return "".join(parts + _legend(list(series), width)) + "</svg>"


def scatter(points: Sequence[tuple[float, float]], groups: Sequence[str], xlabel: str = "", ylabel: str = "",
            width: int = 640, height: int = 360) -> str:
    """Points coloured by group (sources), with a legend of the groups."""
    if not len(points):
        return '<p class="empty">nothing to plot</p>'
    names = sorted(set(groups))
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    xs, ys = [float(x) for x, _ in points], [float(y) for _, y in points]
    (xo, xf), (yo, yf) = _scale(xs, 60, width - 170), _scale(ys, height - 50, 20)
    parts = _frame(width, height, xlabel, ylabel) + _ticks(xs, ys, (xo, xf), (yo, yf), height)
    parts += [f'<circle cx="{xo + float(x) * xf:.1f}" cy="{yo + float(y) * yf:.1f}" r="2" fill="{colour[g]}" opacity="0.6"/>'
              for (x, y), g in zip(points, groups, strict=True)]
    return "".join(parts + _legend(names, width)) + "</svg>"
