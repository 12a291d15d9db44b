"""The fields a brief needed and the schema could not say (issue 13, issue 11 items 9 and 10):
each accepted in its documented shape, and each rule's error reported at its field.

Each sheet is the minimal valid sheet with one edit, loaded through `briefgen.load`, as in test_models.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from briefgen import load
from briefgen.errors import InvalidFactSheets
from briefgen.logistics import meeting_place
from briefgen.models import FactSheet, MarkedLine, MarkedText

from .conftest import MINIMAL_SHEET, edit

WriteSheet = Callable[..., Path]

ROUND_PLACE = "  city: Geneva\n  country: Switzerland\n"
ISSUE_END = "        text: Cut yours first.\n        sources: [src]\n"


def problems(write_sheet: WriteSheet, text: str) -> list[tuple[str, str]]:
    path = write_sheet(text)
    with pytest.raises(InvalidFactSheets) as caught:
        load([path])
    return [(problem.field, problem.message) for problem in caught.value.problems]


def valid(write_sheet: WriteSheet, text: str) -> FactSheet:
    (loaded,) = load([write_sheet(text)])
    return loaded.sheet


# --- marked prose: bottom line, purpose, objectives --------------------------------------------


def test_bottom_line_and_purpose_read_alike_plain_or_marked(write_sheet: WriteSheet) -> None:
    """Plain text and {text, marking} both load as a MarkedText, so code reads .text and .marking."""
    sheet = valid(write_sheet, edit(("  bottom_line: Hold firm.\n", "  bottom_line:\n    text: Hold firm.\n    marking: SECRET\n")))
    assert sheet.briefing.bottom_line == MarkedText(text="Hold firm.", marking="SECRET")
    assert sheet.briefing.purpose == MarkedText(text="Prepare the first round.", marking=None)
    assert (("briefing", "bottom_line", "marking"), "SECRET") in list(sheet.markings())


def test_a_marked_bottom_line_keeps_to_the_sheet_scheme(write_sheet: WriteSheet) -> None:
    found = problems(write_sheet, edit(("  bottom_line: Hold firm.\n", "  bottom_line: {text: Hold firm., marking: CUI}\n")))
    message = (
        "marking 'CUI' is not in the UK scheme of the briefing's own marking 'OFFICIAL'; "
        "use one of OFFICIAL, OFFICIAL-SENSITIVE, SECRET, TOP SECRET"
    )
    assert found == [("briefing.bottom_line.marking", message)]


def test_meeting_objectives_take_plain_and_marked_lines(write_sheet: WriteSheet) -> None:
    lines = "  objectives:\n    - A dated cut.\n    - {text: A private aim., marking: OFFICIAL-SENSITIVE}\n"
    sheet = valid(write_sheet, edit(("  bottom_line: Hold firm.\n", "  bottom_line: Hold firm.\n" + lines)))
    assert sheet.briefing.objectives == [MarkedLine(text="A dated cut."), MarkedLine(text="A private aim.", marking="OFFICIAL-SENSITIVE")]


# --- issues: reactive lines and fallbacks --------------------------------------------------------


def test_if_raised_and_fallbacks(write_sheet: WriteSheet) -> None:
    sheet = valid(write_sheet, edit((ISSUE_END, ISSUE_END + "    fallbacks:\n      - {text: A smaller cut., marking: SECRET}\n"
                                     "    if_raised:\n      - topic: Fentanyl\n        line: A separate track.\n        sources: [src]\n"
                                     "        marking: OFFICIAL-SENSITIVE\n")))
    issue = sheet.issues[0]
    assert issue.fallbacks == [MarkedLine(text="A smaller cut.", marking="SECRET")]
    assert (issue.if_raised[0].topic, issue.if_raised[0].line, issue.if_raised[0].marking) == ("Fentanyl", "A separate track.", "OFFICIAL-SENSITIVE")


def test_if_raised_needs_a_line_and_known_sources(write_sheet: WriteSheet) -> None:
    assert problems(write_sheet, edit((ISSUE_END, ISSUE_END + "    if_raised:\n      - topic: Fentanyl\n"))) == [
        ("issues[0].if_raised[0].line", "required field 'line' is missing")
    ]
    found = problems(write_sheet, edit((ISSUE_END, ISSUE_END + "    if_raised:\n      - {topic: Fentanyl, line: No., sources: [nope]}\n")))
    assert found == [("issues[0].if_raised[0].sources[0]", "unknown source 'nope'; known: src")]


# --- the round: its mode, and its outcome --------------------------------------------------------


@pytest.mark.parametrize("mode", ["virtual", "phone"])
def test_a_round_not_held_in_a_place_needs_no_city(write_sheet: WriteSheet, mode: str) -> None:
    sheet = valid(write_sheet, edit((ROUND_PLACE, f"  mode: {mode}\n")))
    assert (sheet.round.city, sheet.round.country) == (None, None)


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        ("  country: Switzerland\n", [("round.city", "required for a round held in-person: where does it meet?")]),
        ("  mode: margins\n  margins_of: the ASEAN summit\n  city: Kuala Lumpur\n",
         [("round.country", "required for a round held margins: where does it meet?")]),
        ("  mode: margins\n" + ROUND_PLACE,
         [("round.margins_of", "required for a round on the margins: name the meeting, e.g. 'the ASEAN summit'")]),
        ("  margins_of: the G20\n" + ROUND_PLACE,
         [("round.margins_of", "only for a round on the margins of another meeting ('mode: margins'), not 'in-person'")]),
        ("  mode: hybrid\n" + ROUND_PLACE,
         [("round.mode", "expected one of 'in-person', 'virtual', 'phone' or 'margins'; got the text 'hybrid'")]),
    ],
    ids=["in-person-without-city", "margins-without-country", "margins-without-meeting", "margins-of-in-person", "unknown-mode"],
)
def test_round_mode_rules(write_sheet: WriteSheet, new: str, expected: list[tuple[str, str]]) -> None:
    assert problems(write_sheet, edit((ROUND_PLACE, new))) == expected


def test_meeting_place_reads_right_for_each_mode(write_sheet: WriteSheet) -> None:
    place = valid(write_sheet, MINIMAL_SHEET).round
    assert meeting_place(place) == "in Geneva, Switzerland"
    assert meeting_place(place.model_copy(update={"city": "London", "country": "United Kingdom", "venue": "Lancaster House"})) == (
        "in London, United Kingdom, at Lancaster House"
    )
    margins = place.model_copy(update={"mode": "margins", "margins_of": "the ASEAN summit", "city": "Kuala Lumpur", "country": "Malaysia"})
    assert meeting_place(margins) == "on the margins of the ASEAN summit, Kuala Lumpur"
    assert meeting_place(place.model_copy(update={"mode": "virtual", "city": None, "country": None})) == "by video conference"
    assert meeting_place(place.model_copy(update={"mode": "phone", "city": None, "country": None})) == "by telephone"


OUTCOME = """\
  outcome:
    summary: {text: Both sides cut tariffs., marking: OFFICIAL-SENSITIVE}
    agreed:
      - text: A 90-day truce.
        sources: [src]
      - {text: A private channel., sources: [src], marking: SECRET}
    sources: [src]
