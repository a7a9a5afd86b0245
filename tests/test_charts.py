"""The one chart renderer of the card's report.html and the audit's audit.html: every chart is inline
SVG naming no URL, places what it is given inside its frame, and says so when there is nothing to plot."""

from __future__ import annotations

import re

from reasonledger import charts


def _numbers(svg: str, attribute: str) -> list[float]:
    return [float(v) for v in re.findall(rf'\b{attribute}="(-?[0-9.]+)"', svg)]


def test_every_chart_is_inline_svg_with_no_url_and_an_empty_note_for_no_data():
    drawn = [charts.hbars([("a", 3.0), ("b", 1.0)]), charts.stacked([("exact", 3, 1)]),
             charts.histogram([1, 0, 4], band=(0.25, 0.75), xlabel="pass rate"),
             charts.lines({"overall": [(-5.0, 0.1), (5.0, -0.2)]}, "x", "y", zero=True),
             charts.scatter([(0.0, 1.0), (2.0, -1.0), (1.0, 0.0)], ["s1", "s2", "s1"], "PC 1", "PC 2")]
    for svg in drawn:
        assert svg.startswith("<svg ") and svg.endswith("</svg>") and "http" not in svg
    for empty in (charts.hbars([]), charts.histogram([0, 0]), charts.lines({}), charts.scatter([], [])):
        assert "nothing to plot" in empty


def test_points_land_inside_the_frame_and_keep_their_order():
    svg = charts.scatter([(0.0, 1.0), (2.0, -1.0), (1.0, 0.0)], ["s1", "s2", "s1"], width=640, height=360)
    xs, ys = _numbers(svg, "cx"), _numbers(svg, "cy")
    assert xs[0] < xs[2] < xs[1] and 50 <= min(xs) and max(xs) <= 640 - 160
    assert ys[1] > ys[2] > ys[0] and 10 <= min(ys) and max(ys) <= 360 - 40  # larger y is drawn higher up
    assert svg.count(">s1<") == svg.count(">s2<") == 1  # one legend entry per group
    flat = charts.lines({"one point": [(3.0, 0.5)]})  # a single value sits mid-frame rather than dividing by zero
    assert _numbers(flat, "cx") and all(50 <= x <= 480 for x in _numbers(flat, "cx"))


def test_the_histogram_shades_the_band_over_the_bins_it_covers():
    svg = charts.histogram([1, 2, 3, 4], width=440, band=(0.25, 0.75))
    shade = re.search(r'<rect x="([0-9.]+)" y="0" width="([0-9.]+)"[^>]*opacity', svg)
    assert shade and float(shade.group(1)) == 20 + 0.25 * 400 and float(shade.group(2)) == 0.5 * 400
