"""What changed between two rounds' fact sheets, as typed records, and how to show it to a reader.

`compare` matches issues, commitments and people by id, and figures by id or else by label, and
lists only what differs: added, dropped and changed items, each change with its old and new
values. A figure counts as moved when its value, unit, period or as-of date differs (a new label,
note or source alone is editing, not news). `compare_revision` compares each fact sheet in the
working tree with the same file at a git revision, for a pull request's review.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, localcontext
from pathlib import Path
from typing import Literal

from .discover import FACT_SHEET_SUFFIXES, find_fact_sheets
from .errors import EnvironmentProblem, InvalidFactSheets, UsageError
from .formatting import escape_markdown, format_figure, format_number
from .loader import load, validate_document
from .markings import above, highest, highest_of_any
from .models import NUMBER_DIGITS, Commitment, FactSheet, Figure, Issue, Person
from .portions import labelled, labelled_previous, labelled_text, marking_of, with_label
from .yamlsource import YamlProblems, read_yaml

Direction = Literal["up", "down", "unchanged"]
NO_CLAIM = "none"
"""The compliance status of a party that makes no claim about a commitment."""


@dataclass(frozen=True)
class ValueChange:
    """One field before and after; None where the field was absent."""

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
    """Fields 'status', 'priority' and 'position.<party id>', only those that changed."""


@dataclass(frozen=True)
class FigureRef:
    id: str
    label: str
    value: Decimal
    unit: str
    text: str
    """The value as a briefing shows it, e.g. '+4.8%'."""


@dataclass(frozen=True)
class FigureMove:
    """A figure in both rounds whose value, unit, period or as-of date changed."""

    id: str
    label: str
    old_value: Decimal
    new_value: Decimal
    unit: str
    old_text: str
    new_text: str
    delta: Decimal | None
    """new - old; None when the unit changed, since 10% and 10 USD bn cannot be subtracted."""
    delta_text: str | None
    """e.g. '−115 pp': a percentage moves by percentage points, not by percent."""
    direction: Direction
    changes: tuple[ValueChange, ...] = ()
    """'period' and 'as_of', where they changed: why a figure with the same value is listed."""
    old_marking: str | None = None
    """The marking of the figure in the earlier round (the label carries the new one)."""


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
    """One change per party (field: the party id), 'none' where that party made no claim."""


@dataclass(frozen=True)
class PersonRef:
    id: str
    name: str


@dataclass(frozen=True)
class PersonChange:
    id: str
    name: str
    changes: tuple[ValueChange, ...]
    """Fields 'title' and 'role', only those that changed."""


@dataclass(frozen=True)
class DelegationChange:
    """Who joined, left, or changed title or role in one party's delegation."""

    party: str
    party_name: str
    joined: tuple[PersonRef, ...] = ()
    left: tuple[PersonRef, ...] = ()
    changed: tuple[PersonChange, ...] = ()


@dataclass(frozen=True)
class Comparison:
    """Everything that differs between two rounds; what is the same in both is not listed."""

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
    party_names: dict[str, str] = field(default_factory=dict, compare=False)
    """Party id → short name in either round, so changes read 'China', not 'cn'."""

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, item.name) for item in fields(self) if item.name != "party_names")

    def released(self, limit: str, scheme: str) -> Comparison:
        """What may be shown at `limit`: every change that touches a portion marked above it is
        left out (a change whose old or new value is withheld is left out whole)."""

        def shown(*values: object) -> bool:
            return not any(above(marking_of(value), limit, scheme) for value in values)

        def values(changes: tuple[ValueChange, ...]) -> tuple[ValueChange, ...]:
            return tuple(change for change in changes if shown(change.old, change.new))

        def people(change: DelegationChange) -> DelegationChange:
            return replace(
                change,
                joined=tuple(p for p in change.joined if shown(p.name)),
                left=tuple(p for p in change.left if shown(p.name)),
                changed=tuple(replace(p, changes=values(p.changes)) for p in change.changed if shown(p.name) and values(p.changes)),
            )

        delegations = (people(change) for change in self.delegations)
        return Comparison(
            issues_added=tuple(i for i in self.issues_added if shown(i.title)),
            issues_dropped=tuple(i for i in self.issues_dropped if shown(i.title)),
            issues_changed=tuple(replace(i, changes=values(i.changes)) for i in self.issues_changed if shown(i.title) and values(i.changes)),
            figures_added=tuple(f for f in self.figures_added if shown(f.label)),
            figures_dropped=tuple(f for f in self.figures_dropped if shown(f.label)),
            figures_moved=tuple(m for m in self.figures_moved if shown(m.label) and not above(m.old_marking, limit, scheme)),
            commitments_added=tuple(c for c in self.commitments_added if shown(c.title)),
            commitments_dropped=tuple(c for c in self.commitments_dropped if shown(c.title)),
            commitments_changed=tuple(
                replace(c, compliance=values(c.compliance)) for c in self.commitments_changed if shown(c.title) and values(c.compliance)
            ),
            delegations=tuple(d for d in delegations if d.joined or d.left or d.changed),
            party_names=self.party_names,
        )


