"""The shipped curriculum: every lesson of the plan, complete in both languages, and solvable."""

from __future__ import annotations

import pytest

from tui.lesson.catalog import lesson_paths
from tui.lesson.loader import load_lesson
from tui.lesson.session import Session

PLAN = ["netns-veth", "bridge-nat", "port-dns", "swarm-init", "overlay-service", "two-nics", "vxlan-wire", "mtu",
        "vip-dns", "routing-mesh", "encrypted-overlay"]
PATHS = lesson_paths()


def test_the_plan_in_order() -> None:
    assert [load_lesson(p).id for p in PATHS] == PLAN


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_each_lesson_has_what_the_plan_asks(path) -> None:  # type: ignore[no-untyped-def]
    lesson = load_lesson(path)
    kinds = [s.kind for s in lesson.steps]
    assert "quiz" in kinds
    assert "task" in kinds or "break" in kinds
    assert any(s.hints for s in lesson.steps)
    assert any(s.notes for s in lesson.steps)
    assert lesson.languages == ["en", "zh"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_each_lesson_plays_through(path, lang: str) -> None:  # type: ignore[no-untyped-def]
    session = Session(load_lesson(path), lang=lang, seed=0)
    failing = session.play_solutions()
    assert failing is None, session.failure
