"""The command line: parse options, call one core function, turn errors into exit codes.

Logging policy: the library logs to the 'briefgen' logger and never prints; this module alone
decides what the user sees (errors on stderr, one line each; progress with --verbose).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import (
    EXIT_BUG,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    BriefgenError,
    InvalidFactSheets,
    Problem,
    Terminated,
    UsageError,
    printable,
)
from .progress import configure_logging

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing on the no-op rebuild's path
if TYPE_CHECKING:
    from .markings import ReleaseLimits

DEFAULT_BRIEFS = Path("briefs")
ISSUE_TRACKER = "the briefgen issue tracker"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefgen",
        description="Turn negotiation-round fact sheets (YAML) into dated, marked briefings.",
        epilog="Exit status: 0 success, 1 invalid fact sheet or failed briefing, 2 usage error, "
        "3 a problem with this machine (fonts, output folder), 70 a bug in briefgen.",
    )
    parser.add_argument("--version", action="version", version=f"briefgen {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback for internal errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check fact sheets and report every problem", description="Check fact sheets; report each problem as path:line:col: field: message, then warnings (stale facts, gaps).")
    _add_paths(validate)
    validate.add_argument("--format", choices=("text", "json", "github"), default="text", help="text for people, json for tools, github for workflow annotations (default: text)")
    validate.add_argument("--max-age", type=_positive, default=90, metavar="DAYS", help="warn about figures and sources older than DAYS at the meeting (default: 90)")
    validate.add_argument("--checks", default="freshness,completeness", metavar="LIST", help="which warnings to give: freshness, completeness, both (default), or none")
    validate.add_argument("--strict", action="store_true", help="fail on warnings too")

    diff = commands.add_parser("diff", help="what changed between two rounds, or since a git revision", description="Compare two fact sheets (OLD NEW), or each fact sheet with itself at a git revision (--since REV [PATH...]): issues, positions, figures, commitments, delegations.")
    diff.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="OLD NEW; with --since, fact sheets or folders (default: briefs/)")
    diff.add_argument("--since", metavar="REV", help="compare with the same files at this git revision, e.g. origin/main")
    diff.add_argument("--format", choices=("text", "markdown"), default="text", help="text for a terminal, markdown for a pull-request comment (default: text)")

    new = commands.add_parser("new", help="start the next round's fact sheet from the previous one", description="Copy what carries forward (parties, people, open issues, commitments, figures, sources) with its comments; leave round-specific fields for you to fill.")
    new.add_argument("previous", type=Path, metavar="PREVIOUS", help="the previous round's fact sheet")
    new.add_argument("target", type=Path, metavar="NEW", help="the new fact sheet to create (must not exist)")

    serve = commands.add_parser("serve", help="preview the site locally, rebuilding as you edit", description="Build, serve OUT/site on 127.0.0.1, and rebuild what changed whenever a fact sheet, template or stylesheet changes; the browser reloads by itself, and a validation error shows in the page and in the terminal.")
    _add_paths(serve)
    serve.add_argument("--out", type=Path, default=Path("build"), metavar="DIR", help="output folder (default: build)")
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0 picks a free one)")
    serve.add_argument("--templates", type=Path, metavar="DIR", help="workspace templates (default: ./templates if it exists)")
    serve.add_argument("--include-drafts", action="store_true", help="list drafts in the site too")

    schema = commands.add_parser("schema", help="write the fact sheet's JSON Schema, for editors and other tools", description="Print (or write) the JSON Schema generated from briefgen's own models.")
    schema.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of standard output")

    build = commands.add_parser("build", help="render briefings as Markdown, HTML and PDF", description="Render dated briefings from fact sheets into the output folder.")
    _add_paths(build)
    build.add_argument("--out", type=Path, default=Path("build"), metavar="DIR", help="output folder (default: build)")
    build.add_argument("--format", default="md,html,pdf", metavar="LIST", help="comma-separated formats among md, html, pdf (default: all three)")
    build.add_argument("--template", default="full", metavar="LIST", help="comma-separated brief types among full, onepager, talking-points, or a workspace template's name (default: full)")
    build.add_argument("--paper", choices=("a4", "letter"), default="a4", help="PDF paper size (default: a4)")
    build.add_argument("--archival", action="store_true", help="PDF/A-3b with the fact sheet attached, instead of PDF/UA-1")
    build.add_argument("--strict", action="store_true", help="treat warnings (such as characters no installed font covers) as errors")
    build.add_argument("--templates", type=Path, metavar="DIR", help="workspace templates that override the defaults by name (default: ./templates if it exists)")
    build.add_argument("--release-max", metavar="LIST", type=_release_limits, help="publish only what may be released: one highest marking per scheme, e.g. OFFICIAL,UNCLASSIFIED; portions above it are left out, and so are briefings marked above it (--strict: they fail the build)")
    build.add_argument("--include-drafts", action="store_true", help="list drafts in the site too (they are always built as files)")
    build.add_argument("--no-site", dest="site", action="store_false", help="do not write the static site (OUT/site)")
    build.add_argument("--max-age", type=_positive, default=90, metavar="DAYS", help="mark figures older than DAYS at the meeting as stale (default: 90)")
    build.add_argument("-j", "--jobs", type=_positive, metavar="N", help="worker processes (default: one per core)")
    build.add_argument("-v", "--verbose", action="store_true", help="list every file written, with per-brief timings")
    return parser


def _release_limits(text: str) -> ReleaseLimits:
    from .markings import ReleaseLimits

    try:
        return ReleaseLimits.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _add_paths(command: argparse.ArgumentParser) -> None:
    command.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="fact sheet files or folders (default: briefs/)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_OK if exit_.code in (0, None) else EXIT_USAGE
    if args.command != "build":  # a build configures logging when it has work to do (progress.py)
        configure_logging(verbose=False)
    with _terminate_as_exception() as received:
        code = _handled(args)
    # serve's file watcher turns any signal into KeyboardInterrupt and stops cleanly: still 143
    return EXIT_TERMINATED if received and code == EXIT_OK else code


@contextmanager
def _terminate_as_exception() -> Iterator[list[int]]:
    """SIGTERM raises Terminated while a command runs, instead of killing this process mid-write;
    the list yielded holds the signal once it has come."""
    import signal
    import threading

    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def terminate(signum: int, frame: object) -> None:
        received.append(signum)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _handled(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except InvalidFactSheets as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        files = len({problem.path for problem in error.problems})
        print(f"{len(error.problems)} problem(s) in {files} file(s)", file=sys.stderr)
        return EXIT_INVALID
    except BriefgenError as error:
        print(f"briefgen: {printable(error, lines=True)}", file=sys.stderr)
        return error.exit_code
    except (KeyboardInterrupt, Terminated) as stop:
        what = "interrupted" if isinstance(stop, KeyboardInterrupt) else "terminated"
        print(f"briefgen: {what}; files already written are complete and recorded, the rest were not written", file=sys.stderr)
        return EXIT_INTERRUPTED if isinstance(stop, KeyboardInterrupt) else EXIT_TERMINATED
    except Exception as error:  # noqa: BLE001 (a traceback is always a bug: say so in one line)
        if args.debug:
            import traceback

            traceback.print_exc()
        print(
            f"briefgen: internal error ({type(error).__name__}: {printable(error)}). This is a bug in briefgen; "
            f"please report it to {ISSUE_TRACKER} with the command and fact sheet. Rerun with --debug for a traceback.",
            file=sys.stderr,
        )
        return EXIT_BUG


def _validate(paths: list[Path], output: str, max_age_days: int, checks: tuple[str, ...], *, strict: bool) -> int:
    """Check sheet by sheet, keeping only the problems: 10,000 sheets need little more memory than ten."""
    from .checks import sheet_warnings
    from .loader import iter_load

    valid = 0
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for loaded, found in iter_load(paths):
        errors.extend(found)
        if loaded is not None:
            valid += 1
            warnings.extend(sheet_warnings(loaded, max_age_days, checks))
    if errors:
        warnings = []  # fix what is wrong first; what could be better can wait
    failed = bool(errors) or (strict and bool(warnings))
    if output == "json":
        import json

        report = {
            "valid": valid,
            "problems": [{**_as_dict(problem), "severity": "error"} for problem in sorted(errors)]
            + [{**_as_dict(problem), "severity": "warning"} for problem in sorted(warnings)],
        }
        print(_json_printable(json.dumps(report, ensure_ascii=False, indent=1)))
    elif output == "github":
        for severity, problems in (("error", errors), ("warning", warnings)):
            for problem in sorted(problems):
                print(_github_annotation(severity, problem))
    elif errors:
        raise InvalidFactSheets(errors)
    else:
        for problem in sorted(warnings):
            print(f"{printable(problem.path)}:{problem.line}:{problem.col}: warning: {printable(problem.field)}: {printable(problem.message)}", file=sys.stderr)
        if warnings:
            files = len({problem.path for problem in warnings})
            print(f"{len(warnings)} warning(s) in {files} file(s){' (--strict: failing)' if strict else ''}", file=sys.stderr)
        if not failed:
            print(f"{valid} fact sheet(s) valid")
    return EXIT_INVALID if failed else EXIT_OK


def _as_dict(problem: Problem) -> dict[str, object]:
    return {"path": str(problem.path), "line": problem.line, "col": problem.col, "field": problem.field, "message": problem.message}


def _json_printable(text: str) -> str:
    """JSON as json.dumps writes it, with the C1 and bidi controls it leaves raw written as escapes."""
    return re.sub("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", lambda match: f"\\u{ord(match.group()):04x}", text)


def _github_annotation(severity: str, problem: Problem) -> str:
    """A workflow command: GitHub shows it on the pull request's diff, at the line."""

    def escape(text: str, *, property_: bool = False) -> str:
        text = printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if property_ else text

    title = f"{problem.field}: {problem.message}" if problem.field else problem.message
    return f"::{severity} file={escape(str(problem.path), property_=True)},line={problem.line},col={problem.col}::{escape(title)}"


