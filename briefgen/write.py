"""The output tree: where each briefing goes, and writing it so that a crash damages nothing.

Paths are derived here and nowhere else. Every file is written to a temporary sibling, flushed
to disk and renamed over the old one, so a reader (or a later run) sees either the previous
file or the new one, never half of one. Temporaries left by a killed run are swept next time.

One build at a time writes a folder: it holds an exclusive lock (flock) on OUT/.briefgen-lock,
which names its process, from the sweep until its manifest is written; another build into the
same folder waits for it. A temporary's name carries its writer's process id, so a sweep never
removes the file of a writer still running (a site index being written outside the lock, say).
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from .errors import EnvironmentProblem, UsageError

TEMP_PREFIX = ".briefgen-tmp-"
MAX_NAME_BYTES = 80
LOCK_NAME = ".briefgen-lock"

_held: dict[Path, int] = {}
"""Output folders this process has locked, with the lock file's descriptor."""


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
    """Make sure `out_dir` can be written, lock it for this build (waiting for another build that
    holds it), and remove temporaries whose writer is gone. release_output() ends the build's hold."""
    import tempfile  # only when writing: not on the no-op rebuild's path

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=_temp_prefix()):
            pass
        _lock(out_dir)
    except OSError as error:
        raise EnvironmentProblem(f"{out_dir}: cannot write the output folder ({error.strerror})") from None
    if out_dir.resolve() in _swept:
        return  # once per process: a long-running preview must not walk its whole output per save
    for leftover in out_dir.rglob(f"{TEMP_PREFIX}*"):
        if leftover.is_file() and not _writer_alive(leftover.name):
            leftover.unlink(missing_ok=True)
    _swept.add(out_dir.resolve())


_swept: set[Path] = set()
"""Output folders this process has already swept of temporaries left by a writer that is gone."""


def release_output(out_dir: Path) -> None:
    """Let the next build into `out_dir` start; nothing if this process does not hold it."""
    import fcntl

    descriptor = _held.pop(out_dir.resolve(), None)
    if descriptor is not None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _lock(out_dir: Path) -> None:
    import fcntl

    key = out_dir.resolve()
    if key in _held:
        return
    descriptor = os.open(key / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            import logging

            from .errors import printable

            holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() or "another process"
            logging.getLogger(__name__).warning(
                "waiting for process %s, which is building into %s", printable(holder), printable(out_dir)
            )
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    except BaseException:
        os.close(descriptor)
        raise
    _held[key] = descriptor


def _temp_prefix() -> str:
    return f"{TEMP_PREFIX}{os.getpid()}-"


def _writer_alive(name: str) -> bool:
    """Whether the process that named a temporary (.briefgen-tmp-<pid>-...) is still running."""
    pid = name.removeprefix(TEMP_PREFIX).partition("-")[0]
    if not pid.isdigit():
        return False  # an older briefgen's name: its writer is long gone
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, but another user's
    return True


def write_atomic(path: Path, content: bytes) -> bool:
    """Replace `path` with `content` atomically; return False (and touch nothing) if it is unchanged."""
    import tempfile

    try:
        if path.is_file() and path.stat().st_size == len(content) and path.read_bytes() == content:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix())
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
