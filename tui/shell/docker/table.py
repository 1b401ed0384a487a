"""Tables as docker/cli prints them: Go's tabwriter with minwidth 10, padding 3, and Go-template formats."""

from __future__ import annotations

from typing import Any


def tabulate(rows: list[list[str]], minwidth: int = 10, padding: int = 3) -> str:
    try:
        from tui.shell.formats.tabwriter import tabulate as go_tabulate
    except ImportError:
        go_tabulate = None
    if go_tabulate is not None:
        return go_tabulate(rows, minwidth=minwidth, padding=padding)
    ncols = max((len(r) for r in rows), default=0)
    widths = [0] * ncols
    for r in rows:
        for i, cell in enumerate(r[:-1]):
            widths[i] = max(widths[i], len(cell) + padding, minwidth)
    lines = []
    for r in rows:
        parts = [cell.ljust(widths[i]) for i, cell in enumerate(r[:-1])]
        parts.append(r[-1] if r else "")
        lines.append("".join(parts))
    return "\n".join(lines) + ("\n" if lines else "")


def render_format(fmt: str, rows: list[dict[str, Any]], headers: dict[str, str]) -> str:
    """`--format`: a `table ...` format gets a header and the tabwriter; otherwise one line per row."""
    from tui.shell.formats import gotemplate

    if fmt.startswith("table"):
        return gotemplate.render_table(fmt, rows, headers)
    out = []
    for r in rows:
        out.append(gotemplate.render(fmt, r))
    return "\n".join(out) + ("\n" if out else "")
