"""The orchestrator: discover → skip what is current → validate → plan → render → write → record.

Reads top to bottom in `build()`. What is current is decided from the manifest before any
heavy import, so a rebuild with nothing to do never loads pydantic, Jinja or WeasyPrint.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import __version__
from .discover import find_fact_sheets, read_capped, real_paths, template_folders
from .errors import InvalidFactSheets, Problem, RenderError, UsageError
from .manifest import PENDING, Manifest, SheetRecord, Staleness, fingerprint, sha_of
from .markings import ReleaseLimits
from .versioning import repository_head, version_stamps
from .write import check_inside, output_name, prepare_output, release_output, remove_outputs

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing on the no-op rebuild's path
if TYPE_CHECKING:
    from typing import Any

    from .formats import RenderedSheet, SheetOutcome, SheetTask
    from .loader import LoadedSheet
    from .pdf import Drawn, Paper
    from .progress import Progress

FORMATS = ("md", "html", "pdf")
SITE_FOLDER = "site"
BRIEF_TYPES = ("full", "onepager", "talking-points")


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path = Path("build")
    formats: tuple[str, ...] = FORMATS
    templates: tuple[str, ...] = ("full",)
    paper: Paper = "a4"
    workspace_templates: Path | None = None
    archival: bool = False
    """PDF/A-3b with the fact sheet attached, instead of PDF/UA-1."""
    strict: bool = False
    """Warnings (uncovered characters) fail the build."""
    jobs: int = 1
    """Worker processes; 1 renders in this process."""
    max_age_days: int = 90
    """Figures older than this on the day the round starts are marked stale."""
    release_max: ReleaseLimits | str | None = None
    """Leave out every portion marked above its scheme's limit, and briefings marked above it."""
    site: bool = True
    """Also write the static site (out_dir/site) of every briefing built into out_dir."""
    include_drafts: bool = False
    """Publish drafts in the site too (they are always built as files)."""
    pdf_later: bool = False
    """Write every other file now and hand the PDFs back undrawn (BuildResult.deferred), for the
    caller to draw and give to write_deferred(): how `serve` shows an edit before its PDF is
    ready. Until then the manifest holds those PDFs as pending, so no build takes them for current."""

    def __post_init__(self) -> None:
        if isinstance(self.release_max, str):  # as the library's callers may write it
            object.__setattr__(self, "release_max", ReleaseLimits.parse(self.release_max))

    def output_key(self) -> dict[str, object]:
        """The options that change how outputs look (not which outputs, how fast, or where): turning
        the site or drafts in it off and on adds or removes files, and redraws no PDF."""
        return {key: value for key, value in asdict(self).items() if key in ("paper", "archival", "workspace_templates", "max_age_days", "release_max")}

    def outputs_for(self, summary: dict[str, Any]) -> dict[Path, tuple[str, str]]:
        """Every output path one sheet gets, with the (brief type, format) that makes it."""
        return {self.out_dir / name: made_by for name, made_by in self._output_names(summary).items()}

    def site_files_for(self, summary: dict[str, Any]) -> dict[Path, str]:
        """A sheet's files in the published site: its page, and the downloads offered there."""
        return {self.out_dir / name: kind for name, kind in self._site_names(summary).items()}

    def file_names_for(self, summary: dict[str, Any]) -> list[str]:
        """Every file one sheet gets, relative to the output folder: what a no-op rebuild checks."""
        return [*self._output_names(summary), *self._site_names(summary)]

    def _output_names(self, summary: dict[str, Any]) -> dict[str, tuple[str, str]]:
        return {
            output_name(summary["negotiation"], summary["as_of"], summary["round"], brief_type, fmt): (brief_type, fmt)
            for brief_type in self.templates
            for fmt in self.formats
        }

    def _site_names(self, summary: dict[str, Any]) -> dict[str, str]:
        """Drafts stay out of the site unless asked for; the fact sheet itself is not offered in
        a release build, since it holds what the release leaves out."""
        if not self.site or (summary["status"] == "draft" and not self.include_drafts):
            return {}

        def name(fmt: str) -> str:
            return f"{SITE_FOLDER}/{output_name(summary['negotiation'], summary['as_of'], summary['round'], 'full', fmt)}"

        files = {name("html"): "page"}
        if "full" in self.templates:
            files.update({name(fmt): fmt for fmt in ("pdf", "md") if fmt in self.formats})
        if self.release_max is None:
            files[name("yaml")] = "yaml"
        return files


