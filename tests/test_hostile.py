"""Hostile input and hostile conditions: a located error or a safe briefing, never damage."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from briefgen import BuildOptions, build
from briefgen.cli import main
from briefgen.context import build_context
from briefgen.errors import EnvironmentProblem, InvalidFactSheets, RenderError
from briefgen.loader import load
from briefgen.render import Renderer
from briefgen.yamlsource import read_yaml

from .conftest import LONDON, MINIMAL_SHEET


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that records every request it receives."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def workspace_templates(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("block", "markup"),
    [
        ("masthead", '<img src="{url}/image.png" alt="">'),
        ("head", '<link rel="stylesheet" href="{url}/style.css">'),
        ("head", "<style>@import url({url}/imported.css);</style>"),
        ("head", '<style>body {{ background: url("{url}/background.png") }}</style>'),
    ],
)
def test_pdf_never_fetches_from_the_network(
    write_sheet: Callable[..., Path], tmp_path: Path, http_server: tuple[str, list[str]], block: str, markup: str
) -> None:
    """A template asking for a web resource fails the build, naming the sheet and URL; no request is sent."""
    url, requests = http_server
    templates = workspace_templates(
        tmp_path, {"base.html": f'{{% extends "default:base.html" %}}{{% block {block} %}}{markup.format(url=url)}{{% endblock %}}'}
    )
    sheet = write_sheet()
    with pytest.raises(RenderError) as raised:
        build([sheet], BuildOptions(out_dir=tmp_path / "out", formats=("pdf",), workspace_templates=templates))
    assert str(sheet) in str(raised.value) and url in str(raised.value)
    assert "not a local file" in str(raised.value)
    assert requests == []
    assert not list((tmp_path / "out").rglob("*.pdf"))


def test_markdown_images_and_links_in_a_fact_sheet_fetch_nothing(
    write_sheet: Callable[..., Path], tmp_path: Path, http_server: tuple[str, list[str]]
) -> None:
    """Links written into a fact sheet's Markdown never cause a request; the briefing is built.
    (Images are refused when the sheet is loaded: test_models.)"""
    url, requests = http_server
    sheet = write_sheet(MINIMAL_SHEET.replace("summary: Tariffs are high.", f"summary: '[y]({url}/b) <{url}/c>'"))
    build([sheet], BuildOptions(out_dir=tmp_path / "out"))
    assert requests == []
    html = next((tmp_path / "out").rglob("*.html")).read_text(encoding="utf-8")
    assert f"{url}/b" in html


def test_pdf_refuses_files_outside_the_template_folders(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """Neither an absolute path nor a symlink leading out of the templates folder is read."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the PDF")
    templates = workspace_templates(tmp_path, {})
    (templates / "logo.png").symlink_to(secret)
    for src in (str(secret), "logo.png"):
        (templates / "base.html").write_text(
            '{% extends "default:base.html" %}{% block masthead %}<img src="' + src + '" alt="">{% endblock %}',
            encoding="utf-8",
        )
        with pytest.raises(RenderError, match="outside the template folders"):
            build([write_sheet()], BuildOptions(out_dir=tmp_path / "out", formats=("pdf",), workspace_templates=templates))


