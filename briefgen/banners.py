"""The colours of each marking's banner, for the PDF's page furniture; the HTML's are in style.css.

US: the usual banner colours of classified and controlled documents. UK: the scheme has no
colours of its own, so OFFICIAL is a plain dark band and each level above it a distinct one.
tests/test_banners.py holds these equal to style.css and checks each pair reads (WCAG AA).
Standard library only.
"""

from __future__ import annotations

BANNER_COLOURS: dict[str, tuple[str, str]] = {
    "UNCLASSIFIED": ("#007a33", "#ffffff"),
    "CUI": ("#502b85", "#ffffff"),
    "CONFIDENTIAL": ("#0033a0", "#ffffff"),
    "SECRET": ("#c8102e", "#ffffff"),
    "TOP SECRET": ("#ff8c00", "#000000"),
    "OFFICIAL": ("#3d4450", "#ffffff"),
    "OFFICIAL-SENSITIVE": ("#00606b", "#ffffff"),
}
"""Marking → (background, text), both as #rrggbb. In HTML, the class `marking-<slug>` (the marking
lower-cased, spaces as hyphens: `marking-top-secret`) gives a banner the same pair."""

