"""Fitting a page-limited briefing: the fullest variant that fits, at the largest type; nothing off the page.

Every test lays out real HTML with WeasyPrint and reads the PDF back with pypdf.
"""

from __future__ import annotations

import io
import math
import pickle
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from briefgen.pdf import FIT_SIZES, DoesNotFit, PdfOptions, fit_to_pages, render_pdf
from briefgen.pipeline import BuildOptions, build

from .conftest import MINIMAL_SHEET, REPO, edit

TEMPLATES = REPO / "templates"
ONE_PAGE = PdfOptions(label="sheet.yaml", asset_roots=[TEMPLATES], template="onepager", max_pages=1)
# Lines of a fixed height (1.5 x the fitted size, no margins) on A4 with 20 mm margins: the
# page holds floor(257 mm / (1.5 x size)) of them, 40 at 12 pt, 44 at 11 pt, 48 at 10 pt.
LINES_CSS = "@page { margin: 20mm; } body { margin: 0; font-size: var(--fit-size, 9pt); } p { margin: 0; line-height: 1.5; }"
LONG_TOKEN = "".join(chr(ord("a") + i % 26) for i in range(300))


def lines(count: int, marker: str = "") -> str:
    paragraphs = "".join(f"<p>{marker} line {number}</p>" for number in range(count))
    return f"<!doctype html><html lang='en'><head><title>t</title></head><body>{paragraphs}</body></html>"


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text().replace("\u200b", "") for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_fullest_variant_that_fits_is_chosen() -> None:
    """Of four variants where only the last two fit one page, the third (index 2) is printed."""
    variants = [lines(200, "all"), lines(120, "most"), lines(30, "some"), lines(5, "least")]
    result = fit_to_pages(variants, LINES_CSS, ONE_PAGE, FIT_SIZES)
    assert result.variant == 2
    (page,) = text_of(result.pdf)
    assert "some line 29" in page


def test_the_largest_size_at_which_it_fits_is_chosen() -> None:
    """46 lines fit one page at 10 pt and below, not at 11 or 12: 10 pt is chosen."""
    with pytest.raises(DoesNotFit):
        fit_to_pages([lines(46)], LINES_CSS, ONE_PAGE, (11.0,))  # the arithmetic above holds
    result = fit_to_pages([lines(46)], LINES_CSS, ONE_PAGE, (12.0, 11.0, 10.0, 9.0))
    assert (result.variant, result.size) == (0, 10.0)
    assert len(PdfReader(io.BytesIO(result.pdf)).pages) == 1


def test_everything_at_the_largest_size_takes_one_layout() -> None:
    result = fit_to_pages([lines(10), lines(5)], LINES_CSS, ONE_PAGE, FIT_SIZES)
    assert (result.variant, result.size, result.layouts) == (0, 12.0, 1)


def test_nothing_fits_says_how_many_pages_even_the_shortest_takes() -> None:
    with pytest.raises(DoesNotFit, match=r"sheet.yaml: the onepager briefing must fit on 1 page\(s\), .* at 9 pt, it runs to 2 pages") as caught:
        fit_to_pages([lines(150), lines(70)], LINES_CSS, ONE_PAGE, FIT_SIZES)
    assert (caught.value.pages, caught.value.off_page) == (2, ())
    assert pickle.loads(pickle.dumps(caught.value)).pages == 2  # it comes back from a worker intact


def test_sizes_below_nine_points_are_refused() -> None:
    with pytest.raises(ValueError, match="none below 9"):
        fit_to_pages([lines(5)], LINES_CSS, ONE_PAGE, (10.0, 8.0))


