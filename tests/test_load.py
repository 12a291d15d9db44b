"""Golden messages: what `briefgen validate` prints for bad fact sheets, and the exit codes.

Every expected line is worked out by hand from the YAML written here: the line of the offending
key or value in the file, and its column (1-based, counting the indentation), so these tests
prove that each problem points where a user must put the cursor. Line numbers refer to
MINIMAL_SHEET in conftest.py, whose lines are: 1 negotiation, 4 round, 7 number, 8 start,
12 briefing, 13 as_of, 17 status, 20 parties, 28 people, 29 - id: he-lifeng, 33 party,
35 issues, 41 positions, 42 us, 43 text, 48 sources, 53 date.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from briefgen import __version__, load
from briefgen.cli import main
from briefgen.errors import InvalidFactSheets

from .conftest import EXAMPLES, MINIMAL_SHEET, REPO, edit

WriteSheet = Callable[..., Path]


def validate(capsys: pytest.CaptureFixture[str], *paths: Path | str) -> tuple[int, list[str], list[str]]:
    """Run `briefgen validate PATHS` in-process: exit code, stdout lines, stderr lines; never a traceback."""
    code = main(["validate", *map(str, paths)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines(), err.splitlines()


def assert_invalid(capsys: pytest.CaptureFixture[str], paths: list[Path], expected: list[str]) -> None:
    """validate exits 1, prints exactly the expected lines on stderr and nothing on stdout."""
    code, out, err = validate(capsys, *paths)
    assert err == expected
    assert out == []
    assert code == 1


TITEL = ("  title: Test talks\n", "  titel: Test talks\n")


def titel_lines(path: Path) -> list[str]:
    """The two problems of the sheet with `title` misspelt `titel` on line 3."""
    return [
        f"{path}:1:1: negotiation.title: required field 'title' is missing",
        f"{path}:3:3: negotiation.titel: unknown field 'titel'; did you mean 'title'? allowed here: id, title",
    ]


# --- one problem, located -----------------------------------------------------------------------


def test_unknown_key_with_did_you_mean(write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt key is reported at its own line and column, with a guess; the now-missing key at its parent."""
    path = write_sheet(edit(TITEL))
    assert_invalid(capsys, [path], [*titel_lines(path), "2 problem(s) in 1 file(s)"])


def test_unknown_key_without_a_guess(write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str]) -> None:
    """An extra key on line 4 is reported there, listing the allowed keys."""
    path = write_sheet(edit(("  title: Test talks\n", "  title: Test talks\n  flag: blue\n")))
    assert_invalid(capsys, [path], [
        f"{path}:4:3: negotiation.flag: unknown field 'flag'; allowed here: id, title",
        "1 problem(s) in 1 file(s)",
    ])


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ("  number: 1", '  number: "2"', "7:11: round.number", "expected a whole number, got the text '2' (remove the quotes)"),
        ("    name: He Lifeng", "    name: 42", "30:11: people[0].name",
         "expected text, got the number 42 (put it in quotes if it is meant as text)"),
        ("    party: cn", "    party: prc", "33:12: people[0].party", "unknown party 'prc'; known: us, cn"),
        ("      us:\n", "      prc:\n", "42:7: issues[0].positions.prc", "unknown party 'prc'; known: us, cn"),
        ("  end: 2025-05-11", "  end: 2025-05-01", "9:8: round.end", "the round ends (2025-05-01) before it starts (2025-05-10)"),
        ("    url: https://example.org/report", "    url: javascript:alert(1)", "52:10: sources[0].url",
         "a link must start with http://, https:// or mailto:; got 'javascript:alert(1)'"),
        ("  title: Test talks", "  title:", "3:3: negotiation.title", "expected text, got nothing (an empty value)"),
    ],
    ids=["wrong-type", "number-for-text", "dangling-party", "dangling-party-as-key", "end-before-start",
         "javascript-link", "empty-value"],
)
def test_one_problem_at_its_place(
    write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str], old: str, new: str, where: str, message: str
) -> None:
    """A bad value is reported at the line and column of that value (a bad key, or an empty value, at the key)."""
    path = write_sheet(edit((old, new)))
    assert_invalid(capsys, [path], [f"{path}:{where}: {message}", "1 problem(s) in 1 file(s)"])


@pytest.mark.parametrize(
    ("old", "where", "field"),
    [
        ("  title: First round\n", "4:1", "round.title"),
        ("    role: Head of delegation\n", "29:5", "people[0].role"),
        ("sources:\n  - id: src\n    title: A report\n    publisher: A publisher\n"
         "    url: https://example.org/report\n    date: 2025-05-01\n", "1:1", "sources"),
    ],
    ids=["in-mapping", "in-list-item", "top-level"],
)
def test_missing_field_is_located_at_its_parent(
    write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str], old: str, where: str, field: str
) -> None:
    """A required field that is absent is reported where it belongs: its parent key, list item or the file."""
    path = write_sheet(edit((old, "")))
    name = field.rsplit(".", 1)[-1]
    assert_invalid(capsys, [path], [f"{path}:{where}: {field}: required field '{name}' is missing", "1 problem(s) in 1 file(s)"])


def test_impossible_date(write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str]) -> None:
    """30 February on line 8 is reported at its value, column 10."""
    path = write_sheet(edit(("  start: 2025-05-10", "  start: 2025-02-30")))
    code, out, err = validate(capsys, path)
    assert (code, out, len(err)) == (1, [], 2)
    # Python words the bracketed reason differently from version to version.
    assert err[0].startswith(f"{path}:8:10: round.start: 2025-02-30 is not a real date (")
    assert err[1] == "1 problem(s) in 1 file(s)"


# --- every problem, every file, once ------------------------------------------------------------


@pytest.mark.parametrize("form", ["folder", "files", "folder-and-file"])
def test_every_problem_in_every_file_reported_once(
    write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    """Two bad files with several problems each: every problem printed once, sorted, then a summary."""
    a = write_sheet(edit(TITEL, ("  number: 1", '  number: "2"')), name="a.yaml")
    b = write_sheet(edit(("    party: cn", "    party: prc"), ("    date: 2025-05-01", "    date: 2025-05-20")), name="b.yaml")
    paths = {"folder": [a.parent], "files": [b, a], "folder-and-file": [a.parent, a]}[form]
    assert_invalid(capsys, paths, [
        *titel_lines(a),
        f"{a}:7:11: round.number: expected a whole number, got the text '2' (remove the quotes)",
        f"{b}:33:12: people[0].party: unknown party 'prc'; known: us, cn",
        f"{b}:53:11: sources[0].date: source dated 2025-05-20 is after the as-of date 2025-05-09; "
        "a briefing can only cite what was published by then",
        "5 problem(s) in 2 file(s)",
    ])


def test_load_raises_with_every_problem(write_sheet: WriteSheet) -> None:
    """`briefgen.load` raises InvalidFactSheets carrying the same located problems the CLI prints."""
    path = write_sheet(edit(TITEL))
    with pytest.raises(InvalidFactSheets) as caught:
        load([path])
    assert [str(problem) for problem in caught.value.problems] == titel_lines(path)
    assert str(caught.value) == "\n".join(titel_lines(path))


# --- previous_round -----------------------------------------------------------------------------


def second_round(previous: str) -> str:
    """A June round of the same talks whose line 18 is `  previous_round: <previous>` (value at column 19)."""
    return edit(
        ("  status: final\n", f"  status: final\n  previous_round: {previous}\n"),
        ("  id: first", "  id: second"),
        ("  number: 1", "  number: 2"),
        ("2025-05-09", "2025-06-09"),
        ("2025-05-10", "2025-06-10"),
        ("2025-05-11", "2025-06-11"),
    )


def test_previous_round_chain_is_valid(write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str]) -> None:
    """A round pointing at the valid earlier round of the same talks validates."""
    first = write_sheet(name="first.yaml")
    second = write_sheet(second_round("first.yaml"), name="second.yaml")
    assert validate(capsys, second.parent) == (0, ["2 fact sheet(s) valid"], [
        f"{first}:29:5: warning: people[0]: {NO_BIO}",
        f"{second}:30:5: warning: people[0]: {NO_BIO}",
        "2 warning(s) in 2 file(s)",
    ])


def test_previous_round_missing(write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str]) -> None:
    """A previous_round naming no file is reported at its value."""
    second = write_sheet(second_round("first.yaml"), name="second.yaml")
    assert_invalid(capsys, [second], [
        f"{second}:18:19: briefing.previous_round: previous round 'first.yaml' not found",
        "1 problem(s) in 1 file(s)",
    ])


def test_previous_round_misspelt_lists_the_files_beside_it(write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt previous_round lists the fact sheets in its folder."""
    write_sheet(name="first.yaml")
    second = write_sheet(second_round("frist.yaml"), name="second.yaml")
    assert_invalid(capsys, [second], [
        f"{second}:18:19: briefing.previous_round: previous round 'frist.yaml' not found; fact sheets beside it: first.yaml",
        "1 problem(s) in 1 file(s)",
    ])


@pytest.mark.parametrize("named", ["second-only", "folder"])
def test_previous_round_broken(write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str], named: str) -> None:
    """A previous round that is itself invalid: its problems once, and the pointer to it."""
    first = write_sheet(edit(TITEL), name="first.yaml")
    second = write_sheet(second_round("first.yaml"), name="second.yaml")
    assert_invalid(capsys, [second] if named == "second-only" else [second.parent], [
        *titel_lines(first),
        f"{second}:18:19: briefing.previous_round: previous round 'first.yaml' is not a valid fact sheet (see its errors)",
        "3 problem(s) in 2 file(s)",
    ])


@pytest.mark.parametrize(
    ("first_edit", "message"),
    [
        (("  id: test-talks", "  id: other-talks"), "previous round belongs to negotiation 'other-talks', not 'test-talks'"),
        (("  start: 2025-05-10", "  start: 2025-06-10"), "previous round starts 2025-06-10, not before this round (2025-06-10)"),
    ],
    ids=["other-negotiation", "not-earlier"],
)
def test_previous_round_must_be_an_earlier_round_of_these_talks(
    write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str], first_edit: tuple[str, str], message: str
) -> None:
    """previous_round must point at an earlier round of the same negotiation."""
    write_sheet(edit(first_edit, ("  end: 2025-05-11", "  end: 2025-06-11")), name="first.yaml")
    second = write_sheet(second_round("first.yaml"), name="second.yaml")
    assert_invalid(capsys, [second], [f"{second}:18:19: briefing.previous_round: {message}", "1 problem(s) in 1 file(s)"])


# --- hostile files through the CLI --------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (b"Geneva", b"Gen\xe8ve", "10:12", "invalid UTF-8 (invalid continuation byte); save the file as UTF-8"),
        (b"Switzerland", b"*place", "11:12", "alias '*place' is not allowed; write the value out in full"),
        # round (level 2) + 23 lists reach the cap; the 23rd '[' after '  city: ' (8 characters) is column 31
        (b"  city: Geneva", b"  city: " + b"[" * 100 + b"]" * 100, "10:31",
         "nested more than 24 levels deep; a fact sheet never needs that"),
        (b"Hold firm.", b"Hold\x07firm.", "19:20", None),
        (b"Test talks", b"9" * 5000, "3:10", None),
    ],
    ids=["latin-1", "alias", "deep-nesting", "raw-control-character", "5000-digit-number"],
)
def test_hostile_file_gives_one_located_line(
    write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str], old: bytes, new: bytes, where: str, message: str | None
) -> None:
    """A hostile file gets one located error line (exit 1), never an internal error or a traceback."""
    raw = MINIMAL_SHEET.encode("utf-8")
    assert raw.count(old) == 1
    path = write_sheet(raw=raw.replace(old, new))
    code, out, err = validate(capsys, path)
    assert len(err) == 2, err  # one problem on one line, then the summary
    if message is None:  # the wording is the owner's; the place and the form are the promise
        assert err[0].startswith(f"{path}:{where}: ")
    else:
        assert err[0] == f"{path}:{where}: {message}"
    assert err[1] == "1 problem(s) in 1 file(s)"
    assert (code, out) == (1, [])


# --- exit codes and nothing written -------------------------------------------------------------


NO_BIO = "counterpart 'he-lifeng' (He Lifeng) has no bio; principals read these first"


def test_valid_sheet_exits_zero(write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str]) -> None:
    """A valid sheet: exit 0 and a count on stdout; its warnings (a gap, not an error) on stderr."""
    sheet = write_sheet()
    assert validate(capsys, sheet) == (0, ["1 fact sheet(s) valid"], [f"{sheet}:29:5: warning: people[0]: {NO_BIO}", "1 warning(s) in 1 file(s)"])


def test_warnings_fail_only_under_strict(write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str]) -> None:
    """--strict turns the same warning into a failure (exit 1)."""
    sheet = write_sheet()
    code, _, err = validate(capsys, sheet, "--strict")
    assert code == 1 and err[-1] == "1 warning(s) in 1 file(s) (--strict: failing)"


def only_warnings(lines: list[str]) -> bool:
    return all(": warning: " in line for line in lines[:-1]) and (not lines or "warning(s) in" in lines[-1])


def example_count(folder: Path) -> int:
    """How many example fact sheets are shipped below `folder` (two when this was written)."""
    count = len([path for path in folder.rglob("*") if path.suffix in (".yaml", ".yml")])
    assert count >= 2
    return count


def test_bundled_examples_validate(capsys: pytest.CaptureFixture[str]) -> None:
    """The example fact sheets shipped in briefs/ are valid."""
    code, out, err = validate(capsys, EXAMPLES)
    assert (code, out) == (0, [f"{example_count(EXAMPLES)} fact sheet(s) valid"]) and only_warnings(err)


def test_validate_defaults_to_briefs_folder(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`briefgen validate` with no path checks ./briefs/."""
    monkeypatch.chdir(REPO)
    code, out, err = validate(capsys)
    assert (code, out) == (0, [f"{example_count(REPO / 'briefs')} fact sheet(s) valid"]) and only_warnings(err)


def test_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path that does not exist: exit 2 and one line saying so."""
    missing = tmp_path / "nowhere.yaml"
    assert validate(capsys, missing) == (2, [], [f"briefgen: {missing}: no such file or folder"])


def test_folder_without_fact_sheets_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder holding no *.yaml: exit 2 and one line saying so."""
    (tmp_path / "notes.txt").write_text("not a fact sheet\n", encoding="utf-8")
    assert validate(capsys, tmp_path) == (2, [], [f"briefgen: no fact sheets (*.yaml) found in {tmp_path}"])


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["validate", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        ([], "the following arguments are required: COMMAND"),
        (["check"], "invalid choice: 'check'"),
    ],
    ids=["unknown-option", "no-command", "unknown-command"],
)
def test_bad_command_line_exits_two(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    """A wrong command line: exit 2, usage and the reason on stderr, no traceback."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert says in err
    assert "Traceback" not in out + err
    assert code == 2


def test_version_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    """`briefgen --version` prints the version and exits 0."""
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"briefgen {__version__}\n"


def test_build_writes_nothing_when_any_sheet_is_invalid(
    write_sheet: WriteSheet, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`build` on a folder with one bad sheet beside a good one: exit 1, the problems, and no output at all."""
    monkeypatch.chdir(tmp_path)
    write_sheet(name="good.yaml")
    bad = write_sheet(edit(TITEL), name="bad.yaml")
    out_dir = tmp_path / "out"
    code = main(["build", str(bad.parent), "--out", str(out_dir), "--format", "md"])
    out, err = capsys.readouterr()
    assert err.splitlines() == [*titel_lines(bad), "2 problem(s) in 1 file(s)"]
    assert "Traceback" not in out + err
    assert code == 1
    assert not out_dir.exists()


# --- the real entry points ----------------------------------------------------------------------


def test_installed_command_reports_problems(write_sheet: WriteSheet, tmp_path: Path) -> None:
    """The installed `briefgen` script prints the located problems and exits 1."""
    script = Path(sys.executable).with_name("briefgen")
    assert script.is_file(), f"the briefgen entry point is not installed beside {sys.executable}"
    path = write_sheet(edit(TITEL))
    result = subprocess.run([str(script), "validate", str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines() == [*titel_lines(path), "2 problem(s) in 1 file(s)"]
    assert result.stdout == ""
    assert result.returncode == 1


def test_python_m_briefgen_validates_examples() -> None:
    """`python -m briefgen validate` on the bundled examples succeeds with exit 0."""
    result = subprocess.run(
        [sys.executable, "-m", "briefgen", "validate", str(EXAMPLES)], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, f"{example_count(EXAMPLES)} fact sheet(s) valid\n")
    assert only_warnings(result.stderr.splitlines())
