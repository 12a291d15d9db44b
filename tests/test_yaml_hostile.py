"""The YAML reader on hostile input: one case per class, each with its exact message and line:col.

Line and column are 1-based and counted by hand from the text written in each test.
"""

from __future__ import annotations

import math
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefgen.yamlsource import MAX_DEPTH, YamlDocument, YamlProblems, read_yaml

PATH = Path("briefs/sheet.yaml")


def read(raw: bytes | str) -> YamlDocument:
    return read_yaml(PATH, raw.encode("utf-8") if isinstance(raw, str) else raw)


def refused(raw: bytes | str) -> list[str]:
    """Every problem reported for `raw`, each as the line the user sees."""
    with pytest.raises(YamlProblems) as caught:
        read(raw)
    return [str(problem) for problem in caught.value.problems]


def at(line: int, col: int, message: str) -> str:
    return f"{PATH}:{line}:{col}: {message}"


# --- encoding and size --------------------------------------------------------------------------


def test_invalid_utf8_at_its_byte() -> None:
    """A Latin-1 'é' in line 2 is reported at its line and column."""
    assert refused(b"negotiation:\n  id: caf\xe9\n") == [
        at(2, 10, "invalid UTF-8 (invalid continuation byte); save the file as UTF-8")
    ]


def test_invalid_utf8_column_counts_characters() -> None:
    """After two Chinese characters, the bad byte's column counts characters as an editor does, not bytes."""
    raw = "people:\n  name: 何立".encode() + b"\xff\n"
    # '  name: ' is 8 characters and '何立' 2 more, so the bad byte is the 11th character of line 2.
    assert refused(raw) == [at(2, 11, "invalid UTF-8 (invalid start byte); save the file as UTF-8")]


@pytest.mark.parametrize("raw", ["negotiation: x\n".encode("utf-16"), b"\xfe\xff" + "negotiation: x\n".encode("utf-16-be")])
def test_utf16_is_refused(raw: bytes) -> None:
    """A UTF-16 file (either byte order) is refused with advice to save it as UTF-8."""
    assert refused(raw) == [at(1, 1, "file is UTF-16; save it as UTF-8")]


def test_nul_byte() -> None:
    """A NUL byte is reported at its place."""
    assert refused(b"negotiation:\n  id: a\x00b\n") == [at(2, 8, "file contains a NUL byte; a fact sheet must be UTF-8 text")]


def test_byte_order_mark_is_accepted() -> None:
    """A UTF-8 byte order mark is ignored, and does not shift the columns of line 1."""
    doc = read(b"\xef\xbb\xbfnegotiation: {id: x}\nround: 1\n")
    assert doc.data == {"negotiation": {"id": "x"}, "round": 1}
    assert doc.locate(("negotiation",)) == (1, 14)
    assert doc.locate(("round",), prefer_key=True) == (2, 1)


def test_file_over_a_million_bytes() -> None:
    """A file over 1,000,000 bytes is refused before it is parsed, saying how big it is."""
    raw = b"a: 1\n" + b"#" * (1_000_001 - 5)
    assert refused(raw) == [at(1, 1, "file is 1,000,001 bytes; a fact sheet may be at most 1,000,000 bytes")]


def test_file_of_exactly_a_million_bytes_is_read() -> None:
    """A file of exactly 1,000,000 bytes is still read."""
    head = b"a: 1\n# "
    raw = head + b"x" * (1_000_000 - len(head) - 1) + b"\n"
    assert len(raw) == 1_000_000
    assert read(raw).data == {"a": 1}


# --- documents ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [("%YAML 1.1\n---\na: 1\n", 1), ("# a fact sheet\n%YAML 1.1\n---\na: 1\n", 2)],
    ids=["first-line", "after-a-comment"],
)
def test_yaml_1_1_directive_is_refused_at_its_line(text: str, line: int) -> None:
    """A `%YAML 1.1` directive is refused, at the line of the directive."""
    assert refused(text) == [at(line, 1, "%YAML 1.1 is not supported; fact sheets are YAML 1.2 (remove the directive)")]


