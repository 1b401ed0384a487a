"""The Routes pane: the routing table of the selected namespace, or its neighbour (ARP) table.

Both tables are live (keyed rows updated in place); ``t`` switches between
them (the pane's frame says so, with the key taken from the binding), so a learner can watch an ARP entry go INCOMPLETE -> REACHABLE ->
STALE while a ping runs.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import ContentSwitcher, DataTable

from tui.app.i18n import t
from tui.app.keys import ROUTES_TOGGLE_KEY
from tui.app.lab_view import NeighRow, RouteRow
from tui.app.tablesync import sync_rows
from tui.app.widgets.live_table import LiveTable

ROUTE_COLUMNS = ("dst", "via", "dev", "proto", "scope", "src", "metric")
NEIGH_COLUMNS = ("ip", "dev", "lladdr", "nud")


class RoutesPane(Vertical):
    """Routing table, with the neighbour table on a toggle."""

    DEFAULT_CSS = """
    RoutesPane {
        & ContentSwitcher { height: 1fr; }
        & DataTable { height: 1fr; background: $surface; scrollbar-size: 1 1; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(ROUTES_TOGGLE_KEY, "toggle_neigh", "Routes/neighbours", id="routes.toggle"),
    ]

    can_focus: ClassVar[bool] = False

    neigh: reactive[bool] = reactive(False)
    """Whether the neighbour table is shown instead of the routes."""

    class Toggled(Message):
        """The pane switched tables (the screen retitles it)."""

    def __init__(self, lang: str = "en", *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.lang = lang
        self._routes: dict[str, tuple[str, ...]] = {}
        self._neigh: dict[str, tuple[str, ...]] = {}

    def compose(self) -> ComposeResult:
        with ContentSwitcher(initial="routes-table"):
            yield LiveTable(id="routes-table", cursor_type="row")
            yield LiveTable(id="neigh-table", cursor_type="row")

    def on_mount(self) -> None:
        self._add_columns()
        self._show_hint()

    def toggle_hint(self) -> str:
        """``t: neighbours / routes`` in the pane's language, the key read from the pane's own binding."""
        binding = next(b for b in self.BINDINGS if isinstance(b, Binding) and b.action == "toggle_neigh")
        key = self.app.get_key_display(binding) if self.is_attached else binding.key
        return t(self.lang, "routes.toggle", keys=key)

    def _show_hint(self) -> None:
        if self.parent is not None:
            self.parent.border_subtitle = self.toggle_hint()

    def _add_columns(self) -> None:
        routes = self.query_one("#routes-table", DataTable)
        for key in ROUTE_COLUMNS:
            routes.add_column(Text(t(self.lang, f"col.{key}")), key=key)
        neigh = self.query_one("#neigh-table", DataTable)
        for key in NEIGH_COLUMNS:
            neigh.add_column(Text(t(self.lang, f"col.{key}")), key=key)

    def set_lang(self, lang: str) -> None:
        self.lang = lang
        self.reset_columns()
        self._show_hint()

    def reset_columns(self) -> None:
        """Empty both tables and size their columns afresh (DataTable columns only ever grow)."""
        for table in self.query(DataTable):
            table.clear(columns=True)
        self._routes.clear()
        self._neigh.clear()
        self._add_columns()

    def watch_neigh(self, neigh: bool) -> None:
        self.query_one(ContentSwitcher).current = "neigh-table" if neigh else "routes-table"
        self.post_message(self.Toggled())

    def action_toggle_neigh(self) -> None:
        self.neigh = not self.neigh

    def show(self, routes: list[tuple[str, RouteRow]], neigh: list[tuple[str, NeighRow]]) -> None:
        sync_rows(self.query_one("#routes-table", DataTable), ROUTE_COLUMNS, routes, self._routes)
        sync_rows(self.query_one("#neigh-table", DataTable), NEIGH_COLUMNS, neigh, self._neigh)

    def clear(self) -> None:
        for table in self.query(DataTable):
            table.clear()
        self._routes.clear()
        self._neigh.clear()
