"""Markings as a property of every product, format and channel, not of one template.

The sheets in tests/sheets mark at least one instance of every portion that can carry a
marking, each with a unique marker word naming its own level (MARKED-SECRET-REDLINE-KL-ALPHA).
Built complete, every occurrence of a marker in every product and format must sit behind a label
at least as high, and every product's banner must be at least every label it prints. Released at
each level of its scheme, no output, channel or download may hold a marker of a higher level.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader

from briefgen import BuildOptions, build
from briefgen.cli import main
from briefgen.loader import load
from briefgen.markings import SCHEMES, rank, scheme_for

from .conftest import REPO, strings_in

SHEETS = REPO / "tests" / "sheets"
ALL_TYPES = ("full", "onepager", "talking-points")
LEVELS = "TOP-SECRET|OFFICIAL-SENSITIVE|CONFIDENTIAL|UNCLASSIFIED|OFFICIAL|SECRET|CUI"
MARKER = re.compile(rf"MARKED-({LEVELS})-[A-Z0-9]+-[A-Z0-9]+-[A-Z0-9]+")
LABEL = re.compile(r"\((TOP SECRET|OFFICIAL-SENSITIVE|CONFIDENTIAL|UNCLASSIFIED|OFFICIAL|SECRET|CUI)\)")
SHAPES = ["wto-many-parties.yaml", "uk-bilateral.yaml", "kl-margins.yaml", "too-rich.yaml"]


def level_of(marker: str) -> str:
    """'MARKED-TOP-SECRET-ISSUE-KL-ALPHA' -> 'TOP SECRET'."""
    found = MARKER.match(marker)
    assert found is not None, marker
    return found.group(1).replace("TOP-SECRET", "TOP SECRET")


def flat(text: str) -> str:
    """Text as a reader meets it: zero-width break points gone, words rejoined across lines."""
    text = text.replace("\u200b", "").replace("\u2068", "").replace("\u2069", "")
    text = re.sub(r"-\s*\n\s*", "-", text)
    return " ".join(text.split())


def visible(page: str) -> str:
    """An HTML page's text and the attributes a reader sees (alt text, stacked-table labels)."""
    without = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.DOTALL)
    attributes = " ".join(html.unescape(value) for value in re.findall(r'(?:alt|data-label)="([^"]*)"', without))
    return html.unescape(re.sub(r"<[^>]+>", " ", without)) + " " + attributes


@cache
def pdf_text(path: Path) -> tuple[list[str], str]:
    """Each page's text, and the metadata and bookmarks, of one PDF."""
    reader = PdfReader(path)
    meta = reader.metadata or {}
    outline: list[str] = []

    def walk(items: list[object]) -> None:
        for item in items:
            walk(item) if isinstance(item, list) else outline.append(str(getattr(item, "title", "")))  # type: ignore[func-returns-value]

    walk(reader.outline)
    channel = " ".join(str(meta.get(key, "")) for key in ("/Title", "/Subject", "/Keywords", "/Author")) + " " + " ".join(outline)
    return [page.extract_text() for page in reader.pages], channel