def test_yaml_1_2_directive_is_accepted() -> None:
    """A `%YAML 1.2` directive is harmless."""
    assert read("%YAML 1.2\n---\na: 1\n").data == {"a": 1}


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: 1\n---\nb: 2\n", 2), ("---\na: 1\n---\nb: 2\n", 3)],
    ids=["implicit-first", "explicit-first"],
)
def test_two_documents(text: str, line: int) -> None:
    """A second document is refused at its `---`."""
    assert refused(text) == [at(line, 1, "several YAML documents in one file; keep one fact sheet per file")]


@pytest.mark.parametrize("text", ["", "# nothing here yet\n", "\n\n   \n", "---\n...\n"])
def test_empty_file(text: str) -> None:
    """An empty, blank or comment-only file is refused as empty."""
    assert refused(text) == [at(1, 1, "file is empty; a fact sheet is a YAML mapping (see briefs/ for examples)")]


@pytest.mark.parametrize(
    ("text", "kind"),
    [("- negotiation\n- round\n", "a list"), ("just some text\n", "a single value"), ("42\n", "a single value")],
)
def test_root_must_be_a_mapping(text: str, kind: str) -> None:
    """A file holding a list or a single value is refused, naming what a fact sheet starts with."""
    assert refused(text) == [
        at(1, 1, f"the file holds {kind}; a fact sheet must be a mapping of keys such as 'negotiation:' and 'round:'")
    ]


# --- anchors, aliases, merge keys, tags ---------------------------------------------------------


def test_anchor() -> None:
    """An anchor is refused at the `&`."""
    assert refused("a: &x 1\nb: 2\n") == [at(1, 4, "anchor '&x' is not allowed; write each value out in full")]


def test_alias() -> None:
    """An alias is refused at the `*`."""
    assert refused("a: 1\nb: *x\n") == [at(2, 4, "alias '*x' is not allowed; write the value out in full")]


def test_anchor_and_alias_both_reported() -> None:
    """An anchor and its alias are both reported, in file order."""
    assert refused("a: &x 1\nb: *x\n") == [
        at(1, 4, "anchor '&x' is not allowed; write each value out in full"),
        at(2, 4, "alias '*x' is not allowed; write the value out in full"),
    ]


def test_merge_key() -> None:
    """A merge key `<<` is refused at the key."""
    assert refused("base:\n  a: 1\nother:\n  <<: {a: 1}\n") == [
        at(4, 3, "merge keys ('<<') are not allowed; write the keys out in full")
    ]


def test_merge_key_with_alias() -> None:
    """The usual `<<: *base` idiom: anchor, merge key and alias are each reported."""
    assert refused("base: &b\n  a: 1\nother:\n  <<: *b\n") == [
        at(1, 7, "anchor '&b' is not allowed; write each value out in full"),
        at(4, 3, "merge keys ('<<') are not allowed; write the keys out in full"),
        at(4, 7, "alias '*b' is not allowed; write the value out in full"),
    ]


@pytest.mark.parametrize(
    ("text", "tag"),
    [("a: !custom 1\n", "!custom"), ("a: !custom\n  b: 1\n", "!custom"), ("a: !!str 1\n", "!!str")],
    ids=["local-on-scalar", "local-on-mapping", "core-str"],
)
def test_explicit_tags(text: str, tag: str) -> None:
    """An explicit tag is refused at the tag, named as the user wrote it."""
    assert refused(text) == [at(1, 4, f"tag '{tag}' is not allowed; fact sheets use plain YAML values")]


# --- duplicate keys, depth ----------------------------------------------------------------------


def test_duplicate_key_at_top_level() -> None:
    """A key given twice is reported at the second, naming the first's line and column."""
    assert refused("a: 1\nb: 2\na: 3\n") == [at(3, 1, "duplicate key 'a' (first defined at line 1, column 1)")]


