"""One output: a briefing context rendered as the bytes of Markdown, HTML or PDF."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import TYPE_CHECKING

from .context import BriefingContext
from .discover import DEFAULT_TEMPLATES
from .errors import EnvironmentProblem
from .fonts import describe_missing, uncovered_characters
from .pdf import PdfOptions, render_pdf
from .render import Renderer

if TYPE_CHECKING:
    from .loader import LoadedSheet
    from .pipeline import BuildOptions

PAGE_LIMITS = {"onepager": 1}
"""Brief types whose PDF must fit a number of pages; the build fails, saying what spilled over."""


def render_output(
    renderer: Renderer,
    brief: BriefingContext,
    loaded: LoadedSheet,
    brief_type: str,
    fmt: str,
    options: BuildOptions,
    *,
    warn: Callable[[str], None],
    html_of: Callable[[str], str],
) -> bytes:
    """One output's bytes; `html_of(brief_type)` gives the HTML, rendered once for both HTML and PDF."""
    if fmt == "md":
        return renderer.render(brief_type, "md", brief).encode()
    html = html_of(brief_type)
    if fmt == "html":
        return html.encode()
    check_font_coverage(html, str(loaded.path), strict=options.strict, warn=warn)
    pdf_options = PdfOptions(
        label=str(loaded.path),
        asset_roots=[folder for folder in (options.workspace_templates, DEFAULT_TEMPLATES) if folder],
        paper=options.paper,
        template=brief_type,
        max_pages=PAGE_LIMITS.get(brief_type),
        archival=options.archival,
        attachment=loaded.raw,
        attachment_name=loaded.path.name,
        as_of=loaded.sheet.briefing.as_of,
    )
    return render_pdf(html, renderer.stylesheet("print.css"), pdf_options)


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