def compare(old: FactSheet | None, new: FactSheet) -> Comparison:
    """The changes from `old` (the earlier round; None for a new file, so all is added) to `new`."""
    old_issues = {issue.id: issue for issue in old.issues} if old else {}
    new_issues = {issue.id for issue in new.issues}
    old_commitments = {item.id: item for item in old.commitments} if old else {}
    new_commitments = {item.id for item in new.commitments}
    added, dropped, moved = _compare_figures(old.figures if old else [], new.figures, new.briefing.language)
    old_figures = {figure.id: figure for figure in old.figures} if old else {}
    moved = tuple(replace(move, old_marking=_old_marking(move, old_figures, old)) for move in moved)
    return Comparison(
        issues_added=tuple(IssueRef(i.id, i.title) for i in new.issues if i.id not in old_issues),
        issues_dropped=tuple(IssueRef(i.id, i.title) for i in old_issues.values() if i.id not in new_issues),
        issues_changed=tuple(
            IssueChange(issue.id, issue.title, changes)
            for issue in new.issues
            if issue.id in old_issues and (changes := _issue_changes(old_issues[issue.id], issue))
        ),
        figures_added=added,
        figures_dropped=dropped,
        figures_moved=moved,
        commitments_added=tuple(CommitmentRef(c.id, c.title) for c in new.commitments if c.id not in old_commitments),
        commitments_dropped=tuple(
            CommitmentRef(c.id, c.title) for c in old_commitments.values() if c.id not in new_commitments
        ),
        commitments_changed=tuple(
            CommitmentChange(item.id, item.title, changes)
            for item in new.commitments
            if item.id in old_commitments and (changes := _compliance_changes(old_commitments[item.id], item))
        ),
        delegations=_compare_delegations(old, new),
        party_names={party.id: party.short_name for party in [*(old.parties if old else []), *new.parties]},
    )


def _old_marking(move: FigureMove, by_id: dict[str, Figure], old: FactSheet | None) -> str | None:
    """The earlier round's marking of a moved figure, matched by id or else by label."""
    twin = by_id.get(move.id) or next((f for f in (old.figures if old else []) if f.label.casefold() == move.label.casefold()), None)
    return marking_of(twin)


def _issue_changes(old: Issue, new: Issue) -> tuple[ValueChange, ...]:
    changes = [
        ValueChange(name, labelled_text(_words(getattr(old, name)), old.marking), labelled_text(_words(getattr(new, name)), new.marking))
        for name in ("status", "priority")
        if getattr(old, name) != getattr(new, name)
    ]
    for party in dict.fromkeys([*old.positions, *new.positions]):
        before, after = old.positions.get(party), new.positions.get(party)
        # Rewrapping a paragraph in the YAML does not change a position.
        if before is None or after is None or before.text.split() != after.text.split():
            was, now = (before.text if before else None), (after.text if after else None)
            changes.append(ValueChange(f"position.{party}", was, now))
    return tuple(changes)


def _compliance_changes(old: Commitment, new: Commitment) -> tuple[ValueChange, ...]:
    changes = []
    for party in dict.fromkeys([*old.compliance, *new.compliance]):
        before, after = old.compliance.get(party), new.compliance.get(party)
        was, now = before.status if before else NO_CLAIM, after.status if after else NO_CLAIM
        if was != now:
            changes.append(ValueChange(party, labelled_text(_words(was), marking_of(before)), labelled_text(_words(now), marking_of(after))))
    return tuple(changes)


