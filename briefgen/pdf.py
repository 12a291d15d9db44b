"""HTML to PDF with WeasyPrint: local files only, reproducible bytes, located failures.

WeasyPrint is imported here and nowhere else, and only when a PDF is asked for, so commands
that make no PDF never pay for it. One font configuration is kept per process. A page-limited
briefing (the one-pager) is fitted: only layout knows which of its variants fits, at what size.
"""

from __future__ import annotations

import hashlib
import logging
import re
import signal
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
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
FIT_SIZES = (12.0, 11.5, 11.0, 10.5, 10.0, 9.5, 9.0)
"""Body type sizes, in points, a page-limited briefing is tried at, largest first."""
MIN_FIT_SIZE = 9.0
"""No briefing is set smaller than this to make it fit."""
LONG_WORD = 30
"""Characters without a space beyond which a word gets break opportunities (_breakable)."""
WORD_PIECE = 20
"""The longest run of characters _breakable leaves unbroken in a long word."""
_LONG_WORD = re.compile(rf"(?:[^\s<&]|&#?\w+;){{{LONG_WORD},}}")
_CHARACTER = re.compile(r"&#?\w+;|.", re.DOTALL)
_BREAK_AFTER = frozenset("/-_.?=&,;:") | {"&amp;"}
_TAG_OR_TEXT = re.compile(r"<!--.*?-->|<(style|script|title|textarea)\b.*?</\1\s*>|<[^>]*>|[^<]+", re.DOTALL | re.IGNORECASE)
OFF_PAGE_TOLERANCE = 1.0
"""CSS pixels a box may reach past the text area (half a collapsed table border, rounding)."""


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


@dataclass(frozen=True)
class Drawn:
    """A drawn PDF (None if it could not be fitted to its pages), the seconds it took, and for a
    FitJob the variant it fitted; `failure` says why a product failed while the rest stand."""

    pdf: bytes | None
    seconds: float
    variant: int = 0
    failure: str | None = None


def draw(job: PdfJob | FitJob) -> Drawn:
    """What a worker (or this process) runs for one PDF."""
    started = perf_counter()
    if isinstance(job, PdfJob):
        return Drawn(render_pdf(job.html, job.print_css, job.options), perf_counter() - started)
    try:
        fitted = fit_to_pages(job.variants, job.print_css, job.options, job.sizes)
    except DoesNotFit as error:  # one product of the sheet fails; the others are still written
        return Drawn(None, perf_counter() - started, failure=str(error))
    return Drawn(fitted.pdf, fitted.seconds, fitted.variant)


def render_pdf(html: str, print_css: str, options: PdfOptions) -> bytes:
    """The PDF for `html` with `print_css` on top: local assets only, same bytes every time."""
    with _weasyprint(options) as lay_out:
        rendered = lay_out(html, print_css + _page_rule(options))
        return _write(rendered, html, options)


@dataclass(frozen=True)
class FitJob:
    """A page-limited PDF to fit: its HTML from most content to least, for a worker to choose from."""

    variants: tuple[str, ...]
    print_css: str
    options: PdfOptions
    sizes: tuple[float, ...] = FIT_SIZES


@dataclass(frozen=True)
class FitResult:
    pdf: bytes
    variant: int
    """Index of the variant chosen: 0 holds everything, each next one a little less."""
    size: float
    """The body type size, in points, it was set at."""
    seconds: float
    layouts: int
    """How many layouts the search took (each is most of the cost)."""


class DoesNotFit(RenderError):
    """Even the last variant at the smallest size runs past the page limit or off the page."""

    def __init__(self, label: str, template: str, limit: int | None, pages: int, off_page: tuple[int, ...], size: float) -> None:
        self.label, self.template, self.limit, self.pages, self.off_page, self.size = label, template, limit, pages, off_page, size
        problems = []
        if limit is not None and pages > limit:
            problems.append(f"runs to {pages} pages")
        if off_page:
            problems.append(f"runs off the side of page {', '.join(map(str, off_page))}")
        pages_allowed = f"on {limit} page(s)" if limit is not None else "its pages"
        super().__init__(
            f"{label}: the {template} briefing must fit {pages_allowed}, but even with only what it must "
            f"hold, set at {size:g} pt, it {' and '.join(problems)}"
        )

    def __reduce__(self) -> tuple[type[DoesNotFit], tuple[str, str, int | None, int, tuple[int, ...], float]]:
        return (type(self), (self.label, self.template, self.limit, self.pages, self.off_page, self.size))  # crosses from a worker intact


