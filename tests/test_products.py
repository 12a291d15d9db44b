"""Brief types and print-grade PDFs, read back: pages, marking, draft watermark, bookmarks, fonts."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from briefgen import BuildOptions, build
from briefgen.cli import main
from briefgen.errors import EnvironmentProblem, RenderError
from briefgen.loader import load
from briefgen.versioning import version_stamps

from .conftest import EXAMPLES, LONDON, MINIMAL_SHEET

TYPES = ("full", "onepager", "talking-points")


@pytest.fixture(scope="module")
def products(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("products")
    build([EXAMPLES], BuildOptions(out_dir=out, formats=("pdf", "md"), templates=TYPES))
    return out / "us-china-trade"


def pages_text(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def pdf_name(stem: str, brief_type: str) -> str:
    return f"{stem}.pdf" if brief_type == "full" else f"{stem}.{brief_type}.pdf"


def test_each_brief_type_writes_its_own_dated_file(products: Path) -> None:
    """--template full,onepager,talking-points writes one dated file per type and format."""
    names = sorted(path.name for path in products.iterdir())
    for stem in ("2025-05-09-geneva", "2025-06-09-london"):
        for brief_type in TYPES:
            assert pdf_name(stem, brief_type) in names
            assert pdf_name(stem, brief_type).replace(".pdf", ".md") in names


@pytest.mark.parametrize("stem", ["2025-05-09-geneva", "2025-06-09-london"])
def test_onepager_fits_one_a4_page(products: Path, stem: str) -> None:
    """The read-ahead of each bundled example is exactly one page."""
    assert len(PdfReader(products / f"{stem}.onepager.pdf").pages) == 1


def test_onepager_fits_one_letter_page(tmp_path: Path) -> None:
    """The read-ahead also fits one US Letter page."""
    build([EXAMPLES], BuildOptions(out_dir=tmp_path, formats=("pdf",), templates=("onepager",), paper="letter"))
    for pdf in tmp_path.rglob("*.pdf"):
        reader = PdfReader(pdf)
        assert len(reader.pages) == 1
        assert round(float(reader.pages[0].mediabox.width)) == 612


def test_onepager_selects_what_fits_and_says_what_it_left_out(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """Sixty figures do not fit one page: the one-pager shows the ones that do, on one page, and
    says how many more are in the full brief, in the PDF, the HTML and the Markdown alike."""
    figures = "".join(
        f"  - {{id: figure-{n}, label: Figure number {n} with a long descriptive label, value: {n}, unit: '%', as_of: 2025-05-01, source: src}}\n"
        for n in range(60)
    )
    sheet = write_sheet(MINIMAL_SHEET.replace("sources:\n", "figures:\n" + figures + "sources:\n"))
    build([sheet], BuildOptions(out_dir=tmp_path / "out", templates=("onepager",), site=False))
    (pdf,) = (tmp_path / "out").rglob("*.pdf")
    pages = pages_text(pdf)
    assert len(pages) == 1
    left_out = re.search(r"(\d+) more figures in the full brief", pages[0].replace("\n", " "))
    assert left_out and 0 < int(left_out.group(1)) < 60
    shown = 60 - int(left_out.group(1))
    assert sum(f"Figure number {n} with" in pages[0] for n in range(60)) == shown
    for other in ("html", "md"):
        text = next((tmp_path / "out").rglob(f"*.{other}")).read_text(encoding="utf-8")
        assert f"{left_out.group(1)} more figures in the full brief" in text
        assert sum(f"Figure number {n} with" in text for n in range(60)) == shown


def test_onepager_whose_must_haves_overflow_fails_alone(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """When what the sheet marks `onepager: true` cannot fit, the one-pager fails, naming them;
    the full brief and the card are still written."""
    figures = "".join(
        f"  - {{id: figure-{n}, label: Figure number {n} with a long descriptive label, value: {n}, unit: '%', as_of: 2025-05-01, source: src, onepager: true}}\n"
        for n in range(70)
    )
    sheet = write_sheet(MINIMAL_SHEET.replace("sources:\n", "figures:\n" + figures + "sources:\n"))
    out = tmp_path / "out"
    with pytest.raises(RenderError, match=r"even with only what it must hold.*figure 'figure-0'"):
        build([sheet], BuildOptions(out_dir=out, templates=TYPES, site=False))
    written = {path.name for path in out.rglob("*") if path.is_file() and not path.name.startswith(".")}
    assert {"2025-05-09-first.pdf", "2025-05-09-first.talking-points.pdf", "2025-05-09-first.md"} <= written
    assert not any(".onepager." in name for name in written)


@pytest.mark.parametrize("brief_type", TYPES)
def test_marking_is_on_every_page_of_every_brief_type(products: Path, brief_type: str) -> None:
    """The banner heads and foots every page, with 'Page X of Y'; the full brief, printing red
    lines, is CONFIDENTIAL; a shorter brief is marked for what it prints, at least UNCLASSIFIED."""
    pages = pages_text(products / pdf_name("2025-06-09-london", brief_type))
    banners = ("CONFIDENTIAL",) if brief_type == "full" else ("UNCLASSIFIED", "CUI", "CONFIDENTIAL")
    for number, text in enumerate(pages, start=1):
        assert any(text.count(banner) >= 2 for banner in banners), f"page {number}"
        assert f"Page {number} of {len(pages)}" in text


def test_draft_is_watermarked_on_every_page_and_final_nowhere(examples_copy: Path, tmp_path: Path, products: Path) -> None:
    """A draft says DRAFT on every page; a final briefing never does."""
    london = examples_copy / "2025-06-london.yaml"
    london.write_text(london.read_text(encoding="utf-8").replace("status: final", "status: draft"), encoding="utf-8")
    build([london], BuildOptions(out_dir=tmp_path, formats=("pdf",), templates=TYPES))
    for brief_type in TYPES:
        draft_pdf = tmp_path / "us-china-trade" / pdf_name("2025-06-09-london", brief_type)
        draft = pages_text(draft_pdf)
        assert all("DRAFT" in text for text in draft), brief_type
        assert str(PdfReader(draft_pdf).metadata.title).startswith("DRAFT: "), brief_type
        final = pages_text(products / pdf_name("2025-06-09-london", brief_type))
        assert not any("DRAFT" in text for text in final), brief_type  # the marking says DRAFT in capitals


def test_bookmarks_mirror_the_headings(products: Path) -> None:
    """The PDF outline lists the brief's sections, so a reader can jump to them."""
    reader = PdfReader(products / "2025-06-09-london.pdf")

    def titles(outline: list[object]) -> list[str]:
        found: list[str] = []
        for item in outline:
            found.extend(titles(item) if isinstance(item, list) else [str(item.title)])  # type: ignore[attr-defined]
        return found

    bookmarks = titles(reader.outline)
    for heading in ("London round", "Bottom line", "Who is across the table", "Key figures", "Timeline", "Sources"):
        assert heading in bookmarks
    assert "Rare-earth export licences" in bookmarks