def _compare_figures(
    old: list[Figure], new: list[Figure], language: str
) -> tuple[tuple[FigureRef, ...], tuple[FigureRef, ...], tuple[FigureMove, ...]]:
    """Match by id first, then what is left by label, so a renamed id still reads as a move."""
    new_ids = {figure.id for figure in new}
    matched = {figure.id: figure for figure in old if figure.id in new_ids}
    unmatched = [figure for figure in old if figure.id not in matched]
    for figure in new:
        if figure.id not in matched:
            twin = next((o for o in unmatched if o.label.casefold() == figure.label.casefold()), None)
            if twin is not None:
                matched[figure.id] = twin
                unmatched.remove(twin)
    added = tuple(_figure_ref(figure, language) for figure in new if figure.id not in matched)
    dropped = tuple(_figure_ref(figure, language) for figure in unmatched)
    moves = (_figure_move(matched[figure.id], figure, language) for figure in new if figure.id in matched)
    return added, dropped, tuple(move for move in moves if move is not None)


def _figure_ref(figure: Figure, language: str) -> FigureRef:
    return FigureRef(figure.id, figure.label, figure.value, figure.unit, format_figure(figure, language))


def _figure_move(old: Figure, new: Figure, language: str) -> FigureMove | None:
    changes = tuple(
        ValueChange(name, _shown(getattr(old, name)), _shown(getattr(new, name)))
        for name in ("period", "as_of")
        if getattr(old, name) != getattr(new, name)
    )
    if old.value == new.value and old.unit == new.unit and not changes:
        return None
    delta = delta_text = None
    if old.unit == new.unit:
        with localcontext(_EXACT):  # 5.1 - 4.8 is 0.3, and no digit of a 30-digit figure is rounded away
            delta = new.value - old.value
        delta_text = format_number(delta, "pp" if new.unit == "%" else new.unit, language, signed=True)
    direction: Direction = "up" if new.value > old.value else "down" if new.value < old.value else "unchanged"
    return FigureMove(
        new.id, new.label, old.value, new.value, new.unit,
        format_figure(old, language), format_figure(new, language), delta, delta_text, direction, changes,
    )  # fmt: skip


_EXACT = Context(prec=2 * NUMBER_DIGITS + 1, traps=[Inexact, Overflow, InvalidOperation])
"""Enough digits for any difference of two figures (each under 10**30, to 30 decimal places), and an error if not."""


def _shown(value: object) -> str | None:
    return None if value is None else str(value)


def _compare_delegations(old: FactSheet | None, new: FactSheet) -> tuple[DelegationChange, ...]:
    old_people = old.people if old else []
    names = {party.id: party.name for party in [*(old.parties if old else []), *new.parties]}
    found = []
    for party, name in names.items():
        before = {p.id: p for p in old_people if p.party == party}
        after = {p.id: p for p in new.people if p.party == party}
        change = DelegationChange(
            party,
            name,
            joined=tuple(PersonRef(p.id, p.name) for p in after.values() if p.id not in before),
            left=tuple(PersonRef(p.id, p.name) for p in before.values() if p.id not in after),
            changed=tuple(
                PersonChange(p.id, p.name, changes)
                for p in after.values()
                if p.id in before and (changes := _person_changes(before[p.id], p))
            ),
        )
        if change.joined or change.left or change.changed:
            found.append(change)
    return tuple(found)


def _person_changes(old: Person, new: Person) -> tuple[ValueChange, ...]:
    return tuple(
        ValueChange(name, getattr(old, name), getattr(new, name))
        for name in ("title", "role")
        if getattr(old, name) != getattr(new, name)
    )


# Rendering: both formats walk the same sections, so a terminal and a pull request show the same.

_Detail = tuple[str, str | None, str | None, str]
"""One changed field of an item: its name, old value, new value, and a note shown after the new value."""


@dataclass(frozen=True)
class ChangeRow:
    marker: str  # + added, - dropped, ~ changed
    id: str
    text: str
    details: tuple[_Detail, ...] = ()


@dataclass(frozen=True)
class ChangeSection:
    heading: str
    rows: list[ChangeRow]
    words: tuple[str, str, str] = ("Added", "Dropped", "Changed")  # for +, - and ~ in Markdown


def _details(changes: tuple[ValueChange, ...], name: Callable[[str], str] = str) -> tuple[_Detail, ...]:
    return tuple((name(change.field), change.old, change.new, "") for change in changes)


