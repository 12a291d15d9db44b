"""Start the next round's fact sheet from the previous one, keeping its comments and key order.

The previous sheet is loaded (so it must be valid), then edited in ruamel.yaml's round-trip mode:
negotiation, parties, people, open issues, commitments, figures, sources, talking points and
risks are carried forward for the author to review; issues that are agreed or closed are dropped,
with the talking points about them (a commitment keeps standing, without its link to the issue);
timeline entries on or before the previous round's last day are dropped, and a scheduled entry
after it is kept with a `# TODO: still scheduled?` beside it (by the next round it may have
happened, or not: only the author knows). `round.number` goes up by one, `briefing.status`
becomes draft and `briefing.previous_round` names the previous file. What belonged to the
previous round alone goes: its outcome (the next brief reads it from the previous sheet), its
mode and the meeting it was on the margins of (the next round is in person until the author
says otherwise) and the briefing's clearances; its meeting objectives stay with a TODO to review.

Fields that belong to one round only (the round's id, title, dates and place, the as-of date,
the purpose and bottom line) are left EMPTY with a `# TODO:` comment beside them. An empty value
fails validation whatever the field's type (a placeholder such as "TODO" would pass as a title),
so `briefgen validate` on the new file lists exactly what is left to fill, each at its line:
`2025-07-stockholm.yaml:10:3: round.id: expected text, got nothing (an empty value)`.

Every comment is kept, word for word (so one about the previous round needs the author's eye),
and stays among the entries that remain when the ones around it are dropped. Long text is
rewrapped to 90 columns, as ruamel.yaml cannot keep a plain scalar's own line breaks.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .discover import FACT_SHEET_SUFFIXES
from .errors import UsageError
from .loader import load
from .models import Briefing, FactSheet, Round
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

SECTIONS: dict[str, type[BaseModel]] = {"round": Round, "briefing": Briefing}
"""The model of each section with TODO fields: its field order places a field the previous sheet left out."""
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
        _empty(data[section], name, f"TODO: {hint}", list(SECTIONS[section].model_fields))
        todo.append(f"{section}.{name}")
    round_ = data["round"]
    round_["number"] = sheet.round.number + 1
    for name in ("mode", "margins_of", "outcome"):
        if name in round_:
            _delete(data, "round", name)
    if "venue" in round_:
        _empty(round_, "venue", "optional: the venue, or remove this line", list(Round.model_fields))
    briefing = data["briefing"]
    briefing["status"] = "draft"
    if "clearances" in briefing:
        _delete(data, "briefing", "clearances")
    if "objectives" in briefing:
        _comment(briefing, "objectives", "TODO: review: the previous round's objectives")
    if "previous_round" in briefing:
        briefing["previous_round"] = previous_name
    else:
        briefing.insert(list(briefing).index("status") + 1, "previous_round", previous_name)
    return todo


def _empty(mapping: CommentedMap, key: str, comment: str, order: list[str]) -> None:
    """Empty mapping[key] and put `comment` beside it, keeping the comment lines that follow it.

    A key the previous sheet could leave out (a virtual round's city) is added where `order`,
    the section's field order, puts it."""
    if key not in mapping:
        before = [name for name in order[: order.index(key)] if name in mapping]
        mapping.insert(list(mapping).index(before[-1]) + 1 if before else len(mapping), key, None)
    following = _take_following(mapping, key)
    mapping[key] = None
    if following is not None:
        _give_following(mapping, key, following)
    _comment(mapping, key, comment)


def _comment(mapping: CommentedMap, key: str, comment: str) -> None:
    """Put `comment` at the end of mapping[key]'s line, keeping the comment lines that follow it."""
    following = _take_following(mapping, key)
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
    for index, entry in enumerate(sheet.timeline):
        if index not in past and entry.scheduled:
            _comment(data["timeline"][index], "scheduled", "TODO: still scheduled?")
    _remove_items(data, "timeline", past)


def _remove_items(data: CommentedMap, name: str, indexes: set[int]) -> None:
    """Delete list items, last first, so a comment after one moves back past every deleted item."""
    for index in sorted(indexes, reverse=True):
        _delete(data, name, index)


Following = tuple[Any, str]
"""Comment lines that stood after a value: a token to copy (ruamel.yaml needs its marks) and the text."""


def _delete(parent: Any, name: Any, key: Any) -> None:
    """Delete parent[name][key], keeping every comment line in its place among what remains.

    ruamel.yaml keeps the comment lines between two entries (a section's heading comment, say)
    with the value before them, or as the next list item's leading comment, so deleting that
    value or item would delete the comment too: hand the lines to what now stands before them.
    """
    container = parent[name]
    position = list(container).index(key) if isinstance(container, CommentedMap) else key
    following = _join(_take_leading(container, key), _take_following(container, key))
    del container[key]
    if not container:  # written `name: []`, so its closing comments go after that
        container.fa.set_flow_style()
        following = _join(following, _take_end(container))
    if following is None:
        return
    if position > 0:
        before = list(container)[position - 1] if isinstance(container, CommentedMap) else position - 1
        _give_following(container, before, following)
    elif container:  # the lines now lead the first item left, before any of its own
        token, text = _join(following, _take_leading(container, 0)) or following
        container.ca.items.setdefault(0, [None] * 4)[1] = [copy.copy(token)]
        container.ca.items[0][1][0].value = text
    else:
        _give_following(parent, name, following)


def _take_leading(container: Any, key: Any) -> Following | None:
    """The comment lines ruamel.yaml keeps as a list item's own, above it."""
    entry = container.ca.items.get(key) if isinstance(container, CommentedSeq) else None
    tokens = entry[1] if entry and isinstance(entry[1], list) else []
    return (tokens[0], "".join(token.value for token in tokens)) if tokens else None


def _last_path(container: Any, key: Any) -> tuple[list[Any], Any, Any, int]:
    """The block collections from container[key] down its last entries, and the comment slot
    (holder, key, index) of the value the walk ends on: where ruamel.yaml keeps what follows."""
    chain = []
    while isinstance(node := container[key], (CommentedMap, CommentedSeq)) and node and not node.fa.flow_style():
        chain.append(node)
        container, key = node, (list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1)
    return chain, container, key, 2 if isinstance(container, CommentedMap) else 0


def _take_end(node: Any) -> Following | None:
    tokens = node.ca.end or []
    node.ca.end = []
    return (tokens[0], "".join(token.value for token in tokens)) if tokens else None


def _take_following(container: Any, key: Any) -> Following | None:
    """The comment lines after container[key], not counting its own end-of-line comment."""
    chain, holder, leaf, slot = _last_path(container, key)
    token = (holder.ca.items.get(leaf) or [None] * 4)[slot]
    following = (token, token.value.partition("\n")[2]) if token is not None else None
    for node in reversed(chain):  # innermost first, as they appear in the file
        following = _join(following, _take_end(node))
    return following if following and following[1] else None


def _join(first: Following | None, second: Following | None) -> Following | None:
    if first is None or second is None:
        return first or second
    return first[0], first[1] + second[1]


def _give_following(container: Any, key: Any, following: Following) -> None:
    token, text = following
    _, holder, leaf, slot = _last_path(container, key)
    entry = holder.ca.items.setdefault(leaf, [None] * 4)
    if entry[slot] is None:
        entry[slot] = copy.copy(token)
        entry[slot].value = "\n" + text
    else:
        value = entry[slot].value
        entry[slot].value = (value if value.endswith("\n") else value + "\n") + text


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
