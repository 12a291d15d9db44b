"""End to end: the bundled examples built into Markdown, HTML and PDF, and read back."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from briefgen import BuildOptions, build, load
from briefgen.errors import InvalidFactSheets
from briefgen.formatting import format_figure

from .conftest import EXAMPLES, GENEVA, LONDON


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    build([EXAMPLES], BuildOptions(out_dir=out))
    return out


def squash(text: str) -> str:
    """Text with all white space removed, so words wrapped across PDF lines still match."""
    return re.sub(r"\s+", "", text)


def pdf_text(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def html_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def md_text(path: Path) -> str:
    return re.sub(r"\\(.)", r"\1", path.read_text(encoding="utf-8"))


def test_outputs_are_dated_and_grouped_by_negotiation(built: Path) -> None:
    """Each briefing is named by its as-of date, under a folder per negotiation."""
    names = sorted(
        p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file() and not p.name.startswith(".") and "site" not in p.relative_to(built).parts
    )
    assert names == [
        f"us-china-trade/{stem}.{ext}"
        for stem in ("2025-05-09-geneva", "2025-06-09-london")
        for ext in ("html", "md", "pdf")
    ]


@pytest.mark.parametrize(("sheet_path", "stem"), [(GENEVA, "2025-05-09-geneva"), (LONDON, "2025-06-09-london")])
def test_every_fact_appears_in_all_three_formats(built: Path, sheet_path: Path, stem: str) -> None:
    """Every person, issue, figure and source of the fact sheet is in the Markdown, HTML and PDF."""
    (loaded,) = load([sheet_path])
    sheet = loaded.sheet
    facts = [person.name for person in sheet.people]
    facts += [person.native_name for person in sheet.people if person.native_name]
    facts += [issue.title for issue in sheet.issues]
    facts += [figure.label for figure in sheet.figures] + [format_figure(figure) for figure in sheet.figures]
    facts += [source.title for source in sheet.sources] + [source.url for source in sheet.sources]
    facts += ["CONFIDENTIAL", sheet.round.city, sheet.round.title]  # the banner: the red lines' marking
    folder = built / "us-china-trade"
    formats = {
        "md": md_text(folder / f"{stem}.md"),
        "html": html_text(folder / f"{stem}.html"),
        "pdf": "".join(pdf_text(folder / f"{stem}.pdf")),
    }
    for fmt, text in formats.items():
        missing = [fact for fact in facts if squash(fact) not in squash(text)]
        assert not missing, f"{fmt} lacks {missing}"


def test_pdf_pages_carry_marking_page_numbers_and_as_of_date(built: Path) -> None:
    """The handling marking is at the top and bottom of every page, with 'Page X of Y' and the as-of date."""
    pages = pdf_text(built / "us-china-trade" / "2025-06-09-london.pdf")
    assert len(pages) > 3
    for number, text in enumerate(pages, start=1):
        assert text.count("CONFIDENTIAL") >= 2, f"page {number}"  # its red lines are CONFIDENTIAL
        assert f"Page {number} of {len(pages)}" in text
        assert "As of 9 June 2025" in text
        assert "London round" in text


def test_pdf_metadata_comes_from_the_fact_sheet(built: Path) -> None:
    """Title, author, subject and dates are set, and the dates are the as-of date, not the clock."""
    reader = PdfReader(built / "us-china-trade" / "2025-06-09-london.pdf")
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "US–China trade talks: London round"
    assert meta.author == "Trade Policy Unit"
    assert meta.subject is not None and "CONFIDENTIAL" in meta.subject
    assert meta.creation_date is not None and meta.creation_date.date().isoformat() == "2025-06-09"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4


def test_letter_paper_is_an_option(tmp_path: Path) -> None:
    """--paper letter gives US Letter pages."""
    build([LONDON], BuildOptions(out_dir=tmp_path, formats=("pdf",), paper="letter"))
    page = PdfReader(next(tmp_path.rglob("*.pdf"))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)


def test_two_builds_give_identical_bytes(built: Path, tmp_path: Path) -> None:
    """Building twice from the same input writes the same bytes: no clock anywhere."""
    build([EXAMPLES], BuildOptions(out_dir=tmp_path))
    for first in built.glob("*/*.*"):
        second = tmp_path / first.relative_to(built)
        assert second.read_bytes() == first.read_bytes(), first.name


def test_rebuild_leaves_unchanged_files_alone(tmp_path: Path) -> None:
    """A rebuild with nothing changed rewrites nothing."""
    build([LONDON], BuildOptions(out_dir=tmp_path, formats=("md", "html"), site=False))
    again = build([LONDON], BuildOptions(out_dir=tmp_path, formats=("md", "html"), site=False))
    assert again.written == [] and len(again.unchanged) == 2


def test_markdown_has_front_matter_and_footnoted_sources(built: Path) -> None:
    """The Markdown starts with YAML front matter and cites sources as footnotes."""
    text = (built / "us-china-trade" / "2025-06-09-london.md").read_text(encoding="utf-8")
    front = text.split("---\n")[1]
    assert 'title: "US–China trade talks: London round"' in front
    assert "date: 2025-06-09" in front
    assert 'negotiation: "US–China trade talks"' in front
    assert "round: 2" in front
    assert "[^1]: " in text and re.search(r"\S\[\^1\]", text)


def test_html_is_standalone(built: Path) -> None:
    """The HTML inlines its CSS and asks for nothing from elsewhere."""
    text = (built / "us-china-trade" / "2025-06-09-london.html").read_text(encoding="utf-8")
    assert "<style>" in text
    assert not re.search(r"<(link|script|iframe|object|embed)\b", text)
    assert not re.search(r"url\(", text)
    sources = re.findall(r"<img [^>]*src=\"([^\"]*)\"", text)
    assert sources and all(src.startswith("data:image/svg+xml;base64,") for src in sources)  # charts travel inside


def test_invalid_sheet_writes_nothing(examples_copy: Path, tmp_path: Path) -> None:
    """If any fact sheet is invalid, no briefing is written, and earlier outputs stay as they were."""
    out = tmp_path / "out"
    build([examples_copy], BuildOptions(out_dir=out, formats=("md",)))
    before = {p: p.read_bytes() for p in out.rglob("*.md")}
    london = examples_copy / "2025-06-london.yaml"
    london.write_text(london.read_text(encoding="utf-8").replace("bottom_line:", "bottom_lime:"), encoding="utf-8")
    with pytest.raises(InvalidFactSheets):
        build([examples_copy], BuildOptions(out_dir=out, formats=("md",)))
    assert {p: p.read_bytes() for p in out.rglob("*.md")} == before
