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
from report import ERROR, Result, failed, format_table, markdown_section, rewrite_readme
from workspace import BRIEFGEN, REPO, Bench, Plan, detect_capabilities, tool_env

ORDER = ("1", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "4d", "5", "6")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    plan = Plan.for_mode(args.quick)
    started = time.perf_counter()
    peers = ensure_peers()
    scratch = Path(tempfile.mkdtemp(prefix="briefgen-bench-"))
    try:
        corpus = make_corpus(scratch / "corpus", plan.large)
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
    print(f"\nbench: {time.perf_counter() - started:.0f} s in all")
    if not args.no_readme:
        _write_readme(results, peers_versions=versions(peers), quick=plan.quick, problems=peers.problems)
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
    done = subprocess.run([str(BRIEFGEN), "validate", str(root)], cwd=REPO, env=tool_env(), capture_output=True, text=True)
    if done.returncode != 0:
        return done.stderr.strip()[-2000:]
    if str(n) not in done.stdout:
        return f"briefgen validate said {done.stdout.strip()!r}, expected {n} valid fact sheets"
    return None


def run_targets(bench: Bench) -> list[Result]:
    """Cheapest first; then 1 (whose time is target 4's 'one brief'), 2–3 (whose last build seeds 4), 4."""
    steps: list[tuple[str, Callable[[Bench], Result | list[Result]], list[Result]]] = [
        ("6  --help", help_time, [Result("6", "briefgen --help", "")]),
        ("5  validate vs check-jsonschema", validate, [Result("5", "briefgen validate", "")]),
        ("1  one brief vs weasyprint", cold_single, [Result("1", "one brief", "")]),
        ("2a/3  batch vs pandoc, --jobs 2", batch_and_parallel, [Result("2a", "batch sequential", ""), Result("3a", "--jobs 2", "")]),
        ("2b  in-process vs WeasyPrint", in_process, [Result("2b", "in-process", "")]),
        ("4  rebuilds", rebuild, [Result("4", "rebuilds", "")]),
    ]
    results: list[Result] = []
    for label, step, placeholders in steps:
        _say(f"target {label} …")
        started = time.perf_counter()
        try:
            outcome = step(bench)
            results.extend(outcome if isinstance(outcome, list) else [outcome])
        except Exception as error:  # one broken target must not void the others
            results.extend(failed(placeholder, error) for placeholder in placeholders)
        _say(f"  done in {time.perf_counter() - started:.0f} s")
    return results


def _write_readme(results: list[Result], *, peers_versions: dict[str, str], quick: bool, problems: tuple[str, ...]) -> None:
    date = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    command = ".venv/bin/python bench/run.py" + (" --quick" if quick else "")
    mode = "quick: 10-brief batch, 40-sheet tree, fewer repetitions" if quick else "full: 50-brief batch, 200-sheet tree"
    section = markdown_section(results, date=date, nproc=nproc, mode=mode, versions=peers_versions, command=command)
    if problems:
        section += "\nPeers that could not be installed: " + "; ".join(problems) + "\n"
    rewrite_readme(section)
    _say(f"results written to {Path('bench/README.md')}")


def _say(message: str) -> None:
    print(f"bench: {message}", flush=True)


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
