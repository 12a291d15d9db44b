"""HTML to PDF with WeasyPrint: local files only, reproducible bytes, located failures.

WeasyPrint is imported here and nowhere else, and only when a PDF is asked for, so commands
that make no PDF never pay for it. One font configuration is kept per process.
"""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import RenderError

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

Paper = Literal["a4", "letter"]
_PAGE_SIZES = {"a4": "A4", "letter": "letter"}


class _FetchRefused(Exception):
    """Raised inside WeasyPrint's fetcher; re-raised by render_pdf as a RenderError."""


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
    from weasyprint import CSS, HTML, URLFetcher
    from weasyprint.urls import FatalURLFetchingError

    refused: list[str] = []

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serves data: URIs and files inside the asset folders; refuses everything else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:") or _inside(url, asset_roots):
                return super().fetch(url, headers)
            refused.append(url)
            raise FatalURLFetchingError(f"refused to fetch {url}")

    fetcher = LocalOnlyFetcher(timeout=5, allow_redirects=False, fail_on_errors=True)
    page = f"@page {{ size: {_PAGE_SIZES[paper]}; }}"
    errors = _ErrorLog()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(errors)
    try:
        document = HTML(string=html, base_url=str(asset_roots[0]) + "/", url_fetcher=fetcher)
        stylesheets = [CSS(string=print_css + page, url_fetcher=fetcher, font_config=_font_config())]
        pdf = document.write_pdf(
            stylesheets=stylesheets,
            font_config=_font_config(),
            pdf_variant="pdf/ua-1",
            pdf_identifier=hashlib.sha256(html.encode()).hexdigest()[:32].encode(),
            uncompressed_pdf=False,
        )
    except FatalURLFetchingError:
        raise RenderError(
            f"{label}: the briefing asks for {refused[0] if refused else 'a resource'}; "
            "only files in the template folders and data: URLs may be used in a PDF"
        ) from None
    finally:
        logger.removeHandler(errors)
    if errors.messages:
        raise RenderError(f"{label}: WeasyPrint reported: {errors.messages[0]}")
    return bytes(pdf)


def _inside(url: str, roots: list[Path]) -> bool:
    if not url.startswith("file:"):
        return False
    from urllib.request import url2pathname

    target = Path(url2pathname(url.removeprefix("file:").split("?")[0].split("#")[0])).resolve()
    return any(target.is_relative_to(root.resolve()) for root in roots)


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
