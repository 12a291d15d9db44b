"""Start the next round's fact sheet from the previous one, keeping its comments and key order.

The previous sheet is loaded (so it must be valid), then edited in ruamel.yaml's round-trip mode:
negotiation, parties, people, open issues, commitments, figures, sources, talking points and
risks are carried forward for the author to review; issues that are agreed or closed are dropped,
with the talking points about them (a commitment keeps standing, without its link to the issue);
timeline entries on or before the previous round's last day are dropped. `round.number` goes up
by one, `briefing.status` becomes draft and `briefing.previous_round` names the previous file.

Fields that belong to one round only (the round's id, title, dates and place, the as-of date,
the purpose and bottom line) are left EMPTY with a `# TODO:` comment beside them. An empty value
fails validation whatever the field's type (a placeholder such as "TODO" would pass as a title),
so `briefgen validate` on the new file lists exactly what is left to fill, each at its line:
`2025-07-stockholm.yaml:10:3: round.id: expected text, got nothing (an empty value)`.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .errors import UsageError
from .loader import FACT_SHEET_SUFFIXES, load
from .models import FactSheet
from .write import write_atomic
from .yamlsource import read_yaml

TODO_FIELDS: dict[tuple[str, str], str] = {
    ("round", "id"): "this round's id: lowercase letters, digits and hyphens, e.g. the city",
    ("round", "title"): "e.g. 'Stockholm round'",
    ("round", "start"): "the first day of the round, YYYY-MM-DD",
    ("round", "end"): "the last day of the round, YYYY-MM-DD",
    ("round", "city"): "where the round takes place",
    ("round", "country"): "the country of that city",
    ("briefing", "as_of"): "the briefing's date, YYYY-MM-DD",
    ("briefing", "purpose"): "what this briefing prepares the principals for",
    ("briefing", "bottom_line"): "the one message for this round",
}
"""Round-specific fields left empty for the author, with the hint written beside each."""

CLOSED_STATUSES = ("agreed", "closed")
WIDTH = 90
"""Long text is wrapped near the width the example sheets use, so later edits diff line by line."""


def scaffold_next_round(previous_path: Path, new_path: Path) -> list[str]:
    """Write the sheet for the round after `previous_path`; return the fields the author must fill."""
    if new_path.exists():
        raise UsageError(f"{new_path} already exists; choose a new file name (nothing was overwritten)")
    if new_path.suffix not in FACT_SHEET_SUFFIXES:
        raise UsageError(f"{new_path}: a fact sheet's name must end in .yaml")
    if new_path.resolve().parent != previous_path.resolve().parent:
        raise UsageError(
            f"{new_path} must be in the same folder as {previous_path}, "
            "because briefing.previous_round names a file beside it"
        )
    previous = load([previous_path])[0]
    yaml = _round_trip_yaml()
    data = yaml.load(previous.raw.decode("utf-8").removeprefix("\ufeff"))
    todo = _reset_round_fields(data, previous.sheet, previous_path.name)
    _drop_settled(data, previous.sheet)
    write_atomic(new_path, _dump(yaml, data, new_path).encode("utf-8"))
    return todo


def _round_trip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = WIDTH
    return yaml


def _reset_round_fields(data: CommentedMap, sheet: FactSheet, previous_name: str) -> list[str]:
    """Empty each round-specific field with a TODO beside it; carry the rest with the round moved on."""
    todo = []
    for (section, name), hint in TODO_FIELDS.items():
        _empty(data[section], name, f"TODO: {hint}")
        todo.append(f"{section}.{name}")
    round_ = data["round"]
    round_["number"] = sheet.round.number + 1
    if "venue" in round_:
        _empty(round_, "venue", "optional: the venue, or remove this line")
    briefing = data["briefing"]
    briefing["status"] = "draft"
    if "previous_round" in briefing:
        briefing["previous_round"] = previous_name
    else:
        briefing.insert(list(briefing).index("status") + 1, "previous_round", previous_name)
    return todo


def _empty(mapping: CommentedMap, key: str, comment: str) -> None:
    """Empty mapping[key] and put `comment` beside it, keeping the comment lines that follow it."""
    following = _take_following(mapping, key)
    mapping[key] = None
    mapping.yaml_add_eol_comment(comment, key, column=mapping.lc.col + len(key) + 2)
    if following is not None:
        _give_following(mapping, key, following)


def _drop_settled(data: CommentedMap, sheet: FactSheet) -> None:
    """Drop agreed or closed issues (and what points at them) and the timeline up to the last round."""
    settled = {issue.id for issue in sheet.issues if issue.status in CLOSED_STATUSES}
    _remove_items(data, "issues", {i for i, issue in enumerate(sheet.issues) if issue.id in settled})
    points = sheet.talking_points
    _remove_items(data, "talking_points", {i for i, point in enumerate(points) if point.issue in settled})
    for index, commitment in enumerate(sheet.commitments):
        if commitment.issue in settled:
            _delete(data["commitments"], index, "issue")
    past = {i for i, entry in enumerate(sheet.timeline) if entry.date <= sheet.round.end}
    _remove_items(data, "timeline", past)


def _remove_items(data: CommentedMap, name: str, indexes: set[int]) -> None:
    """Delete list items, last first, so a comment after one moves back past every deleted item."""
    for index in sorted(indexes, reverse=True):
        _delete(data, name, index)


def _delete(parent: Any, name: Any, key: Any) -> None:
    """Delete parent[name][key]; the comment lines that followed it now follow what preceded it.

    ruamel.yaml keeps the comment lines between two entries (a section's heading comment, say)
    on the last value before them, so deleting that value would delete the comment too.
    """
    container = parent[name]
    position = list(container).index(key) if isinstance(container, CommentedMap) else key
    following = _take_following(container, key)
    del container[key]
    if following is None:
        return
    if position > 0:
        before = list(container)[position - 1] if isinstance(container, CommentedMap) else position - 1
        _give_following(container, before, following)
        return
    if not container:
        container.fa.set_flow_style()  # written `name: []`, with the comment lines after it
    _give_following(parent, name, following)


def _tail_slot(container: Any, key: Any) -> tuple[Any, Any, int]:
    """Where ruamel.yaml keeps the comment after container[key]: on the last value inside it."""
    while isinstance(node := container[key], (CommentedMap, CommentedSeq)) and node and not node.fa.flow_style():
        container, key = node, (list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1)
    return container, key, 2 if isinstance(container, CommentedMap) else 0


def _take_following(container: Any, key: Any) -> tuple[Any, str] | None:
    """The comment token after container[key] and its lines below (not its end-of-line comment)."""
    holder, leaf, slot = _tail_slot(container, key)
    token = (holder.ca.items.get(leaf) or [None] * 4)[slot]
    if token is None:
        return None
    rest = token.value.partition("\n")[2]
    return (token, rest) if rest else None


def _give_following(container: Any, key: Any, following: tuple[Any, str]) -> None:
    token, rest = following
    holder, leaf, slot = _tail_slot(container, key)
    entry = holder.ca.items.setdefault(leaf, [None] * 4)
    if entry[slot] is None:
        entry[slot] = copy.copy(token)
        entry[slot].value = "\n" + rest
    else:
        entry[slot].value = entry[slot].value.rstrip("\n") + "\n" + rest


def _dump(yaml: YAML, data: CommentedMap, path: Path) -> str:
    """The new sheet as text, without the trailing spaces ruamel.yaml leaves where it wraps text.

    Those spaces mean nothing in plain or quoted text, but would be content in a block scalar
    (`|`), so they are kept if removing them would change what the file says.
    """
    stream = io.StringIO()
    yaml.dump(data, stream)
    text = stream.getvalue()
    stripped = "\n".join(line.rstrip(" ") for line in text.split("\n"))
    same = read_yaml(path, stripped.encode()).data == read_yaml(path, text.encode()).data
    return stripped if same else text