def readable(out: Path) -> Iterator[tuple[Path, str]]:
    """Every file a reader or a tool reads, as text: products, site pages, feeds, PDFs (page by
    page, then their metadata and bookmarks), downloads."""
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix == ".pdf":
            pages, channel = pdf_text(path)
            for number, page in enumerate(pages, start=1):
                yield path.with_name(f"{path.name}#page{number}"), page
            yield path.with_name(f"{path.name}#metadata"), channel
        else:
            yield path, path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def complete(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every sheet of every shape built complete: every product, every format, the site."""
    out = tmp_path_factory.mktemp("complete")
    sheets = tmp_path_factory.mktemp("sheets")
    for name in [*SHAPES, "kl-previous.yaml"]:
        shutil.copy(SHEETS / name, sheets / name)
    build([sheets], BuildOptions(out_dir=out, templates=ALL_TYPES, jobs=2))
    return out


def labelled_ahead(text: str, start: int, level: str, scheme: str, reach: int) -> bool:
    """Whether the nearest label before `start` (within `reach` characters) is at least `level`."""
    labels = list(LABEL.finditer(text, max(0, start - reach), start))
    return bool(labels) and rank(labels[-1].group(1), scheme) >= rank(level, scheme)


def blocks(path: Path, raw: str) -> list[str]:
    """What a reader takes as one piece: an HTML block (paragraph, list item, table cell, heading)
    or attribute, a Markdown line or table cell, a PDF page (where blocks cannot be told apart)."""
    if path.suffix == ".html":
        body = re.sub(r"<(style|script)\b.*?</\1>", " ", raw, flags=re.DOTALL)
        attributes = [html.unescape(value) for value in re.findall(r'(?:alt|data-label)="([^"]*)"', body)]
        pieces = re.split(r"</?(?:p|li|td|th|dd|dt|h[1-6]|div|caption|figcaption|tr|ul|ol|dl|table|section|article|header|footer|title|nav)\b[^>]*>", body)
        return [flat(html.unescape(re.sub(r"<[^>]+>", " ", piece))) for piece in pieces] + attributes
    if path.suffix == ".md":
        return [flat(cell) for line in raw.splitlines() for cell in re.split(r"(?<!\\)\|", line)]
    return [flat(raw)]


def test_every_marked_portion_carries_its_label_in_every_product_and_format(complete: Path) -> None:
    """Wherever a marked portion's text is printed (md, HTML text and attributes, PDF pages), a
    label at least as high stands before it in the same block, within the portion's own text."""
    portions = _portion_texts()
    unlabelled: list[str] = []
    checked = 0
    for path, raw in readable(complete):
        if path.suffix not in (".md", ".html") and "#page" not in path.name:
            continue  # the fact sheet itself; machine listings and metadata hold no portion text
        scheme = "us" if re.search(r"UNCLASSIFIED|CONFIDENTIAL|\bCUI\b", raw) else "uk"
        for block in blocks(path, raw):
            for match in MARKER.finditer(block):
                checked += 1
                marker = match.group(0)
                reach = len(portions.get(marker, "")) + 60  # the portion's own text, and words a product puts before it
                if not labelled_ahead(block, match.start(), level_of(marker), scheme, reach):
                    unlabelled.append(f"{path.relative_to(complete)}: {marker}: …{block[max(0, match.start() - 120):match.end()]}")
    assert checked > 200
    assert unlabelled == []


def test_every_banner_is_at_least_every_label_on_its_page(complete: Path) -> None:
    """Per PDF page and per HTML or Markdown product, the banner is the highest label printed."""
    low: list[str] = []
    for path, raw in readable(complete):
        if path.suffix not in (".md", ".html", ".pdf") or path.name.endswith("#metadata"):
            continue
        text = visible(raw) if path.suffix == ".html" else raw
        labels = [match.group(1) for match in LABEL.finditer(text)]
        banner = _banner(path, raw)
        if not labels or banner is None:
            continue
        scheme = scheme_for([banner, *labels])
        assert scheme is not None, path
        highest = max(labels, key=lambda marking: rank(marking, scheme))
        if rank(banner, scheme) < rank(highest, scheme):
            low.append(f"{path.relative_to(complete)}: banner {banner} below label {highest}")
    assert low == []


def _banner(path: Path, raw: str) -> str | None:
    if path.suffix == ".md":
        found = re.search(r"^marking: (.+)$", raw, re.MULTILINE)
    elif path.suffix == ".html":
        found = re.search(r'class="marking marking-top[^"]*">([^<]+)<', raw)
    else:  # a PDF page: its band, at the top and at the bottom
        found = re.search(rf"^({LEVELS.replace('TOP-SECRET', 'TOP SECRET')})(?: · DRAFT)?$", raw, re.MULTILINE)
    return found.group(1) if found else None


def _portion_texts() -> dict[str, str]:
    """Each marker → the whole text of the field that holds it in its sheet."""
    found: dict[str, str] = {}
    for loaded in load(sorted(SHEETS.glob("*.yaml"))):
        for value in strings_in(loaded.sheet.model_dump()):
            found.update((marker.group(0), value) for marker in MARKER.finditer(value))
    return found


def _levels(scheme: str) -> tuple[str, ...]:
    return SCHEMES[scheme]


@pytest.mark.parametrize("name", SHAPES)
def test_a_release_at_every_level_holds_nothing_above_it_in_any_channel(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Released at each level of its scheme, no page, PDF (text, metadata, bookmarks), feed,
    JSON index, download or `diff` of the sheet holds a marker of a higher level, and the
    briefing is left out, with one line, below its own marking."""
    sheet_dir = tmp_path / "briefs"
    sheet_dir.mkdir()
    shutil.copy(SHEETS / name, sheet_dir / name)
    if name == "kl-margins.yaml":
        shutil.copy(SHEETS / "kl-previous.yaml", sheet_dir / "kl-previous.yaml")
    text = (sheet_dir / name).read_text(encoding="utf-8")
    own = re.search(r"^  marking: (.+)$", text, re.MULTILINE)
    assert own is not None
    scheme = scheme_for([own.group(1)]) or "uk"
    for level in _levels(scheme):
        out = tmp_path / f"release-{level.replace(' ', '-')}"
        formats = "md,html,pdf" if level in (own.group(1), "SECRET") else "md,html"
        code = main(["build", str(sheet_dir), "--out", str(out), "--release-max", level, "--template", ",".join(ALL_TYPES), "--format", formats, "-j", "2"])
        err = capsys.readouterr().err
        assert code == 0, err
        if rank(level, scheme) < rank(own.group(1), scheme):
            assert f"left out of this release: {sheet_dir / name}" in err
        leaks = [
            f"{path.relative_to(out)}: {marker.group(0)}"
            for path, content in readable(out)
            for marker in MARKER.finditer(flat(content))
            if rank(level_of(marker.group(0)), scheme) > rank(level, scheme)
        ]
        assert leaks == [], level
        assert not list((out / "site").rglob("*.yaml")), "a release never offers the fact sheet"
    if name == "kl-margins.yaml":
        main(["diff", str(sheet_dir / "kl-previous.yaml"), str(sheet_dir / name)])
        diff = capsys.readouterr().out
        assert MARKER.search(diff), "the diff prints marked changes"
        assert all(labelled_ahead(diff, m.start(), level_of(m.group(0)), scheme, 400) for m in MARKER.finditer(diff))
        banner = re.search(r"^Handling marking: (.+)$", diff, re.MULTILINE)
        assert banner and all(rank(banner.group(1), scheme) >= rank(level_of(m.group(0)), scheme) for m in MARKER.finditer(diff))


def test_a_release_is_refused_in_a_folder_of_complete_briefings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Copying build/site after a release into a complete build would publish what the release
    leaves out, so briefgen refuses to mix them (either way round), naming a folder to use."""
    sheet = tmp_path / "uk-bilateral.yaml"
    shutil.copy(SHEETS / "uk-bilateral.yaml", sheet)
    out = tmp_path / "out"
    assert main(["build", str(sheet), "--out", str(out), "--format", "md"]) == 0
    assert main(["build", str(sheet), "--out", str(out), "--format", "md", "--release-max", "OFFICIAL"]) == 2
    assert "holds complete briefings; build a release at OFFICIAL into a folder of its own" in capsys.readouterr().err
    assert list((out / "site").rglob("*.yaml")), "the complete build is left as it was"


def test_per_scheme_limits_release_uk_and_us_sheets_in_one_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One limit per scheme; a sheet whose scheme has none is refused, saying what to add."""
    for name in ("uk-bilateral.yaml", "kl-margins.yaml", "kl-previous.yaml"):
        shutil.copy(SHEETS / name, tmp_path / name)
    out = tmp_path / "out"
    assert main(["build", str(tmp_path), "--out", str(out), "--format", "md", "--release-max", "OFFICIAL,UNCLASSIFIED"]) == 0
    assert len(list(out.rglob("*.md"))) >= 3
    assert main(["build", str(tmp_path), "--out", str(tmp_path / "other"), "--format", "md", "--release-max", "UNCLASSIFIED"]) == 2
    err = capsys.readouterr().err
    assert "uk-bilateral.yaml: --release-max UNCLASSIFIED names no limit for the UK scheme" in err
    assert "--release-max UNCLASSIFIED,OFFICIAL" in err


def test_the_site_is_exactly_what_is_published_after_retract_delete_and_rename(tmp_path: Path) -> None:
    """A sheet back to draft, deleted or renamed leaves nothing of its own behind: the output
    folder holds exactly what the current sheets produce, and nothing briefgen did not write is touched."""
    from .conftest import MINIMAL_SHEET

    briefs = tmp_path / "briefs"
    briefs.mkdir()
    for round_id in ("first", "second", "third"):
        (briefs / f"{round_id}.yaml").write_text(MINIMAL_SHEET.replace("id: first", f"id: {round_id}"), encoding="utf-8")
    out = tmp_path / "out"
    options = BuildOptions(out_dir=out, formats=("md", "html"))
    build([briefs], options)
    (out / "notes.txt").write_text("mine", encoding="utf-8")

    def files() -> set[str]:
        return {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file() and not path.name.startswith(".")}

    before = files()
    assert "site/test-talks/2025-05-09-second.html" in before
    (briefs / "first.yaml").write_text((briefs / "first.yaml").read_text(encoding="utf-8").replace("status: final", "status: draft"), encoding="utf-8")
    (briefs / "second.yaml").unlink()
    (briefs / "third.yaml").rename(briefs / "fourth.yaml")
    (briefs / "fourth.yaml").write_text((briefs / "fourth.yaml").read_text(encoding="utf-8").replace("id: third", "id: fourth"), encoding="utf-8")
    result = build([briefs], options)
    after = files()
    assert "notes.txt" in after
    assert not any("second" in name or "third" in name for name in after)
    assert not any(name.startswith("site/") and "first" in name for name in after), "a draft is not published"
    assert "test-talks/2025-05-09-first.md" in after, "a draft is still built as a file"
    assert "site/test-talks/2025-05-09-fourth.html" in after
    index = json.loads((out / "site" / "index.json").read_text(encoding="utf-8"))
    assert [item["round"] for item in index["briefings"]] == ["fourth"]
    assert "2025-05-09-first" not in (out / "site" / "test-talks" / "index.html").read_text(encoding="utf-8")
    assert {path.relative_to(out).as_posix() for path in result.removed} == before - after - {"notes.txt"}


def test_a_onepager_that_cannot_fit_does_not_take_the_sheet_down(tmp_path: Path) -> None:
    """The too-rich sheet's one-pager selects what fits; every product of it is written."""
    out = tmp_path / "out"
    build([SHEETS / "too-rich.yaml"], BuildOptions(out_dir=out, templates=ALL_TYPES, site=False, jobs=2))
    onepager = next(out.rglob("*.onepager.pdf"))
    pages, _ = pdf_text(onepager)
    assert len(pages) == 1
    assert re.search(r"\d+ more issues?", flat(pages[0])) and "in the full brief" in flat(pages[0])
    names = {path.name for path in out.rglob("*.pdf")}
    assert len(names) == 3 and any(".talking-points." in name for name in names)



def test_a_workspace_template_gets_labels_for_free(tmp_path: Path) -> None:
    """A template that prints a marked portion, even through Jinja's own text filters or a join,
    prints its label, and its banner rises to it."""
    workspace = tmp_path / "templates"
    workspace.mkdir()
    (workspace / "digest.html").write_text(
        '{% extends "default:base.html" %}{% block content %}'
        "<p>{{ b.sheet.issues[-1].title | upper }}</p>"
        "<p>{{ b.sheet.issues | map(attribute='title') | join(' / ') }}</p>"
        "<p>{{ b.sheet.issues[-1].title | truncate(40) }}</p>"
        "{% endblock %}",
        encoding="utf-8",
    )
    (workspace / "digest.md").write_text("{{ b.sheet.issues | map(attribute='title') | join('; ') }}\n", encoding="utf-8")
    out = tmp_path / "out"
    build([SHEETS / "uk-bilateral.yaml"], BuildOptions(out_dir=out, formats=("md", "html"), templates=("digest",), workspace_templates=workspace, site=False))
    page = next(out.rglob("*.digest.html")).read_text(encoding="utf-8")
    assert "(SECRET) A SENSITIVE FILE MARKED-SECRET-ISSUE-UKB-ALPHA" in page
    assert " / (SECRET) A sensitive file MARKED-SECRET-ISSUE-UKB-ALPHA" in page
    assert "<p>(SECRET) A sensitive file...</p>" in page, "truncated, still labelled"
    assert 'marking-top marking-secret">SECRET<' in page
    assert "(SECRET) A sensitive file MARKED" in next(out.rglob("*.digest.md")).read_text(encoding="utf-8").replace("\\", "")
