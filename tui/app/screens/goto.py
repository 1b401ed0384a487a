"""Go to a step: the step list in a dialog (F7 / g)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.i18n import t
from tui.app.stepview import StepItem
from tui.app.widgets.step_list import StepList


class GotoScreen(ModalScreen[int | None]):
    """Pick a step; Enter goes there, Escape closes."""

    DEFAULT_CSS = """
    GotoScreen {
        align: center middle;
        & > Vertical {
            width: 60; max-width: 90%; height: auto; max-height: 80%;
            border: round $accent; background: $surface; padding: 0 1;
        }
        & #goto-title { text-style: bold; color: $text-accent; }
        & StepList { max-height: 20; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Close", show=False)]

    def __init__(self, items: list[StepItem], lang: str) -> None:
        super().__init__()
        self.items = items
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(t(self.lang, "goto.title")), id="goto-title")
            yield StepList(self.lang, id="goto-steps")

    def on_mount(self) -> None:
        steps = self.query_one(StepList)
        steps.show(self.items)
        steps.focus()

    def on_step_list_go_to(self, event: StepList.GoTo) -> None:
        event.stop()
        self.dismiss(event.index)