@dataclass
class BuildResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    rebuilt: list[Path] = field(default_factory=list)
    """Fact sheets whose briefings were rendered (the others were current)."""
    timings: dict[Path, float] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)
    """One line per briefing a release left out (marked above its limit, or too little would remain)."""
    removed: list[Path] = field(default_factory=list)
    """Files briefgen wrote before that this build no longer produces, now deleted."""
    failures: list[str] = field(default_factory=list)
    """Products that could not be made (the one-pager whose must-haves overflow its page);
    every other file was written. build() raises a RenderError naming them at the end."""
    deferred: list[RenderedSheet] = field(default_factory=list)
    """With pdf_later: the sheets whose PDFs are still to be drawn, each with its jobs."""

    @property
    def outputs(self) -> list[Path]:
        return sorted([*self.written, *self.unchanged])


def build(
    paths: Iterable[Path],
    options: BuildOptions = BuildOptions(),
    progress: Progress | None = None,
) -> BuildResult:
    """Build every briefing for the fact sheets in `paths`; nothing is written unless all are valid.

    Briefings whose inputs have not changed since the last build into the same folder are
    left alone. `progress` hears how many sheets will be rendered, then about each one done.
    """
    if options.archival and options.release_max:
        raise UsageError("--archival attaches the whole fact sheet to each PDF, so it cannot be combined with --release-max")
    sheet_paths = find_fact_sheets(paths)
    raws = {path: read_capped(path) for path in sheet_paths}
    manifest = Manifest.read(options.out_dir, fingerprint(__version__, options.output_key(), template_folders(options.workspace_templates)))
    _check_same_kind(manifest, options)
    real = real_paths(sheet_paths)
    staleness = _stale_sheets(manifest, raws, real, options)
    stale = staleness.rebuild
    result = BuildResult()
    if stale:
        _rebuild(sorted(stale), raws, manifest, options, result, progress)
    for names in staleness.current.values():
        result.unchanged.extend(options.out_dir / name for name in names)
    outdated = _outdated(manifest, {str(real[path]): names for path, names in staleness.current.items()})
    site_gone: list[str] = []
    if options.site and (stale or outdated or not (options.out_dir / SITE_FOLDER / "index.html").is_file()):
        from .site import write_site_index

        gone = [*outdated, *(path.relative_to(options.out_dir).as_posix() for path in result.removed)]
        rebuilt = {str(manifest.sheets[str(real[path])].summary["negotiation"]) for path in stale if str(real[path]) in manifest.sheets}
        changed = rebuilt | {_negotiation_of(name) for name in gone}
        written, site_files = write_site_index(options, manifest, changed if manifest.found else None)
        result.written.extend(written)
        site_gone = [name for name in manifest.site if name not in site_files]
        manifest.site = site_files
    elif not options.site:
        site_gone, manifest.site = manifest.site, []
    if outdated or site_gone:
        result.removed.extend(remove_outputs(options.out_dir, [*outdated, *site_gone]))
    if stale or outdated or site_gone or not manifest.found:
        manifest.release = str(options.release_max) if options.release_max else None
        manifest.write()
    if result.failures:
        raise RenderError("\n".join(result.failures) + f"\n(every other file was written: {len(result.written)} written, {len(result.unchanged)} unchanged)")
    return result


def _negotiation_of(name: str) -> str:
    """The negotiation folder an output belongs to: 'n1/x.md' and 'site/n1/x.html' -> 'n1'."""
    parts = name.split("/")
    return parts[1] if parts[0] == SITE_FOLDER and len(parts) > 2 else parts[0]


def _check_same_kind(manifest: Manifest, options: BuildOptions) -> None:
    """A release never goes into a folder of complete briefings, nor the other way round:
    copying that folder would publish what the release leaves out."""
    release = str(options.release_max) if options.release_max else None
    if not manifest.found or manifest.release == release:
        return
    held = f"a release at {manifest.release}" if manifest.release else "complete briefings"
    wanted = f"a release at {release}" if release else "complete briefings"
    raise UsageError(
        f"{options.out_dir} holds {held}; build {wanted} into a folder of its own "
        f"(e.g. --out {options.out_dir / 'release'}) or delete {options.out_dir} first"
    )


def _outdated(manifest: Manifest, current: dict[str, list[str]]) -> list[str]:
    """Files on record that nothing produces any more: those of sheets deleted or renamed, and
    those a current sheet no longer gets (a draft's site page, a brief type not asked for)."""
    gone = []
    for sheet in list(manifest.sheets):
        if sheet in current:
            gone += manifest.outdated(sheet, current[sheet])
        elif not os.path.isfile(sheet):
            gone += manifest.forget(sheet)
    return gone


