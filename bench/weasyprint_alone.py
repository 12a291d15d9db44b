"""Target 2a's floor: WeasyPrint alone drawing the batch's HTML in one warm Python process.

No tool that hands this HTML to WeasyPrint can be faster per brief, so this time ÷ the pandoc
loop's is the lowest ratio 2a could reach. Untagged PDFs (less work than briefgen's PDF/UA-1),
print.css inlined as briefgen inlines it. Run by bench/run.py as a child process (briefgen's
venv), timed inside, after one untimed warm-up draw.

Input: a JSON spec on stdin ({"html": [...], "print_css": path}). Output: seconds, on stdout.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> int:
    spec = json.load(sys.stdin)
    css = Path(spec["print_css"]).read_text(encoding="utf-8") + "@page { size: A4; }"
    pages = [
        (Path(path).read_text(encoding="utf-8").replace("</head>", f"<style>\n{css}\n</style>\n</head>", 1), Path(path).parent)
        for path in spec["html"]
    ]
    import weasyprint

    def draw(html: str, folder: Path) -> None:
        weasyprint.HTML(string=html, base_url=f"{folder}/").write_pdf()

    draw(*pages[0])
    start = time.perf_counter()
    for html, folder in pages:
        draw(html, folder)
    print(json.dumps(time.perf_counter() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