def test_duplicate_key_nested() -> None:
    """A nested key given twice is reported at the second, naming the first's line and column."""
    assert refused("negotiation:\n  id: x\n  title: T\n  id: y\n") == [
        at(4, 3, "duplicate key 'id' (first defined at line 2, column 3)")
    ]


DEEP = f"nested more than {MAX_DEPTH} levels deep; a fact sheet never needs that"


def test_nesting_up_to_the_cap_is_read() -> None:
    """The root mapping plus 23 nested lists (24 levels, the cap) is read."""
    assert MAX_DEPTH == 24
    doc = read("a: " + "[" * 23 + "]" * 23 + "\n")
    value: Any = doc.data["a"]
    for _ in range(22):
        (value,) = value
    assert value == []


def test_nesting_past_the_cap_flow() -> None:
    """The 25th level is refused at its `[`: after 'a: ' (3 characters), the 24th bracket is column 27."""
    assert refused("a: " + "[" * 24 + "]" * 24 + "\n") == [at(1, 27, DEEP)]


def test_nesting_past_the_cap_block() -> None:
    """Block mappings nested 30 deep are refused at the 25th, on line 25 indented 48 spaces."""
    text = "".join("  " * depth + "a:\n" for depth in range(30)) + "  " * 30 + "x\n"
    assert refused(text) == [at(25, 49, DEEP)]


def test_hundred_thousand_deep_flow_sequence_returns_quickly() -> None:
    """100,000 nested `[` are refused at the 25th bracket, quickly and without RecursionError."""
    started = time.monotonic()
    problems = refused("[" * 100_000 + "]" * 100_000)
    assert time.monotonic() - started < 5
    assert problems == [at(1, 25, DEEP)]


# --- syntax and characters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        ("a: b: c\n", 1, 5, "mapping values are not allowed in this context; a ': ' inside a value starts a new key. "
         "If this is text, put it in quotes (a: \"b: c\") or write it as a block scalar ('a: >-', then the text on the next lines, indented)"),
        ("a: 1\n\tb: 2\n", 2, 1, "while scanning a plain scalar found a tab character that violates indentation"),
    ],
    ids=["colon-in-plain-value", "tab-indentation"],
)
def test_syntax_errors(text: str, line: int, col: int, message: str) -> None:
    """A syntax error is one located line, with the parser's reason."""
    assert refused(text) == [at(line, col, f"YAML syntax error: {message}")]


def test_unclosed_quote_is_located_at_the_quote() -> None:
    """An unclosed quote on line 2 is reported where the quote opens, not at the end of the file."""
    [problem] = refused('negotiation:\n  id: "test-talks\n  title: Test talks\nround: 1\n')
    assert problem.startswith(at(2, 7, "YAML syntax error: "))
    assert "quoted scalar" in problem


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff"])
def test_escaped_lone_surrogate_is_refused_at_the_escape(escape: str) -> None:
    """A lone surrogate written as an escape can never be UTF-8: the parser refuses it where it is written."""
    assert refused(f'a: 1\nb: "x{escape}y"\n') == [
        at(2, 8, "YAML syntax error: while parsing a quoted scalar found invalid Unicode character escape code")
    ]


@pytest.mark.parametrize(
    ("escape", "code"),
    [("\\a", "0007"), ("\\e", "001B"), ("\\x7f", "007F"), ("\\x9b", "009B")],
)
def test_escaped_surrogate_or_control_character(escape: str, code: str) -> None:
    """A lone surrogate or control character written as an escape in a quoted string is refused at the string."""
    assert refused(f'a: 1\nb: "x{escape}y"\n') == [
        at(2, 4, f"text holds the character U+{code}, which a fact sheet may not contain")
    ]


