"""The fact-sheet schema: what a negotiation round's YAML may hold, and every rule it must keep.

Structure (types, unknown keys, formats) is checked by pydantic in strict mode, so "42" never
becomes 42. Rules that span the sheet (unique ids, references, dates that must cohere) are
checked by `FactSheet.reference_problems`, which returns every problem at once with its place.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from .markings import SCHEMES, scheme_for

Loc = tuple[str | int, ...]
KEY = "[key]"
"""Ends a Loc that points at a mapping key rather than its value (pydantic's own convention)."""

MAX_LINE_CHARS = 1_000
MAX_MARKDOWN_CHARS = 8_000

_RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}


def _not_reserved(value: str) -> str:
    """Ids become folder and file names, so they may not be names some systems reserve."""
    if value in _RESERVED_NAMES:
        raise ValueError(f"'{value}' is reserved as a file name on some systems; choose another id")
    return value


Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$"),
    AfterValidator(_not_reserved),
]
"""An id: also used in output paths, so short (at most 48 characters) and safe on every file system."""
class Prose:
    """Marks a text type as something a reader reads: printed, it carries its portion's marking label."""


PROSE = Prose()
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_LINE_CHARS), PROSE]
MAX_MARKDOWN_BRACKETS = 100
MAX_MARKDOWN_NESTING = 20
"""Quotes and lists inside one another: Python-Markdown and the PDF layout recurse once per level."""
_MARKDOWN_CONTAINER = re.compile(r"(?:>|[-*+](?=\s)|[0-9]{1,9}[.)](?=\s))[ \t]*")


def _tame_markdown(value: str) -> str:
    """Markdown's link syntax costs time that grows with the square of the '[' count, and each level
    of nesting costs a level of recursion in the renderers; cap both."""
    if (count := value.count("[")) > MAX_MARKDOWN_BRACKETS:
        raise ValueError(f"text has {count} '[' characters; at most {MAX_MARKDOWN_BRACKETS} are allowed in one field")
    for number, line in enumerate(value.splitlines(), 1):
        stripped = line.expandtabs(4).lstrip(" ")
        depth = (len(line.expandtabs(4)) - len(stripped)) // 2  # an indented line nests in a list
        while marker := _MARKDOWN_CONTAINER.match(stripped):
            depth += 1
            stripped = stripped[marker.end() :]
        if depth > MAX_MARKDOWN_NESTING:
            raise ValueError(
                f"line {number} of the text nests quotes ('>') or lists ('- ') {depth} levels deep; "
                f"at most {MAX_MARKDOWN_NESTING} are allowed"
            )
    return value


Markdown = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_MARKDOWN_CHARS), AfterValidator(_tame_markdown), PROSE
]
"""Free text that may hold Markdown (emphasis, links, lists, tables)."""

SAFE_URL_SCHEMES = ("http", "https", "mailto")


def _parse_iso_date(value: object) -> object:
    """Accept only YYYY-MM-DD text: YAML 1.2 has no date type, and a bare number is never a date."""
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(f"expected a date written YYYY-MM-DD, e.g. 2025-06-09; got {value!r}")
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"{value} is not a real date ({error})") from None
    return value


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme.lower() not in SAFE_URL_SCHEMES:
        raise ValueError(f"a link must start with http://, https:// or mailto:; got {value!r}")
    if parts.scheme.lower() != "mailto" and not parts.netloc:
        raise ValueError(f"a web link needs a host, e.g. https://example.org/page; got {value!r}")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValueError("a link may not contain spaces or control characters")
    return value


IsoDate = Annotated[date, BeforeValidator(_parse_iso_date)]
Url = Annotated[str, StringConstraints(max_length=2_000), AfterValidator(_check_url)]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
"""A BCP 47 language tag such as 'en', 'en-GB' or 'zh-Hans'."""
SourceRefs = Annotated[list[Slug], Field(max_length=50)]

