"""Live preview: build, serve OUT/site on 127.0.0.1, rebuild on every save, reload the browser.

Three parts, each testable alone: `Preview.rebuild()` runs the ordinary incremental build and
keeps the outcome as a `State` (a counter and the current error) instead of raising;
`Preview.make_server()` serves the site folder and nothing else, injecting a small polling
script into every HTML page it sends (never into the files on disk); `Preview.watch()` waits
for changes with watchfiles and rebuilds. `serve()` wires them for the command line and is the
only part that writes to the terminal.

The page first, the PDF after: given a drawer (a warm worker pool for the server's life), a
rebuild writes every file but the PDFs (BuildOptions.pdf_later) and the browser reloads at
once; the PDFs are drawn on a thread of their own and written when done. Until then the state
lists them as pending: their links are marked, and the server answers for them with a page
saying so instead of the stale file. A newer rebuild of the same sheet supersedes its PDFs.
"""

from __future__ import annotations

import html
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import watchfiles

from .discover import template_folders
from .errors import EXIT_OK, BriefgenError, EnvironmentProblem, InvalidFactSheets, UsageError, printable
from .pipeline import SITE_FOLDER, BuildOptions, BuildResult, build, pending_pdfs, write_deferred
from .write import TEMP_PREFIX

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .formats import RenderedSheet
    from .pdf import Drawn
    from .worker import PdfDrawer

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
STATE_PATH = "/__briefgen__/state"
WATCH_STEP_MS = 10
"""A save is acted on once its folder has been quiet this long (watchfiles' default, 50 ms, is a
third of what showing the page takes); an editor's write of one file takes well under this."""
CLOSE_SECONDS = 5
"""How long closing waits for the PDF thread to notice its workers are gone."""
POLL_MS = 250
"""How often a page asks whether the site changed: a local request, cheap next to the edit it shows."""

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".md": "text/markdown; charset=utf-8",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
NAMED_CONTENT_TYPES = {"feed.xml": "application/atom+xml"}
"""Files whose name, not just suffix, says what they are: feed readers want the Atom type."""

EDITOR_TEMPORARIES = re.compile(r"^4913$|^#.*#$|\.(tmp|bak|kate-swp|crswap)$|^" + re.escape(TEMP_PREFIX))
"""Files editors (vim's 4913 probe, emacs autosaves, Kate, Chrome) and briefgen itself write in
passing; watchfiles' default filter already skips .swp, ~ backups and .#locks."""


@dataclass(frozen=True)
class State:
    """What the browser needs to know: which build it shows, and what is wrong now, if anything."""

    build: int
    """Counts the builds that changed what the browser shows (files written or the error changed)."""
    problems: tuple[str, ...] = ()
    """The current error, one line each (`path:line:col: field: message` for a fact sheet)."""
    written: int = 0
    """Files the last build wrote."""
    seconds: float = 0.0
    """How long the last build took."""
    pending: tuple[str, ...] = ()
    """URL paths of the site's PDFs being redrawn: not served until they are."""

    @property
    def error(self) -> str | None:
        return "\n".join(self.problems) if self.problems else None

    def as_json(self) -> bytes:
        """`pending` only while there is any, so a client that knows only build and error sees them alone."""
        pending = {"pending": list(self.pending)} if self.pending else {}
        return json.dumps({"build": self.build, "error": self.error, **pending}, ensure_ascii=False).encode()


