"""One fact sheet's briefings in memory: Markdown and HTML rendered here, each PDF as a job.

The text formats take milliseconds; a PDF takes a second or more of WeasyPrint layout. So a
PDF leaves this module as a `PdfJob` (the HTML, the print stylesheet, the options), which the
build draws in this process or hands to a worker process (briefgen/worker.py), and the sheet's
files are written only once every one of them is ready.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .context import BriefingContext, build_context
from .discover import template_folders
from .errors import EnvironmentProblem, RenderError
from .fonts import describe_missing, uncovered_characters
from .onepager import selections
from .pdf import Drawn, FitJob, PdfJob, PdfOptions, deadline
from .render import Renderer, heaviest_field

if TYPE_CHECKING:
    from .loader import LoadedSheet
    from .pipeline import BuildOptions

PAGE_LIMITS = {"onepager": 1}
"""Brief types whose PDF must fit a number of pages; the build fails, saying what spilled over."""
DOWNLOAD_LABELS = {"pdf": "PDF", "md": "Markdown", "yaml": "Fact sheet (YAML)"}


@dataclass(frozen=True)
class SheetTask:
    path: Path
    stamp: str
    summary: dict[str, Any]
    """What the manifest keeps of the sheet (pipeline._summary), worked out once when planning."""
    outputs: dict[Path, tuple[str, str]]
    """Each output path → (brief type, format)."""
    release_limit: str | None = None
    """The highest marking to show, in this sheet's scheme (None: the complete briefing)."""
    site_files: dict[Path, str] = field(default_factory=dict)
    """The sheet's files in the published site → 'page', or the format copied there ('pdf', 'md', 'yaml')."""
    generation: str = ""
    """The build's fingerprint: templates compiled for another one are not reused."""


@dataclass
class RenderedSheet:
    """A sheet's outputs: the text ones rendered, the PDFs still to draw."""

    path: Path
    files: dict[Path, bytes]
    pdf_jobs: dict[Path, PdfJob | FitJob]
    copies: dict[Path, Path]
    """Site downloads → the output they copy, which may be a PDF not drawn yet."""
    warnings: list[str]
    seconds: float
    """Time spent rendering so far; each PDF's drawing time is added when it is done."""
    banner: str = ""
    """The marking the site lists the briefing under: its published page's banner."""
    fitted: dict[Path, tuple[Path, Callable[[int], bytes], str]] = field(default_factory=dict)
    """Outputs that show what a fitted PDF chose (the one-pager's Markdown and HTML) → that PDF,
    the output for a chosen variant, and what the product must hold, for a failure's message."""
    failures: list[str] = field(default_factory=list)
    """Products that could not be made; the sheet's other files are written all the same."""

    def complete(self, pdfs: dict[Path, Drawn]) -> dict[Path, bytes]:
        """Every file of the sheet, given its drawn PDFs, in the order they are to be written.
        A product whose PDF could not be fitted is left out whole, and said so in `failures`."""
        files = dict(self.files)
        for path, drawn in pdfs.items():
            if drawn.pdf is not None:
                files[path] = drawn.pdf
        for path, (pdf, output, must) in self.fitted.items():
            if pdfs[pdf].pdf is not None:
                files[path] = output(pdfs[pdf].variant)
        for path, drawn in pdfs.items():
            if drawn.failure:
                must = next((must for pdf, _, must in self.fitted.values() if pdf == path), "")
                self.failures.append(f"{drawn.failure}{f'. It must hold {must}: shorten those, or mark fewer items onepager: true' if must else ''}")
        return {**files, **{copy: files[original] for copy, original in self.copies.items() if original in files}}


@dataclass
class SheetOutcome:
    path: Path
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


MAX_SHEET_RENDER_SECONDS = 60
"""A sheet's text outputs (all formats and brief types) take well under a second; this is a bound."""
MAX_PRODUCT_BYTES = 8_000_000
"""A briefing's HTML is some 200 kB; a sheet that makes one this large would stall the PDF layout."""


def render_sheet(loaded: LoadedSheet, task: SheetTask, options: BuildOptions) -> RenderedSheet:
    """Render every text output of one valid sheet, and describe each of its PDFs as a job.
    Bounded in time and in output size, so that a heavy sheet fails with a message naming it."""
    heaviest_field.set((0.0, ""))
    with deadline(MAX_SHEET_RENDER_SECONDS, str(loaded.path), "its Markdown and HTML", lambda: _heaviest(loaded)):
        rendered = _render_sheet(loaded, task, options)
    for path, content in rendered.files.items():
        if len(content) > MAX_PRODUCT_BYTES:
            raise RenderError(
                f"{loaded.path}: {path.name} would be {len(content):,} bytes, more than {MAX_PRODUCT_BYTES:,}; {_heaviest(loaded)}"
            )
    return rendered


def _heaviest(loaded: LoadedSheet) -> str:
    """What to shorten: the slowest Markdown field converted, else the sheet's longest field."""
    from .loader import field_path

    seconds, text = heaviest_field.get()
    if seconds > 0.5:
        return f"its heaviest text field ({seconds:.1f} s to convert) begins '{' '.join(text.split())[:60]}': shorten or simplify it"
    loc, length = max(_text_fields(loaded.sheet.model_dump(), ()), key=lambda found: found[1], default=((), 0))
    return f"its longest text field is {field_path(loc)} ({length:,} characters): shorten it, or split the sheet"


