"""Live preview with PDFs: the page follows a save at once, its PDF after, and nothing stale meanwhile.

The PDFs here are drawn by a stand-in that holds each one until the test lets it go, so "before
the PDF exists" is a state the test controls rather than a race; its "PDF" carries the HTML it
was drawn from, so what a served PDF was made from can be read back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest

from briefgen.errors import RenderError
from briefgen.formats import RenderedSheet
from briefgen.pdf import Drawn, FitJob
from briefgen.pipeline import BuildOptions
from briefgen.serve import Preview

from .test_serve import CN_PEAK, CN_PEAK_EDITED, LONDON_PAGE, Response, edit, fetch, located

LONDON_PDF = "/us-china-trade/2025-06-09-london.pdf"
GENEVA_PDF = "/us-china-trade/2025-05-09-geneva.pdf"
WAIT = 30.0


class HeldDrawer:
    """Draws each PDF only once the test releases it; a 'PDF' is the HTML it was drawn from."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self._released = threading.Semaphore(0)
        self.started = threading.Semaphore(0)
        """Released each time a PDF is waiting to be drawn."""
        self.fail_with = fail_with
        self.closed = False

    def reset(self) -> None:
        """Forget the PDFs started and released so far: the next ones are held again."""
        self._released = threading.Semaphore(0)
        self.started = threading.Semaphore(0)

    def release(self, count: int = 1) -> None:
        self._released.release(count)

    def draw_all(self, sheets: Iterable[RenderedSheet]) -> Iterator[tuple[RenderedSheet, dict[Path, Drawn]]]:
        for sheet in sheets:
            pdfs = {}
            for path, job in sheet.pdf_jobs.items():
                self.started.release()
                assert self._released.acquire(timeout=WAIT), "the test never released this PDF"
                if self.fail_with is not None:
                    raise self.fail_with
                html = job.variants[-1] if isinstance(job, FitJob) else job.html
                pdfs[path] = Drawn(b"%PDF-1.7 stand-in\n" + html.encode(), 0.0, variant=len(job.variants) - 1 if isinstance(job, FitJob) else 0)
            yield sheet, pdfs

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.closed = True


