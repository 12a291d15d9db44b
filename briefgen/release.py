"""Marking-aware release: a fact sheet cut down to what may be released at a given marking.

Every portion marked above the limit is left out, and so is everything that would point at
it or give it away: talking points and commitments about a left-out issue, a left-out
person's lead role, sources cited by nothing that remains. The result is validated again,
so a release can never be an inconsistent sheet. A sheet whose own marking is above the
limit cannot be released at all.
"""

from __future__ import annotations

from typing import Any

from .errors import BriefgenError
from .markings import above, highest, scheme_for
from .models import FactSheet, cited_source_ids


class NotReleasable(BriefgenError):
    """A briefing that may not be published at the requested marking."""


def banner(sheet: FactSheet) -> str:
    """The briefing's marking as printed: the highest marking of anything it contains."""
    markings = [marking for _, marking in sheet.markings()]
    scheme = scheme_for(markings)
    return highest(markings, scheme) if scheme else sheet.briefing.marking


def release(sheet: FactSheet, limit: str, label: str) -> FactSheet:
    """`sheet` without the portions marked above `limit`; NotReleasable if it cannot be cut down."""
    scheme = scheme_for([limit, *(marking for _, marking in sheet.markings())])
    if scheme is None:
        raise NotReleasable(f"{label}: release limit {limit} is not a marking of this sheet's scheme")
    if above(sheet.briefing.marking, limit, scheme):
        raise NotReleasable(
            f"{label}: the briefing is marked {sheet.briefing.marking}, above the release limit {limit}; "
            "it cannot be released at that level (leave it out of this build)"
        )

    def keep(portion: Any) -> bool:
        marking = getattr(portion, "marking", None)
        return marking is None or not above(marking, limit, scheme)

    issues = [_without_marked_lines(issue, keep) for issue in sheet.issues if keep(issue)]
    issue_ids = {issue.id for issue in issues}
    people = [person for person in sheet.people if keep(person)]
    person_ids = {person.id for person in people}
    issues = [issue if issue.lead in person_ids or issue.lead is None else issue.model_copy(update={"lead": None}) for issue in issues]
    commitments = [
        commitment.model_copy(update={"compliance": {party: claim for party, claim in commitment.compliance.items() if keep(claim)}})
        for commitment in sheet.commitments
        if keep(commitment) and (commitment.issue is None or commitment.issue in issue_ids)
    ]
    released = sheet.model_copy(
        update={
            "issues": issues,
            "people": people,
            "commitments": commitments,
            "figures": [figure for figure in sheet.figures if keep(figure)],
            "timeline": [entry for entry in sheet.timeline if keep(entry)],
            "talking_points": [
                point for point in sheet.talking_points if keep(point) and (point.issue is None or point.issue in issue_ids)
            ],
            "risks": [risk for risk in sheet.risks if keep(risk)],
        }
    )
    cited = set(cited_source_ids(released))
    released = released.model_copy(update={"sources": [source for source in sheet.sources if source.id in cited]})
    return _revalidated(released, label, limit)


def _without_marked_lines(issue: Any, keep: Any) -> Any:
    update: dict[str, Any] = {
        name: [line for line in getattr(issue, name) if keep(line)]
        for name in ("objectives", "asks", "their_asks", "red_lines", "lines_to_take")
    }
    update["positions"] = {party: claim for party, claim in issue.positions.items() if keep(claim)}
    return issue.model_copy(update=update)


def _revalidated(sheet: FactSheet, label: str, limit: str) -> FactSheet:
    from pydantic import ValidationError

    try:
        checked = FactSheet.model_validate(sheet.model_dump())
    except ValidationError as error:
        missing = ", ".join(sorted({".".join(map(str, detail["loc"][:1])) for detail in error.errors()}))
        raise NotReleasable(f"{label}: at {limit}, too little would remain to make a briefing ({missing})") from None
    if problems := list(checked.reference_problems()):
        raise NotReleasable(f"{label}: at {limit}, the released sheet would be inconsistent: {problems[0][1]}")
    return checked

