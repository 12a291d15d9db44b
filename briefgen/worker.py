"""Render one fact sheet's briefings, in this process or in a pool of worker processes.

A worker renders every format and brief type of a sheet in memory, then writes them, so a
failure leaves that sheet's earlier files whole. Workers start from a fork server that has
already imported WeasyPrint, keep one font configuration each, and are replaced after a
number of sheets so that memory stays bounded however many sheets a build has.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .loader import LoadedSheet
    from .models import FactSheet
    from .pipeline import BuildOptions

SHEETS_PER_WORKER = 16
"""A worker is replaced after this many sheets, which bounds its memory."""


@dataclass(frozen=True)
class SheetTask:
    path: Path
    stamp: str
    outputs: dict[Path, tuple[str, str]]
    """Each output path → (brief type, format)."""
    site_files: dict[Path, str] = field(default_factory=dict)
    """The sheet's files in the published site → 'page', or the format copied there ('pdf', 'md', 'yaml')."""
    generation: str = ""
    """The build's fingerprint: templates compiled for another one are not reused."""


@dataclass
class SheetOutcome:
    path: Path
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def render_loaded(loaded: LoadedSheet, task: SheetTask, options: BuildOptions) -> SheetOutcome:
    """Render and write every output of one valid fact sheet."""
    from . import __version__
    from .context import build_context
    from .formats import render_output
    from .render import Renderer
    from .write import write_atomic

    started = time.perf_counter()
    outcome = SheetOutcome(loaded.path)
    sheet, previous = releasable_rounds(loaded, options.release_max)
    brief = build_context(
        sheet,
        previous=previous,
        version=task.stamp,
        generator=f"briefgen {__version__}",
        max_age_days=options.max_age_days,
    )
    renderer = Renderer(options.workspace_templates, task.generation)
    html_of = lru_cache(maxsize=None)(lambda brief_type: renderer.render(brief_type, "html", brief))
    rendered = {
        path: render_output(renderer, brief, loaded, brief_type, fmt, options, warn=outcome.warnings.append, html_of=html_of)
        for path, (brief_type, fmt) in task.outputs.items()
    }
    full = {fmt: rendered[path] for path, (brief_type, fmt) in task.outputs.items() if brief_type == "full"}
    downloads = [(DOWNLOAD_LABELS[kind], path.name) for path, kind in task.site_files.items() if kind != "page"]
    for path, kind in task.site_files.items():
        if kind == "page":
            page = renderer.render("site/briefing", "html", brief, extra={"downloads": downloads, "home": "../index.html"})
            rendered[path] = page.encode()
        else:
            rendered[path] = loaded.raw if kind == "yaml" else full[kind]
    for path, content in rendered.items():
        (outcome.written if write_atomic(path, content) else outcome.unchanged).append(path)
    outcome.seconds = time.perf_counter() - started
    return outcome


DOWNLOAD_LABELS = {"pdf": "PDF", "md": "Markdown", "yaml": "Fact sheet (YAML)"}


def releasable_rounds(loaded: LoadedSheet, limit: str | None) -> tuple[FactSheet, FactSheet | None]:
    """The sheet and its previous round as they may be shown at `limit` (as they are, without one).

    A previous round that cannot be released at all is left out, so the "what changed" section
    cannot give away what it held.
    """
    from .release import NotReleasable, release

    previous = loaded.previous.sheet if loaded.previous else None
    if limit is None:
        return loaded.sheet, previous
    sheet = release(loaded.sheet, limit, str(loaded.path))
    if previous is not None:
        try:
            previous = release(previous, limit, str(loaded.previous.path if loaded.previous else ""))
        except NotReleasable:
            previous = None
    return sheet, previous


def run_in_pool(tasks: list[SheetTask], options: BuildOptions, jobs: int, on_done: Callable[[SheetOutcome], None]) -> None:
    """Render `tasks` on `jobs` worker processes; the first failure stops the build and is raised.

    multiprocessing.Pool, not ProcessPoolExecutor: on Python 3.11 the executor deadlocks when it
    replaces a worker after max_tasks_per_child (CPython gh-115634); Pool replaces them safely.
    """
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["briefgen.worker", "briefgen.formats", "weasyprint"])
    pool = context.Pool(processes=jobs, maxtasksperchild=SHEETS_PER_WORKER)
    try:
        for outcome in pool.imap_unordered(_render_task, [(task, options) for task in tasks]):
            on_done(outcome)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _render_task(job: tuple[SheetTask, BuildOptions]) -> SheetOutcome:
    from .loader import load

    task, options = job
    (loaded,) = load([task.path])
    return render_loaded(loaded, task, options)
