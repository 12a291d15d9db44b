"""The render context: everything a template may show, derived from one validated fact sheet.

Templates never see raw YAML, only this. It is built once per briefing and shared by every
format, so Markdown, HTML and PDF cannot drift apart. Building it is pure: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .models import FactSheet, Figure, Issue, Party, Person, Source


@dataclass(frozen=True)
class Delegation:
    party: Party
    people: list[Person]


@dataclass(frozen=True)
class NumberedSource:
    number: int
    source: Source


@dataclass(frozen=True)
class BriefingContext:
    sheet: FactSheet
    previous: FactSheet | None
    title: str
    ours: Party
    counterparts: list[Party]
    delegations: list[Delegation]
    parties: dict[str, Party]
    people: dict[str, Person]
    issues: dict[str, Issue]
    sources: list[NumberedSource]
    source_numbers: dict[str, int]
    version: str
    generator: str

    @property
    def marking(self) -> str:
        return self.sheet.briefing.marking

    @property
    def is_draft(self) -> bool:
        return self.sheet.briefing.status == "draft"


def build_context(sheet: FactSheet, *, previous: FactSheet | None, version: str, generator: str) -> BriefingContext:
    """Index the sheet for the templates: parties and people by id, delegations, source numbers."""
    ours = next(party for party in sheet.parties if party.ours)
    counterparts = [party for party in sheet.parties if not party.ours]
    # Who is across the table comes first: that is what a principal reads the brief for.
    delegations = [
        Delegation(party, [person for person in sheet.people if person.party == party.id])
        for party in [*counterparts, ours]
    ]
    numbered = [NumberedSource(number, source) for number, source in enumerate(sheet.sources, start=1)]
    return BriefingContext(
        sheet=sheet,
        previous=previous,
        title=f"{sheet.negotiation.title}: {sheet.round.title}",
        ours=ours,
        counterparts=counterparts,
        delegations=delegations,
        parties={party.id: party for party in sheet.parties},
        people={person.id: person for person in sheet.people},
        issues={issue.id: issue for issue in sheet.issues},
        sources=numbered,
        source_numbers={item.source.id: item.number for item in numbered},
        version=version,
        generator=generator,
    )


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


def series_table(figure: Figure) -> tuple[list[str], list[list[str]]]:
    """A chart's numbers as a table: one row per date, one column per series ('–' where none)."""
    headers = ["Date", *(series.label for series in figure.series)]
    dates = sorted({point.date for series in figure.series for point in series.points})
    by_series = [{point.date: point.value for point in series.points} for series in figure.series]
    rows = [
        [format_date(day), *(_number(values[day], figure.unit) if day in values else "–" for values in by_series)]
        for day in dates
    ]
    return headers, rows


def _number(value: float, unit: str) -> str:
    number = f"{value:,.6f}".rstrip("0").rstrip(".")
    return f"{number}{unit}" if unit.startswith("%") else f"{number} {unit}".rstrip()


def figure_sources(figure: Figure) -> list[str]:
    """Every source a figure rests on: its own and those of its series."""
    return list(dict.fromkeys([figure.source, *(ref for series in figure.series for ref in series.sources)]))
