"""Charts for figures that carry a series: scales and ticks worked out here, the SVG drawn by
the `chart.svg` template, so a workspace can restyle charts as it restyles briefings.

Not matplotlib: importing it cost half a second and 65 MiB in every process that drew a chart,
a third of what briefgen adds to a brief, for a few lines on two axes. The SVG is embedded as a
data: URL, so the HTML stays one standalone file and the PDF fetcher needs no file access.
"""

from __future__ import annotations

import base64
import math
import textwrap
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from .formatting import format_date, format_figure
from .models import Figure, SeriesPoint
from .portions import with_label

WIDTH = 640
"""The view box's width. On a phone it is drawn about 360 px wide, so text is large in these units."""
FONT, TITLE_FONT = 14, 18
CHARACTER_WIDTH, TITLE_CHARACTER_WIDTH = 0.64 * FONT, 0.62 * TITLE_FONT
"""Generous average widths of a character: space is reserved by these estimates, not measured."""
TITLE_LINE, TITLE_LINES, LEGEND_ROW, SWATCH, EDGE = 24, 3, 24, 30, 4
PLOT_HEIGHT, RIGHT, BELOW = 230, 60, 40
"""The plot area's height; its right margin, room for the last values' labels; the room below it for the month labels."""
MARKER = 3.5
COLOURS = ("#1f4e79", "#b5471b", "#2e7d32", "#6a1b9a", "#8d6e00", "#00695c")
DARK_COLOURS = ("#9cc3ea", "#f0a27a", "#8fd19e", "#d1a7f0", "#e8c766", "#7fd4c6")
"""Each series' colour on a light page (the PDF, print) and, by the SVG's own media query, on a dark one."""
PROJECTED = "projected"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200, 2400, 6000, 12000, 24000)
MAX_TICKS = 7
MAX_LABELLED = 16
"""More points than this in a chart, and only each series' latest, highest and lowest values are written."""
PADDING = timedelta(days=15)
LARGEST = 1e300
"""Values beyond ±this are drawn at it: the axis arithmetic must stay finite."""

Box = tuple[float, float, float, float]
"""left, top, right, bottom in SVG units."""


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    projected: bool
    """Drawn hollow, reached by a dashed segment: a value expected, not yet seen."""


@dataclass(frozen=True)
class ValueLabel:
    """A point's value written beside it; `x` is where the text is anchored (start, middle or end)."""

    x: float
    y: float
    anchor: str
    text: str

    @property
    def box(self) -> Box:
        return _text_box(self.x, self.y, self.anchor, len(self.text))


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    dark_colour: str
    path: str
    """SVG path data of the observed segments: straight, or steps that hold each value until the next date."""
    projected_path: str
    """The segments that reach a projected point, drawn dashed ('' when there are none)."""
    points: list[Marker]
    labels: list[ValueLabel]


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str
    x: float
    y: float
    projected: bool = False
    """The key of a dashed segment and a hollow marker, not of a series."""


