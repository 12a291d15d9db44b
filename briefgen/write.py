"""The output tree: where each briefing goes, and writing it so that a crash damages nothing.

Paths are derived here and nowhere else. Every file is written to a temporary sibling, flushed
to disk and renamed over the old one, so a reader (or a later run) sees either the previous
file or the new one, never half of one. Temporaries left by a killed run are swept next time.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from .errors import EnvironmentProblem, UsageError

TEMP_PREFIX = ".briefgen-tmp-"
MAX_NAME_BYTES = 80


def output_path(out_dir: Path, negotiation: str, as_of: str, round_id: str, template: str, fmt: str) -> Path:
    """build/<negotiation>/<as-of>-<round>[.<template>].<fmt>: dated, each part one safe name."""
    return out_dir / output_name(negotiation, as_of, round_id, template, fmt)


def output_name(negotiation: str, as_of: str, round_id: str, template: str, fmt: str) -> str:
    """'<negotiation>/<as-of>-<round>[.<template>].<fmt>', relative to the output folder.

    Pure string work, no file system: a no-op rebuild derives thousands of these."""
    suffix = "" if template == "full" else f".{template}"
    return f"{safe_name(negotiation)}/{safe_name(f'{as_of}-{round_id}{suffix}.{fmt}')}"


def check_inside(out_dir: Path, path: Path) -> None:
    """Refuse to write `path` if it resolves outside `out_dir` (through a symbolic link, say)."""
    if not path.resolve().is_relative_to(out_dir.resolve()):
        raise UsageError(f"refusing to write {path}: it is outside the output folder {out_dir}")


def safe_name(name: str) -> str:
    """One path component: NFC-normalised, no separators, no leading dot, at most 80 bytes."""
    name = unicodedata.normalize("NFC", name).replace("/", "-").replace("\\", "-").lstrip(".")
    if not name or name in (".", ".."):
        raise UsageError(f"cannot make a file name from {name!r}")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise UsageError(f"file name {name!r} is longer than {MAX_NAME_BYTES} bytes; shorten the ids it is made from")
    return name


def prepare_output(out_dir: Path) -> None:
    """Make sure `out_dir` can be written, and remove temporaries a killed run left behind."""
    import tempfile  # only when writing: not on the no-op rebuild's path

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=TEMP_PREFIX):
            pass
    except OSError as error:
        raise EnvironmentProblem(f"{out_dir}: cannot write the output folder ({error.strerror})") from None
    for leftover in out_dir.rglob(f"{TEMP_PREFIX}*"):
        if leftover.is_file():
            leftover.unlink(missing_ok=True)


def write_atomic(path: Path, content: bytes) -> bool:
    """Replace `path` with `content` atomically; return False (and touch nothing) if it is unchanged."""
    import tempfile

    try:
        if path.is_file() and path.stat().st_size == len(content) and path.read_bytes() == content:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise EnvironmentProblem(f"{path}: cannot write ({error.strerror})") from None
    return True


def remove_outputs(out_dir: Path, names: list[str]) -> list[Path]:
    """Delete files briefgen wrote earlier and no longer produces (names relative to `out_dir`),
    then the folders that leaves empty; nothing outside `out_dir`, nothing it did not write."""
    removed = []
    root = out_dir.resolve()
    for name in names:
        path = out_dir / name
        if not path.resolve().is_relative_to(root) or not path.is_file():
            continue
        path.unlink()
        removed.append(path)
        folder = path.parent
        while folder.resolve() != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return removed
