"""Results: one row per target, printed as a table and written below the marker in bench/README.md.

Everything above the marker is hand-written and kept byte for byte; everything below it is
regenerated, so the README always shows the latest run and cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MARKER = "<!-- Everything below this line is written by bench/run.py; edit above it. -->"
README = Path(__file__).resolve().parent / "README.md"

PASS, MISS, NOT_AVAILABLE, ERROR = "PASS", "MISS", "n/a", "ERROR"


@dataclass
class Result:
    """One target: what it asks, what was measured, the verdict, and notes that explain the number."""

    key: str
    target: str
    limit: str
    measured: str = "–"
    status: str = NOT_AVAILABLE
    notes: list[str] = field(default_factory=list)


def verdict(value: float, limit: float, *, strict: bool = False) -> str:
    """PASS when `value` is within `limit` (below it, if `strict`)."""
    return PASS if (value < limit if strict else value <= limit) else MISS


def failed(result: Result, error: BaseException) -> Result:
    """The row of a target that could not be measured: ERROR and why, never a traceback."""
    result.status = ERROR
    result.measured = "–"
    result.notes.append(f"{type(error).__name__}: {error}")
    return result


def format_table(results: list[Result]) -> str:
    """The results as a fixed-width text table, each target's notes indented below it."""
    target = max(len(row.target) for row in results)
    limit = max(len("limit"), *(len(row.limit) for row in results))
    measured = max(len("measured"), *(len(row.measured) for row in results))
    lines = [f"{'#':<3} {'target':<{target}}  {'limit':<{limit}}  {'measured':<{measured}}  result"]
    for row in results:
        lines.append(f"{row.key:<3} {row.target:<{target}}  {row.limit:<{limit}}  {row.measured:<{measured}}  {row.status}")
        lines.extend(f"      {note}" for note in row.notes)
    return "\n".join(lines)


def markdown_section(
    results: list[Result], *, date: str, nproc: str, load: str, mode: str, versions: dict[str, str], command: str
) -> str:
    """The generated part of the README: when, where, with what, and the table."""
    lines = [
        "## Latest results",
        "",
        f"- Run: `{command}` ({mode})",
        f"- Date (`date -u`): {date}",
        f"- Machine: `nproc` = {nproc}; load average (1, 5, 15 min) {load}",
        "",
        "| tool | version |",
        "| --- | --- |",
        *(f"| {tool} | {_cell(version)} |" for tool, version in versions.items()),
        "",
        "| # | target | limit | measured | result |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {r.key} | {_cell(r.target)} | {_cell(r.limit)} | {_cell(r.measured)} | {r.status} |" for r in results),
        "",
        "Notes:",
        "",
        *(f"- **{r.key}** {_cell(note)}" for r in results for note in r.notes),
        "",
    ]
    return "\n".join(lines)


def rewrite_readme(section: str, readme: Path = README) -> None:
    """Keep the README up to the marker line, and replace everything after it with `section`."""
    text = readme.read_text(encoding="utf-8")
    if MARKER not in text:
        raise ValueError(f"{readme}: marker line not found; add it where the generated results should start")
    head = text[: text.index(MARKER) + len(MARKER)]
    readme.write_text(f"{head}\n\n{section}", encoding="utf-8")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
