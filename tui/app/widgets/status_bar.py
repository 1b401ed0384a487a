"""The one-line bar at the top: lesson, step, lab host and the lab's clock.

Textual's Header shows a title and a wall clock; the learner needs the
virtual time of the lab instead (what `date` and tcpdump timestamps say), and
where they are in the lesson. The lesson title comes from a file and is
drawn as plain Content.
"""

from __future__ import annotations

import datetime as _dt

from textual.content import Content
from textual.widgets import Static


def lab_clock(wall_ns: int) -> str:
    """The lab's wall clock as ``HH:MM:SS`` (UTC, as the simulated hosts run)."""
    return _dt.datetime.fromtimestamp(wall_ns // 1_000_000_000, _dt.UTC).strftime("%H:%M:%S")


class StatusBar(Static):
    """``overlaylab · lesson · step 2/6 · mode ......... lab 04:26:05``."""

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's keyword
        super().__init__(Content("overlaylab"), id=id)
        self._left = Content("overlaylab")
        self._right = Content("")

    def set_parts(self, left: Content, right: Content) -> None:
        if left == self._left and right == self._right:
            return
        self._left, self._right = left, right
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        width = max(0, self.content_region.width)
        gap = width - self._left.cell_length - self._right.cell_length
        if gap < 1:
            self.update(self._left)
        else:
            self.update(Content.assemble(self._left, " " * gap, self._right))