Marking = Literal["OFFICIAL", "OFFICIAL-SENSITIVE", "UNCLASSIFIED", "CUI", "CONFIDENTIAL", "SECRET", "TOP SECRET"]
"""The markings of the UK and US schemes (briefgen.markings orders them); a sheet uses one scheme."""


class Model(BaseModel):
    """Every fact-sheet object: unknown keys are errors, no silent coercion, immutable once loaded."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MarkedLine(Model):
    """One line (an objective, an ask, a red line, a line to take) that carries its own marking."""

    text: Text
    marking: Marking | None = None


def _as_marked_lines(items: list[str | MarkedLine]) -> list[MarkedLine]:
    """Plain lines and marked lines read alike downstream: every item has .text and .marking."""
    return [MarkedLine(text=item) if isinstance(item, str) else item for item in items]


Lines = Annotated[list[Text | MarkedLine], Field(max_length=50), AfterValidator(_as_marked_lines)]
"""A list of lines, each either plain text or {text, marking} when it is more sensitive than the rest."""


class Negotiation(Model):
    id: Slug
    title: Text


class Round(Model):
    id: Slug
    title: Text
    number: Annotated[int, Field(ge=1)]
    start: IsoDate
    end: IsoDate
    city: Text
    country: Text
    venue: Text | None = None


class Briefing(Model):
    as_of: IsoDate
    prepared_by: Text
    prepared_for: Text
    marking: Marking
    status: Literal["draft", "final"]
    language: Language = "en"
    previous_round: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$")] | None = None
    purpose: Markdown
    bottom_line: Markdown


class Party(Model):
    id: Slug
    name: Text
    short_name: Text
    ours: bool = False


class Person(Model):
    id: Slug
    name: Text
    native_name: Text | None = None
    native_lang: Language | None = None
    title: Text
    party: Slug
    role: Text
    bio: Markdown | None = None
    sources: SourceRefs = []
    marking: Marking | None = None


class Claim(Model):
    """A statement attributed to a party, with the sources it rests on."""

    text: Markdown
    sources: SourceRefs = []
    marking: Marking | None = None


class Issue(Model):
    id: Slug
    title: Text
    priority: Literal["high", "medium", "low"]
    status: Literal["open", "progressing", "stalled", "agreed", "closed"]
    summary: Markdown
    lead: Slug | None = None
    positions: Annotated[dict[Slug, Claim], Field(max_length=20)]
    objectives: Lines = []
    asks: Lines = []
    their_asks: Lines = []
    red_lines: Lines = []
    lines_to_take: Lines = []
    sources: SourceRefs = []
    marking: Marking | None = None


class Compliance(Model):
    status: Literal["kept", "partly-kept", "broken", "disputed", "unclear"]
    statement: Markdown
    sources: SourceRefs = Field(min_length=1)
    marking: Marking | None = None


class Commitment(Model):
    id: Slug
    title: Text
    made_at: Text
    date: IsoDate
    by: list[Slug] = Field(min_length=1, max_length=20)
    text: Markdown
    issue: Slug | None = None
    compliance: Annotated[dict[Slug, Compliance], Field(max_length=20)]
    marking: Marking | None = None


Number = Annotated[float, Field(allow_inf_nan=False)]


class SeriesPoint(Model):
    date: IsoDate
    value: Number


class Series(Model):
    """One line of a chart: the same measure at successive dates."""

    label: Text
    points: list[SeriesPoint] = Field(min_length=2, max_length=200)
    sources: SourceRefs = Field(min_length=1)


class Figure(Model):
    id: Slug
    label: Text
    value: Number
    unit: Annotated[str, StringConstraints(max_length=40)]
    signed: bool = False
    period: Text | None = None
    as_of: IsoDate
    source: Slug
    note: Markdown | None = None
    series: list[Series] = Field(default=[], max_length=6)
    """When given, the figure is also drawn as a chart (with the same numbers in a table)."""
    chart: Literal["line", "step"] = "line"
    """'step' for values that hold until they change, such as tariff rates."""
    marking: Marking | None = None


class TimelineEntry(Model):
    date: IsoDate
    event: Markdown
    scheduled: bool = False
    sources: SourceRefs = Field(min_length=1)
    marking: Marking | None = None


class TalkingPoint(Model):
    text: Markdown
    issue: Slug | None = None
    sources: SourceRefs = []
    marking: Marking | None = None


class Risk(Model):
    text: Markdown
    likelihood: Literal["low", "medium", "high"]
    watch: Text | None = None
    sources: SourceRefs = []
    marking: Marking | None = None


class Source(Model):
    id: Slug
    title: Text
    publisher: Text
    url: Url
    date: IsoDate


class FactSheet(Model):
    """One negotiation round, as the briefing's authors know it on the as-of date."""

    negotiation: Negotiation
    round: Round
    briefing: Briefing
    # The caps are far above any real round, and keep a hostile sheet from stalling a build.
    parties: list[Party] = Field(min_length=2, max_length=20)
    people: list[Person] = Field(min_length=1, max_length=200)
    issues: list[Issue] = Field(min_length=1, max_length=100)
    commitments: list[Commitment] = Field(default=[], max_length=200)
    figures: list[Figure] = Field(default=[], max_length=200)
    timeline: list[TimelineEntry] = Field(default=[], max_length=500)
    talking_points: list[TalkingPoint] = Field(default=[], max_length=200)
    risks: list[Risk] = Field(default=[], max_length=100)
    sources: list[Source] = Field(min_length=1, max_length=500)

    def reference_problems(self) -> Iterator[tuple[Loc, str]]:
        """Every id that is not unique, every reference that does not resolve, every incoherent date."""
        yield from _duplicate_ids(self)
        yield from _dangling_references(self)
        yield from _incoherent_dates(self)
        yield from _mixed_marking_schemes(self)

    def markings(self) -> Iterator[tuple[Loc, str]]:
        """Every marking in the sheet with its place: the briefing's own, then each portion's."""
        yield from _markings_below(self, ())


