"""The peers briefgen is measured against, installed idempotently, and the versions of every tool.

Why a separate venv for check-jsonschema: installing it into briefgen's .venv would add
packages (jsonschema, requests, …) that briefgen's own import times and tests would then see.
pandoc comes from Debian's packages, as a user's would. Nothing else is ever downloaded.

Usage: `.venv/bin/python bench/peers.py` installs what is missing and prints the versions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = REPO / ".venv" / "bin"
PEERS_VENV = BENCH / ".peers" / "venv"


class PeerUnavailable(RuntimeError):
    """A peer could not be installed; the targets that need it report so instead of a ratio."""


@dataclass(frozen=True)
class Peers:
    """Where each peer's command is, or why it is missing."""

    pandoc: Path | None
    check_jsonschema: Path | None
    problems: tuple[str, ...]


def ensure_peers(log: bool = True) -> Peers:
    """Install pandoc and check-jsonschema if missing; a failure is recorded, never fatal."""
    problems: list[str] = []
    pandoc = _try(ensure_pandoc, problems, log)
    checker = _try(ensure_check_jsonschema, problems, log)
    return Peers(pandoc, checker, tuple(problems))


def _try(install: Callable[[bool], Path], problems: list[str], log: bool) -> Path | None:
    try:
        return install(log)
    except PeerUnavailable as error:
        problems.append(str(error))
        return None


def ensure_pandoc(log: bool = True) -> Path:
    """pandoc from Debian (`apt-get install pandoc`), refreshing the package lists first if needed."""
    found = shutil.which("pandoc")
    if found:
        return Path(found)
    if log:
        print("bench: installing pandoc with apt-get …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    for args in ([*sudo, "apt-get", "update", "-qq"], [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "pandoc"]):
        try:
            done = subprocess.run(args, env=env, capture_output=True, text=True)
        except OSError as error:
            raise PeerUnavailable(f"pandoc: cannot run `{args[0]}`: {error}") from None
        if done.returncode != 0:
            raise PeerUnavailable(f"pandoc: `{' '.join(args)}` failed: {done.stderr.strip()[-300:]}")
    found = shutil.which("pandoc")
    if not found:
        raise PeerUnavailable("pandoc: installed, but not on PATH")
    return Path(found)


def ensure_check_jsonschema(log: bool = True) -> Path:
    """check-jsonschema from PyPI into bench/.peers/venv (git-ignored), never into briefgen's venv."""
    command = PEERS_VENV / "bin" / "check-jsonschema"
    if command.exists():
        return command
    if log:
        print(f"bench: installing check-jsonschema into {PEERS_VENV.relative_to(REPO)} …", flush=True)
    python = PEERS_VENV / "bin" / "python"
    steps = [] if python.exists() else [[sys.executable, "-m", "venv", str(PEERS_VENV)]]
    steps.append([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "check-jsonschema"])
    for args in steps:
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            raise PeerUnavailable(f"check-jsonschema: `{' '.join(args[:5])}` failed: {done.stderr.strip()[-300:]}")
    return command


def versions(peers: Peers) -> dict[str, str]:
    """Each tool's own account of its version, for the results table."""
    found = {
        "briefgen": _first_line([str(VENV_BIN / "briefgen"), "--version"]),
        "WeasyPrint": _first_line([str(VENV_BIN / "weasyprint"), "--version"]),
        "Python": sys.version.split()[0],
        "pandoc": _first_line([str(peers.pandoc), "--version"]) if peers.pandoc else "not available",
        "check-jsonschema": _first_line([str(peers.check_jsonschema), "--version"]) if peers.check_jsonschema else "not available",
        "hyperfine": "not used: " + ("installed, but it cannot interleave two tools' runs" if shutil.which("hyperfine") else "not installed; time.perf_counter around subprocess.run"),
    }
    return found


def _first_line(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        return f"unknown ({error})"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def main() -> int:
    peers = ensure_peers()
    for problem in peers.problems:
        print(f"bench: {problem}", file=sys.stderr)
    for tool, version in versions(peers).items():
        print(f"{tool}: {version}")
    return 1 if peers.problems else 0


if __name__ == "__main__":
    sys.exit(main())
