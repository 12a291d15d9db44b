"""Warnings about valid sheets: each one located where the author would fix it.

Line numbers in MINIMAL_SHEET (see conftest.py): 29 `- id: he-lifeng`, 34 `role`, 40 `summary`,
41 `positions`, 45-47 China's position, 53 the source's date (the last line). Where a test gives
He Lifeng a bio, that line after 34 moves everything below it down by one. Ages are counted by
hand: 10 May 2025 (the minimal round's start) is 123 days after 7 January.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from briefgen.checks import completeness_warnings, freshness_warnings, is_stale, sheet_warnings
from briefgen.errors import Problem
from briefgen.loader import LoadedSheet, load

from .conftest import GENEVA, LONDON, MINIMAL_SHEET

WriteSheet = Callable[..., Path]

BIO = "    role: Head of delegation\n"
WITH_BIO = BIO + "    bio: Vice Premier since 2023.\n"
CN_POSITION = "      cn:\n        text: Cut yours first.\n        sources: [src]\n"
OLD_FIGURE = """\
figures:
  - id: old-figure
    label: US tariff on Chinese goods
    value: 145
    unit: "%"
    as_of: 2025-01-07
    source: src
"""


def loaded(write_sheet: WriteSheet, text: str) -> LoadedSheet:
    (sheet,) = load([write_sheet(text)])
    return sheet


def line_after(path: Path, anchor: str, needle: str) -> int:
    """The 1-based line of the first `needle` line after the `anchor` line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(anchor)
    return next(n for n, line in enumerate(lines[start:], start=start + 1) if line.startswith(needle))


def test_is_stale_counts_whole_days() -> None:
    meeting = date(2025, 5, 10)
    assert not is_stale(date(2025, 2, 9), meeting, 90)  # 90 days: still fresh
    assert is_stale(date(2025, 2, 8), meeting, 90)  # 91 days
    assert not is_stale(date(2025, 6, 1), meeting, 90)  # after the meeting: not old


def test_old_figure(write_sheet: WriteSheet) -> None:
    sheet = loaded(write_sheet, MINIMAL_SHEET + OLD_FIGURE)
    # OLD_FIGURE starts on line 54, so as_of is line 59; its value starts in column 12.
    assert freshness_warnings(sheet) == [Problem(sheet.path, 59, 12, "figures[0].as_of", (
        "figure 'old-figure' is 123 days old at the meeting (as of 2025-01-07); refresh it, or mark it `historical: true` if it stays true"
    ))]  # fmt: skip


def test_max_age_is_the_callers(write_sheet: WriteSheet) -> None:
    sheet = loaded(write_sheet, MINIMAL_SHEET + OLD_FIGURE)
    assert freshness_warnings(sheet, max_age_days=123) == []
    assert len(freshness_warnings(sheet, max_age_days=122)) == 1


def test_old_source(write_sheet: WriteSheet) -> None:
    sheet = loaded(write_sheet, MINIMAL_SHEET.replace("    date: 2025-05-01\n", "    date: 2025-01-07\n"))
    assert freshness_warnings(sheet) == [Problem(sheet.path, 53, 11, "sources[0].date", (
        "source 'src' is 123 days old at the meeting (dated 2025-01-07); "
        "check that what it says still holds, or cite a newer one, or mark it `historical: true` if it stays true"
    ))]  # fmt: skip


def test_geneva_cites_one_source_older_than_ninety_days() -> None:
    (geneva,) = load([GENEVA])
    line = line_after(GENEVA, "  - id: wh-fentanyl-tariffs", "    date:")
    # 1 February to 10 May 2025 (Geneva opens): 28 + 31 + 30 + 9 days.
    assert freshness_warnings(geneva) == [Problem(GENEVA, line, 11, "sources[2].date", (
        "source 'wh-fentanyl-tariffs' is 98 days old at the meeting (dated 2025-02-01); "
        "check that what it says still holds, or cite a newer one, or mark it `historical: true` if it stays true"
    ))]  # fmt: skip


