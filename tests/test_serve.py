"""Live preview: what `briefgen serve` sends a browser, how it follows edits, and how it stops.

Every server here listens on 127.0.0.1 on a port the system picks, and every wait has a deadline.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import pytest
from watchfiles import Change

from briefgen.pipeline import BuildOptions
from briefgen.serve import STATE_PATH, Preview

from .conftest import EXAMPLES

FAST = BuildOptions(formats=("md", "html"), jobs=1)
"""No PDFs: what is checked here is the preview, not WeasyPrint, and this keeps each build to seconds."""
LONDON_PAGE = "/us-china-trade/2025-06-09-london.html"
SCRIPT_ID = 'id="briefgen-live-reload"'


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Served:
    preview: Preview
    port: int
    workspace: Path

    @property
    def london(self) -> Path:
        return self.workspace / "briefs" / "us-china" / "2025-06-london.yaml"

    def get(self, path: str, *, host: str | None = None, method: str = "GET") -> Response:
        """Send `path` exactly as written (no client-side normalisation of '..'), only to 127.0.0.1."""
        return fetch(self.port, path, host=host, method=method)

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.get(STATE_PATH).body))


def fetch(port: int, path: str, *, host: str | None = None, method: str = "GET") -> Response:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=host is not None)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


def start_preview(workspace: Path, *, build_first: bool = True) -> tuple[Preview, Callable[[], None], int]:
    preview = Preview([workspace / "briefs"], replace(FAST, out_dir=workspace / "out"))
    if build_first:
        preview.rebuild()
    server = preview.make_server(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    return preview, stop, server.server_port


@pytest.fixture
def served(examples_copy: Path) -> Iterator[Served]:
    """The bundled examples, built and served from a temporary workspace that the test may edit."""
    yield from serving(examples_copy.parent.parent)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The same, shared by the tests that only read (one build instead of one each)."""
    workspace = tmp_path_factory.mktemp("workspace")
    shutil.copytree(EXAMPLES, workspace / "briefs" / "us-china")
    yield from serving(workspace)


def serving(workspace: Path) -> Iterator[Served]:
    preview, stop, port = start_preview(workspace)
    try:
        yield Served(preview, port, workspace)
    finally:
        stop()


