"""User-facing errors: each carries its exit code, and located problems print as path:line:col."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_INVALID = 1  # a fact sheet is wrong, or a briefing cannot be produced from it
EXIT_USAGE = 2  # the command line is wrong
EXIT_ENVIRONMENT = 3  # the machine is missing something (a font, a writable folder)
EXIT_BUG = 70  # an unexpected internal error: always a bug in briefgen
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as a shell reports it
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNPRINTABLE_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, lines: bool = False) -> str:
    """`text` safe for a terminal or a CI log: control and bidi characters (from a file name, say)
    shown as \\x1b or \\u202e instead of acting on the screen. `lines` keeps newlines."""
    return (_UNPRINTABLE_BUT_NEWLINE if lines else _UNPRINTABLE).sub(_shown, str(text))


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file, at the place a user would put the cursor to fix it."""

    path: Path
    line: int
    col: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{printable(self.path)}:{self.line}:{self.col}"
        message = printable(self.message)
        return f"{where}: {printable(self.field)}: {message}" if self.field else f"{where}: {message}"


class BriefgenError(Exception):
    """An error the user can act on; never shown with a traceback."""

    exit_code = EXIT_INVALID


class UsageError(BriefgenError):
    exit_code = EXIT_USAGE


class EnvironmentProblem(BriefgenError):
    exit_code = EXIT_ENVIRONMENT


class InvalidFactSheets(BriefgenError):
    """Every problem found in every file, reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __reduce__(self) -> tuple[type[InvalidFactSheets], tuple[list[Problem]]]:
        return (type(self), (self.problems,))  # crosses from a build worker intact


class RenderError(BriefgenError):
    """A briefing could not be produced from a valid fact sheet (template, asset or PDF failure)."""


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that a build unwinds as after Ctrl-C: workers stopped,
    what was finished recorded. A BaseException, like KeyboardInterrupt, so no handler takes it for an error."""
