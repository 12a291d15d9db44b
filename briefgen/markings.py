"""Handling markings: their order in each scheme, and the highest one a briefing contains.

A briefing's banner is the highest marking of anything in it. Orders differ between
countries' schemes, so a sheet names markings from one scheme, and a release limit is
compared in that scheme's order. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable

SCHEMES: dict[str, tuple[str, ...]] = {
    "uk": ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"),
    "us": ("UNCLASSIFIED", "CUI", "CONFIDENTIAL", "SECRET", "TOP SECRET"),
}
"""Lowest first. UK: Government Security Classifications; US: EO 13526 levels, with CUI below CONFIDENTIAL."""

ALL_MARKINGS = tuple(dict.fromkeys(marking for order in SCHEMES.values() for marking in order))


def scheme_for(markings: Iterable[str]) -> str | None:
    """The first scheme that orders every marking used (None if none does: they are mixed)."""
    used = set(markings)
    return next((name for name, order in SCHEMES.items() if used <= set(order)), None)


def highest(markings: Iterable[str], scheme: str) -> str:
    order = SCHEMES[scheme]
    return max(markings, key=order.index)


def above(marking: str, limit: str, scheme: str) -> bool:
    order = SCHEMES[scheme]
    return order.index(marking) > order.index(limit)
