"""The list of a lesson's steps with progress marks; choosing one goes to that step."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.app.i18n import t
from tui.app.stepview import StepItem

MARKS = {"current": "▶", "completed": "✓", "skipped": "↷", "open": "·"}


def item_mark(item: StepItem) -> str:
    """▶ current, ✓ completed by the learner, ↷ skipped (its solution was played for them), · not done."""
    if item.current:
        return MARKS["current"]
    if item.completed:
        return MARKS["completed"]
    return MARKS["skipped"] if item.skipped else MARKS["open"]


def item_label(item: StepItem, lang: str = "en") -> Content:
    mark = item_mark(item)
    style = "bold $text-accent" if item.current else (
        "$text-success" if item.completed else ("$text-warning" if item.skipped else "$text-muted"))
    parts: list[tuple[str, str] | str] = [(f"{mark} ", style), (f"{item.index + 1}. ", "$text-muted"),
                                          (item.title, "bold" if item.current else "")]
    if item.skipped and not item.completed:
        parts.append((f"  {t(lang, 'steps.skipped')}", "$text-muted italic"))
    return Content.assemble(*parts)


class StepList(OptionList):
    """Steps 1..N: ✓ completed, ↷ skipped, ▶ current."""

    DEFAULT_CSS = """
    StepList {
        height: auto;
        max-height: 12;
        border: none;
        padding: 0;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    """

    class GoTo(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, lang: str = "en", *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.lang = lang
        self._items: list[StepItem] = []

    def show(self, items: list[StepItem]) -> None:
        if items == self._items:
            return
        same_shape = len(items) == len(self._items)
        self._items = list(items)
        if same_shape:
            for item in items:
                self.replace_option_prompt_at_index(item.index, item_label(item, self.lang))
        else:
            self.clear_options()
            self.add_options([Option(item_label(item, self.lang), id=f"step-{item.index}") for item in items])
        current = next((i.index for i in items if i.current), None)
        if current is not None:
            self.highlighted = current

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.GoTo(event.option_index))
