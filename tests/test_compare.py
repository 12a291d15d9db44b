"""Comparing rounds: the changes a reader of the diff would expect, and nothing else.

The Geneva → London expectations were read off the two example YAML files by hand. The small
cases edit one field of a hand-built sheet, so each change kind is checked on its own; the git
cases run a real repository in a temporary folder.
"""

from __future__ import annotations

import os
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from briefgen import load
from briefgen.compare import (
    CommitmentChange,
    CommitmentRef,
    Comparison,
    DelegationChange,
    FigureMove,
    FigureRef,
    IssueChange,
    IssueRef,
    PersonChange,
    PersonRef,
    SheetSince,
    ValueChange,
    as_markdown,
    as_text,
    compare,
    compare_revision,
)
from briefgen.errors import UsageError
from briefgen.models import FactSheet
from briefgen.yamlsource import read_yaml

from .conftest import GENEVA, LONDON, MINIMAL_SHEET
from .conftest import edit as edit_sheet

EXTRA = """\
figures:
  - id: us-tariff
    label: US tariff on Chinese goods
    value: 145
    unit: "%"
    as_of: 2025-04-10
    source: src
  - id: cn-exports
    label: China's exports, year on year
    value: 4.8
    unit: "%"
    signed: true
    as_of: 2025-05-01
    source: src
commitments:
  - id: cut
    title: China cuts tariffs
    made_at: Geneva
    date: 2025-05-01
    by: [cn]
    text: Cut tariffs.
    compliance:
      us: {status: kept, statement: Done., sources: [src]}
"""
BASE = MINIMAL_SHEET + EXTRA


def edit(*changes: tuple[str, str], base: str = BASE) -> str:
    """`base` (the minimal sheet with a second round's extras) with each replacement made."""
    return edit_sheet(*changes, base=base)


def sheet(text: str = BASE) -> FactSheet:
    parsed = FactSheet.model_validate(read_yaml(Path("sheet.yaml"), text.encode()).data)
    assert list(parsed.reference_problems()) == []
    return parsed


# Geneva → London, the bundled examples.


@pytest.fixture(scope="module")
def geneva_to_london() -> Comparison:
    geneva, london = load([GENEVA, LONDON])
    return compare(geneva.sheet, london.sheet)


def test_issues_geneva_to_london(geneva_to_london: Comparison) -> None:
    c = geneva_to_london
    assert c.issues_added == (IssueRef("visas", "Visa limits for Chinese students and scholars"),)
    assert c.issues_dropped == (IssueRef("fentanyl", "Fentanyl precursors and the related tariffs"),)
    changed = {issue.id: issue for issue in c.issues_changed}
    assert list(changed) == ["rare-earths", "export-controls", "tariffs"]  # London's order
    fields = {
        issue: [(ch.field, ch.old, ch.new) for ch in changed[issue].changes if ch.field in ("status", "priority")]
        for issue in changed
    }
    assert fields == {
        "rare-earths": [("status", "open", "progressing")],
        "export-controls": [("priority", "medium", "high")],
        "tariffs": [("status", "open", "progressing")],
    }
    tariffs = {ch.field: ch for ch in changed["tariffs"].changes}
    assert (tariffs["position.us"].old or "").startswith("The tariffs answer a large")
    assert (tariffs["position.us"].new or "").startswith("We delivered our tariff cut")
    assert (tariffs["position.cn"].new or "").startswith("China has also cut")
    for issue in changed.values():  # every party's position was rewritten for London
        assert [ch.field for ch in issue.changes if ch.field.startswith("position")] == ["position.us", "position.cn"]


def test_figures_geneva_to_london(geneva_to_london: Comparison) -> None:
    c = geneva_to_london
    added = [(f.id, f.text) for f in c.figures_added]
    assert added == [
        ("us-additional-tariff-after-geneva", "30%"),
        ("cn-tariff-after-geneva", "10%"),
        ("tariff-path-2025", "30%"),
        ("cn-exports-may-yoy", "+4.8%"),
        ("cn-imports-may-yoy", "−3.4%"),
        ("oecd-world-growth-2025", "2.9%"),
    ]
    assert [(f.id, f.text) for f in c.figures_dropped] == [("us-baseline-reciprocal-tariff", "10%")]
    # The two peak figures are relabelled and re-sourced in London but still 145% and 125%, as of
    # the same dates: editing, not a move.
    assert c.figures_moved == ()


