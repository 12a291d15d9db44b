"""What the read-ahead selects: the sheet's items in the order a principal needs them.

The one-pager must fit one page, and a real sheet holds more than a page. So it is built by
priority, never by refusal: the bottom line and objectives, and whatever the sheet marks
`onepager: true`, always; then issues by priority and status, commitments that are disputed
or broken, the key figures, and the rest, added until the page is full. `selections()` gives
every candidate, from everything down to the must-haves alone; the PDF layout (pdf.fit_to_pages)
picks the fullest that fits, and the Markdown and HTML show the same one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .models import Commitment, FactSheet, Figure, Issue

_PRIORITY = {"high": 0, "medium": 1, "low": 2}
_STATUS = {"stalled": 0, "open": 1, "progressing": 2, "agreed": 3, "closed": 4}
_CONTESTED = {"disputed", "broken", "partly-kept"}


@dataclass(frozen=True)
class Selection:
    """One candidate read-ahead: what it shows (in the sheet's order), and a line on what it leaves out."""

    issues: list[Issue]
    commitments: list[Commitment]
    figures: list[Figure]
    left_out: str
    """e.g. '3 more issues and 4 figures in the full brief'; empty when nothing is left out."""
    must_haves: str
    """What it may never leave out, in words, for the message when even that does not fit."""


def selections(sheet: FactSheet) -> list[Selection]:
    """Every candidate, from everything down to the must-haves alone, each one item smaller."""
    issues, commitments, figures = sheet.issues, sheet.commitments, sheet.figures
    items: list[Issue | Commitment | Figure] = [*issues, *commitments, *figures]
    must = [item for item in items if _flagged(item)]
    ranked = sorted((item for item in items if not _flagged(item)), key=_rank)
    found = []
    for keep in range(len(ranked), -1, -1):
        chosen = {id(item) for item in (*must, *ranked[:keep])}
        found.append(
            Selection(
                [issue for issue in issues if id(issue) in chosen],
                [item for item in commitments if id(item) in chosen],
                [figure for figure in figures if id(figure) in chosen],
                _left_out(ranked[keep:]),
                _describe_must(must),
            )
        )
    return found


def _flagged(item: Any) -> bool:
    return bool(getattr(item, "onepager", False))


def _rank(item: Issue | Commitment | Figure) -> tuple[int, int, int]:
    """Smaller first: high-priority issues, contested commitments, the key figures, then the rest."""
    if isinstance(item, Issue):
        tier = {0: 0, 1: 3, 2: 5}[_PRIORITY[item.priority]]
        return tier, _STATUS[item.status], 0
    if isinstance(item, Commitment):
        contested = any(claim.status in _CONTESTED for claim in item.compliance.values())
        return (1 if contested or getattr(item, "due", None) else 6), 0, 0
    return 2, 0, 0


def _left_out(items: list[Issue | Commitment | Figure]) -> str:
    """'3 more issues and 4 figures in the full brief', as one says it."""
    counts = [
        (count, name + ("s" if count > 1 else ""))
        for kind, name in ((Issue, "issue"), (Commitment, "commitment"), (Figure, "figure"))
        if (count := sum(isinstance(item, kind) for item in items))
    ]
    if not counts:
        return ""
    words = [f"{counts[0][0]} more {counts[0][1]}", *(f"{count} {name}" for count, name in counts[1:])]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"{listed} in the full brief"


def _describe_must(items: list[Issue | Commitment | Figure]) -> str:
    named = [f"{type(item).__name__.lower()} '{item.id}'" for item in items]
    flagged = f", and the items marked onepager: true ({', '.join(named)})" if named else ""
    return f"the bottom line, the objectives and who is across the table{flagged}"
