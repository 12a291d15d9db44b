"""Font coverage: before a PDF is drawn, make sure every character has an installed font.

Without this, a name in a script no font covers prints as empty boxes, and nobody notices
until the principal does. fontconfig (which WeasyPrint draws its fonts from) is asked once per
process for the characters each installed font covers.
"""

from __future__ import annotations

import bisect
import logging
import shutil
import subprocess
import unicodedata
from functools import lru_cache

log = logging.getLogger(__name__)

_FONT_PACKAGES = (
    # (first, last code point, the Debian package whose fonts cover them)
    (0x1100, 0x11FF, "fonts-noto-cjk"),
    (0x2E80, 0x9FFF, "fonts-noto-cjk"),
    (0xAC00, 0xD7AF, "fonts-noto-cjk"),
    (0xF900, 0xFAFF, "fonts-noto-cjk"),
    (0x20000, 0x3134F, "fonts-noto-cjk-extra"),
    (0x1F300, 0x1FAFF, "fonts-noto-color-emoji"),
)


def uncovered_characters(text: str) -> list[str]:
    """The distinct characters of `text` that no installed font can draw (empty if unknown)."""
    starts, ends = _coverage()
    if not starts:
        return []
    missing = []
    for char in sorted(set(text)):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        code = ord(char)
        index = bisect.bisect_right(starts, code) - 1
        if index < 0 or code > ends[index]:
            missing.append(char)
    return missing


def describe_missing(chars: list[str]) -> str:
    """'何 (U+4F55, CJK UNIFIED IDEOGRAPH-4F55)...; install fonts-noto-cjk' — what and how to fix."""
    shown = ", ".join(f"{char} (U+{ord(char):04X} {unicodedata.name(char, 'unnamed')})" for char in chars[:8])
    more = f" and {len(chars) - 8} more" if len(chars) > 8 else ""
    packages = sorted({_package_for(char) for char in chars})
    return f"no installed font covers {shown}{more}; they would print as empty boxes. Install {' or '.join(packages)} (apt-get install ...) and build again"


def _package_for(char: str) -> str:
    code = ord(char)
    return next((package for first, last, package in _FONT_PACKAGES if first <= code <= last), "fonts-noto-core (or fonts-noto-extra)")


@lru_cache(maxsize=1)
def _coverage() -> tuple[list[int], list[int]]:
    """Merged code point ranges covered by any installed font, as parallel start/end lists."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        log.warning("fc-list (fontconfig) not found: cannot check that installed fonts cover every character")
        return [], []
    result = subprocess.run([fc_list, "--format", "%{charset}\\n"], capture_output=True, text=True, timeout=60, check=False)
    ranges: list[tuple[int, int]] = []
    for token in result.stdout.split():
        low, _, high = token.partition("-")
        try:
            ranges.append((int(low, 16), int(high or low, 16)))
        except ValueError:
            continue
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [first for first, _ in merged], [last for _, last in merged]