"""


def test_outcome_of_a_round_that_has_met(write_sheet: WriteSheet) -> None:
    sheet = valid(write_sheet, edit(("  as_of: 2025-05-09", "  as_of: 2025-05-12"), (ROUND_PLACE, ROUND_PLACE + OUTCOME)))
    outcome = sheet.round.outcome
    assert outcome is not None and outcome.summary == MarkedText(text="Both sides cut tariffs.", marking="OFFICIAL-SENSITIVE")
    assert [(point.text, point.marking) for point in outcome.agreed] == [("A 90-day truce.", None), ("A private channel.", "SECRET")]


def test_outcome_rules(write_sheet: WriteSheet) -> None:
    """Not before the round has met; not empty; each agreed point cites a source, and a known one."""
    assert problems(write_sheet, edit((ROUND_PLACE, ROUND_PLACE + OUTCOME))) == [
        ("round.outcome", "the round starts 2025-05-10, after the as-of date 2025-05-09: an outcome can only be recorded once it has met")
    ]
    no_source = OUTCOME.replace("      - text: A 90-day truce.\n        sources: [src]\n", "      - text: A 90-day truce.\n        sources: []\n")
    assert problems(write_sheet, edit(("  as_of: 2025-05-09", "  as_of: 2025-05-12"), (ROUND_PLACE, ROUND_PLACE + no_source))) == [
        ("round.outcome.agreed[0].sources", "needs at least 1 item(s)")
    ]
    assert problems(write_sheet, edit(("  as_of: 2025-05-09", "  as_of: 2025-05-12"), (ROUND_PLACE, ROUND_PLACE + "  outcome: {}\n"))) == [
        ("round.outcome", "an outcome needs a summary or at least one agreed point")
    ]
    unknown = OUTCOME.removesuffix("    sources: [src]\n") + "    sources: [nope]\n"
    assert problems(write_sheet, edit(("  as_of: 2025-05-09", "  as_of: 2025-05-12"), (ROUND_PLACE, ROUND_PLACE + unknown))) == [
        ("round.outcome.sources[0]", "unknown source 'nope'; known: src")
    ]


# --- parties: roles and groups -------------------------------------------------------------------

MORE_PARTIES = """\
  - id: eu
    name: European Union
    short_name: EU
    members: [France, Germany]
  - id: chair
    name: Conference chair
    short_name: Chair
    role: chair
