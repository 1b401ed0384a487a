"""Speaker notes for the presenter, with a step timer (shown only in presenter mode).

The notes are lesson Markdown meant for the instructor's eyes; the timer says
how long the current step has been on screen, so a talk keeps its pace.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tui.app.i18n import t


class NotesPane(Vertical):
    """The current step's speaker notes and how long the step has been shown."""

    DEFAULT_CSS = """
    NotesPane {
        & > #notes-timer { height: 1; padding: 0 1; color: $text-warning; text-style: bold; }
        & > VerticalScroll { height: 1fr; }
        & Markdown { background: $surface; padding: 0 1; margin: 0; }
    }
    """

    can_focus: ClassVar[bool] = False

    def __init__(self, lang: str = "en", *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.lang = lang
        self._started = time.monotonic()
        self._timer = None

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="notes-timer")
        with VerticalScroll():
            yield Static(Content(""), id="notes-placeholder")

    def on_mount(self) -> None:
        self._timer = self.set_interval(1.0, self._tick, pause=not self.display)

    def show_notes(self, markdown: str, empty: str) -> None:
        # imported late: not on the start path
        from tui.app.cjkwrap import LessonMarkdown as Markdown

        text = markdown or f"*{empty}*"
        found = self.query("#notes-md")
        if found:
            found.first(Markdown).update(text)
        else:
            self.query_one(VerticalScroll).mount(Markdown(text, id="notes-md", open_links=False))
            self.query_one("#notes-placeholder").remove()
        self._started = time.monotonic()
        self._tick()

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def _tick(self) -> None:
        secs = int(self.elapsed())
        shown = t(self.lang, "notes.timer", t=f"{secs // 60:02d}:{secs % 60:02d}")
        self.query_one("#notes-timer", Static).update(Content(shown))

    def watch_display(self, display: bool) -> None:  # pragma: no cover - only the timer's pace
        if self._timer is not None:
            if display:
                self._timer.resume()
            else:
                self._timer.pause()
