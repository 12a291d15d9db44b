"""Charts: drawn from the series, readable, the same bytes every time, restylable by a workspace."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

from hypothesis import example, given
from hypothesis import strategies as st
from pypdf import PdfReader

from briefgen import BuildOptions, build
from briefgen.charts import (
    COLOURS,
    DARK_COLOURS,
    MAX_TICKS,
    TITLE_CHARACTER_WIDTH,
    chart_layout,
    date_ticks,
    nice_range,
)
from briefgen.models import NUMBER_DIGITS, Figure

from .conftest import LONDON, edit
from .test_banners import contrast

SVG = "{http://www.w3.org/2000/svg}"
SERIES_FIGURE = """\
  - id: rate
    label: Tariff rate
    value: 30
    unit: "%"
    as_of: 2025-05-01
    source: src
    chart: {chart}
    series:
      - label: Rate on their goods
        points:
          - {{date: 2025-01-15, value: 10}}
          - {{date: 2025-03-01, value: 145}}
          - {{date: 2025-05-01, value: 30}}
        sources: [src]
"""


def groups(chart: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    """The chart's <g> elements that have the class `name`, in drawing order."""
    return [g for g in chart.iter(f"{SVG}g") if name in g.get("class", "").split()]


def charts_in(html: str) -> list[ElementTree.Element]:
    """Every chart in a briefing's HTML, parsed as the SVG documents a reader's browser gets."""
    encoded = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    return [ElementTree.fromstring(base64.b64decode(data)) for data in encoded]


def build_html(sheet: Path, out: Path, templates: Path | None = None) -> str:
    build([sheet], BuildOptions(out_dir=out, formats=("html",), workspace_templates=templates, site=False))
    return next(out.rglob("*.html")).read_text(encoding="utf-8")


def with_series(write_sheet: Callable[..., Path], chart: str = "line") -> Path:
    return write_sheet(edit(("sources:\n  - id: src", "figures:\n" + SERIES_FIGURE.format(chart=chart) + "sources:\n  - id: src")))


def test_london_chart_draws_both_series_with_their_labels_and_peak(tmp_path: Path) -> None:
    """The tariff chart names both series in its legend and its title, and the 145% peak is its highest point."""
    (chart,) = charts_in(build_html(LONDON, tmp_path))
    texts = [text.text for text in chart.iter(f"{SVG}text")]
    assert "US tariff on Chinese goods" in texts and "China's tariff on US goods" in texts
    assert chart.findtext(f"{SVG}title") == "Additional tariffs between the US and China in 2025"
    assert chart.get("role") == "img"
    us_points, china_points = ([float(c.get("cy", "nan")) for c in g.iter(f"{SVG}circle")] for g in groups(chart, "series"))
    assert len(us_points) == 3 and len(china_points) == 2  # every dated value is drawn
    assert min(us_points) == us_points[1] < min(china_points)  # 145 (10 April) above 125 (12 April)
    y_labels = [t.text for g in groups(chart, "y-labels") for t in g]
    assert y_labels[0] == "0" and y_labels[-2] == "150" and y_labels[-1] == "%"  # the axis covers the peak, unit on top
    heading = [t.text for g in groups(chart, "chart-heading") for t in g]
    assert heading == ["Additional tariffs between the US and China in 2025"]  # the title, drawn above the chart
    values = [[t.text for t in g] for g in groups(chart, "values")]
    assert values == [["30%", "145%", "10%"], ["10%", "125%"]]  # every point's value, latest first


def test_chart_reads_in_the_dark_and_is_large_enough_for_a_phone(tmp_path: Path) -> None:
    """The chart recolours its text and lines for a dark page itself (an <img> cannot see the page's CSS),
    and its text is at least 14 units of a 640-unit drawing, about 8 px on a phone."""
    (chart,) = charts_in(build_html(LONDON, tmp_path))
    style = chart.findtext(f"{SVG}style", "")
    assert "@media (prefers-color-scheme: dark)" in style and "svg { fill: #e6e9ee; }" in style
    assert ".series-0 { color: #9cc3ea; }" in style and ".series-1 { color: #f0a27a; }" in style
    assert chart.get("viewBox", "").split()[2] == "640" and int(chart.get("font-size", "0")) >= 14