people:
"""


def test_parties_have_roles_and_groups_have_members(write_sheet: WriteSheet) -> None:
    sheet = valid(write_sheet, edit(("people:\n", MORE_PARTIES)))
    assert [(party.id, party.role, party.members) for party in sheet.parties] == [
        ("us", "negotiator", []), ("cn", "negotiator", []), ("eu", "negotiator", ["France", "Germany"]), ("chair", "chair", []),
    ]
    found = problems(write_sheet, edit(("people:\n", MORE_PARTIES.replace("role: chair", "role: host"))))
    assert found == [("parties[3].role", "expected one of 'negotiator', 'observer', 'chair' or 'mediator'; got the text 'host'")]


# --- commitments not yet due ---------------------------------------------------------------------

COMMITMENT = """\
commitments:
  - id: truce
    title: Truce
    made_at: This round
    date: 2025-05-01
    due: {due}
    by: [us]
    text: Keep the truce.
{compliance}sources:
"""


def test_a_commitment_may_be_not_yet_due_or_have_no_claims_yet(write_sheet: WriteSheet) -> None:
    claim = "    compliance:\n      us: {status: not-yet-due, statement: Due in August., sources: [src]}\n"
    sheet = valid(write_sheet, edit(("sources:\n", COMMITMENT.format(due="2025-08-12", compliance=claim))))
    assert sheet.commitments[0].compliance["us"].status == "not-yet-due"
    assert str(sheet.commitments[0].due) == "2025-08-12"
    assert valid(write_sheet, edit(("sources:\n", COMMITMENT.format(due="2025-08-12", compliance="")))).commitments[0].compliance == {}


def test_due_dates_must_cohere(write_sheet: WriteSheet) -> None:
    assert problems(write_sheet, edit(("sources:\n", COMMITMENT.format(due="2025-04-01", compliance="")))) == [
        ("commitments[0].due", "due 2025-04-01, before the commitment was made (2025-05-01)")
    ]
    claim = "    compliance:\n      us: {status: not-yet-due, statement: Not yet., sources: [src]}\n"
    assert problems(write_sheet, edit(("sources:\n", COMMITMENT.format(due="2025-05-05", compliance=claim)))) == [
        ("commitments[0].compliance.us.status", "the commitment was due on 2025-05-05, before the as-of date 2025-05-09; say whether it was kept")
    ]


# --- series: projected points --------------------------------------------------------------------

SERIES = """\
figures:
  - id: tariff
    label: US tariff
    value: 30
    unit: "%"
    as_of: 2025-05-01
    source: src
    chart: step
    onepager: true
    series:
      - label: US tariff
        points:
          - {{date: 2025-04-10, value: 145}}
          - {{date: 2025-11-01, value: 130{projected}}}
        sources: [src]