def test_a_300_character_word_wraps_in_text_and_in_tables() -> None:
    """The word is printed whole, over several lines, and the short words of the table stay whole."""
    html = (
        "<!doctype html><html lang='en'><head><title>t</title></head><body class='onepager'>"
        f"<p>Before {LONG_TOKEN} after.</p>"
        "<table><tr><th>Issue</th><th>Status</th><th>Our ask</th></tr>"
        f"<tr><td>{LONG_TOKEN}</td><td>progressing</td><td>Faster approvals, including for magnets used in autos and defence supply chains.</td></tr>"
        "</table></body></html>"
    )
    print_css = (TEMPLATES / "print.css").read_text(encoding="utf-8")
    result = fit_to_pages([html], print_css, ONE_PAGE, FIT_SIZES)
    (page,) = text_of(result.pdf)
    assert page.replace("\n", "").count(LONG_TOKEN) == 2
    assert max(len(line) for line in page.splitlines()) < 120
    assert "progressing" in page.split()


def test_a_page_with_something_past_the_margin_does_not_fit() -> None:
    """An unbreakable line on a one-page sheet: one page, but not a fit."""
    html = f"<!doctype html><html lang='en'><head><title>t</title></head><body><p style='white-space: nowrap'>{LONG_TOKEN}</p></body></html>"
    with pytest.raises(DoesNotFit, match="runs off the side of page 1") as caught:
        fit_to_pages([html], LINES_CSS, ONE_PAGE, FIT_SIZES)
    assert (caught.value.pages, caught.value.off_page) == (1, (1,))


def test_the_same_variants_give_the_same_bytes() -> None:
    variants = [lines(60, "all"), lines(20, "some")]
    first = fit_to_pages(variants, LINES_CSS, ONE_PAGE, FIT_SIZES)
    second = fit_to_pages(variants, LINES_CSS, ONE_PAGE, FIT_SIZES)
    assert first.pdf == second.pdf
    assert (first.variant, first.size) == (second.variant, second.size)


