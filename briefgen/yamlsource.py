"""Read one YAML file into plain Python values, with the line and column of every node.

Fact sheets come from many hands, so this reader accepts only what a fact sheet needs: strict
UTF-8, one document, a mapping at the root, YAML 1.2 core-schema scalars (`NO` stays text,
`1:30` stays text, dates stay text until the schema reads them). Anchors, aliases, merge keys,
tags and deep nesting are refused, so nothing can expand or recurse out of proportion. The
value tree is built from ruamel.yaml's event stream with an explicit stack, never recursion.
Text that would hide or reorder what a reader sees (control characters, bidi overrides, an
isolate left open) or break an XML output (noncharacters) is refused where it is written, and
the syntax errors people really make come with what to do about them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
)

from .discover import MAX_FILE_BYTES, read_capped
from .errors import Problem

MAX_DEPTH = 24

Key = str | int
Path_ = tuple[Key, ...]

# YAML 1.2 core schema (spec 1.2.2, section 10.3.2): the only implicit types a plain scalar can take.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
# Lone surrogates cannot be written as UTF-8; C0/C1 controls other than tab and newline only hide text.
_FORBIDDEN_CHAR = re.compile(r"[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Noncharacters, and what XML 1.0 cannot carry (a feed with one is not well-formed).
_NONCHARACTER = re.compile(
    "[\ufdd0-\ufdef" + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17)) + "]"
)
# Overrides and embeddings reorder all the text that follows them, beyond the value they are in.
_BIDI_OVERRIDE = re.compile("[\u202a-\u202e]")
_ISOLATE_OPEN, _ISOLATE_CLOSE = "\u2066\u2067\u2068", "\u2069"
_SUSPECT = re.compile(f"{_FORBIDDEN_CHAR.pattern}|{_NONCHARACTER.pattern}|{_BIDI_OVERRIDE.pattern}|[\u2066-\u2069]")
"""Any character one of the checks below looks at: most values hold none, and need no other look."""
_RAW_CONTROL_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab, CR and LF are fine
MAX_NUMBER_DIGITS = 30


@dataclass
class YamlDocument:
    """The values of one file and where each came from, keyed by its path from the root."""

    path: Path
    data: dict[str, Any]
    value_at: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_at: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: Path_, *, prefer_key: bool = False) -> tuple[int, int]:
        """The 1-based line and column of the deepest node along `loc` that exists in the file."""
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            if prefer_key and end == len(loc) and prefix in self.key_at:
                return self.key_at[prefix]
            if prefix in self.value_at:
                return self.value_at[prefix]
        return (1, 1)


class YamlProblems(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def read_yaml(path: Path, raw: bytes | None = None) -> YamlDocument:
    """Parse `path` (or `raw`, its bytes) or raise YamlProblems listing every problem found."""
    if raw is None:
        raw = read_capped(path)
    text = _decode(path, raw)
    return _Builder(path).build(text)


def _decode(path: Path, raw: bytes) -> str:
    def fail(offset: int, message: str) -> YamlProblems:
        line_start = raw.rfind(b"\n", 0, offset) + 1
        line = raw.count(b"\n", 0, offset) + 1
        col = len(raw[line_start:offset].decode("utf-8", "replace")) + 1  # characters, as an editor counts
        return YamlProblems([Problem(path, line, col, "", message)])

    if len(raw) > MAX_FILE_BYTES:
        try:  # only the first bytes past the cap were read: the file itself says how big it is
            size = max(len(raw), path.stat().st_size)
        except OSError:
            size = len(raw)
        raise fail(0, f"file is {size:,} bytes; a fact sheet may be at most {MAX_FILE_BYTES:,} bytes")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail(0, "file is UTF-16; save it as UTF-8")
    if b"\x00" in raw:
        raise fail(raw.index(b"\x00"), "file contains a NUL byte; a fact sheet must be UTF-8 text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise fail(error.start, f"invalid UTF-8 ({error.reason}); save the file as UTF-8") from None
    text = text.removeprefix("\ufeff")
    if bad := _RAW_CONTROL_CHAR.search(text) or _NONCHARACTER.search(text):
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        kind = "noncharacter" if _NONCHARACTER.match(bad.group()) else "control character"
        raise YamlProblems([Problem(path, line, col, "", f"{kind} U+{ord(bad.group()):04X} is not allowed in a fact sheet")])
    return text


_MAYBE_NOT_TEXT = frozenset("~nNtTfF-+.0123456789")


def _resolve_plain(value: str) -> Any:
    if value and value[0] not in _MAYBE_NOT_TEXT:
        return value  # most scalars are prose: skip the seven patterns below
    if _NULL.match(value):
        return None
    if _TRUE.match(value):
        return True
    if _FALSE.match(value):
        return False
    if _INT.match(value):
        return int(value, 0) if value[:2] in ("0o", "0x") else int(value)
    if _FLOAT.match(value):
        return Decimal(value)  # as written: 3.0 keeps its decimal place, 0.1 is exactly a tenth
    if _INF.match(value):
        return -math.inf if value.startswith("-") else math.inf
    if _NAN.match(value):
        return math.nan
    return value


class _Builder:
    """Turns ruamel.yaml events into values, one container on the stack per open level."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.doc = YamlDocument(path, {})

    def problem(self, mark: Any, message: str) -> None:
        self.problems.append(Problem(self.path, mark.line + 1, mark.column + 1, "", message))

    def build(self, text: str) -> YamlDocument:
        root: Any = None
        documents = 0
        # Each frame: [container, its path, pending key (mappings only), key seen positions]
        stack: list[list[Any]] = []
        try:
            for event in YAML(typ="safe", pure=False).parse(text):
                if isinstance(event, DocumentStartEvent):
                    documents += 1
                    if documents == 2:
                        self.problem(event.start_mark, "several YAML documents in one file; keep one fact sheet per file")
                        break
                    if event.version is not None and tuple(event.version) != (1, 2):
                        version = ".".join(map(str, event.version))
                        directive = re.search(r"^%YAML", text, re.MULTILINE)
                        line = text.count("\n", 0, directive.start()) + 1 if directive else event.start_mark.line + 1
                        self.problems.append(Problem(self.path, line, 1, "", f"%YAML {version} is not supported; fact sheets are YAML 1.2 (remove the directive)"))
                        break
                    continue
                if isinstance(event, (MappingEndEvent, SequenceEndEvent)):
                    finished = stack.pop()
                    if stack:
                        self._attach(stack, finished[0], None)
                    else:
                        root = finished[0]
                    continue
                if not isinstance(event, (ScalarEvent, CollectionStartEvent, AliasEvent)):
                    continue
                if not self._acceptable(event, stack):
                    continue
                if isinstance(event, ScalarEvent):
                    if not event.style and _INT.match(event.value) and len(event.value) > MAX_NUMBER_DIGITS:
                        self.problem(event.start_mark, f"number has {len(event.value)} digits; at most {MAX_NUMBER_DIGITS} are allowed")
                        continue
                    value = event.value if event.style else _resolve_plain(event.value)
                    if isinstance(value, str) and (refusal := _refused_character(value)):
                        self.problem(event.start_mark, refusal)
                        value = ""
                    if not stack:
                        root = value
                    else:  # an empty value has no place of its own: it is located at its key
                        self._attach(stack, value, event.start_mark, located=bool(event.value or event.style))
                    continue
                if len(stack) >= MAX_DEPTH:
                    self.problem(event.start_mark, f"nested more than {MAX_DEPTH} levels deep; a fact sheet never needs that")
                    break
                container: Any = {} if isinstance(event, MappingStartEvent) else []
                here = self._child_path(stack)
                if here is not None:
                    self.doc.value_at[here] = (event.start_mark.line + 1, event.start_mark.column + 1)
                    stack.append([container, here, None, {}])
                else:  # a mapping used as a key: already reported, swallow its contents
                    stack.append([container, None, None, {}])
        except MarkedYAMLError as error:
            at_end = "end of stream" in (error.problem or "") and error.context_mark is not None
            mark = error.context_mark if at_end or error.problem_mark is None else error.problem_mark
            message = " ".join(part for part in (error.context, error.problem) if part)
            message += _syntax_hint(error.problem or "", text, mark)
            self.problems.append(
                Problem(self.path, mark.line + 1, mark.column + 1, "", f"YAML syntax error: {message}")
            )
        except YAMLError as error:  # errors without a position (rare): still one located line
            self.problems.append(Problem(self.path, 1, 1, "", f"YAML syntax error: {error}"))
        if self.problems:
            raise YamlProblems(self.problems)
        if documents == 0 or root is None:
            raise YamlProblems([Problem(self.path, 1, 1, "", "file is empty; a fact sheet is a YAML mapping (see briefs/ for examples)")])
        if not isinstance(root, dict):
            kind = "a list" if isinstance(root, list) else "a single value"
            raise YamlProblems([Problem(self.path, 1, 1, "", f"the file holds {kind}; a fact sheet must be a mapping of keys such as 'negotiation:' and 'round:'")])
        self.doc.data = root
        self.doc.value_at[()] = (1, 1)
        return self.doc

    def _acceptable(self, event: Any, stack: list[list[Any]]) -> bool:
        if isinstance(event, AliasEvent):
            self.problem(event.start_mark, f"alias '*{event.anchor}' is not allowed; write the value out in full")
            if stack and isinstance(stack[-1][0], dict) and stack[-1][2] is not None:
                stack[-1][2] = None  # the key's value is missing, not the next scalar
            return False
        if event.anchor is not None:
            self.problem(event.start_mark, f"anchor '&{event.anchor}' is not allowed; write each value out in full")
        tag = event.tag
        explicit = tag is not None and (not isinstance(event, ScalarEvent) or not any(event.implicit))
        if explicit:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            self.problem(event.start_mark, f"tag '{shown}' is not allowed; fact sheets use plain YAML values")
        return True

    def _child_path(self, stack: list[list[Any]]) -> Path_ | None:
        if not stack:
            return ()
        container, where, pending, _ = stack[-1]
        if where is None:
            return None
        if isinstance(container, list):
            return (*where, len(container))
        return None if pending is None else (*where, pending)

    def _attach(self, stack: list[list[Any]], value: Any, mark: Any, *, located: bool = True) -> None:
        frame = stack[-1]
        container, where, pending, seen = frame
        if where is None:
            return
        if isinstance(container, list):
            if mark is not None:
                self.doc.value_at[(*where, len(container))] = (mark.line + 1, mark.column + 1)
            container.append(value)
            return
        if pending is None:  # this value is a key
            if isinstance(value, (dict, list)):
                self.problems.append(Problem(self.path, *self.doc.locate(where), "", "a key must be a plain name, not a mapping or list"))
                frame[2] = "\0invalid"
                return
            key = value if isinstance(value, str) else _plain_text(value)
            position = (mark.line + 1, mark.column + 1)
            if key == "<<":
                self.problem(mark, "merge keys ('<<') are not allowed; write the keys out in full")
            if key in seen:
                line, col = seen[key]
                self.problem(mark, f"duplicate key '{key}' (first defined at line {line}, column {col})")
                key = f"\0duplicate {key}"
            seen[key] = position
            self.doc.key_at[(*where, key)] = position
            frame[2] = key
            return
        if mark is not None and located:
            self.doc.value_at[(*where, pending)] = (mark.line + 1, mark.column + 1)
        elif (*where, pending) not in self.doc.value_at:
            self.doc.value_at[(*where, pending)] = seen.get(pending, (1, 1))
        if not pending.startswith("\0"):
            container[pending] = value
        frame[2] = None