sources:
"""


def test_a_point_after_the_as_of_date_must_be_projected(write_sheet: WriteSheet) -> None:
    sheet = valid(write_sheet, edit(("sources:\n", SERIES.format(projected=", projected: true"))))
    assert [point.projected for point in sheet.figures[0].series[0].points] == [False, True]
    assert sheet.figures[0].onepager
    assert problems(write_sheet, edit(("sources:\n", SERIES.format(projected="")))) == [
        ("figures[0].series[0].points[1].date", (
            "a point dated 2025-11-01 is after the as-of date 2025-05-09; "
            "add 'projected: true' if it is announced or threatened, not yet in force"
        ))
    ]


# --- contact, clearances, marked sources --------------------------------------------------------

CONTACT = "  bottom_line: Hold firm.\n  contact:\n    name: Duty officer\n    role: Contact officer\n{extra}"


def test_contact_and_clearances(write_sheet: WriteSheet) -> None:
    clearances = "  clearances:\n    - {name: Head of unit, role: Drafting, date: 2025-05-09}\n"
    sheet = valid(write_sheet, edit(("  bottom_line: Hold firm.\n", CONTACT.format(extra="    email: duty@example.org\n" + clearances))))
    assert sheet.briefing.contact is not None and sheet.briefing.contact.email == "duty@example.org"
    assert [(c.name, c.role, str(c.date)) for c in sheet.briefing.clearances] == [("Head of unit", "Drafting", "2025-05-09")]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", [("briefing.contact", "the contact officer needs a phone number or an email address (or both)")]),
        ("    email: duty.example.org\n", [("briefing.contact.email", "'duty.example.org' is not an email address; write it as name@example.org")]),
        ("    phone: call me\n", [("briefing.contact.phone", "'call me' is not a phone number; write digits, spaces and an optional leading +")]),
    ],
    ids=["neither", "bad-email", "bad-phone"],
)
def test_contact_rules(write_sheet: WriteSheet, extra: str, expected: list[tuple[str, str]]) -> None:
    assert problems(write_sheet, edit(("  bottom_line: Hold firm.\n", CONTACT.format(extra=extra)))) == expected


def test_a_source_can_be_marked_and_historical(write_sheet: WriteSheet) -> None:
    sheet = valid(write_sheet, edit(("    date: 2025-05-01\n", "    date: 2025-05-01\n    historical: true\n    marking: SECRET\n")))
    assert sheet.sources[0].historical and sheet.sources[0].marking == "SECRET"
    assert (("sources", 0, "marking"), "SECRET") in list(sheet.markings())


# --- links in prose ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[x](../../etc/passwd)",
        "[x](/etc/passwd)",
        "[x](file:///etc/passwd)",
        "[x](javascript:alert(1))",
        "[x](data:text/html,hi)",
        "[x](//evil.example)",
        "[x][r]\n\n[r]: ../secret",
        "<file:///etc/passwd>",
        '<a href="../x">x</a>',
    ],
    ids=["relative", "absolute-path", "file", "javascript", "data", "protocol-relative", "reference", "autolink", "html"],
)
def test_links_that_could_reach_the_build_machine_are_refused(write_sheet: WriteSheet, text: str) -> None:
    (found,) = problems(write_sheet, edit(("  summary: Tariffs are high.", f"  summary: {json.dumps(text)}")))
    assert found[0] == "issues[0].summary"
    assert found[1].endswith("is not allowed: a link in a fact sheet must be an http://, https:// or mailto: address, or an anchor such as #sources")


@pytest.mark.parametrize("text", ["![chart](https://example.org/c.png)", '<img src="https://example.org/c.png">'])
def test_images_are_refused(write_sheet: WriteSheet, text: str) -> None:
    assert problems(write_sheet, edit(("  summary: Tariffs are high.", f"  summary: '{text}'"))) == [
        ("issues[0].summary", "fact sheets cannot embed images; link to the page that shows it instead")
    ]


@pytest.mark.parametrize(
    "text",
    ["[x](https://example.org/a_(b))", "[x](http://example.org)", "[x](mailto:a@example.org)", "[x](#sources)",
     "<https://example.org>", "3 < 4 and [a] b", "[x][r]\n\n[r]: https://example.org"],
)
def test_web_mail_and_anchor_links_are_accepted(write_sheet: WriteSheet, text: str) -> None:
    assert valid(write_sheet, edit(("  summary: Tariffs are high.", f"  summary: {json.dumps(text)}"))).issues[0].summary == text


def test_links_are_checked_in_every_prose_field(write_sheet: WriteSheet) -> None:
    """Bottom line, lines of an issue and reactive lines are all Markdown or Text; prose fields share the rule."""
    found = problems(write_sheet, edit(("  bottom_line: Hold firm.", "  bottom_line: {text: '[x](../a)', marking: SECRET}")))
    assert [field for field, _ in found] == ["briefing.bottom_line.text"]


def test_the_previous_round_uses_the_same_marking_scheme(write_sheet: WriteSheet) -> None:
    """'Highest marking' across rounds only has a meaning within one scheme."""
    write_sheet(edit(("  marking: OFFICIAL", "  marking: UNCLASSIFIED")), name="first.yaml")
    later = edit(
        ("  start: 2025-05-10", "  start: 2025-06-10"), ("  end: 2025-05-11", "  end: 2025-06-11"),
        ("  as_of: 2025-05-09", "  as_of: 2025-06-09"), ("  status: final\n", "  status: final\n  previous_round: first.yaml\n"),
    )
    assert problems(write_sheet, later) == [(
        "briefing.previous_round",
        "previous round is marked in the US scheme (UNCLASSIFIED), this sheet in the UK scheme (OFFICIAL); use one scheme across rounds",
    )]


def test_a_line_that_is_neither_text_nor_marked_text_gets_one_message(write_sheet: WriteSheet) -> None:
    expected = "expected text, or text with its own marking ({text: ..., marking: ...}); got 42"
    assert problems(write_sheet, edit(("  bottom_line: Hold firm.", "  bottom_line: 42"))) == [("briefing.bottom_line", expected)]
    assert problems(write_sheet, edit((ISSUE_END, ISSUE_END + "    asks: [42]\n"))) == [("issues[0].asks[0]", expected)]


def test_a_quoted_angle_bracket_cannot_hide_a_link(write_sheet: WriteSheet) -> None:
    (found,) = problems(write_sheet, edit(("  summary: Tariffs are high.", """  summary: '<a title="x>" href="../y">z</a>'""")))
    assert found[0] == "issues[0].summary" and "'../y' is not allowed" in found[1]