def _diff(paths: list[Path], since: str | None, output: str) -> int:
    from .compare import as_markdown, as_text, compare_revision, diff_sheets
    from .loader import load

    render = as_markdown if output == "markdown" else as_text
    if since is None:
        if len(paths) != 2:
            raise UsageError("diff needs two fact sheets, OLD and NEW (or --since REV)")
        old, new = load(paths)
        comparison, markings = diff_sheets(old.sheet, new.sheet)
        print(printable(render(comparison, old.sheet.round.title, new.sheet.round.title, markings=markings), lines=True), end="")
        return EXIT_OK
    results = compare_revision(since, paths or [DEFAULT_BRIEFS])
    shown = []
    for result in results:
        old_label = f"{result.was or result.path} at {since}"
        if result.comparison is None:
            shown.append(f"{result.path}: {result.note}" if output == "text" else f"## {result.path}\n\n{result.note}\n")
        elif output == "markdown" and (not result.comparison.is_empty or result.was is None):
            shown.append(as_markdown(result.comparison, old_label, str(result.path), level=2, markings=result.markings))
        elif not result.comparison.is_empty:
            shown.append(as_text(result.comparison, old_label, str(result.path), markings=result.markings))
        elif result.was is not None:
            renamed = f"renamed from {result.was} since {since}; no fact changed"
            shown.append(f"{result.path}: {renamed}" if output == "text" else f"## {result.path}\n\n{renamed.capitalize()}.\n")
    if output == "markdown":
        print(f"# Fact changes since {printable(since)}\n")
    for text in shown:
        print(printable(text, lines=True))
    if all(result.comparison is not None and result.comparison.is_empty and result.was is None for result in results):
        print(printable(f"No fact changed since {since}." if output == "text" else f"No fact changed since {since}.\n"), end="\n" if output == "text" else "")
    return EXIT_OK


