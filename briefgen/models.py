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
from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

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
        if stripped.startswith("|") and (columns := stripped.strip().strip("|").count("|") + 1) > MAX_TABLE_COLUMNS:
            raise ValueError(
                f"line {number} of the text is a table row of {columns} columns; at most {MAX_TABLE_COLUMNS} fit a "
                "page (split the table, or give the numbers as a figure's series)"
            )
    return value


MAX_TABLE_COLUMNS = 20
"""A Markdown table wider than this cannot be read on a page, and costs the PDF layout dearly."""


_INLINE_LINK = re.compile(r"\]\(\s*<?([^\s)>]*)")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*<?([^\s>]*)", re.MULTILINE)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>")
_HTML_URL = re.compile(r"\b(?:href|src)\s*=\s*[\"']?([^\"'\s<>]*)", re.IGNORECASE)
"""Any href= or src= in text holding '<', inside a tag or not: a quoted '>' cannot hide one."""
_IMAGE = re.compile(r"!\[[^\]]*\]\s*[(\[]|<img\b", re.IGNORECASE)


def _link_allowed(target: str) -> bool:
    """A link may leave for the web or a mail client, or jump within the briefing; nothing else."""
    if target.startswith("#"):
        return True
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    return (scheme in ("http", "https") and bool(parts.netloc)) or (scheme == "mailto" and bool(parts.path))


def _safe_links(value: str) -> str:
    """Links in prose must not point at the build machine (a relative path, file:, javascript:):
    the HTML would carry them. Only text holding '](', ']:' or '<' can hold a link, so most skip this."""
    if "](" not in value and "]:" not in value and "<" not in value:
        return value
    if _IMAGE.search(value):
        raise ValueError("fact sheets cannot embed images; link to the page that shows it instead")
    for pattern in (_INLINE_LINK, _REFERENCE_DEFINITION, _AUTOLINK, _HTML_URL):
        for match in pattern.finditer(value):
            if not _link_allowed(match.group(1)):
                raise ValueError(
                    f"link {match.group(1)!r} is not allowed: a link in a fact sheet must be an http://, https:// "
                    "or mailto: address, or an anchor such as #sources"
                )
    return value


Markdown = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_MARKDOWN_CHARS),
    AfterValidator(_tame_markdown),
    AfterValidator(_safe_links),
    PROSE,
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


def _text_as_marked(value: object) -> object:
    """Plain text and {text, marking} read alike downstream: both become the marked model."""
    if isinstance(value, str):
        return {"text": value}
    if isinstance(value, dict):
        return value
    given = "nothing (an empty value)" if value is None else "a list" if isinstance(value, list) else repr(value)
    raise ValueError(f"expected text, or text with its own marking ({{text: ..., marking: ...}}); got {given}")


Lines = Annotated[
    list[Annotated[MarkedLine, BeforeValidator(_text_as_marked, json_schema_input_type=MarkedLine | Text)]],
    Field(max_length=50),
]
"""A list of lines, each either plain text or {text, marking} when it is more sensitive than the rest."""


class MarkedText(Model):
    """A paragraph of prose (a bottom line, a purpose, a readout) that carries its own marking."""

    text: Markdown
    marking: Marking | None = None


MarkedMarkdown = Annotated[MarkedText, BeforeValidator(_text_as_marked, json_schema_input_type=MarkedText | Markdown)]
"""Prose written either as plain Markdown or as {text, marking}; always a MarkedText once loaded."""


class Negotiation(Model):
    id: Slug
    title: Text


class AgreedPoint(Model):
    """One thing the round agreed, as the record of it says."""

    text: Markdown
    sources: SourceRefs = Field(min_length=1)
    marking: Marking | None = None


class Outcome(Model):
    """What a round came to once it has happened: this round's readout, the next round's starting point."""

    summary: MarkedMarkdown | None = None
    agreed: list[AgreedPoint] = Field(default=[], max_length=50)
    sources: SourceRefs = []


MeetingMode = Literal["in-person", "virtual", "phone", "margins"]
PLACED_MODES = ("in-person", "margins")
"""Modes that meet somewhere, so the round needs a city and country."""