def _text_fields(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], int]]:
    if isinstance(value, str):
        yield loc, len(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _text_fields(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _text_fields(item, (*loc, index))


def _render_sheet(loaded: LoadedSheet, task: SheetTask, options: BuildOptions) -> RenderedSheet:
    from . import __version__

    started = time.perf_counter()
    brief = build_context(
        loaded.sheet,
        previous=loaded.previous.sheet if loaded.previous else None,
        version=task.stamp,
        generator=f"briefgen {__version__}",
        max_age_days=options.max_age_days,
        release_limit=task.release_limit,
        label=str(loaded.path),
    )
    renderer = Renderer(options.workspace_templates, task.generation)
    html: dict[str, str] = {}  # by brief type: one render serves both the HTML file and the PDF
    rendered = RenderedSheet(loaded.path, {}, {}, {}, [], 0.0, banner=loaded.sheet.briefing.marking)
    fitting = {brief_type for path, (brief_type, fmt) in task.outputs.items() if fmt == "pdf" and brief_type in PAGE_LIMITS}
    for brief_type in fitting:
        _fit(rendered, brief, renderer, loaded, task, options, brief_type)
    for path, (brief_type, fmt) in task.outputs.items():
        if brief_type in fitting:
            continue
        if brief_type in PAGE_LIMITS:  # no PDF to fit: a screen has no page, so everything is shown
            chosen = {"selection": selections(brief.sheet)[0]}
            rendered.files[path] = renderer.render_product(brief_type, "md" if fmt == "md" else "html", brief, chosen).text.encode()
            continue
        if fmt == "md":
            rendered.files[path] = renderer.render_product(brief_type, "md", brief).text.encode()
            continue
        if brief_type not in html:
            html[brief_type] = renderer.render_product(brief_type, "html", brief).text
        if fmt == "html":
            rendered.files[path] = html[brief_type].encode()
        else:
            check_font_coverage(html[brief_type], str(loaded.path), strict=options.strict, warn=rendered.warnings.append)
            rendered.pdf_jobs[path] = PdfJob(html[brief_type], renderer.stylesheet("print.css"), _pdf_options(loaded, brief_type, options))
    full = {fmt: path for path, (brief_type, fmt) in task.outputs.items() if brief_type == "full"}
    downloads = [(DOWNLOAD_LABELS[kind], path.name) for path, kind in task.site_files.items() if kind != "page"]
    for path, kind in task.site_files.items():
        if kind == "page":
            extra: dict[str, Any] = {"downloads": downloads, "home": "../index.html"}
            page = renderer.render_product("site/briefing", "html", brief, extra=extra)
            rendered.files[path] = page.text.encode()
            rendered.banner = page.banner
        elif kind == "yaml":
            rendered.files[path] = loaded.raw
        else:
            rendered.copies[path] = full[kind]
    rendered.seconds = time.perf_counter() - started
    return rendered


def _fit(rendered: RenderedSheet, brief: BriefingContext, renderer: Renderer, loaded: LoadedSheet, task: SheetTask, options: BuildOptions, brief_type: str) -> None:
    """A page-limited product: its HTML for every candidate selection, fullest first, for the
    PDF layout to choose from; its Markdown and HTML files follow whichever is chosen."""
    candidates = selections(brief.sheet)
    variants = [renderer.render_product(brief_type, "html", brief, {"selection": selection}).text for selection in candidates]
    check_font_coverage(variants[0], str(loaded.path), strict=options.strict, warn=rendered.warnings.append)
    paths = {fmt: path for path, (kind, fmt) in task.outputs.items() if kind == brief_type}
    must = candidates[-1].must_haves
    rendered.pdf_jobs[paths["pdf"]] = FitJob(tuple(variants), renderer.stylesheet("print.css"), _pdf_options(loaded, brief_type, options))
    if "html" in paths:
        rendered.fitted[paths["html"]] = (paths["pdf"], lambda chosen: variants[chosen].encode(), must)
    if "md" in paths:

        def markdown(chosen: int) -> bytes:
            return renderer.render_product(brief_type, "md", brief, {"selection": candidates[chosen]}).text.encode()

        rendered.fitted[paths["md"]] = (paths["pdf"], markdown, must)


def _pdf_options(loaded: LoadedSheet, brief_type: str, options: BuildOptions) -> PdfOptions:
    return PdfOptions(
        label=str(loaded.path),
        asset_roots=template_folders(options.workspace_templates),
        paper=options.paper,
        template=brief_type,
        max_pages=PAGE_LIMITS.get(brief_type),
        archival=options.archival,
        attachment=loaded.raw,
        attachment_name=loaded.path.name,
        as_of=loaded.sheet.briefing.as_of,
    )


def check_font_coverage(html: str, label: str, *, strict: bool, warn: Callable[[str], None]) -> None:
    """Warn (or, strict, fail) before drawing a PDF in which some character would print as a box."""
    missing = uncovered_characters(visible_text(html))
    if not missing:
        return
    message = f"{label}: {describe_missing(missing)}"
    if strict:
        raise EnvironmentProblem(message)
    warn(message)


def visible_text(html: str) -> str:
    """The text a reader sees in `html`: tags, styles and entities resolved away."""
    without_styles = re.sub(r"<style\b.*?</style>", " ", html, flags=re.DOTALL)
    return unescape(re.sub(r"<[^>]+>", " ", without_styles))
