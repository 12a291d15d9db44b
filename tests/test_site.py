"""The published site: pages, links, feed, drafts, and marking-aware release that leaks nothing."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from pypdf import PdfReader

from briefgen import BuildOptions, build
from briefgen.cli import main
from briefgen.portions import NotReleasable

from .conftest import EXAMPLES, MINIMAL_SHEET

HERE = Path(__file__).parent
SECRET_PORTIONS = HERE / "secret-portions.yaml"
SENSITIVE = ("SENSITIVE-", "Quartermaine", "XYZZY", "PLUGH", "FROBOZZ", "example.org/secret")
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    build([EXAMPLES], BuildOptions(out_dir=out, templates=("full", "onepager")))
    return out / "site"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.found.append((tag, name, value))


def links_of(page: Path) -> list[tuple[str, str, str]]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


def test_site_has_index_negotiation_pages_briefings_downloads_and_feeds(site: Path) -> None:
    """The site holds what a colleague needs: index, negotiation page, each briefing with its downloads."""
    expected = {
        "index.html", "feed.xml", "index.json", "us-china-trade/index.html",
        *(f"us-china-trade/{stem}.{ext}" for stem in ("2025-05-09-geneva", "2025-06-09-london") for ext in ("html", "pdf", "md", "yaml")),
    }
    assert {path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file()} == expected


def test_every_internal_link_resolves_and_nothing_is_fetched_from_elsewhere(site: Path) -> None:
    """Relative links only, all resolving inside the site; only plain links may point outside (to sources)."""
    for page in site.rglob("*.html"):
        for tag, attribute, value in links_of(page):
            parts = urlsplit(value)
            if parts.scheme in ("http", "https", "mailto"):
                assert (tag, attribute) == ("a", "href"), f"{page.name} loads {value}"
                continue
            if parts.scheme == "data":
                assert tag == "img"
                continue
            assert not parts.scheme and not value.startswith("/"), f"{page.name}: {value}"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page.name}: {value} does not resolve"
            if parts.fragment:
                assert f'id="{parts.fragment}"' in target.read_text(encoding="utf-8"), f"{page.name}: {value}"


def test_index_lists_briefings_newest_first_with_round_dates_place_status_and_marking(site: Path) -> None:
    """The index groups by negotiation and lists the newest briefing first, with what a reader scans for."""
    text = (site / "index.html").read_text(encoding="utf-8")
    assert text.index("London round") < text.index("Geneva round")
    for fact in ("Round 2", "9–10 June 2025", "London, United Kingdom", "CONFIDENTIAL"):
        assert fact in text
    assert '<input id="filter" type="search"' in text and "<script>" in text


def test_negotiation_page_puts_rounds_on_a_timeline(site: Path) -> None:
    """The negotiation page lists its rounds oldest first, linking to each briefing."""
    text = (site / "us-china-trade" / "index.html").read_text(encoding="utf-8")
    assert text.index("Geneva round") < text.index("London round")
    assert 'href="../us-china-trade/2025-06-09-london.html"' in text


def test_pages_read_in_words_with_every_briefings_status(site: Path) -> None:
    """Readers see long dates, plurals without '(s)' and Final or Draft on every listing; machines keep ISO."""
    index = (site / "index.html").read_text(encoding="utf-8")
    negotiation = (site / "us-china-trade" / "index.html").read_text(encoding="utf-8")
    assert "2 briefings in 1 negotiation." in index and "2 rounds, from" in negotiation
    for page in (index, negotiation):
        assert "(s)" not in page
        assert '<time datetime="2025-06-09">9 June 2025</time>' in page
        assert page.count('<span class="tag status-tag status-final">Final</span>') == 2
        assert '<span class="tag marking-tag marking-confidential">CONFIDENTIAL</span>' in page
    assert '<p class="marking marking-top marking-confidential">CONFIDENTIAL</p>' in index
    summary = ET.parse(site / "feed.xml").getroot().findtext(f"{ATOM}entry/{ATOM}summary", "")
    assert summary.endswith("Final; as of 9 June 2025.")


def test_a_single_draft_is_listed_as_one_draft_briefing(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """One published draft: '1 briefing', '1 round' and a Draft tag, in the singular."""
    draft = write_sheet(MINIMAL_SHEET.replace("status: final", "status: draft"))
    build([draft], BuildOptions(out_dir=tmp_path, formats=("md", "html"), include_drafts=True))
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    negotiation = next((tmp_path / "site").glob("*/index.html")).read_text(encoding="utf-8")
    assert "1 briefing in 1 negotiation." in index and "1 round, " in negotiation
    assert '<span class="tag status-tag status-draft">Draft</span>' in index and "Final" not in index


def test_feed_is_atom_with_the_required_elements(site: Path) -> None:
    """feed.xml is an Atom 1.0 feed: id, title, updated on the feed and on each entry, RFC 3339 dates."""
    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for element in (feed, *entries):
        assert element.findtext(f"{ATOM}id", "").startswith("urn:")
        assert element.findtext(f"{ATOM}title")
        datetime.fromisoformat(element.findtext(f"{ATOM}updated", "").replace("Z", "+00:00"))
    assert entries[0].find(f"{ATOM}link").get("href") == "us-china-trade/2025-06-09-london.html"  # type: ignore[union-attr]


def test_json_index_is_machine_readable(site: Path) -> None:
    """index.json lists each briefing with its ids, dates, marking and relative link."""
    rows = json.loads((site / "index.json").read_text(encoding="utf-8"))["briefings"]
    assert [row["round"] for row in rows] == ["london", "geneva"]
    assert rows[0]["marking"] == "CONFIDENTIAL" and rows[0]["href"] == "us-china-trade/2025-06-09-london.html"


def test_drafts_stay_out_of_the_site_unless_asked(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    """A draft is built but not published; --include-drafts publishes it."""
    draft = write_sheet(MINIMAL_SHEET.replace("status: final", "status: draft"))
    build([draft], BuildOptions(out_dir=tmp_path / "a", formats=("md", "html")))
    assert list((tmp_path / "a" / "test-talks").glob("*.md"))
    assert "First round" not in (tmp_path / "a" / "site" / "index.html").read_text(encoding="utf-8")
    build([draft], BuildOptions(out_dir=tmp_path / "b", formats=("md", "html"), include_drafts=True))
    assert "First round" in (tmp_path / "b" / "site" / "index.html").read_text(encoding="utf-8")


def all_text(out: Path) -> str:
    """Every byte a release build wrote, PDFs as their text, so nothing can hide."""
    texts = []
    for path in out.rglob("*"):
        if path.suffix == ".pdf":
            texts.append("".join(page.extract_text() or "" for page in PdfReader(path).pages))
        elif path.is_file():
            texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


def test_release_build_leaves_out_every_sensitive_portion(tmp_path: Path) -> None:
    """At UNCLASSIFIED, no text of a portion marked above it appears in any page, PDF, feed or index."""
    sheet = tmp_path / "briefs" / "secret-portions.yaml"
    sheet.parent.mkdir()
    shutil.copy(SECRET_PORTIONS, sheet)
    out = tmp_path / "out"
    build([sheet], BuildOptions(out_dir=out, templates=("full", "onepager", "talking-points"), release_max="UNCLASSIFIED"))
    text = all_text(out)
    assert [word for word in SENSITIVE if word in text] == []
    assert "He Lifeng" in text and "Public figure" in text and "No concessions on chips." in text
    assert "secret-portions.yaml" not in {path.name for path in (out / "site").rglob("*")}  # the sheet holds it all
    banner = re.search(r'<p class="marking marking-top[^"]*">([^<]+)</p>', (out / "site" / "index.html").read_text(encoding="utf-8"))
    assert banner is not None and banner.group(1) == "UNCLASSIFIED"


def test_without_a_release_limit_the_banner_is_the_highest_portion(tmp_path: Path) -> None:
    """A sheet marked UNCLASSIFIED that holds a SECRET portion is bannered SECRET, and the portion is labelled."""
    build([SECRET_PORTIONS], BuildOptions(out_dir=tmp_path, formats=("md",)))
    text = next(tmp_path.rglob("*.md")).read_text(encoding="utf-8")
    assert "marking: SECRET\n" in text and "Handling marking: **SECRET**" in text
    assert "(SECRET) SENSITIVE-RED-LINE-PLUGH" in text


def test_briefing_marked_above_its_limit_is_left_out_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One sensitive sheet does not stop a release: it is left out, named in one line (exit 0),
    and nothing of it is written; --strict makes that a failure."""
    sheets = tmp_path / "briefs"
    sheets.mkdir()
    (sheets / "public.yaml").write_text(MINIMAL_SHEET, encoding="utf-8")
    secret = MINIMAL_SHEET.replace("marking: OFFICIAL", "marking: SECRET").replace("id: first", "id: second")
    (sheets / "secret.yaml").write_text(secret, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(sheets), "--out", str(out), "--release-max", "OFFICIAL"]) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if "left out" in line] == [
        f"briefgen: left out of this release: {sheets / 'secret.yaml'}: marked SECRET, above the release limit OFFICIAL"
    ]
    assert not list(out.rglob("*second*")) and list(out.rglob("*first*"))
    strict = tmp_path / "strict"
    assert main(["build", str(sheets), "--out", str(strict), "--release-max", "OFFICIAL", "--strict"]) == 1
    assert not list(strict.rglob("*second*"))


