"""The player's pacing: frame rate before Textual loads, and collections kept between frames."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tui.app import pacing


@pytest.fixture
def gc_state() -> Iterator[None]:
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def _frame_rate_in_a_fresh_process(env_fps: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    if env_fps is not None:
        env["TEXTUAL_FPS"] = env_fps
    code = ("from tui.app.pacing import set_frame_rate\n"
            "assert set_frame_rate()\n"
            "from textual import constants\n"
            "print(constants.MAX_FPS)\n")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_player_frame_rate_applies_unless_the_user_chose_one() -> None:
    assert _frame_rate_in_a_fresh_process(None) == str(pacing.PLAYER_FPS)
    assert _frame_rate_in_a_fresh_process("30") == "30"


def test_frame_rate_is_refused_once_textual_drew_its_constants() -> None:
    import textual.screen  # noqa: F401 - what the app would have imported already

    assert pacing.set_frame_rate() is False


def test_older_generations_wait_for_a_frame(gc_state: None) -> None:
    gc.set_threshold(pacing.GEN0_THRESHOLD, 1 << 30, 1 << 30)
    gc.collect()
    assert pacing.collect_due() is None  # nothing young has been collected since
    for _ in range(pacing.OLDER_EVERY[0]):
        gc.collect(0)
    assert gc.get_count()[1] >= pacing.OLDER_EVERY[0]
    passes = [1 if pacing.collect_due() == 1 else 0]
    assert passes == [1] and gc.get_count()[1] == 0
    while passes[-1] != 2:
        for _ in range(pacing.OLDER_EVERY[0]):
            gc.collect(0)
        passes.append(pacing.collect_due())
    assert passes == [1] * (pacing.OLDER_EVERY[1] - 1) + [2]  # every tenth older pass is a full one
    assert gc.get_count()[2] == 0


def test_settle_freezes_the_survivors_and_lets_a_replaced_lab_go(gc_state: None) -> None:
    class Node:
        def __init__(self) -> None:
            self.peer: Node | None = None

    a, b = Node(), Node()
    a.peer, b.peer = b, a  # a cycle, like namespaces and their links
    pacing.settle()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    del a, b  # the lab is replaced: only a collection can free the cycle
    pacing.settle()
    assert not any(type(o) is Node for o in gc.get_objects())
    assert gc.get_freeze_count() <= frozen
