"""Marking banners: every level of both schemes has its colours, they read, and HTML and PDF agree."""

from __future__ import annotations

import re

from briefgen.banners import BANNER_COLOURS
from briefgen.discover import DEFAULT_TEMPLATES
from briefgen.markings import SCHEMES


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_matches_known_values() -> None:
    """The ratio is WCAG's: black on white is 21:1, a colour on itself 1:1, #767676 on white just passes AA."""
    assert round(contrast("#000000", "#ffffff"), 2) == 21.0
    assert contrast("#c8102e", "#c8102e") == 1.0
    assert 4.5 <= contrast("#767676", "#ffffff") < 4.6


def test_every_marking_of_every_scheme_has_a_banner_that_reads() -> None:
    """Each level of the UK and US schemes has a band whose text passes WCAG AA (4.5:1) on it."""
    for scheme, markings in SCHEMES.items():
        for marking in markings:
            background, text = BANNER_COLOURS[marking]
            assert contrast(background, text) >= 4.5, f"{scheme} {marking}: {contrast(background, text):.2f}"


def test_levels_of_one_scheme_have_distinct_bands() -> None:
    """Within a scheme no two levels share a band colour, so the colour alone tells them apart."""
    for markings in SCHEMES.values():
        backgrounds = [BANNER_COLOURS[marking][0] for marking in markings]
        assert len(set(backgrounds)) == len(backgrounds)


def test_the_html_banner_classes_have_the_same_colours() -> None:
    """style.css colours `.marking-<slug>` with the same pair the PDF gets, for every marking."""
    css = (DEFAULT_TEMPLATES / "style.css").read_text(encoding="utf-8")
    for marking, (background, text) in BANNER_COLOURS.items():
        rule = re.search(rf"\.marking-{marking.lower().replace(' ', '-')} \{{([^}}]*)\}}", css)
        assert rule, marking
        assert f"--band-bg: {background};" in rule[1] and f"--band-ink: {text};" in rule[1], marking
