"""The published site's shared pages: the index, one page per negotiation, an Atom feed, a JSON index.

Each briefing's own page and downloads are written with the briefing (briefgen/formats.py);
this module writes what lists them, from the manifest's record of every briefing built into
the output folder, so an unchanged briefing need not be loaded again. Every link is relative
and nothing is fetched from elsewhere, so the site works from file:// and any static host.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .formatting import format_date, format_date_range
from .manifest import Manifest
from .markings import highest_of_any
from .render import Renderer
from .write import output_path, safe_name, write_atomic

if TYPE_CHECKING:
    from .pipeline import BuildOptions

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class Listing:
    """One published briefing, as the index pages and feeds show it."""

    negotiation: str
    negotiation_title: str
    round: str
    round_title: str
    number: int
    start: str
    end: str
    city: str | None
    country: str | None
    place: str
    """Where the round meets, in words: 'In London, United Kingdom', 'By video conference'."""
    as_of: str
    marking: str
    status: str
    href: str
    """Relative to the site's root, e.g. 'us-china-trade/2025-06-09-london.html'."""

    @property
    def dates(self) -> str:
        return format_date_range(date.fromisoformat(self.start), date.fromisoformat(self.end))

    @property
    def as_of_text(self) -> str:
        """The as-of date as readers read it, '9 June 2025'; `as_of` stays ISO for machines."""
        return format_date(date.fromisoformat(self.as_of))


def write_site_index(options: BuildOptions, manifest: Manifest, changed: set[str] | None = None) -> tuple[list[Path], list[str]]:
    """Write the site's index, negotiation pages, feed and JSON index; return the files written,
    and every page of the site's own (relative to the output folder), written or unchanged.
    `changed`: the negotiations whose briefings were rebuilt or removed; the other negotiations'
    pages, already written, are left as they are (None: every page is rendered)."""
    from .pipeline import SITE_FOLDER

    root = options.out_dir / SITE_FOLDER
    listings = _listings(options, manifest, root)
    renderer = Renderer(options.workspace_templates, manifest.fingerprint)
    groups = _by_negotiation(listings)
    pages: dict[Path, bytes] = {
        root / "index.html": renderer.render("site/index", "html", None, extra=_page(listings, groups=groups, root="")).encode(),
        root / "feed.xml": _atom_feed(listings),
        root / "index.json": _json_index(listings),
    }
    kept = []
    for negotiation, rounds in groups.items():
        page = root / safe_name(negotiation) / "index.html"
        if changed is not None and negotiation not in changed and page.is_file():
            kept.append(page)
            continue
        extra = _page(rounds, negotiation_title=rounds[0].negotiation_title, rounds=sorted(rounds, key=lambda r: r.start), root="../")
        pages[page] = renderer.render("site/negotiation", "html", None, extra=extra).encode()
    root.mkdir(parents=True, exist_ok=True)
    written = [path for path, content in pages.items() if write_atomic(path, content)]
    return written, [path.relative_to(options.out_dir).as_posix() for path in [*pages, *kept]]


def _listings(options: BuildOptions, manifest: Manifest, root: Path) -> list[Listing]:
    """Every briefing on record whose fact sheet still exists and whose page is in the site."""
    found = []
    for sheet_path, record in manifest.sheets.items():
        summary = record.summary
        if not Path(sheet_path).is_file() or not options.site_files_for(summary):
            continue
        page = output_path(root, summary["negotiation"], summary["as_of"], summary["round"], "full", "html")
        if not page.is_file():
            continue
        fields = {key: summary.get(key, "") for key in Listing.__dataclass_fields__ if key != "href"}
        found.append(Listing(**fields, href=page.relative_to(root).as_posix()))
    return sorted(found, key=lambda listing: (listing.as_of, listing.start), reverse=True)


def _by_negotiation(listings: Iterable[Listing]) -> dict[str, list[Listing]]:
    groups: dict[str, list[Listing]] = {}
    for listing in listings:
        groups.setdefault(listing.negotiation, []).append(listing)
    return dict(sorted(groups.items(), key=lambda item: item[1][0].negotiation_title.casefold()))


def _page(listings: list[Listing], **extra: Any) -> dict[str, Any]:
    """Variables every site page has: its banner is the highest marking of what it lists."""
    return {"banner": highest_of_any([listing.marking for listing in listings]), "listings": listings, **extra}


def _atom_feed(listings: list[Listing]) -> bytes:
    """An Atom 1.0 feed, newest first; ids are URNs so they stay the same wherever the site is hosted."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "Briefings"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = "urn:briefgen:briefings"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _timestamp(max((listing.as_of for listing in listings), default="1970-01-01"))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href="feed.xml")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href="index.html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "briefgen"
    for listing in listings:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = f"{listing.negotiation_title}: {listing.round_title} ({listing.marking})"
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:briefgen:{listing.negotiation}:{listing.round}:{listing.as_of}"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _timestamp(listing.as_of)
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=listing.href)
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = (
            f"Round {listing.number}, {listing.dates}, {listing.place}. "
            f"Marking {listing.marking}; {listing.status.capitalize()}; as of {listing.as_of_text}."
        )
    ET.indent(feed)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True)) + b"\n"


def _timestamp(day: str) -> str:
    return f"{day}T00:00:00Z"


def _json_index(listings: list[Listing]) -> bytes:
    rows = [asdict(listing) for listing in listings]
    return (json.dumps({"briefings": rows}, ensure_ascii=False, indent=1) + "\n").encode()