@dataclass(frozen=True)
class ChartLayout:
    """Everything `chart.svg` draws, in SVG user units (the view box is width × height)."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    unit: str
    unit_y: float
    lines: list[Line]
    legend: list[LegendEntry]
    title: str
    title_lines: list[tuple[float, str]]
    """The title as drawn above the chart: (baseline, text) of each line, wrapped to the width."""
    description: str
    font: int = FONT
    title_font: int = TITLE_FONT
    edge: int = EDGE


def chart_layout(figure: Figure) -> ChartLayout:
    """Where every line, point, label and tick of `figure`'s chart goes."""
    dates = [point.date for series in figure.series for point in series.points]
    values = [float(point.value) for series in figure.series for point in series.points]
    first, last = min(dates), max(dates)
    if first == last:  # one date: a month around it, within the calendar's ends
        first = first - PADDING if first - date.min > PADDING else date.min
        last = last + PADDING if date.max - last > PADDING else date.max
    bottom_value, top_value, y_step = nice_range(min(0.0, *values), max(0.0, *values))
    y_values = _steps(bottom_value, top_value, y_step)
    y_labels = [_number(value, y_step) for value in y_values]
    title_lines = _title_lines(with_label(figure.label))  # wrapped as plain text, so the label goes in first
    projected_any = any(getattr(point, "projected", False) for series in figure.series for point in series.points)
    legend = _legend([series.label for series in figure.series], title_lines[-1][0] + 30, projected_any)
    left = max(48.0, max(len(label) for label in y_labels) * CHARACTER_WIDTH + 16)
    right, top = WIDTH - RIGHT, legend[-1].y + 44
    bottom = top + PLOT_HEIGHT

    def x(day: date) -> float:
        return round(left + (day - first).days / (last - first).days * (right - left), 2)

    def y(value: float) -> float:
        value = min(max(value, bottom_value), top_value)  # beyond ±LARGEST: drawn at the axis' end
        return round(bottom - (value - bottom_value) / (top_value - bottom_value) * (bottom - top), 2)

    step = figure.chart == "step"
    markers = [
        [Marker(x(point.date), y(float(point.value)), getattr(point, "projected", False)) for point in series.points]
        for series in figure.series
    ]
    segments = [_segments(points, step=step) for points in markers]
    unit_y = top - 12
    area = (left - 6, legend[-1].y + 8, float(WIDTH - EDGE), bottom - 2)
    obstacles = [_text_box(EDGE, unit_y, "start", len(figure.unit))] + [
        (m.x - MARKER - 1, m.y - MARKER - 1, m.x + MARKER + 1, m.y + MARKER + 1) for points in markers for m in points
    ]
    all_segments = [segment for series_segments in segments for segment, _ in series_segments]
    labels: list[list[ValueLabel]] = [[] for _ in figure.series]
    dense = sum(len(series.points) for series in figure.series) > MAX_LABELLED
    for index, point, marker in _labelled(figure, markers, dense=dense):
        label = _place_label(marker, _value_text(figure, point.value), area, obstacles, all_segments, dense=dense)
        if label:
            labels[index].append(label)
            obstacles.append(label.box)
    lines = [
        Line(
            series.label, COLOURS[index], DARK_COLOURS[index],
            _path([segment for segment, dashed in series_segments if not dashed]),
            _path([segment for segment, dashed in series_segments if dashed]),
            points, labels[index],
        )
        for index, (series, points, series_segments) in enumerate(zip(figure.series, markers, segments))
    ]
    y_ticks = [Tick(y(value), label) for value, label in zip(y_values, y_labels)]
    x_ticks = [Tick(x(day), label) for day, label in date_ticks(first, last)]
    return ChartLayout(
        WIDTH, round(bottom + BELOW), left, right, top, bottom, x_ticks, y_ticks, figure.unit, unit_y, lines, legend,
        figure.label, title_lines, chart_description(figure),
    )


def _labelled(figure: Figure, markers: list[list[Marker]], *, dense: bool) -> list[tuple[int, SeriesPoint, Marker]]:
    """The points whose values are written, most telling first (each series' latest, then the rest):
    all of them on a sparse chart; on a dense one (over MAX_LABELLED) each series' latest, highest and lowest."""
    chosen = []
    for index, series in enumerate(figure.series):
        order = list(range(len(series.points) - 1, -1, -1))
        if dense:
            values = [point.value for point in series.points]
            order = list(dict.fromkeys([order[0], values.index(max(values)), values.index(min(values))]))
        chosen.append([(index, series.points[n], markers[index][n]) for n in order])
    latest = [points[0] for points in chosen]
    return latest + [item for points in chosen for item in points[1:]]


def _value_text(figure: Figure, value: Decimal) -> str:
    """A point's value as the table writes it; a unit other than '%' is left to the axis."""
    text = format_figure(figure.model_copy(update={"value": value, "unit": figure.unit if figure.unit.startswith("%") else ""}))
    return text.replace("-", "\u2212")


def _title_lines(title: str) -> list[tuple[float, str]]:
    """The title wrapped to the chart's width, at most TITLE_LINES lines (the last cut short with '…')."""
    width = int((WIDTH - 2 * EDGE) / TITLE_CHARACTER_WIDTH)
    lines = textwrap.wrap(title, width=width) or [""]
    if len(lines) > TITLE_LINES:
        lines = lines[: TITLE_LINES - 1] + [lines[TITLE_LINES - 1][: width - 1].rstrip() + "…"]
    return [(float(TITLE_FONT + 4 + index * TITLE_LINE), line) for index, line in enumerate(lines)]