def test_commitments_geneva_to_london(geneva_to_london: Comparison) -> None:
    c = geneva_to_london
    assert [item.id for item in c.commitments_added] == [
        "us-tariff-cut-to-30",
        "cn-tariff-cut-to-10",
        "cn-non-tariff-countermeasures",
        "consultation-mechanism",
    ]
    assert c.commitments_dropped == ()
    assert c.commitments_changed == ()


def test_delegations_geneva_to_london(geneva_to_london: Comparison) -> None:
    us, cn = geneva_to_london.delegations
    assert (us.party, us.party_name) == ("us", "United States")
    assert us.joined == (PersonRef("lutnick", "Howard Lutnick"),)
    assert us.left == ()
    assert us.changed == (
        PersonChange("bessent", "Scott Bessent", (ValueChange(
            "role",
            "Co-lead of the US delegation",
            "Principal; US co-lead of the consultation mechanism agreed in Geneva",
        ),)),
        PersonChange("greer", "Jamieson Greer", (ValueChange(
            "role",
            "Co-lead of the US delegation; lead on tariff mechanics",
            "Principal; US co-lead of the consultation mechanism; lead on tariffs",
        ),)),
    )  # fmt: skip
    assert (cn.party, cn.party_name) == ("cn", "People's Republic of China")
    assert cn.joined == (PersonRef("wang-wentao", "Wang Wentao"),)
    assert cn.left == (PersonRef("liao-min", "Liao Min"),)
    assert cn.changed == (
        PersonChange("he-lifeng", "He Lifeng", (ValueChange(
            "role",
            "Head of the Chinese delegation",
            "Head of the Chinese delegation; China's lead under the consultation mechanism",
        ),)),
    )  # fmt: skip
    # Li Chenggang keeps his title and role, so he is not listed.


def test_geneva_to_london_as_text(geneva_to_london: Comparison) -> None:
    text = as_text(geneva_to_london, "Geneva round", "London round")
    lines = text.splitlines()
    assert lines[0] == "Changes from Geneva round to London round"
    issues = lines[lines.index("Issues") + 1 :]
    assert issues[:3] == [  # ids padded to the longest in the group, 'export-controls'
        "  + visas            Visa limits for Chinese students and scholars",
        "  - fentanyl         Fentanyl precursors and the related tariffs",
        "  ~ rare-earths      Rare-earth export licences",
    ]
    assert issues[3] == "      status          open -> progressing"
    assert "  + lutnick  Howard Lutnick" in lines
    assert "  - liao-min     Liao Min" in lines
    assert "China delegation" in lines
    assert "\x1b" not in text and text.endswith("\n") and not text.endswith("\n\n")
    assert all(len(line) <= 100 for line in lines if line.startswith("      "))


def test_geneva_to_london_as_markdown(geneva_to_london: Comparison) -> None:
    text = as_markdown(geneva_to_london, "Geneva round", "London round")
    assert_markdown_lint_clean(text)
    assert "## Issues\n\n- Added: Visa limits for Chinese students and scholars (`visas`)\n" in text
    assert "  - priority: medium → **high**\n" in text
    assert "- Joined: Howard Lutnick (`lutnick`)\n" in text
    assert "- Left: Liao Min (`liao-min`)\n" in text
    assert (
        "- Dropped: US baseline reciprocal tariff on all trading partners: 10% (`us-baseline-reciprocal-tariff`)\n"
        in text
    )
    assert "China\\'s" not in text and "Geneva round to London round" in text


# One change kind at a time, on a hand-built sheet.


def test_identical_sheets_have_no_changes() -> None:
    c = compare(sheet(), sheet())
    assert c == Comparison() and c.is_empty
    assert as_text(c, "A", "B") == "No changes from A to B.\n"
    assert as_markdown(c, "A", "B") == "# Changes from A to B\n\nNo changes.\n"


def test_issue_added_and_dropped() -> None:
    c = compare(sheet(), sheet(edit(("  - id: tariffs\n    title: Tariffs\n", "  - id: visas\n    title: Visas\n"))))
    assert c == Comparison(issues_added=(IssueRef("visas", "Visas"),), issues_dropped=(IssueRef("tariffs", "Tariffs"),))
    assert not c.is_empty