class Preview:
    """One workspace being previewed: its build options, the site folder, and the latest State."""

    def __init__(self, paths: Sequence[Path], options: BuildOptions, drawer: PdfDrawer | None = None) -> None:
        """`drawer`: where PDFs are drawn after the page is written; None draws them within each
        build, before anything is shown. The preview owns it from here on (see close())."""
        self.paths = list(paths)
        self.options = options
        self.site = (options.out_dir / SITE_FOLDER).resolve()
        self._out_dir = options.out_dir.resolve()
        self._state = State(build=0)
        self._state_lock = threading.Lock()
        self._build_lock = threading.Lock()  # the watcher, the PDF thread and a caller must not build at once
        self._default_filter = watchfiles.DefaultFilter()
        self.on_rebuild: Callable[[State], None] | None = None
        """Told of each rebuild the preview starts by itself (see rebuild_if_gone)."""
        self.on_pdfs: Callable[[State], None] | None = None
        """Told each time PDFs drawn after their page are written (or fail)."""
        self._drawer = drawer
        self._work: dict[Path, RenderedSheet] = {}
        """Each sheet's latest PDFs still to draw (or that could not be drawn): their site copies are pending."""
        self._taken: set[int] = set()
        """id() of the sheets in `_work` handed to the drawer: not handed again."""
        self._lost: set[int] = set()
        """id() of those the drawer failed: pending (not stale) until the sheet is rendered again."""
        self._work_changed = threading.Condition(self._state_lock)
        self._closing = False
        self._drawing: threading.Thread | None = None

    @property
    def state(self) -> State:
        with self._state_lock:
            return self._state

    def saved_sheets(self, changes: set[tuple[watchfiles.Change, str]]) -> list[Path] | None:
        """The fact sheets to build for `changes`: those saved, and the rounds that name them as
        previous, as the paths a build of the whole workspace finds them by. None (build the
        whole workspace) unless every change is a save to a sheet already built: a sheet added,
        removed or renamed, or a template, changes what the rest of the workspace is."""
        from .manifest import MANIFEST_NAME

        try:
            records = json.loads((self._out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))["sheets"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        saved = {str(Path(path).resolve()) for change, path in changes if change == watchfiles.Change.modified}
        if not changes or len(saved) != len(changes) or not saved <= records.keys():
            return None
        following = {sheet for sheet, record in records.items() if isinstance(record, dict) and record.get("previous") in saved}
        found = [self._as_given(Path(sheet)) for sheet in sorted(saved | following)]
        return None if None in found else [path for path in found if path is not None]

    def _as_given(self, real: Path) -> Path | None:
        """`real` below the folder or as the file it was given by (None: neither), so that errors
        name it as a build of the whole workspace does."""
        for given in self.paths:
            root = given.resolve()
            if real == root:
                return given
            if given.is_dir() and real.is_relative_to(root):
                return given / real.relative_to(root)
        return None

    def rebuild(self, *, complete: bool = False, saved: list[Path] | None = None) -> State:
        """Build what changed; a failure becomes the State's problems, so the server lives on.
        `saved`: only these fact sheets can have changed (saved_sheets), so only they are read.

        With a drawer, the PDFs are left to it and the state lists them as pending, unless
        `complete`: then they are drawn within the build (at start-up, which also draws any PDF
        a preview stopped before drawing)."""
        later = self._drawer is not None and not complete and "pdf" in self.options.formats
        with self._build_lock:
            started = time.perf_counter()
            problems: tuple[str, ...] = ()
            result = BuildResult()
            try:
                result = build(saved or self.paths, replace(self.options, pdf_later=later))
            except InvalidFactSheets as error:
                problems = tuple(str(problem) for problem in error.problems)
            except BriefgenError as error:
                problems = tuple(str(error).splitlines() or [type(error).__name__])
            except Exception as error:  # a bug in a template or in briefgen: report it, keep serving
                log.debug("internal error during rebuild", exc_info=True)
                problems = (f"internal error ({type(error).__name__}: {error}); this is a bug in briefgen",)
            with self._state_lock:
                for sheet in result.deferred:  # a newer rendering of a sheet supersedes its PDFs in the works
                    superseded = id(self._work.get(sheet.path))
                    self._taken.discard(superseded)
                    self._lost.discard(superseded)
                    self._work[sheet.path] = sheet
                changed = bool(result.written) or problems != self._state.problems
                seconds = time.perf_counter() - started
                self._state = State(self._state.build + int(changed), problems, len(result.written), seconds, self._pending())
                if result.deferred:
                    self._start_drawing()
                    self._work_changed.notify_all()
                return self._state

    def settled_state(self) -> State:
        """The state once a build under way has finished: it writes a sheet's page before it can
        say that the sheet's PDF is pending, so a PDF asked for meanwhile waits to be answered."""
        with self._build_lock:
            return self.state

    def _pending(self) -> tuple[str, ...]:
        """The URL paths of the site's PDFs still to draw; called holding the state lock."""
        site = self.options.out_dir / SITE_FOLDER
        return tuple(sorted(
            "/" + path.relative_to(site).as_posix()
            for sheet in self._work.values()
            for path in pending_pdfs(sheet)
            if path.is_relative_to(site)
        ))

    def _start_drawing(self) -> None:
        if self._drawing is None:
            self._drawing = threading.Thread(target=self._draw_pdfs, name="briefgen-pdfs", daemon=True)
            self._drawing.start()

    def _draw_pdfs(self) -> None:
        """The PDF thread: draw what is pending, newest rendering of each sheet only, until closed."""
        assert self._drawer is not None
        while True:
            with self._state_lock:
                while not self._closing and not self._untaken():
                    self._work_changed.wait()
                if self._closing:
                    return
            try:
                for sheet, pdfs in self._drawer.draw_all(self._next_sheets()):
                    self._finish(sheet, pdfs)
            except Exception as error:  # a PDF that cannot be drawn is shown, not raised
                log.debug("PDF drawing failed", exc_info=True)
                self._failed(error)

    def _untaken(self) -> list[RenderedSheet]:
        return [sheet for sheet in self._work.values() if id(sheet) not in self._taken]

    def _next_sheets(self) -> Iterator[RenderedSheet]:
        """What to draw next, read when the drawer has room: work that came in meanwhile joins."""
        while True:
            with self._state_lock:
                waiting = self._untaken()
                if self._closing or not waiting:
                    return
                self._taken.add(id(waiting[-1]))  # the latest edit first
            yield waiting[-1]

    def _finish(self, sheet: RenderedSheet, pdfs: dict[Path, Drawn]) -> None:
        """Write a sheet's drawn PDFs, unless a newer rendering of the sheet superseded them."""
        with self._build_lock:
            with self._state_lock:
                if self._work.get(sheet.path) is not sheet:
                    return
            problems: tuple[str, ...] = ()
            result = BuildResult()
            try:
                result = write_deferred(self.options, sheet, pdfs)
                problems = tuple(result.failures)
            except BriefgenError as error:
                problems = tuple(str(error).splitlines() or [type(error).__name__])
            with self._state_lock:
                del self._work[sheet.path]
                self._taken.discard(id(sheet))
                self._lost.discard(id(sheet))
                reload = any(path.suffix != ".pdf" for path in result.written)  # a fitted one-pager's page changed
                current = self._state
                self._state = State(current.build + int(reload), problems or current.problems, len(result.written), sum(drawn.seconds for drawn in pdfs.values()), self._pending())
                self._work_changed.notify_all()
                state = self._state
        if self.on_pdfs is not None:
            self.on_pdfs(state)

    def _failed(self, error: Exception) -> None:
        """Every PDF handed to the drawer is lost: say why, and keep them pending (never the stale
        files) until their sheets are saved again."""
        problem = str(error).splitlines() if isinstance(error, BriefgenError) else [f"internal error ({type(error).__name__}: {error}); this is a bug in briefgen"]
        with self._state_lock:
            if self._closing:  # the workers were ended on purpose
                return
            self._lost.update(id(sheet) for sheet in self._work.values() if id(sheet) in self._taken)
            current = self._state
            self._state = State(current.build, tuple(problem), 0, 0.0, self._pending())
            self._work_changed.notify_all()
            state = self._state
        if self.on_pdfs is not None:
            self.on_pdfs(state)

    def wait_for_pdfs(self, timeout: float | None = None) -> bool:
        """Wait until no PDF is being drawn; False if `timeout` passed first."""
        with self._state_lock:
            return self._work_changed.wait_for(lambda: self._closing or {id(sheet) for sheet in self._work.values()} <= self._lost, timeout)

    def close(self) -> None:
        """Stop drawing PDFs at once: the workers are ended, not waited for (what they were
        drawing stays pending in the manifest, so the next build draws it)."""
        with self._state_lock:
            self._closing = True
            self._work_changed.notify_all()
        if self._drawer is not None:
            stopped = KeyboardInterrupt()
            self._drawer.__exit__(type(stopped), stopped, None)
        if self._drawing is not None:
            self._drawing.join(timeout=CLOSE_SECONDS)

    def rebuild_if_gone(self) -> None:
        """Rebuild in the background when the site has disappeared (its folder deleted while
        serving): the watcher ignores the output folder, so no save would bring it back."""
        if self.state.problems or self._build_lock.locked() or (self.site / "index.html").is_file():
            return
        threading.Thread(target=self._rebuild_and_report, name="briefgen-rebuild", daemon=True).start()

    def _rebuild_and_report(self) -> None:
        state = self.rebuild()
        if self.on_rebuild is not None:
            self.on_rebuild(state)

    def make_server(self, port: int) -> ThreadingHTTPServer:
        """A server bound to 127.0.0.1:`port` (0: any free port), not yet serving."""
        server = ThreadingHTTPServer((HOST, port), partial(PreviewHandler, preview=self))
        server.daemon_threads = True
        return server

    def watched_folders(self) -> list[Path]:
        """The fact sheets' folders and both template folders, each once."""
        folders = [path if path.is_dir() else path.parent for path in self.paths]
        folders += template_folders(self.options.workspace_templates)
        return list(dict.fromkeys(folder.resolve() for folder in folders if folder.exists()))

    def is_watched(self, change: watchfiles.Change, path: str) -> bool:
        """A watchfiles filter: not the output (a build must not trigger the next), nor editor temporaries."""
        candidate = Path(path)
        if candidate.is_relative_to(self._out_dir) or EDITOR_TEMPORARIES.search(candidate.name):
            return False
        return self._default_filter(change, path)

    def watch(self, on_rebuild: Callable[[State], None] | None = None, stop: threading.Event | None = None) -> None:
        """Rebuild after each batch of changes until `stop` is set (or Ctrl-C, which is raised)."""
        for changes in watchfiles.watch(*self.watched_folders(), watch_filter=self.is_watched, stop_event=stop, step=WATCH_STEP_MS):
            # while something is wrong, build everything: a sheet still broken must stay reported
            state = self.rebuild(saved=None if self.state.problems else self.saved_sheets(changes))
            if on_rebuild is not None:
                on_rebuild(state)


class PreviewHandler(BaseHTTPRequestHandler):
    """GET and HEAD for files inside the site folder only; HTML gets the live-reload script."""

    server_version = "briefgen-preview"

    def __init__(self, *args: Any, preview: Preview, **kwargs: Any) -> None:
        self.preview = preview
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        self._respond(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests go to the log, not to stderr: the terminal is for build results."""
        log.debug("%s " + format, self.address_string(), *args)

    def _respond(self, *, with_body: bool) -> None:
        if not self._host_allowed():
            self._send(HTTPStatus.FORBIDDEN, b"only http://127.0.0.1 or http://localhost may ask\n", "text/plain", with_body)
            return
        url_path = urlsplit(self.path).path
        if url_path == STATE_PATH:
            self._send(HTTPStatus.OK, self.preview.state.as_json(), "application/json", with_body)
            return
        state = self.preview.settled_state() if url_path.lower().endswith(".pdf") else self.preview.state
        if url_path in state.pending:  # the file on disk is the one before the last save
            self.send_response(HTTPStatus.SERVICE_UNAVAILABLE)
            self.send_header("Retry-After", "1")
            self._send_headers(self._with_script(pending_page(url_path, state)), CONTENT_TYPES[".html"], with_body)
            return
        target = site_file(self.preview.site, url_path)
        if target is not None and _is_dir(target):
            if not url_path.endswith("/"):
                self._redirect(url_path + "/")
                return
            target = target / "index.html"
        if target is None or not _is_file(target):
            if url_path in ("/", "/index.html"):
                self.preview.rebuild_if_gone()
                self._send(HTTPStatus.OK, self._with_script(placeholder_page(self.preview.state)), CONTENT_TYPES[".html"], with_body)
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", with_body)
            return
        try:
            content = target.read_bytes()
        except OSError:  # replaced or removed by a rebuild between the check and the read
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8", with_body)
            return
        content_type = content_type_of(target)
        if target.suffix == ".html":
            content = self._with_script(content)
        self._send(HTTPStatus.OK, content, content_type, with_body)

    def _host_allowed(self) -> bool:
        """Refuse other Host names, so a web page that rebinds its DNS to 127.0.0.1 cannot read the briefings."""
        port = cast(ThreadingHTTPServer, self.server).server_port
        return self.headers.get("Host", "") in (f"{HOST}:{port}", f"localhost:{port}")

    def _with_script(self, page: bytes) -> bytes:
        return inject_script(page, reload_script(self.preview.state))

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, content: bytes, content_type: str, with_body: bool) -> None:
        self.send_response(status)
        self._send_headers(content, content_type, with_body)

    def _send_headers(self, content: bytes, content_type: str, with_body: bool) -> None:
        """The headers every answer has, then `content`, after send_response()."""
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")  # a reload must show the new build
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if with_body:
            self.wfile.write(content)


MAX_NAME_BYTES = 255
"""The longest file name a file system takes: a longer URL segment names nothing (not an error)."""


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long, say: no such file
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def site_file(site: Path, url_path: str) -> Path | None:
    """The file or folder a URL path names inside `site`, or None if it would leave it (or is hidden)."""
    parts = [part for part in unquote(url_path).split("/") if part not in ("", ".")]
    if any(part == ".." or part.startswith(".") or "\\" in part or "\0" in part or len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in parts):
        return None
    target = site.joinpath(*parts)
    try:
        inside = target.resolve().is_relative_to(site)
    except (OSError, RuntimeError):
        return None
    return target if inside else None


def content_type_of(path: Path) -> str:
    return NAMED_CONTENT_TYPES.get(path.name) or CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


def inject_script(page: bytes, script: str) -> bytes:
    """`page` with `script` just before its last </body> (or at the end, if it has none)."""
    at = page.lower().rfind(b"</body>")
    tag = script.encode()
    return page + tag if at < 0 else page[:at] + tag + page[at:]


def reload_script(state: State) -> str:
    """Poll the state about once a second; reload when the build changes; show the error on top.

    The page's own build number is written in, so a build that finishes before the first poll
    still reloads the page. Polling, unlike a socket, survives the server restarting.
    """
    return _SCRIPT.replace("@BUILD@", str(state.build)).replace("@ERROR@", _script_literal(state.error)).replace("@PENDING@", _script_literal(list(state.pending)))


def _script_literal(value: object) -> str:
    """JSON that cannot end the <script> element it sits in."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def pending_page(url_path: str, state: State) -> bytes:
    """What a PDF's address shows while the PDF is redrawn after a save: never the previous file."""
    name = html.escape(url_path.rsplit("/", 1)[-1])
    error = f'\n<pre style="white-space: pre-wrap">{html.escape(state.error)}</pre>' if state.error else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>briefgen: {name} is being redrawn</title>\n</head>\n<body>\n"
        f'<main id="briefgen-pdf-pending" data-pdf="{html.escape(url_path)}">\n<h1>{name} is being redrawn</h1>\n'
        f"<p>The PDF follows your last save; this page shows it by itself when it is ready.</p>{error}\n</main>\n</body>\n</html>\n"
    ).encode()


def placeholder_page(state: State) -> bytes:
    """What / shows while the site has never been built: the errors, or that the build is under way."""
    if state.error:
        heading = "The site could not be built"
        body = f"<p>Fix what is listed below and save; this page reloads by itself.</p>\n<pre style=\"white-space: pre-wrap\">{html.escape(state.error)}</pre>"
    else:
        heading = "Nothing built yet"
        body = "<p>The site is being built; this page reloads by itself when it is ready.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>briefgen: {heading.lower()}</title>\n</head>\n<body>\n"
        f'<main id="briefgen-error-page">\n<h1>{heading}</h1>\n{body}\n</main>\n</body>\n</html>\n'
    ).encode()


