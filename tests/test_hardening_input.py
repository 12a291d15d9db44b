"""Hostile fact sheets at read time: oversized files, hidden characters, and the YAML mistakes
people really make, each answered with a located line that says what to do."""

from __future__ import annotations

import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from briefgen.errors import InvalidFactSheets
from briefgen.loader import load
from briefgen.yamlsource import YamlProblems, read_yaml

from .conftest import MINIMAL_SHEET, REPO, edit

PATH = Path("briefs/sheet.yaml")


def refused(text: str) -> list[str]:
    with pytest.raises(YamlProblems) as caught:
        read_yaml(PATH, text.encode("utf-8"))
    return [str(problem) for problem in caught.value.problems]


# --- size: checked before the file is read --------------------------------------------------------


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))


@pytest.mark.parametrize("command", ["validate", "build"])
def test_a_huge_sparse_file_is_refused_without_being_read(tmp_path: Path, command: str) -> None:
    """A 4 GB (sparse) .yaml is refused with its size, by a process that could not hold it in memory:
    both the reader and the build's own read of each sheet (for its hash) stop at the cap."""
    huge = tmp_path / "briefs" / "huge.yaml"
    huge.parent.mkdir()
    with huge.open("wb") as handle:
        handle.truncate(4_000_000_000)
    extra = ["--out", str(tmp_path / "out"), "--format", "md", "--jobs", "1"] if command == "build" else []
    result = subprocess.run(
        [sys.executable, "-m", "briefgen", command, str(huge), *extra],
        check=False, capture_output=True, text=True, cwd=REPO, preexec_fn=_limit_memory, timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert f"{huge}:1:1: file is 4,000,000,000 bytes; a fact sheet may be at most 1,000,000 bytes" in result.stderr


# --- characters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("escape", "code"),
    [("\\uFFFE", "FFFE"), ("\\uFFFF", "FFFF"), ("\\uFDD0", "FDD0"), ("\\U0001FFFF", "1FFFF"), ("\\U0010FFFE", "10FFFE")],
)
def test_noncharacters_are_refused_in_any_scalar(escape: str, code: str) -> None:
    """A noncharacter (which XML cannot carry) written as an escape is refused at its value."""
    assert refused(f'a: 1\nb: "x{escape}"\n') == [
        f"{PATH}:2:4: text holds the noncharacter U+{code}, which a fact sheet may not contain (it cannot be written in XML)"
    ]


def test_a_noncharacter_typed_into_the_file_is_located_at_it() -> None:
    assert refused("a: 1\nb: xy\ufffe\n") == [f"{PATH}:2:6: noncharacter U+FFFE is not allowed in a fact sheet"]


def test_a_noncharacter_in_a_key_is_refused() -> None:
    assert refused('"k\\uFFFE": 1\n') == [
        f"{PATH}:1:1: text holds the noncharacter U+FFFE, which a fact sheet may not contain (it cannot be written in XML)"
    ]


def test_noncharacter_in_a_title_never_reaches_the_feed(write_sheet: Callable[..., Path]) -> None:
    path = write_sheet(edit(("  title: First round", '  title: "First \\uFFFE round"')))
    with pytest.raises(InvalidFactSheets) as caught:
        load([path])
    assert [str(problem) for problem in caught.value.problems] == [
        f"{path}:6:10: text holds the noncharacter U+FFFE, which a fact sheet may not contain (it cannot be written in XML)"
    ]


@pytest.mark.parametrize("code", ["202A", "202B", "202C", "202D", "202E"])
def test_bidi_overrides_and_embeddings_are_refused(code: str) -> None:
    """An override or embedding reorders what follows it, even outside its value: refused, named."""
    assert refused(f"a: 1\nb: label \\u{code} x\n".replace(f"\\u{code}", chr(int(code, 16)))) == [
        (f"{PATH}:2:4: text holds the bidirectional control U+{code}, which reorders the text around it; "
        "remove it (an isolate, U+2066 to U+2069, may be used if it is closed within the value)")
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a \u2067b", "text opens a directional isolate (U+2066, U+2067 or U+2068) that it does not close with U+2069; close it or remove it"),
        ("a \u2069b \u2066c\u2069", "text holds U+2069 (pop directional isolate) with no isolate open before it; remove it"),
    ],
)
def test_unbalanced_isolates_are_refused(value: str, message: str) -> None:
    assert refused(f"a: 1\nb: {value}\n") == [f"{PATH}:2:4: {message}"]


def test_balanced_isolates_and_marks_are_kept() -> None:
    """Isolates closed within their value, and the LRM/RLM marks, are legitimate in mixed-script text."""
    value = "\u2067الصين\u2069 and \u2068x\u2066y\u2069\u2069 \u200e\u200f"
    assert read_yaml(PATH, f"a: {value}\n".encode()).data == {"a": value}


