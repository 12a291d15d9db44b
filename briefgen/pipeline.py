"""The orchestrator: load → validate → context → render each format → write. Reads top to bottom."""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

from . import __version__
from .context import BriefingContext, build_context
from .errors import EnvironmentProblem, InvalidFactSheets, Problem
from .fonts import describe_missing, uncovered_characters
from .loader import LoadedSheet, load
from .pdf import Paper, PdfOptions, render_pdf
from .render import DEFAULT_TEMPLATES, Renderer
from .write import output_path, prepare_output, write_atomic

log = logging.getLogger(__name__)

FORMATS = ("md", "html", "pdf")
BRIEF_TYPES = ("full", "onepager", "talking-points")
PAGE_LIMITS = {"onepager": 1}
"""Brief types whose PDF must fit a number of pages; the build fails, saying what spilled over."""


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path = Path("build")
    formats: tuple[str, ...] = FORMATS
    templates: tuple[str, ...] = ("full",)
    paper: Paper = "a4"
    workspace_templates: Path | None = None
    archival: bool = False
    """PDF/A-3b with the fact sheet attached, instead of PDF/UA-1."""
    strict: bool = False
    """Warnings (uncovered characters) fail the build."""


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)

    @property
    def outputs(self) -> list[Path]:
        return sorted([*self.written, *self.unchanged])


def build(paths: Iterable[Path], options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build every briefing for the fact sheets in `paths`; nothing is written unless all are valid."""
    sheets = load(paths)
    plan = _plan_outputs(sheets, options)
    renderer = Renderer(options.workspace_templates)
    prepare_output(options.out_dir)
    result = BuildResult()
    for loaded in sheets:
        brief = build_context(
            loaded.sheet,
            previous=loaded.previous.sheet if loaded.previous else None,
            version=version_stamp(loaded),
            generator=f"briefgen {__version__}",
        )
        # Render every format first, then write: a failure leaves this briefing's old files whole.
        rendered = {path: _render(renderer, brief, loaded, template, fmt, options) for path, (sheet, template, fmt) in plan.items() if sheet is loaded}
        for path, content in rendered.items():
            (result.written if write_atomic(path, content) else result.unchanged).append(path)
            log.info("%s %s", "wrote" if path in result.written else "unchanged", path)
    return result


def _plan_outputs(sheets: list[LoadedSheet], options: BuildOptions) -> dict[Path, tuple[LoadedSheet, str, str]]:
    """Every output path and what makes it; two fact sheets that would write one file are an error."""
    plan: dict[Path, tuple[LoadedSheet, str, str]] = {}
    clashes: list[Problem] = []
    for loaded in sheets:
        sheet = loaded.sheet
        for template in options.templates:
            for fmt in options.formats:
                path = output_path(
                    options.out_dir, sheet.negotiation.id, sheet.briefing.as_of.isoformat(), sheet.round.id, template, fmt
                )
                if path in plan and plan[path][0] is not loaded:
                    other = plan[path][0].path
                    clashes.append(Problem(loaded.path, 1, 1, "round.id", f"would write {path}, as {other} does; give one of them another round id or as-of date"))
                plan[path] = (loaded, template, fmt)
    if clashes:
        raise InvalidFactSheets(clashes)
    return plan


def _render(renderer: Renderer, brief: BriefingContext, loaded: LoadedSheet, template: str, fmt: str, options: BuildOptions) -> bytes:
    if fmt == "md":
        return renderer.render(template, "md", brief).encode()
    html = renderer.render(template, "html", brief)
    if fmt == "html":
        return html.encode()
    _check_font_coverage(html, str(loaded.path), strict=options.strict)
    pdf_options = PdfOptions(
        label=str(loaded.path),
        asset_roots=[folder for folder in (options.workspace_templates, DEFAULT_TEMPLATES) if folder],
        paper=options.paper,
        template=template,
        max_pages=PAGE_LIMITS.get(template),
        archival=options.archival,
        attachment=loaded.raw,
        attachment_name=loaded.path.name,
        as_of=loaded.sheet.briefing.as_of,
    )
    return render_pdf(html, renderer.stylesheet("print.css"), pdf_options)


def _check_font_coverage(html: str, label: str, *, strict: bool) -> None:
    """Warn (or, strict, fail) before drawing a PDF in which some character would print as a box."""
    missing = uncovered_characters(visible_text(html))
    if not missing:
        return
    message = f"{label}: {describe_missing(missing)}"
    if strict:
        raise EnvironmentProblem(message)
    log.warning("warning: %s", message)


def visible_text(html: str) -> str:
    """The text a reader sees in `html`: tags, styles and entities resolved away."""
    without_styles = re.sub(r"<style\b.*?</style>", " ", html, flags=re.DOTALL)
    return unescape(re.sub(r"<[^>]+>", " ", without_styles))


def version_stamp(loaded: LoadedSheet) -> str:
    """The fact sheet's last git commit and date if it is committed unchanged, else a content hash."""
    folder = loaded.path.parent
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", loaded.path.name], cwd=folder, capture_output=True, text=True, timeout=10
        )
        if status.returncode == 0 and not status.stdout.strip():
            commit = subprocess.run(
                ["git", "log", "-1", "--format=%h %cs", "--", loaded.path.name], cwd=folder, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            if commit:
                short, day = commit.split()
                return f"{short} ({day})"
    except (OSError, subprocess.SubprocessError):
        pass
    return f"sha256:{hashlib.sha256(loaded.raw).hexdigest()[:12]}"