_SCRIPT = f"""<script id="briefgen-live-reload">
// Added by briefgen serve (not in the built files): reload on rebuild, show build errors.
(function () {{
  var seen = @BUILD@;
  var box = null;
  var waitingFor = document.getElementById("briefgen-pdf-pending");
  function mark(pending) {{
    // Links to PDFs being redrawn say so; each is served only once drawn.
    var links = document.querySelectorAll("a[href$='.pdf']");
    for (var i = 0; i < links.length; i++) {{
      var link = links[i];
      var busy = pending.indexOf(new URL(link.href, location.href).pathname) >= 0;
      if (busy && !link.hasAttribute("data-briefgen-pending")) {{
        link.setAttribute("data-briefgen-pending", "");
        link.insertAdjacentHTML("beforeend", '<span class="briefgen-pending"> (being redrawn…)</span>');
        link.title = "The PDF is being redrawn after your last save";
      }} else if (!busy && link.hasAttribute("data-briefgen-pending")) {{
        link.removeAttribute("data-briefgen-pending");
        link.removeAttribute("title");
        var note = link.querySelector(".briefgen-pending");
        if (note) {{ note.remove(); }}
      }}
    }}
  }}
  function show(text) {{
    if (document.getElementById("briefgen-error-page") || waitingFor) {{ return; }}
    if (!text) {{ if (box) {{ box.remove(); box = null; }} return; }}
    if (!box) {{
      box = document.createElement("pre");
      box.id = "briefgen-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;top:0;z-index:2147483647;max-height:60vh;overflow:auto;" +
        "margin:0;padding:1em;background:#8b1a1a;color:#fff;font:14px/1.4 monospace;white-space:pre-wrap;";
      document.body.appendChild(box);
    }}
    box.textContent = "briefgen could not build your last change; this page shows the last good build.\\n\\n" + text;
  }}
  function poll() {{
    fetch("{STATE_PATH}", {{cache: "no-store"}})
      .then(function (response) {{ return response.json(); }})
      .then(function (state) {{
        var pending = state.pending || [];
        if (state.build !== seen) {{ location.reload(); return; }}
        if (waitingFor && pending.indexOf(waitingFor.getAttribute("data-pdf")) < 0) {{ location.reload(); return; }}
        mark(pending);
        show(state.error);
        setTimeout(poll, {POLL_MS});
      }}, function () {{ setTimeout(poll, {POLL_MS}); }});
  }}
  show(@ERROR@);
  mark(@PENDING@);
  setTimeout(poll, {POLL_MS});
}})();
</script>
"""