def test_a_source_cited_only_for_history_is_not_stale() -> None:
    """London cites the February fact sheet only for a chart point: old by nature, so no warning."""
    (london,) = load([LONDON])
    assert freshness_warnings(london) == []


def test_a_source_cited_for_a_current_claim_is_stale(write_sheet: WriteSheet) -> None:
    """The same old source behind a party's position is worth a warning."""
    sheet = loaded(write_sheet, MINIMAL_SHEET.replace("date: 2025-05-01", "date: 2025-01-01"))
    (warning,) = freshness_warnings(sheet)
    # 1 January to 10 May 2025 (the round opens): 30 + 28 + 31 + 30 + 10 days.
    assert warning.message.startswith("source 'src' is 129 days old at the meeting")


@pytest.mark.parametrize("path", [GENEVA, LONDON], ids=["geneva", "london"])
def test_the_examples_are_complete(path: Path) -> None:
    (sheet,) = load([path])
    assert completeness_warnings(sheet) == []


def test_counterpart_without_bio(write_sheet: WriteSheet) -> None:
    sheet = loaded(write_sheet, MINIMAL_SHEET)
    assert completeness_warnings(sheet) == [Problem(
        sheet.path, 29, 5, "people[0]", "counterpart 'he-lifeng' (He Lifeng) has no bio; principals read these first"
    )]  # fmt: skip
    assert completeness_warnings(loaded(write_sheet, MINIMAL_SHEET.replace(BIO, WITH_BIO))) == []


def test_our_own_people_need_no_bio(write_sheet: WriteSheet) -> None:
    text = MINIMAL_SHEET.replace(BIO, WITH_BIO).replace(
        "people:\n", "people:\n  - {id: greer, name: Jamieson Greer, title: USTR, party: us, role: Lead}\n"
    )
    assert completeness_warnings(loaded(write_sheet, text)) == []


def test_issue_without_a_partys_position(write_sheet: WriteSheet) -> None:
    sheet = loaded(write_sheet, MINIMAL_SHEET.replace(BIO, WITH_BIO).replace(CN_POSITION, ""))
    assert completeness_warnings(sheet) == [
        Problem(sheet.path, 42, 5, "issues[0].positions", "issue 'tariffs' has no position for China ('cn')")
    ]


OBJECTIVES = "    summary: Tariffs are high.\n    objectives: [Lower tariffs]\n"


def test_objectives_with_nothing_to_say_about_them(write_sheet: WriteSheet) -> None:
    text = MINIMAL_SHEET.replace(BIO, WITH_BIO).replace("    summary: Tariffs are high.\n", OBJECTIVES)
    sheet = loaded(write_sheet, text)
    assert completeness_warnings(sheet) == [Problem(
        sheet.path, 42, 5, "issues[0].objectives",
        "issue 'tariffs' has objectives but no lines to take, and no talking point refers to it",
    )]  # fmt: skip
    with_line = text.replace(OBJECTIVES, OBJECTIVES + "    lines_to_take: [Both sides gain.]\n")
    assert completeness_warnings(loaded(write_sheet, with_line)) == []
    with_point = text + "talking_points:\n  - {text: Both sides gain., issue: tariffs}\n"
    assert completeness_warnings(loaded(write_sheet, with_point)) == []
    with_other_point = text + "talking_points:\n  - {text: Both sides gain.}\n"
    assert len(completeness_warnings(loaded(write_sheet, with_other_point))) == 1


UNUSED = """\
  - id: unused
    title: Another report
    publisher: A publisher
    url: https://example.org/other
    date: 2025-05-01
"""


def test_source_never_cited(write_sheet: WriteSheet) -> None:
    sheet = loaded(write_sheet, MINIMAL_SHEET.replace(BIO, WITH_BIO) + UNUSED)
    assert completeness_warnings(sheet) == [
        Problem(sheet.path, 55, 5, "sources[1]", "source 'unused' is never cited; cite it or remove it")
    ]


