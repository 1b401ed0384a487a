"""Export the session (ctrl+e): study notes, a web page, a terminal recording, the packets, a screenshot."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.app.i18n import t

FORMATS: tuple[tuple[str, str], ...] = (
    ("md", "export.md"),
    ("html", "export.html"),
    ("cast", "export.cast"),
    ("pcap", "export.pcap"),
    ("svg", "export.svg"),
)


class ExportScreen(ModalScreen[str | None]):
    """Choose a format; the screen behind writes the file and says where."""

    DEFAULT_CSS = """
    ExportScreen {
        align: center middle;
        & > Vertical {
            width: 50; max-width: 90%; height: auto;
            border: round $accent; background: $surface; padding: 0 1;
        }
        & #export-title { text-style: bold; color: $text-accent; }
        & OptionList { height: auto; border: none; background: $surface; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Close", show=False)]

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(t(self.lang, "export.title")), id="export-title")
            yield OptionList(*(Option(Content.assemble((f"{fmt:<5}", "bold"), t(self.lang, key)), id=fmt)
                               for fmt, key in FORMATS), id="export-formats")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)
