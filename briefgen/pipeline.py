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
from .errors import InvalidFactSheets, Problem, UsageError
from .manifest import Manifest, SheetRecord, Staleness, fingerprint, sha_of
from .versioning import repository_head, version_stamps
from .write import check_inside, output_name, prepare_output, release_output

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing on the no-op rebuild's path
if TYPE_CHECKING:
    from typing import Any

    from .formats import RenderedSheet, SheetOutcome, SheetTask
    from .loader import LoadedSheet
    from .pdf import Paper
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
    release_max: str | None = None
    """Leave out every portion marked above this, and refuse briefings marked above it."""
    site: bool = True
    """Also write the static site (out_dir/site) of every briefing built into out_dir."""
    include_drafts: bool = False
    """Publish drafts in the site too (they are always built as files)."""

    def output_key(self) -> dict[str, object]:
        """The options that change how every output looks (not which outputs, how fast, or where)."""
        return {key: value for key, value in asdict(self).items() if key in ("paper", "archival", "workspace_templates", "max_age_days", "release_max", "site", "include_drafts")}

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
    staleness = _stale_sheets(manifest, raws, real_paths(sheet_paths), options)
    stale = staleness.rebuild
    result = BuildResult()
    if stale:
        _rebuild(sorted(stale), raws, manifest, options, result, progress)
    for names in staleness.current.values():
        result.unchanged.extend(options.out_dir / name for name in names)
    if options.site and (stale or not (options.out_dir / SITE_FOLDER / "index.html").is_file()):
        from .site import write_site_index

        result.written.extend(write_site_index(options, manifest))
    return result


def _stale_sheets(manifest: Manifest, raws: dict[Path, bytes], real: dict[Path, Path], options: BuildOptions) -> Staleness:
    """What to rebuild; sheets whose HEAD moved are rebuilt only if git gives them a new stamp."""
    staleness = manifest.stale(raws, real, options.file_names_for)
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
    pdf_count = len(stale) * len(options.templates) if "pdf" in options.formats else 0
    with pdf_drawer(options.jobs, pdf_count) as drawer:
        sheets = {loaded.path: loaded for loaded in load(stale)}
        if options.release_max:
            _check_releasable(list(sheets.values()), options.release_max)
        tasks = _plan(sheets, manifest, options, version_stamps({path: raws[path] for path in stale}))
        prepare_output(options.out_dir)
        if progress:
            progress.start(len(tasks))
        rendered = (render_sheet(sheets[path], task, options) for path, task in tasks.items())
        try:
            for sheet, pdfs in drawer.draw_all(rendered):
                outcome = _write_sheet(sheet, pdfs)
                for warning in outcome.warnings:
                    logging.getLogger(__name__).warning("warning: %s", warning)
                loaded, task = sheets[outcome.path], tasks[outcome.path]
                manifest.record(loaded.path, _record(loaded, task), [*outcome.written, *outcome.unchanged])
                result.written.extend(outcome.written)
                result.unchanged.extend(outcome.unchanged)
                result.rebuilt.append(outcome.path)
                result.timings[outcome.path] = outcome.seconds
                if progress:
                    progress.done(outcome)
        finally:
            manifest.write()  # what was finished stays recorded, even if a later sheet failed
            release_output(options.out_dir)


def _write_sheet(sheet: RenderedSheet, pdfs: dict[Path, bytes]) -> SheetOutcome:
    """Write all of one sheet's files at once: a failure before this leaves its earlier files whole."""
    from .formats import SheetOutcome
    from .write import write_atomic

    outcome = SheetOutcome(sheet.path, seconds=sheet.seconds, warnings=sheet.warnings)
    for path, content in sheet.complete(pdfs).items():
        (outcome.written if write_atomic(path, content) else outcome.unchanged).append(path)
    return outcome


def _check_releasable(sheets: list[LoadedSheet], limit: str) -> None:
    """Refuse, before anything is written, every briefing that may not be released at `limit`."""
    from .release import NotReleasable, release

    refused = []
    for loaded in sheets:
        try:
            release(loaded.sheet, limit, str(loaded.path))
        except NotReleasable as error:
            refused.append(str(error))
    if refused:
        raise NotReleasable("\n".join(refused))


def _plan(sheets: dict[Path, LoadedSheet], manifest: Manifest, options: BuildOptions, stamps: dict[Path, str]) -> dict[Path, SheetTask]:
    """Every output of every sheet to rebuild; two sheets that would write one file are an error."""
    from .formats import SheetTask

    claimed: dict[Path, Path] = {}
    rebuilding = {path.resolve() for path in sheets}
    for sheet_path, record in manifest.sheets.items():
        if Path(sheet_path) not in rebuilding and Path(sheet_path).is_file():
            claimed.update({options.out_dir / relative: Path(sheet_path) for relative in record.outputs})
    tasks: dict[Path, SheetTask] = {}
    clashes: list[Problem] = []
    for path, loaded in sheets.items():
        real = path.resolve()
        summary = _summary(loaded, options.release_max)
        outputs = options.outputs_for(summary)
        site_files = options.site_files_for(summary)
        for target in [*outputs, *site_files]:
            check_inside(options.out_dir, target)
            other = claimed.get(target)
            if other is not None and other != real:
                clashes.append(Problem(path, 1, 1, "round.id", f"would write {target}, as {other} does; give one of them another round id or as-of date"))
            claimed[target] = real
        tasks[path] = SheetTask(path, stamps[path], summary, outputs, site_files, manifest.fingerprint)
    if clashes:
        raise InvalidFactSheets(clashes)
    return tasks


def _record(loaded: LoadedSheet, task: SheetTask) -> SheetRecord:
    previous = loaded.previous
    return SheetRecord(
        sha=sha_of(loaded.raw),
        previous=str(previous.path.resolve()) if previous else None,
        previous_sha=sha_of(previous.raw) if previous else None,
        head=repository_head(loaded.path),
        stamp=task.stamp,
        summary=task.summary,
    )


def _summary(loaded: LoadedSheet, release_max: str | None) -> dict[str, Any]:
    """What the site and the next build need to know of a sheet without loading it again."""
    from .release import banner, release

    sheet = loaded.sheet
    shown = release(sheet, release_max, str(loaded.path)) if release_max else sheet
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
        "as_of": sheet.briefing.as_of.isoformat(),
        "marking": banner(shown),
        "status": sheet.briefing.status,
    }


def default_jobs() -> int:
    return os.cpu_count() or 1
