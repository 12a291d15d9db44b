"""HTML to PDF with WeasyPrint: local files only, reproducible bytes, located failures.

WeasyPrint is imported here and nowhere else, and only when a PDF is asked for, so commands
that make no PDF never pay for it. One font configuration is kept per process.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any, Literal

from .errors import RenderError

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

Paper = Literal["a4", "letter"]
MAX_RENDER_SECONDS = 120
MAX_ASSET_BYTES = 10_000_000
MAX_IMAGE_PIXELS = 40_000_000
_PAGE_SIZES = {"a4": "A4", "letter": "letter"}


@dataclass(frozen=True)
class PdfOptions:
    label: str
    """Names the briefing in error messages: its fact sheet's path."""
    asset_roots: list[Path]
    """The only folders a PDF may read files from (templates, logos, fonts)."""
    paper: Paper = "a4"
    template: str = "full"
    max_pages: int | None = None
    archival: bool = False
    attachment: bytes = b""
    attachment_name: str = "fact-sheet.yaml"
    as_of: date = date(1970, 1, 1)
    """Dates the attached fact sheet, so archival PDFs are reproducible too."""


@dataclass(frozen=True)
class PdfJob:
    """One PDF to draw: everything it needs travels with it, so a worker process can draw it."""

    html: str
    print_css: str
    options: PdfOptions


def draw(job: PdfJob) -> tuple[bytes, float]:
    """The job's PDF, and the seconds it took."""
    started = perf_counter()
    return render_pdf(job.html, job.print_css, job.options), perf_counter() - started


def render_pdf(html: str, print_css: str, options: PdfOptions) -> bytes:
    """The PDF for `html` with `print_css` on top: local assets only, same bytes every time."""
    from PIL import Image
    from weasyprint import HTML, URLFetcher
    from weasyprint.urls import FatalURLFetchingError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

    refused: list[str] = []

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serves data: URIs and files inside the asset folders; refuses everything else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            reason = _refusal(url, options.asset_roots)
            if reason is None:
                return super().fetch(url, headers)
            refused.append(f"{url[:200]} ({reason})")
            raise FatalURLFetchingError(f"refused to fetch {url[:200]}")

    fetcher = LocalOnlyFetcher(timeout=5, allow_redirects=False, fail_on_errors=True)
    page = f"@page {{ size: {_PAGE_SIZES[options.paper]}; }}"
    errors = _ErrorLog()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(errors)
    try:
        with _deadline(MAX_RENDER_SECONDS, options.label), warnings.catch_warnings():
            # Pillow warns of a decompression bomb before it refuses one; refuse at the warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            pdf = _write(HTML, html, print_css + page, fetcher, options)
    except FatalURLFetchingError:
        raise RenderError(
            f"{options.label}: refused to fetch {refused[0] if refused else 'a resource'}; a PDF may use only "
            f"files inside {', '.join(map(str, options.asset_roots))} and data: URLs, each at most {MAX_ASSET_BYTES:,} bytes"
        ) from None
    except Image.DecompressionBombWarning as warning:
        raise RenderError(f"{options.label}: an image is too large to render safely ({warning})") from None
    finally:
        logger.removeHandler(errors)
    if errors.messages:
        raise RenderError(f"{options.label}: WeasyPrint reported: {errors.messages[0]}")
    return pdf


def _write(HTML: Any, html: str, css: str, fetcher: Any, options: PdfOptions) -> bytes:
    # The print stylesheet joins the document's own styles, after them: a stylesheet passed to
    # WeasyPrint separately would rank as a user stylesheet and lose to every author rule.
    safe_css = css.replace("</", "<\\/")  # CSS cannot close its <style> element
    printable = html.replace("</head>", f"<style>\n{safe_css}\n</style>\n</head>", 1)
    document = HTML(string=printable, base_url=str(options.asset_roots[0]) + "/", url_fetcher=fetcher)
    rendered = document.render(font_config=_font_config(), **_variant(options))
    if options.max_pages and len(rendered.pages) > options.max_pages:
        raise RenderError(_overflow_message(rendered.pages, options))
    return bytes(
        rendered.write_pdf(
            # A fixed identifier derived from the content keeps the bytes identical across builds.
            pdf_identifier=hashlib.sha256(html.encode()).hexdigest()[:32].encode(),
            **_variant(options),
        )
    )


def _variant(options: PdfOptions) -> dict[str, Any]:
    """PDF/UA-1 by default; PDF/A-3b (tagged, with the fact sheet attached) when archival."""
    if not options.archival:
        return {"pdf_variant": "pdf/ua-1"}
    from weasyprint import Attachment

    source = Attachment(
        string=options.attachment,
        base_url=None,
        name=options.attachment_name,
        description="The fact sheet this briefing was built from",
        relationship="Source",
        created=datetime.combine(options.as_of, time(), tzinfo=UTC),
        modified=datetime.combine(options.as_of, time(), tzinfo=UTC),
    )
    return {"pdf_variant": "pdf/a-3b", "pdf_tags": True, "attachments": [source]}


def _overflow_message(pages: list[Any], options: PdfOptions) -> str:
    """Name the sections that spilled past the page limit, so the author knows what to cut."""
    limit = options.max_pages or 0
    spilled = list(
        dict.fromkeys(
            anchor
            for page in pages[limit:]
            for anchor in page.anchors
            if anchor != "main" and not anchor.endswith("-h") and not anchor.startswith("source-")
        )
    )
    where = f"; on page {limit + 1} onwards: {', '.join(spilled)}" if spilled else ""
    return (
        f"{options.label}: the {options.template} briefing must fit on {limit} page(s) but runs to "
        f"{len(pages)}{where}. Shorten those parts of the fact sheet (or the template) and build again"
    )


@contextmanager
def _deadline(seconds: int, label: str) -> Iterator[None]:
    """Bound a render's wall time (main thread only: that is where signals are delivered)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise RenderError(f"{label}: the PDF took longer than {seconds} s to render; simplify the briefing")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _refusal(url: str, roots: list[Path]) -> str | None:
    """Why `url` may not be fetched, or None if it may: only data: URLs and files inside `roots`."""
    if url.startswith("data:"):
        return None if len(url) <= MAX_ASSET_BYTES else "too large"
    if not url.startswith("file:"):
        return "not a local file"
    path = _local_path(url)  # symlinks resolved: a link leading out is outside
    if not any(path.is_relative_to(root.resolve()) for root in roots):
        return "outside the template folders"
    try:
        size = path.stat().st_size
    except OSError:
        return "no such file"
    return None if size <= MAX_ASSET_BYTES else "too large"


def _local_path(url: str) -> Path:
    from urllib.request import url2pathname

    return Path(url2pathname(url.removeprefix("file:").split("?")[0].split("#")[0])).resolve()


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@lru_cache(maxsize=1)
def _font_config() -> FontConfiguration:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()
