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
from briefgen.charts import MAX_TICKS, chart_layout, date_ticks, nice_range
from briefgen.models import NUMBER_DIGITS, Figure

from .conftest import LONDON, edit

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
    us_points, china_points = ([float(c.get("cy", "nan")) for c in g.iter(f"{SVG}circle")] for g in chart.iter(f"{SVG}g") if g.get("class") == "series")
    assert len(us_points) == 3 and len(china_points) == 2  # every dated value is drawn
    assert min(us_points) == us_points[1] < min(china_points)  # 145 (10 April) above 125 (12 April)
    y_labels = [t.text for g in chart.iter(f"{SVG}g") if g.get("class") == "y-labels" for t in g]
    assert y_labels[0] == "0" and y_labels[-2] == "150" and y_labels[-1] == "%"  # the axis covers the peak, unit on top


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
    xs = [x for line in layout.lines for x, _ in line.points] + [tick.position for tick in layout.x_ticks]
    ys = [y for line in layout.lines for _, y in line.points] + [tick.position for tick in layout.y_ticks]
    assert all(math.isfinite(v) for v in xs + ys)
    assert all(layout.left - 0.01 <= x <= layout.right + 0.01 for x in xs)
    assert all(layout.top - 0.01 <= y <= layout.bottom + 0.01 for y in ys)
    assert all(0 <= key.x < layout.width and 0 < key.y < layout.top for key in layout.legend)
