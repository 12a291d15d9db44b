"""Every fact sheet the project ships validates, and the property-test sheets keep their promise:
each marks every kind of portion, and every marked portion names its own level in a marker word."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from briefgen import load
from briefgen.markings import ALL_MARKINGS
from briefgen.models import FactSheet

from .conftest import EXAMPLES

SHEETS = Path(__file__).parent / "sheets"
ALL_SHEETS = sorted(SHEETS.glob("*.yaml")) + sorted(EXAMPLES.parent.rglob("*.yaml"))
LEVELS = "|".join(marking.replace(" ", "-") for marking in sorted(ALL_MARKINGS, key=len, reverse=True))
MARKER = re.compile(rf"MARKED-({LEVELS})-[A-Z]+-[A-Z]+-[A-Z]+[0-9]*\b")


@pytest.mark.parametrize("path", ALL_SHEETS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_shipped_sheet_validates(path: Path) -> None:
    (loaded,) = load([path])
    assert loaded.sheet.briefing.marking


def test_there_are_sheets_of_every_promised_shape() -> None:
    names = {path.name for path in SHEETS.glob("*.yaml")}
    assert {"wto-many-parties.yaml", "uk-bilateral.yaml", "kl-margins.yaml", "kl-previous.yaml", "too-rich.yaml"} <= names
    assert (EXAMPLES.parent / "wto-mc13").is_dir()


def markable_fields(model: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every path (field names only, list indexes and mapping keys left out) that ends in a marking."""
    while True:
        origin = get_origin(model)
        if origin is typing.Annotated:
            model = get_args(model)[0]
        elif origin in (Union, types.UnionType, list, dict):
            for arg in get_args(model):
                yield from markable_fields(arg, path)
            return
        else:
            break
    if isinstance(model, type) and issubclass(model, BaseModel):
        for name, field in model.model_fields.items():
            if name == "marking" and path != ("briefing",):
                yield (*path, name)
            else:
                yield from markable_fields(field.annotation, (*path, name))


def marked_fields(sheet: FactSheet) -> set[tuple[str, ...]]:
    return {tuple(part for part in loc if isinstance(part, str) and not _is_key(loc, part)) for loc, _ in sheet.markings()}


def _is_key(loc: tuple[Any, ...], part: str) -> bool:
    """A mapping key (a party id under positions or compliance), not a field name."""
    index = loc.index(part)
    return index > 0 and loc[index - 1] in ("positions", "compliance")


@pytest.mark.parametrize("path", sorted(SHEETS.glob("*.yaml")), ids=lambda path: path.name)
def test_each_test_sheet_marks_every_kind_of_portion(path: Path) -> None:
    (loaded,) = load([path])
    expected = set(markable_fields(FactSheet))
    assert expected - {("briefing", "marking")} <= marked_fields(loaded.sheet)


def portions(value: Any) -> Iterator[BaseModel]:
    if isinstance(value, BaseModel):
        yield value
        for name in type(value).model_fields:
            yield from portions(getattr(value, name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from portions(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from portions(item)


def own_text(portion: BaseModel) -> str:
    return " ".join(value for name in type(portion).model_fields if isinstance(value := getattr(portion, name), str))


@pytest.mark.parametrize("path", sorted(SHEETS.glob("*.yaml")), ids=lambda path: path.name)
def test_every_marked_portion_carries_a_unique_marker_of_its_level(path: Path) -> None:
    """So a test can search any output for the marker words above a release level."""
    (loaded,) = load([path])
    marked = [portion for portion in portions(loaded.sheet) if getattr(portion, "marking", None) and portion is not loaded.sheet.briefing]
    words = []
    for portion in marked:
        found = MARKER.findall(own_text(portion)) or MARKER.findall(str(portion))
        assert found, f"no marker in {portion!r}"
        assert found[0] == str(getattr(portion, "marking", "")).replace(" ", "-"), portion
        words += [match.group(0) for match in MARKER.finditer(own_text(portion))]
    assert len(words) == len(set(words))
    text = path.read_text(encoding="utf-8")
    assert len(MARKER.findall(text)) == len(words), "a marker word outside its marked portion"


def test_the_readme_example_is_a_valid_sheet(tmp_path: Path) -> None:
    """The annotated example under 'Writing a fact sheet' shows every field as a sheet may write it."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Writing a fact sheet") :]
    example = section[section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml\n") + 8)]
    path = tmp_path / "briefs" / "example.yaml"
    path.parent.mkdir()
    path.write_text(example, encoding="utf-8")
    (loaded,) = load([path])
    assert loaded.sheet.issues[0].if_raised and loaded.sheet.briefing.contact is not None