class Session:
    """A preview of the bundled examples with PDFs, drawn by a HeldDrawer, served on 127.0.0.1."""

    def __init__(self, workspace: Path, drawer: HeldDrawer, templates: tuple[str, ...] = ("full",)) -> None:
        self.workspace = workspace
        self.drawer = drawer
        options = BuildOptions(out_dir=workspace / "out", formats=("md", "html", "pdf"), templates=templates, jobs=1)
        self.preview = Preview([workspace / "briefs"], options, drawer=drawer)
        self.server = self.preview.make_server(0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def london(self) -> Path:
        return self.workspace / "briefs" / "us-china" / "2025-06-london.yaml"

    @property
    def geneva(self) -> Path:
        return self.workspace / "briefs" / "us-china" / "2025-05-geneva.yaml"

    def get(self, path: str) -> Response:
        return fetch(self.server.server_port, path)

    def settle(self) -> None:
        """Let every PDF pending be drawn, and wait until they are written."""
        self.drawer.release(100)
        assert self.preview.wait_for_pdfs(WAIT), "the PDFs were not written"
        self.drawer.reset()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        self.drawer.release(100)
        self.preview.close()


@pytest.fixture
def session(examples_copy: Path) -> Iterator[Session]:
    running = Session(examples_copy.parent.parent, HeldDrawer())
    try:
        running.preview.rebuild()
        running.settle()
        yield running
    finally:
        running.stop()


def test_the_page_is_written_and_shown_before_its_pdf_is_drawn(session: Session) -> None:
    """A save reaches the page (and moves the counter that reloads the browser) while its PDF is still held."""
    before = session.preview.state.build
    edit(session.london, CN_PEAK, CN_PEAK_EDITED)
    state = session.preview.rebuild()
    assert state.build == before + 1 and state.error is None
    assert state.pending == (LONDON_PDF,)
    assert "127%" in session.get(LONDON_PAGE).text
    assert session.drawer.started.acquire(timeout=WAIT), "the PDF was never started"
    assert b"127%" not in (session.workspace / "out" / "site" / LONDON_PDF.lstrip("/")).read_bytes()

    session.settle()
    assert session.preview.state.pending == ()
    assert session.preview.state.build == before + 1, "a PDF alone does not reload the page"
    pdf = session.get(LONDON_PDF)
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.body.startswith(b"%PDF") and b"127%" in pdf.body


def test_a_pdf_being_redrawn_is_not_served_stale_and_its_link_says_so(session: Session) -> None:
    """While London's PDF is redrawn its address answers 503 with a page saying so, never the old PDF;
    the briefing's page marks the link; once drawn, the new PDF is served."""
    edit(session.london, CN_PEAK, CN_PEAK_EDITED)
    session.preview.rebuild()
    waiting = session.get(LONDON_PDF)
    assert waiting.status == 503 and waiting.headers["Retry-After"] == "1"
    assert waiting.headers["Content-Type"] == "text/html; charset=utf-8"
    assert not waiting.body.startswith(b"%PDF") and "2025-06-09-london.pdf is being redrawn" in waiting.text
    assert 'id="briefgen-live-reload"' in waiting.text
    assert session.get(GENEVA_PDF).body.startswith(b"%PDF"), "an untouched sheet's PDF is served as ever"
    page = session.get(LONDON_PAGE).text
    assert f'mark(["{LONDON_PDF}"]);' in page
    assert session.get("/__briefgen__/state").text.count(LONDON_PDF) == 1

    session.settle()
    assert b"127%" in session.get(LONDON_PDF).body
    assert "mark([]);" in session.get(LONDON_PAGE).text
    assert "pending" not in session.get("/__briefgen__/state").text


def test_a_newer_save_supersedes_the_pdf_of_an_older_one(session: Session) -> None:
    """Save 127, then 128 while 127's PDF is being drawn: the PDF served at the end is 128's, and
    127's, drawn meanwhile, is never written."""
    edit(session.london, CN_PEAK, CN_PEAK_EDITED)
    session.preview.rebuild()
    assert session.drawer.started.acquire(timeout=WAIT), "the first PDF was never started"
    edit(session.london, CN_PEAK_EDITED, "    value: 128\n")
    assert session.preview.rebuild().pending == (LONDON_PDF,)
    written: list[bytes] = []
    pdf_file = session.workspace / "out" / "site" / LONDON_PDF.lstrip("/")
    session.drawer.release()  # 127's PDF comes back now, after 128 was saved
    assert session.drawer.started.acquire(timeout=WAIT), "128's PDF was never started"
    written.append(pdf_file.read_bytes())
    assert session.get(LONDON_PDF).status == 503
    session.settle()
    assert b"127%" not in written[0], "the superseded PDF was written"
    served = session.get(LONDON_PDF).body
    assert b"128%" in served and b"127%" not in served


def test_a_save_renders_only_the_sheet_and_the_round_that_follows_it(session: Session) -> None:
    """London names Geneva as its previous round: a save to Geneva redoes both, a save to London only London."""
    site = session.workspace / "out" / "site" / "us-china-trade"
    geneva_page = site / "2025-05-09-geneva.html"
    stamp = geneva_page.stat().st_mtime_ns
    edit(session.london, CN_PEAK, CN_PEAK_EDITED)
    assert session.preview.rebuild().pending == (LONDON_PDF,)
    session.settle()
    assert geneva_page.stat().st_mtime_ns == stamp

    text = session.geneva.read_text(encoding="utf-8")
    session.geneva.write_text(text + "\n# a comment changes the bytes, not what the briefing says\n", encoding="utf-8")
    assert session.preview.rebuild().pending == (GENEVA_PDF, LONDON_PDF)
    session.settle()


def test_a_broken_save_shows_at_once_and_leaves_the_last_good_page_and_pdf(session: Session) -> None:
    """An invalid sheet: the error is in the state straight away, nothing goes to the drawer, and
    the last good page and PDF are still served."""
    where = located(session.london, "bottom_line:")
    edit(session.london, "  bottom_line:", "  bottom_lime:")
    state = session.preview.rebuild()
    assert state.error is not None and f"{where}: briefing.bottom_lime: unknown field" in state.error
    assert state.pending == ()
    assert "London round" in session.get(LONDON_PAGE).text
    assert session.get(LONDON_PDF).body.startswith(b"%PDF")


def test_a_pdf_that_cannot_be_drawn_is_reported_and_stays_unserved(examples_copy: Path) -> None:
    """The drawer fails: the page says why, and the PDF's address still does not serve the old file."""
    running = Session(examples_copy.parent.parent, HeldDrawer())
    try:
        running.preview.rebuild()
        running.settle()
        running.drawer.fail_with = RenderError("London: the PDF could not be laid out")
        edit(running.london, CN_PEAK, CN_PEAK_EDITED)
        running.preview.rebuild()
        running.drawer.release()
        assert running.preview.wait_for_pdfs(WAIT)
        assert running.preview.state.error == "London: the PDF could not be laid out"
        assert running.get(LONDON_PDF).status == 503

        running.drawer.fail_with = None  # saving again draws it again
        edit(running.london, CN_PEAK_EDITED, CN_PEAK)
        running.preview.rebuild()
        running.settle()
        assert running.get(LONDON_PDF).status == 200
    finally:
        running.stop()
    assert running.drawer.closed


def test_a_one_pager_shows_everything_first_then_what_its_pdf_chose(examples_copy: Path) -> None:
    """The one-pager's page cannot know what fits until its PDF is laid out: it shows the fullest
    selection first, then the one the PDF chose, and the browser reloads for that."""
    running = Session(examples_copy.parent.parent, HeldDrawer(), templates=("full", "onepager"))
    try:
        running.preview.rebuild()
        page = running.workspace / "out" / "us-china-trade" / "2025-06-09-london.onepager.html"
        fullest = page.read_bytes()
        before = running.preview.state.build
        running.settle()  # the stand-in chooses the last, shortest, selection
        assert page.read_bytes() != fullest
        assert running.preview.state.build > before, "the page the PDF chose reloads the browser"
    finally:
        running.stop()


def test_the_warm_worker_draws_each_saved_pdf_with_weasyprint(examples_copy: Path) -> None:
    """The drawer `serve` uses: one pool kept across saves; each save's PDF is real, new, and follows its page."""
    from briefgen.worker import live_drawer

    workspace = examples_copy.parent.parent
    options = BuildOptions(out_dir=workspace / "out", formats=("md", "html", "pdf"), jobs=1)
    preview = Preview([workspace / "briefs"], options, drawer=live_drawer(options.jobs))
    server = preview.make_server(0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        preview.rebuild()
        assert preview.wait_for_pdfs(180)
        first = fetch(server.server_port, LONDON_PDF).body
        assert first.startswith(b"%PDF")
        for old, new in ((CN_PEAK, CN_PEAK_EDITED), (CN_PEAK_EDITED, "    value: 128\n")):
            edit(workspace / "briefs" / "us-china" / "2025-06-london.yaml", old, new)
            assert preview.rebuild().pending == (LONDON_PDF,)
            assert new.strip().split()[-1] + "%" in fetch(server.server_port, LONDON_PAGE).text
            assert preview.wait_for_pdfs(180)
            drawn = fetch(server.server_port, LONDON_PDF)
            assert drawn.status == 200 and drawn.body.startswith(b"%PDF") and drawn.body != first
            first = drawn.body
        assert preview.state.error is None
    finally:
        server.shutdown()
        server.server_close()
        preview.close()


def test_a_stylesheet_change_redoes_every_page_first_then_every_pdf(examples_copy: Path) -> None:
    """A workspace stylesheet saved: every sheet's page shows it at once, and every PDF is pending until redrawn."""
    workspace = examples_copy.parent.parent
    templates = workspace / "templates"
    templates.mkdir()
    drawer = HeldDrawer()
    options = BuildOptions(out_dir=workspace / "out", formats=("md", "html", "pdf"), jobs=1, workspace_templates=templates)
    preview = Preview([workspace / "briefs"], options, drawer=drawer)
    try:
        preview.rebuild()
        drawer.release(100)
        assert preview.wait_for_pdfs(WAIT)
        drawer.reset()
        (templates / "screen.css").write_text(
            (Path(__file__).resolve().parent.parent / "templates" / "screen.css").read_text(encoding="utf-8") + "\n.briefgen-test-rule { color: red; }\n",
            encoding="utf-8",
        )
        state = preview.rebuild()
        assert state.pending == (GENEVA_PDF, LONDON_PDF)
        for page in ("2025-05-09-geneva.html", "2025-06-09-london.html"):
            assert ".briefgen-test-rule" in (workspace / "out" / "site" / "us-china-trade" / page).read_text(encoding="utf-8")
        drawer.release(100)
        assert preview.wait_for_pdfs(WAIT)
        assert preview.state.pending == ()
    finally:
        drawer.release(100)
        preview.close()


def test_a_save_reads_only_the_saved_sheet_and_the_rounds_after_it(session: Session) -> None:
    """What the watcher hands the build for a batch of changes: the saved sheet (as the workspace
    names it) and the round naming it as previous; anything else means the whole workspace."""
    from watchfiles import Change

    briefs = session.workspace / "briefs"
    london, geneva = briefs / "us-china" / "2025-06-london.yaml", briefs / "us-china" / "2025-05-geneva.yaml"
    saved = session.preview.saved_sheets
    assert saved({(Change.modified, str(london))}) == [london]
    assert saved({(Change.modified, str(geneva))}) == [geneva, london]
    assert saved({(Change.added, str(briefs / "us-china" / "2025-07-new.yaml"))}) is None
    assert saved({(Change.deleted, str(london))}) is None
    assert saved({(Change.modified, str(london)), (Change.modified, str(session.workspace / "templates" / "screen.css"))}) is None

    edit(london, CN_PEAK, CN_PEAK_EDITED)
    state = session.preview.rebuild(saved=saved({(Change.modified, str(london))}))
    assert state.pending == (LONDON_PDF,) and "127%" in session.get(LONDON_PAGE).text
