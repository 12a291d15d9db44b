"""The version-control workflow through the command line: diff, new, schema, validate formats, pre-commit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from briefgen.cli import main
from briefgen.schema import schema_text

from .conftest import EXAMPLES, GENEVA, LONDON, MINIMAL_SHEET, REPO

SCHEMA = REPO / "schema" / "fact-sheet.schema.json"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_committed_schema_is_the_generated_one() -> None:
    """schema/fact-sheet.schema.json is what `briefgen schema` writes today (regenerate it if this fails)."""
    assert SCHEMA.read_text(encoding="utf-8") == schema_text()


def test_examples_point_editors_at_the_schema() -> None:
    """Each example starts with the yaml-language-server modeline, and it names the committed schema."""
    for sheet in EXAMPLES.glob("*.yaml"):
        first = sheet.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        assert (sheet.parent / first.split("$schema=")[1]).resolve() == SCHEMA


def test_schema_command_prints_or_writes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`briefgen schema` prints JSON Schema; --out writes the same text to a file."""
    code, out, _ = run(capsys, "schema")
    assert code == 0 and json.loads(out)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert run(capsys, "schema", "--out", str(tmp_path / "s.json"))[0] == 0
    assert (tmp_path / "s.json").read_text(encoding="utf-8") == out


def test_diff_of_two_rounds_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    """`briefgen diff OLD NEW` lists what a reader expects from Geneva to London, as text and Markdown."""
    code, out, _ = run(capsys, "diff", str(GENEVA), str(LONDON))
    assert code == 0
    assert "+ visas" in out and "- fentanyl" in out and "priority        medium -> high" in out
    code, out, _ = run(capsys, "diff", "--format", "markdown", str(GENEVA), str(LONDON))
    assert code == 0 and "- Added: Visa limits for Chinese students and scholars (`visas`)" in out


def test_diff_needs_two_sheets(capsys: pytest.CaptureFixture[str]) -> None:
    """One path without --since is a usage error."""
    assert run(capsys, "diff", str(LONDON))[0] == 2


