"""The example CI workflow's own commands, run on this repository's briefs/, as a repository
that copies it would run them: validate, the pull request's fact diff, and the release build."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from briefgen.cli import main

from .conftest import REPO

WORKFLOW = REPO / "docs" / "ci-workflow.yml"
MARKER = re.compile(r"MARKED-|\b(CONFIDENTIAL|CUI|SECRET)\)")


def workflow_commands() -> list[list[str]]:
    """Every `briefgen` command the workflow runs, as argv after the program name."""
    jobs = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    found = []
    for job in jobs.values():
        for step in job["steps"]:
            run = step.get("run", "")
            if "briefgen " in run:
                command = run.split(">>")[0].replace("${{ github.base_ref }}", "main")
                found.append(shlex.split(command)[1:])
    return found


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A copy of briefs/ in a git repository with a `main` branch on an `origin` remote, and a
    pull request's change on top of it."""
    origin = tmp_path / "origin"
    shutil.copytree(REPO / "briefs", origin / "briefs")

    def git(*args: str, cwd: Path) -> None:
        subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)

    git("init", "-q", "-b", "main", cwd=origin)
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "add", "-A", cwd=origin)
    git("-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "briefs", cwd=origin)
    clone = tmp_path / "clone"
    git("clone", "-q", str(origin), str(clone), cwd=tmp_path)
    london = clone / "briefs" / "us-china" / "2025-06-london.yaml"
    london.write_text(london.read_text(encoding="utf-8").replace("value: 4.8\n", "value: 5.1\n"), encoding="utf-8")
    return clone


def test_the_workflow_commands_pass_on_this_repositorys_briefs(repository: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repository)
    commands = workflow_commands()
    assert [command[0] for command in commands] == ["validate", "diff", "build"]
    for command in commands:
        assert main(command) == 0, (command, capsys.readouterr().err)
        out = capsys.readouterr().out
        if command[0] == "diff":
            assert "4.8%" in out and "5.1%" in out
    site = repository / "build" / "site"
    pages = [path for path in site.rglob("*") if path.suffix in (".html", ".md", ".json", ".xml")]
    assert len([page for page in pages if page.parent != site and page.suffix == ".html" and page.name != "index.html"]) == 3
    assert not list(site.rglob("*.yaml")), "a release never offers the fact sheet"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not MARKER.search(text), f"{page.relative_to(site)} shows a portion marked above the release"
        assert "OFFICIAL-SENSITIVE" not in text and "CONFIDENTIAL" not in text
