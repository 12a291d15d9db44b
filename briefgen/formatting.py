"""How facts read in a briefing: numbers with their sign and unit, dates in words, plain text in Markdown.

The same functions serve every format and the comparison of rounds, so '145%' and '9 June 2025'
read the same wherever they appear. Numbers, currencies and dates follow the briefing's language
(a BCP 47 tag) through Babel's CLDR data, never the machine's locale, so a briefing reads the same
on any machine. A number keeps the precision the sheet gives it (3.0 stays 3.0, never 3), and a
negative number takes the true minus sign, U+2212, not a hyphen.
"""

from __future__ import annotations

import re
from copy import copy
from datetime import date
from decimal import Decimal, localcontext
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_interval
from babel.numbers import get_currency_symbol, is_currency

from .models import Figure

MINUS = "\u2212"
FALLBACK_LANGUAGE = "en"
_SCALES = frozenset({"k", "m", "mn", "bn", "tn", "trn"})
"""Written straight after the number, as in '$12.6bn'; any other rest of a unit follows a space."""


@lru_cache(maxsize=32)
def _locale(language: str) -> Locale:
    """Babel's locale for a BCP 47 tag: 'de-XX' as 'de', and English for a language it does not know.

    A briefing in a language CLDR lacks still builds; its numbers and dates read as in English.
    """
    for tag in (language, language.split("-")[0]):
        try:
            return Locale.parse(tag, sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            continue
    return Locale.parse(FALLBACK_LANGUAGE)


def format_figure(figure: Figure, language: str = FALLBACK_LANGUAGE) -> str:
    """145 and '%' -> '145%'; 4.8 signed -> '+4.8%'; 1200.5 and 'USD bn' -> '$1,200.5bn' in English."""
    return format_number(figure.value, figure.unit, language, signed=figure.signed)


def format_number(value: Decimal | int, unit: str, language: str = FALLBACK_LANGUAGE, signed: bool = False) -> str:
    """A number with its unit as the language writes it, with as many decimals as `value` carries.

    -3.40 and '%' -> '−3.40%' ('%' is joined, other units follow a space and read as written);
    12.6 and 'USD bn' -> '$12.6bn' in English, '12,6bn $' in German: a unit that starts with an
    ISO 4217 code takes the language's symbol and its place. `signed` puts '+' before a positive
    number, for changes; zero never has a sign.
    """
    number = Decimal(value)
    locale = _locale(language)
    sign = MINUS if number < 0 else "+" if signed and number > 0 else ""
    digits = _digits(number.copy_abs(), locale)
    code, _, rest = unit.partition(" ")
    if len(code) == 3 and code.isupper() and is_currency(code):
        scale = rest if rest in _SCALES else f" {rest}" if rest else ""
        return sign + _with_currency(digits + scale, code, locale)
    if not unit:
        return sign + digits
    return f"{sign}{digits}{'' if unit.startswith('%') else ' '}{unit}"


def _digits(number: Decimal, locale: Locale) -> str:
    """`number` (not negative) grouped as `locale` groups it, with exactly the decimal places it carries."""
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    pattern = copy(locale.decimal_formats[None])
    pattern.frac_prec = (places, places)
    with localcontext() as context:
        context.prec = max(number.adjusted(), 0) + places + 2  # room for every digit: rounding nothing
        return str(pattern.apply(number, locale))


def _with_currency(amount: str, code: str, locale: Locale) -> str:
    """'12.6bn' and USD -> '$12.6bn' (en), '12,6bn $' (de), 'CHF 12.6bn' (en): the locale's symbol in its place."""
    symbol = get_currency_symbol(code, locale)
    pattern = locale.currency_formats["standard"]
    prefix, suffix = pattern.prefix[0], pattern.suffix[0]
    if "¤" in prefix:
        before = prefix.replace("¤", symbol)
        gap = " " if before[-1:].isalpha() else ""  # a code, not a sign, before the digits: 'CHF 12.6bn'
        return f"{before}{gap}{amount}"
    after = suffix.replace("¤", symbol) if "¤" in suffix else f" {symbol}"
    gap = " " if after[:1].isalpha() else ""
    return f"{amount}{gap}{after}"


def format_date(day: date, language: str = FALLBACK_LANGUAGE) -> str:
    """A date as a reader of the language says it: '9 June 2025', '9. Juni 2025', '9 juin 2025'.

    English is written day, month, year in every region, as the house style has it.
    """
    locale = _locale(language)
    return _babel_date(day, "d MMMM y" if locale.language == "en" else "long", locale=locale)


def format_date_range(start: date, end: date, language: str = FALLBACK_LANGUAGE) -> str:
    """'9–10 June 2025', '30 May – 2 June 2025' or '9 June 2025' when start and end are one day.

    Other languages take CLDR's interval formats: '9.–10. Juni 2025', '30 mai – 2 juin 2025'.
    """
    if start == end:
        return format_date(start, language)
    locale = _locale(language)
    if locale.language != "en":
        return _interval(start, end, locale)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{format_date(end, language)}"
    if start.year == end.year:
        return f"{_babel_date(start, 'd MMMM', locale=locale)} – {format_date(end, language)}"
    return f"{format_date(start, language)} – {format_date(end, language)}"



def _interval(start: date, end: date, locale: Locale) -> str:
    """CLDR's interval format for day, month and year, with the month as wide as in `format_date`.

    CLDR has the interval only with the abbreviated month ('1.–2. Sept. 2025'); its rule for a
    field wider than the pattern's is to widen it, which Babel's format_interval does not do.
    Languages whose long date has no month name ('2025年6月9日') keep the pattern as it is.
    """
    formats = locale.interval_formats.get("yMMMd")
    if not formats:
        return str(format_interval(start, end, "yMMMd", locale=locale))
    greatest = "y" if start.year != end.year else "M" if start.month != end.month else "d"
    first, second = formats[greatest]
    if "MMMM" in locale.date_formats["long"].pattern:
        first, second = _FULL_MONTH.sub("MMMM", first), _FULL_MONTH.sub("MMMM", second)
    return f"{_babel_date(start, first, locale=locale)}{_babel_date(end, second, locale=locale)}"


_FULL_MONTH = re.compile(r"(?<!M)MMM(?!M)")

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_LINE_START_MARKER = re.compile(r"^([#+\-=>])")
_ORDERED_MARKER = re.compile(r"^(\d+)([.)])")


def escape_markdown(value: Any) -> str:
    """Plain text for Markdown output, on one line, with nothing Markdown would act on.
    Space at either end is kept (as one space): it separates the value from its neighbours."""
    raw = str(value)
    text = " ".join(raw.split())
    text = (" " if raw[:1].isspace() else "") + text + (" " if raw[-1:].isspace() and text else "")
    text = _ENTITY.sub("&amp;", text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _LINE_START_MARKER.sub(r"\\\1", text)
    return _ORDERED_MARKER.sub(r"\1\\\2", text)
