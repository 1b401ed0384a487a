"""A one-row bar of pane names: which pane fills the space when the screen is too small for all.

At 80x24 the panes collapse into tabs (Textual's Tabs take two rows; this
takes one). Clicking a name, or F6, switches; the current one is highlighted.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.widgets import Static


class PaneTab(Static):
    """One clickable pane name."""

    DEFAULT_CSS = """
    PaneTab {
        width: auto;
        padding: 0 1;
        color: $text-muted;
        &:hover { color: $text; background: $boost; }
        &.-current { color: $text; background: $primary 40%; text-style: bold; }
    }
    """

    def __init__(self, key: str, label: str) -> None:
        super().__init__(Content(label), id=f"tab-{key}")
        self.key = key

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(PaneBar.Chosen(self.key))


class PaneBar(Horizontal):
    """The pane names in a row."""

    DEFAULT_CSS = """
    PaneBar {
        height: 1;
        background: $panel;
        display: none;
    }
    """

    class Chosen(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, tabs: list[tuple[str, str]], current: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._tabs = tabs
        self._current = current

    def compose(self) -> ComposeResult:
        for key, label in self._tabs:
            tab = PaneTab(key, label)
            tab.set_class(key == self._current, "-current")
            yield tab

    def set_current(self, key: str) -> None:
        self._current = key
        for tab in self.query(PaneTab):
            tab.set_class(tab.key == key, "-current")

    def set_visible_tabs(self, keys: set[str]) -> None:
        for tab in self.query(PaneTab):
            tab.display = tab.key in keys
