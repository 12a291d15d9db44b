"""Numbers, units and dates read as the sheet wrote them, in the briefing's language, on any machine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from briefgen.compare import FigureMove, compare
from briefgen.context import series_table
from briefgen.errors import InvalidFactSheets
from briefgen.formatting import MINUS, format_date, format_date_range, format_figure, format_number
from briefgen.loader import load
from briefgen.models import FactSheet

from .conftest import MINIMAL_SHEET, edit

WriteSheet = Callable[..., Path]
NBSP, NNBSP, THIN = "\u00a0", "\u202f", "\u2009"


def with_figure(value: str, unit: str = "'%'", *, signed: bool = False, language: str | None = None) -> str:
    """The minimal sheet with one figure whose value is written exactly as `value`."""
    sheet = MINIMAL_SHEET
    if language is not None:
        sheet = edit(("  as_of: 2025-05-09\n", f"  as_of: 2025-05-09\n  language: {language}\n"))
    return sheet + (
        "figures:\n"
        "  - id: rate\n"
        "    label: A rate\n"
        f"    value: {value}\n"
        f"    unit: {unit}\n"
        f"    signed: {'true' if signed else 'false'}\n"
        "    as_of: 2025-05-01\n"
        "    source: src\n"
    )


def load_one(write_sheet: WriteSheet, text: str) -> FactSheet:
    (loaded,) = load([write_sheet(text)])
    return loaded.sheet


def shown(write_sheet: WriteSheet, value: str, unit: str = "'%'", *, language: str | None = None) -> str:
    """The figure as a briefing shows it, after the sheet went through the loader."""
    sheet = load_one(write_sheet, with_figure(value, unit, language=language))
    return format_figure(sheet.figures[0], sheet.briefing.language)


def move(write_sheet: WriteSheet, old: str, new: str) -> FigureMove:
    """The one figure move between two rounds whose sheets differ in that figure alone."""
    (found,) = compare(load_one(write_sheet, old), load_one(write_sheet, new)).figures_moved
    return found


# --- precision and sign -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("3.0", "3.0%"),
        ("3", "3%"),
        ("2.90", "2.90%"),
        ("0.125", "0.125%"),
        ("1e3", "1,000%"),
        ("-0.50", f"{MINUS}0.50%"),
        ("-0.0", "0.0%"),  # zero has no sign, even written with one
    ],
)
def test_a_figure_keeps_the_precision_the_sheet_gives(write_sheet: WriteSheet, written: str, expected: str) -> None:
    """'3.0' is printed 3.0, not 3: the decimals a sheet writes are the precision it claims."""
    assert shown(write_sheet, written) == expected


def test_negative_numbers_take_the_true_minus_sign_in_every_language(write_sheet: WriteSheet) -> None:
    """A hyphen is not a minus sign: U+2212 in figures, series tables and deltas, whatever the language."""
    for language, expected in (("en", "−1,200.5 tonnes"), ("de", "−1.200,5 tonnes"), ("fr", f"−1{NNBSP}200,5 tonnes")):
        assert shown(write_sheet, "-1200.5", "tonnes", language=language) == expected
    assert format_number(-2, "pp", signed=True) == "−2 pp"
    assert format_number(2, "pp", signed=True) == "+2 pp"
    assert format_number(0, "pp", signed=True) == "0 pp"


def test_integers_print_exactly(write_sheet: WriteSheet) -> None:
    """2**53 + 1 is not rounded to ...992 on the way through a float; nor are 30-digit numbers."""
    assert shown(write_sheet, "9007199254740993", "''") == "9,007,199,254,740,993"
    assert shown(write_sheet, "123456789012345678901234567890", "''") == "123,456,789,012,345,678,901,234,567,890"
    assert shown(write_sheet, "0.000000000000000000000000000001", "''") == "0.000000000000000000000000000001"


def test_deltas_between_rounds_are_exact(write_sheet: WriteSheet) -> None:
    """5.1 - 4.8 is +0.3 pp and two integers that a float cannot tell apart differ by exactly 1."""
    assert move(write_sheet, with_figure("4.8"), with_figure("5.1")).delta_text == "+0.3 pp"
    assert move(write_sheet, with_figure("145"), with_figure("30")).delta_text == "−115 pp"
    exact = move(write_sheet, with_figure("9007199254740992", "''"), with_figure("9007199254740993", "''"))
    assert (exact.delta, exact.delta_text) == (Decimal(1), "+1")


def test_a_german_briefing_shows_its_deltas_in_german(write_sheet: WriteSheet) -> None:
    german = move(
        write_sheet, with_figure("4.8", signed=True, language="de"), with_figure("5.1", signed=True, language="de")
    )
    assert (german.old_text, german.new_text, german.delta_text) == ("+4,8%", "+5,1%", "+0,3 pp")


# --- values the arithmetic cannot carry are refused, at their place -----------------------------


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1e308", "number is too large; at most 30 digits before the decimal point are allowed"),
        ("-1e308", "number is too large; at most 30 digits before the decimal point are allowed"),
        ("1000000000000000000000000000000.5", "number is too large; at most 30 digits before the decimal point are allowed"),
        ("1e-31", "number has 31 decimal places; at most 30 are allowed"),
        (".inf", "expected a finite number"),
        ("'42'", "expected a number, got the text '42' (remove the quotes)"),
        ("true", "expected a number, got true"),
    ],
)
def test_numbers_beyond_exact_arithmetic_are_refused_where_they_stand(
    write_sheet: WriteSheet, written: str, message: str
) -> None:
    """A move from -1e308 to 1e308 can no longer print '+inf': the sheet is refused at the value."""
    text = with_figure(written)
    path = write_sheet(text)
    with pytest.raises(InvalidFactSheets) as caught:
        load([path])
    (problem,) = caught.value.problems
    line = text.splitlines().index(f"    value: {written}") + 1
    assert (problem.path, problem.line, problem.col, problem.field, problem.message) == (
        path, line, 12, "figures[0].value", message,
    )  # fmt: skip


def test_a_series_point_out_of_range_is_refused_at_the_point(write_sheet: WriteSheet) -> None:
    text = with_figure("1") + (
        "    series:\n"
        "      - label: Rate\n"
        "        sources: [src]\n"
        "        points:\n"
        "          - {date: 2025-04-01, value: -1e308}\n"
        "          - {date: 2025-05-01, value: 1e308}\n"
    )
    with pytest.raises(InvalidFactSheets) as caught:
        load([write_sheet(text)])
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (len(text.splitlines()) - 1, "figures[0].series[0].points[0].value"),
        (len(text.splitlines()), "figures[0].series[0].points[1].value"),
    ]


# --- units and currencies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "language", "expected"),
    [
        ("12.6", "USD bn", "en", "$12.6bn"),
        ("12.6", "USD bn", "en-GB", "US$12.6bn"),
        ("12.6", "USD bn", "de", f"12,6bn{NBSP}$"),
        ("12.6", "USD bn", "fr", f"12,6bn{NBSP}$US"),
        ("12.6", "CHF bn", "en", "CHF 12.6bn"),  # a code, not a sign, keeps a space from the digits
        ("1200.50", "EUR m", "en", "€1,200.50m"),
        ("-3.5", "USD bn", "en", "−$3.5bn"),
        ("80", "USD per tonne", "en", "$80 per tonne"),
        ("80", "USD", "en", "$80"),
        ("2.5", "'% of GDP'", "en", "2.5% of GDP"),
        ("2.5", "'%'", "de", "2,5%"),
        ("7", "million tonnes", "en", "7 million tonnes"),
        ("7", "usd bn", "en", "7 usd bn"),  # not an ISO 4217 code: a unit as written
        ("7", "GDP", "en", "7 GDP"),
    ],
)
def test_currency_units_read_as_the_language_writes_money(
    write_sheet: WriteSheet, value: str, unit: str, language: str, expected: str
) -> None:
    """'12.6 USD bn' reads '$12.6bn' in English; other units stay as written, '%' joined, others spaced."""
    assert shown(write_sheet, value, unit, language=language) == expected


def test_a_currency_move_puts_the_sign_first(write_sheet: WriteSheet) -> None:
    rise = move(write_sheet, with_figure("100", "USD bn"), with_figure("120.5", "USD bn"))
    assert (rise.old_text, rise.new_text, rise.delta_text) == ("$100bn", "$120.5bn", "+$20.5bn")


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "day", "days", "months", "years"),
    [
        ("en", "9 June 2025", "9–10 June 2025", "30 September – 2 October 2025", "30 December 2024 – 2 January 2025"),
        ("en-US", "9 June 2025", "9–10 June 2025", "30 September – 2 October 2025", "30 December 2024 – 2 January 2025"),
        ("de", "9. Juni 2025", "9.–10. Juni 2025", f"30. September{THIN}–{THIN}2. Oktober 2025",
         f"30. Dezember 2024{THIN}–{THIN}2. Januar 2025"),
        ("fr", "9 juin 2025", "9–10 juin 2025", f"30 septembre{THIN}–{THIN}2 octobre 2025",
         f"30 décembre 2024{THIN}–{THIN}2 janvier 2025"),
        ("ja", "2025年6月9日", "2025年6月9日～10日", "2025年9月30日～10月2日", "2024年12月30日～2025年1月2日"),
    ],
)  # fmt: skip
def test_dates_in_the_briefings_language(language: str, day: str, days: str, months: str, years: str) -> None:
    """English day-month-year as the house writes it; other languages by CLDR, months written out."""
    assert format_date(date(2025, 6, 9), language) == day
    assert format_date_range(date(2025, 6, 9), date(2025, 6, 9), language) == day
    assert format_date_range(date(2025, 6, 9), date(2025, 6, 10), language) == days
    assert format_date_range(date(2025, 9, 30), date(2025, 10, 2), language) == months
    assert format_date_range(date(2024, 12, 30), date(2025, 1, 2), language) == years
    assert format_date_range(date(2025, 5, 30), date(2025, 6, 2)) == "30 May – 2 June 2025"


def test_series_table_in_the_briefings_language(write_sheet: WriteSheet) -> None:
    text = with_figure("2.90", language="de") + (
        "    series:\n"
        "      - label: Rate\n"
        "        sources: [src]\n"
        "        points:\n"
        "          - {date: 2025-04-01, value: -1.5}\n"
        "          - {date: 2025-05-01, value: 2.90}\n"
    )
    sheet = load_one(write_sheet, text)
    assert series_table(sheet.figures[0], sheet.briefing.language)[1] == [
        ["1. April 2025", "−1,5%"],
        ["1. Mai 2025", "2,90%"],
    ]
    assert series_table(sheet.figures[0])[1] == [["1 April 2025", "−1.5%"], ["1 May 2025", "2.90%"]]


# --- the same on any machine --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["qaa", "xx-YY", "", "not a tag"])
def test_an_unknown_language_falls_back_to_english_quietly(language: str) -> None:
    assert format_number(Decimal("-1200.5"), "USD bn", language) == "−$1,200.5bn"
    assert format_date_range(date(2025, 6, 9), date(2025, 6, 10), language) == "9–10 June 2025"


def test_a_region_babel_does_not_know_keeps_its_language() -> None:
    assert format_date(date(2025, 6, 9), "de-XX") == "9. Juni 2025"


def test_the_machines_locale_is_never_consulted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LANG", "LC_ALL", "LC_NUMERIC", "LC_TIME", "LANGUAGE"):
        monkeypatch.setenv(name, "de_DE.UTF-8")
    assert format_number(Decimal("1200.5"), "USD bn") == "$1,200.5bn"
    assert format_date(date(2025, 6, 9)) == "9 June 2025"
