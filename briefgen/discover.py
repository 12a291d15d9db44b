"""Find fact sheets and template folders on disk. Standard library only: the no-op rebuild path runs here."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import UsageError

FACT_SHEET_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 1_000_000
"""The largest fact sheet read; a larger file is refused without being read whole."""
OUTPUT_MARKER = ".briefgen-manifest.json"
"""A folder holding this is a build's output (manifest.py writes it): its copies are not sources."""
DEFAULT_OUTPUT = "build"
"""The default output folder, skipped below a folder searched even before a build has finished."""

DEFAULT_TEMPLATES = Path(__file__).parent / "templates"
if not DEFAULT_TEMPLATES.is_dir():  # a source checkout: the defaults are the repository's templates/
    DEFAULT_TEMPLATES = Path(__file__).parent.parent / "templates"


def template_folders(workspace: Path | None) -> list[Path]:
    """Where templates, stylesheets and the files a PDF may use are looked up: the workspace's first."""
    return [folder for folder in (workspace, DEFAULT_TEMPLATES) if folder]


def find_fact_sheets(paths: Iterable[Path]) -> list[Path]:
    """Every fact sheet named, or found below a named folder (hidden folders skipped), in a stable order."""
    paths = list(paths)
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(_sheets_below(path)))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    unique = list(dict.fromkeys(found))
    if not unique:
        raise UsageError(f"no fact sheets (*.yaml) found in {', '.join(map(str, paths))}")
    return unique


def _sheets_below(folder: Path) -> Iterator[Path]:
    """os.walk, not Path.rglob: hidden folders are pruned before they are entered, not filtered after.

    Output folders are pruned too, the default build/ and any folder a build has written its
    manifest into, since their site/ holds copies of the fact sheets."""
    for parent, folders, files in os.walk(folder):
        if OUTPUT_MARKER in files and parent != str(folder):
            folders[:] = []
            continue
        top = parent == str(folder)
        folders[:] = [name for name in folders if not name.startswith(".") and not (top and name == DEFAULT_OUTPUT)]
        for name in files:
            if name.endswith(FACT_SHEET_SUFFIXES) and not name.startswith("."):
                candidate = Path(parent, name)
                if candidate.is_file():
                    yield candidate


def read_capped(path: Path) -> bytes:
    """A file's bytes, but never more than MAX_FILE_BYTES + 1: enough to tell that it is too large
    (the reader then refuses it), without reading a file of gigabytes into memory."""
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def real_paths(paths: Iterable[Path]) -> dict[Path, Path]:
    """Each path resolved as Path.resolve() does, but each folder only once: a rebuild resolves
    every fact sheet, and most share a few folders. A file that is itself a link is resolved whole."""
    folders: dict[str, str] = {}
    real: dict[Path, Path] = {}
    for path in paths:
        if os.path.islink(path):
            real[path] = path.resolve()
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in folders:
            folders[folder] = os.path.realpath(folder)
        real[path] = Path(folders[folder], path.name)
    return real