def test_issue_status_priority_and_position_changes() -> None:
    new = edit(
        ("status: open", "status: stalled"),
        ("priority: high", "priority: low"),
        ("text: Cut them.", "text: Cut them now."),
    )
    assert compare(sheet(), sheet(new)).issues_changed == (
        IssueChange("tariffs", "Tariffs", (
            ValueChange("status", "open", "stalled"),
            ValueChange("priority", "high", "low"),
            ValueChange("position.us", "Cut them.", "Cut them now."),
        )),
    )  # fmt: skip


def test_rewrapped_position_is_not_a_change() -> None:
    assert compare(sheet(), sheet(edit(("text: Cut them.", "text: Cut  them.")))).is_empty


def test_a_party_stating_a_position_for_the_first_time() -> None:
    without_cn = edit(("      cn:\n        text: Cut yours first.\n        sources: [src]\n", ""))
    assert compare(sheet(without_cn), sheet()).issues_changed == (
        IssueChange("tariffs", "Tariffs", (ValueChange("position.cn", None, "Cut yours first."),)),
    )


def test_percentage_moves_by_points() -> None:
    c = compare(sheet(), sheet(edit(("value: 145", "value: 30"))))
    assert c == Comparison(figures_moved=(
        FigureMove("us-tariff", "US tariff on Chinese goods", 145, 30, "%", "145%", "30%", -115, "−115 pp", "down"),
    ))  # fmt: skip


def test_signed_figure_moves_up() -> None:
    (move,) = compare(sheet(), sheet(edit(("value: 4.8", "value: 5.1")))).figures_moved
    assert (move.old_text, move.new_text, move.delta, move.delta_text, move.direction) == (
        "+4.8%",
        "+5.1%",
        Decimal("0.3"),
        "+0.3 pp",
        "up",
    )


def test_figure_in_other_units_moves_by_its_unit() -> None:
    old = edit(('value: 145\n    unit: "%"', "value: 100\n    unit: USD bn"))
    new = edit(('value: 145\n    unit: "%"', "value: 120.5\n    unit: USD bn"))
    (move,) = compare(sheet(old), sheet(new)).figures_moved
    assert (move.old_text, move.new_text, move.delta, move.delta_text, move.direction) == (
        "$100bn", "$120.5bn", Decimal("20.5"), "+$20.5bn", "up",
    )  # fmt: skip


def test_figure_with_a_new_id_is_matched_by_its_label() -> None:
    c = compare(sheet(), sheet(edit(("id: us-tariff", "id: us-tariff-rate"), ("value: 145", "value: 30"))))
    assert c.figures_added == c.figures_dropped == ()
    assert [(m.id, m.old_value, m.new_value) for m in c.figures_moved] == [("us-tariff-rate", 145, 30)]


def test_relabelled_figure_is_not_a_move() -> None:
    assert compare(sheet(), sheet(edit(("label: US tariff on Chinese goods", "label: US tariff, China")))).is_empty


def test_refreshed_figure_with_the_same_value_is_listed_as_unchanged() -> None:
    (move,) = compare(sheet(), sheet(edit(("as_of: 2025-04-10", "as_of: 2025-05-01")))).figures_moved
    assert (move.delta, move.delta_text, move.direction) == (0, "0 pp", "unchanged")
    assert move.changes == (ValueChange("as_of", "2025-04-10", "2025-05-01"),)


def test_figure_given_a_period_lists_it() -> None:
    (move,) = compare(sheet(), sheet(edit(("value: 145\n", "value: 145\n    period: April 2025\n")))).figures_moved
    assert move.changes == (ValueChange("period", None, "April 2025"),)
    assert "      period  (none) -> April 2025" in as_text(Comparison(figures_moved=(move,)), "A", "B")


def test_figure_whose_unit_changed_has_no_delta() -> None:
    (move,) = compare(sheet(), sheet(edit(('value: 145\n    unit: "%"', "value: 145\n    unit: USD bn")))).figures_moved
    assert (move.old_text, move.new_text, move.delta, move.delta_text) == ("145%", "$145bn", None, None)
    assert "      value  145% -> $145bn (unit changed)" in as_text(Comparison(figures_moved=(move,)), "A", "B")


