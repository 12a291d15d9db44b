"""Where PDFs are drawn: in this process, or in a pool of worker processes.

The pool is started first, before the fact sheets are even validated, from a fork server that
imports WeasyPrint while this process loads and templates the sheets: for a single briefing,
that import (the largest fixed cost after layout itself) overlaps everything briefgen does
before layout. Workers receive HTML, not fact sheets, so they never load pydantic or Jinja;
each keeps one font configuration and is replaced after a number of PDFs, which bounds its
memory however large the build.
"""

from __future__ import annotations

import itertools
import os
import queue
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from .errors import RenderError

if TYPE_CHECKING:
    from multiprocessing.pool import Pool
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import SimpleQueue

    from .formats import RenderedSheet
    from .pdf import Drawn, FitJob, PdfJob

PDFS_PER_WORKER = 24
"""A worker is replaced after drawing this many PDFs, which bounds its memory."""
SHEETS_IN_FLIGHT_PER_WORKER = 2
"""Sheets templated ahead of the workers: enough to keep them busy, few enough to bound memory."""
RESULT_TIMEOUT = 360
"""No PDF for this long (three times pdf.MAX_RENDER_SECONDS, a single PDF's limit) means a worker
is stuck; a worker that died is noticed within POLL_SECONDS."""
POLL_SECONDS = 0.2
"""How often the workers are checked while no PDF comes back."""
DEATH_GRACE_SECONDS = 2.0
"""A worker that exited cleanly holding a job (not killed) may have sent its answer: wait this long for it."""

Completed = tuple["RenderedSheet", dict[Path, "Drawn"]]
"""A sheet and its drawn PDFs, by output path."""


class PdfDrawer(Protocol):
    def draw_all(self, sheets: Iterable[RenderedSheet]) -> Iterator[Completed]: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None: ...


def pdf_drawer(jobs: int, pdf_count: int) -> PdfDrawer:
    """A pool of up to `jobs` workers when that can help, else this process."""
    workers = min(jobs, pdf_count)
    return WorkerPool(workers) if jobs > 1 and workers >= 1 else InProcess()


def live_drawer(jobs: int) -> WorkerPool:
    """A pool for the life of a preview (`serve`): WeasyPrint is imported once, by the fork server,
    and each worker stays warm across saves. Always at least one worker process, so drawing a PDF
    never holds the server's interpreter while it renders the next edit's page."""
    return WorkerPool(max(1, jobs))


class InProcess:
    """Draw each sheet's PDFs here, one sheet after another."""

    def draw_all(self, sheets: Iterable[RenderedSheet]) -> Iterator[Completed]:
        from .pdf import draw

        for sheet in sheets:
            pdfs = {}
            for path, job in sheet.pdf_jobs.items():
                pdfs[path] = draw(job)
                sheet.seconds += pdfs[path].seconds
            yield sheet, pdfs

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        return None


