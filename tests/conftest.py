"""Shared fixtures: the bundled examples, and small fact sheets written into temporary workspaces."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "briefs" / "us-china"
LONDON = EXAMPLES / "2025-06-london.yaml"
GENEVA = EXAMPLES / "2025-05-geneva.yaml"

MINIMAL_SHEET = textwrap.dedent(
    """\
    negotiation:
      id: test-talks
      title: Test talks
    round:
      id: first
      title: First round
      number: 1
      start: 2025-05-10
      end: 2025-05-11
      city: Geneva
      country: Switzerland
    briefing:
      as_of: 2025-05-09
      prepared_by: Test unit
      prepared_for: Principals
      marking: OFFICIAL
      status: final
      purpose: Prepare the first round.
      bottom_line: Hold firm.
    parties:
      - id: us
        name: United States
        short_name: US
        ours: true
      - id: cn
        name: People's Republic of China
        short_name: China
    people:
      - id: he-lifeng
        name: He Lifeng
        native_name: 何立峰
        title: Vice Premier
        party: cn
        role: Head of delegation
    issues:
      - id: tariffs
        title: Tariffs
        priority: high
        status: open
        summary: Tariffs are high.
        positions:
          us:
            text: Cut them.
            sources: [src]
          cn:
            text: Cut yours first.
            sources: [src]
    sources:
      - id: src
        title: A report
        publisher: A publisher
        url: https://example.org/report
        date: 2025-05-01
    """
)


def edit(*changes: tuple[str, str], base: str = MINIMAL_SHEET) -> str:
    """The base sheet with each (old, new) replacement made; each `old` must occur exactly once,
    so a replacement that silently does nothing cannot make a test pass."""
    text = base
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} must occur exactly once in the sheet being edited"
        text = text.replace(old, new)
    return text


@pytest.fixture
def write_sheet(tmp_path: Path) -> Callable[..., Path]:
    """Write YAML text (by default the minimal valid sheet) into a temporary workspace."""

    def write(text: str = MINIMAL_SHEET, name: str = "sheet.yaml", raw: bytes | None = None) -> Path:
        path = tmp_path / "briefs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            path.write_bytes(raw)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def examples_copy(tmp_path: Path) -> Path:
    """The bundled example fact sheets, copied into a temporary workspace that tests may alter."""
    target = tmp_path / "briefs" / "us-china"
    shutil.copytree(EXAMPLES, target)
    return target


@pytest.fixture(autouse=True, scope="session")
def template_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compiled templates go to a folder of the test run's own, not the user's ~/.cache."""
    folder = tmp_path_factory.mktemp("briefgen-cache")
    os.environ["BRIEFGEN_CACHE_DIR"] = str(folder)
    return folder


def strings_in(value: object) -> Iterator[str]:
    """Every string in a dumped fact sheet (dicts and lists walked), for tests that search outputs for them."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
