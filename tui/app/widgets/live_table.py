"""A DataTable whose rows are drawn at their final column widths, however fast they change.

Textual 8.2's DataTable computes column widths on idle, after rows were added,
but caches rendered cells under a key that does not include the width. When
the table paints between ``add_row`` and its idle pass (a live pane refreshed
by a timer does), cells stay cached at the header's width and show as
``UNK…`` until something else clears the cache. Clearing the caches once the
widths are known makes the live panes (and their screenshots) right every time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.widgets import DataTable


class LiveTable(DataTable[Text]):
    """DataTable for rows that a timer keeps replacing (see the module docstring)."""

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        super()._update_dimensions(new_rows)
        self._clear_caches()
