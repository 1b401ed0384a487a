"""Keeping a DataTable in step with fresh rows without clearing it (Dolphie's pattern).

Clearing and refilling a table on every poll loses the cursor and scroll
position and repaints everything; instead rows are keyed, changed cells are
updated in place, vanished rows removed and new ones added. Only when the
order of the rows changed (a device was inserted in the middle) is the table
rebuilt. Cell text is wrapped in :class:`rich.text.Text`, so a device or
address is never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable


def cell(value: str) -> Text:
    return Text(value, no_wrap=True, overflow="ellipsis")


def sync_rows(table: DataTable[Text], columns: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]],
              shown: dict[str, tuple[str, ...]]) -> bool:
    """Make ``table`` show ``rows`` ((key, cells) in order); ``shown`` is the caller's record of what it shows.

    Returns True if anything changed.
    """
    wanted = {key: tuple(cells) for key, cells in rows}
    order = [key for key, _ in rows]
    current_order = [k for k in shown]
    changed = False
    surviving = [k for k in current_order if k in wanted]
    last_kept = max((order.index(k) for k in surviving), default=-1)
    inserted = any(i < last_kept for i, k in enumerate(order) if k not in shown)
    if inserted or surviving != [k for k in order if k in shown]:
        table.clear()
        shown.clear()
        for key in order:
            table.add_row(*(cell(v) for v in wanted[key]), key=key)
            shown[key] = wanted[key]
        return True
    for key in current_order:
        if key not in wanted:
            table.remove_row(key)
            del shown[key]
            changed = True
    for key in order:
        new = wanted[key]
        old = shown.get(key)
        if old is None:
            table.add_row(*(cell(v) for v in new), key=key)
            shown[key] = new
            changed = True
        elif old != new:
            for col, (a, b) in zip(columns, zip(old, new, strict=False), strict=False):
                if a != b:
                    table.update_cell(key, col, cell(b), update_width=True)
            shown[key] = new
            changed = True
    return changed
