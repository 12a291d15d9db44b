"""Target 7: the live preview, a scripted editing session against a running `briefgen serve`.

The large tree is built first (setup, not judged, as target 4's first build), then `briefgen serve`
runs on it. For each of the plan's edits, one key figure of the last round of the first
negotiation (a sheet no other round names as previous: the sheet being prepared) is set to a new
value; from just before the write, the sheet's page is asked for over HTTP every POLL_SECONDS until
it holds the value (7a), then its PDF until it is the new one (7c). A PDF served with its old bytes
after the page showed the edit counts as stale. Between edits, the peer (bench/html_peer.py: one
warm process running `briefgen.build([sheet], formats=("html",))`) builds the same sheet with the
same value: 7b is the ratio of the two medians. The peer builds into a folder of its own, so its
site lists that one sheet; a second peer builds the same sheet into a copy of the whole tree's
output, whose site lists every sheet as serve's does (noted beside 7b, not judged). The server's
process tree is sampled for memory (7d).

`.venv/bin/python bench/serve_target.py [--quick]` runs this target alone, on a corpus of its own.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from corpus import RoundSpec, change_figure
from report import MISS, NOT_AVAILABLE, PASS, Result, format_table, verdict
from timing import TreeMemory, _descendants, _process_table, _vm_hwm_mib, median
from workspace import BRIEFGEN, PYTHON, REPO, Bench, tool_env

HTML_LIMIT_SECONDS = 0.3
HTML_RATIO_LIMIT = 1.5
POLL_SECONDS = 0.01
"""How often the page is asked for while waiting for an edit: fine enough to time a 0.3 s target."""
PDF_POLL_SECONDS = 0.05
WAIT_SECONDS = 120.0
"""An edit whose page or PDF takes longer than this is not coming: the target fails."""
START_SECONDS = 600.0
FIRST_VALUE = 901
"""Edited values (the figure is a percentage, shown as '901%'; below 1000, so without a thousands
separator): no generated page shows them, so the page holds one only once it is rebuilt."""


@dataclass
class Session:
    html: list[float] = field(default_factory=list)
    pdf: list[float] = field(default_factory=list)
    peer: list[float] = field(default_factory=list)
    whole_peer: list[float] = field(default_factory=list)
    stale: int = 0
    peer_missed: int = 0


def serve_session(bench: Bench) -> list[Result]:
    """7a page after a save, 7b that ÷ a warm one-sheet HTML build, 7c the PDF after, 7d memory."""
    from rebuild_target import _first_build

    edits = 5 if bench.plan.quick else 20
    html = Result("7a", f"serve: save → served page holds the edit, median of {edits}, {len(bench.corpus)}-sheet tree", f"≤ {HTML_LIMIT_SECONDS} s")
    ratio = Result("7b", "that ÷ warm in-process `build --format html` of the one sheet", f"≤ {HTML_RATIO_LIMIT}×")
    pdf = Result("7c", "serve: save → new PDF served (recorded; stale PDFs must be 0)", "0 stale")
    memory = Result("7d", "serve: peak RSS of the server's process tree over the session (recorded)", "–")
    root = bench.scratch / "corpus"
    spec = RoundSpec(1, 4)
    sheet = root / spec.negotiation_id / spec.file_name
    out = bench.seed_out or bench.fresh_dir("serve")
    first = _first_build(bench, out)
    html.notes.append(f"first build of {len(bench.corpus)} sheets (setup, not judged): {first:.0f} s")
    page = next((out / "site" / spec.negotiation_id).glob(f"*-{spec.round_id}.html")).relative_to(out / "site").as_posix()
    session, tree = _run_session(bench, root, out, sheet, page, edits)
    _judge(session, tree, html, ratio, pdf, memory, sheet.relative_to(root), page)
    return [html, ratio, pdf, memory]


def _run_session(bench: Bench, root: Path, out: Path, sheet: Path, page: str, edits: int) -> tuple[Session, TreeMemory]:
    peer = _Peer(bench, sheet)
    whole_peer = _Peer(bench, sheet, whole=(root, out))
    server = subprocess.Popen(
        [str(BRIEFGEN), "serve", str(root), "--out", str(out), "--port", "0"],
        cwd=REPO, env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    tree = TreeMemory()
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(server.pid, tree, stop), daemon=True)
    sampler.start()
    session = Session()
    try:
        port = _wait_for_port(server)
        pdf_path = "/" + page.removesuffix(".html") + ".pdf"
        old_pdf = _get(port, pdf_path)[1]
        value = FIRST_VALUE
        for _ in range(edits):
            html_seconds, pdf_seconds, stale, old_pdf = _one_edit(port, sheet, value, "/" + page, pdf_path, old_pdf)
            session.html.append(html_seconds)
            session.pdf.append(pdf_seconds)
            session.stale += stale
            seconds, shown = peer.build(value)
            session.peer.append(seconds)
            session.peer_missed += not shown
            seconds, shown = whole_peer.build(value)
            session.whole_peer.append(seconds)
            session.peer_missed += not shown
            value += 1
    finally:
        stop.set()
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
        peer.close()
        whole_peer.close()
        sampler.join(timeout=5)
    return session, tree


def _one_edit(port: int, sheet: Path, value: int, page: str, pdf: str, old_pdf: bytes) -> tuple[float, float, int, bytes]:
    """Save the value; time the page, then the PDF. A PDF served as before after the page changed is stale."""
    marker = f"{value}%".encode()
    if marker in _get(port, page)[1]:
        raise RuntimeError(f"{page} shows {value} before it is saved: the edit cannot be timed")
    start = time.perf_counter()
    change_figure(sheet, value)
    while marker not in _get(port, page)[1]:
        if time.perf_counter() - start > WAIT_SECONDS:
            raise RuntimeError(f"{page} did not show the edit within {WAIT_SECONDS:.0f} s")
        time.sleep(POLL_SECONDS)
    html_seconds = time.perf_counter() - start
    stale = 0
    while True:
        status, body = _get(port, pdf)
        if status == 200 and body == old_pdf:
            stale += 1
        elif status == 200 and body.startswith(b"%PDF"):
            return html_seconds, time.perf_counter() - start, int(stale > 0), body
        if time.perf_counter() - start > WAIT_SECONDS:
            raise RuntimeError(f"{pdf} was not redrawn within {WAIT_SECONDS:.0f} s")
        time.sleep(PDF_POLL_SECONDS)


def _get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _wait_for_port(server: subprocess.Popen[str]) -> int:
    """The port from serve's `serving http://127.0.0.1:PORT/` line."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(server.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + START_SECONDS
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if server.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith("serving "):
            return int(line.split()[1].rstrip("/").rsplit(":", 1)[1])
    raise RuntimeError(f"briefgen serve did not start: {''.join(seen)[-500:]!r}")


