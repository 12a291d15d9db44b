"""The render context: everything a template may show, derived from one validated fact sheet.

Templates never see raw YAML, only this. It is built once per briefing and shared by every
format, so Markdown, HTML and PDF cannot drift apart. Building it is pure: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .cards import Card, cards, quiet_issues
from .checks import DEFAULT_MAX_AGE_DAYS, is_stale
from .compare import ChangeSection, Comparison, change_sections, compare, headlines
from .formatting import format_date, format_number
from .logistics import meeting_place
from .models import FactSheet, Figure, Issue, Party, Person, SeriesPoint, Source
from .portions import NotReleasable, current_banner, labelled, labelled_previous, release, sheet_scheme


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
    changes: Comparison | None
    """What changed since the previous round; None when there is no previous round."""
    stale_figures: frozenset[str]
    """Ids of figures older than the freshness threshold on the day the round starts."""
    max_age_days: int
    change_sections: list[ChangeSection]
    headlines: list[str]
    """The changes since the previous round that matter most, in words (compare.headlines)."""

    @property
    def marking(self) -> str:
        """The banner of the product being printed: the highest of the briefing's own marking
        and every label the product prints (briefgen/render.py `render_product` works it out)."""
        return current_banner() or self.sheet.briefing.marking

    @cached_property
    def scheme(self) -> str:
        return sheet_scheme(self.sheet)

    @property
    def is_draft(self) -> bool:
        return self.sheet.briefing.status == "draft"

    @cached_property
    def place(self) -> str:
        """Where the round meets, as a sentence continues: 'in London, United Kingdom, at Lancaster House'."""
        return meeting_place(self.sheet.round)

    @cached_property
    def cards(self) -> list[Card]:
        return cards(self.sheet)

    @cached_property
    def quiet_issues(self) -> list[Issue]:
        """Issues the talking-points card has nothing for: it names them instead of printing blank cards."""
        return quiet_issues(self.sheet)

    @cached_property
    def negotiators(self) -> list[Party]:
        """The parties at the table (not observers, chairs or mediators), counterparts first."""
        return [party for party in [*self.counterparts, self.ours] if party.role == "negotiator"]


def build_context(
    sheet: FactSheet,
    *,
    previous: FactSheet | None,
    version: str,
    generator: str,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    release_limit: str | None = None,
    label: str = "",
) -> BriefingContext:
    """The sheet as every product of it shows it: labelled, released at `release_limit` if
    given (NotReleasable if it cannot be), compared with its previous round, and indexed for
    the templates (parties and people by id, delegations, source numbers).

    The comparison is made between the complete rounds and then released, so a portion that
    became SECRET reads as withheld, not as dropped."""
    view = labelled(sheet)
    before = None
    if previous is not None:
        before = labelled_previous(previous, sheet)
    changes = compare(before, view) if before is not None else None
    if release_limit is not None:
        view = release(view, release_limit, label)
        if before is not None and changes is not None:
            try:
                before = release(before, release_limit, label)
                changes = changes.released(release_limit, sheet_scheme(view))
            except NotReleasable:  # a previous round above the limit: what changed cannot be shown
                before = changes = None
    return _indexed(view, before, changes, version, generator, max_age_days)


def _indexed(
    sheet: FactSheet, previous: FactSheet | None, changes: Comparison | None, version: str, generator: str, max_age_days: int
) -> BriefingContext:
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
        changes=changes,
        change_sections=change_sections(changes) if changes else [],
        headlines=headlines(changes, sheet) if changes else [],
        stale_figures=frozenset(
            figure.id for figure in sheet.figures if is_stale(figure.as_of, sheet.round.start, max_age_days)
        ),
        max_age_days=max_age_days,
    )


def series_table(figure: Figure, language: str = "en") -> tuple[list[str], list[list[str]]]:
    """A chart's numbers as a table: one row per date, one column per series ('–' where none),
    a projected or threatened value said to be so, as the chart draws it dashed."""
    headers = ["Date", *(series.label for series in figure.series)]
    dates = sorted({point.date for series in figure.series for point in series.points})
    by_series = [{point.date: point for point in series.points} for series in figure.series]

    def cell(point: SeriesPoint) -> str:
        shown = format_number(point.value, figure.unit, language)
        return f"{shown} (projected)" if point.projected else shown

    rows = [[format_date(day, language), *(cell(points[day]) if day in points else "–" for points in by_series)] for day in dates]
    return headers, rows


def figure_sources(figure: Figure) -> list[str]:
    """Every source a figure rests on: its own and those of its series."""
    return list(dict.fromkeys([figure.source, *(ref for series in figure.series for ref in series.sources)]))
