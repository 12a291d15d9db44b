"""Schema rules: what a fact sheet may hold, and the message a user gets when a rule is broken.

Each bad sheet is the minimal valid sheet with one edit, loaded through `briefgen.load`; the test
checks the field path and message of every problem reported (exact line:col is test_load's job).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from briefgen import load
from briefgen.errors import InvalidFactSheets
from briefgen.formatting import format_figure
from briefgen.models import FactSheet, Figure

from .conftest import MINIMAL_SHEET, edit

WriteSheet = Callable[..., Path]

FIGURES = """\
figures:
  - id: tariff-rate
    label: US tariff on Chinese goods
    value: 145
    unit: '%'
    as_of: 2025-05-01
    source: src
"""

TIMELINE = """\
timeline:
  - date: 2025-05-09
    event: Delegations arrive.
    sources: [src]
"""

COMMITMENTS = """\
commitments:
  - id: cut-tariffs
    title: Cut tariffs
    made_at: Earlier talks
    date: 2025-05-01
    by: [us, cn]
    text: Both sides cut tariffs.
    issue: tariffs
    compliance:
      us:
        status: kept
        statement: Cut on time.
        sources: [src]
"""

TALKING_POINTS = """\
talking_points:
  - text: We cut first.
    issue: tariffs
"""

SECOND_PERSON = """\
  - id: li-chenggang
    name: Li Chenggang
    title: Trade representative
    party: cn
    role: Deputy
"""


def problems(write_sheet: WriteSheet, text: str) -> list[tuple[str, str]]:
    """(field, message) of every problem `load` reports for this sheet, in report order."""
    path = write_sheet(text)
    with pytest.raises(InvalidFactSheets) as caught:
        load([path])
    assert {problem.path for problem in caught.value.problems} == {path}
    return [(problem.field, problem.message) for problem in caught.value.problems]


def valid(write_sheet: WriteSheet, text: str) -> FactSheet:
    """The one fact sheet `load` reads from this text; fails the test if it is refused."""
    (loaded,) = load([write_sheet(text)])
    return loaded.sheet


def test_minimal_sheet_is_valid(write_sheet: WriteSheet) -> None:
    """The base sheet every other test edits is itself accepted, so each failure is the edit's."""
    sheet = valid(write_sheet, MINIMAL_SHEET + FIGURES + TIMELINE + COMMITMENTS + TALKING_POINTS)
    assert sheet.negotiation.id == "test-talks"
    assert sheet.round.start == date(2025, 5, 10)
    assert [party.id for party in sheet.parties if party.ours] == ["us"]


# --- strict types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("  number: 1", '  number: "42"', "round.number", "expected a whole number, got the text '42' (remove the quotes)"),
        ("  number: 1", "  number: 1.5", "round.number", "expected a whole number, got the number 1.5"),
        ("  number: 1", "  number: true", "round.number", "expected a whole number, got true"),
        ("  number: 1", "  number: 0", "round.number", "must be at least 1; got the number 0"),
        (
            "    name: He Lifeng",
            "    name: 42",
            "people[0].name",
            "expected text, got the number 42 (put it in quotes if it is meant as text)",
        ),
        ("    party: cn", "    party: [cn]", "people[0].party", "expected text, got a list"),
        ("  ours: true", "  ours: 'true'", "parties[0].ours", "expected true or false, got the text 'true'"),
        ("  ours: true", "  ours: yes", "parties[0].ours", "expected true or false, got the text 'yes'"),
        ("  title: Test talks", "  title:", "negotiation.title", "expected text, got nothing (an empty value)"),
        (
            "negotiation:\n  id: test-talks\n  title: Test talks\n",
            "negotiation: test-talks\n",
            "negotiation",
            "expected a mapping of fields (key: value lines), got the text 'test-talks'",
        ),
    ],
)
def test_values_are_not_coerced(write_sheet: WriteSheet, old: str, new: str, field: str, message: str) -> None:
    """A value of the wrong type is refused with what was expected and what was given ("42" is not 42)."""
    assert problems(write_sheet, edit((old, new))) == [(field, message)]