def test_release_and_archival_cannot_be_combined(tmp_path: Path) -> None:
    """An archival PDF carries the whole sheet, so a release build refuses it up front."""
    assert main(["build", str(SECRET_PORTIONS), "--out", str(tmp_path), "--release-max", "UNCLASSIFIED", "--archival"]) == 2


def test_a_rebuild_renders_only_the_touched_negotiations_pages_and_drops_an_empty_one(tmp_path: Path) -> None:
    """Editing one negotiation's sheet leaves the other negotiations' pages untouched; deleting a
    negotiation's last sheet removes its page, and the index no longer lists it."""
    briefs = tmp_path / "briefs"
    briefs.mkdir()
    for name in ("alpha", "beta"):
        (briefs / f"{name}.yaml").write_text(MINIMAL_SHEET.replace("id: test-talks", f"id: {name}-talks"), encoding="utf-8")
    out = tmp_path / "out"
    options = BuildOptions(out_dir=out, formats=("md",))
    build([briefs], options)
    alpha_page, beta_page = out / "site" / "alpha-talks" / "index.html", out / "site" / "beta-talks" / "index.html"
    before = alpha_page.stat().st_mtime_ns
    beta = briefs / "beta.yaml"
    beta.write_text(beta.read_text(encoding="utf-8").replace("title: First round", "title: First round, revised"), encoding="utf-8")
    build([briefs], options)
    assert alpha_page.stat().st_mtime_ns == before
    assert "First round, revised" in beta_page.read_text(encoding="utf-8")
    beta.unlink()
    build([briefs], options)
    assert not beta_page.exists() and alpha_page.is_file()
    assert "beta-talks" not in (out / "site" / "index.html").read_text(encoding="utf-8")
