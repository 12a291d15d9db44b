"""The command line: parse options, call one core function, turn errors into exit codes.

Logging policy: the library logs to the 'briefgen' logger and never prints; this module alone
decides what the user sees (errors on stderr, one line each; progress with --verbose).
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import EXIT_BUG, EXIT_INVALID, EXIT_OK, EXIT_USAGE, BriefgenError, InvalidFactSheets, Problem

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

    validate = commands.add_parser("validate", help="check fact sheets and report every problem", description="Check fact sheets; report each problem as path:line:col: field: message.")
    _add_paths(validate)

    build = commands.add_parser("build", help="render briefings as Markdown, HTML and PDF", description="Render dated briefings from fact sheets into the output folder.")
    _add_paths(build)
    build.add_argument("--out", type=Path, default=Path("build"), metavar="DIR", help="output folder (default: build)")
    build.add_argument("--format", default="md,html,pdf", metavar="LIST", help="comma-separated formats among md, html, pdf (default: all three)")
    build.add_argument("--template", default="full", metavar="LIST", help="comma-separated brief types among full, onepager, talking-points, or a workspace template's name (default: full)")
    build.add_argument("--paper", choices=("a4", "letter"), default="a4", help="PDF paper size (default: a4)")
    build.add_argument("--archival", action="store_true", help="PDF/A-3b with the fact sheet attached, instead of PDF/UA-1")
    build.add_argument("--strict", action="store_true", help="treat warnings (such as characters no installed font covers) as errors")
    build.add_argument("--templates", type=Path, metavar="DIR", help="workspace templates that override the defaults by name (default: ./templates if it exists)")
    build.add_argument("-j", "--jobs", type=_positive, metavar="N", help="worker processes (default: one per core)")
    build.add_argument("-v", "--verbose", action="store_true", help="list every file written, with per-brief timings")
    return parser


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
    _configure_logging(verbose=getattr(args, "verbose", False))
    try:
        return _run(args)
    except InvalidFactSheets as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        files = len({problem.path for problem in error.problems})
        print(f"{len(error.problems)} problem(s) in {files} file(s)", file=sys.stderr)
        return EXIT_INVALID
    except BriefgenError as error:
        print(f"briefgen: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("briefgen: interrupted; files already written are complete, the rest were not started", file=sys.stderr)
        return 130
    except Exception as error:  # a traceback is always a bug: say so in one line
        if args.debug:
            traceback.print_exc()
        print(
            f"briefgen: internal error ({type(error).__name__}: {error}). This is a bug in briefgen; "
            f"please report it to {ISSUE_TRACKER} with the command and fact sheet. Rerun with --debug for a traceback.",
            file=sys.stderr,
        )
        return EXIT_BUG


def _validate(paths: list[Path]) -> int:
    """Check sheet by sheet, keeping only the problems: 10,000 sheets need little more memory than ten."""
    from .loader import iter_load

    valid = 0
    problems: list[Problem] = []
    for loaded, found in iter_load(paths):
        valid += loaded is not None
        problems.extend(found)
    if problems:
        raise InvalidFactSheets(problems)
    print(f"{valid} fact sheet(s) valid")
    return EXIT_OK


def _configure_logging(*, verbose: bool) -> None:
    """briefgen's own log on stderr; WeasyPrint's progress chatter stays off (its errors fail the build)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("briefgen")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _run(args: argparse.Namespace) -> int:
    paths = args.paths or [DEFAULT_BRIEFS]
    if args.command == "validate":
        return _validate(paths)
    from .pipeline import FORMATS, BuildOptions, build, default_jobs
    from .progress import BarProgress, reporter

    formats = tuple(dict.fromkeys(part.strip() for part in args.format.split(",") if part.strip()))
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown or not formats:
        print(f"briefgen: unknown format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}", file=sys.stderr)
        return EXIT_USAGE
    templates = args.templates
    if templates is None and Path("templates").is_dir():
        templates = Path("templates")
    if templates is not None and not templates.is_dir():
        print(f"briefgen: --templates {templates}: no such folder", file=sys.stderr)
        return EXIT_USAGE
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
    )
    progress = reporter(verbose=args.verbose)
    try:
        result = build(paths, options, progress=progress)
    finally:
        if isinstance(progress, BarProgress):
            progress.close()
    if not result.rebuilt:
        print(f"nothing to do: all {len(result.unchanged)} file(s) in {args.out}/ are current")
    else:
        print(f"{len(result.written)} file(s) written, {len(result.unchanged)} unchanged, in {args.out}/")
    return EXIT_OK
