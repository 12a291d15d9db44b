"""Incremental and parallel builds: what is current is skipped, what depends on a change is redone."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from briefgen import BuildOptions, build
from briefgen.worker import PDFS_PER_WORKER

from .conftest import EXAMPLES, MINIMAL_SHEET


def many_sheets(folder: Path, count: int) -> list[Path]:
    """`count` valid sheets, each its own round, so each writes its own files."""
    folder.mkdir(parents=True)
    paths = []
    for number in range(1, count + 1):
        path = folder / f"round-{number:03d}.yaml"
        path.write_text(MINIMAL_SHEET.replace("  id: first", f"  id: round-{number:03d}").replace("  number: 1", f"  number: {number}"), encoding="utf-8")
        paths.append(path)
    return paths


def test_worker_pool_survives_replacing_its_workers(tmp_path: Path) -> None:
    """With more PDFs than workers draw before they are replaced, --jobs 2 still finishes (no deadlock)."""
    count = (2 * PDFS_PER_WORKER + 8) // 3 + 1  # three brief types: three PDFs per sheet
    many_sheets(tmp_path / "briefs", count)
    result = subprocess.run(
        [sys.executable, "-m", "briefgen", "build", str(tmp_path / "briefs"), "--out", str(tmp_path / "out"), "--format", "pdf",
         "--template", "full,onepager,talking-points", "--no-site", "--jobs", "2"],
        capture_output=True, text=True, timeout=400, check=False,
    )
    assert result.returncode == 0, result.stderr
    pdfs = list((tmp_path / "out" / "test-talks").glob("*.pdf"))
    assert len(pdfs) == 3 * count > 2 * PDFS_PER_WORKER
    assert all(path.read_bytes().startswith(b"%PDF-") for path in pdfs)


def test_two_workers_write_the_same_bytes_as_one(tmp_path: Path) -> None:
    """Parallel builds are as reproducible as sequential ones."""
    build([EXAMPLES], BuildOptions(out_dir=tmp_path / "one", jobs=1))
    build([EXAMPLES], BuildOptions(out_dir=tmp_path / "two", jobs=2))
    for path in (tmp_path / "one").rglob("*.*"):
        if not path.name.startswith("."):
            assert (tmp_path / "two" / path.relative_to(tmp_path / "one")).read_bytes() == path.read_bytes(), path.name


def test_noop_rebuild_loads_no_heavy_library(examples_copy: Path, tmp_path: Path) -> None:
    """With nothing changed, a rebuild writes nothing and imports neither WeasyPrint, pydantic nor Jinja."""
    out = tmp_path / "out"
    build([examples_copy], BuildOptions(out_dir=out))
    script = (
        "import sys; from pathlib import Path; from briefgen.cli import main\n"
        f"code = main(['build', {str(examples_copy)!r}, '--out', {str(out)!r}])\n"
        "print(sorted(m for m in ('weasyprint', 'pydantic', 'jinja2', 'markdown') if m in sys.modules), code)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert result.stdout.splitlines()[-1] == "[] 0"
    assert "nothing to do" in result.stdout


def written_sheets(out: Path, paths: list[Path], options: Callable[[], BuildOptions]) -> set[str]:
    return {path.name for path in build(paths, options()).rebuilt}


def test_a_changed_sheet_rebuilds_itself_and_the_round_after_it(examples_copy: Path, tmp_path: Path) -> None:
    """Geneva changed: Geneva and London (whose 'what changed' compares with Geneva) are redone; London alone: only London."""
    out = tmp_path / "out"

    def options() -> BuildOptions:
        return BuildOptions(out_dir=out, formats=("md",))

    geneva, london = examples_copy / "2025-05-geneva.yaml", examples_copy / "2025-06-london.yaml"
    assert written_sheets(out, [examples_copy], options) == {geneva.name, london.name}
    london.write_text(london.read_text(encoding="utf-8").replace("value: 4.8\n", "value: 4.9\n"), encoding="utf-8")
    assert written_sheets(out, [examples_copy], options) == {london.name}
    geneva.write_text(geneva.read_text(encoding="utf-8").replace("title: Geneva round", "title: Geneva talks"), encoding="utf-8")
    assert written_sheets(out, [examples_copy], options) == {geneva.name, london.name}
    london_md = (out / "us-china-trade" / "2025-06-09-london.md").read_text(encoding="utf-8")
    assert "Since the Geneva talks" in london_md
    assert written_sheets(out, [examples_copy], options) == set()


def test_a_touched_output_or_a_template_change_is_noticed(examples_copy: Path, tmp_path: Path) -> None:
    """An output edited by hand is rebuilt; a changed workspace template rebuilds everything it renders."""
    out, templates = tmp_path / "out", tmp_path / "templates"
    templates.mkdir()

    def options() -> BuildOptions:
        return BuildOptions(out_dir=out, formats=("md",), workspace_templates=templates, site=False)

    build([examples_copy], options())
    (out / "us-china-trade" / "2025-06-09-london.md").write_text("edited by hand\n", encoding="utf-8")
    assert written_sheets(out, [examples_copy], options) == {"2025-06-london.yaml"}
    (templates / "full.md").write_text("{{ b.title }}\n", encoding="utf-8")
    assert written_sheets(out, [examples_copy], options) == {"2025-05-geneva.yaml", "2025-06-london.yaml"}
    assert (out / "us-china-trade" / "2025-06-09-london.md").read_text(encoding="utf-8") == "US–China trade talks: London round\n"


def test_manifest_records_what_each_output_was_made_from(examples_copy: Path, tmp_path: Path) -> None:
    """The manifest names each sheet's content hash, its previous round and every output with its size."""
    build([examples_copy], BuildOptions(out_dir=tmp_path, formats=("md",), site=False))
    manifest = json.loads((tmp_path / ".briefgen-manifest.json").read_text(encoding="utf-8"))
    london = manifest["sheets"][str((examples_copy / "2025-06-london.yaml").resolve())]
    assert london["previous"] == str((examples_copy / "2025-05-geneva.yaml").resolve())
    assert set(london["outputs"]) == {"us-china-trade/2025-06-09-london.md"}


@pytest.mark.parametrize("count", [300])
def test_validate_keeps_memory_flat_however_many_sheets(tmp_path: Path, count: int) -> None:
    """Validating many sheets keeps only problems, not sheets: peak memory for 300 is close to that for 100."""
    paths = many_sheets(tmp_path / "briefs", count)
    script = (
        "import sys, tracemalloc; from pathlib import Path; from briefgen.loader import iter_load\n"
        "tracemalloc.start()\n"
        "for loaded, problems in iter_load([Path(p) for p in sys.argv[1:]]): pass\n"
        "print(tracemalloc.get_traced_memory()[1])\n"
    )
    def peak(sheets: list[Path]) -> int:
        return int(subprocess.run([sys.executable, "-c", script, *map(str, sheets)], capture_output=True, text=True, check=True).stdout)
    assert peak(paths) < 1.25 * peak(paths[:100])


def test_waiting_for_a_pdf_outlasts_the_render_limit() -> None:
    """The pool gives up on a worker only after several PDFs' worth of the render limit: never first."""
    from briefgen.pdf import MAX_RENDER_SECONDS
    from briefgen.worker import RESULT_TIMEOUT

    assert RESULT_TIMEOUT >= 2 * MAX_RENDER_SECONDS