def test_step_chart_holds_each_value_until_the_next_date(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """chart: step draws flat runs and vertical changes only; chart: line joins the points directly."""
    (step,) = charts_in(build_html(with_series(write_sheet, "step"), tmp_path / "step"))
    (line,) = charts_in(build_html(with_series(write_sheet, "line"), tmp_path / "line"))
    step_path = next(step.iter(f"{SVG}path")).get("d", "")
    line_path = next(line.iter(f"{SVG}path")).get("d", "")
    assert re.fullmatch(r"M[\d.]+,[\d.]+(H[\d.]+V[\d.]+){2}", step_path), step_path
    assert re.fullmatch(r"M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){2}", line_path), line_path


def test_chart_is_in_the_pdf_as_text(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """The PDF draws the chart with its legend and ticks as real text, searchable and copyable."""
    build([with_series(write_sheet)], BuildOptions(out_dir=tmp_path, formats=("pdf",), site=False))
    text = " ".join(page.extract_text() for page in PdfReader(next(tmp_path.rglob("*.pdf"))).pages)
    assert "Rate on their goods" in text and "Mar" in text and "150" in text


def test_a_workspace_restyles_charts_with_its_own_chart_svg(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """chart.svg is a template like the others: a workspace copy replaces the default's drawing."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "chart.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg">{% for line in c.lines %}<text>{{ line.label }} in house style</text>{% endfor %}</svg>',
        encoding="utf-8",
    )
    (chart,) = charts_in(build_html(with_series(write_sheet), tmp_path / "out", templates))
    assert [text.text for text in chart.iter(f"{SVG}text")] == ["Rate on their goods in house style"]


def test_chart_text_from_the_sheet_is_escaped(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """A series label with markup stays text inside the SVG: the chart still parses, the label shows as typed."""
    sheet = with_series(write_sheet)
    sheet.write_text(edit(("Rate on their goods", """'Rate <b>&amp; "more"</b>'"""), base=sheet.read_text(encoding="utf-8")), encoding="utf-8")
    (chart,) = charts_in(build_html(sheet, tmp_path))
    assert 'Rate <b>&amp; "more"</b>' in [text.text for text in chart.iter(f"{SVG}text")]


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False))
def test_value_axis_covers_zero_and_every_value_in_few_round_steps(a: float, b: float) -> None:
    """For any finite values: the axis includes zero and them (up to ±1e300), in at most MAX_TICKS steps."""
    low, high = min(0.0, a, b), max(0.0, a, b)
    start, end, step = nice_range(low, high)
    assert step > 0 and math.isfinite(start) and math.isfinite(end)
    assert start <= max(low, -1e300) + step * 1e-9 and end >= min(high, 1e300) - step * 1e-9
    assert round((end - start) / step) <= MAX_TICKS
    assert f"{step / 10 ** math.floor(math.log10(step)):.6g}" in {"1", "2", "2.5", "5"}


@given(st.dates(), st.dates())
def test_time_axis_has_a_few_labelled_ticks_inside_the_span(a: date, b: date) -> None:
    """For any span of dates: between two and MAX_TICKS ticks, in order, all inside the span."""
    first, last = min(a, b), max(a, b)
    ticks = date_ticks(first, last)
    days = [day for day, _ in ticks]
    assert 2 <= len(ticks) <= MAX_TICKS or first == last
    assert days == sorted(days) and all(first <= day <= last for day in days)
    assert all(label for _, label in ticks)


LARGEST_VALUE = 10**NUMBER_DIGITS - 1
values = st.one_of(  # numbers a sheet may hold: whole up to the largest, with decimals, and the finest
    st.integers(-LARGEST_VALUE, LARGEST_VALUE),
    st.decimals(-(10**20), 10**20, places=6),  # hypothesis rounds to 28 digits: keep within them
    st.decimals(-1, 1, places=NUMBER_DIGITS - 3),
)
points = st.lists(st.tuples(st.dates(), values), min_size=2, max_size=6)


@given(st.lists(points, min_size=1, max_size=3), st.sampled_from(["line", "step"]))
@example([[(date.min, 1.0), (date.min, 2.0)]], "line")  # one date at the calendar's ends: no room to pad
@example([[(date.max, 1.0), (date.max, 2.0)]], "step")
def test_any_series_is_laid_out_inside_the_chart(series: list[list[tuple[date, int | Decimal]]], chart: str) -> None:
    """Whatever dates and values a sheet holds, every point, tick and key lands inside the drawing."""
    figure = Figure.model_validate(
        {
            "id": "f", "label": "A figure", "value": 1, "unit": "%", "as_of": "2025-01-01", "source": "src", "chart": chart,
            "series": [
                {"label": f"Series {n}", "sources": ["src"], "points": [{"date": day.isoformat(), "value": value} for day, value in line]}
                for n, line in enumerate(series)
            ],
        }
    )
    layout = chart_layout(figure)
    xs = [point.x for line in layout.lines for point in line.points] + [tick.position for tick in layout.x_ticks]
    ys = [point.y for line in layout.lines for point in line.points] + [tick.position for tick in layout.y_ticks]
    assert all(math.isfinite(v) for v in xs + ys)
    assert all(layout.left - 0.01 <= x <= layout.right + 0.01 for x in xs)
    assert all(layout.top - 0.01 <= y <= layout.bottom + 0.01 for y in ys)
    assert all(0 <= key.x < layout.width and 0 < key.y < layout.top for key in layout.legend)
    labels = [label.box for line in layout.lines for label in line.labels]
    assert all(0 <= left and right <= layout.width and 0 <= top and bottom <= layout.bottom for left, top, right, bottom in labels)
    assert not any(overlap(a, b) for n, a in enumerate(labels) for b in labels[n + 1 :])  # no value written over another
    assert 1 <= len(layout.title_lines) <= 3 and all(baseline < layout.legend[0].y for baseline, _ in layout.title_lines)
    assert all(len(text) * TITLE_CHARACTER_WIDTH <= layout.width - 2 * layout.edge for _, text in layout.title_lines)


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=1000).filter(str.strip))
@example("A" * 1000)  # one long word
@example("a " + "B" * 998)  # a short word, then one too long for any line
def test_any_title_is_drawn_inside_the_chart_in_at_most_three_lines(title: str) -> None:
    """However long the figure's label, the title above the chart keeps to three lines within the width."""
    figure = Figure.model_validate(
        {
            "id": "f", "label": title, "value": 1, "unit": "%", "as_of": "2025-01-01", "source": "src",
            "series": [{"label": "S", "sources": ["src"], "points": [{"date": "2025-01-01", "value": 1}, {"date": "2025-02-01", "value": 2}]}],
        }
    )
    layout = chart_layout(figure)
    assert 1 <= len(layout.title_lines) <= 3
    assert all(len(text) * TITLE_CHARACTER_WIDTH <= layout.width - 2 * layout.edge for _, text in layout.title_lines)


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_projected_points_are_reached_by_a_dashed_segment_drawn_hollow_and_keyed() -> None:
    """A point marked projected: the segment to it is dashed (not in the solid path), its marker hollow,
    and the legend has a 'projected' key; the values seen stay a solid line."""
    figure = Figure.model_validate(
        {
            "id": "f", "label": "Tariff", "value": 30, "unit": "%", "as_of": "2025-05-14", "source": "src", "chart": "step",
            "series": [{"label": "US tariff", "sources": ["src"], "points": [
                {"date": "2025-02-04", "value": 10}, {"date": "2025-05-14", "value": 30}, {"date": "2025-08-12", "value": 30},
            ]}],
        }
    )
    points = figure.series[0].points
    points[2] = points[2].model_copy(update={"projected": True})
    (line,) = chart_layout(figure).lines
    seen, projected = line.points[1], line.points[2]
    assert [point.projected for point in line.points] == [False, False, True]
    assert line.path.count("H") == 1 and line.projected_path == f"M{seen.x},{seen.y}H{projected.x}V{projected.y}"
    assert [key.label for key in chart_layout(figure).legend] == ["US tariff", "projected"]
    assert [label.text for label in line.labels] == ["30%", "30%", "10%"]


def test_series_colours_read_as_text_on_light_and_dark_pages() -> None:
    """Values are written in their series' colour, so each colour passes WCAG AA on white and on the dark page."""
    assert all(contrast(colour, "#ffffff") >= 4.5 for colour in COLOURS)
    assert all(contrast(colour, "#14181d") >= 4.5 for colour in DARK_COLOURS)


def test_the_data_table_says_which_values_are_projected() -> None:
    """The chart draws a projected point dashed; its table, what screen readers and the Markdown
    read, says so in words."""
    from briefgen.context import series_table
    from briefgen.loader import load

    from .conftest import REPO

    (loaded,) = load([REPO / "tests" / "sheets" / "kl-margins.yaml"])
    figure = next(figure for figure in loaded.sheet.figures if any(point.projected for series in figure.series for point in series.points))
    _, rows = series_table(figure)
    projected = [row for row in rows if any(cell.endswith("(projected)") for cell in row[1:])]
    assert [row[0] for row in projected] == ["1 November 2025"]