def test_figures_added_and_dropped() -> None:
    c = compare(
        sheet(),
        sheet(edit(("id: cn-exports\n    label: China's exports,", "id: cn-imports\n    label: China's imports,"))),
    )
    assert c.figures_added == (FigureRef("cn-imports", "China's imports, year on year", Decimal("4.8"), "%", "+4.8%"),)
    assert c.figures_dropped == (FigureRef("cn-exports", "China's exports, year on year", Decimal("4.8"), "%", "+4.8%"),)


def test_compliance_changes_per_party() -> None:
    new = edit((
        "      us: {status: kept, statement: Done., sources: [src]}\n",
        (
            "      us: {status: broken, statement: Not done., sources: [src]}\n"
            "      cn: {status: disputed, statement: They say it is done., sources: [src]}\n"
        ),
    ))  # fmt: skip
    assert compare(sheet(), sheet(new)).commitments_changed == (
        CommitmentChange(
            "cut", "China cuts tariffs", (ValueChange("us", "kept", "broken"), ValueChange("cn", "none", "disputed"))
        ),
    )


def test_commitments_added_and_dropped() -> None:
    c = compare(
        sheet(), sheet(edit(("id: cut\n    title: China cuts tariffs", "id: buy\n    title: China buys soybeans")))
    )
    assert c.commitments_added == (CommitmentRef("buy", "China buys soybeans"),)
    assert c.commitments_dropped == (CommitmentRef("cut", "China cuts tariffs"),)


def test_delegation_joined_left_and_changed() -> None:
    old = edit(
        ("people:\n", "people:\n  - {id: liao-min, name: Liao Min, title: Vice Minister, party: cn, role: Member}\n")
    )
    new = edit(
        ("people:\n", "people:\n  - {id: greer, name: Jamieson Greer, title: USTR, party: us, role: Lead}\n"),
        ("    title: Vice Premier\n", "    title: Premier\n"),
    )
    assert compare(sheet(old), sheet(new)).delegations == (
        DelegationChange("us", "United States", joined=(PersonRef("greer", "Jamieson Greer"),)),
        DelegationChange(
            "cn", "People's Republic of China",
            left=(PersonRef("liao-min", "Liao Min"),),
            changed=(PersonChange("he-lifeng", "He Lifeng", (ValueChange("title", "Vice Premier", "Premier"),)),),
        ),
    )  # fmt: skip


def test_a_new_file_is_all_added() -> None:
    c = compare(None, sheet())
    assert c.issues_added == (IssueRef("tariffs", "Tariffs"),)
    assert [f.id for f in c.figures_added] == ["us-tariff", "cn-exports"]
    assert c.commitments_added == (CommitmentRef("cut", "China cuts tariffs"),)
    assert c.delegations == (
        DelegationChange("cn", "People's Republic of China", joined=(PersonRef("he-lifeng", "He Lifeng"),)),
    )
    assert not (c.issues_dropped or c.issues_changed or c.figures_dropped or c.figures_moved or c.commitments_changed)


# The two renderers, on one change of each kind.

EVERY_KIND = edit(
    ("status: open", "status: stalled"),
    ("value: 145", "value: 30"),
    ("us: {status: kept,", "us: {status: broken,"),
    ("people:\n", "people:\n  - {id: greer, name: Jamieson Greer, title: USTR, party: us, role: Lead}\n"),
)


def test_as_text_lists_every_kind_with_markers_and_aligned_columns() -> None:
    assert as_text(compare(sheet(), sheet(EVERY_KIND)), "Geneva round", "London round") == (
        "Changes from Geneva round to London round\n"
        "\n"
        "Issues\n"
        "  ~ tariffs  Tariffs\n"
        "      status  open -> stalled\n"
        "\n"
        "Figures\n"
        "  ~ us-tariff  US tariff on Chinese goods\n"
        "      value  145% -> 30% (−115 pp, down)\n"
        "\n"
        "Commitments\n"
        "  ~ cut  China cuts tariffs\n"
        "      US says  kept -> broken\n"
        "\n"
        "US delegation\n"
        "  + greer  Jamieson Greer\n"
    )


