"""Charts for figures that carry a series: an SVG drawn with matplotlib, the same bytes every time.

matplotlib is imported here, and only when a chart is drawn, so briefings without series
(and every command that draws none) never load it. The SVG is embedded as a data: URL, so
the HTML stays one standalone file and the PDF fetcher needs no file access for it.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from typing import Any

from .formatting import format_date
from .models import Figure

_COLOURS = ("#1f4e79", "#b5471b", "#2e7d32", "#6a1b9a", "#8d6e00", "#00695c")


def chart_svg(figure: Figure) -> bytes:
    """The figure's series as an SVG line (or step) chart, with the unit on the value axis."""
    return _draw(figure.model_dump_json())


@lru_cache(maxsize=256)
def _draw(figure_json: str) -> bytes:
    """Drawn once per distinct figure per process (models are unhashable; their JSON is not)."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure as Canvas

    figure = Figure.model_validate_json(figure_json)
    style: Any = {
        "svg.hashsalt": f"briefgen-{figure.id}",  # fixed ids: same data, same bytes
        "svg.fonttype": "none",  # text stays text: searchable, and drawn in the page's fonts
        "font.family": ["Noto Sans", "DejaVu Sans", "sans-serif"],
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(style):
        canvas = Canvas(figsize=(6.4, 2.8), dpi=72)
        FigureCanvasSVG(canvas)
        axes = canvas.add_subplot()
        for colour, series in zip(_COLOURS, figure.series):
            dates: Any = [point.date for point in series.points]  # matplotlib converts dates itself
            values = [point.value for point in series.points]
            axes.plot(dates, values, color=colour, linewidth=2, marker="o", markersize=3,
                      drawstyle="steps-post" if figure.chart == "step" else "default", label=series.label)
        locator = AutoDateLocator(maxticks=7)  # type: ignore[no-untyped-call]
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        axes.set_ylabel(figure.unit)
        axes.set_ylim(bottom=min(0.0, *(p.value for s in figure.series for p in s.points)))
        axes.grid(axis="y", color="#d0d4da", linewidth=0.6)
        axes.legend(frameon=False, loc="best")
        canvas.tight_layout()
        buffer = io.BytesIO()
        canvas.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def chart_data_url(figure: Figure) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(chart_svg(figure)).decode("ascii")


def chart_description(figure: Figure) -> str:
    """Alternative text: what the chart shows, in a sentence; the numbers follow in a table."""
    lines = "; ".join(
        f"{series.label} from {series.points[0].value:g} to {series.points[-1].value:g}" for series in figure.series
    )
    first = min(point.date for series in figure.series for point in series.points)
    last = max(point.date for series in figure.series for point in series.points)
    return f"Chart of {figure.label} ({figure.unit}), {format_date(first)} to {format_date(last)}: {lines}. The data table follows."