def fit_to_pages(variants: Sequence[str], print_css: str, options: PdfOptions, sizes: Sequence[float] = FIT_SIZES) -> FitResult:
    """The PDF of the fullest variant that fits `options.max_pages`, at the largest size it fits at.

    `variants` run from most content to least and `sizes` (body type in points) from largest to
    smallest; fewer items and smaller type are assumed never to take more pages, so each is
    searched by bisection. The likely cases are tried first: everything at the largest size
    (most sheets), then everything at the smallest.
    Every try is a full layout, the cost to save; the PDF is written once, for the choice.
    """
    started = perf_counter()
    if not variants or not sizes or list(sizes) != sorted(sizes, reverse=True) or sizes[-1] < MIN_FIT_SIZE:
        raise ValueError(f"fit_to_pages needs variants and sizes from largest to smallest, none below {MIN_FIT_SIZE} pt")
    page = _page_rule(options)
    limit = options.max_pages
    outcomes: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {}  # (variant, size) -> pages, pages off the side
    best: dict[tuple[int, int], Any] = {}  # the last layout that fitted: by bisection, the best so far

    with _weasyprint(options) as lay_out:

        def fits(variant: int, size: int) -> bool:
            if (variant, size) not in outcomes:
                rendered = lay_out(variants[variant], print_css + _size_rule(sizes[size]) + page)
                outcomes[variant, size] = (len(rendered.pages), tuple(_pages_off_the_side(rendered.pages)))
                if _within(outcomes[variant, size], limit):
                    best.clear()
                    best[variant, size] = rendered
            return _within(outcomes[variant, size], limit)

        smallest = len(sizes) - 1
        variant, size = 0, 0
        if not fits(0, 0):
            if fits(0, smallest):
                size = _first(lambda s: fits(0, s), 1, smallest)
            else:
                variant = _first(lambda v: fits(v, smallest), 1, len(variants))
                if variant == len(variants):
                    pages, off_page = outcomes[len(variants) - 1, smallest]
                    raise DoesNotFit(options.label, options.template, limit, pages, off_page, sizes[smallest])
                # One item more does not fit even the smallest type, so this variant is unlikely
                # to fit much larger type: look up from the smallest rather than from the middle.
                size = _first_near_end(lambda s: fits(variant, s), 0, smallest)
        identity = f"{sizes[size]:g}pt\n{variants[variant]}"
        pdf = _write(best[variant, size], identity, options)
    return FitResult(pdf, variant, sizes[size], perf_counter() - started, len(outcomes))


def _first(fits: Callable[[int], bool], low: int, high: int) -> int:
    """The least index in [low, high) that fits, or `high` if none does; fitting must be monotone."""
    while low < high:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _first_near_end(fits: Callable[[int], bool], low: int, high: int) -> int:
    """As _first, where `high` fits and the answer is likely close to it: probe 1, 2, 4, … below it."""
    step = 1
    while high - step >= low:
        if not fits(high - step):
            return _first(fits, high - step + 1, high)
        high -= step
        step *= 2
    return _first(fits, low, high)


def _within(outcome: tuple[int, tuple[int, ...]], limit: int | None) -> bool:
    pages, off_page = outcome
    return not off_page and (limit is None or pages <= limit)


def _size_rule(points: float) -> str:
    """Sets the type size of a template that reads it (print.css: body.onepager)."""
    return f"\n:root {{ --fit-size: {points:g}pt; }}\n"


def _page_rule(options: PdfOptions) -> str:
    return f"\n@page {{ size: {_PAGE_SIZES[options.paper]}; }}\n"


