"""Timing and memory measurement: wall time of commands, interleaved cases, peak RSS of a process tree.

Why interleaving: this machine is shared and noisy, so absolute times drift from minute to
minute. Running the competing cases alternately (A B, then B A) lets a drift hit both alike, and
the ratio of their medians is what the benchmarks report.

Every command runs in a session of its own, so that stopping it (a cap, or a hang) stops its
worker processes too: the group is ended by its id, nothing else is touched.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.2
"""How often the process tree is sampled; VmHWM is a high-water mark, so only a worker's last moments can be missed."""
STALL_SECONDS = 20.0
"""A sampled build whose whole process tree uses no CPU for this long is hung: it is stopped and reported."""


class CommandFailed(RuntimeError):
    """A measured command exited non-zero: the measurement is void, and the reason is shown."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        tail = " | ".join(stderr.strip().splitlines()[-3:])
        super().__init__(f"`{Path(args[0]).name} {args[1] if len(args) > 1 else ''} …` exited {returncode}: {tail}")


class CommandTimedOut(RuntimeError):
    """A command ran past its cap: it was stopped, and the measurement says 'more than the cap'."""

    def __init__(self, seconds: float, stderr: str, why: str = "") -> None:
        super().__init__(why or f"stopped after {seconds:.0f} s")
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

    An exit status outside `accept` voids the measurement (CommandFailed); past `timeout` the
    command and its children are stopped (CommandTimedOut, with what it printed so far)."""
    start = time.perf_counter()
    process = _spawn(args, cwd, env)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise CommandTimedOut(time.perf_counter() - start, process.communicate()[1]) from None
    seconds = time.perf_counter() - start
    if process.returncode not in accept:
        raise CommandFailed(args, process.returncode, stderr)
    return Run(seconds, stderr, process.returncode)


def _spawn(args: Sequence[str], cwd: Path, env: Mapping[str, str] | None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        list(args), cwd=cwd, env=dict(env) if env else None, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    """End the command's own process group (its id is the command's pid), workers included."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


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
    cpu_ticks: dict[int, int] = field(default_factory=dict)
    stalled_after: float | None = None

    def workers(self) -> dict[int, float]:
        """Python descendants that did the work: not a helper (resource tracker) and not a parent of
        another Python descendant (a forkserver), whatever pool start method briefgen picks."""
        python = {pid for pid, name in self.names.items() if "python" in name}
        parents = {self.parents[pid] for pid in python if pid in self.parents}
        return {
            pid: peak for pid, peak in self.peaks.items()
            if pid in python and pid not in parents and "resource_tracker" not in self.names[pid]
        }


def run_sampling_memory(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stall_seconds: float = STALL_SECONDS,
    allow_stall: bool = False,
) -> tuple[Run, TreeMemory]:
    """Run `args`, timing it like `run_timed` while a thread samples VmHWM of it and its descendants.

    The sampler reads /proc (psutil is not in briefgen's venv, and the bench adds nothing to it).
    It also watches the tree's CPU time: a build that uses none for `stall_seconds` is hung (a
    deadlocked worker pool, say), so it is stopped instead of waited for. That raises
    CommandTimedOut, or with `allow_stall` returns with `memory.stalled_after` set, so a caller
    can still report what was sampled."""
    memory = TreeMemory()
    start = time.perf_counter()
    process = _spawn(args, cwd, env)
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(process, memory, stop, stall_seconds, start), daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    if memory.stalled_after is not None:
        if allow_stall:
            return Run(seconds, stderr, process.returncode), memory
        raise CommandTimedOut(seconds, stderr, stall_message(seconds, stall_seconds))
    if process.returncode != 0:
        raise CommandFailed(args, process.returncode, stderr)
    return Run(seconds, stderr), memory


def stall_message(seconds: float, stall_seconds: float = STALL_SECONDS) -> str:
    return f"hung: its processes used no CPU for {stall_seconds:.0f} s, so it was stopped after {seconds:.0f} s"


def _sample_tree(process: subprocess.Popen[str], memory: TreeMemory, stop: threading.Event, stall_seconds: float, start: float) -> None:
    last_cpu, last_progress = -1, time.perf_counter()
    while not stop.is_set():
        table = _process_table()
        tree = {process.pid: 0, **_descendants(process.pid, table)}
        for pid, parent in tree.items():
            peak = _vm_hwm_mib(pid)
            if peak is None:
                continue
            if pid == process.pid:
                memory.main_mib = max(memory.main_mib, peak)
            else:
                memory.peaks[pid] = max(memory.peaks.get(pid, 0.0), peak)
                memory.parents[pid] = parent
                memory.names.setdefault(pid, _cmdline(pid))
            memory.cpu_ticks[pid] = max(memory.cpu_ticks.get(pid, 0), table[pid][1] if pid in table else 0)
        cpu, now = sum(memory.cpu_ticks.values()), time.perf_counter()
        if cpu > last_cpu:
            last_cpu, last_progress = cpu, now
        elif now - last_progress > stall_seconds:
            memory.stalled_after = now - start
            _stop(process)
            return
        stop.wait(SAMPLE_SECONDS)


def _process_table() -> dict[int, tuple[int, int]]:
    """pid → (parent pid, CPU ticks used by it and its reaped children), from one pass over /proc."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces and parentheses: fields resume after the last ')'.
            fields = stat[stat.rfind(")") + 2 :].split()
            table[int(entry.name)] = (int(fields[1]), sum(int(value) for value in fields[11:15]))
    return table


def _descendants(root: int, table: dict[int, tuple[int, int]]) -> dict[int, int]:
    """pid → parent pid for every live descendant of `root`."""
    found: dict[int, int] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _) in table.items():
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
