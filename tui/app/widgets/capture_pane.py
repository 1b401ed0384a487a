"""The Capture pane: every capture of the session (tcpdump runs and capture steps), live.

The view itself (:class:`~tui.app.widgets.capture.CaptureView`: a Line-API
ring buffer with follow/pause, filter and packet cursor) is its own widget;
this pane attaches the session's captures to it as they appear and starts
afresh when the lab is rebuilt (going back a step). Until a capture exists
it says how to get one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from tui.app.i18n import t


def capture_label(cap: Any) -> str:
    """``host/namespace:dev`` of a capture (``any`` for ``-i any``)."""
    ns = getattr(cap, "ns", None)
    where = getattr(ns, "where", "?") if ns is not None else "?"
    return f"{where}:{cap.dev or 'any'}"


class CapturePane(Vertical):
    """Captured packets in tcpdump wording, from every capture of the session."""

    DEFAULT_CSS = """
    CapturePane {
        & > #capture-hint { height: auto; padding: 0 1; color: $text-muted; }
        & > #capture-hint.-hidden { display: none; }
    }
    """

    can_focus: ClassVar[bool] = False

    def __init__(self, lang: str = "en", *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.lang = lang
        self._attached: dict[int, Any] = {}
        self.view: Any = None

    def compose(self) -> ComposeResult:
        yield Static(Content(t(self.lang, "capture.placeholder")), id="capture-hint")
        try:
            from tui.app.widgets.capture import CaptureView
        except ImportError:  # the view is built separately; the pane still tells what it would show
            return
        self.view = CaptureView(lang=self.lang, id="capture-view")
        yield self.view

    def set_lang(self, lang: str) -> None:
        """Switch the pane's words, the view's own (filter hint, status line) included."""
        self.lang = lang
        self.query_one("#capture-hint", Static).update(Content(t(lang, "capture.placeholder")))
        if self.view is not None:
            self.view.lang = lang

    @property
    def count(self) -> int:
        return len(self._attached)

    def sync(self, captures: list[Any]) -> None:
        """Attach captures not shown yet (cheap to call on every refresh)."""
        new = [c for c in captures if id(c) not in self._attached]
        if not new:
            return
        for cap in new:
            self._attached[id(cap)] = cap
            if self.view is not None:
                self.view.attach(cap, capture_label(cap))
        self.query_one("#capture-hint", Static).set_class(True, "-hidden")
        if self.parent is not None:
            self.parent.border_subtitle = ", ".join(capture_label(c) for c in self._attached.values())

    def reset(self) -> None:
        """The lab was rebuilt: its captures are new objects."""
        if self.view is not None:
            for cap in self._attached.values():
                self.view.detach(cap)
            self.view.clear()
        self._attached.clear()
        if self.parent is not None:
            self.parent.border_subtitle = ""
        self.query_one("#capture-hint", Static).set_class(False, "-hidden")