def located(sheet: Path, key: str) -> str:
    """`path:line:col` of the first line that starts (after indentation) with `key`."""
    for number, line in enumerate(sheet.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith(key):
            return f"{sheet}:{number}:{len(line) - len(line.lstrip()) + 1}"
    raise AssertionError(f"{key} not in {sheet}")


def edit(sheet: Path, old: str, new: str) -> None:
    text = sheet.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {sheet.name}"
    sheet.write_text(text.replace(old, new), encoding="utf-8")


CN_PEAK = "    value: 125\n"  # China's retaliatory tariff at its peak, shown as 125%
CN_PEAK_EDITED = "    value: 127\n"


def test_index_is_served_as_html_with_the_reload_script(shared: Served) -> None:
    """The address the terminal prints shows the briefings, ready to reload itself."""
    response = shared.get("/")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<title>Briefings</title>" in response.text and "London round" in response.text
    assert SCRIPT_ID in response.text and response.text.index(SCRIPT_ID) < response.text.rindex("</body>")


def test_briefing_page_gets_the_script_but_the_built_file_does_not(shared: Served) -> None:
    """The reload script exists only on the wire: the site on disk stays fit to publish."""
    page = shared.get(LONDON_PAGE)
    assert page.status == 200 and "US–China trade talks: London round" in page.text
    assert SCRIPT_ID in page.text and STATE_PATH in page.text
    on_disk = (shared.workspace / "out" / "site" / LONDON_PAGE.lstrip("/")).read_text(encoding="utf-8")
    assert "briefgen-live-reload" not in on_disk and STATE_PATH not in on_disk
    assert page.text.replace(page.text[page.text.index("<script id=") : page.text.rindex("</body>")], "") == on_disk


def test_downloads_and_feeds_have_their_content_types(shared: Served) -> None:
    """Feed readers, browsers and tools are told what each file is; only HTML is altered."""
    expected = {
        "/feed.xml": "application/atom+xml",
        "/index.json": "application/json",
        "/us-china-trade/2025-06-09-london.md": "text/markdown; charset=utf-8",
        "/us-china-trade/2025-06-09-london.yaml": "application/yaml",
    }
    site = shared.workspace / "out" / "site"
    for path, content_type in expected.items():
        response = shared.get(path)
        assert (response.status, response.headers["Content-Type"]) == (200, content_type), path
        assert response.body == (site / path.lstrip("/")).read_bytes(), path
        assert response.headers["Cache-Control"] == "no-store"
    assert shared.get("/us-china-trade/2025-06-09-london.md", method="HEAD").headers["Content-Length"] == str(
        (site / "us-china-trade/2025-06-09-london.md").stat().st_size
    )


def test_a_folder_redirects_to_its_index_and_is_never_listed(served: Served) -> None:
    """/us-china-trade becomes /us-china-trade/ (its page); a folder without an index is not listed."""
    redirect = served.get("/us-china-trade")
    assert redirect.status == 301 and redirect.headers["Location"] == "/us-china-trade/"
    assert "Geneva round" in served.get("/us-china-trade/").text
    (served.workspace / "out" / "site" / "unlisted").mkdir()
    (served.workspace / "out" / "site" / "unlisted" / "secret.txt").write_text("x", encoding="utf-8")
    assert served.get("/unlisted/").status == 404
    assert served.get("/missing.html").status == 404


OUTSIDE = (
    "/../.briefgen-manifest.json",
    "/%2e%2e/.briefgen-manifest.json",
    "/us-china-trade/../../.briefgen-manifest.json",
    "/us-china-trade/..%2f..%2f.briefgen-manifest.json",
    "/..%5c.briefgen-manifest.json",
    "/../../briefs/us-china/2025-06-london.yaml",
)


def test_paths_outside_the_site_folder_are_not_found(shared: Served) -> None:
    """Nothing outside OUT/site is served, however the path is spelled (the manifest sits just outside)."""
    assert (shared.workspace / "out" / ".briefgen-manifest.json").is_file()
    for path in OUTSIDE:
        response = shared.get(path)
        assert response.status == 404, path
        assert b"sheets" not in response.body and b"negotiation" not in response.body, path


def test_a_symlink_out_of_the_site_is_not_followed(served: Served) -> None:
    """A link planted in the site pointing outside it is refused too."""
    (served.workspace / "out" / "site" / "leak.yaml").symlink_to(served.london)
    assert served.get("/leak.yaml").status == 404


def test_other_host_names_are_refused(shared: Served) -> None:
    """A page elsewhere that rebinds its name to 127.0.0.1 cannot read the briefings."""
    assert shared.get("/", host="attacker.example:80").status == 403
    assert shared.get("/", host=f"localhost:{shared.port}").status == 200


def test_state_reports_a_build_counter_and_no_error(shared: Served) -> None:
    """The script polls this: a number that changes when the site does, and the current error."""
    response = shared.get(STATE_PATH)
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert json.loads(response.body) == {"build": 1, "error": None}


def test_an_edit_rebuilds_and_the_page_shows_the_new_value(served: Served) -> None:
    """Change a figure, rebuild: the counter moves (so the browser reloads) and the page has the new number."""
    assert "127%" not in served.get(LONDON_PAGE).text
    before = served.state()["build"]
    edit(served.london, CN_PEAK, CN_PEAK_EDITED)
    state = served.preview.rebuild()
    assert state.build == before + 1 and state.error is None and state.written > 0
    assert served.state() == {"build": before + 1, "error": None}
    assert "127%" in served.get(LONDON_PAGE).text


def test_a_rebuild_with_nothing_changed_does_not_reload_the_browser(served: Served) -> None:
    """Saving a file without changing what it says (or touching an unrelated file) leaves the counter alone."""
    before = served.preview.state.build
    served.london.write_bytes(served.london.read_bytes())
    assert served.preview.rebuild().build == before


def test_a_broken_sheet_is_reported_at_its_line_and_the_server_keeps_serving(served: Served) -> None:
    """bottom_line → bottom_lime: the located error reaches the page; fixing it clears the error and reloads."""
    where = located(served.london, "bottom_line:")
    edit(served.london, "  bottom_line:", "  bottom_lime:")
    before = served.state()["build"]
    broken = served.preview.rebuild()
    assert broken.build == before + 1

    state = served.state()
    assert isinstance(state["error"], str)
    assert f"{where}: briefing.bottom_lime: unknown field 'bottom_lime'; did you mean 'bottom_line'?" in state["error"]
    page = served.get(LONDON_PAGE)  # the last good build, with the error shown over it by the script
    assert page.status == 200 and "London round" in page.text
    assert "briefing.bottom_lime: unknown field" in page.text

    edit(served.london, "  bottom_lime:", "  bottom_line:")
    fixed = served.preview.rebuild()
    assert fixed.build == before + 2 and fixed.error is None
    assert served.state() == {"build": before + 2, "error": None}
    assert "bottom_lime" not in served.get(LONDON_PAGE).text


def test_a_site_never_built_shows_the_errors_at_the_root(examples_copy: Path) -> None:
    """Broken from the start, there is no site yet: / lists the errors and reloads itself once fixed."""
    london = examples_copy / "2025-06-london.yaml"
    edit(london, "  bottom_line:", "  bottom_lime:")
    where = located(london, "bottom_lime:")
    preview, stop, port = start_preview(examples_copy.parent.parent)
    try:
        root = fetch(port, "/")
        assert root.status == 200 and "The site could not be built" in root.text
        assert f"{where}: briefing.bottom_lime: unknown field" in html.unescape(root.text)
        assert SCRIPT_ID in root.text
        assert fetch(port, LONDON_PAGE).status == 404

        edit(london, "  bottom_lime:", "  bottom_line:")
        assert preview.rebuild().error is None
        assert "<title>Briefings</title>" in fetch(port, "/").text
    finally:
        stop()


def test_the_watcher_rebuilds_when_a_sheet_is_saved(served: Served) -> None:
    """With the watcher running, saving the sheet is enough: no call to rebuild()."""
    stop = threading.Event()
    rebuilt: list[int] = []
    watcher = threading.Thread(target=served.preview.watch, kwargs={"on_rebuild": lambda s: rebuilt.append(s.build), "stop": stop})
    watcher.start()
    try:
        before = served.preview.state.build
        edited = served.london.read_text(encoding="utf-8").replace(CN_PEAK, CN_PEAK_EDITED)
        deadline = time.monotonic() + 20
        while served.preview.state.build == before and time.monotonic() < deadline:
            served.london.write_text(edited, encoding="utf-8")  # again, in case the watcher was not yet listening
            time.sleep(0.3)
        assert served.preview.state.build == before + 1, "the watcher did not rebuild within 20 s"
        assert "127%" in served.get(LONDON_PAGE).text
        assert rebuilt
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()


def test_the_watcher_ignores_the_output_folder_and_editor_temporaries(tmp_path: Path) -> None:
    """A build writing into a watched folder must not start the next build; nor must an editor's scratch files."""
    (tmp_path / "briefs").mkdir()
    preview = Preview([tmp_path], BuildOptions(out_dir=tmp_path / "build"))
    assert preview.is_watched(Change.modified, str(tmp_path / "briefs" / "round.yaml"))
    assert preview.is_watched(Change.added, str(tmp_path / "templates" / "full.html"))
    for ignored in ("build/site/index.html", "build/.briefgen-manifest.json", "briefs/.round.yaml.swp",
                    "briefs/round.yaml~", "briefs/4913", "briefs/.#round.yaml", "briefs/#round.yaml#",
                    "briefs/.briefgen-tmp-x1y2", ".git/index"):
        assert not preview.is_watched(Change.modified, str(tmp_path / ignored)), ignored
    assert preview.watched_folders()[0] == tmp_path.resolve()


def start_serve(workspace: Path) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """`briefgen serve briefs --port 0 --out OUT` in `workspace`, and a queue of what it prints."""
    command = [str(Path(sys.executable).parent / "briefgen"), "serve", "briefs", "--port", "0", "--out", "OUT"]
    process = subprocess.Popen(command, cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    return process, lines


def test_the_command_serves_until_ctrl_c_and_exits_cleanly(examples_copy: Path) -> None:
    """`briefgen serve briefs --port 0`: prints its address, serves the index, and Ctrl-C ends it with 0."""
    workspace = examples_copy.parent.parent
    process, lines = start_serve(workspace)
    try:
        url = wait_for_url(lines, process, deadline=time.monotonic() + 120)
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        port = int(url.rsplit(":", 1)[1].rstrip("/"))
        index = fetch(port, "/")
        assert index.status == 200 and "London round" in index.text and SCRIPT_ID in index.text
        assert fetch(port, "/us-china-trade/2025-06-09-london.pdf").body.startswith(b"%PDF")

        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert not (workspace / "OUT" / "site" / "index.html").read_text(encoding="utf-8").count("briefgen-live-reload")


def read_lines(stream: IO[str] | None, lines: queue.Queue[str]) -> None:
    """Hand the command's output over line by line, so the test can wait for one with a deadline."""
    for line in stream or []:
        lines.put(line)


def wait_for_url(lines: queue.Queue[str], process: subprocess.Popen[str], deadline: float) -> str:
    """The address from the `serving http://...` line, or fail with what the command said instead."""
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith("serving "):
            return line.split()[1]
    raise AssertionError(f"no 'serving http://...' line; the command printed: {''.join(seen)!r}")


@pytest.mark.parametrize("path", ["/" + "a" * 300, "/" + "%C3%A9" * 200 + ".html", "/us-china-trade/" + "x" * 256 + "/index.html"])
def test_a_name_too_long_for_the_file_system_is_not_found(shared: Served, path: str) -> None:
    """A 300-byte path segment is answered 404, not a dropped connection and a traceback."""
    assert shared.get(path).status == 404


def test_the_site_is_rebuilt_when_its_folder_is_deleted_while_serving(served: Served) -> None:
    """Deleting OUT while serving: the root page starts a rebuild, and the site is back without any edit."""
    shutil.rmtree(served.workspace / "out")
    first = served.get("/")
    assert first.status == 200 and "being built" in first.text
    deadline = time.monotonic() + 60
    while "being built" in served.get("/").text:
        assert time.monotonic() < deadline, "the site was not rebuilt"
        time.sleep(0.2)
    assert served.get(LONDON_PAGE).status == 200
    assert served.state()["error"] is None


def test_the_command_stops_on_sigterm_with_143(examples_copy: Path) -> None:
    """SIGTERM (a service manager stopping the preview) ends it as Ctrl-C does, but with 143."""
    process, lines = start_serve(examples_copy.parent.parent)
    try:
        wait_for_url(lines, process, deadline=time.monotonic() + 120)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr
