"""What briefgen prints to a terminal or a CI log cannot act on it: control and bidi characters
in file names and values are shown as escapes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from briefgen.cli import main
from briefgen.errors import Problem, printable
from briefgen.progress import PlainProgress

from .conftest import MINIMAL_SHEET, edit

HOSTILE = "x\x1b[2J\x1b]0;pwned\x07\u202eevil\x9b.yaml"
SHOWN = "x\\x1b[2J\\x1b]0;pwned\\x07\\u202eevil\\x9b.yaml"


def test_printable_shows_controls_and_keeps_text() -> None:
    assert printable(HOSTILE) == SHOWN
    assert printable("何立峰 é\tx\ny") == "何立峰 é\\x09x\\x0ay"
    assert printable("a\nb", lines=True) == "a\nb"


def test_a_problem_in_a_hostile_file_name_prints_escaped(write_sheet: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_sheet("negotiation: [\n", name=HOSTILE)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\u202e" not in err and "\x9b" not in err
    assert str(path.parent / SHOWN) + ":2:1: YAML syntax error" in err


@pytest.mark.parametrize("output", ["github", "json"])
def test_machine_formats_escape_too(write_sheet: Callable[..., Path], capsys: pytest.CaptureFixture[str], output: str) -> None:
    path = write_sheet("negotiation: [\n", name=HOSTILE)
    assert main(["validate", "--format", output, str(path)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\x9b" not in out and "\x07" not in out
    if output == "json":
        import json

        assert json.loads(out)["problems"][0]["path"] == str(path)  # the JSON still names the real file


def test_progress_lines_escape_paths(capsys: pytest.CaptureFixture[str]) -> None:
    from briefgen.formats import SheetOutcome

    progress = PlainProgress(verbose=True)
    progress.start(1)
    progress.done(SheetOutcome(Path(HOSTILE), seconds=0.5, written=[Path(HOSTILE + ".md")]))
    err = capsys.readouterr().err
    assert "\x1b" not in err and SHOWN in err


def test_a_value_with_an_escape_in_a_warning_is_shown(write_sheet: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Values reach messages too (a usage error quoting a path, say): a whole error is escaped."""
    assert main(["build", str(write_sheet(MINIMAL_SHEET)), "--templates", "no\x1b[31mdir"]) == 2
    err = capsys.readouterr().err
    assert err == "briefgen: --templates no\\x1b[31mdir: no such folder\n"


def test_problem_str_escapes_every_part() -> None:
    assert str(Problem(Path("a\x1b.yaml"), 1, 2, "f\x07", "m\u202e")) == "a\\x1b.yaml:1:2: f\\x07: m\\u202e"


def test_multi_line_errors_keep_their_lines(write_sheet: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    one = write_sheet(edit(("  title: First round", "  title: [")), name="a.yaml")
    assert main(["validate", str(one)]) == 1
    assert capsys.readouterr().err.count("\n") == 2
