"""Tables as docker/cli prints them: Go's tabwriter with minwidth 10, padding 3, and Go-template formats."""

from __future__ import annotations

from typing import Any


def tabulate(rows: list[list[str]], minwidth: int = 10, padding: int = 3) -> str:
    from tui.shell.formats.tabwriter import tabulate as go_tabulate

    return go_tabulate(rows, minwidth=minwidth, padding=padding)


def render_format(fmt: str, rows: list[dict[str, Any]], headers: dict[str, str]) -> str:
    """`--format`, exactly as docker/cli's formatter treats it (`table` prefix, `\\t`, trimming)."""
    from tui.shell.formats.gotemplate import format_rows

    return format_rows(fmt, rows, headers)
