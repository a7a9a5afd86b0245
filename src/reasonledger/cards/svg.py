"""Small inline SVG charts, so report.html needs no plotting library and no network to render."""

from __future__ import annotations

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
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{row * len(items) + pad}" role="img">']
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
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{row * len(items) + pad}" role="img">']
    for i, (label, passed, failed) in enumerate(items):
        y = i * row + pad // 2
        wp, wf = bar_w * passed / top, bar_w * failed / top
        parts += [f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">{escape(label[:32])}</text>',
                  f'<rect x="{label_w}" y="{y + 3}" width="{wp:.1f}" height="{row - 8}" fill="{PASS}"/>',
                  f'<rect x="{label_w + wp:.1f}" y="{y + 3}" width="{wf:.1f}" height="{row - 8}" fill="{FAIL}"/>',
                  f'<text x="{label_w + wp + wf + 6:.1f}" y="{y + 16}" font-size="12">{passed:,} passed, {failed:,} failed</text>']
    return "".join(parts) + "</svg>"


def histogram(counts: list[int], width: int = 640, height: int = 180) -> str:
    """Vertical bars over equal bins of [0, 1] (pass rates)."""
    if not counts or not any(counts):
        return '<p class="empty">nothing to plot</p>'
    top, n, base = max(counts), len(counts), height - 24
    bw = (width - 40) / n
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, c in enumerate(counts):
        h = (base - 16) * c / top
        x = 20 + i * bw
        parts += [f'<rect x="{x + 2:.1f}" y="{base - h:.1f}" width="{bw - 4:.1f}" height="{h:.1f}" fill="{PALETTE[0]}"/>',
                  f'<text x="{x + bw / 2:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" font-size="11">{c:,}</text>',
                  f'<text x="{x + bw / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="11">{i / n:.1f}</text>']
    return "".join(parts) + "</svg>"
