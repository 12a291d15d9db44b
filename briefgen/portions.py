"""Portions and their markings: the one place that decides how each piece of a sheet is marked.

A *portion* is any part of a fact sheet with a `marking` field: an issue, a claim, a line, a
figure, a person, a source, a paragraph of the bottom line. Its effective marking is the
highest of its own, that of the portion it sits in (a red line in a SECRET issue), that of the
issue it is about (a talking point about that issue) and the own marking of every source it
cites (what rests on a SECRET source is SECRET). A source is marked as the least marked portion
that cites it, or its own marking if that is higher.

`labelled()` returns the sheet with every portion's `marking` set to its effective marking and
every prose string as a `Labelled` string that carries it, so a template prints the label
without asking for it (briefgen/render.py). `release()` leaves out every portion above a
limit, so a release shows exactly what a complete build labels at or below it.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, Self, Union, get_args, get_origin

from pydantic import BaseModel

from .errors import BriefgenError
from .markings import above, highest, rank, scheme_for
from .models import PROSE, Briefing, FactSheet, Source

M = typing.TypeVar("M", bound=BaseModel)

NOT_PORTIONS: tuple[type[BaseModel], ...] = (Briefing,)
"""Models whose `marking` is not a portion's: the briefing's own marking covers the whole sheet."""
SOURCE_REFERENCES = ("source", "sources")
"""Fields that cite sources by id, in any model (models.cited_source_ids reads the same names)."""


class NotReleasable(BriefgenError):
    """A briefing that may not be published at the requested marking."""


class Labelled(str):
    """Prose from a marked portion: printed, it reads '(SECRET) text' in every format."""

    marking: str

    def __new__(cls, text: str, marking: str) -> Self:
        made = super().__new__(cls, text)
        made.marking = marking
        return made

    def __reduce__(self) -> tuple[type[Labelled], tuple[str, str]]:
        return (type(self), (str(self), self.marking))


def labelled_text(text: str, marking: str | None) -> str:
    """`text` carrying `marking` (plain text when there is none)."""
    return Labelled(text, marking) if marking else str(text)


def marking_of(value: object) -> str | None:
    """The marking a printed value carries: a Labelled string's, or a portion's own."""
    return getattr(value, "marking", None)


def label(marking: str) -> str:
    """The label printed before a marked portion: '(SECRET)'."""
    return f"({marking})"


def with_label(value: object) -> str:
    """A value as plain text with its label in front, for terminals and plain-text channels."""
    marking = marking_of(value)
    return f"{label(marking)} {value}" if marking else str(value)


def sheet_scheme(sheet: FactSheet) -> str:
    """The marking scheme the sheet's markings belong to (validation makes sure there is one)."""
    return scheme_for(marking for _, marking in sheet.markings()) or scheme_for([sheet.briefing.marking]) or "uk"


def labelled(sheet: FactSheet, *, unmarked: str | None = None) -> FactSheet:
    """The sheet as products print it: each portion at its effective marking, prose labelled.

    `unmarked` is the marking of what carries none: None in a briefing's own sheet (its
    banner covers it), the previous round's own marking when that round's content is shown
    in a briefing marked otherwise.
    """
    walk = _Walk(sheet, sheet_scheme(sheet))
    issues = [walk.model(issue, unmarked) for issue in sheet.issues]
    walk.issue_markings = {issue.id: marking_of(issue) for issue in issues}
    update: dict[str, Any] = {"issues": issues}
    for name in type(sheet).model_fields:
        if name not in ("issues", "sources"):
            update[name] = walk.value(getattr(sheet, name), name, type(sheet), unmarked)
    update["sources"] = [walk.source(source, unmarked) for source in sheet.sources]
    return sheet.model_copy(update=update)


def labelled_previous(previous: FactSheet, sheet: FactSheet) -> FactSheet:
    """The previous round as `sheet`'s products show it. What it left unmarked takes its own
    marking when that is above `sheet`'s (and is labelled so); otherwise `sheet`'s banner covers it."""
    scheme = sheet_scheme(sheet)
    own = previous.briefing.marking
    return labelled(previous, unmarked=own if rank(own, scheme) > rank(sheet.briefing.marking, scheme) else None)