def test_quoted_figure_value_is_not_a_number(write_sheet: WriteSheet) -> None:
    """A figure's value in quotes is text, not a number, and the message says to remove the quotes."""
    text = MINIMAL_SHEET + edit(("    value: 145", "    value: '145'"), base=FIGURES)
    assert problems(write_sheet, text) == [("figures[0].value", "expected a number, got the text '145' (remove the quotes)")]


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_figure_value_must_be_finite(write_sheet: WriteSheet, value: str) -> None:
    """Infinity and not-a-number are refused as figure values."""
    text = MINIMAL_SHEET + edit(("    value: 145", f"    value: {value}"), base=FIGURES)
    assert problems(write_sheet, text) == [("figures[0].value", "expected a finite number")]


def test_yaml_1_1_booleans_stay_text(write_sheet: WriteSheet) -> None:
    """`country: NO` (Norway) is the text 'NO', never false."""
    sheet = valid(write_sheet, edit(("  country: Switzerland", "  country: NO")))
    assert sheet.round.country == "NO"


# --- unknown keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  title: Test talks\n",
            "  titel: Test talks\n",
            [
                ("negotiation.title", "required field 'title' is missing"),
                ("negotiation.titel", "unknown field 'titel'; did you mean 'title'? allowed here: id, title"),
            ],
        ),
        (
            "    short_name: US\n",
            "    short_name: US\n    flag: blue\n",
            [("parties[0].flag", "unknown field 'flag'; allowed here: id, name, short_name, ours, role, members")],
        ),
        (
            "        text: Cut them.\n",
            "        txt: Cut them.\n",
            [
                ("issues[0].positions.us.text", "required field 'text' is missing"),
                ("issues[0].positions.us.txt", "unknown field 'txt'; did you mean 'text'? allowed here: text, sources, marking"),
            ],
        ),
    ],
    ids=["typo-in-negotiation", "extra-in-party", "typo-in-position"],
)
def test_unknown_keys_are_refused_with_a_hint(
    write_sheet: WriteSheet, old: str, new: str, expected: list[tuple[str, str]]
) -> None:
    """A key the schema does not know is an error naming the allowed keys, with a guess for a typo."""
    assert problems(write_sheet, edit((old, new))) == expected


def test_unknown_top_level_key(write_sheet: WriteSheet) -> None:
    """An unknown top-level section is refused, with the sections allowed at the top."""
    assert problems(write_sheet, MINIMAL_SHEET + "figurs: []\n") == [
        (
            "figurs",
            "unknown field 'figurs'; did you mean 'figures'? allowed here: negotiation, round, briefing, "
            "parties, people, issues, commitments, figures, timeline, talking_points, risks, sources",
        )
    ]


@pytest.mark.parametrize("key", ["str", "none"])
def test_unknown_key_named_like_a_type_is_reported_as_itself(write_sheet: WriteSheet, key: str) -> None:
    """An unknown key that happens to be spelt 'str' or 'none' is named, at its own field path."""
    text = edit(("  title: Test talks\n", f"  title: Test talks\n  {key}: x\n"))
    assert problems(write_sheet, text) == [(f"negotiation.{key}", f"unknown field '{key}'; allowed here: id, title")]


# --- fixed choices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "  status: final",
            "  status: finale",
            "briefing.status",
            "expected one of 'draft' or 'final'; got the text 'finale'; did you mean 'final'?",
        ),
        (
            "  marking: OFFICIAL",
            "  marking: SECRETT",
            "briefing.marking",
            "expected one of 'OFFICIAL', 'OFFICIAL-SENSITIVE', 'UNCLASSIFIED', 'CUI', 'CONFIDENTIAL', 'SECRET' or "
            "'TOP SECRET'; got the text 'SECRETT'; did you mean 'SECRET'?",
        ),
        (
            "    priority: high",
            "    priority: urgent",
            "issues[0].priority",
            "expected one of 'high', 'medium' or 'low'; got the text 'urgent'",
        ),
    ],
)
def test_literal_values(write_sheet: WriteSheet, old: str, new: str, field: str, message: str) -> None:
    """A field with fixed choices lists them, and suggests the closest one for a typo."""
    assert problems(write_sheet, edit((old, new))) == [(field, message)]


# --- ids ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["Test_Talks", "talks-", "-talks", "talks.v2", "tälks", "a" * 49])
def test_ids_must_be_slugs(write_sheet: WriteSheet, bad: str) -> None:
    """An id (used in output paths) must be lowercase letters, digits and inner hyphens, at most 48 long."""
    assert problems(write_sheet, edit(("  id: test-talks", f"  id: {bad}"))) == [
        ("negotiation.id", f"'{bad}' is not a valid id: use lowercase letters, digits and hyphens, e.g. 'us-china' or 'rare-earths'")
    ]


