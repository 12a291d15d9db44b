"""How facts read in a briefing: figures with their sign and unit, dates in words, plain text in Markdown.

The same functions serve every format and the comparison of rounds, so '145%' and '9 June 2025'
read the same wherever they appear. No locale is consulted: a briefing reads the same on any machine.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from .models import Figure


def format_figure(figure: Figure) -> str:
    """145 and '%' -> '145%'; 4.8 signed -> '+4.8%'; 1200.5 and 'USD bn' -> '1,200.5 USD bn'."""
    number = f"{abs(figure.value):,.6f}".rstrip("0").rstrip(".")
    shown_zero = number == "0"
    sign = "-" if figure.value < 0 and not shown_zero else ("+" if figure.signed and figure.value > 0 and not shown_zero else "")
    unit = figure.unit
    if not unit:
        return f"{sign}{number}"
    joiner = "" if unit.startswith("%") else " "
    return f"{sign}{number}{joiner}{unit}"


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def format_date(day: date) -> str:
    """A date as a reader says it, the same whatever the machine's locale: '9 June 2025'."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_date_range(start: date, end: date) -> str:
    """'9–10 June 2025', '30 May – 2 June 2025' or '9 June 2025' when start and end are one day."""
    if start == end:
        return format_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{format_date(end)}"
    if start.year == end.year:
        return f"{start.day} {_MONTHS[start.month - 1]} – {format_date(end)}"
    return f"{format_date(start)} – {format_date(end)}"


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
