"""Target 4: rebuilding a large tree, first with nothing changed, then with one figure changed.

A rebuild that should take a fraction of a second is stopped at the plan's cap: if briefgen
re-renders everything, the suite reports "more than the cap" instead of waiting many minutes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from corpus import RoundSpec, change_figure, spec_of
from report import MISS, NOT_AVAILABLE, PASS, Result, verdict
from timing import CommandTimedOut, median, run_sampling_memory, run_timed
from workspace import PYTHON, REPO, Bench, build_args, jobs_args, tool_env

NOOP_LIMIT_SECONDS = 0.1
CHANGE_LIMIT = 1.2
WATCHED_IMPORTS = ("weasyprint", "pydantic", "jinja2", "markdown")
FURTHER_REPS_UNDER_SECONDS = 5.0
"""Repeat a rebuild for a median only when one run is quick: a slow one already answers the target."""

FIRST_BUILD_RUN = 24
Snapshot = dict[str, tuple[int, int, int]]


@dataclass(frozen=True)
class Capped:
    """A timing that may have been stopped at the cap."""

    seconds: float
    stopped: bool

    def __str__(self) -> str:
        return f"> {self.seconds:.0f} s (stopped)" if self.stopped else f"{self.seconds:.3f} s"


def rebuild(bench: Bench) -> list[Result]:
    """4a no-op rebuild, 4b what it imports, 4c one changed sheet, 4d which files that rewrote."""
    n = len(bench.corpus)
    noop = Result("4a", f"no-op rebuild of {n} briefs, whole process", f"< {NOOP_LIMIT_SECONDS} s")
    imports = Result("4b", "WeasyPrint not imported by that no-op rebuild", "not imported")
    change = Result("4c", f"rebuild of {n} after one figure changed ÷ one brief (target 1)", f"≤ {CHANGE_LIMIT}×")
    rewritten = Result("4d", "files rewritten by that rebuild", "expected set")
    root = bench.scratch / "corpus"
    out = bench.seed_out or bench.fresh_dir("rebuild")
    seconds = _first_build(bench, out)
    seeded = f", starting from the {len(bench.batch)} briefs target 3 built" if bench.seed_out else ""
    noop.notes.append(f"first build of {n} sheets (not judged): {seconds:.0f} s{seeded}")
    startup: list[float] = []

    def noop_then_python() -> Capped:
        """The no-op rebuild, then a bare interpreter start for scale, so both see the same load."""
        run = _capped(bench, build_args([root], out))
        startup.append(run_timed([str(PYTHON), "-c", "pass"], cwd=REPO, env=tool_env(), timeout=bench.plan.cap_seconds).seconds)
        return run

    _judge_noop(noop, _repeat(noop_then_python, bench.plan.noop_reps), startup)
    _judge_imports(imports, bench, root, out)
    _judge_change(change, rewritten, bench, root, out)
    return [noop, imports, change, rewritten]


def _first_build(bench: Bench, out: Path) -> float:
    """Build the whole tree once (setup, not judged), on two workers in runs of at most
    FIRST_BUILD_RUN sheets: a pool of 2 that must replace a worker (more than 2 × 16 sheets) hangs
    on Python 3.11 (CPython gh-115634), and setup must not hang; target 3 reports that hang."""
    seconds = 0.0
    for start in range(0, len(bench.corpus), FIRST_BUILD_RUN):
        args = build_args(bench.corpus[start : start + FIRST_BUILD_RUN], out, *jobs_args(bench.capabilities, 2))
        seconds += run_sampling_memory(args, cwd=REPO, env=tool_env())[0].seconds
    return seconds


def _capped(bench: Bench, args: list[str]) -> Capped:
    try:
        return Capped(run_timed(args, cwd=REPO, env=tool_env(), timeout=bench.plan.cap_seconds).seconds, False)
    except CommandTimedOut as stopped:
        return Capped(stopped.seconds, True)


def _repeat(once: Callable[[], Capped], reps: int) -> list[Capped]:
    runs = [once()]
    while len(runs) < reps and not runs[0].stopped and runs[0].seconds < FURTHER_REPS_UNDER_SECONDS:
        runs.append(once())
    return runs


def _summary(runs: list[Capped]) -> Capped:
    if any(run.stopped for run in runs):
        return next(run for run in runs if run.stopped)
    return Capped(median([run.seconds for run in runs]), False)


def _judge_noop(result: Result, runs: list[Capped], startup: list[float]) -> None:
    summary = _summary(runs)
    result.measured = str(summary)
    result.status = MISS if summary.stopped else verdict(summary.seconds, NOOP_LIMIT_SECONDS, strict=True)
    result.notes.append(
        f"median of {len(runs)} run(s), default options (one worker per core); "
        f"`python -c pass` right after each, for scale: median {median(startup):.3f} s"
    )


def _judge_imports(result: Result, bench: Bench, root: Path, out: Path) -> None:
    """`python -X importtime -m briefgen build …` with nothing changed: which heavy packages load."""
    args = [str(PYTHON), "-X", "importtime", "-m", "briefgen", "build", str(root), "--out", str(out)]
    try:
        stderr = run_timed(args, cwd=REPO, env=tool_env(), timeout=bench.plan.cap_seconds).stderr
        stopped = ""
    except CommandTimedOut as timed_out:
        stderr, stopped = timed_out.stderr, f" (stopped after {timed_out.seconds:.0f} s)"
    loaded = sorted({match for match in re.findall(r"^import time:.*\|\s*([\w.]+)\s*$", stderr, re.MULTILINE)})
    top = {name.split(".")[0] for name in loaded}
    heavy = [name for name in WATCHED_IMPORTS if name in top]
    result.measured = "imported" if "weasyprint" in top else "not imported"
    result.status = MISS if "weasyprint" in top else PASS
    result.notes.append(f"{len(loaded)} modules imported{stopped}; of {', '.join(WATCHED_IMPORTS)}: {', '.join(heavy) or 'none'}")


def _judge_change(change: Result, rewritten: Result, bench: Bench, root: Path, out: Path) -> None:
    """Edit one figure of a sheet that is another round's previous round, rebuild, compare mtimes."""
    sheet = root / RoundSpec(1, 2).negotiation_id / RoundSpec(1, 2).file_name
    before = _snapshot(out)
    change_figure(sheet, 146)
    runs = [_capped(bench, build_args([root], out))]
    _classify(rewritten, sheet, _changed(before, _snapshot(out)), stopped=runs[0].stopped)
    for value in range(147, 147 + bench.plan.change_reps - 1):
        if runs[0].stopped or runs[0].seconds >= FURTHER_REPS_UNDER_SECONDS * 4:
            break
        change_figure(sheet, value)
        runs.append(_capped(bench, build_args([root], out)))
    summary = _summary(runs)
    one = bench.single_brief_seconds
    change.notes.append(f"changed {sheet.relative_to(root)} (a key figure's value), which the next round names as its previous; median of {len(runs)} edit(s): {summary}")
    if summary.stopped:
        change.measured, change.status = str(summary), MISS
    elif one is None:
        change.measured, change.status = f"{summary.seconds:.2f} s", NOT_AVAILABLE
        change.notes.append("target 1 did not give a time for one brief, so there is no ratio")
    else:
        ratio = summary.seconds / one
        change.measured, change.status = f"{ratio:.2f}×", verdict(ratio, CHANGE_LIMIT)
        change.notes.append(f"one brief (target 1's briefgen median) = {one:.2f} s")