@pytest.mark.parametrize("good", ["t", "2025-talks", "a" * 48])
def test_slug_edges_are_accepted(write_sheet: WriteSheet, good: str) -> None:
    """One character, leading digits and exactly 48 characters are all valid ids."""
    assert valid(write_sheet, edit(("  id: test-talks", f"  id: {good}"))).negotiation.id == good


@pytest.mark.parametrize("reserved", ["con", "prn", "aux", "nul", "com1", "lpt9"])
def test_reserved_file_names_are_not_ids(write_sheet: WriteSheet, reserved: str) -> None:
    """Ids that Windows reserves as file names are refused, saying why."""
    assert problems(write_sheet, edit(("  id: test-talks", f"  id: {reserved}"))) == [
        ("negotiation.id", f"'{reserved}' is reserved as a file name on some systems; choose another id")
    ]


def test_mapping_key_that_is_not_a_slug(write_sheet: WriteSheet) -> None:
    """A party id used as a key (issue positions) must be a slug too, and the message says so."""
    assert problems(write_sheet, edit(("      us:\n", "      US:\n"))) == [
        ("issues[0].positions.US", "'US' is not a valid id: use lowercase letters, digits and hyphens, e.g. 'us' or 'rare-earths'")
    ]


def test_reserved_mapping_key_says_it_is_reserved(write_sheet: WriteSheet) -> None:
    """A reserved name used as a key is refused as reserved, not told to use the lowercase letters it already uses."""
    assert problems(write_sheet, edit(("      us:\n", "      con:\n"))) == [
        ("issues[0].positions.con", "'con' is reserved as a file name on some systems; choose another id")
    ]


# --- links --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "file:///etc/passwd",
        "ftp://example.org/report",
        "data:text/html;base64,PHNjcmlwdD4=",
        "//example.org/report",
        "example.org/report",
    ],
)
def test_unsafe_link_schemes_are_refused(write_sheet: WriteSheet, url: str) -> None:
    """Only http, https and mailto links reach a briefing; javascript:, file: and the rest are refused."""
    assert problems(write_sheet, edit(("https://example.org/report", url))) == [
        ("sources[0].url", f"a link must start with http://, https:// or mailto:; got '{url}'")
    ]


@pytest.mark.parametrize("url", ["http://example.org/report", "HTTPS://example.org/report", "mailto:desk@example.org"])
def test_safe_links_are_accepted(write_sheet: WriteSheet, url: str) -> None:
    """http, https (any case) and mailto links are kept as written."""
    assert valid(write_sheet, edit(("https://example.org/report", url))).sources[0].url == url


def test_web_link_needs_a_host(write_sheet: WriteSheet) -> None:
    """An https link without a host is refused with an example of a good one."""
    assert problems(write_sheet, edit(("https://example.org/report", "https:///report"))) == [
        ("sources[0].url", "a web link needs a host, e.g. https://example.org/page; got 'https:///report'")
    ]


def test_link_with_a_space_is_refused(write_sheet: WriteSheet) -> None:
    """A link with a space in it is refused."""
    assert problems(write_sheet, edit(("https://example.org/report", "'https://example.org/my report'"))) == [
        ("sources[0].url", "a link may not contain spaces or control characters")
    ]


# --- dates --------------------------------------------------------------------------------------


def test_impossible_date(write_sheet: WriteSheet) -> None:
    """30 February is refused as not a real date."""
    [(field, message)] = problems(write_sheet, edit(("  start: 2025-05-10", "  start: 2025-02-30")))
    assert field == "round.start"
    # The part in brackets is Python's own wording, which differs between Python versions.
    assert message.startswith("2025-02-30 is not a real date (")


@pytest.mark.parametrize("written", ["2025-5-10", "10/05/2025", "2025-05-10T09:00:00", "'10 May 2025'"])
def test_dates_must_be_written_iso(write_sheet: WriteSheet, written: str) -> None:
    """A date in any form but YYYY-MM-DD is refused, with an example of the right form."""
    shown = written.strip("'")
    assert problems(write_sheet, edit(("  start: 2025-05-10", f"  start: {written}"))) == [
        ("round.start", f"expected a date written YYYY-MM-DD, e.g. 2025-06-09; got '{shown}'")
    ]


