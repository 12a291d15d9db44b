"""Where and how a round meets, as words a briefing can print: a round may meet in person,
by video, by telephone or on the margins of another meeting, and each reads differently."""

from __future__ import annotations

from .models import Round


def meeting_place(round_: Round) -> str:
    """A sentence fragment for 'The round meets ...': 'in London, United Kingdom, at Lancaster House',
    'on the margins of the ASEAN summit, Kuala Lumpur', 'by video conference', 'by telephone'."""
    if round_.mode == "virtual":
        return "by video conference"
    if round_.mode == "phone":
        return "by telephone"
    if round_.mode == "margins":
        place = ", ".join(part for part in (round_.venue, round_.city) if part)
        return f"on the margins of {round_.margins_of}" + (f", {place}" if place else "")
    place = ", ".join(part for part in (round_.city, round_.country) if part)
    return f"in {place}" + (f", at {round_.venue}" if round_.venue else "")
