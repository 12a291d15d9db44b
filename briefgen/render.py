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
import time
import traceback
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
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
from markupsafe import Markup, escape

from . import __version__
from .context import BriefingContext, figure_sources, series_table
from .discover import DEFAULT_TEMPLATES, template_folders
from .errors import RenderError, UsageError
from .formatting import escape_markdown, format_date, format_date_range, format_figure
from .markings import css_name, highest
from .models import Figure
from .portions import Labelled, label, labelled_text, marking_of, note_printed, printing, with_label

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

    Remembered by text: a briefing's site page and its brief types convert the same fields.
    The slowest conversion is noted, so that a render that runs out of time can name it."""
    started = time.perf_counter()
    html = _markdown_converter().reset().convert(text)
    seconds = time.perf_counter() - started
    if seconds > heaviest_field.get()[0]:
        heaviest_field.set((seconds, text))
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


heaviest_field: ContextVar[tuple[float, str]] = ContextVar("briefgen_heaviest_field", default=(0.0, ""))
"""The slowest Markdown field converted in this context, and its text: what to name when a render is too heavy."""


def _md_html(text: str) -> Markup:
    """The `md` filter for HTML: a marked field's label leads its first paragraph."""
    html = markdown_to_html(str(text))
    marking = marking_of(text)
    if not marking:
        return html
    note_printed(marking)
    mark = _label_html(marking)
    return Markup(str(html)[:3] + mark + str(html)[3:]) if html.startswith("<p>") else Markup(mark) + html


def _label_html(marking: str) -> str:
    """Plain text, as US portion marks are: an element inside a link would break its PDF tagging."""
    return f"{label(marking)} "


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
    safe = safe.replace("\n", "\n" + " " * indent) if indent else safe
    marking = marking_of(text)
    if marking:
        note_printed(marking)
        # A label cannot lead a list or a heading without breaking it: it gets a line of its own.
        joiner = "\n\n" + " " * indent if _BLOCK_START.match(safe) else " "
        safe = f"{label(marking)}{joiner}{safe}"
    return MarkdownText(safe)


_BLOCK_START = re.compile(r"^(?:[-*+>#|]|\d+[.)])")


def markdown_inline(text: str) -> MarkdownText:
    """Markdown from a fact sheet on one line, for a table cell, where a line break would end the row."""
    flat = " ".join(str(text).split())
    return MarkdownText(markdown_passthrough(labelled_text(flat, marking_of(text))).replace("|", "\\|"))


def yaml_string(value: Any) -> MarkdownText:
    """A value as a double-quoted YAML scalar (JSON strings are valid YAML), for front matter."""
    return MarkdownText(json.dumps(str(value), ensure_ascii=False))


def markdown_url(url: str) -> MarkdownText:
    """A validated URL for a Markdown autolink: anything that could end the link is percent-encoded."""
    return MarkdownText(quote(url, safe=":/?#[]@!$&'()*+,;=%~"))


def _finalize_markdown(value: Any) -> Any:
    """Every printed value: Markdown passes through, text is escaped, and prose from a marked
    portion gets its label in front (and counts towards the banner)."""
    if isinstance(value, MarkdownText):
        return value
    text = escape_markdown(_isolated(str(value), "\u2068", "\u2069"))
    if isinstance(value, Labelled):
        note_printed(value.marking)
        return f"{label(value.marking)} {text}"  # plain, not bold: it may stand inside bold text
    return text


def _finalize_html(value: Any) -> Any:
    """Every printed value in HTML: prose from a marked portion gets its label in front (and
    counts towards the banner), and right-to-left text is isolated from its neighbours.
    Inside a chart (an SVG image) the label is plain text."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    text = escape(value)
    if _RTL.search(value):
        text = Markup("<bdi>%s</bdi>") % text if not _PLAIN_LABELS.get() else Markup("\u2068") + text + Markup("\u2069")
    if isinstance(value, Labelled):
        note_printed(value.marking)
        mark = label(value.marking) + " " if _PLAIN_LABELS.get() else _label_html(value.marking)
        return Markup(mark) + text
    return text


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]")
"""Right-to-left letters: a field holding them is isolated, so it cannot reorder what surrounds it."""
_PLAIN_LABELS: ContextVar[bool] = ContextVar("briefgen_plain_labels", default=False)


def _isolated(text: str, start: str, end: str) -> str:
    return f"{start}{text}{end}" if _RTL.search(text) else text


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
    """The figure's chart, drawn by the workspace's (or the default) chart.svg, as a data: URL.
    Its labels are plain text (an SVG image has no HTML), and count towards the banner."""
    from .charts import chart_data_url, chart_layout

    if marking := marking_of(figure):
        note_printed(marking)
    token = _PLAIN_LABELS.set(True)
    try:
        return chart_data_url(environment.get_template("chart.svg").render(c=chart_layout(figure)))
    finally:
        _PLAIN_LABELS.reset(token)


def _chart_description(figure: Figure) -> str:
    """Alternative text for a chart, labelled as plain text: it is printed in an attribute."""
    from .charts import chart_description

    marking = marking_of(figure)
    if marking:
        note_printed(marking)
    return with_label(labelled_text(chart_description(figure), marking))


def _language(context: Context) -> str:
    """The briefing's language, which numbers and dates are written in (English on site pages)."""
    brief: BriefingContext | None = context.get("b")
    return brief.sheet.briefing.language if brief is not None else "en"


@pass_context
def _figure(context: Context, figure: Figure) -> str:
    """A figure's value as the briefing shows it, labelled like the figure it belongs to."""
    return labelled_text(format_figure(figure, _language(context)), marking_of(figure))