def test_a_figure_or_a_bio_citing_a_source_counts(write_sheet: WriteSheet) -> None:
    by_figure = MINIMAL_SHEET.replace(BIO, WITH_BIO) + UNUSED + OLD_FIGURE.replace("source: src", "source: unused")
    assert completeness_warnings(loaded(write_sheet, by_figure)) == []
    by_bio = MINIMAL_SHEET.replace(BIO, WITH_BIO + "    sources: [unused]\n") + UNUSED
    assert completeness_warnings(loaded(write_sheet, by_bio)) == []


def test_sheet_warnings_gathers_both_in_file_order(write_sheet: WriteSheet) -> None:
    sheet = loaded(write_sheet, MINIMAL_SHEET + OLD_FIGURE)
    assert [(p.line, p.field) for p in sheet_warnings(sheet)] == [(29, "people[0]"), (59, "figures[0].as_of")]


def test_historical_figures_and_sources_are_never_stale(write_sheet: WriteSheet) -> None:
    """Marked `historical: true`, an old figure or source stays true, so it earns no warning."""
    text = (MINIMAL_SHEET + OLD_FIGURE).replace("    date: 2025-05-01\n", "    date: 2025-01-07\n")
    assert len(freshness_warnings(loaded(write_sheet, text))) == 2
    text = text.replace("    source: src\n", "    source: src\n    historical: true\n")
    text = text.replace("    date: 2025-01-07\n", "    date: 2025-01-07\n    historical: true\n")
    assert freshness_warnings(loaded(write_sheet, text)) == []


PAST_SCHEDULED = """\
timeline:
  - date: 2025-05-01
    event: The truce runs out.
    scheduled: true
    sources: [src]
"""


def test_a_scheduled_entry_whose_day_has_passed(write_sheet: WriteSheet) -> None:
    """Carried forward, '1 May (scheduled)' would read as still to come: say what happened."""
    sheet = loaded(write_sheet, MINIMAL_SHEET + PAST_SCHEDULED)
    assert freshness_warnings(sheet) == [Problem(sheet.path, 57, 5, "timeline[0].scheduled", (
        "entry dated 2025-05-01 is still marked scheduled, but that day is before the as-of date 2025-05-09; "
        "say what happened and remove 'scheduled: true'"
    ))]  # fmt: skip
    on_the_day = (MINIMAL_SHEET + PAST_SCHEDULED).replace("  - date: 2025-05-01", "  - date: 2025-05-09")
    assert freshness_warnings(loaded(write_sheet, on_the_day)) == []


OTHER_PARTIES = """\
  - {id: chair, name: Conference chair, short_name: Chair, role: chair}
  - {id: tl, name: Timor-Leste, short_name: Timor-Leste, role: observer}
  - {id: mediator, name: A mediator, short_name: Mediator, role: mediator}
people:
"""


def test_only_negotiators_owe_a_position(write_sheet: WriteSheet) -> None:
    """A chair, an observer or a mediator takes no side; another negotiator does."""
    text = MINIMAL_SHEET.replace(BIO, WITH_BIO).replace("people:\n", OTHER_PARTIES)
    assert completeness_warnings(loaded(write_sheet, text)) == []
    sheet = loaded(write_sheet, text.replace("role: observer}", "role: negotiator}"))
    assert [warning.message for warning in completeness_warnings(sheet)] == [
        "issue 'tariffs' has no position for Timor-Leste ('tl')"
    ]


def test_our_side_owes_a_position_whatever_its_role(write_sheet: WriteSheet) -> None:
    text = MINIMAL_SHEET.replace(BIO, WITH_BIO).replace("    ours: true\n", "    ours: true\n    role: chair\n")
    text = text.replace("      us:\n        text: Cut them.\n        sources: [src]\n", "")
    assert [warning.message for warning in completeness_warnings(loaded(write_sheet, text))] == [
        "issue 'tariffs' has no position for US ('us')"
    ]