def _refused_character(value: str) -> str | None:
    """Why a text value cannot be in a fact sheet, or None: controls, noncharacters, and bidi
    controls that would reorder text outside the value (isolates are fine when they close)."""
    if not _SUSPECT.search(value):
        return None
    if bad := _FORBIDDEN_CHAR.search(value):
        return f"text holds the character U+{ord(bad.group()):04X}, which a fact sheet may not contain"
    if bad := _NONCHARACTER.search(value):
        return f"text holds the noncharacter U+{ord(bad.group()):04X}, which a fact sheet may not contain (it cannot be written in XML)"
    if bad := _BIDI_OVERRIDE.search(value):
        return (
            f"text holds the bidirectional control U+{ord(bad.group()):04X}, which reorders the text around it; "
            "remove it (an isolate, U+2066 to U+2069, may be used if it is closed within the value)"
        )
    depth = 0
    for char in value:
        if char in _ISOLATE_OPEN:
            depth += 1
        elif char == _ISOLATE_CLOSE:
            depth -= 1
            if depth < 0:
                return "text holds U+2069 (pop directional isolate) with no isolate open before it; remove it"
    if depth:
        return "text opens a directional isolate (U+2066, U+2067 or U+2068) that it does not close with U+2069; close it or remove it"
    return None


