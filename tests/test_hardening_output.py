"""Two builds into one output folder, and builds that are stopped: one writer at a time, nothing
of a running writer swept away, what was finished recorded."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from briefgen.cli import main
from briefgen.write import LOCK_NAME, prepare_output, release_output

HOLD = """
import fcntl, os, sys, time
descriptor = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(descriptor, fcntl.LOCK_EX)
os.ftruncate(descriptor, 0)
os.write(descriptor, f"{os.getpid()}\\n".encode())
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_second_build_waits_for_the_first_and_names_it(
    write_sheet: Callable[..., Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out / LOCK_NAME), "1.5"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="briefgen"):
            assert main(["build", str(write_sheet()), "--out", str(out), "--format", "md", "--no-site"]) == 0
        assert time.monotonic() - started > 0.8  # it waited for the holder to finish
        assert f"waiting for process {holder.pid}, which is building into {out}" in caplog.text
    finally:
        holder.wait(timeout=10)
        holder.stdout.close()  # type: ignore[union-attr]
    assert (out / LOCK_NAME).read_text() == f"{os.getpid()}\n"  # the last holder's name stays for the next to read


def test_the_lock_is_released_when_the_build_ends(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["build", str(write_sheet()), "--out", str(out), "--format", "md", "--no-site"]) == 0
    probe = subprocess.run(
        [sys.executable, "-c", "import fcntl, os, sys; fcntl.flock(os.open(sys.argv[1], os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)", str(out / LOCK_NAME)],
        check=False, capture_output=True,
    )
    assert probe.returncode == 0, probe.stderr


def test_the_sweep_keeps_the_temporaries_of_a_running_writer(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "talks").mkdir(parents=True)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        in_flight = out / "talks" / f".briefgen-tmp-{other.pid}-abc123"
        in_flight.write_bytes(b"being written")
        dead = out / "talks" / ".briefgen-tmp-999999999-def456"
        dead.write_bytes(b"from a killed run")
        old_style = out / ".briefgen-tmp-x1y2z3"
        old_style.write_bytes(b"from an older briefgen")
        prepare_output(out)
        release_output(out)
        assert in_flight.exists() and not dead.exists() and not old_style.exists()
    finally:
        other.kill()
        other.wait()


# --- a PDF worker killed from outside ---------------------------------------------------------------