def serve(paths: list[Path], options: BuildOptions, port: int) -> int:
    """Build, serve on 127.0.0.1 and rebuild on change until Ctrl-C; the command line's `serve`."""
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise UsageError(f"{missing[0]}: no such file or folder")
    from .worker import live_drawer

    preview = Preview(paths, options, drawer=live_drawer(options.jobs))
    preview.on_rebuild = _report
    preview.on_pdfs = _report_pdfs
    try:
        server = preview.make_server(port)
    except OSError as error:
        raise EnvironmentProblem(f"cannot listen on {HOST}:{port} ({error.strerror}); choose another --port, or 0 for any free one") from None
    serving: threading.Thread | None = None
    try:
        print(printable(f"building {', '.join(map(str, paths))} into {options.out_dir}/ ..."), flush=True)
        _report(preview.rebuild(complete=True))  # the first page served has its PDF
        threading.Thread(target=_warm_up, name="briefgen-warm-up", daemon=True).start()
        serving = threading.Thread(target=server.serve_forever, name="briefgen-preview", daemon=True)
        serving.start()
        print(f"serving http://{HOST}:{server.server_port}/ (Ctrl-C to stop)", flush=True)
        preview.watch(on_rebuild=_report)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        if serving is not None:
            server.shutdown()
        server.server_close()
        preview.close()
    return EXIT_OK


def _warm_up() -> None:
    """Import what rendering a saved sheet needs (pydantic, Jinja) while nothing is being edited:
    a start-up with nothing to rebuild imports none of it, and the first save would wait for it."""
    from . import formats, loader  # noqa: F401


def _report(state: State) -> None:
    """One line for a good build; each problem on stderr for a bad one, as `briefgen build` prints them."""
    if state.problems:
        for line in state.problems:
            print(printable(line), file=sys.stderr)
        print(f"{len(state.problems)} problem(s); the preview shows them until they are fixed", file=sys.stderr, flush=True)
    elif state.written:
        print(f"built in {state.seconds:.1f} s: {state.written} file(s) written" + (f"; {len(state.pending)} PDF(s) to follow" if state.pending else ""), flush=True)
    else:
        print("checked: nothing to rebuild", flush=True)


def _report_pdfs(state: State) -> None:
    """PDFs drawn after their page: one line, or the problem they ran into."""
    if state.problems:
        _report(state)
    else:
        print(f"PDF(s) drawn in {state.seconds:.1f} s: {state.written} file(s) written" + (f"; {len(state.pending)} more to follow" if state.pending else ""), flush=True)
