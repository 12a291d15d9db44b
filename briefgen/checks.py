"""Warnings about a valid fact sheet: stale figures and sources, and gaps a principal would notice.

These are not errors: the sheet still builds. Each warning is a Problem located in the file,
so `validate` can print it as `path:line:col: field: message`, and `--strict` can fail on it.
"""

from __future__ import annotations

from datetime import date

from .errors import Problem
from .loader import LoadedSheet, field_path
from .models import Loc, cited_source_ids
from .yamlsource import YamlDocument, read_yaml

DEFAULT_MAX_AGE_DAYS = 90


def is_stale(day: date, meeting: date, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> bool:
    """Whether something dated `day` is more than `max_age_days` old on the day of the meeting."""
    return (meeting - day).days > max_age_days


def document(loaded: LoadedSheet) -> YamlDocument:
    """The sheet's YAML node positions: the loader's, or read again from its bytes."""
    return loaded.positions or read_yaml(loaded.path, loaded.raw)


CHECKS = ("freshness", "completeness")


def sheet_warnings(
    loaded: LoadedSheet, max_age_days: int = DEFAULT_MAX_AGE_DAYS, checks: tuple[str, ...] = CHECKS
) -> list[Problem]:
    """The warnings of the chosen `checks` about one sheet, in file order, reading its YAML once."""
    if not checks:
        return []
    doc = document(loaded)
    found = [*(freshness_warnings(loaded, doc, max_age_days) if "freshness" in checks else [])]
    found += completeness_warnings(loaded, doc) if "completeness" in checks else []
    return sorted(found)


def freshness_warnings(
    loaded: LoadedSheet, doc: YamlDocument | None = None, max_age_days: int = DEFAULT_MAX_AGE_DAYS
) -> list[Problem]:
    """Figures, and sources of current claims, older than `max_age_days` when the round starts
    (unless marked historical: true about the past, they stay true), and scheduled timeline
    entries whose day has passed by the as-of date (carried forward, they read as still to come)."""
    doc = document(loaded) if doc is None else doc
    meeting = loaded.sheet.round.start
    as_of = loaded.sheet.briefing.as_of
    found = []
    for i, figure in enumerate(loaded.sheet.figures):
        if not figure.historical and is_stale(figure.as_of, meeting, max_age_days):
            age = (meeting - figure.as_of).days
            found.append(_warning(doc, ("figures", i, "as_of"), (
                f"figure '{figure.id}' is {age} days old at the meeting (as of {figure.as_of}); "
                "refresh it, or mark it `historical: true` if it stays true"
            )))  # fmt: skip
    # A source cited only for history (timeline entries, chart points) is old by nature.
    current = set(cited_source_ids(loaded.sheet.model_copy(update={"timeline": [], "figures": [
        figure.model_copy(update={"series": []}) for figure in loaded.sheet.figures
    ]})))
    for i, source in enumerate(loaded.sheet.sources):
        if source.id in current and not source.historical and is_stale(source.date, meeting, max_age_days):
            age = (meeting - source.date).days
            found.append(_warning(doc, ("sources", i, "date"), (
                f"source '{source.id}' is {age} days old at the meeting (dated {source.date}); "
                "check that what it says still holds, or cite a newer one, "
                "or mark it `historical: true` if it stays true"
            )))  # fmt: skip
    for i, entry in enumerate(loaded.sheet.timeline):
        if entry.scheduled and entry.date < as_of:
            found.append(_warning(doc, ("timeline", i, "scheduled"), (
                f"entry dated {entry.date} is still marked scheduled, but that day is before the as-of date "
                f"{as_of}; say what happened and remove 'scheduled: true'"
            ), prefer_key=True))  # fmt: skip
    return found


def completeness_warnings(loaded: LoadedSheet, doc: YamlDocument | None = None) -> list[Problem]:
    """Gaps that leave a principal short: a negotiating side's missing position (observers, chairs
    and mediators need none), a counterpart without a bio, objectives with nothing to say about
    them, a source that nothing cites."""
    doc = document(loaded) if doc is None else doc
    sheet = loaded.sheet
    ours = {party.id for party in sheet.parties if party.ours}
    negotiators = [party for party in sheet.parties if party.ours or party.role == "negotiator"]
    pointed_at = {point.issue for point in sheet.talking_points}
    found = []
    for i, issue in enumerate(sheet.issues):
        for party in negotiators:
            if party.id not in issue.positions:
                message = f"issue '{issue.id}' has no position for {party.short_name} ('{party.id}')"
                found.append(_warning(doc, ("issues", i, "positions"), message, prefer_key=True))
        if issue.objectives and not issue.lines_to_take and issue.id not in pointed_at:
            message = f"issue '{issue.id}' has objectives but no lines to take, and no talking point refers to it"
            found.append(_warning(doc, ("issues", i, "objectives"), message, prefer_key=True))
    for i, person in enumerate(sheet.people):
        if person.party not in ours and person.bio is None:
            message = f"counterpart '{person.id}' ({person.name}) has no bio; principals read these first"
            found.append(_warning(doc, ("people", i), message))
    cited = set(cited_source_ids(sheet))
    for i, source in enumerate(sheet.sources):
        if source.id not in cited:
            found.append(_warning(doc, ("sources", i), f"source '{source.id}' is never cited; cite it or remove it"))
    return found


def _warning(doc: YamlDocument, loc: Loc, message: str, *, prefer_key: bool = False) -> Problem:
    line, col = doc.locate(loc, prefer_key=prefer_key)
    return Problem(doc.path, line, col, field_path(loc), message)
