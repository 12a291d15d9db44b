"""Jinja environments that turn a BriefingContext into Markdown or HTML text.

Safety is in the environment, not in each template: StrictUndefined turns a misspelt field
into an error instead of a blank; HTML templates always autoescape, whatever their file name;
Markdown templates escape every value that is not already Markdown; Markdown fields become
HTML through the markdown package and then an nh3 allowlist; every template, a workspace's
included, runs in Jinja's immutable sandbox.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import markdown
import nh3
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    pass_context,
    pass_environment,
)
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from . import __version__
from .context import BriefingContext, figure_sources, series_table
from .discover import DEFAULT_TEMPLATES, template_folders
from .errors import RenderError, UsageError
from .formatting import escape_markdown, format_date, format_date_range, format_figure
from .models import Figure

TextFormat = Literal["md", "html"]


_ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "b", "i", "code", "pre", "blockquote", "del", "sup", "sub",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "abbr", "span",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}, "td": set()}
_URL_SCHEMES = {"http", "https", "mailto"}
INLINE_STYLESHEETS = {"all": "style.css", "screen": "screen.css"}
"""Stylesheets inlined in every HTML briefing, by the media they apply to."""
CUSTOM_STYLESHEET = "custom.css"
"""A workspace's additions: inlined after the defaults, so it restyles without copying them."""


class MarkdownText(str):
    """Text that is already Markdown, so the Markdown environment passes it through unescaped."""