def _read_lines(stream: IO[str] | None, lines: queue.Queue[str]) -> None:
    for line in stream or []:
        lines.put(line)


def _sample(root: int, tree: TreeMemory, stop: threading.Event) -> None:
    """VmHWM of the server and each process below it (its PDF workers, the fork server)."""
    while not stop.is_set():
        table = _process_table()
        for pid, parent in {root: 0, **_descendants(root, table)}.items():
            peak = _vm_hwm_mib(pid)
            if peak is None:
                continue
            if pid == root:
                tree.main_mib = max(tree.main_mib, peak)
            else:
                tree.peaks[pid] = max(tree.peaks.get(pid, 0.0), peak)
                tree.parents[pid] = parent
        stop.wait(0.2)


class _Peer:
    """bench/html_peer.py on a copy of the sheet's negotiation (its previous rounds), kept in git;
    or, `whole`=(corpus, output), on a copy of both, the manifest following the copied sheets."""

    def __init__(self, bench: Bench, sheet: Path, whole: tuple[Path, Path] | None = None) -> None:
        scratch = bench.fresh_dir("peer")
        source = whole[0] if whole else sheet.parent
        folder = scratch / source.name
        shutil.copytree(source, folder, ignore=shutil.ignore_patterns(".git"))
        out = scratch / "out"
        if whole:
            shutil.copytree(whole[1], out)
            manifest = out / ".briefgen-manifest.json"
            manifest.write_text(manifest.read_text(encoding="utf-8").replace(json.dumps(str(whole[0].resolve()))[1:-1], json.dumps(str(folder.resolve()))[1:-1]), encoding="utf-8")
        if shutil.which("git"):
            identity = ["-c", "user.name=briefgen bench", "-c", "user.email=bench@invalid"]
            for command in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "peer"]):
                subprocess.run(["git", *command], cwd=folder, check=True, capture_output=True)
        copied = folder / sheet.relative_to(whole[0]) if whole else folder / sheet.name
        self.process = subprocess.Popen(
            [str(PYTHON), str(REPO / "bench" / "html_peer.py")],
            cwd=REPO, env=tool_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self._send({"sheet": str(copied), "out": str(out)})
        self._answer()  # the untimed warm-up

    def build(self, value: int) -> tuple[float, bool]:
        self._send({"value": value})
        answer = self._answer()
        return float(answer["seconds"]), bool(answer["shown"])

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)

    def _send(self, message: dict[str, object]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def _answer(self) -> dict[str, object]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the HTML peer ended early")
        return dict(json.loads(line))


def _judge(session: Session, tree: TreeMemory, html: Result, ratio: Result, pdf: Result, memory: Result, sheet: Path, page: str) -> None:
    served, peer = median(session.html), median(session.peer)
    html.measured, html.status = f"{served:.3f} s", verdict(served, HTML_LIMIT_SECONDS)
    html.notes.append(f"edited {sheet} (a key figure's value; no round names it as previous), page site/{page} polled every {POLL_SECONDS * 1000:.0f} ms")
    html.notes.append(f"each edit: {', '.join(f'{s:.3f}' for s in session.html)} s")
    ratio.measured, ratio.status = f"{served / peer:.2f}×", verdict(served / peer, HTML_RATIO_LIMIT)
    ratio.notes.append(f"peer (its own folder) median {peer:.3f} s (each: {', '.join(f'{s:.3f}' for s in session.peer)}), interleaved with the edits")
    whole = median(session.whole_peer)
    ratio.notes.append(
        f"the same build into a copy of the whole tree's output (its site lists every sheet, as serve's does): "
        f"median {whole:.3f} s, so {served / whole:.2f}× (each: {', '.join(f'{s:.3f}' for s in session.whole_peer)})"
    )
    if session.peer_missed:
        ratio.status = MISS
        ratio.notes.append(f"the peer's HTML did not show the value {session.peer_missed} time(s): its times measure something else")
    pdf.measured = f"median {median(session.pdf):.2f} s, {session.stale} stale"
    pdf.status = PASS if session.stale == 0 else MISS
    pdf.notes.append(f"each edit: {', '.join(f'{s:.2f}' for s in session.pdf)} s (from the save, the page coming first)")
    workers = sorted(tree.peaks.values(), reverse=True)
    total = tree.main_mib + sum(workers)
    memory.measured, memory.status = f"{total:.0f} MiB", NOT_AVAILABLE
    memory.notes.append(f"server {tree.main_mib:.0f} MiB; below it (fork server, PDF workers, helpers): {', '.join(f'{peak:.0f}' for peak in workers) or 'none'} MiB; VmHWM each, summed")


def main() -> int:
    """This target alone, on a corpus of its own (bench/run.py runs it with the others)."""
    from peers import Peers
    from run import check_corpus, make_corpus
    from workspace import Plan, detect_capabilities

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a 40-sheet tree, 5 edits")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    plan = Plan.for_mode(args.quick)
    scratch = Path(tempfile.mkdtemp(prefix="briefgen-bench-serve-"))
    try:
        corpus = make_corpus(scratch / "corpus", plan.large)
        problem = check_corpus(scratch / "corpus", len(corpus))
        if problem:
            print(f"bench: the generated corpus is not valid:\n{problem}", file=sys.stderr)
            return 2
        bench = Bench(plan, Peers(None, None, ()), detect_capabilities(), scratch, corpus)
        print(format_table(serve_session(bench)))
    finally:
        if args.keep:
            print(f"bench: scratch kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