def change_sections(c: Comparison) -> list[ChangeSection]:
    """The change log, grouped and labelled in words: 'China's position', 'US says', 'US delegation'."""

    def name(party: str) -> str:
        return c.party_names.get(party, party)

    def position(field: str) -> str:
        return f"{name(field.removeprefix('position.'))} position" if field.startswith("position.") else field

    def claim(party: str) -> str:
        return f"{name(party)} says"

    issues = [
        *(ChangeRow("+", i.id, i.title) for i in c.issues_added),
        *(ChangeRow("-", i.id, i.title) for i in c.issues_dropped),
        *(ChangeRow("~", i.id, i.title, _details(i.changes, position)) for i in c.issues_changed),
    ]
    def figure(ref: FigureRef) -> str:
        return labelled_text(f"{ref.label}: {ref.text}", marking_of(ref.label))

    def value(move: FigureMove) -> _Detail:
        new = marking_of(move.label)
        note = labelled_text(_move_note(move), highest([new, move.old_marking]))
        return ("value", labelled_text(move.old_text, move.old_marking), labelled_text(move.new_text, new), note)

    figures = [
        *(ChangeRow("+", f.id, figure(f)) for f in c.figures_added),
        *(ChangeRow("-", f.id, figure(f)) for f in c.figures_dropped),
        *(ChangeRow("~", m.id, m.label, (value(m), *_marked_details(m))) for m in c.figures_moved),
    ]
    commitments = [
        *(ChangeRow("+", item.id, item.title) for item in c.commitments_added),
        *(ChangeRow("-", item.id, item.title) for item in c.commitments_dropped),
        *(ChangeRow("~", item.id, item.title, _details(item.compliance, claim)) for item in c.commitments_changed),
    ]
    sections = [ChangeSection("Issues", issues), ChangeSection("Figures", figures), ChangeSection("Commitments", commitments)]
    for delegation in c.delegations:
        people = [
            *(ChangeRow("+", p.id, p.name) for p in delegation.joined),
            *(ChangeRow("-", p.id, p.name) for p in delegation.left),
            *(ChangeRow("~", p.id, p.name, _details(p.changes)) for p in delegation.changed),
        ]
        sections.append(ChangeSection(f"{name(delegation.party)} delegation", people, ("Joined", "Left", "Changed")))
    return [section for section in sections if section.rows]


def _marked_details(move: FigureMove) -> tuple[_Detail, ...]:
    """A moved figure's period and date, labelled as the figure was in each round."""
    new = marking_of(move.label)
    return tuple(
        (change.field, change.old and labelled_text(change.old, move.old_marking), change.new and labelled_text(change.new, new), "")
        for change in move.changes
    )


def section_markings(sections: list[ChangeSection]) -> list[str]:
    """The marking of every labelled value the sections print."""
    values = [value for section in sections for row in section.rows for value in (row.text, *(v for d in row.details for v in d[1:]))]
    return [marking for value in values if (marking := marking_of(value))]


def _move_note(move: FigureMove) -> str:
    return f"{move.delta_text}, {move.direction}" if move.delta_text else "unit changed"


TEXT_WIDTH = 100
"""Long old and new values are wrapped to this width, under their own `was:` and `now:` labels."""


def as_text(c: Comparison, old_label: str, new_label: str, *, markings: tuple[str, ...] = ()) -> str:
    """A plain report for a terminal: + added, - dropped, ~ changed, ids and fields in aligned columns.

    Marked values carry their label, and the report opens and closes with its handling marking:
    the highest of `markings` (the two sheets' own) and every label printed."""
    sections = change_sections(c)
    banner = f"Handling marking: {highest_of_any([*markings, *section_markings(sections)])}" if markings else None
    if c.is_empty:
        return "\n".join(filter(None, [banner, f"No changes from {old_label} to {new_label}."])) + "\n"
    lines = [*filter(None, [banner]), f"Changes from {old_label} to {new_label}"]
    for section in sections:
        lines += ["", section.heading]
        width = max(len(row.id) for row in section.rows)
        for row in section.rows:
            lines.append(f"  {row.marker} {row.id:<{width}}  {with_label(row.text)}")
            names = max((len(name) for name, *_ in row.details), default=0)
            for name, old, new, note in row.details:
                was = " ".join(with_label(old).split()) if old is not None else "(none)"
                now = (" ".join(with_label(new).split()) if new is not None else "(none)") + (f" ({with_label(note)})" if note else "")
                indent = " " * (6 + names + 2)
                one_line = f"      {name:<{names}}  {was} -> {now}"
                if len(one_line) <= TEXT_WIDTH:
                    lines.append(one_line)
                    continue
                for label, value in ((name, f"was: {was}"), ("", f"now: {now}")):
                    wrapped = textwrap.wrap(value, TEXT_WIDTH - len(indent), subsequent_indent="     ")
                    lines.append(f"      {label:<{names}}  {wrapped[0]}")
                    lines += [indent + more for more in wrapped[1:]]
    if banner:
        lines += ["", banner]
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """escape_markdown, and no bare URL or address turns into a link, as GitHub would make it."""
    return escape_markdown(value).replace("://", "\\://").replace("www.", "www\\.").replace("@", "\\@")


