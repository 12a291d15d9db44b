"""Timing and memory measurement: wall time of commands, interleaved cases, peak RSS of a process tree.

Why interleaving: this machine is shared and noisy, so absolute times drift from minute to
minute. Running the competing cases alternately (A B, then B A) lets a drift hit both alike, and
the ratio of their medians is what the benchmarks report.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.2
"""How often the process tree is sampled; VmHWM is a high-water mark, so only a worker's last moments can be missed."""


class CommandFailed(RuntimeError):
    """A measured command exited non-zero: the measurement is void, and the reason is shown."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        tail = " | ".join(stderr.strip().splitlines()[-3:])
        super().__init__(f"`{' '.join(args[:4])}{' …' if len(args) > 4 else ''}` exited {returncode}: {tail}")


class CommandTimedOut(RuntimeError):
    """A command ran past its cap: it was stopped, and the measurement says 'more than the cap'."""

    def __init__(self, seconds: float, stderr: str) -> None:
        super().__init__(f"stopped after {seconds:.0f} s")
        self.seconds = seconds
        self.stderr = stderr


@dataclass(frozen=True)
class Run:
    """One finished command: its wall time, what it printed on stderr, and its exit status."""

    seconds: float
    stderr: str
    returncode: int = 0


def run_timed(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    accept: tuple[int, ...] = (0,),
) -> Run:
    """Run `args` once and return its wall time; stdout is discarded so a terminal cannot slow it.

    An exit status outside `accept` voids the measurement (CommandFailed)."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            list(args), cwd=cwd, env=dict(env) if env else None, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired as expired:
        stderr = expired.stderr.decode(errors="replace") if isinstance(expired.stderr, bytes) else (expired.stderr or "")
        raise CommandTimedOut(time.perf_counter() - start, stderr) from None
    seconds = time.perf_counter() - start
    if done.returncode not in accept:
        raise CommandFailed(args, done.returncode, done.stderr)
    return Run(seconds, done.stderr, done.returncode)


def interleave(cases: Sequence[tuple[str, Callable[[], float]]], repetitions: int) -> dict[str, list[float]]:
    """Run every case once per repetition, in reverse order on odd repetitions (ABC, CBA, ABC …)."""
    samples: dict[str, list[float]] = {name: [] for name, _ in cases}
    for repetition in range(repetitions):
        ordered = cases if repetition % 2 == 0 else list(reversed(cases))
        for name, case in ordered:
            samples[name].append(case())
    return samples


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratio_of_medians(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    return median(numerator) / median(denominator)


@dataclass
class TreeMemory:
    """Peak resident memory (VmHWM, MiB) of a process and of each descendant seen while it ran."""

    main_mib: float = 0.0
    peaks: dict[int, float] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    parents: dict[int, int] = field(default_factory=dict)

    def workers(self) -> dict[int, float]:
        """Python descendants that did the work: not a helper (resource tracker) and not a parent of
        another Python descendant (a forkserver), whatever pool start method briefgen picks."""
        python = {pid for pid, name in self.names.items() if "python" in name}
        parents = {self.parents[pid] for pid in python if pid in self.parents}
        return {
            pid: peak for pid, peak in self.peaks.items()
            if pid in python and pid not in parents and "resource_tracker" not in self.names[pid]
        }


def run_sampling_memory(args: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None) -> tuple[Run, TreeMemory]:
    """Run `args`, timing it like `run_timed` while a thread samples VmHWM of it and its descendants.

    The sampler reads /proc (psutil is not in briefgen's venv, and the bench adds nothing to it)."""
    memory = TreeMemory()
    start = time.perf_counter()
    process = subprocess.Popen(
        list(args), cwd=cwd, env=dict(env) if env else None, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(process.pid, memory, stop), daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise CommandFailed(args, process.returncode, stderr)
    return Run(seconds, stderr), memory


def _sample_tree(root: int, memory: TreeMemory, stop: threading.Event) -> None:
    while not stop.is_set():
        main = _vm_hwm_mib(root)
        if main is not None:
            memory.main_mib = max(memory.main_mib, main)
        for pid, parent in _descendants(root).items():
            peak = _vm_hwm_mib(pid)
            if peak is None:
                continue
            memory.peaks[pid] = max(memory.peaks.get(pid, 0.0), peak)
            memory.parents[pid] = parent
            memory.names.setdefault(pid, _cmdline(pid))
        stop.wait(SAMPLE_SECONDS)


def _descendants(root: int) -> dict[int, int]:
    """pid → parent pid for every live descendant of `root` (one pass over /proc/*/stat)."""
    parent_of: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces and parentheses: fields resume after the last ')'.
            parent_of[int(entry.name)] = int(stat[stat.rfind(")") + 2 :].split()[1])
    found: dict[int, int] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parent_of.items():
            if ppid == parent and pid not in found:
                found[pid] = parent
                frontier.append(pid)
    return found


def _vm_hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
