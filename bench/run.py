"""Run every briefgen benchmark and print ratios against its peers, measured in the same run.

Usage (from the repository root):

    .venv/bin/python bench/run.py [--quick] [--no-readme] [--keep]

Installs the missing peers (pandoc, check-jsonschema in bench/.peers/), generates a corpus of
fact sheets in a scratch folder, checks that briefgen accepts all of them, runs the targets,
prints the table and rewrites the generated part of bench/README.md. The exit status is 0 when
every target could be measured (whatever it measured: these are benchmarks, not tests), 1 when
a target could not be measured, 2 when the corpus is not valid.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from build_targets import batch_and_parallel, cold_single, in_process
from cli_targets import help_time, validate
from corpus import generate
from peers import ensure_peers, versions
from rebuild_target import rebuild
from serve_target import serve_session
from report import ERROR, Result, failed, format_table, markdown_section, rewrite_readme
from workspace import BRIEFGEN, COMMAND_TIMEOUT, REPO, Bench, Plan, changed_sources, detect_capabilities, source_state, tool_env

TITLES = {
    "1": "one brief cold vs weasyprint CLI",
    "2a": "batch sequential vs pandoc loop",
    "2b": "per brief in-process vs WeasyPrint",
    "3a": "--jobs 2 vs --jobs 1",
    "3b": "peak RSS per worker",
    "4a": "no-op rebuild",
    "4b": "WeasyPrint not imported by the no-op rebuild",
    "4c": "rebuild after one change vs one brief",
    "4d": "files rewritten after one change",
    "5": "validate vs check-jsonschema",
    "6": "briefgen --help",
    "7a": "serve: save to served page",
    "7b": "serve page vs warm one-sheet HTML build",
    "7c": "serve: save to new PDF, none stale",
    "7d": "serve: peak memory",
}
"""Short names for the rows of targets that could not run (the targets name their own rows)."""
ORDER = tuple(TITLES)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    plan = Plan.for_mode(args.quick)
    started, load_before = time.perf_counter(), load_average()
    peers = ensure_peers()
    scratch = Path(tempfile.mkdtemp(prefix="briefgen-bench-"))
    try:
        try:
            corpus = make_corpus(scratch / "corpus", plan.large)
        except (ValueError, OSError, subprocess.CalledProcessError) as error:
            print(f"bench: could not generate the corpus, nothing was measured: {error}", file=sys.stderr)
            return 2
        problem = check_corpus(scratch / "corpus", len(corpus))
        if problem:
            print(f"bench: the generated corpus is not valid, nothing was measured:\n{problem}", file=sys.stderr)
            return 2
        bench = Bench(plan, peers, detect_capabilities(), scratch, corpus)
        _say(f"{'quick' if plan.quick else 'full'} run: {plan.batch}-brief batch, {plan.large}-sheet tree, scratch {scratch}")
        results = run_targets(bench)
    finally:
        if args.keep:
            print(f"bench: scratch kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    results.sort(key=lambda result: ORDER.index(result.key) if result.key in ORDER else len(ORDER))
    print()
    print(format_table(results))
    load = f"{load_before} at the start, {load_average()} at the end"
    print(f"\nbench: {time.perf_counter() - started:.0f} s in all; load average {load} (other work on this machine skews --jobs 2 most)")
    if not args.no_readme:
        _write_readme(results, peers_versions=versions(peers), plan=plan, problems=peers.problems, load=load)
    return 1 if any(result.status == ERROR for result in results) else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Benchmark briefgen against WeasyPrint, pandoc and check-jsonschema.")
    parser.add_argument("--quick", action="store_true", help="10-brief batch, 40-sheet tree, fewer repetitions (a few minutes)")
    parser.add_argument("--no-readme", action="store_true", help="print the results only; leave bench/README.md alone")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (corpus, outputs) for inspection")
    return parser


def make_corpus(dest: Path, n: int) -> list[Path]:
    """Generate the fact sheets and commit them to a git repository of their own, as fact sheets
    are kept in practice: briefgen stamps each briefing with its sheet's last commit, and that
    lookup is part of what a user waits for."""
    paths = generate(dest, n)
    if shutil.which("git"):
        identity = ["-c", "user.name=briefgen bench", "-c", "user.email=bench@invalid"]
        for command in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "bench corpus"]):
            subprocess.run(["git", *command], cwd=dest, check=True, capture_output=True)
    return paths


def check_corpus(root: Path, n: int) -> str | None:
    """Every generated sheet must pass `briefgen validate`: a corpus briefgen rejects measures nothing."""
    done = subprocess.run(
        [str(BRIEFGEN), "validate", str(root)], cwd=REPO, env=tool_env(), capture_output=True, text=True, timeout=COMMAND_TIMEOUT
    )
    if done.returncode != 0:
        return done.stderr.strip()[-2000:]
    if str(n) not in done.stdout:
        return f"briefgen validate said {done.stdout.strip()!r}, expected {n} valid fact sheets"
    return None


def run_targets(bench: Bench) -> list[Result]:
    """Cheapest first; then 1 (whose time is target 4's 'one brief'), 2–3 (whose last build seeds 4), 4, 7."""
    steps: list[tuple[str, Callable[[Bench], Result | list[Result]], list[str]]] = [
        ("6  --help", help_time, ["6"]),
        ("5  validate vs check-jsonschema", validate, ["5"]),
        ("1  one brief vs weasyprint", cold_single, ["1"]),
        ("2a/3  batch vs pandoc, --jobs 2", batch_and_parallel, ["2a", "3a", "3b"]),
        ("2b  in-process vs WeasyPrint", in_process, ["2b"]),
        ("4  rebuilds", rebuild, ["4a", "4b", "4c", "4d"]),
        ("7  serve session", serve_session, ["7a", "7b", "7c", "7d"]),
    ]
    results: list[Result] = []
    for label, step, keys in steps:
        _say(f"target {label} …")
        started, sources = time.perf_counter(), source_state()
        try:
            outcome = step(bench)
            rows = outcome if isinstance(outcome, list) else [outcome]
        except Exception as error:  # one broken target must not void the others
            rows = [failed(Result(key, TITLES[key], ""), error) for key in keys]
        edited = changed_sources(sources, source_state())
        if edited:
            _say(f"  warning: briefgen changed while this target ran ({', '.join(edited[:5])}): its results mix versions")
            for row in rows:
                row.notes.append(f"briefgen's code or templates changed while this ran ({', '.join(edited[:5])}): the numbers mix versions")
        results.extend(rows)
        _say(f"  done in {time.perf_counter() - started:.0f} s")
    return results


def load_average() -> str:
    """The machine's 1, 5 and 15-minute load averages: how much else was running beside the bench."""
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def _write_readme(results: list[Result], *, peers_versions: dict[str, str], plan: Plan, problems: tuple[str, ...], load: str) -> None:
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    command = ".venv/bin/python bench/run.py" + (" --quick" if plan.quick else "")
    mode = f"{'quick' if plan.quick else 'full'}: {plan.batch}-brief batch, {plan.large}-sheet tree"
    section = markdown_section(results, date=date, nproc=nproc, load=load, mode=mode, versions=peers_versions, command=command)
    if problems:
        section += "\nPeers that could not be installed: " + "; ".join(problems) + "\n"
    rewrite_readme(section)
    _say(f"results written to {Path('bench/README.md')}")


def _say(message: str) -> None:
    print(f"bench: {message}", flush=True)


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