def test_as_text_puts_long_values_on_lines_of_their_own() -> None:
    old = sheet(edit(("text: Cut them.", "text: " + " ".join(["Cut them."] * 8))))
    new = sheet(edit(("text: Cut them.", "text: " + " ".join(["Cut them now."] * 8))))
    text = as_text(compare(old, new), "A", "B")
    lines = text.splitlines()
    start = lines.index("  ~ tariffs  Tariffs") + 1
    assert lines[start].startswith("      US position  was: Cut them. Cut them.")
    assert any(line.startswith("                   now: Cut them now.") for line in lines[start:])
    assert all(len(line) <= 100 for line in lines)
    assert " ".join(" ".join(lines[start:]).split()).count("Cut them now.") == 8


def test_as_markdown_lists_every_kind_with_bold_new_values() -> None:
    assert as_markdown(compare(sheet(), sheet(EVERY_KIND)), "Geneva round", "London round") == (
        "# Changes from Geneva round to London round\n"
        "\n"
        "## Issues\n"
        "\n"
        "- Changed: Tariffs (`tariffs`)\n"
        "  - status: open → **stalled**\n"
        "\n"
        "## Figures\n"
        "\n"
        "- Changed: US tariff on Chinese goods (`us-tariff`)\n"
        "  - value: 145% → **30%** (−115 pp, down)\n"
        "\n"
        "## Commitments\n"
        "\n"
        "- Changed: China cuts tariffs (`cut`)\n"
        "  - US says: kept → **broken**\n"
        "\n"
        "## US delegation\n"
        "\n"
        "- Joined: Jamieson Greer (`greer`)\n"
    )


def test_as_markdown_escapes_user_text() -> None:
    hostile = edit(("title: Tariffs\n", "title: 'Tariffs <script>x</script> *now* [link](javascript:x)'\n"))
    c = compare(sheet(), sheet(edit(("status: open", "status: stalled"), base=hostile)))
    text = as_markdown(c, "Round_1 <b>", "Round *2*")
    assert text.startswith("# Changes from Round\\_1 \\<b\\> to Round \\*2\\*\n")
    assert "- Changed: Tariffs \\<script\\>x\\</script\\> \\*now\\* \\[link\\](javascript:x) (`tariffs`)\n" in text
    assert "<script>" not in text
    assert_markdown_lint_clean(text)


def test_as_markdown_makes_no_links_from_user_text() -> None:
    """GitHub would turn a bare address into a link (and markdownlint flags it: MD034)."""
    linked = "text: 'See [AP](https://apnews.com/x), www.example.org or press@example.org.'"
    c = compare(sheet(), sheet(edit(("text: Cut them.", linked))))
    assert "**See \\[AP\\](https\\://apnews.com/x), www\\.example.org or press\\@example.org.**" in as_markdown(
        c, "A", "B"
    )


def test_as_markdown_can_nest_under_a_callers_title() -> None:
    text = as_markdown(compare(sheet(), sheet(EVERY_KIND)), "A", "B", level=2)
    assert text.startswith("## Changes from A to B\n\n### Issues\n")


def assert_markdown_lint_clean(text: str) -> None:
    """The markdownlint rules a generated comment could break: blank lines around headings and
    lists (MD022, MD032), one blank line at most (MD012), no trailing spaces (MD009), one
    trailing newline (MD047), a first-line title (MD041) and headings one level apart (MD001)."""
    assert text.endswith("\n") and not text.endswith("\n\n")
    lines = text.split("\n")[:-1]
    assert lines[0].startswith("# ")
    assert not [line for line in lines if line != line.rstrip()]
    assert "\n\n\n" not in text
    level = 1
    for index, line in enumerate(lines):
        before = lines[index - 1] if index else ""
        after = lines[index + 1] if index + 1 < len(lines) else ""
        if heading := re.match(r"(#+) ", line):
            assert before == "" and after == "", f"heading without blank lines around it: {line!r}"
            assert len(heading.group(1)) <= level + 1
            level = len(heading.group(1))
        is_item = re.match(r" *- ", line) is not None
        if is_item and not re.match(r" *- ", before):
            assert before == "", f"list without a blank line before it: {line!r}"
        if is_item and after and not re.match(r" *- ", after):
            raise AssertionError(f"list without a blank line after it: {line!r}")


