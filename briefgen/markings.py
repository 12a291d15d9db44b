"""Handling markings: their order in each scheme, and release limits per scheme.

Orders differ between countries' schemes, so a sheet names markings from one scheme, and a
release limit is compared in that scheme's order. A build may release sheets of both schemes
at once, with one limit for each (`OFFICIAL,UNCLASSIFIED`). Standard library only.
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


def rank(marking: str | None, scheme: str) -> int:
    """A marking's place in its scheme's order; None (an unmarked portion) ranks below all."""
    return -1 if marking is None else SCHEMES[scheme].index(marking)


def highest(markings: Iterable[str | None], scheme: str | None = None) -> str | None:
    """The highest of `markings` (None when there is none); the scheme is inferred if not given."""
    present = [marking for marking in markings if marking is not None]
    if not present:
        return None
    scheme = scheme or scheme_for(present)
    if scheme is None:
        raise ValueError(f"markings of two schemes cannot be ordered: {', '.join(sorted(set(present)))}")
    return max(present, key=SCHEMES[scheme].index)


def highest_of_any(markings: list[str]) -> str:
    """The banner over markings that may come from both schemes (a site listing both, a diff of
    two sheets): SECRET and TOP SECRET, which both schemes share and rank above every other
    level, if one is present; else the highest of each scheme, e.g. 'OFFICIAL-SENSITIVE / CUI'."""
    if not markings:
        return "UNMARKED"
    scheme = scheme_for(markings)
    if scheme is not None:
        return highest(markings, scheme) or "UNMARKED"
    if "TOP SECRET" in markings or "SECRET" in markings:
        return "TOP SECRET" if "TOP SECRET" in markings else "SECRET"
    return " / ".join(highest([m for m in markings if m in order]) or "" for order in SCHEMES.values() if set(order) & set(markings))


def above(marking: str | None, limit: str, scheme: str) -> bool:
    return rank(marking, scheme) > rank(limit, scheme)


def css_name(marking: str) -> str:
    """'TOP SECRET' -> 'top-secret': the class a banner of that level carries."""
    return marking.lower().replace(" ", "-")


class ReleaseLimits:
    """`--release-max`: the highest marking to release, one per scheme ('OFFICIAL,UNCLASSIFIED').

    A marking both schemes share (SECRET, TOP SECRET) limits both, unless another names that
    scheme's own limit. Both schemes order SECRET and TOP SECRET alike and above every other
    level, so a sheet whose markings fit both schemes is released the same under either.
    """

    def __init__(self, limits: dict[str, str]) -> None:
        self.by_scheme = limits

    @classmethod
    def parse(cls, text: str) -> ReleaseLimits:
        """Parse 'OFFICIAL,UNCLASSIFIED'; ValueError says what is wrong and what would be right."""
        named = [part.strip().upper().replace("_", " ") for part in text.split(",") if part.strip()]
        if not named:
            raise ValueError("expected a marking, e.g. UNCLASSIFIED, or one per scheme, e.g. OFFICIAL,UNCLASSIFIED")
        limits: dict[str, str] = {}
        shared = []
        for marking in named:
            schemes = [name for name, order in SCHEMES.items() if marking in order]
            if not schemes:
                raise ValueError(f"unknown marking {marking!r}; choose from {', '.join(ALL_MARKINGS)}")
            if len(schemes) > 1:
                shared.append(marking)
                continue
            if schemes[0] in limits:
                raise ValueError(f"two limits for the {schemes[0].upper()} scheme ({limits[schemes[0]]}, {marking}); give one per scheme")
            limits[schemes[0]] = marking
        if len(set(shared)) > 1:
            raise ValueError(f"{' and '.join(sorted(set(shared)))} are both in every scheme; give one")
        for scheme in SCHEMES:
            if shared and scheme not in limits:
                limits[scheme] = shared[0]
        return cls(limits)

    def __str__(self) -> str:
        return ",".join(dict.fromkeys(self.by_scheme.values()))

    def for_markings(self, markings: Iterable[str]) -> tuple[str, str] | None:
        """(scheme, limit) for a sheet that uses `markings`; None if no limit names its scheme."""
        used = set(markings)
        return next(
            ((scheme, limit) for scheme, limit in self.by_scheme.items() if used <= set(SCHEMES[scheme])), None
        )

    def missing_for(self, markings: Iterable[str]) -> str:
        """What to add to --release-max so that a sheet using `markings` has a limit."""
        scheme = scheme_for(markings) or "uk"
        return (
            f"--release-max {self} names no limit for the {scheme.upper()} scheme this sheet is marked in; "
            f"add one, e.g. --release-max {self},{SCHEMES[scheme][0]}"
        )