def _labelled_markdown(value: str) -> str:
    """Escaped Markdown, with a marked value's label in bold before it."""
    marking = marking_of(value)
    return f"**{_escape(f'({marking})')}** {_escape(value)}" if marking else _escape(value)


def as_markdown(c: Comparison, old_label: str, new_label: str, *, level: int = 1, markings: tuple[str, ...] = ()) -> str:
    """GitHub-flavoured Markdown for a pull-request comment, every piece of user text escaped.

    `level` is the title's heading level: 1 for a comment of its own, 2 for one section of a
    comment about several files under the caller's own title. Groups are one level below.
    Marked values carry their label, and with `markings` (the two sheets' own) the comment
    opens with its handling marking: the highest of those and every label printed.
    """
    sections = change_sections(c)
    title = f"{'#' * level} Changes from {_escape(old_label)} to {_escape(new_label)}"
    banner = f"Handling marking: **{highest_of_any([*markings, *section_markings(sections)])}**" if markings else None
    if c.is_empty:
        return "\n\n".join(filter(None, [title, banner, "No changes."])) + "\n"
    blocks = [*filter(None, [title, banner])]
    for section in sections:
        blocks.append(f"{'#' * (level + 1)} {_escape(section.heading)}")
        items = []
        for row in section.rows:
            word = section.words["+-~".index(row.marker)]
            items.append(f"- {word}: {_labelled_markdown(row.text)} (`{row.id}`)")
            for name, old, new, note in row.details:
                was = _labelled_markdown(old) if old is not None else "none"
                now = f"**{_labelled_markdown(new) if new is not None else 'none'}**"
                tail = f" {_labelled_markdown(labelled_text(f'({note})', marking_of(note)))}" if note else ""
                items.append(f"  - {_escape(name)}: {was} → {now}{tail}")
        blocks.append("\n".join(items))
    if banner:
        blocks.append(banner)
    return "\n\n".join(blocks) + "\n"


def diff_sheets(old: FactSheet, new: FactSheet) -> tuple[Comparison, tuple[str, ...]]:
    """Compare two sheets as briefings show them (labelled), with their own markings for the banner."""
    return compare(labelled_previous(old, new), labelled(new)), (old.briefing.marking, new.briefing.marking)


@dataclass(frozen=True)
class SheetSince:
    """One fact sheet compared with itself at a git revision."""

    path: Path
    """The sheet in the working tree; for a deleted sheet, where it was."""
    comparison: Comparison | None
    """None when there is nothing to compare: see `note`."""
    was: str | None = None
    """Its path at the revision (relative to the repository), when it has been renamed since."""
    note: str | None = None
    """Why it was not compared: deleted since, or not a valid fact sheet at the revision."""
    markings: tuple[str, ...] = ()
    """The two versions' own markings: with every label printed, they make the report's banner."""


def compare_revision(rev: str, paths: list[Path]) -> list[SheetSince]:
    """Compare each fact sheet in `paths` with the same file at git revision `rev`.

    A file that did not exist at `rev` is compared with nothing, so everything in it is added; a
    file renamed since (git's rename detection) is compared with its old name; a sheet deleted
    since is listed with a note, as is one that was not valid at `rev`, and the others are compared.
    """
    present = [path for path in paths if path.exists()]
    files = find_fact_sheets(present) if present else []
    current = load(files) if files else []
    commits: dict[Path, str] = {}
    renames: dict[Path, dict[str, str]] = {}
    results = []
    for path, loaded in zip(files, current, strict=True):
        top, relative = _in_repository(path)
        if top not in commits:
            commits[top] = _resolve(rev, top)
            renames[top] = _renamed_since(commits[top], rev, top)
        was = renames[top].get(relative)
        try:
            before = _sheet_at(commits[top], rev, was or relative, top)
        except InvalidFactSheets as error:
            results.append(SheetSince(path, None, was, _invalid_note(rev, error)))
            continue
        new = loaded.sheet
        comparison = compare(labelled_previous(before, new) if before else None, labelled(new))
        markings = (*([before.briefing.marking] if before else []), new.briefing.marking)
        results.append(SheetSince(path, comparison, was, markings=markings))
    results.extend(_deleted_since(rev, paths, commits, renames))
    return results