@dataclass
class _Walk:
    sheet: FactSheet
    scheme: str
    issue_markings: dict[str, str | None] = field(default_factory=dict)
    citations: dict[str, list[str | None]] = field(default_factory=dict)
    """Source id → the effective marking of every portion citing it."""

    def value(self, value: Any, name: str, owner: type[BaseModel], inherited: str | None) -> Any:
        if isinstance(value, BaseModel):
            return self.model(value, inherited)
        if isinstance(value, str):
            return labelled_text(value, inherited) if inherited and name in _prose_fields(owner) else value
        if isinstance(value, list):
            return [self.value(item, name, owner, inherited) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item, name, owner, inherited) for key, item in value.items()}
        return value

    def model(self, value: M, inherited: str | None) -> M:
        fields = type(value).model_fields
        marking = inherited
        if _is_portion(value):
            about = getattr(value, "issue", None)
            cited = [self._own_source_marking(ref) for ref in _cited(value)]
            marking = highest([inherited, marking_of(value), self.issue_markings.get(about or ""), *cited], self.scheme)
            for ref in _cited(value):
                self.citations.setdefault(ref, []).append(marking)
        update: dict[str, Any] = {"marking": marking} if _is_portion(value) else {}
        for name in fields:
            if name != "marking" and name not in SOURCE_REFERENCES:
                update[name] = self.value(getattr(value, name), name, type(value), marking)
        return value.model_copy(update=update)

    def source(self, source: Source, unmarked: str | None) -> Source:
        """A source is as marked as the least marked portion citing it, or its own marking if higher."""
        citers = self.citations.get(source.id, [])
        least = min(citers, key=lambda marking: rank(marking, self.scheme)) if citers else None
        marking = highest([unmarked, marking_of(source), least], self.scheme)
        copy = self.model(source, marking)
        return copy.model_copy(update={"marking": marking}) if _is_portion(source) else copy

    def _own_source_marking(self, ref: str) -> str | None:
        return next((marking_of(source) for source in self.sheet.sources if source.id == ref), None)


def _is_portion(value: object) -> bool:
    return isinstance(value, BaseModel) and "marking" in type(value).model_fields and not isinstance(value, NOT_PORTIONS)


def _cited(value: BaseModel) -> list[str]:
    refs: list[str] = []
    for name in SOURCE_REFERENCES:
        item = getattr(value, name, None)
        if isinstance(item, str):
            refs.append(item)
        elif isinstance(item, list):
            refs.extend(ref for ref in item if isinstance(ref, str))
    return refs


@cache
def _prose_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of a model's fields a reader reads: prose (the `PROSE` marker), alone or in a
    list, and choices such as a status or a priority ('disputed' says something too)."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if name not in UNLABELLED and (PROSE in info.metadata or _is_read(info.annotation))
    )


UNLABELLED = frozenset({"marking", "chart", "mode"})
"""Choices that say how something is shown, not what it says."""


def _is_read(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return PROSE in annotation.__metadata__ or _is_read(get_args(annotation)[0])
    if origin is Literal:
        return all(isinstance(arg, str) for arg in get_args(annotation))
    if origin in (Union, types.UnionType, list):
        return any(_is_read(arg) for arg in get_args(annotation))
    return False


def release(view: FactSheet, limit: str, name: str) -> FactSheet:
    """The labelled `view` without every portion marked above `limit`; NotReleasable if that
    leaves too little to make a briefing, or the briefing itself is marked above the limit."""
    scheme = sheet_scheme(view)
    if above(view.briefing.marking, limit, scheme):
        raise NotReleasable(f"{name}: marked {view.briefing.marking}, above the release limit {limit}")

    def kept(value: Any) -> bool:
        return not (_is_portion(value) and above(marking_of(value), limit, scheme))

    def prune(value: Any) -> Any:
        if isinstance(value, BaseModel):
            update = {key: prune(getattr(value, key)) if kept(getattr(value, key)) else None for key in type(value).model_fields}
            return value.model_copy(update=update)
        if isinstance(value, list):
            return [prune(item) for item in value if kept(item)]
        if isinstance(value, dict):
            return {key: prune(item) for key, item in value.items() if kept(item)}
        return value

    released: FactSheet = prune(view)
    people = {person.id for person in released.people}
    issues = [issue if issue.lead is None or issue.lead in people else issue.model_copy(update={"lead": None}) for issue in released.issues]
    released = released.model_copy(update={"issues": issues})
    empty = [part for part in ("issues", "people", "sources") if not getattr(released, part)]
    if empty:
        raise NotReleasable(f"{name}: at {limit}, nothing would remain of its {' and '.join(empty)}")
    if problems := list(released.reference_problems()):
        raise NotReleasable(f"{name}: at {limit}, the released sheet would be inconsistent: {problems[0][1]}")
    return released


# Printing: what the templates printed, so each product's banner covers every label on it.

_printed: ContextVar[set[str] | None] = ContextVar("briefgen_printed_markings", default=None)
_banner: ContextVar[str | None] = ContextVar("briefgen_banner", default=None)


def note_printed(marking: str) -> None:
    """Called for every label printed: the product's banner must be at least that marking."""
    printed = _printed.get()
    if printed is not None:
        printed.add(marking)


@contextmanager
def printing(banner: str) -> Iterator[set[str]]:
    """Collect the markings of every label printed inside the block, whose banner is `banner`."""
    printed: set[str] = set()
    printed_token = _printed.set(printed)
    banner_token = _banner.set(banner)
    try:
        yield printed
    finally:
        _printed.reset(printed_token)
        _banner.reset(banner_token)


def current_banner() -> str | None:
    """The banner of the product being printed (None outside one)."""
    return _banner.get()
