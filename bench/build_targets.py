"""Targets 1–3: rendering briefings, against WeasyPrint and pandoc doing the same work.

Each peer gets the same input briefgen renders (briefgen's own HTML or Markdown, built once
beforehand and not timed) and the same stylesheet, so a ratio measures briefgen's overhead over
the engine it drives, not a difference in what is drawn.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from corpus import spec_of
from report import MISS, NOT_AVAILABLE, Result, verdict
from timing import TreeMemory, interleave, median, ratio_of_medians, run_sampling_memory, run_timed, stall_message
from workspace import (
    COMMAND_TIMEOUT, EXAMPLE, PRINT_CSS, PYTHON, REPO, STYLE_CSS, WEASYPRINT, Bench, build_args, jobs_args, tool_env,
)

HERE = Path(__file__).resolve().parent
MAX_WORKER_MIB = 120.0


def output_of(out: Path, sheet: Path, fmt: str) -> Path:
    """The full brief briefgen wrote for a corpus sheet: `<out>/<negotiation>/<as-of>-<round>.<fmt>`."""
    spec = spec_of(sheet)
    found = sorted((out / spec.negotiation_id).glob(f"*-{spec.round_id}.{fmt}"))
    if len(found) != 1:
        raise FileNotFoundError(f"expected one {fmt} output for {sheet} in {out}, found {len(found)}")
    return found[0]


def prebuild(bench: Bench, paths: list[Path], formats: str) -> Path:
    """briefgen's Markdown/HTML for `paths`, built once (untimed) as the peers' input.

    In one process (`--jobs 1`): setup must not depend on briefgen's worker pool, whose speed
    and reliability are what target 3 measures."""
    out = bench.fresh_dir(f"input-{formats.replace(',', '-')}")
    run_sampling_memory(build_args(paths, out, "--format", formats, *jobs_args(bench.capabilities, 1)), cwd=REPO, env=tool_env())
    return out


# Target 1 ---------------------------------------------------------------------------------------


def cold_single(bench: Bench) -> Result:
    """One brief, whole process, from a fresh output folder, against the weasyprint command.

    The command gets the HTML briefgen hands WeasyPrint (print.css inlined, see `as_weasyprint_gets`)
    and makes the same kind of PDF (PDF/UA-1, tagged); the ratio against an untagged PDF from the
    same command is given in the notes, since tagging is WeasyPrint's work, not briefgen's."""
    result = Result("1", "one brief cold, md+html+pdf, whole process ÷ weasyprint CLI, same HTML and PDF/UA-1", "≤ 1.05×")
    source = EXAMPLE.relative_to(REPO)
    # The peer's input, made by the very command that is timed next: it doubles as the warm-up.
    html = as_weasyprint_gets(next(prebuild(bench, [EXAMPLE], "md,html,pdf").rglob("*.html")), bench.scratch / "t1-input.html")
    pdf = bench.scratch / "t1-weasyprint.pdf"

    def briefgen() -> float:
        out = bench.fresh_dir("t1")
        args = build_args([source], out, "--format", "md,html,pdf")
        seconds = run_timed(args, cwd=REPO, env=tool_env(), timeout=COMMAND_TIMEOUT).seconds
        shutil.rmtree(out)
        return seconds

    def weasyprint(*variant: str) -> Callable[[], float]:
        def case() -> float:
            args = [str(WEASYPRINT), str(html), str(pdf), *variant]
            return run_timed(args, cwd=REPO, env=tool_env(), timeout=COMMAND_TIMEOUT).seconds
        return case

    cases = [("briefgen", briefgen), ("weasyprint ua", weasyprint("--pdf-variant", "pdf/ua-1")), ("weasyprint", weasyprint())]
    samples = interleave(cases, bench.plan.single_reps)
    ratio = ratio_of_medians(samples["briefgen"], samples["weasyprint ua"])
    bench.single_brief_seconds = median(samples["briefgen"])
    result.measured, result.status = f"{ratio:.2f}×", verdict(ratio, 1.05)
    result.notes.append(
        f"medians of {bench.plan.single_reps}: briefgen {median(samples['briefgen']):.2f} s, "
        f"weasyprint --pdf-variant pdf/ua-1 {median(samples['weasyprint ua']):.2f} s ({source})"
    )
    result.notes.append(
        f"against an untagged PDF (plain `weasyprint`, {median(samples['weasyprint']):.2f} s): "
        f"{ratio_of_medians(samples['briefgen'], samples['weasyprint']):.2f}×"
    )
    return result


def as_weasyprint_gets(html: Path, target: Path) -> Path:
    """briefgen's HTML as briefgen hands it to WeasyPrint: print.css and the page size inlined
    after the document's own styles (briefgen/pdf.py), so both tools lay out the same pages."""
    css = PRINT_CSS.read_text(encoding="utf-8") + "@page { size: A4; }"
    text = html.read_text(encoding="utf-8").replace("</head>", f"<style>\n{css}\n</style>\n</head>", 1)
    target.write_text(text, encoding="utf-8")
    return target


