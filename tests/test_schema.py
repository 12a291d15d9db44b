"""The exported JSON Schema, checked with an independent validator (the `jsonschema` package).

Every bundled example must pass it and each bad sheet must fail it, the YAML turned into JSON
data by the project's own reader, as an editor plugin or CI job would see it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest
from pydantic import BaseModel

from briefgen import models
from briefgen.schema import json_schema, schema_text, write_schema
from briefgen.yamlsource import read_yaml

from .conftest import MINIMAL_SHEET, REPO

Validator = jsonschema.Draft202012Validator


def validator() -> jsonschema.protocols.Validator:
    return Validator(json_schema(), format_checker=Validator.FORMAT_CHECKER)


def as_data(text: str) -> dict[str, Any]:
    return read_yaml(Path("sheet.yaml"), text.encode()).data


def test_is_a_valid_draft_2020_12_schema() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"]
    Validator.check_schema(schema)


EXAMPLES = sorted((REPO / "briefs").rglob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_accepts_every_bundled_example(path: Path) -> None:
    assert [error.message for error in validator().iter_errors(read_yaml(path).data)] == []


def test_accepts_the_minimal_sheet() -> None:
    assert list(validator().iter_errors(as_data(MINIMAL_SHEET))) == []


BAD = {
    "unknown key": ("  title: Test talks\n", "  titel: Test talks\n"),
    "number as text": ("  number: 1\n", '  number: "1"\n'),
    "round number zero": ("  number: 1\n", "  number: 0\n"),
    "text as number": ("  city: Geneva\n", "  city: 42\n"),
    "impossible date": ("  start: 2025-05-10\n", "  start: 2025-02-30\n"),
    "date in another form": ("  start: 2025-05-10\n", "  start: 10/05/2025\n"),
    "status not offered": ("  status: final\n", "  status: finished\n"),
    "bad id": ("  id: test-talks\n", "  id: Test_Talks\n"),
    "party key not an id": ("      cn:\n", "      PRC:\n"),
    "missing required field": ("  marking: OFFICIAL\n", ""),
    "empty text": ("  bottom_line: Hold firm.\n", "  bottom_line: ''\n"),
    "no sources": (MINIMAL_SHEET[MINIMAL_SHEET.index("sources:\n  - id: src") :], "sources: []\n"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_rejects_a_bad_sheet(case: str) -> None:
    old, new = BAD[case]
    assert MINIMAL_SHEET.count(old) == 1
    assert list(validator().iter_errors(as_data(MINIMAL_SHEET.replace(old, new)))) != []


def test_every_model_field_is_in_the_schema() -> None:
    """Generated from the models: a field added there is in the schema without anyone copying it."""
    defs = json_schema()["$defs"]
    for model in _models(models.FactSheet):
        if model is models.FactSheet:
            properties = json_schema()["properties"]
        else:
            properties = defs[model.__name__]["properties"]
        assert sorted(properties) == sorted(model.model_fields), model.__name__


def test_dates_are_iso_date_strings() -> None:
    defs = json_schema()["$defs"]
    dated = [(model, name) for model in _models(models.FactSheet) for name, field in model.model_fields.items()
             if field.annotation is date]  # fmt: skip
    assert (models.Round, "start") in dated and (models.Source, "date") in dated
    for model, name in dated:
        schema = defs[model.__name__]["properties"][name]
        assert (schema["type"], schema["format"]) == ("string", "date"), f"{model.__name__}.{name}"


def test_write_schema_is_stable_json(tmp_path: Path) -> None:
    path = tmp_path / "schema" / "fact-sheet.schema.json"
    assert write_schema(path) is True
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == json_schema()
    assert text == json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n" == schema_text()
    assert write_schema(path) is False  # unchanged content is not rewritten


def _models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """`model` and every model its fields hold, each once."""
    seen: set[type[BaseModel]] = set()
    stack = [model]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current
        for field in current.model_fields.values():
            stack.extend(_nested(field.annotation))


def _nested(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _nested(arg)