@lru_cache(maxsize=4096)
def markdown_to_html(text: str) -> Markup:
    """Markdown from a fact sheet as HTML that can carry no script, style, frame or unsafe URL.

    Remembered by text: a briefing's site page and its brief types convert the same fields."""
    html = _markdown_converter().reset().convert(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return Markup(_unwrap_single_paragraph(clean))


@lru_cache(maxsize=1)
def _markdown_converter() -> markdown.Markdown:
    """One converter per process, reset before each use: building one (its extensions, their
    patterns) cost more than the conversions of a whole briefing."""
    return markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")


def _unwrap_single_paragraph(html: str) -> str:
    """A one-paragraph field flows inline, so a citation mark can follow it on the same line."""
    inner = html.strip()
    if inner.startswith("<p>") and inner.endswith("</p>") and inner.count("<p>") == 1:
        return inner[3:-4]
    return html


def markdown_passthrough(text: str, indent: int = 0) -> MarkdownText:
    """Markdown from a fact sheet, for Markdown output: raw HTML neutralised so it shows as text.

    `indent` continues the text inside a list item: every line after the first is indented.
    """
    safe = text.strip().replace("&", "&amp;").replace("<", "&lt;")
    return MarkdownText(safe.replace("\n", "\n" + " " * indent) if indent else safe)


def yaml_string(value: Any) -> MarkdownText:
    """A value as a double-quoted YAML scalar (JSON strings are valid YAML), for front matter."""
    return MarkdownText(json.dumps(str(value), ensure_ascii=False))


def markdown_url(url: str) -> MarkdownText:
    """A validated URL for a Markdown autolink: anything that could end the link is percent-encoded."""
    return MarkdownText(quote(url, safe=":/?#[]@!$&'()*+,;=%~"))


def _finalize_markdown(value: Any) -> Any:
    return value if isinstance(value, MarkdownText) else escape_markdown(value)


@pass_context
def _cite_html(context: Context, refs: list[str] | str | None) -> Markup:
    numbers = _numbers(context, refs)
    links = ", ".join(f'<a href="#source-{n}">{n}</a>' for n in numbers)
    return Markup(f'<sup class="cite">[{links}]</sup>') if numbers else Markup("")


@pass_context
def _cite_markdown(context: Context, refs: list[str] | str | None) -> MarkdownText:
    return MarkdownText("".join(f"[^{n}]" for n in _numbers(context, refs)))


def _numbers(context: Context, refs: list[str] | str | None) -> list[int]:
    """Source numbers for `refs`, noted in the render's `cited` set so a sources list can show just those."""
    if refs is None:
        return []
    brief: BriefingContext = context["b"]
    ids = [refs] if isinstance(refs, str) else refs
    numbers = sorted({brief.source_numbers[ref] for ref in ids})
    context["cited"].update(numbers)
    return numbers


@pass_environment
def _chart_data_url(environment: Environment, figure: Figure) -> str:
    """The figure's chart, drawn by the workspace's (or the default) chart.svg, as a data: URL."""
    from .charts import chart_data_url, chart_layout

    return chart_data_url(environment.get_template("chart.svg").render(c=chart_layout(figure)))


def _chart_description(figure: Figure) -> str:
    from .charts import chart_description

    return chart_description(figure)


def _portion_html(portion: object) -> Markup:
    """'(SECRET) ' before a portion that carries its own marking, as marked documents do."""
    marking = getattr(portion, "marking", None)
    return Markup('<span class="portion-mark">({})</span> ').format(marking) if marking else Markup("")


def _portion_markdown(portion: object) -> MarkdownText:
    marking = getattr(portion, "marking", None)
    return MarkdownText(f"**({escape_markdown(marking)})** " if marking else "")


@dataclass(frozen=True)
class Renderer:
    """Renders named templates for one workspace; build it once and reuse it for every briefing."""

    workspace_templates: Path | None = None
    generation: str = ""
    """Changes whenever any template file changes (the build's fingerprint), so a long-running
    process (briefgen serve) never renders with templates compiled before an edit."""

    def render(self, template: str, fmt: TextFormat, brief: BriefingContext | None, extra: Mapping[str, Any] | None = None) -> str:
        """Render `template` (e.g. 'full') as `fmt`; HTML gets the stylesheets inlined in its head.

        `brief` is None for pages about many briefings (the site's index); `extra` adds variables.
        """
        environment = _environment(fmt, self.workspace_templates, self.generation)
        name = f"{template}.{fmt}"
        styles = _inline_styles(self.workspace_templates, self.generation) if fmt == "html" else {}
        try:
            return environment.get_template(name).render(b=brief, styles=styles, cited=set(), **(extra or {}))
        except TemplateNotFound as error:
            raise UsageError(f"no template named '{error.name}' (looked in {_searched(self.workspace_templates)})") from None
        except TemplateError as error:
            raise RenderError(_describe_template_error(error, name)) from None

    def stylesheet(self, name: str) -> str:
        """A stylesheet by name: the workspace's own first, then the default."""
        return _stylesheet(self.workspace_templates, name, self.generation)


@lru_cache(maxsize=32)
def _stylesheet(workspace: Path | None, name: str, generation: str) -> str:
    """Read once per build generation, not once per briefing: the generation changes with any template file."""
    for folder in template_folders(workspace):
        candidate = folder / name
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise UsageError(f"no stylesheet named '{name}' (looked in {_searched(workspace)})")


@lru_cache(maxsize=8)
def _inline_styles(workspace: Path | None, generation: str) -> dict[str, Markup]:
    css = {medium: _stylesheet(workspace, name, generation) for medium, name in INLINE_STYLESHEETS.items()}
    custom = workspace / CUSTOM_STYLESHEET if workspace else None
    if custom is not None and custom.is_file():
        css["all"] += "\n/* workspace custom.css */\n" + custom.read_text(encoding="utf-8")
    return {medium: Markup(text.replace("</", "<\\/")) for medium, text in css.items()}  # CSS cannot close <style>


def _searched(workspace: Path | None) -> str:
    return ", ".join(map(str, template_folders(workspace)))


def _describe_template_error(error: TemplateError, name: str) -> str:
    """'full.md:2: template error: ...': syntax errors carry their line; runtime errors are found
    in the traceback, where Jinja puts the template's own file name and line."""
    where, line = getattr(error, "filename", None), getattr(error, "lineno", None)
    if line is None:
        for frame, frame_line in traceback.walk_tb(error.__traceback__):
            filename = frame.f_code.co_filename
            if filename.endswith((".html", ".md", ".txt", ".j2", ".jinja")) or "<template>" in filename:
                where, line = filename, frame_line
    located = f"{Path(where).name if where else name}:{line}" if line else (where or name)
    return f"{located}: template error: {error.message or error}"


class _TemplateCache(FileSystemBytecodeCache):
    """Compiled templates kept between runs, as Python keeps .pyc files: compiling the default
    templates takes longer than rendering a briefing with them. Jinja reuses an entry only while
    the template's source is unchanged; the file names carry briefgen's version and the format,
    which decide how a template compiles. A cache that cannot be written is only slower."""

    def dump_bytecode(self, bucket: Any) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_cache_folder() -> Path:
    """$BRIEFGEN_CACHE_DIR, else briefgen/ in the user's cache folder ($XDG_CACHE_HOME or ~/.cache)."""
    configured = os.environ.get("BRIEFGEN_CACHE_DIR")
    if configured:
        return Path(configured) / "templates"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefgen" / "templates"


def _template_cache(fmt: TextFormat) -> _TemplateCache | None:
    folder = template_cache_folder()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return _TemplateCache(str(folder), pattern=f"briefgen-{__version__}-{fmt}-%s.cache")


@lru_cache(maxsize=8)
def _environment(fmt: TextFormat, workspace: Path | None, generation: str) -> ImmutableSandboxedEnvironment:
    defaults = FileSystemLoader(DEFAULT_TEMPLATES)
    loaders = [FileSystemLoader(workspace)] if workspace and workspace.resolve() != DEFAULT_TEMPLATES.resolve() else []
    loader = ChoiceLoader([*loaders, PrefixLoader({"default": defaults}, delimiter=":"), defaults])
    is_html = fmt == "html"
    environment = ImmutableSandboxedEnvironment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=is_html,
        finalize=None if is_html else _finalize_markdown,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=_template_cache(fmt),
    )
    filters: dict[str, Callable[..., Any]] = {
        "md": markdown_to_html if is_html else markdown_passthrough,
        "cite": _cite_html if is_html else _cite_markdown,
        "figure": format_figure,
        "portion": _portion_html if is_html else _portion_markdown,
        "chart_alt": _chart_description,
        "series_table": series_table,
        "figure_sources": figure_sources,
        "yaml": yaml_string,
        "url": markdown_url if not is_html else str,
        "date": format_date,
        "date_range": format_date_range,
    }
    if is_html:
        filters["chart"] = _chart_data_url  # an SVG: escaped as markup, so never in Markdown
    environment.filters.update(filters)
    return environment
