"""Starting the next round: what is carried forward, what is left to fill, and the comments kept.

Expected values come from the previous sheet's own YAML (read with the project's reader), so a
test states the rule ("timeline entries after the previous round's last day stay") rather than
a copy of today's example content.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from briefgen import load
from briefgen.errors import InvalidFactSheets, UsageError
from briefgen.scaffold import scaffold_next_round
from briefgen.yamlsource import read_yaml

from .conftest import GENEVA, LONDON, MINIMAL_SHEET

WriteSheet = Callable[..., Path]

TODO = [
    "round.id",
    "round.title",
    "round.start",
    "round.end",
    "round.city",
    "round.country",
    "briefing.as_of",
    "briefing.purpose",
    "briefing.bottom_line",
]
FILLED = {
    "round.id": "stockholm",
    "round.title": "Stockholm round",
    "round.start": "2025-07-28",
    "round.end": "2025-07-29",
    "round.city": "Stockholm",
    "round.country": "Sweden",
    "briefing.as_of": "2025-07-27",
    "briefing.purpose": "Prepare the principals for the third meeting.",
    "briefing.bottom_line": "Extend the truce, and tie it to rare-earth deliveries.",
}


def data(path: Path) -> dict[str, Any]:
    return read_yaml(path).data


def line_of(text: str, section: str, key: str) -> int:
    """The 1-based line of `  key:` inside the top-level `section:` block."""
    lines = text.splitlines()
    start = lines.index(f"{section}:")
    for number, line in enumerate(lines[start + 1 :], start=start + 2):
        if line.startswith(f"  {key}:"):
            return number
        if line and not line.startswith((" ", "#")):
            break
    raise AssertionError(f"no '{key}:' under '{section}:'")


def fill(path: Path) -> None:
    """What the author does next: write a value on each TODO line."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for field, value in FILLED.items():
        section, key = field.split(".")
        number = line_of(text, section, key)
        assert "# TODO" in lines[number - 1]
        lines[number - 1] = f"  {key}: {value}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def after_london(examples_copy: Path) -> tuple[Path, Path, list[str]]:
    london = examples_copy / LONDON.name
    new = examples_copy / "2025-07-stockholm.yaml"
    return london, new, scaffold_next_round(london, new)


def test_returns_the_fields_to_fill(after_london: tuple[Path, Path, list[str]]) -> None:
    assert after_london[2] == TODO


def test_keeps_every_comment_and_the_key_order(after_london: tuple[Path, Path, list[str]]) -> None:
    london, new, _ = after_london
    text = new.read_text(encoding="utf-8")
    kept = {line.strip() for line in text.splitlines()}
    comments = [
        line.strip() for line in london.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("#")
    ]
    assert [comment for comment in comments if comment not in kept] == []
    lines = text.splitlines()
    assert lines[:2] == [  # the editor's schema modeline stays first, so completion keeps working
        "# yaml-language-server: $schema=../../schema/fact-sheet.schema.json",
        "# Fact sheet: US–China trade talks, London round (9–10 June 2025)",
    ]
    assert lines[lines.index("people:") - 1] == "# Delegations at the table in London."
    assert (
        lines[lines.index("timeline:") - 1] == "# How we got here; entries after the as-of date are marked scheduled."
    )
    assert (
        lines[lines.index("talking_points:") - 1]
        == "# Lines for principals, in the order they are likely to be needed."
    )
    assert list(data(new)) == list(data(london))
    assert list(data(new)["round"]) == list(data(london)["round"])
    assert not [line for line in lines if line != line.rstrip()]


def test_moves_the_round_on(after_london: tuple[Path, Path, list[str]]) -> None:
    london, new, _ = after_london
    sheet = data(new)
    assert sheet["round"]["number"] == data(london)["round"]["number"] + 1 == 3
    assert sheet["briefing"]["previous_round"] == "2025-06-london.yaml"
    assert sheet["briefing"]["status"] == "draft"
    assert sheet["round"]["venue"] is None  # optional, so emptied rather than left as London's


def test_carries_forward_what_still_stands(after_london: tuple[Path, Path, list[str]]) -> None:
    london, new, _ = after_london
    before, after = data(london), data(new)
    assert [issue["status"] for issue in before["issues"] if issue["status"] in ("agreed", "closed")] == []
    for key in (
        "negotiation",
        "parties",
        "people",
        "issues",
        "commitments",
        "figures",
        "talking_points",
        "risks",
        "sources",
    ):
        assert after[key] == before[key], key
    for key in ("marking", "prepared_by", "prepared_for"):
        assert after["briefing"][key] == before["briefing"][key]