def test_bare_number_is_not_a_date(write_sheet: WriteSheet) -> None:
    """20250510 is a number, not a date."""
    assert problems(write_sheet, edit(("  start: 2025-05-10", "  start: 20250510"))) == [
        ("round.start", "expected a date written YYYY-MM-DD, e.g. 2025-06-09; got the number 20250510")
    ]


def test_quoted_date_is_read_like_a_plain_one(write_sheet: WriteSheet) -> None:
    """'2025-05-10' in quotes is the same date as 2025-05-10 without."""
    assert valid(write_sheet, edit(("  start: 2025-05-10", "  start: '2025-05-10'"))).round.start == date(2025, 5, 10)


# --- dates that must agree ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (
            edit(("  end: 2025-05-11", "  end: 2025-05-09")),
            "round.end",
            "the round ends (2025-05-09) before it starts (2025-05-10)",
        ),
        (
            MINIMAL_SHEET + edit(("  - date: 2025-05-09", "  - date: 2025-05-10"), base=TIMELINE),
            "timeline[0].date",
            "2025-05-10 is after the as-of date 2025-05-09; add 'scheduled: true' if it is planned",
        ),
        (
            MINIMAL_SHEET + edit(("    as_of: 2025-05-01", "    as_of: 2025-05-10"), base=FIGURES),
            "figures[0].as_of",
            "a figure cannot be true as of 2025-05-10, after the as-of date 2025-05-09",
        ),
        (
            edit(("    date: 2025-05-01", "    date: 2025-05-20")),
            "sources[0].date",
            "source dated 2025-05-20 is after the as-of date 2025-05-09; a briefing can only cite what was published by then",
        ),
    ],
    ids=["round-ends-before-start", "timeline-after-as-of", "figure-after-as-of", "source-after-as-of"],
)
def test_incoherent_dates(write_sheet: WriteSheet, text: str, field: str, message: str) -> None:
    """Dates that contradict each other or the as-of date are refused, naming both dates."""
    assert problems(write_sheet, text) == [(field, message)]


def test_dates_on_the_as_of_day_and_scheduled_events_are_accepted(write_sheet: WriteSheet) -> None:
    """A source, figure or event dated on the as-of day is fine; a later event is fine when scheduled."""
    timeline = TIMELINE + "  - date: 2025-05-11\n    event: Talks close.\n    scheduled: true\n    sources: [src]\n"
    figures = edit(("    as_of: 2025-05-01", "    as_of: 2025-05-09"), base=FIGURES)
    text = edit(("    date: 2025-05-01", "    date: 2025-05-09"), ("  end: 2025-05-11", "  end: 2025-05-10"))
    sheet = valid(write_sheet, text + figures + timeline)
    assert [entry.scheduled for entry in sheet.timeline] == [False, True]
    assert sheet.round.start == sheet.round.end


# --- ids unique, exactly one of ours ------------------------------------------------------------


def test_duplicate_source_id(write_sheet: WriteSheet) -> None:
    """Two sources with one id: the second is reported."""
    second = "  - id: src\n    title: Another\n    publisher: P\n    url: https://example.org/b\n    date: 2025-05-02\n"
    assert problems(write_sheet, MINIMAL_SHEET + second) == [
        ("sources[1].id", "duplicate id 'src'; ids must be unique within sources")
    ]


def test_duplicate_person_id(write_sheet: WriteSheet) -> None:
    """Two people with one id: the second is reported."""
    twin = SECOND_PERSON.replace("li-chenggang", "he-lifeng")
    assert problems(write_sheet, edit(("issues:\n", twin + "issues:\n"))) == [
        ("people[1].id", "duplicate id 'he-lifeng'; ids must be unique within people")
    ]


ONE_OURS = "exactly one party must be marked 'ours: true' (the side this briefing is for)"


def test_no_party_is_ours(write_sheet: WriteSheet) -> None:
    """A sheet without a party marked ours is refused."""
    assert problems(write_sheet, edit(("    ours: true\n", ""))) == [("parties", ONE_OURS)]