def _in_repository(path: Path) -> tuple[Path, str]:
    """The top of `path`'s git repository, and the path from there as git writes it."""
    found = _git(["rev-parse", "--show-toplevel"], path.parent if path.parent.exists() else Path.cwd(), f"{path}: not in a git repository")
    top = Path(found.decode().strip())
    if not path.resolve().is_relative_to(top.resolve()):
        raise UsageError(f"{path} leads outside the git repository at {top}")
    return top, path.resolve().relative_to(top.resolve()).as_posix()


def _renamed_since(commit: str, rev: str, top: Path) -> dict[str, str]:
    """Fact sheets renamed between `commit` and the working tree: new path -> old path."""
    listing = _git(
        ["-c", "core.quotePath=false", "diff", "--no-ext-diff", "--name-status", "-z", "-M", "--diff-filter=R", commit, "--", "*.yaml", "*.yml"],
        top,
        f"cannot list the files renamed since '{rev}'",
    )
    fields = listing.decode("utf-8", "surrogateescape").split("\0")
    return {fields[i + 2]: fields[i + 1] for i in range(0, len(fields) - 2, 3) if fields[i].startswith("R")}


def _deleted_since(rev: str, paths: list[Path], commits: dict[Path, str], renames: dict[Path, dict[str, str]]) -> list[SheetSince]:
    """The fact sheets under `paths` at `rev` that are gone from the working tree (and not renamed)."""
    deleted: dict[Path, SheetSince] = {}
    for given in paths:
        top, relative = _in_repository(given)
        if top not in commits:
            commits[top] = _resolve(rev, top)
            renames[top] = _renamed_since(commits[top], rev, top)
        moved = set(renames[top].values())
        scope = ["--", relative] if relative != "." else []
        listing = _git(["ls-tree", "-r", "-z", "--name-only", commits[top], *scope], top, f"cannot list {given} at '{rev}'")
        names = [name for name in listing.decode("utf-8", "surrogateescape").split("\0") if name.endswith(FACT_SHEET_SUFFIXES)]
        if not names and not given.exists():
            raise UsageError(f"{given}: no such file or folder, now or at '{rev}'")
        for name in names:
            if name in moved or (top / name).exists():
                continue
            where = Path(os.path.relpath(top / name)) if not given.is_absolute() else top / name
            deleted.setdefault(where, SheetSince(where, None, note=f"deleted since {rev}"))
    return list(deleted.values())


def _invalid_note(rev: str, error: InvalidFactSheets) -> str:
    first = error.problems[0]
    more = f" (and {len(error.problems) - 1} more problem(s))" if len(error.problems) > 1 else ""
    return f"not compared: its version at {rev} is not a valid fact sheet: {first}{more}"


