"""How a build reports progress: a bar on a terminal (rich), plain lines otherwise.

The pipeline only calls `start(total)` and `done(outcome)`; what the user sees is decided here,
on the CLI's side, so the library itself never prints.
"""

from __future__ import annotations

import sys

from .errors import printable

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing on the no-op rebuild's path
if TYPE_CHECKING:
    from typing import Any, Protocol

    from .formats import SheetOutcome

    class Progress(Protocol):
        def start(self, total: int) -> None: ...

        def done(self, outcome: SheetOutcome) -> None: ...


class PlainProgress:
    """One line per fact sheet on stderr: for logs, CI and pipes."""

    def __init__(self, *, verbose: bool) -> None:
        self.verbose = verbose
        self.total = 0
        self.count = 0

    def start(self, total: int) -> None:
        configure_logging(verbose=self.verbose)
        self.total = total

    def done(self, outcome: SheetOutcome) -> None:
        self.count += 1
        print(f"[{self.count}/{self.total}] {printable(outcome.path)} ({outcome.seconds:.2f} s, {len(outcome.written)} written)", file=sys.stderr)
        if self.verbose:
            for path in outcome.written:
                print(f"  wrote {printable(path)}", file=sys.stderr)


class BarProgress(PlainProgress):
    """A rich progress bar for multi-sheet builds on a terminal; per-sheet lines with --verbose."""

    def __init__(self, *, verbose: bool) -> None:
        super().__init__(verbose=verbose)
        self.bar: Any = None
        self.task: Any = None

    def start(self, total: int) -> None:
        super().start(total)
        if total < 2:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True)
        self.bar.start()
        self.task = self.bar.add_task("build", total=total)

    def done(self, outcome: SheetOutcome) -> None:
        if self.bar is None:
            super().done(outcome)
            return
        self.count += 1
        self.bar.advance(self.task)
        if self.verbose:
            self.bar.console.print(f"{printable(outcome.path)} ({outcome.seconds:.2f} s, {len(outcome.written)} written)", markup=False, highlight=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def reporter(*, verbose: bool) -> PlainProgress:
    return BarProgress(verbose=verbose) if sys.stderr.isatty() else PlainProgress(verbose=verbose)


def configure_logging(*, verbose: bool) -> None:
    """briefgen's own log on stderr; WeasyPrint's progress chatter stays off (its errors fail the build).

    Called when there is work to do, not before: a no-op rebuild never imports logging."""
    import logging

    logger = logging.getLogger("briefgen")
    if not logger.handlers:  # a long-running preview starts many builds

        class PrintableFormatter(logging.Formatter):
            """A path in a message may hold an escape sequence: show it, do not let it act."""

            def format(self, record: logging.LogRecord) -> str:
                return printable(super().format(record), lines=True)

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(PrintableFormatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