# Targets 2a, 3a, 3b -----------------------------------------------------------------------------


def batch_and_parallel(bench: Bench) -> list[Result]:
    """The batch sequentially, in parallel, and as a pandoc loop, interleaved in one pass.

    The pandoc loop is split in two halves run before and after briefgen's sequential build, so
    a change in the machine's load during the long batch reaches both tools."""
    sequential = Result("2a", f"{bench.plan.batch} briefs sequential (--jobs 1) ÷ pandoc loop, same Markdown + style.css", "≤ 0.5×")
    parallel = Result("3a", f"{bench.plan.batch} briefs --jobs 2 ÷ --jobs 1", "≤ 0.6×")
    memory = Result("3b", "peak RSS per worker with --jobs 2", f"≤ {MAX_WORKER_MIB:.0f} MiB")
    if not bench.capabilities.jobs:
        sequential.notes.append("briefgen build has no --jobs: the sequential run uses its default")
        not_available(parallel, "briefgen build has no --jobs option")
        not_available(memory, "briefgen build has no --jobs option")
    markdown = [output_of(_inputs(bench), sheet, "md") for sheet in bench.batch]
    cases, memories, outs = _batch_cases(bench, markdown)
    samples = interleave(cases, bench.plan.batch_passes)
    hung = {name for name, trees in memories.items() if any(tree.stalled_after is not None for tree in trees)}
    if "--jobs 1" in hung:
        _hung(sequential, memories["--jobs 1"])
    elif bench.peers.pandoc:
        pandoc = [first + second for first, second in zip(samples["pandoc 1st half"], samples["pandoc 2nd half"], strict=True)]
        _judge_batch(sequential, samples["--jobs 1"], pandoc, bench)
        floor = ratio_of_medians(samples["weasyprint alone"], pandoc)
        sequential.notes.append(
            f"floor: WeasyPrint alone, untagged, in one warm process, drew the same briefs' HTML in "
            f"{median(samples['weasyprint alone']) / bench.plan.batch:.2f} s/brief, {floor:.2f}× the pandoc loop: "
            "no tool drawing this HTML with WeasyPrint can go below that"
        )
    else:
        not_available(sequential, "pandoc could not be installed")
    if bench.capabilities.jobs:
        if hung:
            _hung(parallel, memories["--jobs 2"] if "--jobs 2" in hung else memories["--jobs 1"])
        else:
            _judge_parallel(parallel, samples["--jobs 1"], samples["--jobs 2"])
        _judge_memory(memory, memories)
    bench.seed_out = outs[-1] if outs else None
    return [sequential, parallel, memory]


def _hung(result: Result, trees: list[TreeMemory]) -> None:
    """A build that stopped using CPU: briefgen hung, which misses the target whatever its limit."""
    after = next(tree.stalled_after for tree in trees if tree.stalled_after is not None)
    result.measured, result.status = "hung", MISS
    result.notes.append(f"{stall_message(after or 0.0)}; every process of the build was idle, waiting")


def _inputs(bench: Bench) -> Path:
    """The batch's Markdown and HTML, built once and shared by targets 2a and 2b."""
    if bench.batch_inputs is None:
        bench.batch_inputs = prebuild(bench, bench.batch, "md,html")
    return bench.batch_inputs


