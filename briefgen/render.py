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
import re
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache, wraps
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
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateRuntimeError,
    pass_context,
    pass_environment,
)
from jinja2.exceptions import SecurityError
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
    in the traceback, where Jinja marks the frames of template code (the deepest is the template
    at fault: chart.svg, say, rendered from a filter called by full.html)."""
    where, line = getattr(error, "filename", None), getattr(error, "lineno", None)
    if line is None:
        for frame, frame_line in traceback.walk_tb(error.__traceback__):
            template = frame.f_globals.get("__jinja_template__")
            if template is not None:  # compiled code: its line is the template's only once mapped
                where, line = template.filename, template.get_corresponding_lineno(frame_line)
            elif "__jinja_exception__" in frame.f_globals:  # a frame Jinja rewrote to the template's line
                where, line = frame.f_code.co_filename, frame_line
    located = f"{Path(where).name if where else name}:{line}" if line else (where or name)
    return f"{located}: template error: {error.message or error}"


class _TemplateCache(FileSystemBytecodeCache):
    """Compiled templates kept between runs, as Python keeps .pyc files: compiling the default
    templates takes longer than rendering a briefing with them. Jinja reuses an entry only while
    the template's source is unchanged; the file names carry briefgen's version and the format,
    which decide how a template compiles. A cache that cannot be written is only slower.

    An entry is code that runs on the next build, so only a private folder is used (see
    _template_cache), and an entry that someone else could have written is not loaded."""

    def load_bytecode(self, bucket: Any) -> None:
        try:
            status = os.lstat(self._get_cache_filename(bucket))
        except OSError:
            return
        if _untrusted(status) is None:
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Any) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_cache_folder() -> Path:
    """$BRIEFGEN_CACHE_DIR, else briefgen/ in the user's cache folder ($XDG_CACHE_HOME or ~/.cache):
    per user, since what is cached there runs."""
    configured = os.environ.get("BRIEFGEN_CACHE_DIR")
    if configured:
        return Path(configured) / "templates"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefgen" / "templates"


def _untrusted(status: os.stat_result) -> str | None:
    """Why a cache folder or entry with this lstat could hold someone else's code, or None."""
    import stat

    if stat.S_ISLNK(status.st_mode):
        return "is a symbolic link"
    if status.st_uid != os.getuid():
        return "belongs to another user"
    if status.st_mode & 0o022:
        return "can be written by other users"
    return None


def _template_cache(fmt: TextFormat) -> _TemplateCache | None:
    """The bytecode cache, in a folder made private (mode 700); None, and one warning, if the
    folder is not this user's alone: anyone who can write it could run code in the next build."""
    folder = template_cache_folder()
    try:
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        reason = _untrusted(os.lstat(folder))
    except OSError:
        return None
    if reason is not None:
        _warn_untrusted_cache(folder, reason)
        return None
    return _TemplateCache(str(folder), pattern=f"briefgen-{__version__}-{fmt}-%s.cache")


@cache
def _warn_untrusted_cache(folder: Path, reason: str) -> None:
    import logging

    logging.getLogger(__name__).warning(
        "warning: not caching compiled templates in %s: it %s, and what is cached there runs in every build; "
        "compiling them each time instead (make the folder yours with mode 700, or set BRIEFGEN_CACHE_DIR)",
        folder,
        reason,
    )


MAX_TEMPLATE_SIZE = 1_000_000
"""The longest text or list a template may make (with '*', '%', a width or a padding filter)."""
_FORMAT_WIDTH = re.compile(r"[0-9]+|\*")


def _check_size(value: object, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_TEMPLATE_SIZE:
        raise SecurityError(f"{what} asks for {value:,} characters or items; a template may make at most {MAX_TEMPLATE_SIZE:,}")


def _check_format(text: str) -> None:
    """'%999999999d' or '{:999999999}' would make a string of gigabytes from a number."""
    if re.search(r"\{[^{}]*:[^{}]*\{", text):
        raise SecurityError(f"the format {text[:40]!r} takes its width from an argument, which could ask for any size; a template may make at most {MAX_TEMPLATE_SIZE:,} characters")
    for spec in re.findall(r"%[-#0 +]*[0-9*.]+|\{[^{}]*:[^{}]*\}", text):
        for width in _FORMAT_WIDTH.findall(spec):
            _check_size(MAX_TEMPLATE_SIZE + 1 if width == "*" else int(width), f"the format {spec!r}")


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            _check_size(value, f"the filter '{function.__name__}'")
        if args and isinstance(args[0], str) and function.__name__ == "do_format":
            _check_format(args[0])
        return function(*args, **kwargs)

    return bounded


class _Template(Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        try:
            return super().render(*args, **kwargs)
        except RecursionError:  # a loop through several templates; one extending itself is caught first
            raise TemplateRuntimeError(f"{self.name} extends or includes templates in a loop") from None


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, also refusing what would exhaust memory or recurse without end:
    text or lists longer than MAX_TEMPLATE_SIZE ('x' * 4000000000, '%999999999d', center(10**9)),
    powers of more than a million digits, and a template that extends or includes itself."""

    intercepted_binops = frozenset({"*", "**", "%"})
    template_class = _Template

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name in ("center", "indent", "format", "wordwrap", "truncate"):
            self.filters[name] = _bounded_filter(self.filters[name])

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for items, times in ((left, right), (right, left)):
                if isinstance(items, (str, list, tuple)) and isinstance(times, int):
                    _check_size(len(items) * times, "'*'")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
            _check_size(right * abs(left).bit_length() // 3, "'**'")  # about the digits of the result
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
        return super().call_binop(context, operator, left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if isinstance(getattr(obj, "__self__", None), (str, list, tuple)):  # 'x'.center(10**9)
            for value in (*args, *kwargs.values()):
                _check_size(value, f"'{obj.__name__}'")
        return super().call(context, obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if isinstance(getattr(value, "__self__", None), str):  # '{:999999999}'.format(1)
            _check_format(value.__self__)
        return super().wrap_str_format(value)

    def get_template(self, name: str | Template, parent: str | None = None, globals: Any = None) -> Template:
        if parent is not None and isinstance(name, str) and self.join_path(name, parent) == parent:
            raise TemplateRuntimeError(
                f"{parent} extends or includes itself; to build on briefgen's own {name}, name it 'default:{name}'"
            )
        return super().get_template(name, parent, globals)


class _FolderLoader(FileSystemLoader):
    """Templates from one folder, and only from it: a link to a file elsewhere is refused, not followed."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        folder, real = Path(self.searchpath[0]).resolve(), Path(filename).resolve()
        if not real.is_relative_to(folder):
            raise TemplateRuntimeError(f"template '{template}' is a link to {real}, outside {folder}; copy the file into the folder instead")
        return source, filename, uptodate


@lru_cache(maxsize=8)
def _environment(fmt: TextFormat, workspace: Path | None, generation: str) -> ImmutableSandboxedEnvironment:
    defaults = _FolderLoader(DEFAULT_TEMPLATES)
    loaders = [_FolderLoader(workspace)] if workspace and workspace.resolve() != DEFAULT_TEMPLATES.resolve() else []
    loader = ChoiceLoader([*loaders, PrefixLoader({"default": defaults}, delimiter=":"), defaults])
    is_html = fmt == "html"
    environment = _Sandbox(
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