class WorkerPool:
    """Draw PDFs on worker processes; a PDF that fails stops the build and is raised here.

    multiprocessing.Pool, not ProcessPoolExecutor: on Python 3.11 the executor deadlocks when it
    replaces a worker after max_tasks_per_child (CPython gh-115634); Pool replaces them safely.
    Creating a Pool waits for the fork server's imports, so it is created on a thread of its own.

    Pool replaces a worker killed from outside (the OOM killer, say) but loses the job it held,
    so each worker announces which job it starts: a job whose worker is gone fails its sheet at
    once, the other sheets go on, and the build fails at the end, naming the sheet.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Pool | None = None
        self._announced: SimpleQueue[tuple[int, int]] | None = None
        self._failure: BaseException | None = None
        _start_fork_server()
        self._starting = threading.Thread(target=self._start, name="briefgen-pool", daemon=True)
        self._starting.start()

    def _start(self) -> None:
        import multiprocessing

        try:
            context = multiprocessing.get_context("forkserver")
            self._announced = context.SimpleQueue()
            self._pool = context.Pool(
                processes=self.workers, maxtasksperchild=PDFS_PER_WORKER, initializer=_start_worker, initargs=(self._announced,)
            )
        except Exception as error:  # noqa: BLE001 -- re-raised on the build's own thread, in _started()
            self._failure = error

    def _started(self) -> Pool:
        self._starting.join()
        if self._pool is None:
            raise self._failure or RenderError("the PDF worker pool did not start")
        return self._pool

    def draw_all(self, sheets: Iterable[RenderedSheet]) -> Iterator[Completed]:
        """Yield each sheet once all its PDFs are drawn, in the order they finish."""
        pool: Pool | None = None  # waited for only once the first sheet is templated
        done: queue.Queue[tuple[int, Path, Drawn | None, BaseException | None]] = queue.Queue()
        tracker = _JobTracker()

        def drawn(number: int, path: Path, result: Drawn) -> None:
            done.put((number, path, result, None))

        def failed(number: int, path: Path, error: BaseException) -> None:
            done.put((number, path, None, error))

        waiting: dict[int, tuple[RenderedSheet, dict[Path, Drawn]]] = {}
        lost: list[str] = []
        pending = iter(enumerate(sheets))
        exhausted = False
        quiet_since = time.monotonic()
        while True:
            while not exhausted and len(waiting) < SHEETS_IN_FLIGHT_PER_WORKER * self.workers:
                number, sheet = next(pending, (-1, None))
                if sheet is None:
                    exhausted = True
                elif not sheet.pdf_jobs:
                    yield sheet, {}
                else:
                    if pool is None:
                        pool = self._started()
                    waiting[number] = (sheet, {})
                    for path, job in sheet.pdf_jobs.items():
                        key = tracker.submitted(number, path)
                        pool.apply_async(_draw, (key, job), callback=partial(drawn, number, path), error_callback=partial(failed, number, path))
            if not waiting:
                break
            try:
                answer = done.get(timeout=POLL_SECONDS)
            except queue.Empty:
                answer = None
                if time.monotonic() - quiet_since > RESULT_TIMEOUT:
                    raise RenderError(f"no PDF came back from the workers in {RESULT_TIMEOUT} s; one of them may be stuck") from None
            if pool is not None and self._announced is not None:
                for number, path, how in tracker.lost(self._announced, pool):
                    if number in waiting:
                        sheet, _ = waiting.pop(number)
                        lost.append(f"{sheet.path}: the process drawing {path.name} {how} (out of memory?); none of this sheet's files were written")
            if answer is None:
                continue
            quiet_since = time.monotonic()
            number, path, result, error = answer
            tracker.finished(number, path)
            if number not in waiting:  # its sheet already failed: a worker drawing another of its PDFs was lost
                continue
            if error is not None or result is None:
                raise error or RenderError(f"{path}: a worker returned no PDF")
            sheet, pdfs = waiting[number]
            pdfs[path] = result
            sheet.seconds += result.seconds
            if len(pdfs) == len(sheet.pdf_jobs):
                del waiting[number]
                yield sheet, pdfs
        if lost:
            raise RenderError("\n".join(lost))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._starting.join()
        if self._pool is None:
            return
        if error is None:
            self._pool.close()
        else:
            self._pool.terminate()
        self._pool.join()


class _JobTracker:
    """Which worker process holds which PDF job, from the workers' own announcements."""

    def __init__(self) -> None:
        self._keys = itertools.count()
        self._jobs: dict[int, tuple[int, Path]] = {}
        self._holder: dict[int, int] = {}  # job key -> worker pid
        self._workers: dict[int, BaseProcess] = {}  # every worker seen, by pid, to read its exit code
        self._gone_since: dict[int, float] = {}

    def submitted(self, number: int, path: Path) -> int:
        key = next(self._keys)
        self._jobs[key] = (number, path)
        return key

    def finished(self, number: int, path: Path) -> None:
        key = next((key for key, job in self._jobs.items() if job == (number, path)), None)
        if key is not None:
            del self._jobs[key]
            self._holder.pop(key, None)
            self._gone_since.pop(key, None)

    def lost(self, announced: SimpleQueue[tuple[int, int]], pool: Pool) -> list[tuple[int, Path, str]]:
        """Jobs whose worker is gone without an answer: at once if it was killed, else after a grace."""
        while not announced.empty():
            key, pid = announced.get()
            if key in self._jobs:
                self._holder[key] = pid
        self._workers.update({process.pid: process for process in getattr(pool, "_pool", []) if process.pid is not None})
        found = []
        now = time.monotonic()
        for key, pid in list(self._holder.items()):
            how = self._ended(pid)
            if how is None:
                continue
            if not how.startswith("was killed"):  # exited cleanly: its answer may still be on the way
                since = self._gone_since.setdefault(key, now)
                if now - since < DEATH_GRACE_SECONDS:
                    continue
            number, path = self._jobs.pop(key)
            del self._holder[key]
            found.append((number, path, how))
        return found

    def _ended(self, pid: int) -> str | None:
        process = self._workers.get(pid)
        code = process.exitcode if process is not None else None
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"was killed ({name})"
        if code is not None:
            return f"ended (exit status {code}) without an answer"
        if process is None:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return "ended without an answer"
            except OSError:
                return None
        return None


def _start_fork_server() -> None:
    """Start the fork server with Ctrl-C ignored, as it and every worker forked from it then are:
    Ctrl-C reaches the whole process group, and only this process should act on it (by stopping
    the pool), not each worker with a traceback of its own. Its imports run in the background."""
    import multiprocessing
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(["briefgen.pdf", "weasyprint"])
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers are the main thread's; the workers' initializer still ignores Ctrl-C
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


_announced_jobs: SimpleQueue[tuple[int, int]] | None = None


def _start_worker(announced: SimpleQueue[tuple[int, int]]) -> None:
    """In each worker: Ctrl-C is the parent's to handle (it stops the pool), and jobs are announced."""
    global _announced_jobs
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _announced_jobs = announced


def _draw(key: int, job: PdfJob | FitJob) -> Drawn:
    from .pdf import draw

    if _announced_jobs is not None:
        _announced_jobs.put((key, os.getpid()))
    return draw(job)