@pytest.mark.parametrize(
    ("raw", "col", "code"),
    [(b"a: 1\nb: bell\x07\n", 8, "0007"), (b'a: 1\nb: "esc\x1b[0m"\n', 8, "001B"), (b"a: 1\nb: del\x7f\n", 7, "007F")],
    ids=["bell-in-plain-text", "escape-in-quoted-text", "delete"],
)
def test_raw_control_character(raw: bytes, col: int, code: str) -> None:
    """A control character typed into the file is one located line at that character, naming it."""
    [problem] = refused(raw)
    assert problem.startswith(at(2, col, ""))
    assert code in problem.upper()
    assert "\n" not in problem


def test_number_too_long_to_convert() -> None:
    """A 5,000-digit number is read as that number or refused at its place, never a crash."""
    try:
        doc = read("a: " + "1" * 5000 + "\n")
    except YamlProblems as error:
        assert [(problem.line, problem.col) for problem in error.problems] == [(1, 4)]
    else:
        assert doc.data["a"] == (10**5000 - 1) // 9


# --- YAML 1.2 semantics -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("NO", "NO"),
        ("yes", "yes"),
        ("off", "off"),
        ("1:30", "1:30"),
        ("2025-06-09", "2025-06-09"),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("0o17", 15),
        ("0x1F", 31),
        ("012", 12),
        ("-7", -7),
        ("1e3", Decimal("1e3")),
        ("2.5", Decimal("2.5")),
        ("3.0", Decimal("3.0")),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
    ],
)
def test_yaml_1_2_core_schema(written: str, value: object) -> None:
    """Plain scalars resolve as YAML 1.2 says: NO and 1:30 stay text, 0o17 is 15, 2.5 is the exact decimal 2.5."""
    read_value = read(f"k: {written}\n").data["k"]
    assert read_value == value
    assert type(read_value) is type(value)


@pytest.mark.parametrize(("written", "value"), [(".inf", math.inf), ("-.inf", -math.inf)])
def test_yaml_1_2_infinities(written: str, value: float) -> None:
    """.inf and -.inf are the infinite numbers (which the schema then refuses where it matters)."""
    assert read(f"k: {written}\n").data["k"] == value


def test_yaml_1_2_nan() -> None:
    """.nan is not-a-number."""
    assert math.isnan(read("k: .nan\n").data["k"])


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize(
    ("style", "value"),
    [(">-", "one two"), (">", "one two\n"), ("|", "one\ntwo\n"), ("|-", "one\ntwo")],
)
def test_block_scalars_give_clean_text(newline: str, style: str, value: str) -> None:
    """Folded and literal blocks give clean text with plain newlines, also from a Windows (CRLF) file."""
    text = newline.join(["purpose: " + style, "  one", "  two", "next: 1", ""])
    data = read(text).data
    assert data == {"purpose": value, "next": 1}
    assert all(ch == "\n" or ch.isprintable() for ch in data["purpose"])


# --- property: never anything but a document or YamlProblems ------------------------------------


def read_or_problems(raw: bytes) -> None:
    try:
        doc = read(raw)
    except YamlProblems as error:
        assert error.problems
        assert all(problem.line >= 1 and problem.col >= 1 for problem in error.problems)
    else:
        assert isinstance(doc.data, dict)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text())
def test_any_text_reads_or_is_refused(text: str) -> None:
    """Whatever text a file holds, reading it gives a document or located problems, never another error."""
    read_or_problems(text.encode("utf-8"))


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary())
def test_any_bytes_read_or_are_refused(raw: bytes) -> None:
    """Whatever bytes a file holds, reading it gives a document or located problems, never another error."""
    read_or_problems(raw)


YAMLISH = st.lists(
    st.sampled_from(
        ["a", "b", ":", " ", "\n", "  ", "-", "[", "]", "{", "}", ",", "&x", "*x", "!t", "<<",
         "'", '"', "#", "?", "|", ">", "%YAML 1.2\n", "---\n", "1", "\\"]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None, database=None)
@given(YAMLISH)
def test_yaml_like_text_reads_or_is_refused(text: str) -> None:
    """Text built from YAML's own punctuation gives a document or located problems, never another error."""
    read_or_problems(text.encode("utf-8"))