class Round(Model):
    id: Slug
    title: Text
    number: Annotated[int, Field(ge=1)]
    start: IsoDate
    end: IsoDate
    mode: MeetingMode = "in-person"
    """'margins': on the margins of another meeting, named by `margins_of`."""
    margins_of: Text | None = Field(default=None, validate_default=True)
    city: Text | None = Field(default=None, validate_default=True)
    """Required in person and on the margins; optional for a virtual or phone round."""
    country: Text | None = Field(default=None, validate_default=True)
    venue: Text | None = None
    outcome: Outcome | None = None
    """Filled in once the round has happened."""

    @field_validator("margins_of", "city", "country")
    @classmethod
    def _fits_mode(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Checked with the types, not after them, so `validate` lists an empty city with the rest."""
        mode = info.data.get("mode")
        if mode is None:  # the mode itself is wrong, and reported
            return value
        if info.field_name == "margins_of":
            if mode == "margins" and value is None:
                raise ValueError("required for a round on the margins: name the meeting, e.g. 'the ASEAN summit'")
            if mode != "margins" and value is not None:
                raise ValueError(f"only for a round on the margins of another meeting ('mode: margins'), not '{mode}'")
        elif mode in PLACED_MODES and value is None:
            raise ValueError(f"required for a round held {mode}: where does it meet?")
        return value


def _check_email(value: str) -> str:
    if not re.fullmatch(r"[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", value):
        raise ValueError(f"{value!r} is not an email address; write it as name@example.org")
    return value


def _check_phone(value: str) -> str:
    if not re.fullmatch(r"\+?[0-9][0-9 ().-]{4,29}", value):
        raise ValueError(f"{value!r} is not a phone number; write digits, spaces and an optional leading +")
    return value


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_check_email)]
Phone = Annotated[str, StringConstraints(max_length=30), AfterValidator(_check_phone)]


class Contact(Model):
    """The officer to call about the briefing: at least a phone number or an email address."""

    name: Text
    role: Text
    phone: Phone | None = None
    email: Email | None = None
    marking: Marking | None = None


class Clearance(Model):
    name: Text
    role: Text
    date: IsoDate
    marking: Marking | None = None


class Briefing(Model):
    as_of: IsoDate
    prepared_by: Text
    prepared_for: Text
    marking: Marking
    status: Literal["draft", "final"]
    language: Language = "en"
    previous_round: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$")] | None = None
    purpose: MarkedMarkdown
    bottom_line: MarkedMarkdown
    objectives: Lines = []
    """What we must leave the room with, for the meeting as a whole."""
    contact: Contact | None = None
    clearances: list[Clearance] = Field(default=[], max_length=20)
    """Who cleared the briefing, in order."""


class Party(Model):
    id: Slug
    name: Text
    short_name: Text
    ours: bool = False
    role: Literal["negotiator", "observer", "chair", "mediator"] = "negotiator"
    """Only negotiators are expected to state a position on every issue."""
    members: list[Text] = Field(default=[], max_length=200)
    """For a group (the African Group, the EU): its members' names."""


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


class IfRaised(Model):
    """A reactive line: what to say if the other side raises `topic`."""

    topic: Text
    line: Markdown
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
    fallbacks: Lines = []
    """Positions we can fall back to; internal, like red lines."""
    lines_to_take: Lines = []
    if_raised: list[IfRaised] = Field(default=[], max_length=20)
    onepager: bool = False
    """Must be on the one-pager."""
    sources: SourceRefs = []
    marking: Marking | None = None


class Compliance(Model):
    status: Literal["kept", "partly-kept", "broken", "disputed", "unclear", "not-yet-due"]
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
    due: IsoDate | None = None
    compliance: Annotated[dict[Slug, Compliance], Field(max_length=20)] = {}
    """Empty for a commitment made at this round that nobody can yet judge."""
    onepager: bool = False
    marking: Marking | None = None


NUMBER_DIGITS = 30
"""At most this many digits before the decimal point and after it: differences stay exact and charts finite."""
_NUMBER_LIMIT = Decimal(10) ** NUMBER_DIGITS


def _number(value: object) -> Decimal:
    """A number exactly as written (3.0 keeps its decimal, 9007199254740993 every digit), within bounds.

    The YAML reader gives whole numbers as int and others as Decimal; a float from Python is taken
    as its shortest repr. Text, true/false, infinities and numbers too large or too fine are refused.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise PydanticCustomError("float_type", "Input should be a valid number")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise PydanticCustomError("finite_number", "Input should be a finite number")
    if number.copy_abs() >= _NUMBER_LIMIT:
        raise ValueError(f"number is too large; at most {NUMBER_DIGITS} digits before the decimal point are allowed")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -NUMBER_DIGITS:
        raise ValueError(f"number has {-exponent} decimal places; at most {NUMBER_DIGITS} are allowed")
    return number


Number = Annotated[
    Decimal,
    PlainValidator(_number),
    WithJsonSchema({"type": "number", "exclusiveMinimum": -(10**NUMBER_DIGITS), "exclusiveMaximum": 10**NUMBER_DIGITS}),
]


class SeriesPoint(Model):
    date: IsoDate
    value: Number
    projected: bool = False
    """A value announced or threatened, not yet in force: required after the as-of date."""


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
    historical: bool = False
    """A figure about the past that stays true: no freshness warning."""
    onepager: bool = False
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
    historical: bool = False
    """Cited for what it records, not for what is true now: no freshness warning."""
    marking: Marking | None = None


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
        if (contact := self.briefing.contact) is not None and contact.phone is None and contact.email is None:
            yield ("briefing", "contact"), "the contact officer needs a phone number or an email address (or both)"
        if (outcome := self.round.outcome) is not None and outcome.summary is None and not outcome.agreed:
            yield ("round", "outcome"), "an outcome needs a summary or at least one agreed point"

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
        for j, reactive in enumerate(issue.if_raised):
            yield from check_sources(reactive.sources, ("issues", i, "if_raised", j))
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
    if (outcome := sheet.round.outcome) is not None:
        yield from check_sources(outcome.sources, ("round", "outcome"))
        for i, agreed in enumerate(outcome.agreed):
            yield from check_sources(agreed.sources, ("round", "outcome", "agreed", i))


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
            for k, point in enumerate(series.points):
                if point.date > as_of and not point.projected:
                    yield ("figures", i, "series", j, "points", k, "date"), (
                        f"a point dated {point.date} is after the as-of date {as_of}; "
                        "add 'projected: true' if it is announced or threatened, not yet in force"
                    )
    for i, commitment in enumerate(sheet.commitments):
        if commitment.due is not None and commitment.due < commitment.date:
            yield ("commitments", i, "due"), f"due {commitment.due}, before the commitment was made ({commitment.date})"
        for party, compliance in commitment.compliance.items():
            if compliance.status == "not-yet-due" and commitment.due is not None and commitment.due < as_of:
                yield ("commitments", i, "compliance", party, "status"), (
                    f"the commitment was due on {commitment.due}, before the as-of date {as_of}; "
                    "say whether it was kept"
                )
    if sheet.round.outcome is not None and sheet.round.start > as_of:
        yield ("round", "outcome"), (
            f"the round starts {sheet.round.start}, after the as-of date {as_of}: "
            "an outcome can only be recorded once it has met"
        )
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