def _new(previous: Path, target: Path) -> int:
    from .scaffold import scaffold_next_round

    todo = scaffold_next_round(previous, target)
    print(printable(f"wrote {target}, carried forward from {previous}"))
    if todo:
        print("left for you to fill in: " + ", ".join(todo))
        print(printable(f"then check it with: briefgen validate {target}"))
    return EXIT_OK


def _schema(out: Path | None) -> int:
    from .schema import schema_text, write_schema

    if out is None:
        print(schema_text(), end="")
    else:
        write_schema(out)
        print(printable(f"wrote {out}"), file=sys.stderr)
    return EXIT_OK


def _workspace_templates(given: Path | None) -> Path | None:
    """--templates DIR, else ./templates when the workspace has one."""
    if given is None:
        return Path("templates") if Path("templates").is_dir() else None
    if not given.is_dir():
        raise UsageError(f"--templates {given}: no such folder")
    return given


def _run(args: argparse.Namespace) -> int:
    if args.command == "schema":
        return _schema(args.out)
    if args.command == "new":
        return _new(args.previous, args.target)
    if args.command == "diff":
        return _diff(args.paths, args.since, args.format)
    paths = args.paths or [DEFAULT_BRIEFS]
    if args.command == "serve":
        from .pipeline import BuildOptions, default_jobs
        from .serve import serve

        templates = _workspace_templates(args.templates)
        options = BuildOptions(out_dir=args.out, workspace_templates=templates, include_drafts=args.include_drafts, jobs=default_jobs())
        return serve(paths, options, port=args.port)
    if args.command == "validate":
        checks = tuple(part.strip() for part in args.checks.split(",") if part.strip() and part.strip() != "none")
        from .checks import CHECKS

        if unknown := [check for check in checks if check not in CHECKS]:
            raise UsageError(f"unknown check {', '.join(unknown)}; choose from {', '.join(CHECKS)} or none")
        return _validate(paths, args.format, args.max_age, checks, strict=args.strict)
    from .pipeline import FORMATS, BuildOptions, build, default_jobs
    from .progress import BarProgress, reporter

    formats = tuple(dict.fromkeys(part.strip() for part in args.format.split(",") if part.strip()))
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown or not formats:
        print(f"briefgen: unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}", file=sys.stderr)
        return EXIT_USAGE
    templates = _workspace_templates(args.templates)
    brief_types = tuple(dict.fromkeys(part.strip() for part in args.template.split(",") if part.strip()))
    if not brief_types:
        print("briefgen: --template needs at least one brief type, e.g. full", file=sys.stderr)
        return EXIT_USAGE
    options = BuildOptions(
        out_dir=args.out,
        formats=formats,
        templates=brief_types,
        paper=args.paper,
        workspace_templates=templates,
        archival=args.archival,
        strict=args.strict,
        jobs=args.jobs or default_jobs(),
        max_age_days=args.max_age,
        release_max=args.release_max,
        site=args.site,
        include_drafts=args.include_drafts,
    )
    progress = reporter(verbose=args.verbose)
    try:
        result = build(paths, options, progress=progress)
    finally:
        if isinstance(progress, BarProgress):
            progress.close()
    for line in result.left_out:
        print(f"briefgen: {line}", file=sys.stderr)
    if result.removed:
        print(f"removed {len(result.removed)} file(s) no longer produced", file=sys.stderr)
    if not result.rebuilt:
        print(printable(f"nothing to do: all {len(result.unchanged)} file(s) in {args.out}/ are current"))
    else:
        print(printable(f"{len(result.written)} file(s) written, {len(result.unchanged)} unchanged, in {args.out}/"))
    return EXIT_OK