def test_a_logo_inside_the_templates_folder_is_used(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """Assets that live in the workspace's templates folder are allowed."""
    templates = workspace_templates(
        tmp_path,
        {
            "logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
            "base.html": '{% extends "default:base.html" %}{% block masthead %}<img src="logo.svg" alt="Ministry logo">{% endblock %}',
        },
    )
    result = build([write_sheet()], BuildOptions(out_dir=tmp_path / "out", formats=("pdf",), workspace_templates=templates, site=False))
    assert [path.suffix for path in result.written] == [".pdf"]


def test_killed_mid_pdf_leaves_the_previous_pdf_whole(examples_copy: Path, tmp_path: Path) -> None:
    """A build killed while rendering a PDF leaves the earlier PDF byte for byte; the next run sweeps temporaries."""
    out = tmp_path / "out"
    london = examples_copy / "2025-06-london.yaml"
    build([london], BuildOptions(out_dir=out, formats=("pdf",), site=False))
    (pdf,) = out.rglob("*.pdf")
    before = pdf.read_bytes()
    london.write_text(london.read_text(encoding="utf-8").replace("Lancaster House", "Lancaster House, Westminster"), encoding="utf-8")
    marker = tmp_path / "rendering"
    (out / "us-china-trade" / ".briefgen-tmp-leftover").write_bytes(b"from a killed run")
    script = (
        "import sys, time, pathlib, briefgen.pdf as pdf\n"
        "real = pdf._write\n"
        "def slow(*args):\n"
        f"    pathlib.Path({str(marker)!r}).touch()\n"
        "    result = real(*args)\n"
        "    time.sleep(60)\n"
        "    return result\n"
        "pdf._write = slow\n"
        "from briefgen.cli import main\n"
        # --jobs 1: the PDF is drawn in this process, where the slowed-down _write is.
        f"sys.exit(main(['build', {str(london)!r}, '--out', {str(out)!r}, '--format', 'pdf', '--no-site', '--jobs', '1']))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), "the build never reached the PDF stage"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert pdf.read_bytes() == before
    build([london], BuildOptions(out_dir=out, formats=("pdf",), site=False))
    assert pdf.read_bytes() != before
    assert not list(out.rglob(".briefgen-tmp-*"))


def test_a_link_out_of_the_output_folder_is_refused(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """An output subfolder that is a symbolic link to elsewhere is not written through: usage error, nothing written there."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "test-talks").symlink_to(elsewhere)
    assert main(["build", str(write_sheet()), "--out", str(out), "--format", "md", "--no-site"]) == 2
    assert list(elsewhere.iterdir()) == []


def test_unwritable_output_folder_is_a_clear_error(write_sheet: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An output folder that cannot be created says so, with exit status 3 and no traceback."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(EnvironmentProblem, match="cannot write the output folder"):
        build([write_sheet()], BuildOptions(out_dir=blocker / "out", formats=("md",)))
    assert main(["build", str(write_sheet()), "--out", str(blocker / "out"), "--format", "md"]) == 3
    err = capsys.readouterr().err
    assert "cannot write the output folder" in err and "Traceback" not in err


def test_two_sheets_writing_one_file_are_refused(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """Two fact sheets that would write the same briefing file are an error naming both, and nothing is written."""
    first = write_sheet(name="a.yaml")
    second = write_sheet(name="b.yaml")
    with pytest.raises(InvalidFactSheets) as raised:
        build([first.parent], BuildOptions(out_dir=tmp_path / "out", formats=("md",)))
    message = str(raised.value)
    assert str(first) in message and str(second) in message and "would write" in message
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.md"))


def test_internal_error_is_one_line_unless_debugging(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An unexpected exception is reported as a bug in one line (exit 70); --debug adds the traceback."""

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("briefgen.loader.iter_load", broken)
    assert main(["validate", str(LONDON)]) == 70
    err = capsys.readouterr().err
    assert "internal error (ZeroDivisionError: boom)" in err and "bug" in err and "Traceback" not in err
    assert main(["--debug", "validate", str(LONDON)]) == 70
    assert "Traceback" in capsys.readouterr().err


class ElementCensus(HTMLParser):
    """Lists every element or attribute in a page that could run code or load something."""

    def __init__(self) -> None:
        super().__init__()
        self.unsafe: list[str] = []
        self.styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style":
            self.styles += 1
        if tag in ("script", "iframe", "img", "object", "embed", "link", "form", "base") or self.styles > 3:
            self.unsafe.append(tag)  # the template itself has exactly three <style> elements
        for name, value in attrs:
            if name.startswith("on") or (name in ("href", "src") and (value or "").strip().lower().startswith(("javascript:", "data:", "file:"))):
                self.unsafe.append(f"{tag} {name}={value}")


# Every text field of the minimal sheet, by its path in the YAML.
TEXT_FIELDS = [
    ("negotiation", "title"),
    ("round", "title"),
    ("round", "city"),
    ("briefing", "prepared_by"),
    ("briefing", "purpose"),
    ("briefing", "bottom_line"),
    ("parties", 1, "name"),
    ("parties", 1, "short_name"),
    ("people", 0, "name"),
    ("people", 0, "native_name"),
    ("people", 0, "title"),
    ("people", 0, "role"),
    ("issues", 0, "title"),
    ("issues", 0, "summary"),
    ("issues", 0, "positions", "us", "text"),
    ("sources", 0, "title"),
    ("sources", 0, "publisher"),
]
PLAIN_FIELDS = {("negotiation", "title"), ("round", "city"), ("people", 0, "name"), ("issues", 0, "title"), ("sources", 0, "publisher")}
DANGEROUS = st.sampled_from(
    ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "{{ 7*7 }}", "{% raw %}", "*_[]()#|`~\\", "&amp;&#x3c;", "\u202e", "何立峰"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(TEXT_FIELDS), text=st.one_of(st.text(max_size=200), DANGEROUS, st.lists(DANGEROUS).map("".join)))
def test_arbitrary_text_in_any_field_never_crashes_or_injects_html(tmp_path: Path, field: tuple[str | int, ...], text: str) -> None:
    """Whatever text a field holds, loading gives a valid sheet or located errors, and HTML escapes it."""
    base = read_yaml(Path("minimal.yaml"), MINIMAL_SHEET.encode()).data
    target = base
    for part in field[:-1]:
        target = target[part]
    target[field[-1]] = text
    path = tmp_path / "sheet.yaml"
    path.write_text(json.dumps(base, ensure_ascii=True), encoding="utf-8")  # JSON is YAML 1.2
    try:
        (loaded,) = load([path])
    except InvalidFactSheets as error:
        assert all(re.match(rf"{re.escape(str(path))}:\d+:\d+: ", line) for line in str(error).splitlines())
        return
    brief = build_context(loaded.sheet, previous=None, version="v", generator="g")
    html = Renderer().render("full", "html", brief)
    Renderer().render("full", "md", brief)
    elements = ElementCensus()
    elements.feed(html)
    assert elements.unsafe == []
    if field in PLAIN_FIELDS and text.strip():
        assert str(escape(text)) in html
