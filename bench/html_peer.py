"""Target 7's peer: `briefgen build SHEET --format html` of one sheet, in a warm process.

Run by bench/serve_target.py as a child process (briefgen's venv), so the orchestrator never
imports briefgen. It builds once untimed (the imports, the template cache), then, for each value
it reads on stdin (one JSON object a line), sets the sheet's edited figure to it and times
`briefgen.build([sheet], BuildOptions(formats=("html",)))` into the same output folder, as a
user re-running the command after each save would, but without the interpreter's start.

Input: a JSON spec on the first line, then {"value": N} lines. Output: one JSON line per input line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from corpus import change_figure

WARM_UP_VALUE = 900


def main() -> int:
    spec = json.loads(sys.stdin.readline())
    sheet, out = Path(spec["sheet"]), Path(spec["out"])

    import briefgen

    templates = Path("templates") if Path("templates").is_dir() else None  # as the command line, run from here
    options = briefgen.BuildOptions(out_dir=out, formats=("html",), workspace_templates=templates)
    change_figure(sheet, WARM_UP_VALUE)  # so the warm-up renders, even into an output where the sheet is current
    start = time.perf_counter()
    briefgen.build([sheet], options)
    _say({"warmup": time.perf_counter() - start})
    for line in sys.stdin:
        value = int(json.loads(line)["value"])
        change_figure(sheet, value)
        start = time.perf_counter()
        result = briefgen.build([sheet], options)
        seconds = time.perf_counter() - start
        shown = any(f"{value}%" in path.read_text(encoding="utf-8") for path in result.written if path.suffix == ".html")
        _say({"seconds": seconds, "shown": shown})
    return 0


def _say(message: dict[str, object]) -> None:
    print(json.dumps(message), flush=True)


if __name__ == "__main__":
    sys.exit(main())