def _syntax_hint(problem: str, text: str, mark: Any) -> str:
    """What to do about the syntax errors people really make, in their own words."""
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "mapping values are not allowed" in problem:
        pair = re.match(r"\s*(?:-\s+)?([^\s:#][^:#]*):\s+(.*?)\s*$", line)
        key, rest = (pair.group(1), re.sub(r"\s+#.*$", "", pair.group(2))) if pair else ("summary", "the text: with a colon")
        quoted = '"' + rest.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return (
            f"; a ': ' inside a value starts a new key. If this is text, put it in quotes ({key}: {quoted}) "
            f"or write it as a block scalar ('{key}: >-', then the text on the next lines, indented)"
        )
    if "cannot start any token" in problem:
        char = line[mark.column] if mark.column < len(line) else "?"
        if char == "\t":
            return "; indent with spaces: YAML does not allow tabs there"
        before, value = line[: mark.column].strip(), line[mark.column :].strip()
        return f"; a value cannot start with '{char}' unless it is quoted: write {before} \"{value}\"".replace("write  ", "write ")
    if "block sequence entries are not allowed" in problem:
        return "; a list item ('- ') goes on its own line, indented under its key"
    return ""


def _plain_text(value: Any) -> str:
    """A non-text key (1, true, null) as it would be written, so a schema message can name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
