"""Charts drawn on the server as SVG with reportlab's graphics (the same drawing can go into a
PDF report later)."""

from __future__ import annotations

import itertools
import re

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

BRAND = colors.HexColor("#1f5fbf")
INK = colors.HexColor("#1d2433")
GRID = colors.HexColor("#dfe3ea")
_ids = itertools.count(1)


def column_chart(
    labels: list[str], values: list[float], *, title: str, width: int = 560, height: int = 220
) -> str:
    """A column chart (e.g. orders per day) as an inline SVG element."""
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 40
    chart.width, chart.height = width - 60, height - 70
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = labels or [""]
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.angle = 0 if len(labels) <= 8 else 45
    chart.categoryAxis.labels.boxAnchor = "n" if len(labels) <= 8 else "ne"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 8
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = GRID
    chart.bars[0].fillColor = BRAND
    chart.bars[0].strokeColor = None
    top = max(values) if values else 0
    chart.valueAxis.valueMax = max(1, top * 1.15)
    chart.valueAxis.valueStep = _step(chart.valueAxis.valueMax)
    drawing.add(chart)
    drawing.add(String(4, height - 14, title, fontSize=10, fillColor=INK))
    return _svg(drawing, title)


def bar_chart(labels: list[str], values: list[float], *, title: str, width: int = 560) -> str:
    """Horizontal bars (e.g. open orders by status) as an inline SVG element."""
    rows = max(1, len(labels))
    height = 56 + rows * 26
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 130, 24
    chart.width, chart.height = width - 150, height - 48
    chart.data = [list(reversed(values)) or [0]]
    chart.categoryAxis.categoryNames = list(reversed(labels)) or [""]
    chart.categoryAxis.labels.fontSize = 9
    chart.valueAxis.valueMin = 0
    top = max(values) if values else 0
    chart.valueAxis.valueMax = max(1, top * 1.15)
    chart.valueAxis.valueStep = _step(chart.valueAxis.valueMax)
    chart.valueAxis.labels.fontSize = 8
    chart.bars[0].fillColor = BRAND
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontSize = 8
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    drawing.add(String(4, height - 14, title, fontSize=10, fillColor=INK))
    return _svg(drawing, title)


def _step(top: float) -> float:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / step <= 6:
            return step
    return top / 5


def _svg(drawing: Drawing, title: str) -> str:
    """The SVG element alone (no XML prologue), scalable, with an accessible name."""
    text = renderSVG.drawToString(drawing)
    start = text.index("<svg")
    svg = text[start:]
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)
    # renderSVG names its clip path "clip": unique per chart, or several on one page clip
    # each other's drawings to the first one's size.
    clip = f"clip-{next(_ids)}"
    svg = svg.replace('id="clip"', f'id="{clip}"').replace("url(#clip)", f"url(#{clip})")
    svg = svg.replace("<title>...</title>", f"<title>{_escape(title)}</title>", 1)
    svg = svg.replace("<desc>...</desc>", "", 1)
    return svg.replace("<svg", f'<svg role="img" aria-label="{_escape(title)}"', 1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
