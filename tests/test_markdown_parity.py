"""The Markdown briefing is as complete and as clean as the HTML: every fact the HTML shows, the
Markdown shows, field by field, with the spaces around inserted values where they belong."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from briefgen import BuildOptions, build
from briefgen.loader import load

from .conftest import REPO, strings_in

SHEETS = [REPO / "briefs" / "us-china", REPO / "briefs" / "wto-mc13", REPO / "tests" / "sheets"]
TYPES = ("full", "onepager", "talking-points")


def flat(text: str) -> str:
    return " ".join(text.replace("\u2068", "").replace("\u2069", "").split())


def html_text(page: str) -> str:
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return flat(html.unescape(re.sub(r"<[^>]+>", " ", body)))


def markdown_text(page: str) -> str:
    """Markdown as read: escapes undone, emphasis and link brackets gone."""
    text = re.sub(r"\\(.)", r"\1", page)
    return flat(html.unescape(text.replace("**", "").replace("~~", "")))


def sheet_strings() -> set[str]:
    """Every piece of prose in the sheets that holds no Markdown of its own."""
    found: set[str] = set()
    for folder in SHEETS:
        for loaded in load([folder]):
            found.update(flat(value) for value in strings_in(loaded.sheet.model_dump()) if len(value) > 3 and not re.search(r"[*_`\[\]<>|#\\]", value))
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parity")
    for folder in SHEETS:
        build([folder], BuildOptions(out_dir=out / folder.name, formats=("md", "html"), templates=TYPES, site=False))
    return out


def test_markdown_shows_every_fact_the_html_shows(built: Path) -> None:
    strings = sheet_strings()
    missing: list[str] = []
    pairs = 0
    for page in built.rglob("*.html"):
        markdown = page.with_suffix(".md")
        shown_html, shown_md = html_text(page.read_text(encoding="utf-8")), markdown_text(markdown.read_text(encoding="utf-8"))
        pairs += 1
        missing += [f"{markdown.name}: {value[:80]}" for value in strings if value in shown_html and value not in shown_md]
    assert pairs >= 18
    assert missing == []


def test_inserted_values_keep_their_spaces(built: Path) -> None:
    """No value is glued to its neighbour: 'United States (our delegation)', 'He Lifeng 何立峰', 'US and China'."""
    london = next(built.rglob("2025-06-09-london.md")).read_text(encoding="utf-8")
    assert "### United States (our delegation)" in london
    assert "### He Lifeng 何立峰" in london
    assert "US and China committed at the Geneva round on 12 May 2025" in london
    for page in built.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"[a-z]\(our delegation\)|[a-z]· |\bby [A-Z][a-z]+,[A-Z]", text), page.name
        assert not re.search(r"\bNone\b(?! recorded)", text), page.name
