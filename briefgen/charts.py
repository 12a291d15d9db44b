"""Charts for figures that carry a series: scales and ticks worked out here, the SVG drawn by
the `chart.svg` template, so a workspace can restyle charts as it restyles briefings.

Not matplotlib: importing it cost half a second and 65 MiB in every process that drew a chart,
a third of what briefgen adds to a brief, for a few lines on two axes. The SVG is embedded as a
data: URL, so the HTML stays one standalone file and the PDF fetcher needs no file access.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import date, timedelta

from .formatting import format_date
from .models import Figure

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, BOTTOM = 64, 24, 36
"""The plot area's margins: tick labels on the left and below; the legend sets the top."""
LEGEND_ROW, CHARACTER_WIDTH, SWATCH = 18, 6.4, 30
"""The legend's row height, a generous average width of an 11px character, a key's line and gap."""
COLOURS = ("#1f4e79", "#b5471b", "#2e7d32", "#6a1b9a", "#8d6e00", "#00695c")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200, 2400, 6000, 12000, 24000)
MAX_TICKS = 7
PADDING = timedelta(days=15)
LARGEST = 1e300
"""Values beyond ±this are drawn at it: the axis arithmetic must stay finite."""


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    path: str
    """SVG path data: straight segments, or steps that hold each value until the next date."""
    points: list[tuple[float, float]]


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str
    x: float
    y: float


@dataclass(frozen=True)
class ChartLayout:
    """Everything `chart.svg` draws, in SVG user units (the view box is WIDTH × HEIGHT)."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    unit: str
    lines: list[Line]
    legend: list[LegendEntry]
    title: str
    description: str


def chart_layout(figure: Figure) -> ChartLayout:
    """Where every line, point and tick of `figure`'s chart goes."""
    dates = [point.date for series in figure.series for point in series.points]
    values = [float(point.value) for series in figure.series for point in series.points]
    first, last = min(dates), max(dates)
    if first == last:  # one date: a month around it, within the calendar's ends
        first = first - PADDING if first - date.min > PADDING else date.min
        last = last + PADDING if date.max - last > PADDING else date.max
    bottom_value, top_value, y_step = nice_range(min(0.0, *values), max(0.0, *values))
    legend = _legend([series.label for series in figure.series])
    left, right, top, bottom = LEFT, WIDTH - RIGHT, legend[-1].y + LEGEND_ROW, HEIGHT - BOTTOM

    def x(day: date) -> float:
        return round(left + (day - first).days / (last - first).days * (right - left), 2)

    def y(value: float) -> float:
        value = min(max(value, bottom_value), top_value)  # beyond ±LARGEST: drawn at the axis' end
        return round(bottom - (value - bottom_value) / (top_value - bottom_value) * (bottom - top), 2)

    lines = []
    for colour, series in zip(COLOURS, figure.series):
        points = [(x(point.date), y(float(point.value))) for point in series.points]
        lines.append(Line(series.label, colour, _path(points, step=figure.chart == "step"), points))
    y_ticks = [Tick(y(value), _number(value, y_step)) for value in _steps(bottom_value, top_value, y_step)]
    x_ticks = [Tick(x(day), label) for day, label in date_ticks(first, last)]
    return ChartLayout(
        WIDTH, HEIGHT, left, right, top, bottom, x_ticks, y_ticks, figure.unit, lines, legend, figure.label,
        chart_description(figure),
    )


def _legend(labels: list[str]) -> list[LegendEntry]:
    """Keys left to right above the plot, wrapping to a new row when one would run off the chart."""
    entries, x, y = [], float(LEFT), float(LEGEND_ROW)
    for colour, label in zip(COLOURS, labels):
        width = SWATCH + len(label) * CHARACTER_WIDTH + 16
        if x > LEFT and x + width > WIDTH - RIGHT:
            x, y = float(LEFT), y + LEGEND_ROW
        entries.append(LegendEntry(label, colour, x, y))
        x += width
    return entries


def nice_range(low: float, high: float) -> tuple[float, float, float]:
    """Axis limits and step covering [low, high] in at most MAX_TICKS steps of 1, 2, 2.5 or 5 × 10ⁿ."""
    low, high = max(low, -LARGEST), min(high, LARGEST)
    if high - low <= max(abs(low), abs(high), 1e-200) * 1e-9:  # all values (all but) equal: widen
        high = low + max(abs(low), 1.0)
    magnitude = 10.0 ** math.floor(math.log10((high - low) / MAX_TICKS))
    while True:
        for multiple in (1, 2, 2.5, 5):
            step = multiple * magnitude
            start, end = math.floor(low / step) * step, math.ceil(high / step) * step
            if (end - start) / step <= MAX_TICKS:
                return start, end, step
        magnitude *= 10


def _steps(start: float, end: float, step: float) -> list[float]:
    return [start + index * step for index in range(round((end - start) / step) + 1)]


def _number(value: float, step: float) -> str:
    """A tick label with as many decimals as the step needs: 0.25 → 2, 20 → 0."""
    if not 1e-6 <= step < 1e12:
        text = f"{value:.3g}"
    else:
        decimals = next(d for d in range(12) if abs(round(step, d) - step) <= step * 1e-9)
        text = f"{value:,.{decimals}f}"
    return "0" if text.strip("-0.,") == "" else text.replace("-", "\u2212")


def date_ticks(first: date, last: date) -> list[tuple[date, str]]:
    """First days of months (or years) between `first` and `last`, at most MAX_TICKS of them.

    The year is written on the first tick and on every January; other ticks give the month.
    A span too short for two month ticks is labelled at its two ends.
    """
    first_month, last_month = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    step = next(s for s in _MONTH_STEPS if (last_month - first_month) // s < MAX_TICKS)
    start = first_month + (0 if first.day == 1 else 1)
    ticks: list[tuple[date, str]] = []
    for index in range(start + -start % step, last_month + 1, step):
        day = date(index // 12, index % 12 + 1, 1)
        if step % 12 == 0:
            label = str(day.year)
        else:
            label = f"{_MONTHS[day.month - 1]} {day.year}" if not ticks or day.month == 1 else _MONTHS[day.month - 1]
        ticks.append((day, label))
    if len(ticks) < 2:
        return [(first, format_date(first)), (last, format_date(last))]
    return ticks


def _path(points: list[tuple[float, float]], *, step: bool) -> str:
    (x0, y0), rest = points[0], points[1:]
    if step:  # each value holds until the next date: across, then up or down
        return f"M{x0},{y0}" + "".join(f"H{x}V{y}" for x, y in rest)
    return f"M{x0},{y0}" + "".join(f"L{x},{y}" for x, y in rest)


def chart_data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def chart_description(figure: Figure) -> str:
    """Alternative text: what the chart shows, in a sentence; the numbers follow in a table."""
    lines = "; ".join(
        f"{series.label} from {float(series.points[0].value):g} to {float(series.points[-1].value):g}"
        for series in figure.series
    )
    first = min(point.date for series in figure.series for point in series.points)
    last = max(point.date for series in figure.series for point in series.points)
    return f"Chart of {figure.label} ({figure.unit}), {format_date(first)} to {format_date(last)}: {lines}. The data table follows."