def _stale_sheets(manifest: Manifest, raws: dict[Path, bytes], real: dict[Path, Path], options: BuildOptions) -> Staleness:
    """What to rebuild; sheets whose HEAD moved are rebuilt only if git gives them a new stamp."""
    staleness = manifest.stale(raws, real, options.file_names_for, pending_ok=options.pdf_later)
    if staleness.restamp:
        stamps = version_stamps({path: raws[path] for path in staleness.restamp})
        for path in staleness.restamp:
            record = manifest.sheets[str(real[path])]
            if stamps[path] != record.stamp:
                staleness.rebuild.add(path)
                del staleness.current[path]
            else:
                record.head = repository_head(path)
        if staleness.restamp - staleness.rebuild:
            manifest.write()
    return staleness


def _rebuild(
    stale: list[Path],
    raws: dict[Path, bytes],
    manifest: Manifest,
    options: BuildOptions,
    result: BuildResult,
    progress: Progress | None,
) -> None:
    import logging

    from .formats import render_sheet
    from .loader import load  # validation: only for sheets that changed
    from .worker import pdf_drawer

    # Started before validation, so that the workers import WeasyPrint while this process works.
    pdf_count = len(stale) * len(options.templates) if "pdf" in options.formats and not options.pdf_later else 0
    with pdf_drawer(options.jobs, pdf_count) as drawer:
        sheets = {loaded.path: loaded for loaded in load(stale)}
        limits = _release_limits(sheets, options, manifest, result) if options.release_max else {}
        sheets = {path: loaded for path, loaded in sheets.items() if not options.release_max or path in limits}
        tasks = _plan(sheets, manifest, options, version_stamps({path: raws[path] for path in sheets}), limits)
        prepare_output(options.out_dir)
        if progress:
            progress.start(len(tasks))
        rendered = (render_sheet(sheets[path], task, options) for path, task in tasks.items())
        try:
            for sheet, pdfs in ((sheet, {}) for sheet in rendered) if options.pdf_later else drawer.draw_all(rendered):
                outcome = _write_sheet(sheet, pdfs, later=options.pdf_later)
                for warning in outcome.warnings:
                    logging.getLogger(__name__).warning("warning: %s", warning)
                loaded, task = sheets[outcome.path], tasks[outcome.path]
                record = _record(loaded, task, sheet.banner)
                gone = manifest.record(loaded.path, record, [*outcome.written, *outcome.unchanged])
                if options.pdf_later and sheet.pdf_jobs:
                    pending = [path.relative_to(options.out_dir).as_posix() for path in pending_pdfs(sheet)]
                    record.outputs.update({name: list(PENDING) for name in pending})  # stale for any other build
                    gone = [name for name in gone if name not in pending]  # the old PDF stays until the new one replaces it
                    result.deferred.append(sheet)
                result.removed.extend(remove_outputs(options.out_dir, gone))
                result.written.extend(outcome.written)
                result.unchanged.extend(outcome.unchanged)
                result.failures.extend(sheet.failures)
                result.rebuilt.append(outcome.path)
                result.timings[outcome.path] = outcome.seconds
                if progress:
                    progress.done(outcome)
        except BaseException:
            manifest.write()  # what was finished stays recorded, even if a later sheet failed
            raise
        finally:
            release_output(options.out_dir)


def _write_sheet(sheet: RenderedSheet, pdfs: dict[Path, Drawn], *, later: bool = False) -> SheetOutcome:
    """Write all of one sheet's files at once: a failure before this leaves its earlier files whole.
    `later`: every file but the PDFs, a page-limited product showing everything, as without a PDF."""
    from .formats import SheetOutcome
    from .write import write_atomic

    outcome = SheetOutcome(sheet.path, seconds=sheet.seconds, warnings=sheet.warnings)
    if later:
        files = {**sheet.files, **{path: output(0) for path, (_, output, _) in sheet.fitted.items()}}
        files.update({copy: files[original] for copy, original in sheet.copies.items() if original in files})
    else:
        files = sheet.complete(pdfs)
    for path, content in files.items():
        (outcome.written if write_atomic(path, content) else outcome.unchanged).append(path)
    return outcome


def pending_pdfs(sheet: RenderedSheet) -> list[Path]:
    """The files of `sheet` that wait for its PDFs: the PDFs and their copies in the site."""
    return [*sheet.pdf_jobs, *(copy for copy, original in sheet.copies.items() if original in sheet.pdf_jobs)]


def write_deferred(options: BuildOptions, sheet: RenderedSheet, pdfs: dict[Path, Drawn]) -> BuildResult:
    """Write the PDFs a pdf_later build left to draw, with what follows them (a fitted one-pager's
    HTML and Markdown, the site's copies), and record them as current. The caller makes sure no
    newer build of the sheet came in between; a sheet no longer on record is left alone."""
    manifest = Manifest.read(options.out_dir, fingerprint(__version__, options.output_key(), template_folders(options.workspace_templates)))
    record = manifest.sheets.get(str(sheet.path.resolve()))
    result = BuildResult()
    if record is None:
        return result
    prepare_output(options.out_dir)
    try:
        outcome = _write_sheet(sheet, pdfs)
        for path in [*outcome.written, *outcome.unchanged]:
            stat = path.stat()
            record.outputs[path.relative_to(options.out_dir).as_posix()] = [stat.st_size, stat.st_mtime_ns]
        manifest.write()
    finally:
        release_output(options.out_dir)
    result.written, result.unchanged, result.failures = outcome.written, outcome.unchanged, sheet.failures
    return result