def test_two_parties_are_ours(write_sheet: WriteSheet) -> None:
    """A sheet with two parties marked ours is refused at the second one."""
    text = edit(("    short_name: China\n", "    short_name: China\n    ours: true\n"))
    assert problems(write_sheet, text) == [("parties[1].ours", ONE_OURS)]


# --- references ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (edit(("    party: cn", "    party: prc")), "people[0].party", "unknown party 'prc'; known: us, cn"),
        (edit(("      us:\n", "      prc:\n")), "issues[0].positions.prc", "unknown party 'prc'; known: us, cn"),
        (
            MINIMAL_SHEET + edit(("    by: [us, cn]", "    by: [us, prc]"), base=COMMITMENTS),
            "commitments[0].by[1]",
            "unknown party 'prc'; known: us, cn",
        ),
        (
            MINIMAL_SHEET + edit(("      us:\n", "      prc:\n"), base=COMMITMENTS),
            "commitments[0].compliance.prc",
            "unknown party 'prc'; known: us, cn",
        ),
        (
            edit(("    summary: Tariffs are high.\n", "    summary: Tariffs are high.\n    lead: nobody\n")),
            "issues[0].lead",
            "unknown person 'nobody'; known: he-lifeng",
        ),
        (
            edit(
                ("issues:\n", SECOND_PERSON + "issues:\n"),
                ("    summary: Tariffs are high.\n", "    summary: Tariffs are high.\n    lead: nobody\n"),
            ),
            "issues[0].lead",
            "unknown person 'nobody'; known: he-lifeng, li-chenggang",
        ),
        (
            MINIMAL_SHEET + edit(("    issue: tariffs", "    issue: tarifs"), base=TALKING_POINTS),
            "talking_points[0].issue",
            "unknown issue 'tarifs'; known: tariffs",
        ),
        (
            edit(("        text: Cut them.\n        sources: [src]", "        text: Cut them.\n        sources: [src, scr]")),
            "issues[0].positions.us.sources[1]",
            "unknown source 'scr'; known: src",
        ),
        (
            MINIMAL_SHEET + edit(("    source: src", "    source: srcs"), base=FIGURES),
            "figures[0].source",
            "unknown source 'srcs'; known: src",
        ),
    ],
    ids=["person-party", "position-key", "commitment-by", "compliance-key", "issue-lead", "issue-lead-two-known",
         "talking-point-issue", "claim-source", "figure-source"],
)
def test_dangling_references_name_what_is_known(write_sheet: WriteSheet, text: str, field: str, message: str) -> None:
    """A reference to an id that does not exist is refused, listing the ids that do."""
    assert problems(write_sheet, text) == [(field, message)]


def test_every_cross_reference_problem_is_reported_at_once(write_sheet: WriteSheet) -> None:
    """A duplicate id, a dangling reference and a bad date in one sheet are all reported together."""
    second = "  - id: src\n    title: Another\n    publisher: P\n    url: https://example.org/b\n    date: 2025-05-02\n"
    text = edit(("    party: cn", "    party: prc"), ("  end: 2025-05-11", "  end: 2025-05-01")) + second
    assert sorted(problems(write_sheet, text)) == sorted(
        [
            ("sources[1].id", "duplicate id 'src'; ids must be unique within sources"),
            ("people[0].party", "unknown party 'prc'; known: us, cn"),
            ("round.end", "the round ends (2025-05-01) before it starts (2025-05-10)"),
        ]
    )


# --- figures as shown in a briefing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "signed", "shown"),
    [
        (145, "%", False, "145%"),
        (4.8, "%", True, "+4.8%"),
        (-3.4, "%", True, "−3.4%"),
        (-3.4, "%", False, "−3.4%"),
        (0, "%", True, "0%"),
        (1200.5, "USD bn", False, "$1,200.5bn"),
        (2.5, "% of GDP", False, "2.5% of GDP"),
        (1234567, "", False, "1,234,567"),
    ],
)
def test_format_figure(value: float, unit: str, signed: bool, shown: str) -> None:
    """A figure reads as a person writes it: '145%', '+4.8%', '−3.4%', '$1,200.5bn'."""
    figure = Figure.model_validate(
        {"id": "f", "label": "L", "value": value, "unit": unit, "signed": signed, "as_of": "2025-05-01", "source": "src"}
    )
    assert format_figure(figure) == shown