def test_drops_the_timeline_up_to_the_previous_round(after_london: tuple[Path, Path, list[str]]) -> None:
    london, new, _ = after_london
    before = data(london)
    still_ahead = [entry for entry in before["timeline"] if entry["date"] > before["round"]["end"]]
    assert still_ahead and len(still_ahead) < len(before["timeline"])
    assert data(new)["timeline"] == still_ahead


def test_validate_names_each_field_to_fill_at_its_line(after_london: tuple[Path, Path, list[str]]) -> None:
    _, new, todo = after_london
    text = new.read_text(encoding="utf-8")
    with pytest.raises(InvalidFactSheets) as raised:
        load([new])
    found = [(p.field, p.line, p.col) for p in raised.value.problems]
    expected = [(field, line_of(text, *field.split(".")), 3) for field in todo]
    assert found == expected
    empty = ("got nothing (an empty value)", "required for a round held in-person")
    assert all(p.path == new and any(text in p.message for text in empty) for p in raised.value.problems)


def test_once_filled_in_it_validates(after_london: tuple[Path, Path, list[str]]) -> None:
    london, new, _ = after_london
    fill(new)
    (loaded,) = load([new])
    assert loaded.sheet.round.id == "stockholm" and loaded.sheet.round.number == 3
    assert loaded.previous is not None and loaded.previous.path.resolve() == london.resolve()


def test_after_a_first_round_the_previous_round_is_added(examples_copy: Path) -> None:
    geneva = examples_copy / GENEVA.name
    new = examples_copy / "2025-06-second.yaml"
    scaffold_next_round(geneva, new)
    sheet = data(new)
    keys = list(sheet["briefing"])
    assert keys[keys.index("status") + 1] == "previous_round"
    assert sheet["briefing"]["previous_round"] == "2025-05-geneva.yaml"
    # Geneva's only future entry was its own opening day, so nothing is left, but the
    # comment that followed the timeline still introduces the talking points.
    assert sheet["timeline"] == []
    lines = new.read_text(encoding="utf-8").splitlines()
    assert (
        lines[lines.index("talking_points:") - 1]
        == "# Lines for principals, in the order they are likely to be needed."
    )
    fill(new)
    assert load([new])[0].sheet.round.number == 2


SETTLED = """\
  - id: soybeans
    title: Soybean purchases
    priority: low
    status: agreed
    summary: China agreed to buy soybeans.
    positions:
      us: {text: Buy more., sources: [src]}
      cn: {text: We will buy., sources: [src]}

# What we say, in order.
talking_points:
  - text: Keep tariffs down.
    issue: tariffs
  - text: Thank them for the soybeans.
    issue: soybeans

# Promises made.
commitments:
  - id: buy
    title: China buys soybeans
    made_at: First round
    date: 2025-05-01
    by: [cn]
    text: Buy soybeans.
    compliance: {}
    issue: soybeans

# Dates.
timeline:
  - date: 2025-05-01
    event: Talks announced.
    sources: [src]

# Everything cited.
sources:
  - id: src
"""


def test_settled_issues_leave_with_what_points_at_them(write_sheet: WriteSheet) -> None:
    assert MINIMAL_SHEET.count("sources:\n  - id: src\n") == 1
    previous = write_sheet(MINIMAL_SHEET.replace("sources:\n  - id: src\n", SETTLED))
    new = previous.with_name("second.yaml")
    scaffold_next_round(previous, new)
    sheet = data(new)
    assert [issue["id"] for issue in sheet["issues"]] == ["tariffs"]
    assert sheet["talking_points"] == [{"text": "Keep tariffs down.", "issue": "tariffs"}]
    assert "issue" not in sheet["commitments"][0] and sheet["commitments"][0]["id"] == "buy"  # it still stands
    assert sheet["timeline"] == []
    # Each comment stays right above the section it introduces, though what preceded it went.
    lines = new.read_text(encoding="utf-8").splitlines()
    for comment, key in [
        ("# What we say, in order.", "talking_points:"),
        ("# Promises made.", "commitments:"),
        ("# Dates.", "timeline: []"),
        ("# Everything cited.", "sources:"),
    ]:
        assert lines[lines.index(key) - 1] == comment
    fill(new)
    assert load([new])[0].sheet.issues[0].id == "tariffs"