# --- YAML mistakes get a hint ----------------------------------------------------------------------


def test_colon_in_prose_says_to_quote_or_use_a_block_scalar() -> None:
    assert refused("summary: UK: the second wave\n") == [
        (f"{PATH}:1:12: YAML syntax error: mapping values are not allowed in this context; a ': ' inside a value "
        "starts a new key. If this is text, put it in quotes (summary: \"UK: the second wave\") or write it as "
        "a block scalar ('summary: >-', then the text on the next lines, indented)")
    ]


def test_unquoted_percent_says_to_quote_it() -> None:
    assert refused("figure:\n  unit: %\n") == [
        (f"{PATH}:2:9: YAML syntax error: while scanning for the next token found character that cannot start "
        "any token; a value cannot start with '%' unless it is quoted: write unit: \"%\"")
    ]


def test_a_comment_after_prose_with_a_colon_is_left_out_of_the_suggestion() -> None:
    [problem] = refused("title: Talks: round two  # check\n")
    assert '(title: "Talks: round two")' in problem


def test_a_tab_that_cannot_start_a_token_says_to_indent_with_spaces() -> None:
    assert refused("a:\n\tb: 1\n") == [
        (f"{PATH}:2:1: YAML syntax error: while scanning for the next token found character that cannot start any token; "
        "indent with spaces: YAML does not allow tabs there")
    ]


def test_list_item_after_a_key_on_one_line() -> None:
    [problem] = refused("a: x\nb: - y\n")
    assert problem.endswith("; a list item ('- ') goes on its own line, indented under its key")


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("35,4", "expected a number, got the text '35,4' (use a decimal point, e.g. 35.4, and no thousands separators)"),
        ("1,000,000", "expected a number, got the text '1,000,000' (use a decimal point, e.g. 35.4, and no thousands separators)"),
        ("35 %", "expected a number, got the text '35 %' (write the number alone, and put the % in 'unit: \"%\"')"),
        ('"35.4"', "expected a number, got the text '35.4' (remove the quotes)"),
        ("about 35", "expected a number, got the text 'about 35'"),
    ],
)
def test_a_number_that_is_text_gets_the_right_hint(write_sheet: Callable[..., Path], value: str, hint: str) -> None:
    """'Remove the quotes' only when there are quotes to remove."""
    figure = (
        "figures:\n  - id: f\n    label: F\n    value: " + value + "\n    unit: \"%\"\n    period: May\n    as_of: 2025-05-01\n    source: src\n"
    )
    path = write_sheet(MINIMAL_SHEET.replace("sources:\n", figure + "sources:\n"))
    with pytest.raises(InvalidFactSheets) as caught:
        load([path])
    assert [problem.message for problem in caught.value.problems] == [hint]


# --- Markdown nesting: capped at validation, not a crash in a renderer --------------------------------


@pytest.mark.parametrize(
    ("text", "line", "depth"),
    [
        (">" * 130 + " x", 1, 130),
        ("> " * 21 + "x", 1, 21),
        ("- " * 490 + "x", 1, 490),
        ("1. " * 30 + "x", 1, 30),
        ("Intro.\n\n" + "".join("  " * level + "- x\n" for level in range(25)), 23, 21),  # the first line too deep
    ],
    ids=["quotes", "spaced-quotes", "dashes", "numbers", "indented-list"],
)
def test_deep_markdown_nesting_is_refused_at_its_field(write_sheet: Callable[..., Path], text: str, line: int, depth: int) -> None:
    import json

    path = write_sheet(edit(("  purpose: Prepare the first round.", "  purpose: " + json.dumps(text))))
    with pytest.raises(InvalidFactSheets) as caught:
        load([path])
    [problem] = caught.value.problems
    assert str(problem) == (
        f"{path}:18:12: briefing.purpose: line {line} of the text nests quotes ('>') or lists ('- ') "
        f"{depth} levels deep; at most 20 are allowed"
    )


def test_ordinary_nesting_is_kept(write_sheet: Callable[..., Path]) -> None:
    import json

    text = "> quoted\n> > reply\n\n- a\n  - b\n    1. c\n        code\n- 3 - 2 = 1\n"
    load([write_sheet(edit(("  purpose: Prepare the first round.", "  purpose: " + json.dumps(text))))])


def test_a_deeply_nested_list_ends_in_a_located_error_not_a_bug(write_sheet: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from briefgen.cli import main

    path = write_sheet(edit(("  purpose: Prepare the first round.", "  purpose: " + json.dumps("- " * 490 + "x"))))
    assert main(["build", str(path), "--out", str(tmp_path / "out"), "--format", "md,html"]) == 1
    assert "490 levels deep" in capsys.readouterr().err