def _git(args: list[str], cwd: Path, failure: str) -> bytes:
    """Run git with a list argv (no shell); a failure is the user's to fix, reported in one line."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise EnvironmentProblem("git is not installed; comparing with a revision needs it") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"{failure} ({detail[-1]})" if detail else failure)
    return done.stdout


def _resolve(rev: str, top: Path) -> str:
    """The commit `rev` names; a revision that looks like an option is refused, never passed on."""
    if not rev or rev.startswith("-"):
        raise UsageError(f"'{rev}' is not a git revision")
    commit = _git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        top,
        f"unknown git revision '{rev}' in {top}",
    )
    return commit.decode().strip()


def _sheet_at(commit: str, rev: str, relative: str, top: Path) -> FactSheet | None:
    """The fact sheet as it was at `commit`; None if the file was not there."""
    entry = _git(["ls-tree", commit, "--", relative], top, f"cannot list {relative} at '{rev}'").split()
    if entry[1:2] != [b"blob"]:
        return None
    raw = _git(["show", f"{commit}:{relative}"], top, f"cannot read {relative} at '{rev}'")
    shown = Path(f"{rev}:{relative}")  # problems name the file as git does: HEAD~1:briefs/x.yaml:12:3
    try:
        doc = read_yaml(shown, raw)
    except YamlProblems as error:
        raise InvalidFactSheets(error.problems) from None
    return validate_document(doc)


HEADLINES = 5
"""At most this many changes are told in words before the full change log."""


def headlines(c: Comparison, sheet: FactSheet, limit: int = HEADLINES) -> list[str]:
    """The changes that matter most, in words, with party names: a high-priority issue's status,
    a commitment's compliance, an issue new or gone, a position that moved, a figure that moved
    by a tenth or more. Each line carries the highest marking of what it tells."""
    names = {party.id: party.short_name for party in sheet.parties}
    ours = {party.id for party in sheet.parties if party.ours}
    priority = {issue.id: issue.priority for issue in sheet.issues}
    found: list[tuple[int, str]] = []

    def tell(score: int, text: str, *parts: object) -> None:
        found.append((score, labelled_text(text, highest([marking_of(part) for part in parts]))))

    for issue in c.issues_changed:
        high = priority.get(issue.id) == "high"
        for change in issue.changes:
            if change.field == "status":
                tell(100 if high else 40, f"{issue.title}: now {_words(change.new)} (was {_words(change.old)}).", issue.title, change.old, change.new)
            elif change.field == "priority":
                tell(45, f"{issue.title}: now {_words(change.new)} priority (was {_words(change.old)}).", issue.title, change.old, change.new)
            elif change.new is not None and change.field.removeprefix("position.") not in ours:
                party = names.get(change.field.removeprefix("position."), change.field)
                tell(70 if high else 30, _position_line(party, issue.title, change.new), issue.title, change.old, change.new)
    for item in c.commitments_changed:
        for change in item.compliance:
            who = names.get(change.field, change.field)
            if str(change.new) == NO_CLAIM:
                text = f"{who} no longer says whether “{item.title}” was kept (it said {_words(change.old)})."
            elif str(change.new) == "not yet due":
                text = f"{who} says “{item.title}” is not yet due (it said {_words(change.old)})."
            elif str(change.old) == NO_CLAIM:
                text = f"{who} now says “{item.title}” was {_words(change.new)} (it had said nothing)."
            else:
                text = f"{who} now says “{item.title}” was {_words(change.new)} (it said {_words(change.old)})."
            tell(90, text, item.title, change.old, change.new)
    for ref in c.issues_added:
        tell(85 if priority.get(ref.id) == "high" else 60, f"New on the agenda: {ref.title}.", ref.title)
    for ref in c.issues_dropped:
        tell(75, f"Off the agenda since the last round: {ref.title}.", ref.title)
    for move in c.figures_moved:
        if move.delta is not None and move.old_value and abs(move.delta) >= abs(move.old_value) / 10:
            tell(65, f"{move.label}: {move.old_text} → {move.new_text} ({move.delta_text}).", move.label)
    for delegation in c.delegations:
        for person in delegation.joined:
            tell(50, f"{person.name} joins the {names.get(delegation.party, delegation.party_name)} delegation.", person.name)
        for person in delegation.left:
            tell(50, f"{person.name} is no longer in the {names.get(delegation.party, delegation.party_name)} delegation.", person.name)
    found.sort(key=lambda item: -item[0])
    return [text for _, text in found[:limit]]


def _words(value: str | None) -> str:
    """'partly-kept' -> 'partly kept'; 'none' when a side made no claim."""
    return (value or NO_CLAIM).replace("-", " ")


def _position_line(party: str, issue: str, text: str) -> str:
    """'China now says it is approving compliant applications...' when the position is written as
    what the party says; otherwise the party's new position on the issue."""
    sentence = _first_sentence(text)
    for verb in ("says", "argues", "insists", "wants", "holds"):
        if sentence.startswith(f"{party} {verb} "):
            return f"{party} now {verb} {sentence.removeprefix(f'{party} {verb} ')} ({issue})"
    return f"{party}'s position on {issue} is now: {sentence}"


def _first_sentence(text: str) -> str:
    """A position's first sentence, whole, as one line."""
    flat = " ".join(text.split())
    end = next((i + 1 for i, ch in enumerate(flat) if ch in ".!?" and (i + 1 == len(flat) or flat[i + 1] == " ")), len(flat))
    return flat[:end] if flat[:end].endswith((".", "!", "?")) else flat[:end] + "."
