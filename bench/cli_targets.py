"""Targets 5 and 6: the commands that must feel instant — validation and `--help`.

Validation is measured against check-jsonschema checking the same files against briefgen's own
JSON Schema: a generic validator doing (less of) the same job, so briefgen's validator should
cost no more than half of it despite also checking references and dates.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from report import Result, verdict
from timing import interleave, median, ratio_of_medians, run_timed
from workspace import BRIEFGEN, COMMAND_TIMEOUT, PYTHON, REPO, Bench, tool_env

HELP_LIMIT_SECONDS = 0.15
CHECK_JSONSCHEMA_INVALID = 1
"""check-jsonschema's exit status when a file fails the schema: still a full run, so still timed."""

_SCHEMA_FROM_PYTHON = """
import importlib.util, json, sys
if importlib.util.find_spec("briefgen.schema") is not None:
    from briefgen.schema import json_schema
    schema, how = json_schema(), "briefgen.schema.json_schema()"
else:
    from briefgen.models import FactSheet
    schema, how = FactSheet.model_json_schema(), "briefgen.models.FactSheet.model_json_schema()"
with open(sys.argv[1], "w", encoding="utf-8") as handle:
    json.dump(schema, handle)
print(how)
"""


def export_schema(bench: Bench, dest: Path) -> str:
    """Write briefgen's JSON Schema to `dest` the first way that works; return which way it was."""
    if bench.capabilities.schema_command:
        done = subprocess.run([str(BRIEFGEN), "schema", "--out", str(dest)], cwd=REPO, capture_output=True, text=True)
        if done.returncode == 0 and dest.is_file():
            return "briefgen schema --out"
    done = subprocess.run([str(PYTHON), "-c", _SCHEMA_FROM_PYTHON, str(dest)], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"could not export briefgen's JSON Schema: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def validate(bench: Bench) -> Result:
    """`briefgen validate FILES` ÷ `check-jsonschema --schemafile SCHEMA FILES`, interleaved."""
    files = [str(path) for path in bench.corpus]
    result = Result("5", f"briefgen validate {len(files)} sheets ÷ check-jsonschema with its JSON Schema", "≤ 0.5×")
    if bench.peers.check_jsonschema is None:
        result.measured = "not available"
        result.notes.append("check-jsonschema could not be installed")
        return result
    schema = bench.scratch / "fact-sheet.schema.json"
    how = export_schema(bench, schema)
    checker_args = [str(bench.peers.check_jsonschema), "--schemafile", str(schema), *files]
    statuses: list[int] = []

    def briefgen() -> float:
        return run_timed([str(BRIEFGEN), "validate", *files], cwd=REPO, env=tool_env(), timeout=COMMAND_TIMEOUT).seconds

    def checker() -> float:
        run = run_timed(checker_args, cwd=REPO, env=tool_env(), timeout=COMMAND_TIMEOUT, accept=(0, CHECK_JSONSCHEMA_INVALID))
        statuses.append(run.returncode)
        return run.seconds

    # Warm-up: check-jsonschema's byte-code on a first run (briefgen validate just checked the corpus).
    run_timed([*checker_args[:3], *files[:2]], cwd=REPO, env=tool_env(), timeout=COMMAND_TIMEOUT, accept=(0, CHECK_JSONSCHEMA_INVALID))
    samples = interleave([("briefgen", briefgen), ("check-jsonschema", checker)], bench.plan.validate_reps)
    ratio = ratio_of_medians(samples["briefgen"], samples["check-jsonschema"])
    result.measured, result.status = f"{ratio:.2f}×", verdict(ratio, 0.5)
    result.notes.append(
        f"medians of {bench.plan.validate_reps}: briefgen {median(samples['briefgen']):.2f} s, "
        f"check-jsonschema {median(samples['check-jsonschema']):.2f} s; schema from {how}"
    )
    if any(status == CHECK_JSONSCHEMA_INVALID for status in statuses):
        result.notes.append("check-jsonschema rejected sheets that briefgen accepts: the exported schema disagrees with the validator")
    return result


def help_time(bench: Bench) -> Result:
    """`briefgen --help`, absolute; the bare interpreter's start-up is shown beside it for scale."""
    result = Result("6", "briefgen --help, whole process (absolute)", f"≤ {HELP_LIMIT_SECONDS} s")

    def briefgen() -> float:
        return run_timed([str(BRIEFGEN), "--help"], cwd=REPO, env=tool_env(), timeout=COMMAND_TIMEOUT).seconds

    def interpreter() -> float:
        return run_timed([sys.executable, "-c", "pass"], cwd=REPO, env=tool_env(), timeout=COMMAND_TIMEOUT).seconds

    interleave([("briefgen", briefgen), ("python", interpreter)], 1)  # warm-up
    samples = interleave([("briefgen", briefgen), ("python", interpreter)], bench.plan.help_reps)
    seconds = median(samples["briefgen"])
    result.measured, result.status = f"{seconds:.3f} s", verdict(seconds, HELP_LIMIT_SECONDS)
    result.notes.append(
        f"median of {bench.plan.help_reps}; `python -c pass` in the same venv, interleaved: {median(samples['python']):.3f} s"
    )
    return result