def _duplicate_ids(sheet: FactSheet) -> Iterator[tuple[Loc, str]]:
    for name in ("parties", "people", "issues", "commitments", "figures", "sources"):
        items = getattr(sheet, name)
        counts = Counter(item.id for item in items)
        seen: set[str] = set()
        for index, item in enumerate(items):
            if counts[item.id] > 1 and item.id in seen:
                yield (name, index, "id"), f"duplicate id '{item.id}'; ids must be unique within {name}"
            seen.add(item.id)
    ours = [index for index, party in enumerate(sheet.parties) if party.ours]
    if len(ours) != 1:
        where: Loc = ("parties", ours[1], "ours") if ours else ("parties",)
        yield where, "exactly one party must be marked 'ours: true' (the side this briefing is for)"


def _dangling_references(sheet: FactSheet) -> Iterator[tuple[Loc, str]]:
    known = {
        "party": [party.id for party in sheet.parties],
        "person": [person.id for person in sheet.people],
        "issue": [issue.id for issue in sheet.issues],
        "source": [source.id for source in sheet.sources],
    }

    def check(kind: str, ref: str | None, loc: Loc) -> Iterator[tuple[Loc, str]]:
        if ref is not None and ref not in known[kind]:
            yield loc, f"unknown {kind} '{ref}'; known: {', '.join(known[kind])}"

    def check_sources(refs: list[str], loc: Loc) -> Iterator[tuple[Loc, str]]:
        for index, ref in enumerate(refs):
            yield from check("source", ref, (*loc, "sources", index))

    for i, person in enumerate(sheet.people):
        yield from check("party", person.party, ("people", i, "party"))
        yield from check_sources(person.sources, ("people", i))
    for i, issue in enumerate(sheet.issues):
        yield from check("person", issue.lead, ("issues", i, "lead"))
        yield from check_sources(issue.sources, ("issues", i))
        for party, claim in issue.positions.items():
            yield from check("party", party, ("issues", i, "positions", party, KEY))
            yield from check_sources(claim.sources, ("issues", i, "positions", party))
    for i, commitment in enumerate(sheet.commitments):
        for j, party in enumerate(commitment.by):
            yield from check("party", party, ("commitments", i, "by", j))
        yield from check("issue", commitment.issue, ("commitments", i, "issue"))
        for party, compliance in commitment.compliance.items():
            yield from check("party", party, ("commitments", i, "compliance", party, KEY))
            yield from check_sources(compliance.sources, ("commitments", i, "compliance", party))
    for i, figure in enumerate(sheet.figures):
        yield from check("source", figure.source, ("figures", i, "source"))
        for j, series in enumerate(figure.series):
            yield from check_sources(series.sources, ("figures", i, "series", j))
    for i, entry in enumerate(sheet.timeline):
        yield from check_sources(entry.sources, ("timeline", i))
    for i, point in enumerate(sheet.talking_points):
        yield from check("issue", point.issue, ("talking_points", i, "issue"))
        yield from check_sources(point.sources, ("talking_points", i))
    for i, risk in enumerate(sheet.risks):
        yield from check_sources(risk.sources, ("risks", i))