def _pages_off_the_side(pages: list[Any]) -> Iterator[int]:
    """Numbers of the pages on which something reaches past the left or right of the text area.

    A word too long for its line, a table too wide: WeasyPrint lays them out past the margin
    and the PDF viewer cuts them off, silently. Margin boxes (running heads) and list markers
    hang in the margin by design; what a box with hidden overflow clips cannot show, so it is
    not looked into.
    """
    from weasyprint.formatting_structure.boxes import Box, MarginBox
    from weasyprint.layout.absolute import AbsolutePlaceholder

    def laid_out(child: Any) -> Any:  # a positioned box is held by a placeholder
        return child._box if isinstance(child, AbsolutePlaceholder) else child

    for number, page in enumerate(pages, start=1):
        page_box = page._page_box
        left = page_box.content_box_x() - OFF_PAGE_TOLERANCE
        right = page_box.content_box_x() + page_box.width + OFF_PAGE_TOLERANCE
        boxes = [laid_out(child) for child in page_box.children if not isinstance(child, MarginBox)]
        while boxes:
            box = boxes.pop()
            if (box.element_tag or "").endswith("::marker"):
                continue
            if box.border_box_x() < left or box.border_box_x() + box.border_width() > right:
                yield number
                break
            if box.style["overflow"] == "visible":
                boxes.extend(child for child in map(laid_out, box.all_children()) if isinstance(child, Box))


@contextmanager
def _weasyprint(options: PdfOptions) -> Iterator[Callable[[str, str], Any]]:
    """A function that lays out HTML with a print stylesheet, fetching local assets only.

    Within one deadline for every layout made with it; a refused fetch, an oversized image or
    an error WeasyPrint logs becomes a RenderError naming the briefing.
    """
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

    def lay_out(html: str, css: str) -> Any:
        # The print stylesheet joins the document's own styles, after them: a stylesheet passed to
        # WeasyPrint separately would rank as a user stylesheet and lose to every author rule.
        safe_css = css.replace("</", "<\\/")  # CSS cannot close its <style> element
        printable = _breakable(html).replace("</head>", f"<style>\n{safe_css}\n</style>\n</head>", 1)
        document = HTML(string=printable, base_url=str(options.asset_roots[0]) + "/", url_fetcher=fetcher)
        return document.render(font_config=_font_config(), **_variant(options))

    errors = _ErrorLog()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(errors)
    try:
        with deadline(MAX_RENDER_SECONDS, options.label), warnings.catch_warnings():
            # Pillow warns of a decompression bomb before it refuses one; refuse at the warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield lay_out
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


def _breakable(html: str) -> str:
    """`html` with a break opportunity (a zero-width space) every so often in each very long word.

    CSS alone cannot wrap a long word in a table cell without harm: `overflow-wrap: anywhere`
    lets a cell shrink below its longest ordinary word ("progressin/g"), and `break-word` leaves
    the table as wide as the word, past the margin. A break inside such a word keeps columns
    as they were and the word on the page. Text only: tags, comments, styles are left alone, and
    so are headings, which become the PDF's bookmarks (print.css wraps them with CSS instead).
    """
    depth = 0

    def text_or_tag(match: re.Match[str]) -> str:
        nonlocal depth
        piece = match[0]
        if piece.startswith("<"):
            depth += 1 if _HEADING_OPEN.match(piece) else -1 if _HEADING_CLOSE.match(piece) and depth else 0
            return piece
        return piece if depth else _LONG_WORD.sub(_break_word, piece)

    return _TAG_OR_TEXT.sub(text_or_tag, html)


_HEADING_OPEN = re.compile(r"<h[1-6]\b", re.IGNORECASE)
_HEADING_CLOSE = re.compile(r"</h[1-6]\s*>", re.IGNORECASE)


def _break_word(match: re.Match[str]) -> str:
    pieces, since = [], 0  # a piece is a character or a character reference such as &amp;
    for piece in _CHARACTER.findall(match[0]):
        pieces.append(piece)
        since += 1
        if piece in _BREAK_AFTER or since >= WORD_PIECE:
            pieces.append("\u200b")
            since = 0
    return "".join(pieces).removesuffix("\u200b")


def _write(rendered: Any, identity: str, options: PdfOptions) -> bytes:
    """The laid-out document as PDF bytes; `identity` (its source) fixes the PDF's identifier."""
    return bytes(
        rendered.write_pdf(
            # A fixed identifier derived from the content keeps the bytes identical across builds.
            pdf_identifier=hashlib.sha256(identity.encode()).hexdigest()[:32].encode(),
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


@contextmanager
def deadline(seconds: float, label: str, what: str = "the PDF", hint: Callable[[], str] = lambda: "simplify the briefing") -> Iterator[None]:
    """Bound a render's wall time (main thread only: that is where signals are delivered)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise RenderError(f"{label}: {what} took longer than {seconds:g} s to render; {hint()}")

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