def _snapshot(out: Path) -> Snapshot:
    """Every file below `out` with what changes when it is rewritten: mtime, inode, size."""
    snapshot: Snapshot = {}
    for path in out.rglob("*"):
        if path.is_file():
            stat = path.stat()
            snapshot[str(path.relative_to(out))] = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
    return snapshot


def _changed(before: Snapshot, after: Snapshot) -> dict[str, list[str]]:
    return {
        "rewritten": sorted(name for name in after if name in before and after[name] != before[name]),
        "new": sorted(name for name in after if name not in before),
        "removed": sorted(name for name in before if name not in after),
    }


def _classify(result: Result, sheet: Path, changes: dict[str, list[str]], *, stopped: bool) -> None:
    """Sort the touched files into: the sheet's outputs, the next round's, bookkeeping, site, others."""
    spec = spec_of(sheet)
    following = RoundSpec(spec.group, spec.number + 1)
    groups: dict[str, list[str]] = {"this sheet": [], "next round": [], "bookkeeping": [], "site/index": [], "other sheets": []}
    for name in [*changes["rewritten"], *changes["new"]]:
        groups[_kind(name, spec, following)].append(name)
    own = [name for name in groups["this sheet"] if Path(name).parent == Path(spec.negotiation_id)]
    expected_own = 3  # md, html and pdf of the full brief, beside which a site may keep copies
    ok = len(own) == expected_own and not groups["other sheets"] and not changes["removed"] and not stopped
    result.status = PASS if ok else MISS
    result.measured = f"{sum(len(files) for files in groups.values())} file(s)"
    for kind, files in groups.items():
        if files:
            result.notes.append(f"{kind}: {', '.join(files)}")
    if changes["removed"]:
        result.notes.append(f"removed: {', '.join(changes['removed'])}")
    if stopped:
        result.notes.append("the rebuild was stopped at the cap, so this list may be incomplete")
    if not groups["this sheet"]:
        result.notes.append("the changed sheet's own briefings were not rewritten")


def _kind(name: str, spec: RoundSpec, following: RoundSpec) -> str:
    """By file name, wherever it is (a site may keep its own copy of a briefing): hidden files are
    briefgen's bookkeeping, a round id names whose briefing it is, and anything else is the site."""
    base = Path(name).name
    if base.startswith("."):
        return "bookkeeping"
    if re.search(rf"-{spec.round_id}[.]", base):
        return "this sheet"
    if re.search(rf"-{following.round_id}[.]", base):
        return "next round"
    if re.search(r"-n\d+-r\d+[.]", base):
        return "other sheets"
    return "site/index"
