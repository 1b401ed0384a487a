"""Screenshots of the player compared with accepted ones (pytest-textual-snapshot).

The picker and the main screen at 80x24 (panes as tabs) and 160x50 (all
panes), in English and Chinese, on the fixture lesson with seed 0. Idle time
is frozen (``time_scale=0``) and the cursor does not blink, so the pictures
are the same on every run. The SVGs live in ``tests/snapshots/``; after a
deliberate change, look at the new pictures and accept them with
``pytest tests/test_app_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from pytest_textual_snapshot import SVGImageExtension

from tui.app import create_app

FIXTURES = Path(__file__).parent / "e2e" / "fixtures"
LESSON = FIXTURES / "app-fixture.yaml"


def _dirname(cls: type, *, test_location: Any) -> str:
    return str(Path(test_location.filepath).parent / "snapshots" / test_location.basename)


# keep the accepted pictures in tests/snapshots/<module>/ rather than syrupy's __snapshots__
SVGImageExtension.dirname = classmethod(_dirname)  # type: ignore[method-assign,assignment]


async def _wait(pilot: Any, predicate: Any, timeout: float = 15.0) -> None:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.02)


def _settled(app: Any) -> bool:
    """The session is there and every pane has drawn what it shows of it."""
    screen = app.screen
    if getattr(screen, "session", None) is None or not screen._ready:
        return False
    lesson = screen.lesson_pane
    if lesson.view is None or not lesson.query("#lesson-md") or not lesson.query_one("#lesson-md").children:
        return False
    if screen.pane("nodes").display and not screen.content("nodes")._tree_nodes:
        return False
    if screen.pane("ifaces").display and not screen.content("ifaces").table.row_count:
        return False
    return not screen.session.busy


async def _main_ready(pilot: Any) -> None:
    app = pilot.app
    await _wait(pilot, lambda: _settled(app))
    await pilot.pause(0.2)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause(0.2)


async def _picker_ready(pilot: Any) -> None:
    app = pilot.app
    await _wait(pilot, lambda: bool(getattr(app.screen, "cards", None)))
    await pilot.pause(0.2)


def _app(tmp_path: Path, lesson: str | None, lang: str, **kw: Any) -> Any:
    return create_app(lesson, lang=lang, home=str(tmp_path / "home"), seed=0, time_scale=0, blink=False, **kw)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_main_screen(snap_compare: Any, tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    assert snap_compare(_app(tmp_path, str(LESSON), lang), terminal_size=size, run_before=_main_ready)


@pytest.mark.parametrize(("size", "lang"), [((80, 24), "en"), ((160, 50), "zh")], ids=["80x24-en", "160x50-zh"])
def test_picker(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int],
                lang: str) -> None:
    monkeypatch.setenv("OVERLAYLAB_LESSONS", str(FIXTURES))
    assert snap_compare(_app(tmp_path, None, lang), terminal_size=size, run_before=_picker_ready)


def test_main_screen_after_commands(snap_compare: Any, tmp_path: Path) -> None:
    """Step 2 after its commands: the console, the new task in Nodes, its check passed."""

    async def run_commands(pilot: Any) -> None:
        await _main_ready(pilot)
        screen = pilot.app.screen
        for line in ("docker network create -d overlay my-swarm-net",
                     "docker service create --name test --network my-swarm-net busybox ping 8.8.8.8"):
            screen.console.input.insert_text_at_cursor(line)
            await pilot.press("enter")
            await _wait(pilot, lambda: not screen.session.busy)
        await pilot.pause(0.3)

    assert snap_compare(_app(tmp_path, str(LESSON), "en", step=2), terminal_size=(160, 50), run_before=run_commands)