TIMELINE = """\
timeline:
  # Before the round.
  - date: 2025-04-02
    event: Tariffs announced.
    sources:
      - src
  - date: 2025-05-06
    event: Talks confirmed.
    sources:
      - src
  # Still to come.
  - date: 2025-08-12
    event: The truce runs out.
    scheduled: true
    sources:
      - src

"""


def test_comments_between_dropped_entries_stay_above_what_is_left(write_sheet: WriteSheet) -> None:
    previous = write_sheet(MINIMAL_SHEET.replace("sources:\n  - id: src\n", TIMELINE + "sources:\n  - id: src\n"))
    new = previous.with_name("second.yaml")
    scaffold_next_round(previous, new)
    assert [entry["date"] for entry in data(new)["timeline"]] == ["2025-08-12"]
    lines = [line.strip() for line in new.read_text(encoding="utf-8").splitlines()]
    kept = lines.index("- date: 2025-08-12")
    assert lines[kept - 1] == "# Still to come."
    assert "# Before the round." in lines[lines.index("timeline:") : kept]


def test_refuses_to_overwrite(examples_copy: Path) -> None:
    london = examples_copy / LONDON.name
    geneva = examples_copy / GENEVA.name
    before = london.read_bytes()
    with pytest.raises(UsageError, match="already exists"):
        scaffold_next_round(geneva, london)
    assert london.read_bytes() == before


def test_the_new_sheet_goes_beside_the_previous_one(examples_copy: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="same folder"):
        scaffold_next_round(examples_copy / LONDON.name, tmp_path / "2025-07-stockholm.yaml")
    assert not (tmp_path / "2025-07-stockholm.yaml").exists()


def test_the_new_sheet_is_a_yaml_file(examples_copy: Path) -> None:
    with pytest.raises(UsageError, match=r"\.yaml"):
        scaffold_next_round(examples_copy / LONDON.name, examples_copy / "stockholm.txt")


def test_an_invalid_previous_sheet_is_reported_and_nothing_written(write_sheet: WriteSheet) -> None:
    previous = write_sheet(MINIMAL_SHEET.replace("status: final", "status: finished"))
    new = previous.with_name("second.yaml")
    with pytest.raises(InvalidFactSheets, match="briefing.status"):
        scaffold_next_round(previous, new)
    assert not new.exists()


def test_a_scheduled_entry_still_ahead_is_kept_for_review(after_london: tuple[Path, Path, list[str]]) -> None:
    """London's 12 August deadline stays, flagged: by the next round it may have passed, or moved."""
    _, new, _ = after_london
    lines = new.read_text(encoding="utf-8").splitlines()
    flagged = [n for n, line in enumerate(lines) if line.strip() == "scheduled: true # TODO: still scheduled?"]
    assert len(flagged) == 1
    assert lines[flagged[0] - 2].strip() == "- date: 2025-08-12"
    assert [entry.get("scheduled") for entry in data(new)["timeline"]] == [True]


ROUND_SPECIFIC = """\
  as_of: 2025-05-12
  objectives:
    - Leave with a truce.
  clearances:
    - {name: Head of unit, role: Drafting, date: 2025-05-12}
"""
OUTCOME = """\
  outcome:
    agreed:
      - {text: A truce., sources: [src]}
"""


@pytest.mark.parametrize(
    "place",
    ["  mode: virtual\n", "  mode: margins\n  margins_of: the ASEAN summit\n  city: Kuala Lumpur\n  country: Malaysia\n"],
    ids=["virtual", "margins"],
)
def test_what_belonged_to_the_previous_round_stays_behind(write_sheet: WriteSheet, place: str) -> None:
    """Its outcome, its mode (and the meeting it was on the margins of) and the clearances go; the
    meeting objectives stay for review; a city and country come back to fill even if it had none."""
    text = MINIMAL_SHEET.replace("  city: Geneva\n  country: Switzerland\n", place + OUTCOME)
    text = text.replace("  as_of: 2025-05-09\n", ROUND_SPECIFIC)
    previous = write_sheet(text, name="first.yaml")
    new = previous.parent / "second.yaml"
    assert scaffold_next_round(previous, new) == TODO
    after = data(new)
    assert [key for key in ("mode", "margins_of", "outcome") if key in after["round"]] == []
    assert after["round"]["city"] is None and after["round"]["country"] is None
    assert "clearances" not in after["briefing"]
    assert after["briefing"]["objectives"] == ["Leave with a truce."]
    written = new.read_text(encoding="utf-8")
    assert "  objectives: # TODO: review: the previous round's objectives" in written
    assert "  city: # TODO: where the round takes place" in written
    assert list(after["round"]).index("city") == list(after["round"]).index("end") + 1
