"""A command from the lesson, shown as a clickable line that puts it into the console.

The command text is lesson data, drawn as plain Content (``$HOME`` and
``[x]`` stay literal); clicking it or pressing Enter on it only inserts the
line, so the learner still presses Enter in the console to run it.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Static


class CommandChip(Static, can_focus=True):
    """``$ command`` that inserts itself into the console when clicked."""

    DEFAULT_CSS = """
    CommandChip {
        height: auto;
        padding: 0 1;
        margin: 0 0 0 1;
        background: $boost;
        color: $text;
        &:hover { background: $primary 30%; }
        &:focus { background: $primary 50%; text-style: bold; }
        &.-done { color: $text-muted; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "insert", "Insert", show=False)]

    class Insert(Message):
        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    def __init__(self, line: str, *, tooltip: str = "", done: bool = False) -> None:
        super().__init__(Content.assemble(("$ ", "$text-muted"), line))
        self.line = line
        if tooltip:
            self.tooltip = tooltip
        self.set_class(done, "-done")

    def on_click(self) -> None:
        self.action_insert()

    def action_insert(self) -> None:
        self.post_message(self.Insert(self.line))