# Comparing with a git revision, in a real repository.


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, examples_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as a git repository holding the two example rounds, committed."""
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.org")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "Geneva and London")
    return tmp_path


BOTH_UNCLASSIFIED = ("UNCLASSIFIED", "UNCLASSIFIED")
"""The bundled examples' own markings, then and now: the report's banner starts from them."""
CN_EXPORTS_MOVE = FigureMove(
    "cn-exports-may-yoy", "China's exports, year on year",
    Decimal("4.8"), Decimal("5.2"), "%", "+4.8%", "+5.2%", Decimal("0.4"), "+0.4 pp", "up",
)


def change_cn_exports(london: Path) -> None:
    text = london.read_text(encoding="utf-8")
    assert text.count("    value: 4.8\n") == 1
    london.write_text(text.replace("    value: 4.8\n", "    value: 5.2\n"), encoding="utf-8")


def test_one_changed_figure_is_all_that_is_reported(repo: Path, examples_copy: Path) -> None:
    london = examples_copy / LONDON.name
    change_cn_exports(london)
    assert compare_revision("HEAD", [london]) == [SheetSince(london, Comparison(figures_moved=(CN_EXPORTS_MOVE,)), markings=BOTH_UNCLASSIFIED)]


def test_a_folder_compares_every_sheet_in_it(repo: Path, examples_copy: Path) -> None:
    change_cn_exports(examples_copy / LONDON.name)
    assert compare_revision("HEAD", [examples_copy]) == [
        SheetSince(examples_copy / GENEVA.name, Comparison(), markings=BOTH_UNCLASSIFIED),
        SheetSince(examples_copy / LONDON.name, Comparison(figures_moved=(CN_EXPORTS_MOVE,)), markings=BOTH_UNCLASSIFIED),
    ]


def test_an_earlier_revision_and_relative_paths(
    repo: Path, examples_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    change_cn_exports(examples_copy / LONDON.name)
    git(repo, "commit", "-q", "-am", "May exports revised")
    monkeypatch.chdir(repo)
    relative = Path("briefs/us-china") / LONDON.name
    assert compare_revision("HEAD", [relative]) == [SheetSince(relative, Comparison(), markings=BOTH_UNCLASSIFIED)]
    assert compare_revision("HEAD~1", [relative]) == [SheetSince(relative, Comparison(figures_moved=(CN_EXPORTS_MOVE,)), markings=BOTH_UNCLASSIFIED)]


def test_a_file_added_since_the_revision_is_all_added(repo: Path) -> None:
    new = repo / "briefs" / "new.yaml"
    new.write_text(MINIMAL_SHEET, encoding="utf-8")
    (found,) = compare_revision("HEAD", [new])
    path, c = found.path, found.comparison
    assert path == new
    assert c == Comparison(
        issues_added=(IssueRef("tariffs", "Tariffs"),),
        delegations=(
            DelegationChange("cn", "People's Republic of China", joined=(PersonRef("he-lifeng", "He Lifeng"),)),
        ),
    )


def test_unknown_revision_is_a_usage_error(repo: Path, examples_copy: Path) -> None:
    with pytest.raises(UsageError, match="unknown git revision 'no-such-rev'"):
        compare_revision("no-such-rev", [examples_copy])


def test_revision_that_looks_like_an_option_is_refused(repo: Path, examples_copy: Path) -> None:
    with pytest.raises(UsageError, match="is not a git revision"):
        compare_revision("--output=stolen", [examples_copy])
    assert not list(repo.glob("stolen*"))


def test_outside_a_git_repository_is_a_usage_error(
    tmp_path: Path, examples_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.delenv("GIT_DIR", raising=False)
    with pytest.raises(UsageError, match="not in a git repository"):
        compare_revision("HEAD", [examples_copy / LONDON.name])


def test_an_invalid_sheet_at_the_revision_is_reported_located(repo: Path) -> None:
    path = repo / "briefs" / "sheet.yaml"
    path.write_text(MINIMAL_SHEET.replace("  status: final\n", "  status: finished\n"), encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "a bad sheet")
    path.write_text(MINIMAL_SHEET, encoding="utf-8")
    (found,) = compare_revision("HEAD", [path])
    assert found.comparison is None and found.note is not None
    # MINIMAL_SHEET line 17 is '  status: final'; the value starts in column 11.
    assert found.note.startswith(
        "not compared: its version at HEAD is not a valid fact sheet: "
        "HEAD:briefs/sheet.yaml:17:11: briefing.status: expected one of 'draft' or 'final'"
    )
