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
                       noop_reps=3, change_reps=1, help_reps=20, cap_seconds=30)
        return cls(False, batch=50, large=200, single_reps=5, batch_passes=1, chunks=5, validate_reps=5,
                   noop_reps=5, change_reps=3, help_reps=20, cap_seconds=60)


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
    """The environment for measured commands: briefgen's venv first on PATH, so that pandoc's
    `--pdf-engine=weasyprint` finds the same WeasyPrint as briefgen."""
    return {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


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


def build_args(paths: list[Path], out: Path, *extra: str) -> list[str]:
    """`briefgen build PATHS --out OUT [extra]`, with default formats and brief type unless `extra` says."""
    return [str(BRIEFGEN), "build", *map(str, paths), "--out", str(out), *extra]


def jobs_args(capabilities: Capabilities, jobs: int) -> list[str]:
    return ["--jobs", str(jobs)] if capabilities.jobs else []
