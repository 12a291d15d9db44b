"""Target 2's in-process half: WeasyPrint and briefgen alternately, in one Python process.

Run by bench/run.py as a child process (briefgen's venv), so that the orchestrator itself never
imports WeasyPrint or briefgen and each tool's per-process costs are paid once, here, before the
timing starts (one untimed warm-up of each). The batch is split into chunks; for each chunk,
WeasyPrint renders the chunk's HTML (`HTML(string=…).write_pdf()`, with briefgen's print.css
inlined as briefgen itself inlines it), once as the same PDF/UA-1 briefgen makes and once
untagged, and briefgen builds the same chunk's fact sheets as PDF only
(`briefgen.build(paths, BuildOptions(formats=("pdf",)))`, a fresh output folder each time),
rotating which goes first. The chunks pair the same briefs, so each chunk gives one ratio.

Input: a JSON spec on stdin. Output: one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> int:
    spec = json.load(sys.stdin)
    html_files = [Path(p) for p in spec["html"]]
    sheets = [Path(p) for p in spec["sheets"]]
    scratch = Path(spec["scratch"])
    chunks = _chunks(list(zip(html_files, sheets, strict=True)), int(spec["chunks"]))

    import briefgen
    import weasyprint

    css = Path(spec["print_css"]).read_text(encoding="utf-8") + "@page { size: A4; }"
    options = briefgen.BuildOptions

    def render_weasyprint(files: list[Path], **variant: str) -> float:
        start = time.perf_counter()
        for html in files:
            printable = html.read_text(encoding="utf-8").replace("</head>", f"<style>\n{css}\n</style>\n</head>", 1)
            weasyprint.HTML(string=printable, base_url=str(html.parent) + "/").write_pdf(**variant)
        return time.perf_counter() - start

    def render_tagged(files: list[Path]) -> float:
        return render_weasyprint(files, pdf_variant="pdf/ua-1")

    def render_briefgen(paths: list[Path]) -> float:
        out = Path(tempfile.mkdtemp(prefix="inprocess-", dir=scratch))
        start = time.perf_counter()
        briefgen.build(paths, options(out_dir=out, formats=("pdf",)))
        return time.perf_counter() - start

    warmup = {"weasyprint": render_tagged(html_files[:1]), "briefgen": render_briefgen(sheets[:1])}
    results: list[dict[str, Any]] = []
    for index, chunk in enumerate(chunks):
        html_chunk, sheet_chunk = [h for h, _ in chunk], [s for _, s in chunk]
        runs = [("weasyprint", render_tagged, html_chunk), ("untagged", render_weasyprint, html_chunk), ("briefgen", render_briefgen, sheet_chunk)]
        turn = index % len(runs)
        timed = {name: run(items) for name, run, items in runs[turn:] + runs[:turn]}
        results.append({"n": len(chunk), **timed})
    json.dump({"warmup": warmup, "chunks": results}, sys.stdout)
    return 0


def _chunks(items: list[Any], count: int) -> list[list[Any]]:
    """`items` in `count` consecutive chunks of near-equal size (fewer if there are fewer items)."""
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    out, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        out.append(items[start:end])
        start = end
    return out


if __name__ == "__main__":
    sys.exit(main())
