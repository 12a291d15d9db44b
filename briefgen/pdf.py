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
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.request import url2pathname

from .errors import RenderError

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

Paper = Literal["a4", "letter"]
MAX_RENDER_SECONDS = 120
MAX_ASSET_BYTES = 10_000_000
MAX_IMAGE_PIXELS = 40_000_000
_PAGE_SIZES = {"a4": "A4", "letter": "letter"}


def render_pdf(
    html: str,
    *,
    print_css: str,
    asset_roots: list[Path],
    paper: Paper,
    label: str,
) -> bytes:
    """The PDF for `html`: `print_css` on top, assets only from `asset_roots`, same bytes every time.

    `label` names the briefing in error messages (its fact sheet's path).
    """
    from PIL import Image
    from weasyprint import CSS, HTML, URLFetcher
    from weasyprint.urls import FatalURLFetchingError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

    refused: list[str] = []

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serves data: URIs and files inside the asset folders; refuses everything else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            reason = _refusal(url, asset_roots)
            if reason is None:
                return super().fetch(url, headers)
            refused.append(f"{url[:200]} ({reason})")
            raise FatalURLFetchingError(f"refused to fetch {url[:200]}")

    fetcher = LocalOnlyFetcher(timeout=5, allow_redirects=False, fail_on_errors=True)
    page = f"@page {{ size: {_PAGE_SIZES[paper]}; }}"
    errors = _ErrorLog()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(errors)
    try:
        with _deadline(MAX_RENDER_SECONDS, label), warnings.catch_warnings():
            # Pillow warns of a decompression bomb before it refuses one; refuse at the warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            pdf = _write(HTML, CSS, html, print_css + page, fetcher, asset_roots)
    except FatalURLFetchingError:
        raise RenderError(
            f"{label}: refused to fetch {refused[0] if refused else 'a resource'}; a PDF may use only "
            f"files inside {', '.join(map(str, asset_roots))} and data: URLs, each at most {MAX_ASSET_BYTES:,} bytes"
        ) from None
    except Image.DecompressionBombWarning as warning:
        raise RenderError(f"{label}: an image is too large to render safely ({warning})") from None
    finally:
        logger.removeHandler(errors)
    if errors.messages:
        raise RenderError(f"{label}: WeasyPrint reported: {errors.messages[0]}")
    return pdf


def _write(HTML: Any, CSS: Any, html: str, css: str, fetcher: Any, asset_roots: list[Path]) -> bytes:
    document = HTML(string=html, base_url=str(asset_roots[0]) + "/", url_fetcher=fetcher)
    stylesheet = CSS(string=css, url_fetcher=fetcher, font_config=_font_config())
    return bytes(
        document.write_pdf(
            stylesheets=[stylesheet],
            font_config=_font_config(),
            pdf_variant="pdf/ua-1",
            # A fixed identifier derived from the content keeps the bytes identical across builds.
            pdf_identifier=hashlib.sha256(html.encode()).hexdigest()[:32].encode(),
        )
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