def _capitalize_first(value: str) -> str:
    """'high' -> 'High', leaving the rest as written (Jinja's `capitalize` lowers it) and the label on."""
    return labelled_text(value[:1].upper() + value[1:], marking_of(value))


def _words(value: str) -> str:
    """A choice as words: 'partly-kept' -> 'partly kept', 'not-yet-due' -> 'not yet due'."""
    return labelled_text(value.replace("-", " "), marking_of(value))


def _party_names(ids: list[str], brief: BriefingContext) -> str:
    """'the US', 'the US and China', 'the US, China and the EU': parties by their short names."""
    names = [brief.parties[party].short_name for party in ids]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return listed


def _attribute_text(value: str) -> str:
    """A value for an HTML attribute (where no markup may go): its label as plain text."""
    if marking := marking_of(value):
        note_printed(marking)
    return with_label(value)


def _banner_colours(marking: str) -> tuple[str, str]:
    """(band, ink) for a marking's banner on paper, as the HTML's coloured bands (briefgen/banners.py)."""
    from .banners import BANNER_COLOURS

    return BANNER_COLOURS.get(marking, ("#1f4e79", "#ffffff"))


def _has_projection(figure: Figure) -> bool:
    return any(getattr(point, "projected", False) for series in figure.series for point in series.points)


@pass_context
def _date(context: Context, day: date) -> str:
    return format_date(day, _language(context))


@pass_context
def _date_range(context: Context, start: date, end: date) -> str:
    return format_date_range(start, end, _language(context))


@pass_context
def _series_table(context: Context, figure: Figure) -> tuple[list[str], list[list[str]]]:
    return series_table(figure, _language(context))


@dataclass(frozen=True)
class Product:
    """A rendered briefing product and its banner: the highest marking of anything it prints."""

    text: str
    banner: str


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

    def render_product(self, template: str, fmt: TextFormat, brief: BriefingContext, extra: Mapping[str, Any] | None = None) -> Product:
        """Render one briefing product; its banner is the highest of the briefing's own marking
        and every label it printed. Printed once with the briefing's own marking as its banner
        and, if a label is higher, again with that."""
        base: str = brief.sheet.briefing.marking
        banner = base
        for _ in range(2):
            with printing(banner) as printed:
                text = self.render(template, fmt, brief, extra)
            needed = highest([base, *printed], brief.scheme) or base
            if needed == banner:
                return Product(text, banner)
            banner = needed
        raise RenderError(f"{template}.{fmt}: the template prints other portions when its banner is raised to {banner}")

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
    return _TemplateCache(str(folder), pattern=f"briefgen-{__version__}-{_filters_key()}-{fmt}-%s.cache")


@cache
def _filters_key() -> str:
    """Compiled templates depend on how each filter is called (with the context or without), which
    this module decides: an entry compiled by another version of it is never reused."""
    import hashlib

    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


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
        self._safe_attributes: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Jinja's answer, remembered by the object's type and the attribute's name, which are all
        it depends on: a briefing reads thousands of attributes of a few kinds of object."""
        key = (type(obj), attr)
        safe = self._safe_attributes.get(key)
        if safe is None:
            safe = self._safe_attributes[key] = super().is_safe_attribute(obj, attr, value)
        return safe

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
        finalize=_finalize_html if is_html else _finalize_markdown,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=_template_cache(fmt),
    )
    filters: dict[str, Callable[..., Any]] = {
        "md": _md_html if is_html else markdown_passthrough,
        "md_inline": _md_html if is_html else markdown_inline,
        "cite": _cite_html if is_html else _cite_markdown,
        "figure": _figure,
        "chart_alt": _chart_description,
        "series_table": _series_table,
        "figure_sources": figure_sources,
        "yaml": yaml_string,
        "url": markdown_url if not is_html else str,
        "date": _date,
        "date_range": _date_range,
        "css_name": css_name,
        "capitalize_first": _capitalize_first,
        "words": _words,
        "party_names": _party_names,
        "plain": _attribute_text,
        "projected": _has_projection,
        "banner_colours": _banner_colours,
    }
    if is_html:
        filters["chart"] = _chart_data_url  # an SVG: escaped as markup, so never in Markdown
    environment.filters.update(filters)
    for name in LABEL_KEEPING_FILTERS:
        environment.filters[name] = _keeps_label(environment.filters[name])
    environment.filters["join"] = _join_keeping_labels(environment.filters["join"], is_html)
    return environment


LABEL_KEEPING_FILTERS = ("upper", "lower", "title", "capitalize", "trim", "truncate", "replace", "center", "wordwrap", "indent", "striptags")
"""Jinja's own text filters return plain text; wrapped, what they return from a marked portion
keeps its label, so a workspace template that writes `{{ issue.title | upper }}` still labels it."""


def _keeps_label(text_filter: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(text_filter)
    def keeping(*args: Any, **kwargs: Any) -> Any:
        value = next((arg for arg in args if isinstance(arg, str)), None)  # after a context or environment
        result = text_filter(*args, **kwargs)
        marking = marking_of(value)
        return labelled_text(str(result), marking) if marking and isinstance(result, str) and not isinstance(result, Markup) else result

    return keeping


def _join_keeping_labels(join: Callable[..., Any], is_html: bool) -> Callable[..., Any]:
    """`join` prints each marked item with its label (and notes it for the banner)."""

    @wraps(join)
    def joining(context: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        items = list(value)
        if not any(isinstance(item, Labelled) for item in items) or attribute is not None:
            return join(context, items, d, attribute)
        finalize = _finalize_html if is_html else _finalize_markdown
        separator = escape(d) if is_html else d
        return Markup(separator).join(finalize(item) for item in items) if is_html else MarkdownText(separator.join(finalize(item) for item in items))

    return joining