def test_diff_since_a_revision_reports_the_changed_figure_only(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """In a real repository, changing one figure shows that figure, its delta and nothing else."""
    briefs, _ = _repository_of_examples(tmp_path, monkeypatch)
    london = briefs / "2025-06-london.yaml"
    london.write_text(london.read_text(encoding="utf-8").replace("value: 4.8\n", "value: 5.1\n"), encoding="utf-8")
    code, out, _ = run(capsys, "diff", "--since", "HEAD", "--format", "markdown")
    assert code == 0
    assert "cn-exports-may-yoy" in out and "+4.8%" in out and "+5.1%" in out and "+0.3 pp" in out
    for other in ("Issues", "Commitments", "Delegation"):
        assert f"### {other}" not in out
    code, out, _ = run(capsys, "diff", "--since", "HEAD", "briefs/us-china/2025-05-geneva.yaml")
    assert (code, out) == (0, "No fact changed since HEAD.\n")
    assert run(capsys, "diff", "--since", "no-such-revision")[0] == 2


def test_new_round_from_london(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`briefgen new` writes the next round's sheet and says exactly what is left to fill in."""
    briefs = tmp_path / "us-china"
    shutil.copytree(EXAMPLES, briefs)
    target = briefs / "2025-07-next.yaml"
    code, out, _ = run(capsys, "new", str(briefs / "2025-06-london.yaml"), str(target))
    assert code == 0 and "left for you to fill in: round.id" in out
    assert "previous_round: 2025-06-london.yaml" in target.read_text(encoding="utf-8")
    code, _, err = run(capsys, "validate", str(target))
    assert code == 1 and "round.start" in err and "briefing.as_of" in err
    assert run(capsys, "new", str(briefs / "2025-06-london.yaml"), str(target))[0] == 2  # never overwrites


def test_validate_json_and_github_formats(write_sheet: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """--format json is machine-readable; --format github gives workflow annotations at the line."""
    bad = write_sheet(MINIMAL_SHEET.replace("  title: Test talks", "  titel: Test talks"))
    code, out, _ = run(capsys, "validate", "--format", "json", str(bad))
    report = json.loads(out)
    assert code == 1 and report["valid"] == 0
    assert report["problems"][1] == {
        "path": str(bad), "line": 3, "col": 3, "field": "negotiation.titel", "severity": "error",
        "message": "unknown field 'titel'; did you mean 'title'? allowed here: id, title",
    }
    code, out, _ = run(capsys, "validate", "--format", "github", str(bad))
    assert code == 1
    assert out.splitlines()[1] == (
        f"::error file={bad},line=3,col=3::negotiation.titel: unknown field 'titel'; did you mean 'title'? allowed here: id, title"
    )


def test_pre_commit_runs_the_hook(tmp_path: Path) -> None:
    """pre-commit, pointed at this repository, runs briefgen-validate and fails on a bad fact sheet."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    work = tmp_path / "facts"
    (work / "briefs").mkdir(parents=True)
    (work / "briefs" / "good.yaml").write_text(MINIMAL_SHEET, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    subprocess.run(["git", "add", "."], cwd=work, check=True)
    env = {"PRE_COMMIT_HOME": str(tmp_path / "cache"), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [str(pre_commit), "try-repo", str(REPO), "briefgen-validate", "--all-files"], cwd=work, capture_output=True, text=True, env=env, timeout=900
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (work / "briefs" / "good.yaml").write_text(MINIMAL_SHEET.replace("status: final", "status: finished"), encoding="utf-8")
    result = subprocess.run(
        [str(pre_commit), "try-repo", str(REPO), "briefgen-validate", "--all-files"], cwd=work, capture_output=True, text=True, env=env, timeout=900
    )
    assert result.returncode == 1
    assert "briefs/good.yaml:17:11: briefing.status: expected one of 'draft' or 'final'" in result.stdout


def test_warnings_can_be_chosen(write_sheet: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """--checks picks which warnings validate gives: the minimal sheet's missing bio is a completeness one."""
    sheet = write_sheet()
    assert "has no bio" in run(capsys, "validate", str(sheet))[2]
    assert "has no bio" not in run(capsys, "validate", "--checks", "freshness", str(sheet))[2]
    assert run(capsys, "validate", "--checks", "none", "--strict", str(sheet))[0] == 0
    assert run(capsys, "validate", "--checks", "spelling", str(sheet))[0] == 2


def _repository_of_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Callable[..., None]]:
    briefs = tmp_path / "briefs" / "us-china"
    shutil.copytree(EXAMPLES, briefs)

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "examples")
    monkeypatch.chdir(tmp_path)
    return briefs, git


def test_diff_since_reports_a_deleted_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _, git = _repository_of_examples(tmp_path, monkeypatch)
    other = tmp_path / "briefs" / "other" / "talks.yaml"
    other.parent.mkdir()
    other.write_text(MINIMAL_SHEET, encoding="utf-8")
    git("add", ".")
    git("commit", "-q", "-m", "other talks")
    other.unlink()
    code, out, _ = run(capsys, "diff", "--since", "HEAD")
    assert (code, out) == (0, "briefs/other/talks.yaml: deleted since HEAD\n")
    code, out, _ = run(capsys, "diff", "--since", "HEAD", "briefs/other/talks.yaml")
    assert (code, out) == (0, "briefs/other/talks.yaml: deleted since HEAD\n")
    code, out, _ = run(capsys, "diff", "--since", "HEAD", "--format", "markdown")
    assert "## briefs/other/talks.yaml\n\ndeleted since HEAD\n" in out
    assert run(capsys, "diff", "--since", "HEAD", "briefs/never-there.yaml")[0] == 2


def test_diff_since_follows_a_rename(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """After `git mv`, the sheet is compared with its old name: one changed figure, not a whole sheet added."""
    briefs, git = _repository_of_examples(tmp_path, monkeypatch)
    git("mv", "briefs/us-china/2025-06-london.yaml", "briefs/us-china/2025-06-london-round.yaml")
    code, out, _ = run(capsys, "diff", "--since", "HEAD")
    assert (code, out) == (0, "briefs/us-china/2025-06-london-round.yaml: renamed from briefs/us-china/2025-06-london.yaml since HEAD; no fact changed\n")
    london = briefs / "2025-06-london-round.yaml"
    london.write_text(london.read_text(encoding="utf-8").replace("value: 4.8\n", "value: 5.1\n"), encoding="utf-8")
    code, out, _ = run(capsys, "diff", "--since", "HEAD")
    assert code == 0 and "briefs/us-china/2025-06-london.yaml at HEAD" in out and "+0.3 pp" in out
    assert "Added" not in out and "deleted" not in out


def test_diff_since_reports_an_invalid_old_version_and_diffs_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    briefs, git = _repository_of_examples(tmp_path, monkeypatch)
    geneva, london = briefs / "2025-05-geneva.yaml", briefs / "2025-06-london.yaml"
    good = geneva.read_text(encoding="utf-8")
    geneva.write_text(good.replace("  status: final\n", "  status: finished\n", 1), encoding="utf-8")
    git("commit", "-q", "-am", "a bad sheet")
    geneva.write_text(good, encoding="utf-8")
    london.write_text(london.read_text(encoding="utf-8").replace("value: 4.8\n", "value: 5.1\n"), encoding="utf-8")
    code, out, _ = run(capsys, "diff", "--since", "HEAD")
    assert code == 0
    [note] = [line for line in out.splitlines() if "not compared" in line]
    assert note.startswith("briefs/us-china/2025-05-geneva.yaml: not compared: its version at HEAD is not a valid fact sheet: HEAD:briefs/us-china/2025-05-geneva.yaml:")
    assert "briefing.status: expected one of 'draft' or 'final'" in note
    assert "+0.3 pp" in out  # London's change is still shown