def test_a_killed_worker_fails_its_sheet_at_once_and_the_others_are_written(
    examples_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the OOM killer would: SIGKILL the worker drawing the first PDF. Its sheet fails with a
    message naming it, the other sheet's PDF is written, the build exits 1, all within seconds."""
    import signal

    from briefgen import worker

    killed: list[int] = []
    original = worker._JobTracker.lost

    def kill_first_holder(self: worker._JobTracker, *args: object) -> list[tuple[int, Path, str]]:
        found = original(self, *args)  # type: ignore[arg-type]
        if not killed and self._holder:
            pid = next(iter(self._holder.values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        return found

    monkeypatch.setattr(worker._JobTracker, "lost", kill_first_holder)
    out = tmp_path / "out"
    started = time.monotonic()
    code = main(["build", str(examples_copy), "--out", str(out), "--format", "pdf", "--no-site", "--jobs", "2"])
    err = capsys.readouterr().err
    assert killed, "no worker was seen holding a job"
    assert code == 1
    assert time.monotonic() - started < 60
    [line] = [line for line in err.splitlines() if "was killed" in line]
    assert line.startswith("briefgen: ") and "the process drawing " in line
    assert "was killed (SIGKILL) (out of memory?); none of this sheet's files were written" in line
    failed = next(sheet for sheet in examples_copy.glob("*.yaml") if str(sheet) in line)
    written = [path.name for path in out.rglob("*.pdf")]
    assert len(written) == 1 and failed.stem.split("-")[-1] not in written[0]


# --- Ctrl-C and SIGTERM ---------------------------------------------------------------------------------


def _sheets(folder: Path, count: int) -> None:
    from .conftest import MINIMAL_SHEET

    folder.mkdir(parents=True)
    for number in range(1, count + 1):
        text = MINIMAL_SHEET.replace("  id: first", f"  id: round-{number:03d}").replace("  number: 1", f"  number: {number}")
        (folder / f"round-{number:03d}.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("signal_name", "whole_group", "status", "word"), [("SIGINT", True, 130, "interrupted"), ("SIGTERM", False, 143, "terminated")])
def test_a_stopped_build_stops_its_workers_quietly_and_records_what_it_finished(
    tmp_path: Path, signal_name: str, whole_group: bool, status: int, word: str
) -> None:
    """Ctrl-C (to the whole process group, as a terminal sends it) or SIGTERM (to briefgen alone, as
    a service manager sends it) in the middle of a parallel PDF build: no traceback from any
    process, no leaked-semaphore warning, the finished sheets in the manifest, 130 or 143."""
    import json
    import signal

    _sheets(tmp_path / "briefs", 12)
    out = tmp_path / "out"
    build = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "build", str(tmp_path / "briefs"), "--out", str(out), "--format", "pdf",
         "--template", "full,onepager,talking-points", "--no-site", "--jobs", "2"],
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert build.stderr is not None
    lines = []
    for line in build.stderr:
        lines.append(line)
        if line.startswith("[2/"):
            break
    else:
        pytest.fail("the build ended before it could be stopped:\n" + "".join(lines))
    sent = getattr(signal, signal_name)
    if whole_group:
        os.killpg(build.pid, sent)
    else:
        os.kill(build.pid, sent)
    rest = build.stderr.read()
    build.stderr.close()
    assert build.wait(timeout=60) == status, rest
    err = "".join(lines) + rest
    for noise in ("Traceback", "BrokenPipeError", "leaked", "KeyboardInterrupt"):
        assert noise not in err, err
    assert err.endswith(f"briefgen: {word}; files already written are complete and recorded, the rest were not written\n")
    recorded = json.loads((out / ".briefgen-manifest.json").read_text(encoding="utf-8"))["sheets"]
    assert 2 <= len(recorded) < 12
    deadline = time.monotonic() + 10
    while (leftover := subprocess.run(["pgrep", "-a", "-s", str(build.pid)], capture_output=True, text=True, check=False).stdout) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert leftover == "", "processes outlived the build"


def test_turning_the_site_off_redraws_no_pdf(tmp_path: Path) -> None:
    """--no-site removes the site and leaves every briefing as it was: no PDF is drawn again."""
    from briefgen import BuildOptions, build

    from .conftest import EXAMPLES

    out = tmp_path / "out"
    build([EXAMPLES], BuildOptions(out_dir=out, formats=("md", "pdf")))
    pdf = out / "us-china-trade" / "2025-06-09-london.pdf"
    before = pdf.stat().st_mtime_ns
    result = build([EXAMPLES], BuildOptions(out_dir=out, formats=("md", "pdf"), site=False))
    assert result.rebuilt == [] and pdf.stat().st_mtime_ns == before
    assert not (out / "site").exists()


def test_a_sheet_too_heavy_to_render_fails_naming_its_heaviest_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendering is bounded in time and in output size; the error names the sheet and the field."""
    from briefgen import BuildOptions, build, formats
    from briefgen.errors import RenderError

    from .conftest import LONDON

    monkeypatch.setattr(formats, "MAX_PRODUCT_BYTES", 50_000)
    with pytest.raises(RenderError, match=r"2025-06-london.yaml: 2025-06-09-london.html would be [\d,]+ bytes, more than 50,000; its longest text field is [a-z_\[\]0-9.]+ \([\d,]+ characters\)"):
        build([LONDON], BuildOptions(out_dir=tmp_path / "a", formats=("html",), site=False))
    monkeypatch.setattr(formats, "MAX_SHEET_RENDER_SECONDS", 0.001)
    with pytest.raises(RenderError, match=r"2025-06-london.yaml: its Markdown and HTML took longer than 0.001 s"):
        build([LONDON], BuildOptions(out_dir=tmp_path / "b", formats=("html",), site=False))


def test_a_table_too_wide_for_a_page_is_refused_at_its_field(tmp_path: Path) -> None:
    from briefgen.errors import InvalidFactSheets
    from briefgen.loader import load

    from .conftest import MINIMAL_SHEET

    row = "|" + "a|" * 30
    sheet = tmp_path / "wide.yaml"
    sheet.write_text(MINIMAL_SHEET.replace("summary: Tariffs are high.", f"summary: '{row}'"), encoding="utf-8")
    with pytest.raises(InvalidFactSheets, match=r"issues\[0\].summary: line 1 of the text is a table row of 30 columns; at most 20"):
        load([sheet])
