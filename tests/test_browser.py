"""The site in a real browser: Debian's Chromium driven by Playwright, as a reader would use it.

The browser is /usr/bin/chromium (scripts/setup --test installs it); Playwright's own browser
download is never used. Every request the pages make is checked: anything not addressed to
127.0.0.1 is blocked and makes the test fail, so the site provably fetches nothing from elsewhere.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, expect, sync_playwright

from briefgen import BuildOptions, build
from briefgen.serve import Preview

from .conftest import EXAMPLES

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LONDON = "us-china-trade/2025-06-09-london"


class QuietHandler(SimpleHTTPRequestHandler):
    """A plain static server, as any host would serve the published folder; it keeps the test output clean."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Site:
    folder: Path
    url: str


@dataclass
class Guarded:
    """A browser context that lets only requests to 127.0.0.1 through, and remembers the rest."""

    context: BrowserContext
    blocked: list[str] = field(default_factory=list)

    def page(self) -> Page:
        return self.context.new_page()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The bundled examples freshly built (with PDFs), served by a plain static server on 127.0.0.1."""
    out = tmp_path_factory.mktemp("out")
    build([EXAMPLES], BuildOptions(out_dir=out))
    folder = out / "site"
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(folder, f"http://127.0.0.1:{server.server_port}/")
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium; its absence is a setup failure to fix, not a reason to skip."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium; scripts/setup --test installs it")
    with sync_playwright() as playwright:
        yield launch(playwright)


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def guarded(browser: Browser, **options: Any) -> Iterator[Guarded]:
    context = browser.new_context(**options)
    guard = Guarded(context)

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            guard.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    context.set_default_timeout(10_000)
    try:
        yield guard
    finally:
        context.close()
    assert guard.blocked == [], f"the pages tried to fetch from elsewhere: {guard.blocked}"


@pytest.fixture
def reader(browser: Browser) -> Iterator[Guarded]:
    yield from guarded(browser, accept_downloads=True)


@pytest.fixture
def reader_without_javascript(browser: Browser) -> Iterator[Guarded]:
    yield from guarded(browser, java_script_enabled=False)


def briefing_item(page: Page, round_title: str) -> Any:
    return page.locator(".briefing-item").filter(has_text=round_title)


def test_filter_narrows_the_index_as_one_types(site: Site, reader: Guarded) -> None:
    """Typing a city hides the other rounds and says how many are shown; nonsense says nothing matches."""
    page = reader.page()
    page.goto(site.url + "index.html")
    expect(page).to_have_title("Briefings")
    box = page.get_by_label("Filter briefings")
    count = page.locator("#filter-count")
    london, geneva = briefing_item(page, "London round"), briefing_item(page, "Geneva round")

    box.press_sequentially("London")
    expect(geneva).to_be_hidden()
    expect(london).to_be_visible()
    expect(count).to_have_text("1 of 2 briefings shown")

    box.fill("")
    expect(geneva).to_be_visible()
    expect(london).to_be_visible()
    expect(count).to_have_text("")

    box.press_sequentially("nothing-matches")
    expect(page.get_by_text("No briefing matches the filter.")).to_be_visible()
    expect(london).to_be_hidden()
    expect(count).to_have_text("0 of 2 briefings shown")


def test_a_briefing_opens_from_the_index_and_its_pdf_downloads(site: Site, reader: Guarded, tmp_path: Path) -> None:
    """Follow the London link: the page is titled and marked, and its PDF is the built one, byte for byte."""
    page = reader.page()
    page.goto(site.url + "index.html")
    page.get_by_role("link", name="London round").click()
    expect(page).to_have_url(site.url + LONDON + ".html")
    expect(page).to_have_title("US–China trade talks: London round")
    expect(page.locator(".marking-top")).to_have_text("CONFIDENTIAL")
    expect(page.locator(".marking-top")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == "2025-06-09-london.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert saved.read_bytes() == (site.folder / f"{LONDON}.pdf").read_bytes()

    screenshot = tmp_path / "london.png"
    page.screenshot(path=str(screenshot), full_page=True)
    width, height = png_size(screenshot)
    assert width >= 800 and height > 2000, "a full-page shot of the long brief should be tall"
    assert screenshot.stat().st_size > 50_000, "the screenshot looks blank"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header, after checking it is one."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def test_the_index_lists_every_briefing_without_javascript(site: Site, reader_without_javascript: Guarded) -> None:
    """With scripts off, both briefings are listed and linked, and the 'no match' note stays hidden."""
    page = reader_without_javascript.page()
    page.goto(site.url + "index.html")
    expect(page.locator(".briefing-item")).to_have_count(2)
    expect(briefing_item(page, "London round")).to_be_visible()
    expect(briefing_item(page, "Geneva round")).to_be_visible()
    expect(page.get_by_text("No briefing matches the filter.")).to_be_hidden()
    page.get_by_role("link", name="Geneva round").click()
    expect(page).to_have_title("US–China trade talks: Geneva round")


def test_the_preview_reloads_after_an_edit_and_shows_a_build_error_over_the_page(
    reader: Guarded, examples_copy: Path
) -> None:
    """In `briefgen serve`, the open page follows the sheet: a new value appears, an error shows, a fix clears it."""
    london = examples_copy / "2025-06-london.yaml"
    workspace = examples_copy.parent.parent
    preview = Preview([workspace / "briefs"], replace(BuildOptions(), out_dir=workspace / "out", formats=("md", "html"), jobs=1))
    preview.rebuild()
    server = preview.make_server(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = reader.page()
        page.goto(f"http://127.0.0.1:{server.server_port}/{LONDON}.html")
        expect(page).to_have_title("US–China trade talks: London round")
        assert "127%" not in page.content()

        london.write_text(london.read_text(encoding="utf-8").replace("    value: 125\n", "    value: 127\n"), encoding="utf-8")
        preview.rebuild()
        expect(page.get_by_text("127%").first).to_be_visible()

        london.write_text(london.read_text(encoding="utf-8").replace("  bottom_line:", "  bottom_lime:"), encoding="utf-8")
        preview.rebuild()
        overlay = page.locator("#briefgen-error")
        expect(overlay).to_contain_text("briefing.bottom_lime: unknown field")
        expect(overlay).to_be_visible()
        expect(page).to_have_title("US–China trade talks: London round")  # the last good build, still there

        london.write_text(london.read_text(encoding="utf-8").replace("  bottom_lime:", "  bottom_line:"), encoding="utf-8")
        preview.rebuild()
        expect(overlay).to_have_count(0)
    finally:
        server.shutdown()
        server.server_close()



@pytest.mark.parametrize("status", ["final", "draft"])
def test_printing_a_briefing_from_the_browser_marks_every_page(
    tmp_path: Path, browser: Browser, examples_copy: Path, status: str
) -> None:
    """Chromium printing the full brief to A4: the product's marking at the top and the bottom of
    every printed page, and DRAFT beside it on every page of a draft."""
    from pypdf import PdfReader

    london = examples_copy / "2025-06-london.yaml"
    london.write_text(london.read_text(encoding="utf-8").replace("status: final", f"status: {status}"), encoding="utf-8")
    out = tmp_path / "out"
    build([london], BuildOptions(out_dir=out, formats=("html",), site=False))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    banner = "CONFIDENTIAL" + (" · DRAFT" if status == "draft" else "")
    try:
        for reader in guarded(browser):
            page = reader.page()
            page.goto(f"http://127.0.0.1:{server.server_port}/{LONDON}.html")
            page.pdf(path=str(tmp_path / "printed.pdf"), format="A4", prefer_css_page_size=True, print_background=True)
    finally:
        server.shutdown()
        server.server_close()
    pages = [page.extract_text() for page in PdfReader(tmp_path / "printed.pdf").pages]
    assert len(pages) > 5
    for number, text in enumerate(pages, start=1):
        lines = [line.strip() for line in text.splitlines()]
        assert lines.count(banner) == 2, f"printed page {number} has its marking {lines.count(banner)} times"
        assert ("DRAFT" in text) == (status == "draft")