def _release_limits(sheets: dict[Path, LoadedSheet], options: BuildOptions, manifest: Manifest, result: BuildResult) -> dict[Path, str]:
    """Each sheet's release limit, in its own scheme. A sheet whose scheme has no limit is a
    usage error; a briefing that cannot be released at its limit is left out, with one line
    saying why (and its earlier files removed), unless --strict makes that a failure."""
    from .portions import NotReleasable, labelled, release

    limits: dict[Path, str] = {}
    unlimited: list[str] = []
    wanted = options.release_max
    assert isinstance(wanted, ReleaseLimits)  # BuildOptions parses text
    for path, loaded in sheets.items():
        markings = [marking for _, marking in loaded.sheet.markings()]
        found = wanted.for_markings(markings)
        if found is None:
            unlimited.append(f"{path}: {wanted.missing_for(markings)}")
            continue
        try:
            release(labelled(loaded.sheet), found[1], str(path))
        except NotReleasable as error:
            result.left_out.append(f"left out of this release: {error}")
            result.removed.extend(remove_outputs(options.out_dir, manifest.forget(str(path.resolve()))))
            continue
        limits[path] = found[1]
    if unlimited:
        raise UsageError("\n".join(unlimited))
    if options.strict and result.left_out:
        raise NotReleasable("\n".join(result.left_out) + "\n(--strict: a briefing left out of a release fails the build)")
    return limits


def _plan(
    sheets: dict[Path, LoadedSheet], manifest: Manifest, options: BuildOptions, stamps: dict[Path, str], limits: dict[Path, str]
) -> dict[Path, SheetTask]:
    """Every output of every sheet to rebuild; two sheets that would write one file are an error."""
    from .formats import SheetTask

    claimed: dict[str, str] = {}  # output, relative to the output folder → the sheet that writes it
    rebuilding = {str(path.resolve()) for path in sheets}
    for sheet_path, record in manifest.sheets.items():
        if sheet_path not in rebuilding and os.path.isfile(sheet_path):
            claimed.update(dict.fromkeys(record.outputs, sheet_path))
    tasks: dict[Path, SheetTask] = {}
    clashes: list[Problem] = []
    for path, loaded in sheets.items():
        real = str(path.resolve())
        summary = _summary(loaded)
        outputs = options.outputs_for(summary)
        site_files = options.site_files_for(summary)
        for target in [*outputs, *site_files]:
            check_inside(options.out_dir, target)
            name = target.relative_to(options.out_dir).as_posix()
            other = claimed.get(name)
            if other is not None and other != real:
                clashes.append(Problem(path, 1, 1, "round.id", f"would write {target}, as {other} does; give one of them another round id or as-of date"))
            claimed[name] = real
        tasks[path] = SheetTask(path, stamps[path], summary, outputs, limits.get(path), site_files, manifest.fingerprint)
    if clashes:
        raise InvalidFactSheets(clashes)
    return tasks


def _record(loaded: LoadedSheet, task: SheetTask, banner: str) -> SheetRecord:
    """The sheet's record, listed under the banner its published page was printed with."""
    previous = loaded.previous
    return SheetRecord(
        sha=sha_of(loaded.raw),
        previous=str(previous.path.resolve()) if previous else None,
        previous_sha=sha_of(previous.raw) if previous else None,
        head=repository_head(loaded.path),
        stamp=task.stamp,
        summary={**task.summary, "marking": banner},
    )


def _summary(loaded: LoadedSheet) -> dict[str, Any]:
    """What the site and the next build need to know of a sheet without loading it again (its
    marking, as printed on its page, is added once the page is rendered)."""
    from .logistics import meeting_place

    sheet = loaded.sheet
    place = meeting_place(sheet.round)
    return {
        "negotiation": sheet.negotiation.id,
        "negotiation_title": sheet.negotiation.title,
        "round": sheet.round.id,
        "round_title": sheet.round.title,
        "number": sheet.round.number,
        "start": sheet.round.start.isoformat(),
        "end": sheet.round.end.isoformat(),
        "city": sheet.round.city,
        "country": sheet.round.country,
        "place": place[:1].upper() + place[1:],
        "as_of": sheet.briefing.as_of.isoformat(),
        "marking": sheet.briefing.marking,
        "status": sheet.briefing.status,
    }


def default_jobs() -> int:
    return os.cpu_count() or 1
