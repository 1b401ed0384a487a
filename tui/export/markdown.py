"""Study notes in Markdown, from a session journal.

The notes read like the seed note a learner would have written by hand: the
narrative of each step, then each command exactly as the terminal showed it
(prompt, command, output with its trailing spaces), the quiz answers and check
results, and the hints that were opened.  Everything shown comes from the
journal; only the labels (Answer, Check passed, ...) are the exporter's, in the
session's language, so a Chinese session gives Chinese notes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tui.export.journal import (
    Journal,
    Record,
    Section,
    check_line,
    end_text,
    entries,
    heading_of,
    hint_label,
    one_line,
    packet_places,
    parse,
    screen_text,
    session_facts,
    status_of,
    text_of,
    typed_lines,
    verdict_of,
    words,
)

_FENCE_LINE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
_ATX = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")


def render(records: list[dict[str, Any]], lang: str | None = None) -> str:
    """The whole journal as Markdown; ``lang`` overrides the session's language for labels."""
    journal = parse(records)
    w = words(lang or journal.lang)
    out: list[str] = []
    out.append(f"# {one_line(journal.title) or w['untitled']}\n")
    meta = _meta_line(journal, w)
    if meta:
        out.append(meta + "\n")
    for section in journal.sections:
        out.extend(_section(section, w))
    tail = _tail(journal, w)
    if tail:
        out.extend(tail)
    return "\n".join(out).rstrip("\n") + "\n"


def _meta_line(journal: Journal, w: Mapping[str, str]) -> str:
    return " · ".join(f"{w[key]} {code_span(text) if key in ('lesson', 'scenario') else text}"
                      for key, text in session_facts(journal.session))


def _section(section: Section, w: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    step = section.step
    if step is not None:
        out.append(f"## {heading_of(section, w)}\n")
        narrative = text_of(step, "text").strip("\n")
        if narrative.strip():
            out.append(shift_headings(narrative, 2) + "\n")
    for kind, recs in entries(section):
        if kind == "command":
            out.append(command_block(recs[0], w))
        elif kind == "check":
            out.append(check_line(recs[0], w) + "\n")
        elif kind == "hint":
            out.append(_hint(recs[0], w) + "\n")
        elif kind == "quiz":
            out.append(_quiz(recs, w) + "\n")
    return out


def command_block(command: Record, w: Mapping[str, str]) -> str:
    """One fenced block: the prompt and command, then the output exactly as shown."""
    body = "\n".join(typed_lines(command)) + "\n" + screen_text(text_of(command, "output"))
    if not body.endswith("\n"):
        body += "\n"
    fence = fence_for(body)
    block = f"{fence}console\n{body}{fence}\n"
    status = status_of(command)
    if status:
        block += f"\n*{w['exit_status']} {status}*\n"
    return block


def _hint(rec: Record, w: Mapping[str, str]) -> str:
    text = text_of(rec, "text").strip("\n")
    lines = f"**{hint_label(rec, w)}{w['colon'].rstrip()}** {text}".split("\n")
    return "\n".join(("> " + line).rstrip() for line in lines)


def _quiz(attempts: list[Record], w: Mapping[str, str]) -> str:
    colon = w["colon"].rstrip()
    question = text_of(attempts[0], "question").strip("\n")
    out = [f"**{w['question']}{colon}** {question}", ""]
    for rec in attempts:
        verdict = verdict_of(rec, w)
        line = f"- **{w['answer']}{colon}** {code_span(text_of(rec, 'answer'))}{w['dash']}{verdict}{w['period']}"
        feedback = text_of(rec, "feedback").strip("\n")
        if feedback:
            line += w["space"] + feedback
        out.append("\n".join(part if n == 0 else "  " + part
                             for n, part in enumerate(line.split("\n"))))
    return "\n".join(out)


def _tail(journal: Journal, w: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    if journal.packets:
        detail = packet_places(journal.packets, w)
        out.append(f"{w['packets']}{w['colon']}{len(journal.packets)} ({detail})\n")
    if journal.end is not None:
        out.append(end_text(journal.end, w) + "\n")
    if out:
        out.insert(0, "---\n")
    return out


def fence_for(body: str) -> str:
    """A backtick fence longer than any backtick run in ``body``, so the block cannot end early.

    Outputs may hold Markdown themselves (``cat README.md``); CommonMark closes
    a block only on a fence at least as long as the opening one.
    """
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def code_span(text: str) -> str:
    """Inline code that shows ``text`` literally, whatever backticks it contains."""
    text = text.replace("\n", " ")
    if not text:
        return "` `"
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or text.startswith(" ") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def shift_headings(markdown: str, by: int) -> str:
    """Push ATX headings down ``by`` levels (capped at 6), leaving code blocks alone.

    A step's narrative is written as a document of its own; inside the notes it
    sits under the step's ``##`` heading, so its ``#`` must become ``###``.
    """
    out: list[str] = []
    fence: str | None = None
    for line in markdown.split("\n"):
        m = _FENCE_LINE.match(line)
        if fence is not None:
            if m and m.group(2)[0] == fence[0] and len(m.group(2)) >= len(fence) \
                    and not line[m.end():].strip():
                fence = None
        elif m:
            fence = m.group(2)
        else:
            h = _ATX.match(line)
            if h:
                level = min(6, len(h.group(2)) + by)
                line = h.group(1) + "#" * level + line[h.end():]
        out.append(line)
    return "\n".join(out)
