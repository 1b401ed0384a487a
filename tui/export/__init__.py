"""Exports of a session journal: study notes (Markdown, HTML), a terminal recording, captures.

A learner finishes a lesson with a journal of what happened; these turn it
into something to keep or share.  All of them render only what the journal
holds, so an export is a faithful record of the session, never a lesson's
canned answer.  Formats are looked up by name so the CLI and the player offer
the same list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FORMATS: dict[str, str] = {
    "md": "md",
    "markdown": "md",
    "html": "html",
    "cast": "cast",
    "asciicast": "cast",
    "pcap": "pcap",
}

# The file suffix each format is usually saved with.
SUFFIXES: dict[str, str] = {"md": ".md", "html": ".html", "cast": ".cast", "pcap": ".pcap"}


def render(
    records: list[dict[str, Any]],
    fmt: str,
    lang: str | None = None,
    *,
    warnings: list[str] | None = None,
) -> str | bytes:
    """The journal ``records`` in format ``fmt`` (``md``, ``html``, ``cast``, ``pcap``, or an alias).

    Text formats return ``str``, ``pcap`` returns ``bytes``.  ``lang`` (``en`` or
    ``zh``) overrides the session's language for the labels the exporter adds.
    Problems that do not stop the export (packets of a second link type left
    out of the pcap) are appended to ``warnings`` when a list is given.
    """
    name = FORMATS.get(fmt.lower().lstrip("."))
    if name is None:
        raise ValueError(f"unknown export format {fmt!r} (choose from {', '.join(sorted(SUFFIXES))})")
    if name == "pcap":
        from tui.export.pcap import to_pcap

        data, notes = to_pcap(records)
        if warnings is not None:
            warnings.extend(notes)
        return data
    renderer: Callable[[list[dict[str, Any]], str | None], str]
    if name == "md":
        from tui.export.markdown import render as renderer
    elif name == "html":
        from tui.export.html import render as renderer
    else:
        from tui.export.asciicast import render as renderer
    return renderer(records, lang)


def load_journal(path: str) -> list[dict[str, Any]]:
    """The records of a JSON Lines journal file (a torn last line, from a crash, is dropped)."""
    from tui.export.journal import read_jsonl

    with open(path, encoding="utf-8") as fh:
        return read_jsonl(fh.read())


__all__ = ["FORMATS", "SUFFIXES", "load_journal", "render"]
