"""What the talking-points card holds: per issue, what the principal says at the table.

The card is held in the room, so it carries only what is said aloud: the talking points written
for the issue, then the lines to take that add something to them (a line that says what a point
already says is left to the full brief), then what to say if the other side raises something.
Red lines and fallbacks are internal and never on the card; nor are citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import FactSheet, IfRaised, Issue, MarkedLine, TalkingPoint

MAX_POINTS = 6
"""Points and lines on one card; the card says how many more are in the full brief."""
SAME_POINT = 0.4
"""Two lines say the same when this share of the shorter one's words is in the other."""
_WORD = re.compile(r"[\w%]+")
_STOP = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "has", "have", "in", "is", "it", "its", "of", "on", "or", "our", "that", "the", "their", "them", "they", "this", "to", "was", "we", "were", "will", "with", "not", "no", "than", "more"]
)


@dataclass(frozen=True)
class Card:
    """One issue's card (or the general card, `issue` None, for points about no issue)."""

    issue: Issue | None
    points: list[TalkingPoint]
    lines: list[MarkedLine]
    if_raised: list[IfRaised]
    more: int
    """Points and lines left to the full brief because the card is full."""


def cards(sheet: FactSheet) -> list[Card]:
    """A card per issue with something to say, in the sheet's order, and one for general points
    if there are any (`quiet_issues` names the issues left without a card)."""
    found = [card for issue in sheet.issues if not _quiet(card := _card(issue, [p for p in sheet.talking_points if p.issue == issue.id]))]
    general = [point for point in sheet.talking_points if point.issue is None]
    if general:
        found.append(Card(None, general[:MAX_POINTS], [], [], max(0, len(general) - MAX_POINTS)))
    return found


def quiet_issues(sheet: FactSheet) -> list[Issue]:
    """Issues with nothing prepared to say or answer: a card of their own would be blank."""
    return [issue for issue in sheet.issues if _quiet(_card(issue, [p for p in sheet.talking_points if p.issue == issue.id]))]


def _quiet(card: Card) -> bool:
    return not (card.points or card.lines or card.if_raised)


def _card(issue: Issue, points: list[TalkingPoint]) -> Card:
    said = [_words(point.text) for point in points]
    adding = [line for line in issue.lines_to_take if not any(_same(_words(line.text), words) for words in said)]
    shown_points = points[:MAX_POINTS]
    shown_lines = adding[: MAX_POINTS - len(shown_points)]
    more = len(points) + len(adding) - len(shown_points) - len(shown_lines)
    return Card(issue, shown_points, shown_lines, list(issue.if_raised), more)


def _words(text: str) -> set[str]:
    """The content words of a line, cut to their first five letters, so 'tariff' meets 'tariffs'."""
    return {word[:5] for word in _WORD.findall(text.lower()) if word not in _STOP}


def _same(line: set[str], point: set[str]) -> bool:
    shorter = min(len(line), len(point))
    return shorter > 0 and len(line & point) / shorter >= SAME_POINT
