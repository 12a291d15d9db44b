"""Workspace templates that are wrong, greedy or reach outside their folder: each is a template
error at its file and line (RenderError, exit 1), never a crash or a file read from elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from briefgen.cli import main
from briefgen.context import build_context
from briefgen.errors import RenderError
from briefgen.loader import load
from briefgen.render import Renderer

from .conftest import LONDON


def workspace(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def render(sheet: Path, fmt: str, templates: Path) -> str:
    (loaded,) = load([sheet])
    brief = build_context(loaded.sheet, previous=None, version="test", generator="briefgen test")
    return Renderer(templates).render("full", fmt, brief)  # type: ignore[arg-type]


def test_a_base_that_extends_itself_is_a_template_error(write_sheet: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Forgetting 'default:' in a workspace base.html is answered with the fix, at its line, exit 1."""
    templates = workspace(tmp_path, {"base.html": '{# mine #}\n{% extends "base.html" %}\n'})
    code = main(["build", str(write_sheet()), "--out", str(tmp_path / "out"), "--format", "html", "--templates", str(templates)])
    err = capsys.readouterr().err
    assert code == 1
    assert err == "briefgen: base.html:2: template error: base.html extends or includes itself; to build on briefgen's own base.html, name it 'default:base.html'\n"


def test_templates_in_a_loop_are_a_template_error(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    templates = workspace(tmp_path, {"full.md": '{% include "a.md" %}', "a.md": '{% include "full.md" %}'})
    with pytest.raises(RenderError, match="template error: .*in a loop"):
        render(write_sheet(), "md", templates)


@pytest.mark.parametrize(
    "expression",
    [
        '{{ "x" * 4000000000 }}',
        '{{ 4000000000 * "x" }}',
        "{{ [1] * 4000000000 }}",
        '{{ "%999999999d" % 1 }}',
        '{{ "%*d" % (999999999, 1) }}',
        '{{ "{:999999999}".format(1) }}',
        '{{ "x".center(4000000000) }}',
        '{{ "x" | center(4000000000) }}',
        '{{ "x\\ny" | indent(4000000000) }}',
        '{{ "{:{}}".format(1, 4000000000) }}',
        '{{ "%999999999d" | format(1) }}',
        "{{ 10 ** 4000000000 }}",
    ],
)
def test_a_template_cannot_make_gigabytes(write_sheet: Callable[..., Path], tmp_path: Path, expression: str) -> None:
    templates = workspace(tmp_path, {"full.md": "title\n" + expression + "\n"})
    with pytest.raises(RenderError, match=r"^full\.md:2: template error: .*a template may make at most 1,000,000"):
        render(write_sheet(), "md", templates)


def test_ordinary_repetition_still_works(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    templates = workspace(tmp_path, {"full.html": '{{ "-" * 40 }}|{{ "%5.1f" % 3.14159 }}|{{ "{:>4}".format(7) }}|{{ 2 ** 10 }}|{{ "x" | center(5) }}\n'})
    assert render(write_sheet(), "html", templates) == "----------------------------------------|  3.1|   7|1024|  x  \n"


def test_include_does_not_follow_a_link_out_of_the_folder(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret", encoding="utf-8")
    templates = workspace(tmp_path, {"full.md": 'title\n{% include "leak.md" %}\n'})
    (templates / "leak.md").symlink_to(secret)
    with pytest.raises(RenderError, match=r"^full\.md:2: template error: template 'leak\.md' is a link to .*secret\.txt, outside .*templates; copy the file into the folder instead"):
        render(write_sheet(), "md", templates)


def test_a_link_inside_the_folder_is_followed(write_sheet: Callable[..., Path], tmp_path: Path) -> None:
    templates = workspace(tmp_path, {"full.md": '{% include "alias.md" %}', "real.md": "real\n"})
    (templates / "alias.md").symlink_to(templates / "real.md")
    assert render(write_sheet(), "md", templates) == "real\n"


def test_an_error_in_chart_svg_is_reported_in_chart_svg(tmp_path: Path) -> None:
    """The chart template is rendered from a filter in full.html; its error is its own, at its line."""
    templates = workspace(tmp_path, {"chart.svg": '<svg xmlns="http://www.w3.org/2000/svg">\n\n{{ c.no_such_field }}\n</svg>\n'})
    with pytest.raises(RenderError, match=r"^chart\.svg:3: template error: .*no_such_field"):
        render(LONDON, "html", templates)


# --- the compiled-template cache: code that runs, so only from a private folder ------------------------


def _plant(cache: Path, templates: Path, generation: str, evil: str) -> None:
    """Write, where the cache keeps full.md's compiled code, the code of another template (as an
    attacker with write access to the folder could), valid for full.md's current source."""
    from briefgen.render import _environment

    environment = _environment("md", templates, generation)
    assert environment.bytecode_cache is not None
    source = (templates / "full.md").read_text(encoding="utf-8")
    bucket = environment.bytecode_cache.get_bucket(environment, "full.md", str(templates / "full.md"), source)
    bucket.code = environment.compile(evil, "full.md", str(templates / "full.md"))  # type: ignore[assignment]
    environment.bytecode_cache.set_bucket(bucket)
    assert any(cache.iterdir())


def _render_fresh(sheet: Path, templates: Path, generation: str) -> str:
    (loaded,) = load([sheet])
    brief = build_context(loaded.sheet, previous=None, version="test", generator="briefgen test")
    return Renderer(templates, generation).render("full", "md", brief)


def test_a_planted_cache_entry_runs_only_if_private_and_is_refused_if_others_could_write_it(
    write_sheet: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "templates"
    templates = workspace(tmp_path, {"full.md": "good\n"})
    _plant(cache, templates, "plant-1", "EVIL\n")
    assert _render_fresh(write_sheet(), templates, "read-1") == "EVIL\n"  # the cache is used: the test can see a plant
    for entry in cache.iterdir():
        entry.chmod(0o666)
    assert _render_fresh(write_sheet(), templates, "read-2") == "good\n"


@pytest.mark.parametrize("change", ["world-writable", "other-owner"])
def test_a_cache_folder_others_can_write_is_not_used_and_said_once(
    write_sheet: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, change: str
) -> None:
    import os

    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "templates"
    templates = workspace(tmp_path, {"full.md": "good\n"})
    _plant(cache, templates, "plant-2", "EVIL\n")
    if change == "world-writable":
        cache.chmod(0o777)
        reason = "can be written by other users"
    else:
        if os.getuid() != 0:
            pytest.skip("giving a folder to another user needs root")
        os.chown(cache, 12345, 12345)
        reason = "belongs to another user"
    with caplog.at_level("WARNING", logger="briefgen"):
        assert _render_fresh(write_sheet(), templates, "read-3") == "good\n"
        assert _render_fresh(write_sheet(), templates, "read-4") == "good\n"
    warnings = [record.getMessage() for record in caplog.records if "not caching" in record.getMessage()]
    assert warnings == [
        (f"warning: not caching compiled templates in {cache}: it {reason}, and what is cached there runs in every build; "
        "compiling them each time instead (make the folder yours with mode 700, or set BRIEFGEN_CACHE_DIR)")
    ]


def test_the_cache_folder_is_made_private(write_sheet: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("BRIEFGEN_CACHE_DIR")
    templates = workspace(tmp_path, {"full.md": "good\n"})
    assert _render_fresh(write_sheet(), templates, "private-1") == "good\n"
    for folder in (tmp_path / "xdg" / "briefgen", tmp_path / "xdg" / "briefgen" / "templates"):
        assert folder.stat().st_mode & 0o077 == 0
