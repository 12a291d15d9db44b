"""What every target shares: the run's plan (sizes, repetitions), scratch folders, and briefgen itself.

briefgen is being changed while this suite exists, so what it can do (`--jobs`, a `schema`
command) is detected from its `--help` on every run, never assumed.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from peers import Peers

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
BRIEFGEN = VENV_BIN / "briefgen"
PYTHON = VENV_BIN / "python"
WEASYPRINT = VENV_BIN / "weasyprint"
EXAMPLE = REPO / "briefs" / "us-china" / "2025-06-london.yaml"
PRINT_CSS = REPO / "templates" / "print.css"
STYLE_CSS = REPO / "templates" / "style.css"
PYCACHE = REPO / "bench" / ".cache" / "pycache"
COMMAND_TIMEOUT = 300.0
"""No command measured one at a time takes minutes: past this it is stopped, and its target fails."""


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions: --quick trades precision for a run of a few minutes."""

    quick: bool
    batch: int
    """Briefs in the batch targets (2 and 3)."""
    large: int
    """Fact sheets in the rebuild and validation targets (4 and 5)."""
    single_reps: int
    batch_passes: int
    chunks: int
    """Target 2's in-process comparison alternates the two tools over this many chunks of the batch."""
    validate_reps: int
    noop_reps: int
    change_reps: int
    help_reps: int
    cap_seconds: float
    """A rebuild that should take a fraction of a second is stopped after this long."""

    @classmethod
    def for_mode(cls, quick: bool) -> Plan:
        if quick:
            return cls(True, batch=10, large=40, single_reps=3, batch_passes=1, chunks=5, validate_reps=3,
                       noop_reps=3, change_reps=1, help_reps=20, cap_seconds=30.0)
        return cls(False, batch=50, large=200, single_reps=7, batch_passes=1, chunks=10, validate_reps=3,
                   noop_reps=5, change_reps=3, help_reps=20, cap_seconds=30.0)


@dataclass(frozen=True)
class Capabilities:
    jobs: bool
    schema_command: bool


@dataclass
class Bench:
    """The state one run threads through the targets."""

    plan: Plan
    peers: Peers
    capabilities: Capabilities
    scratch: Path
    corpus: list[Path]
    """The large corpus; the batch targets use its first `plan.batch` sheets."""
    single_brief_seconds: float | None = None
    """Target 1's median briefgen time: the 'one brief' that target 4's incremental rebuild is held to."""
    seed_out: Path | None = None
    """The last full build of the batch, reused to start target 4's first (untimed) build."""
    batch_inputs: Path | None = None
    """briefgen's Markdown and HTML of the batch: the peers' input in target 2."""

    @property
    def batch(self) -> list[Path]:
        return self.corpus[: self.plan.batch]

    def fresh_dir(self, prefix: str) -> Path:
        """A new empty folder in the scratch area: every cold build gets its own output folder."""
        return Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=self.scratch))


def tool_env() -> dict[str, str]:
    """The environment for measured commands, as on a user's machine.

    briefgen's venv comes first on PATH, so that pandoc's `--pdf-engine=weasyprint` finds the same
    WeasyPrint as briefgen. Python caches byte-code as it does by default (this sandbox sets
    PYTHONDONTWRITEBYTECODE, which would make every process recompile briefgen), but into
    bench/.cache/pycache, so that nothing is written into the repository outside bench/."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def detect_capabilities() -> Capabilities:
    top = _help([str(BRIEFGEN), "--help"])
    build = _help([str(BRIEFGEN), "build", "--help"])
    return Capabilities(
        jobs="--jobs" in build,
        schema_command=re.search(r"^\s+schema\b", top, flags=re.MULTILINE) is not None,
    )


def _help(args: list[str]) -> str:
    done = subprocess.run(args, capture_output=True, text=True, cwd=REPO, timeout=60)
    return done.stdout + done.stderr


def source_state() -> dict[str, int]:
    """briefgen's code and default templates, file by file (mtime): others may edit them while the
    bench runs, and a template change makes every briefing out of date, so a run must notice."""
    state: dict[str, int] = {}
    for path in [*(REPO / "briefgen").rglob("*.py"), *(REPO / "templates").rglob("*")]:
        try:
            state[str(path.relative_to(REPO))] = path.stat().st_mtime_ns
        except OSError:  # removed between listing and looking: it counts as changed
            continue
    return state


def changed_sources(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def build_args(paths: list[Path], out: Path, *extra: str) -> list[str]:
    """`briefgen build PATHS --out OUT [extra]`, with default formats and brief type unless `extra` says."""
    return [str(BRIEFGEN), "build", *map(str, paths), "--out", str(out), *extra]


def jobs_args(capabilities: Capabilities, jobs: int) -> list[str]:
    return ["--jobs", str(jobs)] if capabilities.jobs else []