def _legend(labels: list[str], first_row: float, projected: bool) -> list[LegendEntry]:
    """Keys left to right below the title, wrapping to a new row when one would run off the chart."""
    keys = [(label, colour, False) for label, colour in zip(labels, COLOURS)]
    if projected:
        keys.append((PROJECTED, "#4a4f57", True))  # chart.svg gives it its dark-mode colour
    entries, x, y = [], float(EDGE), first_row
    for label, colour, is_projected in keys:
        width = SWATCH + len(label) * CHARACTER_WIDTH + 20
        if x > EDGE and x + width > WIDTH - EDGE:
            x, y = float(EDGE), y + LEGEND_ROW
        entries.append(LegendEntry(label, colour, x, y, is_projected))
        x += width
    return entries


Segment = tuple[tuple[float, float], ...]
"""The vertices of the drawn line from one point to the next: two, or three for a step."""


def _segments(points: list[Marker], *, step: bool) -> list[tuple[Segment, bool]]:
    """Each point's segment from the one before, and whether it is dashed (it reaches a projected point)."""
    found = []
    for before, after in pairwise(points):
        corner = ((after.x, before.y),) if step else ()  # a step holds the value, then changes at once
        found.append((((before.x, before.y), *corner, (after.x, after.y)), after.projected))
    return found


def _path(segments: list[Segment]) -> str:
    """SVG path data for segments, one subpath for each run that joins up; steps as H and V."""
    path, end = "", None
    for segment in segments:
        if segment[0] != end:
            path += f"M{segment[0][0]},{segment[0][1]}"
        if len(segment) == 3:
            path += f"H{segment[2][0]}V{segment[2][1]}"
        else:
            path += f"L{segment[1][0]},{segment[1][1]}"
        end = segment[-1]
    return path


def _text_box(x: float, y: float, anchor: str, characters: int) -> Box:
    width = characters * CHARACTER_WIDTH
    start = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return (start, y - 0.8 * FONT, start + width, y + 0.2 * FONT)


def _place_label(
    marker: Marker, text: str, area: Box, obstacles: list[Box], segments: list[Segment], *, dense: bool
) -> ValueLabel | None:
    """The value beside its point: above, below, right or left, wherever it is inside `area`, clear of
    other labels and markers and, if it can be, of the lines (on a dense chart it must be). None when
    there is no room: the table has every value."""
    gap, rise, drop = MARKER + 5, 0.35 * FONT, MARKER + 5 + 0.8 * FONT
    candidates = [
        ValueLabel(marker.x, marker.y - gap, "middle", text),
        ValueLabel(marker.x + gap, marker.y + rise, "start", text),
        ValueLabel(marker.x - gap, marker.y + rise, "end", text),
        ValueLabel(marker.x, marker.y + drop, "middle", text),
        ValueLabel(marker.x + gap - 2, marker.y - gap + 2, "start", text),
        ValueLabel(marker.x - gap + 2, marker.y - gap + 2, "end", text),
        ValueLabel(marker.x + gap - 2, marker.y + drop - 2, "start", text),
        ValueLabel(marker.x - gap + 2, marker.y + drop - 2, "end", text),
    ]
    free = [c for c in candidates if _inside(c.box, area) and not any(_overlap(c.box, o) for o in obstacles)]
    clear = [c for c in free if not any(_crosses(segment, _grown(c.box, 3)) for segment in segments)]
    return next(iter(clear or ([] if dense else free)), None)


def _inside(box: Box, area: Box) -> bool:
    return area[0] <= box[0] and area[1] <= box[1] and box[2] <= area[2] and box[3] <= area[3]


def _grown(box: Box, by: float) -> Box:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _crosses(segment: Segment, box: Box) -> bool:
    """Whether any straight piece of the segment passes through the box (Liang–Barsky clipping)."""
    for (x0, y0), (x1, y1) in pairwise(segment):
        low, high = 0.0, 1.0
        for p, q in ((x0 - x1, x0 - box[0]), (x1 - x0, box[2] - x0), (y0 - y1, y0 - box[1]), (y1 - y0, box[3] - y0)):
            if p == 0:
                if q < 0:
                    break
            elif p < 0:
                low = max(low, q / p)
            else:
                high = min(high, q / p)
        else:
            if low <= high:
                return True
    return False


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
