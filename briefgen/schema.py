"""The fact sheet's JSON Schema, for editors and other tools, generated from the pydantic models.

Generated, never written by hand, so a field added to `models` is in the next export. The
schema covers structure (fields, types, patterns, lengths, choices); rules that span the sheet
(unique ids, references, dates that must cohere) are checked by `briefgen validate` alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from .models import FactSheet
from .write import write_atomic

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:briefgen:fact-sheet"
TITLE = "briefgen fact sheet"


class _Generator(GenerateJsonSchema):
    """pydantic's generator, pinned where a fact sheet needs more than its defaults."""

    def date_schema(self, schema: core_schema.DateSchema) -> JsonSchemaValue:
        """YAML gives dates as text, so a date is a string in ISO form, whatever pydantic's default."""
        return {"type": "string", "format": "date"}

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        """A mapping keyed by ids (positions, compliance) refuses keys that are not ids, as the models do."""
        result = super().dict_schema(schema)
        if "patternProperties" in result:
            result.setdefault("additionalProperties", False)
        return result


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a valid fact sheet satisfies."""
    schema = FactSheet.model_json_schema(mode="validation", schema_generator=_Generator)
    return {"$schema": DIALECT, "$id": SCHEMA_ID, **schema, "title": TITLE}


def schema_text() -> str:
    """The schema as stable JSON text (sorted keys, two-space indent, a final newline), so exports diff cleanly."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schema(path: Path) -> bool:
    """Write the schema to `path` atomically; False (and nothing touched) if it was already there."""
    return write_atomic(path, schema_text().encode("utf-8"))