def test_render_pdf_keeps_the_full_brief_on_the_page_with_a_long_word(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """A 300-character word in a figure label, an issue title and a source title: all printed whole, wrapped."""
    sheet = write_sheet(
        edit(
            ("title: Tariffs", f"title: Tariffs {LONG_TOKEN}"),
            ("title: A report", f"title: A report {LONG_TOKEN}"),
            ("sources:\n  - id: src", f"figures:\n  - {{id: f, label: 'Duty {LONG_TOKEN}', value: 1, unit: '%', as_of: 2025-05-01, source: src}}\nsources:\n  - id: src"),
        )
    )
    build([sheet], BuildOptions(out_dir=tmp_path / "out", formats=("html",), site=False))
    (html,) = (tmp_path / "out").rglob("*.html")
    pdf = render_pdf(html.read_text(encoding="utf-8"), (TEMPLATES / "print.css").read_text(encoding="utf-8"), PdfOptions(label="sheet.yaml", asset_roots=[TEMPLATES]))
    text = "".join(text_of(pdf)).replace("\n", "")
    assert text.count(LONG_TOKEN) >= 2
    assert max(len(line) for page in text_of(pdf) for line in page.splitlines() if not re.search(r"(\.\s+){3}", line)) < 120  # not the contents' leaders


def rich_sheet(issues: int, figures: int) -> str:
    """The minimal sheet with many issues and figures: far too much for one page."""
    issue_yaml = "".join(
        f"""
  - id: issue-{number}
    title: Issue number {number} with a title of some length
    priority: {("high", "medium", "low")[number % 3]}
    status: open
    summary: A summary of issue {number}.
    asks: [An ask for issue {number} that takes a line or two of the table to say in full]
    lines_to_take: [A line to take on issue {number}, said plainly and briefly enough to remember]
    positions:
      us: {{text: Our view on {number}., sources: [src]}}
      cn: {{text: Their view on {number}., sources: [src]}}"""
        for number in range(issues)
    )
    figure_yaml = "".join(
        f"\n  - {{id: figure-{number}, label: Figure number {number} described in a few words, value: {number + 1}, unit: '%', as_of: 2025-05-01, source: src}}"
        for number in range(figures)
    )
    start = MINIMAL_SHEET.index("issues:")
    end = MINIMAL_SHEET.index("sources:\n  - id: src")
    return MINIMAL_SHEET[:start] + "issues:" + issue_yaml + "\nfigures:" + figure_yaml + "\n" + MINIMAL_SHEET[end:]


def drop_rows(html: str, section: str, keep: int) -> str:
    """`html` with only the first `keep` body rows of the table in `section`."""
    start = html.index(f'<section id="{section}"')
    body_start = html.index("<tbody>", start) + len("<tbody>")
    body_end = html.index("</tbody>", body_start)
    rows = re.findall(r"<tr>.*?</tr>", html[body_start:body_end], re.DOTALL)
    return html[:body_start] + "\n".join(rows[:keep]) + html[body_end:]


def test_a_sheet_far_too_rich_for_a_page_drops_the_fewest_rows(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """15 issues and 20 figures: figures are dropped first, then issues beyond three; the variant
    printed fits one page and the one before it does not, found in a handful of layouts."""
    sheet = write_sheet(rich_sheet(15, 20))
    build([sheet], BuildOptions(out_dir=tmp_path / "out", formats=("html",), templates=("onepager",), site=False))
    (path,) = (tmp_path / "out").rglob("*.onepager.html")
    html = path.read_text(encoding="utf-8")
    variants = [drop_rows(html, "key-figures", keep) for keep in range(20, -1, -1)]
    variants += [drop_rows(variants[-1], "issues", keep) for keep in range(14, 2, -1)]
    print_css = (TEMPLATES / "print.css").read_text(encoding="utf-8")
    result = fit_to_pages(variants, print_css, ONE_PAGE, FIT_SIZES)
    assert 0 < result.variant < len(variants) - 1
    assert len(PdfReader(io.BytesIO(result.pdf)).pages) == 1
    with pytest.raises(DoesNotFit):
        fit_to_pages(variants[result.variant - 1 : result.variant], print_css, ONE_PAGE, FIT_SIZES[-1:])
    assert result.layouts <= 2 + math.ceil(math.log2(len(variants))) + math.ceil(math.log2(len(FIT_SIZES)))


@pytest.fixture(scope="module", params=["a4", "letter"])
def bundled_onepagers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The bundled rounds' one-pagers as the build fits them, on A4 and on Letter."""
    out = tmp_path_factory.mktemp("onepagers")
    build([REPO / "briefs" / "us-china"], BuildOptions(out_dir=out, formats=("pdf",), templates=("onepager",), site=False, paper=request.param))
    return {path.name.split(".")[0]: path.read_bytes() for path in out.rglob("*.onepager.pdf")}


def sized_text(pdf: bytes) -> tuple[float, list[tuple[float, float, str]]]:
    """Page 1's height, and (type size in points, baseline height from the bottom, text) of each run of text on it."""
    runs: list[tuple[float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            runs.append((round(size * tm[3] * cm[3], 2), tm[5] * cm[3] + cm[5], text.strip()))

    page = PdfReader(io.BytesIO(pdf)).pages[0]
    page.extract_text(visitor_text=visit)
    return float(page.mediabox.height), runs


def test_the_bundled_onepagers_are_set_as_large_as_fits_and_no_text_below_8_points(bundled_onepagers: dict[str, bytes]) -> None:
    """Each fits one page; at any size, tables and sources stay at 8 pt or more (only citation
    numbers are smaller, and the running heads)."""
    for name, pdf in bundled_onepagers.items():
        assert len(PdfReader(io.BytesIO(pdf)).pages) == 1, name
        page_height, runs = sized_text(pdf)
        in_text_area = [(size, text) for size, height, text in runs if 45 < height < page_height - 45]  # margins are wider
        assert [(size, text) for size, text in in_text_area if size < 8 and re.search(r"[^\W\d_]", text)] == [], name

