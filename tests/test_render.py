"""Renderers on a context: escaping, sanitising, strictness, the sandbox and workspace overrides."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from briefgen.context import build_context
from briefgen.errors import RenderError, UsageError
from briefgen.formatting import escape_markdown
from briefgen.loader import load
from briefgen.render import Renderer, markdown_to_html

from .conftest import MINIMAL_SHEET


def render(sheet_path: Path, fmt: str, templates: Path | None = None, template: str = "full") -> str:
    (loaded,) = load([sheet_path])
    brief = build_context(loaded.sheet, previous=None, version="test", generator="briefgen test")
    return Renderer(templates).render(template, fmt, brief)  # type: ignore[arg-type]


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_plain_fields_are_escaped_in_html(write_sheet: Callable[..., Path]) -> None:
    """A name holding HTML shows as text in the HTML briefing; it never becomes markup."""
    path = write_sheet(MINIMAL_SHEET.replace("name: He Lifeng", f"name: '{HOSTILE}'"))
    html = render(path, "html")
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "markdown",
    [
        HOSTILE,
        "[click](javascript:alert(1))",
        "[file](file:///etc/passwd)",
        "[data](data:text/html;base64,PHNjcmlwdD4=)",
        '<iframe src="https://example.org"></iframe>',
        "<style>body{display:none}</style>",
        '<a href="https://example.org" onclick="alert(1)">x</a>',
        "![img](https://example.org/track.png)",
    ],
)
def test_markdown_fields_are_sanitised(markdown: str) -> None:
    """Markdown from a fact sheet can carry no script, style, frame, handler or unsafe URL."""
    html = str(markdown_to_html(markdown)).lower()
    for forbidden in ("<script", "<iframe", "<style", "onerror", "onclick", "javascript:", "file:", "data:", "<img"):
        assert forbidden not in html


def test_markdown_keeps_tables_links_and_emphasis() -> None:
    """Tables, links and emphasis survive sanitising."""
    html = str(markdown_to_html("**bold** [link](https://example.org)\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in html
    assert "<table>" in html and "<td>1</td>" in html


def test_plain_fields_are_escaped_in_markdown(write_sheet: Callable[..., Path]) -> None:
    """A name holding Markdown syntax prints literally in the Markdown briefing."""
    path = write_sheet(MINIMAL_SHEET.replace("name: He Lifeng", "name: '*He* [Lifeng](https://evil.example) <b>'"))
    text = render(path, "md")
    assert r"\*He\* \[Lifeng\](https://evil.example) \<b\>" in text


def test_markdown_fields_cannot_inject_html_into_markdown(write_sheet: Callable[..., Path]) -> None:
    """Raw HTML in a Markdown field is neutralised in the Markdown output too."""
    path = write_sheet(MINIMAL_SHEET.replace("summary: Tariffs are high.", "summary: 'Tariffs <script>x</script>'"))
    text = render(path, "md")
    assert "<script>" not in text and "&lt;script>" in text


def test_escape_markdown_neutralises_line_start_markers() -> None:
    """Text that would start a heading, list or quote is escaped."""
    assert escape_markdown("# not a heading") == r"\# not a heading"
    assert escape_markdown("1. not a list") == r"1\. not a list"
    assert escape_markdown("two\nlines") == "two lines"


def workspace(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_workspace_template_extends_the_default(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """A workspace template overrides a default by name and can extend it instead of copying it."""
    templates = workspace(
        tmp_path,
        {"base.html": '{% extends "default:base.html" %}{% block title %}Ministry · {{ super() }}{% endblock %}'},
    )
    html = render(write_sheet(), "html", templates)
    assert "<title>Ministry · Test talks: First round</title>" in html
    assert "He Lifeng" in html  # the default full.html still renders through the override


def test_workspace_stylesheet_replaces_the_default(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """A workspace style.css restyles the output."""
    templates = workspace(tmp_path, {"style.css": "body { color: rebeccapurple; }"})
    html = render(write_sheet(), "html", templates)
    assert "rebeccapurple" in html and "grid-template-columns: max-content" not in html


def test_misspelt_field_is_an_error_not_a_blank(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """StrictUndefined: a template naming a field that does not exist fails with its place."""
    templates = workspace(tmp_path, {"full.md": "line one\n{{ b.sheet.round.titel }}\n"})
    with pytest.raises(RenderError, match=r"full\.md:2: template error: .*titel"):
        render(write_sheet(), "md", templates)


@pytest.mark.parametrize(
    "expression",
    ["{{ b.__class__.__mro__ }}", "{{ ''.__class__.__subclasses__() }}", "{{ b.people.clear() }}", "{{ b.sheet.people.append(1) }}"],
)
def test_workspace_templates_run_in_the_immutable_sandbox(write_sheet: Callable[..., Path], tmp_path: Path, expression: str) -> None:
    """A workspace template can neither reach Python internals nor change the facts."""
    templates = workspace(tmp_path, {"full.md": expression})
    with pytest.raises(RenderError):
        render(write_sheet(), "md", templates)


def test_unknown_template_is_a_usage_error(write_sheet: Callable[..., Path]) -> None:
    """Asking for a template that does not exist says where briefgen looked."""
    with pytest.raises(UsageError, match="no template named 'nonesuch.md'"):
        render(write_sheet(), "md", template="nonesuch")


def test_autoescape_applies_whatever_the_file_name(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """An HTML template is escaped even if its name does not end in .html (here, an included .txt)."""
    path = write_sheet(MINIMAL_SHEET.replace("name: He Lifeng", f"name: '{HOSTILE}'"))
    templates = workspace(tmp_path, {"full.html": '{% include "people.txt" %}', "people.txt": "{% for p in b.sheet.people %}{{ p.name }}{% endfor %}"})
    html = render(path, "html", templates)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_compiled_templates_are_cached_and_an_edit_is_never_served_stale(write_sheet: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh process reuses templates compiled by the last one, but an edited template is compiled again."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(cache))
    templates = workspace(tmp_path, {"full.md": "first version: {{ b.sheet.round.title }}\n"})
    sheet = write_sheet()

    def build_in_a_new_process() -> str:
        out = tmp_path / "out"
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "briefgen", "build", str(sheet), "--out", str(out), "--format", "md", "--no-site", "--templates", str(templates)],
            check=True, capture_output=True,
        )
        return next(out.rglob("*.md")).read_text(encoding="utf-8")

    assert build_in_a_new_process() == "first version: First round\n"
    compiled = {path: path.stat().st_mtime_ns for path in (cache / "templates").iterdir()}
    assert compiled  # the compiled template was kept
    assert build_in_a_new_process() == "first version: First round\n"
    assert {path: path.stat().st_mtime_ns for path in (cache / "templates").iterdir()} == compiled  # reused, not rewritten
    (templates / "full.md").write_text("second version: {{ b.sheet.round.title }}\n", encoding="utf-8")
    assert build_in_a_new_process() == "second version: First round\n"


def test_an_unwritable_template_cache_only_costs_time(write_sheet: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the cache folder cannot be made, briefings are built all the same."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(blocker / "cache"))
    result = subprocess.run(
        [sys.executable, "-m", "briefgen", "build", str(write_sheet()), "--out", str(tmp_path / "out"), "--format", "md,html", "--no-site"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "out").rglob("*.*"))) == 4  # md, html, the manifest and the build lock