def test_table_of_contents_has_page_numbers(products: Path) -> None:
    """The contents list gives each section's page number."""
    first = pages_text(products / "2025-06-09-london.pdf")[0]
    assert "Contents" in first
    assert any(re.search(r"Key figures[ .]+ \d+$", line.rstrip()) for line in first.splitlines())


def test_sources_are_clickable_links(products: Path) -> None:
    """Every source URL of the London sheet is a link annotation in the PDF."""
    (loaded,) = load([LONDON])
    uris = {
        annotation.get_object()["/A"]["/URI"]
        for page in PdfReader(products / "2025-06-09-london.pdf").pages
        for annotation in page.get("/Annots", [])
        if "/URI" in annotation.get_object().get("/A", {})
    }
    assert {source.url for source in loaded.sheet.sources} <= uris


def test_native_script_name_is_in_the_text_layer_with_an_embedded_cjk_font(products: Path) -> None:
    """何立峰 can be found in the PDF's text, drawn with an embedded CJK font (never boxes)."""
    assert "何立峰" in "".join(pages_text(products / "2025-06-09-london.pdf"))
    fonts = set()
    for page in PdfReader(products / "2025-06-09-london.pdf").pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in font else font["/FontDescriptor"]
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
            fonts.add(str(font["/BaseFont"]))
    assert any("CJK" in name for name in fonts)


def test_pdf_is_tagged_with_language_and_title(products: Path) -> None:
    """Tagged PDF (PDF/UA-1): structure tree, document language, title shown in the window."""
    reader = PdfReader(products / "2025-06-09-london.onepager.pdf")
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata is not None and reader.metadata.title == "Read-ahead: US–China trade talks: London round"
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


def test_archival_pdf_carries_its_fact_sheet(tmp_path: Path) -> None:
    """--archival gives PDF/A-3b with the fact sheet attached byte for byte."""
    build([LONDON], BuildOptions(out_dir=tmp_path, formats=("pdf",), archival=True))
    reader = PdfReader(next(tmp_path.rglob("*.pdf")))
    assert reader.attachments == {"2025-06-london.yaml": [LONDON.read_bytes()]}
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp


def test_every_brief_type_is_byte_identical_when_rebuilt(products: Path, tmp_path: Path) -> None:
    """Two builds of every brief type give the same bytes."""
    build([EXAMPLES], BuildOptions(out_dir=tmp_path, formats=("pdf", "md"), templates=TYPES))
    for path in products.iterdir():
        assert (tmp_path / "us-china-trade" / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_markdown_and_html_build_does_not_import_weasyprint(tmp_path: Path) -> None:
    """A build that makes no PDF never pays for WeasyPrint's import."""
    script = (
        "import sys; from pathlib import Path; from briefgen import build, BuildOptions\n"
        f"build([Path({str(LONDON)!r})], BuildOptions(out_dir=Path({str(tmp_path)!r}), formats=('md', 'html')))\n"
        "print('weasyprint' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_talking_points_show_at_most_six_per_issue(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """An issue with eight lines to take shows six on the card and says two more are in the full brief."""
    lines = "".join(f"      - Line to take number {n}\n" for n in range(1, 9))
    sheet = write_sheet(MINIMAL_SHEET.replace("    positions:\n", "    lines_to_take:\n" + lines + "    positions:\n"))
    build([sheet], BuildOptions(out_dir=tmp_path, formats=("md",), templates=("talking-points",)))
    text = next(tmp_path.rglob("*.talking-points.md")).read_text(encoding="utf-8")
    assert "Line to take number 6" in text and "Line to take number 7" not in text
    assert "2 more in the full brief." in text


def test_uncovered_characters_are_named_and_fail_under_strict(
    write_sheet: Callable[..., Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A character no font covers is named with its code point and the fix; --strict makes it fatal."""
    sheet = write_sheet(MINIMAL_SHEET.replace("native_name: 何立峰", "native_name: 何立峰\U0010fffd"))
    with caplog.at_level(logging.WARNING, logger="briefgen"):
        build([sheet], BuildOptions(out_dir=tmp_path / "lenient", formats=("pdf",)))
    assert "U+10FFFD" in caplog.text and "Install fonts-noto-core" in caplog.text
    assert "U+4F55" not in caplog.text  # 何 is covered by the installed CJK font
    with pytest.raises(EnvironmentProblem, match="U\\+10FFFD"):
        build([sheet], BuildOptions(out_dir=tmp_path / "strict", formats=("pdf",), strict=True))
    assert main(["build", str(sheet), "--out", str(tmp_path / "cli"), "--format", "pdf", "--strict"]) == 3


def test_workspace_custom_css_is_added_after_the_defaults(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """templates/custom.css restyles the briefing without replacing the default stylesheet."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "custom.css").write_text(":root { --accent: #7a1f5c; }", encoding="utf-8")
    build([write_sheet()], BuildOptions(out_dir=tmp_path / "out", formats=("html",), workspace_templates=templates))
    html = next((tmp_path / "out").rglob("*.html")).read_text(encoding="utf-8")
    assert html.index("grid-template-columns: max-content") < html.index("--accent: #7a1f5c")


def test_version_stamp_is_the_git_commit_or_a_content_hash(write_sheet: Callable[..., Path]) -> None:
    """A committed, unchanged fact sheet is stamped with its commit; an edited one with its content hash."""
    sheet = write_sheet()
    assert version_stamps({sheet: sheet.read_bytes()})[sheet].startswith("sha256:")

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=sheet.parent, capture_output=True, text=True, check=True).stdout.strip()

    identity = ("-c", "user.name=t", "-c", "user.email=t@example.org")
    git("init", "-q")
    git(*identity, "commit", "-q", "--allow-empty", "-m", "root")
    git("add", sheet.name)
    git(*identity, "commit", "-q", "-m", "sheet")
    git(*identity, "commit", "-q", "--allow-empty", "-m", "a later commit that does not touch the sheet")
    short, day = git("log", "-1", "--format=%h %cs", "--", sheet.name).split()
    assert version_stamps({sheet: sheet.read_bytes()})[sheet] == f"{short} ({day})"
    sheet.write_text(MINIMAL_SHEET + "# edited\n", encoding="utf-8")
    assert version_stamps({sheet: sheet.read_bytes()})[sheet].startswith("sha256:")


def test_the_card_holds_only_what_is_said_aloud_on_a5_in_large_type(products: Path) -> None:
    """London's card: A5, one issue to a card, its talking points, then lines to take that add
    something, then 'if raised'; never red lines, fallbacks or citation marks."""
    from briefgen.loader import load

    (london,) = load([LONDON])
    sheet = london.sheet
    reader = PdfReader(products / pdf_name("2025-06-09-london", "talking-points"))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (420, 595)  # A5 in points
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == len(sheet.issues) + 1  # one card per issue, and the general points
    text = " ".join(" ".join(pages).split())
    for issue in sheet.issues:
        assert sum(issue.title in " ".join(page.split()) for page in pages) >= 1
        for line in [*issue.red_lines, *issue.fallbacks]:
            assert " ".join(line.text.split()) not in text
        for entry in issue.if_raised:
            assert entry.topic in text
    assert not re.search(r"\[\d+(, \d+)*\]", text), "no citation marks on the card"
    assert "The 7 June approvals are a start" not in text, "a line that repeats a talking point is left to the full brief"
    assert "The approvals announced on 7 June are welcome as a first step" in text
    sizes: list[float] = []
    reader.pages[0].extract_text(visitor_text=lambda chunk, cm, tm, font, size: sizes.append(round(size * tm[3] * cm[3], 1)) if chunk.strip() else None)
    assert max(set(sizes), key=sizes.count) >= 16, "the card's body type is at least 16 pt"
