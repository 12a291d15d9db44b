"""The workspace around the fact sheets: output folders are not sources, and git names any file."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from briefgen.cli import main
from briefgen.discover import find_fact_sheets
from briefgen.versioning import version_stamps

from .conftest import MINIMAL_SHEET


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=folder, check=True, capture_output=True, text=True
    ).stdout


def test_a_sheet_with_a_non_ascii_name_is_stamped_with_its_commit(tmp_path: Path) -> None:
    """git quotes 'genève.yaml' in its output unless told not to; the stamp must still be the commit."""
    sheet = tmp_path / "genève.yaml"
    sheet.write_text(MINIMAL_SHEET, encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    short = git(tmp_path, "log", "-1", "--format=%h %cs").split()
    assert version_stamps({sheet: sheet.read_bytes()}) == {sheet: f"{short[0]} ({short[1]})"}


@pytest.mark.parametrize("out", ["build", "published"])
def test_build_and_validate_dot_skip_output_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], out: str) -> None:
    """After a build, `build .` and `validate .` find the sources only, not the copies under OUT/site/."""
    (tmp_path / "briefs").mkdir()
    (tmp_path / "briefs" / "sheet.yaml").write_text(MINIMAL_SHEET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "briefs", "--out", out, "--format", "md"]) == 0
    assert list(Path(out, "site").rglob("*.yaml")), "the site offers the fact sheet"
    assert find_fact_sheets([Path(".")]) == [Path("briefs/sheet.yaml")]
    capsys.readouterr()
    assert main(["validate", "."]) == 0
    assert capsys.readouterr().out == "1 fact sheet(s) valid\n"
    assert main(["build", ".", "--out", out, "--format", "md"]) == 0


def test_a_named_output_folder_is_still_searched(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """Only folders below the one named are skipped: naming a folder means it."""
    sheet = write_sheet()
    (sheet.parent / ".briefgen-manifest.json").write_text("{}", encoding="utf-8")
    assert find_fact_sheets([sheet.parent]) == [sheet]
