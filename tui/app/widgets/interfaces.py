"""The Interfaces pane: the devices of the selected namespace or container, as `ip -d link/addr` know them.

Rows are keyed by ifindex and updated in place on each refresh (see
:mod:`tui.app.tablesync`), so watching `ip link set eth0 down` or a new veth
appear does not move the cursor or flicker.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from tui.app.i18n import t
from tui.app.lab_view import IfaceRow
from tui.app.tablesync import sync_rows
from tui.app.widgets.live_table import LiveTable

COLUMNS = ("name", "state", "mtu", "mac", "addresses", "master", "kind")


class InterfacesPane(Vertical):
    """A table of network devices: name@peer, state, MTU, MAC, addresses, master, kind."""

    DEFAULT_CSS = """
    InterfacesPane {
        & > DataTable { height: 1fr; background: $surface; scrollbar-size: 1 1; }
    }
    """

    can_focus: ClassVar[bool] = False

    def __init__(self, lang: str = "en", *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.lang = lang
        self._shown: dict[str, tuple[str, ...]] = {}

    def compose(self) -> ComposeResult:
        table = LiveTable(id="ifaces-table", cursor_type="row", zebra_stripes=False)
        yield table

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        table = self.table
        keys = ("col.name", "col.state", "col.mtu", "col.mac", "col.addresses", "col.master", "col.kind")
        for key, label in zip(COLUMNS, keys, strict=True):
            table.add_column(Text(t(self.lang, label)), key=key)

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one(DataTable)

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.reset_columns()

    def reset_columns(self) -> None:
        """Empty the table and size its columns afresh (DataTable columns only ever grow)."""
        self.table.clear(columns=True)
        self._shown.clear()
        self._add_columns()

    def show(self, rows: list[tuple[int, IfaceRow]]) -> None:
        sync_rows(self.table, COLUMNS, [(str(k), r) for k, r in rows], self._shown)

    def clear(self) -> None:
        self.table.clear()
        self._shown.clear()
