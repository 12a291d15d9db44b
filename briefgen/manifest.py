"""The build manifest: what each output was made from, so unchanged work is never redone.

An output is current when everything it depends on is as it was when it was written: the
fact sheet's bytes, its previous round's bytes, the templates and stylesheets, briefgen's
version, the build options, and the version stamp. The manifest records a fingerprint of
each, plus the size and modification time of every output, so a no-op rebuild is a matter of
hashing a few files and calling stat(): no parsing, no validation, no WeasyPrint. Standard
library only, for the same reason.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing on the no-op rebuild's path
if TYPE_CHECKING:
    from typing import Any

from .versioning import folder_head

MANIFEST_NAME = ".briefgen-manifest.json"
FORMAT = 2
PENDING = [-1, -1]
"""The [size, mtime] of an output left to draw later (BuildOptions.pdf_later): never intact."""


@dataclass
class SheetRecord:
    """What one fact sheet's outputs were last built from, and what they were."""

    sha: str
    previous: str | None
    previous_sha: str | None
    head: str | None
    stamp: str
    outputs: dict[str, list[int]] = field(default_factory=dict)
    """Output path (relative to the output folder) → [size, mtime_ns] when written."""
    summary: dict[str, Any] = field(default_factory=dict)
    """Facts about the sheet the build needs without loading it (ids, dates, title, marking)."""


@dataclass
class Staleness:
    rebuild: set[Path] = field(default_factory=set)
    restamp: set[Path] = field(default_factory=set)
    """Current but for the version stamp, which only git can tell: HEAD moved since their build."""
    current: dict[Path, list[str]] = field(default_factory=dict)
    """Sheets not to rebuild (unless their stamp changed) → their files, relative to the output folder."""


@dataclass
class Manifest:
    """What briefgen wrote into one output folder, and from what: every file it owns is listed
    here, so a build can remove what it wrote before and no longer produces, and nothing else."""

    out_dir: Path
    fingerprint: str
    sheets: dict[str, SheetRecord] = field(default_factory=dict)
    site: list[str] = field(default_factory=list)
    """The site's own pages (index, negotiation pages, feeds), relative to the output folder."""
    release: str | None = None
    """The release limits the folder was built with; None for complete briefings."""
    found: bool = False
    """Whether the folder held a manifest: then it holds briefgen's files, complete or released."""

    @classmethod
    def read(cls, out_dir: Path, fingerprint: str) -> Manifest:
        """The manifest in `out_dir` (an empty one if it is missing or unreadable). Built for
        other inputs, its records are kept, for the files they list, but are all out of date."""
        try:
            data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return cls(out_dir, fingerprint)
            sheets = {path: SheetRecord(**record) for path, record in data["sheets"].items()}
            if data.get("fingerprint") != fingerprint:
                for record in sheets.values():
                    record.sha = ""
            return cls(out_dir, fingerprint, sheets, list(data.get("site", [])), data.get("release"), found=True)
        except (OSError, ValueError, TypeError, KeyError):
            return cls(out_dir, fingerprint)

    def write(self) -> None:
        from .write import write_atomic

        data = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "release": self.release,
            "site": sorted(self.site),
            "sheets": {path: vars(record) for path, record in sorted(self.sheets.items())},  # fields of plain values
        }
        write_atomic(self.out_dir / MANIFEST_NAME, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())

    def stale(
        self, raws: dict[Path, bytes], real: dict[Path, Path], wanted: Callable[[dict[str, Any]], list[str]], *, pending_ok: bool = False
    ) -> Staleness:
        """Which sheets must be rebuilt, which need their stamp checked with git, and which are current.

        A sheet is rebuilt if it is new, changed, its previous round changed, or an output it
        should have (`wanted`, from its recorded summary) is missing or was touched. If only
        the repository's HEAD moved, its stamp may have changed: the caller asks git and
        rebuilds only if it did. `pending_ok`: an output still to be drawn (PENDING) is no reason.
        """
        staleness = Staleness()
        shas = {real[path]: sha_of(raw) for path, raw in raws.items()}
        heads: dict[Path, str | None] = {}  # by folder: read HEAD once, not once per sheet
        for path in raws:
            record = self.sheets.get(str(real[path]))
            names = wanted(record.summary) if record is not None else []
            if record is None or record.sha != shas[real[path]] or not self._outputs_intact(record, names, pending_ok) or record.previous is not None and _current_sha(Path(record.previous), shas) != record.previous_sha:
                staleness.rebuild.add(path)
                continue
            staleness.current[path] = names
            folder = real[path].parent
            if folder not in heads:
                heads[folder] = folder_head(folder)
            if heads[folder] != record.head:
                staleness.restamp.add(path)
        return staleness

    def _outputs_intact(self, record: SheetRecord, wanted: list[str], pending_ok: bool = False) -> bool:
        """Every file in `wanted` (relative to the output folder) is as it was written."""
        folder = str(self.out_dir)
        for relative in wanted:
            if relative not in record.outputs:
                return False
            size, mtime_ns = record.outputs[relative]
            if pending_ok and [size, mtime_ns] == PENDING:
                continue
            try:
                stat = os.stat(os.path.join(folder, relative))
            except OSError:
                return False
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
                return False
        return True

    def record(self, path: Path, record: SheetRecord, outputs: list[Path]) -> list[str]:
        """Note what `path`'s outputs were built from; return the files it had before and no
        longer has (a brief type no longer asked for, a site page of a briefing now a draft)."""
        previous = self.sheets.get(str(path.resolve()))
        for output in outputs:
            stat = output.stat()
            record.outputs[output.relative_to(self.out_dir).as_posix()] = [stat.st_size, stat.st_mtime_ns]
        self.sheets[str(path.resolve())] = record
        return [name for name in (previous.outputs if previous else {}) if name not in record.outputs]

    def forget(self, sheet: str) -> list[str]:
        """Drop a sheet's record (deleted, renamed, left out of a release); return its files."""
        record = self.sheets.pop(sheet, None)
        return list(record.outputs) if record else []

    def outdated(self, sheet: str, wanted: list[str]) -> list[str]:
        """Drop from a current sheet's record the files the build no longer produces; return them."""
        record = self.sheets[sheet]
        gone = [name for name in record.outputs if name not in wanted]
        for name in gone:
            del record.outputs[name]
        return gone


def fingerprint(version: str, options: dict[str, Any], template_folders: list[Path]) -> str:
    """One hash of everything every output depends on: briefgen, the options, every template file."""
    digest = hashlib.sha256(json.dumps({"version": version, "options": options}, sort_keys=True, default=str).encode())
    for folder in template_folders:
        for file in sorted(folder.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(file.relative_to(folder).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def sha_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _current_sha(path: Path, known: dict[Path, str]) -> str | None:
    if path in known:
        return known[path]
    try:
        return sha_of(path.read_bytes())
    except OSError:
        return None
