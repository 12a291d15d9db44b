"""What changed between two rounds' fact sheets, as typed records, and how to show it to a reader.

`compare` matches issues, commitments and people by id, and figures by id or else by label, and
lists only what differs: added, dropped and changed items, each change with its old and new
values. A figure counts as changed when its value, unit, period or as-of date differs (a new
label or source alone is editing, not news). `compare_revision` compares each fact sheet in the
working tree with the same file at a git revision, for review before a change is merged.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from .context import format_figure
from .errors import EnvironmentProblem, InvalidFactSheets, UsageError
from .loader import _describe, find_fact_sheets, load  # _describe: pydantic error -> located Problem
from .loader import _problem as located_problem
from .models import FactSheet, Figure, Person
from .render import escape_markdown
from .yamlsource import YamlProblems, read_yaml

Direction = Literal["up", "down", "unchanged"]
NONE = "none"
"""The compliance status of a party that makes no claim about a commitment."""


@dataclass(frozen=True)
class ValueChange:
    """One field's value before and after; None where the field was absent."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class IssueRef:
    id: str
    title: str


@dataclass(frozen=True)
class IssueChange:
    """An issue in both rounds whose status, priority or a party's position changed."""

    id: str
    title: str
    changes: tuple[ValueChange, ...]
    """Fields 'status', 'priority', and 'position.<party id>' for each party whose position changed."""


@dataclass(frozen=True)
class FigureRef:
    id: str
    label: str
    value: float
    unit: str
    text: str
    """The value as the briefing shows it, e.g. '+4.8%'."""


@dataclass(frozen=True)
class FigureMove:
    """A figure in both rounds whose value, unit, period or as-of date changed."""

    id: str
    label: str
    old_value: float
    new_value: float
    unit: str
    old_text: str
    new_text: str
    delta: float | None
    """new - old; None when the unit changed, since 10% and 10 USD bn cannot be subtracted."""
    delta_text: str | None
    """e.g. '-115 pp': percentages move by percentage points."""
    direction: Direction


@dataclass(frozen=True)
class CommitmentRef:
    id: str
    title: str


@dataclass(frozen=True)
class CommitmentChange:
    """A commitment in both rounds whose compliance status changed for at least one party."""

    id: str
    title: str
    compliance: tuple[ValueChange, ...]
    """One change per party (field: the party id); 'none' where the party made no claim."""


@dataclass(frozen=True)
class PersonRef:
    id: str
    name: str


@dataclass(frozen=True)
class PersonChange:
    id: str
    name: str
    changes: tuple[ValueChange, ...]
    """Fields 'title' and 'role', where they changed."""


@dataclass(frozen=True)
class DelegationChange:
    """Who joined, left or changed role in one party's delegation."""

    party: str
    party_name: str
    joined: tuple[PersonRef, ...]
    left: tuple[PersonRef, ...]
    changed: tuple[PersonChange, ...]


@dataclass(frozen=True)
class Comparison:
    """Everything that differs between two rounds; items unchanged in both are not listed."""

    issues_added: tuple[IssueRef, ...] = ()
    issues_dropped: tuple[IssueRef, ...] = ()
    issues_changed: tuple[IssueChange, ...] = ()
    figures_added: tuple[FigureRef, ...] = ()
    figures_dropped: tuple[FigureRef, ...] = ()
    figures_moved: tuple[FigureMove, ...] = ()
    commitments_added: tuple[CommitmentRef, ...] = ()
    commitments_dropped: tuple[CommitmentRef, ...] = ()
    commitments_changed: tuple[CommitmentChange, ...] = ()
    delegations: tuple[DelegationChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, field.name) for field in fields(self))


def compare(old: FactSheet | None, new: FactSheet) -> Comparison:
    """The changes from `old` (the previous round; None for a new file) to `new`."""
    before_issues = {issue.id: issue for issue in old.issues} if old else {}
    after_issues = {issue.id: issue for issue in new.issues}
    before_commitments = {item.id: item for item in old.commitments} if old else {}
    after_commitments = {item.id: item for item in new.commitments}
    moved, figures_added, figures_dropped = _compare_figures(old.figures if old else [], new.figures)
    return Comparison(
        issues_added=tuple(IssueRef(i.id, i.title) for i in new.issues if i.id not in before_issues),
        issues_dropped=tuple(IssueRef(i.id, i.title) for i in (old.issues if old else []) if i.id not in after_issues),
        issues_changed=tuple(
            IssueChange(issue.id, issue.title, changes)
            for issue in new.issues
            if issue.id in before_issues and (changes := _issue_changes(before_issues[issue.id], issue))
        ),
        figures_added=figures_added,
        figures_dropped=figures_dropped,
        figures_moved=moved,
        commitments_added=tuple(
            CommitmentRef(c.id, c.title) for c in new.commitments if c.id not in before_commitments
        ),
        commitments_dropped=tuple(
            CommitmentRef(c.id, c.title) for c in (old.commitments if old else []) if c.id not in after_commitments
        ),
        commitments_changed=tuple(
            CommitmentChange(item.id, item.title, changes)
            for item in new.commitments
            if item.id in before_commitments and (changes := _compliance_changes(before_commitments[item.id], item))
        ),
        delegations=_compare_delegations(old, new),
    )


def _same_text(old: str, new: str) -> bool:
    """Rewrapping a paragraph in the YAML is not a change of position."""
    return old.split() == new.split()


def _issue_changes(old: object, new: object) -> tuple[ValueChange, ...]:
    from .models import Issue

    assert isinstance(old, Issue) and isinstance(new, Issue)
    changes = [
        ValueChange(name, getattr(old, name), getattr(new, name))
        for name in ("status", "priority")
        if getattr(old, name) != getattr(new, name)
    ]
    for party in dict.fromkeys([*old.positions, *new.positions]):
        before, after = old.positions.get(party), new.positions.get(party)
        if before is None or after is None or not _same_text(before.text, after.text):
            changes.append(
                ValueChange(f"position.{party}", before.text if before else None, after.text if after else None)
            )
    return tuple(changes)