def _incoherent_dates(sheet: FactSheet) -> Iterator[tuple[Loc, str]]:
    as_of = sheet.briefing.as_of
    if sheet.round.end < sheet.round.start:
        yield ("round", "end"), f"the round ends ({sheet.round.end}) before it starts ({sheet.round.start})"
    for i, entry in enumerate(sheet.timeline):
        if entry.date > as_of and not entry.scheduled:
            yield (
                ("timeline", i, "date"),
                f"{entry.date} is after the as-of date {as_of}; add 'scheduled: true' if it is planned",
            )
    for i, figure in enumerate(sheet.figures):
        if figure.as_of > as_of:
            yield ("figures", i, "as_of"), f"a figure cannot be true as of {figure.as_of}, after the as-of date {as_of}"
        for j, series in enumerate(figure.series):
            dates = [point.date for point in series.points]
            if dates != sorted(set(dates)):
                yield ("figures", i, "series", j, "points"), "points must be in date order, one per date"
            elif dates[-1] > as_of:
                yield ("figures", i, "series", j, "points"), f"a point dated {dates[-1]} is after the as-of date {as_of}"
    for i, source in enumerate(sheet.sources):
        if source.date > as_of:
            yield ("sources", i, "date"), (
                f"source dated {source.date} is after the as-of date {as_of}; "
                "a briefing can only cite what was published by then"
            )


def _markings_below(value: object, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(value, BaseModel):
        marking = getattr(value, "marking", None)
        if marking is not None:
            yield (*loc, "marking"), marking
        for name in type(value).model_fields:
            if name != "marking":
                yield from _markings_below(getattr(value, name), (*loc, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _markings_below(item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _markings_below(item, (*loc, key))


def _mixed_marking_schemes(sheet: FactSheet) -> Iterator[tuple[Loc, str]]:
    """All markings must come from one scheme: otherwise 'highest' has no meaning."""
    found = list(sheet.markings())
    if scheme_for(marking for _, marking in found) is not None:
        return
    base = sheet.briefing.marking
    scheme = scheme_for([base]) or "uk"
    for loc, marking in found:
        if marking not in SCHEMES[scheme]:
            yield loc, (
                f"marking '{marking}' is not in the {scheme.upper()} scheme of the briefing's own marking '{base}'; "
                f"use one of {', '.join(SCHEMES[scheme])}"
            )


def cited_source_ids(value: object) -> Iterator[str]:
    """Every source id cited below `value`, found by field name ('source', 'sources'), so fields added later count too."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            item = getattr(value, name)
            if name == "source" and isinstance(item, str):
                yield item
            elif name == "sources" and isinstance(item, list) and all(isinstance(ref, str) for ref in item):
                yield from item
            else:
                yield from cited_source_ids(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from cited_source_ids(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from cited_source_ids(item)
