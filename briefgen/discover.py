"""Find fact sheets and template folders on disk. Standard library only: the no-op rebuild path runs here."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .errors import UsageError

FACT_SHEET_SUFFIXES = (".yaml", ".yml")

DEFAULT_TEMPLATES = Path(__file__).parent / "templates"
if not DEFAULT_TEMPLATES.is_dir():  # a source checkout: the defaults are the repository's templates/
    DEFAULT_TEMPLATES = Path(__file__).parent.parent / "templates"


def find_fact_sheets(paths: Iterable[Path]) -> list[Path]:
    """Every fact sheet named, or found below a named folder (hidden folders skipped), in a stable order."""
    paths = list(paths)
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    candidate
                    for candidate in path.rglob("*")
                    if candidate.suffix in FACT_SHEET_SUFFIXES
                    and candidate.is_file()
                    and not any(part.startswith(".") for part in candidate.relative_to(path).parts)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    unique = list(dict.fromkeys(found))
    if not unique:
        raise UsageError(f"no fact sheets (*.yaml) found in {', '.join(map(str, paths))}")
    return unique
