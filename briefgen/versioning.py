"""Version stamps: a fact sheet's last git commit and date, or a content hash when it has none.

A stamp is printed on every page, so a reader can tell which version of the facts they hold.
Stamps for many sheets are found with two git commands in all, not two per sheet, and the
repository's HEAD can be read without running git at all, to tell cheaply whether stamps may
have changed since the last build.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def content_stamp(raw: bytes) -> str:
    return f"sha256:{hashlib.sha256(raw).hexdigest()[:12]}"


def version_stamps(sheets: dict[Path, bytes]) -> dict[Path, str]:
    """Each sheet's stamp: 'abc1234 (2025-06-08)' if committed and unchanged, else its content hash."""
    stamps = {path: content_stamp(raw) for path, raw in sheets.items()}
    by_repo: dict[Path, list[Path]] = {}
    for path in sheets:
        root = _repository_root(path)
        if root is not None:
            by_repo.setdefault(root, []).append(path)
    for root, paths in by_repo.items():
        stamps.update(_committed_stamps(root, paths))
    return stamps


def repository_head(path: Path) -> str | None:
    """The commit HEAD points at, read from the .git folder (no subprocess); None outside git."""
    return folder_head(path.resolve().parent)


def folder_head(folder: Path) -> str | None:
    """repository_head() for a file in `folder`, which must already be resolved."""
    root = _root_of(folder)
    return None if root is None else _head_of(root)


def _head_of(root: Path) -> str | None:
    git_dir = root / ".git"
    if git_dir.is_file():  # a worktree or submodule: "gitdir: <path>"
        git_dir = (root / git_dir.read_text(encoding="utf-8").removeprefix("gitdir:").strip()).resolve()
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head
        ref = head.removeprefix("ref:").strip()
        if (git_dir / ref).is_file():
            return (git_dir / ref).read_text(encoding="utf-8").strip()
        for line in (git_dir / "packed-refs").read_text(encoding="utf-8").splitlines():
            if line.endswith(f" {ref}"):
                return line.split()[0]
    except OSError:
        return None
    return "unborn"


def _repository_root(path: Path) -> Path | None:
    return _root_of(path.resolve().parent)


def _root_of(folder: Path) -> Path | None:
    """The nearest folder at or above `folder` (already resolved) that holds a .git."""
    return next((candidate for candidate in (folder, *folder.parents) if (candidate / ".git").exists()), None)


def _committed_stamps(root: Path, paths: list[Path]) -> dict[Path, str]:
    import subprocess  # only when stamps are actually computed: a no-op rebuild never needs git

    relative = {path.resolve().relative_to(root).as_posix(): path for path in paths}
    try:
        status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *relative)
        dirty = {entry[3:] for entry in status.split("\0") if len(entry) > 3}
        # -z: names come unquoted whatever their characters (git quotes 'genève.yaml' otherwise)
        log = _git(root, "log", "-z", "--format=%x01%h %cs", "--name-only", "--no-renames", "--", *relative)
    except (OSError, subprocess.SubprocessError):
        return {}
    stamps: dict[Path, str] = {}
    commit = ""
    for entry in log.split("\0"):
        entry = entry.strip("\n")
        if entry.startswith("\x01"):
            header, _, entry = entry[1:].partition("\n")
            short, day = header.split()
            commit = f"{short} ({day})"
        if entry in relative and entry not in dirty and relative[entry] not in stamps:
            stamps[relative[entry]] = commit
    return stamps


def _git(root: Path, *args: str) -> str:
    import subprocess

    result = subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=root, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout
