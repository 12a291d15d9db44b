"""Find fact sheets, read them, and validate them into FactSheets, or report every problem located.

Each pydantic error's `loc` is mapped back to the YAML node it came from, so a user sees
`path:line:col: field.path: what is wrong, and what would be right` and never a traceback.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from .discover import find_fact_sheets, read_capped
from .errors import InvalidFactSheets, Problem
from .markings import scheme_for
from .models import KEY, FactSheet, Loc
from .yamlsource import YamlDocument, YamlProblems, read_yaml


@dataclass(frozen=True)
class LoadedSheet:
    """A valid fact sheet, the file it came from, and the previous round it points to, if any."""

    path: Path
    sheet: FactSheet
    raw: bytes
    previous: LoadedSheet | None = None
    positions: YamlDocument | None = field(default=None, repr=False, compare=False)
    """Where each value stands in the file, so warnings are located without reading it again."""


def load(paths: Iterable[Path]) -> list[LoadedSheet]:
    """Load and validate every fact sheet in `paths`; raise InvalidFactSheets listing all problems."""
    sheets: list[LoadedSheet] = []
    problems: list[Problem] = []
    for loaded, found in iter_load(paths):
        problems.extend(found)
        if loaded is not None:
            sheets.append(loaded)
    if problems:
        raise InvalidFactSheets(problems)
    return sheets


def iter_load(paths: Iterable[Path]) -> Iterator[tuple[LoadedSheet | None, list[Problem]]]:
    """Each fact sheet in turn, valid or not, with the problems found on the way (each reported once).

    Memory stays bounded however many sheets there are: only a few recently parsed sheets are
    kept, for the sheets that name them as their previous round.
    """
    loader = _Loader()
    for path in find_fact_sheets(paths):
        loaded = loader.load(path)
        yield loaded, loader.take_problems()


def validate_document(doc: YamlDocument) -> FactSheet:
    """A parsed document as a FactSheet, or InvalidFactSheets with every problem at its place."""
    try:
        sheet = FactSheet.model_validate(doc.data)
    except ValidationError as error:
        raise InvalidFactSheets([_describe(doc, detail) for detail in error.errors(include_url=False)]) from None
    if problems := [_problem(doc, loc, message) for loc, message in sheet.reference_problems()]:
        raise InvalidFactSheets(problems)
    return sheet


class _Loader:
    """Parses each file once while it is in a small cache, and reports each file's problems once."""

    CACHE_SIZE = 64

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._parsed: OrderedDict[Path, tuple[YamlDocument, LoadedSheet] | None] = OrderedDict()
        self._reported: set[Path] = set()

    def take_problems(self) -> list[Problem]:
        found, self.problems = self.problems, []
        return found

    def load(self, path: Path) -> LoadedSheet | None:
        parsed = self._parse(path)
        if parsed is None:
            return None
        doc, loaded = parsed
        previous = self._previous_round(doc, loaded.sheet)
        return replace(loaded, previous=previous) if previous else loaded

    def _parse(self, path: Path) -> tuple[YamlDocument, LoadedSheet] | None:
        key = path.resolve()
        if key in self._parsed:
            self._parsed.move_to_end(key)
            return self._parsed[key]
        reported = len(self.problems)
        parsed = self._parse_uncached(path)
        if key in self._reported:  # parsed before and evicted since: its problems are already out
            del self.problems[reported:]
        self._reported.add(key)
        self._parsed[key] = parsed
        if len(self._parsed) > self.CACHE_SIZE:
            self._parsed.popitem(last=False)
        return parsed

    def _parse_uncached(self, path: Path) -> tuple[YamlDocument, LoadedSheet] | None:
        try:
            raw = read_capped(path)
            doc = read_yaml(path, raw)
        except YamlProblems as error:
            self.problems.extend(error.problems)
            return None
        except OSError as error:
            self.problems.append(Problem(path, 1, 1, "", f"cannot read the file: {error.strerror}"))
            return None
        try:
            sheet = validate_document(doc)
        except InvalidFactSheets as error:
            self.problems.extend(error.problems)
            return None
        return doc, LoadedSheet(path, sheet, raw, positions=replace(doc, data={}))

    def _previous_round(self, doc: YamlDocument, sheet: FactSheet) -> LoadedSheet | None:
        name = sheet.briefing.previous_round
        if name is None:
            return None
        loc: Loc = ("briefing", "previous_round")
        target = doc.path.parent / name
        if not target.is_file():
            siblings = sorted(p.name for p in doc.path.parent.glob("*.y*ml") if p != doc.path)
            hint = f"; fact sheets beside it: {', '.join(siblings)}" if siblings else ""
            self.problems.append(_problem(doc, loc, f"previous round '{name}' not found{hint}"))
            return None
        if target.resolve() == doc.path.resolve():
            self.problems.append(_problem(doc, loc, "a fact sheet cannot be its own previous round"))
            return None
        parsed = self._parse(target)
        if parsed is None:
            self.problems.append(_problem(doc, loc, f"previous round '{name}' is not a valid fact sheet (see its errors)"))
            return None
        previous = parsed[1]
        before = previous.sheet
        if before.negotiation.id != sheet.negotiation.id:
            self.problems.append(_problem(doc, loc, f"previous round belongs to negotiation '{before.negotiation.id}', not '{sheet.negotiation.id}'"))
        elif before.round.start >= sheet.round.start:
            self.problems.append(_problem(doc, loc, f"previous round starts {before.round.start}, not before this round ({sheet.round.start})"))
        elif (was := scheme_for([before.briefing.marking])) != (now := scheme_for([sheet.briefing.marking])):
            self.problems.append(_problem(doc, loc, f"previous round is marked in the {str(was).upper()} scheme ({before.briefing.marking}), this sheet in the {str(now).upper()} scheme ({sheet.briefing.marking}); use one scheme across rounds"))
        return previous


def _problem(doc: YamlDocument, loc: Loc, message: str, *, prefer_key: bool = False) -> Problem:
    if loc and loc[-1] == KEY:
        loc, prefer_key = loc[:-1], True
    if loc[-1:] == ("text",) and loc not in doc.value_at and loc[:-1] in doc.value_at:
        loc = loc[:-1]  # prose written plainly (`purpose: ...`) is read as {text: ...}: name it as written
    line, col = doc.locate(loc, prefer_key=prefer_key)
    return Problem(doc.path, line, col, field_path(loc), message)


def field_path(loc: Loc) -> str:
    """('issues', 1, 'positions', 'prc') -> 'issues[1].positions.prc'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(doc: YamlDocument, error: Any) -> Problem:
    """Turn one pydantic error into a located problem that says what would be right."""
    loc: Loc = tuple(error["loc"])
    kind: str = error["type"]
    given = error.get("input")
    ctx = error.get("ctx", {})
    if loc and loc[-1] == KEY:
        message = _message(kind, given, ctx, error["msg"]) if kind == "value_error" else _KEY_MESSAGE.format(loc[-2])
        return _problem(doc, loc, message)
    if kind == "extra_forbidden":
        allowed = allowed_fields(loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean '{guess[0]}'? " if guess else ""
        return _problem(doc, loc, f"unknown field '{loc[-1]}'; {hint}allowed here: {', '.join(allowed)}", prefer_key=True)
    if kind == "missing":
        line, col = doc.locate(loc[:-1], prefer_key=True)
        return Problem(doc.path, line, col, field_path(loc), f"required field '{loc[-1]}' is missing")
    return _problem(doc, loc, _message(kind, given, ctx, error["msg"]))


_KEY_MESSAGE = "'{}' is not a valid id: use lowercase letters, digits and hyphens, e.g. 'us' or 'rare-earths'"
_PATTERN_HINTS = {
    "a-z0-9": "is not a valid id: use lowercase letters, digits and hyphens, e.g. 'us-china' or 'rare-earths'",
    "[a-z]{2,3}": "is not a language tag: use e.g. 'en' or 'en-GB'",
    "ya?ml": "is not a fact sheet file name: give the file name of the previous round's sheet in the same folder, e.g. 2025-05-geneva.yaml",
}


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the text {shown!r}"
    return f"the number {value}"


def _message(kind: str, given: Any, ctx: dict[str, Any], fallback: str) -> str:
    if kind == "string_type":
        tail = " (put it in quotes if it is meant as text)" if isinstance(given, (int, float, Decimal, bool)) else ""
        return f"expected text, got {_show(given)}{tail}"
    if kind in ("int_type", "int_parsing", "float_type", "float_parsing"):
        noun = "a whole number" if kind.startswith("int") else "a number"
        return f"expected {noun}, got {_show(given)}{_number_hint(given)}"
    if kind == "finite_number":
        return "expected a finite number"
    if kind == "bool_type":
        return f"expected true or false, got {_show(given)}"
    if kind == "list_type":
        return f"expected a list (one '- ' item per line), got {_show(given)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping of fields (key: value lines), got {_show(given)}"
    if kind in ("date_type", "date_from_datetime_parsing", "date_parsing"):
        return f"expected a date written YYYY-MM-DD, e.g. 2025-06-09; got {_show(given)}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [option.strip(" '") for option in expected.replace(" or ", ", ").split(",")]
        guess = difflib.get_close_matches(str(given), options, n=1) if isinstance(given, str) else []
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        return f"expected one of {expected}; got {_show(given)}{hint}"
    if kind == "string_pattern_mismatch":
        for needle, hint in _PATTERN_HINTS.items():
            if needle in ctx.get("pattern", ""):
                return f"{given!r} {hint}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"text is {len(given):,} characters; at most {ctx['max_length']:,} are allowed here"
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} item(s)"
    if kind == "too_long":
        return f"has too many items; at most {ctx['max_length']} are allowed here"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}; got {_show(given)}"
    if kind == "value_error":
        return str(ctx.get("error", fallback)).removeprefix("Value error, ")
    return fallback


def _number_hint(given: Any) -> str:
    """Text that is almost a number: say what would make it one."""
    if not isinstance(given, str):
        return ""
    text = given.strip()
    if re.fullmatch(r"[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?", text):
        return " (remove the quotes)"
    if re.fullmatch(r"[-+]?[0-9]+(?:,[0-9]+)+", text):
        return " (use a decimal point, e.g. 35.4, and no thousands separators)"
    if re.fullmatch(r"[-+]?[0-9.,]+\s*%", text):
        return " (write the number alone, and put the % in 'unit: \"%\"')"
    return ""


def allowed_fields(loc: Loc) -> list[str]:
    """The field names of the model found at `loc`, so an unknown key can be answered with a hint."""
    current: Any = FactSheet
    for part in loc:
        current = _unwrap(current, part)
        if current is None:
            return []
    current = _unwrap(current, None)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _unwrap(annotation: Any, part: str | int | None) -> Any:
    """Step from a type into the type of its `part` (a field, a list index or a dict key)."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        else:
            break
    if part is None:
        return annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field else None
    if origin is list:
        return get_args(annotation)[0]
    if origin is dict:
        return get_args(annotation)[1]
    return None
