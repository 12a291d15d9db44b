"""Where PDFs are drawn: in this process, or in a pool of worker processes.

The pool is started first, before the fact sheets are even validated, from a fork server that
imports WeasyPrint while this process loads and templates the sheets: for a single briefing,
that import (the largest fixed cost after layout itself) overlaps everything briefgen does
before layout. Workers receive HTML, not fact sheets, so they never load pydantic or Jinja;
each keeps one font configuration and is replaced after a number of PDFs, which bounds its
memory however large the build.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from .errors import RenderError

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

    from .formats import RenderedSheet
    from .pdf import Drawn

PDFS_PER_WORKER = 24
"""A worker is replaced after drawing this many PDFs, which bounds its memory."""
SHEETS_IN_FLIGHT_PER_WORKER = 2
"""Sheets templated ahead of the workers: enough to keep them busy, few enough to bound memory."""
RESULT_TIMEOUT = 360
"""No PDF for this long (three times pdf.MAX_RENDER_SECONDS, a single PDF's limit) means a worker
died (the kernel's OOM killer, say) with a job in hand."""

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
    """Draw PDFs on worker processes; the first failure stops the build and is raised here.

    multiprocessing.Pool, not ProcessPoolExecutor: on Python 3.11 the executor deadlocks when it
    replaces a worker after max_tasks_per_child (CPython gh-115634); Pool replaces them safely.
    Creating a Pool waits for the fork server's imports, so it is created on a thread of its own.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Pool | None = None
        self._failure: BaseException | None = None
        self._starting = threading.Thread(target=self._start, name="briefgen-pool", daemon=True)
        self._starting.start()

    def _start(self) -> None:
        import multiprocessing

        try:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["briefgen.pdf", "weasyprint"])
            self._pool = context.Pool(processes=self.workers, maxtasksperchild=PDFS_PER_WORKER)
        except Exception as error:  # noqa: BLE001 -- re-raised on the build's own thread, in _started()
            self._failure = error

    def _started(self) -> Pool:
        self._starting.join()
        if self._pool is None:
            raise self._failure or RenderError("the PDF worker pool did not start")
        return self._pool

    def draw_all(self, sheets: Iterable[RenderedSheet]) -> Iterator[Completed]:
        """Yield each sheet once all its PDFs are drawn, in the order they finish."""
        from .pdf import draw

        pool: Pool | None = None  # waited for only once the first sheet is templated
        done: queue.Queue[tuple[int, Path, Drawn | None, BaseException | None]] = queue.Queue()

        def drawn(number: int, path: Path, result: Drawn) -> None:
            done.put((number, path, result, None))

        def failed(number: int, path: Path, error: BaseException) -> None:
            done.put((number, path, None, error))

        waiting: dict[int, tuple[RenderedSheet, dict[Path, Drawn]]] = {}
        pending = iter(enumerate(sheets))
        exhausted = False
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
                        pool.apply_async(draw, (job,), callback=partial(drawn, number, path), error_callback=partial(failed, number, path))
            if not waiting:
                return
            try:
                number, path, result, error = done.get(timeout=RESULT_TIMEOUT)
            except queue.Empty:
                raise RenderError(f"no PDF came back from the workers in {RESULT_TIMEOUT} s; one of them may have been killed") from None
            if error is not None or result is None:
                raise error or RenderError(f"{path}: a worker returned no PDF")
            sheet, pdfs = waiting[number]
            pdfs[path] = result
            sheet.seconds += result.seconds
            if len(pdfs) == len(sheet.pdf_jobs):
                del waiting[number]
                yield sheet, pdfs

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
