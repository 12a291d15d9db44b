"""The benchmark corpus: N realistic fact sheets made from the two bundled examples by text edits.

Why text edits and not a YAML round trip: a re-dumped file loses the comments, folded text and
layout that make the examples realistic to parse, so each sheet is the example's own text with a
few known lines replaced (ids, titles, round numbers, cities, and the dates a round chain needs).

Layout: one folder per negotiation (`bench-negotiation-07/`), about four rounds in each
(`r01.yaml` … `r04.yaml`). Round 1 is the Geneva text; rounds 2 and later are the London text,
each naming the round before it as `previous_round`, so the "previous round" dependency exists
in every group. briefgen requires a previous round to start strictly earlier, so rounds 3 and 4
move the London round's start, end and as-of date forward by five weeks each; every other date
in the text is on or before the original London as-of date, so all stay on or before as_of.

Usage: `.venv/bin/python bench/corpus.py DEST N` writes N sheets below DEST and lists them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "briefs" / "us-china"
FIRST_ROUND = EXAMPLES / "2025-05-geneva.yaml"
LATER_ROUND = EXAMPLES / "2025-06-london.yaml"
ROUNDS_PER_NEGOTIATION = 4
ROUND_SPACING = timedelta(weeks=5)
LONDON_START = date(2025, 6, 9)

CITIES = (
    ("Oslo", "Norway"),
    ("Vienna", "Austria"),
    ("Singapore", "Singapore"),
    ("Nairobi", "Kenya"),
    ("Lisbon", "Portugal"),
    ("Seoul", "South Korea"),
    ("Santiago", "Chile"),
    ("Helsinki", "Finland"),
    ("Doha", "Qatar"),
    ("Ottawa", "Canada"),
    ("Madrid", "Spain"),
    ("Stockholm", "Sweden"),
)



@dataclass(frozen=True)
class RoundSpec:
    """Where one generated sheet sits: its negotiation (group) and its round number in it."""

    group: int
    number: int

    @property
    def negotiation_id(self) -> str:
        return f"bench-negotiation-{self.group:02d}"

    @property
    def round_id(self) -> str:
        return f"n{self.group:02d}-r{self.number:02d}"

    @property
    def file_name(self) -> str:
        return f"r{self.number:02d}.yaml"

    @property
    def city(self) -> tuple[str, str]:
        return CITIES[((self.group - 1) * ROUNDS_PER_NEGOTIATION + self.number - 1) % len(CITIES)]


def spec_of(path: Path) -> RoundSpec:
    """The spec of a generated sheet from its path (`bench-negotiation-07/r02.yaml`)."""
    return RoundSpec(group=int(path.parent.name.rsplit("-", 1)[1]), number=int(path.stem[1:]))


def spec_for(index: int) -> RoundSpec:
    """The 0-based index-th sheet of a corpus: groups of four rounds, in order."""
    return RoundSpec(group=index // ROUNDS_PER_NEGOTIATION + 1, number=index % ROUNDS_PER_NEGOTIATION + 1)


def generate(dest: Path, n: int) -> list[Path]:
    """Write `n` fact sheets below `dest` (which may exist) and return their paths in order."""
    first, later = FIRST_ROUND.read_text(encoding="utf-8"), LATER_ROUND.read_text(encoding="utf-8")
    paths: list[Path] = []
    for index in range(n):
        spec = spec_for(index)
        text = first_round_text(first, spec) if spec.number == 1 else later_round_text(later, spec)
        path = dest / spec.negotiation_id / spec.file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def first_round_text(geneva: str, spec: RoundSpec) -> str:
    """The Geneva sheet as round 1 of a bench negotiation: its own dates, new ids and city."""
    text = _negotiation(geneva, spec)
    text = _replace(text, "  id: geneva\n  title: Geneva round\n  number: 1\n", _round_head(spec))
    city, country = spec.city
    return _replace(text, "  city: Geneva\n  country: Switzerland\n", f"  city: {city}\n  country: {country}\n")


def later_round_text(london: str, spec: RoundSpec) -> str:
    """The London sheet as round 2+ of a bench negotiation, chained to the round before it."""
    start = LONDON_START + ROUND_SPACING * (spec.number - 2)
    city, country = spec.city
    text = _negotiation(london, spec)
    text = _replace(
        text,
        "  id: london\n  title: London round\n  number: 2\n  start: 2025-06-09\n  end: 2025-06-10\n"
        "  city: London\n  country: United Kingdom\n",
        f"{_round_head(spec)}  start: {start.isoformat()}\n  end: {(start + timedelta(days=1)).isoformat()}\n"
        f"  city: {city}\n  country: {country}\n",
    )
    text = _replace(text, "\n  as_of: 2025-06-09\n", f"\n  as_of: {start.isoformat()}\n")
    previous = RoundSpec(spec.group, spec.number - 1).file_name
    return _replace(text, "  previous_round: 2025-05-geneva.yaml\n", f"  previous_round: {previous}\n")


def change_figure(path: Path, value: int) -> None:
    """Set the edited key figure of the sheet at `path` to `value`: a one-line change a user makes."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    index = _figure_line(lines)
    lines[index] = f"    value: {value}\n"
    path.write_text("".join(lines), encoding="utf-8")


def _figure_line(lines: list[str]) -> int:
    """The line number of the edited figure: the first `value:` line after the `figures:` key."""
    start = lines.index("figures:\n")
    for offset, line in enumerate(lines[start:]):
        if line.startswith("    value: "):
            return start + offset
    raise ValueError("no figure value line found")


def _negotiation(text: str, spec: RoundSpec) -> str:
    return _replace(
        text,
        "  id: us-china-trade\n  title: US–China trade talks\n",
        f"  id: {spec.negotiation_id}\n  title: Bench negotiation {spec.group:02d}\n",
    )


def _round_head(spec: RoundSpec) -> str:
    city, _ = spec.city
    return f"  id: {spec.round_id}\n  title: {city} round {spec.group:02d}.{spec.number}\n  number: {spec.number}\n"


def _replace(text: str, old: str, new: str) -> str:
    """Replace a known passage exactly once; fail loudly if the examples changed under us."""
    count = text.count(old)
    if count != 1:
        raise ValueError(f"corpus: expected the passage {old!r} once in the example, found it {count} times")
    return text.replace(old, new)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: corpus.py DEST N", file=sys.stderr)
        return 2
    for path in generate(Path(argv[0]), int(argv[1])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