def _batch_cases(bench: Bench, markdown: list[Path]) -> tuple[list[tuple[str, Callable[[], float]]], dict[str, list[TreeMemory]], list[Path]]:
    memories: dict[str, list[TreeMemory]] = {"--jobs 1": [], "--jobs 2": []}
    outs: list[Path] = []
    pandoc_dir = bench.fresh_dir("pandoc")  # pandoc writes its temporary HTML in its working folder

    def briefgen(jobs: int) -> Callable[[], float]:
        def case() -> float:
            out = bench.fresh_dir(f"jobs{jobs}")
            args = build_args(bench.batch, out, *jobs_args(bench.capabilities, jobs))
            run, tree = run_sampling_memory(args, cwd=REPO, env=tool_env(), allow_stall=True)
            memories[f"--jobs {jobs}"].append(tree)
            if tree.stalled_after is None:  # keep only the latest complete build: target 4 starts from it
                for old in outs:
                    shutil.rmtree(old, ignore_errors=True)
                outs[:] = [out]
            return run.seconds
        return case

    def pandoc(files: list[Path]) -> Callable[[], float]:
        def case() -> float:
            total = 0.0
            for index, md in enumerate(files):
                args = [str(bench.peers.pandoc), str(md), "-o", f"{index}.pdf", "--pdf-engine=weasyprint", "--css", str(STYLE_CSS)]
                total += run_timed(args, cwd=pandoc_dir, env=tool_env(), timeout=COMMAND_TIMEOUT).seconds
            return total
        return case

    def weasyprint_alone() -> float:
        spec = {"html": [str(output_of(_inputs(bench), sheet, "html")) for sheet in bench.batch], "print_css": str(PRINT_CSS)}
        done = subprocess.run(
            [str(PYTHON), str(HERE / "weasyprint_alone.py")], input=json.dumps(spec), capture_output=True, text=True,
            cwd=REPO, env=tool_env(), timeout=COMMAND_TIMEOUT * (1 + len(bench.batch) // 5), check=True,
        )
        return float(json.loads(done.stdout))

    half = len(markdown) // 2
    cases: list[tuple[str, Callable[[], float]]] = [("--jobs 1", briefgen(1)), ("weasyprint alone", weasyprint_alone)]
    if bench.peers.pandoc:
        cases = [("pandoc 1st half", pandoc(markdown[:half])), *cases, ("pandoc 2nd half", pandoc(markdown[half:]))]
    if bench.capabilities.jobs:
        cases.append(("--jobs 2", briefgen(2)))
    return cases, memories, outs


def _judge_batch(result: Result, briefgen: list[float], pandoc: list[float], bench: Bench) -> None:
    ratio = ratio_of_medians(briefgen, pandoc)
    result.measured, result.status = f"{ratio:.2f}×", verdict(ratio, 0.5)
    n = bench.plan.batch
    result.notes.append(
        f"briefgen (one process, md+html+pdf) {median(briefgen):.1f} s = {median(briefgen) / n:.2f} s/brief; "
        f"pandoc loop (one process per brief, PDF only) {median(pandoc):.1f} s = {median(pandoc) / n:.2f} s/brief"
    )


def _judge_parallel(parallel: Result, one: list[float], two: list[float]) -> None:
    ratio = ratio_of_medians(two, one)
    parallel.measured, parallel.status = f"{ratio:.2f}×", verdict(ratio, 0.6)
    parallel.notes.append(f"--jobs 2 {median(two):.1f} s, --jobs 1 {median(one):.1f} s")


def _judge_memory(memory: Result, memories: dict[str, list[TreeMemory]]) -> None:
    """The largest worker's peak over every --jobs 2 run (sampled until the end, or until a hang)."""
    workers = {pid: peak for tree in memories["--jobs 2"] for pid, peak in tree.workers().items()}
    main_two = max(tree.main_mib for tree in memories["--jobs 2"])
    main_one = max(tree.main_mib for tree in memories["--jobs 1"])
    if not workers:
        memory.measured, memory.status = "no workers", MISS
        memory.notes.append("no worker process was seen while --jobs 2 ran")
        return
    peak = max(workers.values())
    memory.measured, memory.status = f"{peak:.0f} MiB", verdict(peak, MAX_WORKER_MIB)
    memory.notes.append(
        f"VmHWM sampled every 0.2 s: {len(workers)} worker process(es), peaks {min(workers.values()):.0f}–{peak:.0f} MiB; "
        f"parent {main_two:.0f} MiB with --jobs 2, {main_one:.0f} MiB for the whole sequential build"
    )


# Target 2b --------------------------------------------------------------------------------------


def in_process(bench: Bench) -> Result:
    """Per brief, in one Python process: briefgen.build (PDF only) ÷ WeasyPrint's own HTML → PDF."""
    result = Result("2b", "per brief in-process: briefgen.build(pdf) ÷ weasyprint.HTML().write_pdf(), same HTML and PDF/UA-1", "≤ 1.03×")
    inputs = _inputs(bench)
    spec = {
        "html": [str(output_of(inputs, sheet, "html")) for sheet in bench.batch],
        "sheets": [str(sheet) for sheet in bench.batch],
        "chunks": bench.plan.chunks,
        "print_css": str(PRINT_CSS),
        "scratch": str(bench.fresh_dir("inprocess")),
    }
    done = subprocess.run(
        [str(PYTHON), str(HERE / "inprocess.py")], input=json.dumps(spec), capture_output=True, text=True,
        cwd=REPO, env=tool_env(), timeout=COMMAND_TIMEOUT * (1 + len(bench.batch) // 5),
    )
    if done.returncode != 0:
        raise RuntimeError(f"inprocess.py exited {done.returncode}: {done.stderr.strip()[-400:]}")
    chunks = json.loads(done.stdout)["chunks"]
    ratios = [chunk["briefgen"] / chunk["weasyprint"] for chunk in chunks]
    ratio = median(ratios)
    n = sum(chunk["n"] for chunk in chunks)
    briefgen_total, weasy_total = sum(c["briefgen"] for c in chunks), sum(c["weasyprint"] for c in chunks)
    result.measured, result.status = f"{ratio:.2f}×", verdict(ratio, 1.03)
    untagged = median([chunk["briefgen"] / chunk["untagged"] for chunk in chunks])
    result.notes.append(
        f"median of {len(chunks)} rotating chunks (ratios {min(ratios):.2f}–{max(ratios):.2f}); "
        f"totals over {n} briefs: briefgen {briefgen_total / n:.2f} s/brief, WeasyPrint {weasy_total / n:.2f} s/brief"
    )
    result.notes.append(f"against untagged PDFs from the same HTML: {untagged:.2f}× (median over the same chunks)")
    return result


def not_available(result: Result, why: str) -> Result:
    result.status, result.measured = NOT_AVAILABLE, "not available"
    result.notes.append(why)
    return result

