"""One captured packet up close: its layers and bytes beside the walk along its recorded hops.

Opened with Enter (or a double click) on a packet in the Capture pane. The
two views are their own widgets (:mod:`tui.app.widgets.packet_detail`,
:mod:`tui.app.widgets.packet_walk`); this screen only puts them side by side.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


class PacketScreen(ModalScreen[None]):
    """Packet detail (tree + hex) and packet walk (hop by hop); Escape closes."""

    DEFAULT_CSS = """
    PacketScreen {
        align: center middle;
        & > Vertical {
            width: 95%; height: 90%;
            border: round $accent; background: $surface;
            border-title-color: $text-accent;
        }
        & #packet-panes { height: 1fr; }
        & PacketDetail { width: 3fr; }
        & PacketWalk { width: 2fr; border-left: solid $panel-lighten-2; }
        & #packet-help { height: 1; color: $text-muted; padding: 0 1; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss(None)", "Close", show=False)]

    def __init__(self, record: Any, label: str, lang: str) -> None:
        super().__init__()
        self.record = record
        self.label = label
        self.lang = lang

    def compose(self) -> ComposeResult:
        from tui.app.widgets.packet_detail import PacketDetail
        from tui.app.widgets.packet_walk import PacketWalk

        with Vertical() as box:
            box.border_title = self.label
            with Horizontal(id="packet-panes"):
                yield PacketDetail(self.record, self.label, lang=self.lang, id="packet-detail")
                yield PacketWalk(self.record, lang=self.lang, id="packet-walk")
            help_text = ("←/→ walk the hops · e/c expand/collapse · tab switch · esc close" if self.lang != "zh"
                         else "←/→ 逐跳查看 · e/c 展开/折叠 · tab 切换 · esc 关闭")
            yield Static(Content(help_text), id="packet-help")

    def on_mount(self) -> None:
        walk = self.query_one("#packet-walk")
        target = next((w for w in walk.query("*") if w.focusable), None)
        if target is not None:
            target.focus()
