"""User-facing errors: each carries its exit code, and located problems print as path:line:col."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_INVALID = 1  # a fact sheet is wrong, or a briefing cannot be produced from it
EXIT_USAGE = 2  # the command line is wrong
EXIT_ENVIRONMENT = 3  # the machine is missing something (a font, a writable folder)
EXIT_BUG = 70  # an unexpected internal error: always a bug in briefgen


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file, at the place a user would put the cursor to fix it."""

    path: Path
    line: int
    col: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


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
