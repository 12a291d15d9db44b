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
from dataclasses import asdict, dataclass, field
from pathlib import Path

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing on the no-op rebuild's path
if TYPE_CHECKING:
    from typing import Any

from .versioning import folder_head

MANIFEST_NAME = ".briefgen-manifest.json"
FORMAT = 1


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
    out_dir: Path
    fingerprint: str
    sheets: dict[str, SheetRecord] = field(default_factory=dict)

    @classmethod
    def read(cls, out_dir: Path, fingerprint: str) -> Manifest:
        """The manifest in `out_dir`, or an empty one if it is missing, unreadable or for other inputs."""
        try:
            data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("fingerprint") != fingerprint:
                return cls(out_dir, fingerprint)
            sheets = {path: SheetRecord(**record) for path, record in data["sheets"].items()}
        except (OSError, ValueError, TypeError, KeyError):
            return cls(out_dir, fingerprint)
        return cls(out_dir, fingerprint, sheets)

    def write(self) -> None:
        from .write import write_atomic

        data = {
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "sheets": {path: asdict(record) for path, record in sorted(self.sheets.items())},
        }
        write_atomic(self.out_dir / MANIFEST_NAME, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())

    def stale(
        self, raws: dict[Path, bytes], real: dict[Path, Path], wanted: Callable[[dict[str, Any]], list[str]]
    ) -> Staleness:
        """Which sheets must be rebuilt, which need their stamp checked with git, and which are current.

        A sheet is rebuilt if it is new, changed, its previous round changed, or an output it
        should have (`wanted`, from its recorded summary) is missing or was touched. If only
        the repository's HEAD moved, its stamp may have changed: the caller asks git and
        rebuilds only if it did.
        """
        staleness = Staleness()
        shas = {real[path]: sha_of(raw) for path, raw in raws.items()}
        heads: dict[Path, str | None] = {}  # by folder: read HEAD once, not once per sheet
        for path in raws:
            record = self.sheets.get(str(real[path]))
            names = wanted(record.summary) if record is not None else []
            if record is None or record.sha != shas[real[path]] or not self._outputs_intact(record, names) or record.previous is not None and _current_sha(Path(record.previous), shas) != record.previous_sha:
                staleness.rebuild.add(path)
                continue
            staleness.current[path] = names
            folder = real[path].parent
            if folder not in heads:
                heads[folder] = folder_head(folder)
            if heads[folder] != record.head:
                staleness.restamp.add(path)
        return staleness

    def _outputs_intact(self, record: SheetRecord, wanted: list[str]) -> bool:
        """Every file in `wanted` (relative to the output folder) is as it was written."""
        folder = str(self.out_dir)
        for relative in wanted:
            if relative not in record.outputs:
                return False
            size, mtime_ns = record.outputs[relative]
            try:
                stat = os.stat(os.path.join(folder, relative))
            except OSError:
                return False
            if (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
                return False
        return True

    def record(self, path: Path, record: SheetRecord, outputs: list[Path]) -> None:
        """Note what `path`'s outputs were built from; outputs of other brief types stay on record
        while the sheet is unchanged, so switching --template does not redo them."""
        previous = self.sheets.get(str(path.resolve()))
        if previous is not None and previous.sha == record.sha:
            record.outputs.update(previous.outputs)
        for output in outputs:
            stat = output.stat()
            record.outputs[output.relative_to(self.out_dir).as_posix()] = [stat.st_size, stat.st_mtime_ns]
        self.sheets[str(path.resolve())] = record


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
