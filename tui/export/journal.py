"""The session journal as the exporters see it: records grouped into step sections.

Every exporter needs the same reading of the journal (which step a command
belongs to, what the session header says, which words to print in the session's
language), so it lives here once instead of four slightly different times.
Reading is tolerant on purpose: a journal cut short by a crash, or one written
by a newer Session with extra record kinds, must still export what it holds
rather than fail, because the export is often what a learner keeps of a session.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]

# Words the exports print themselves (everything else comes from the journal).
# Keyed by the session language; unknown languages fall back to English.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "lesson": "Lesson",
        "scenario": "Scenario",
        "seed": "Seed",
        "started": "Started",
        "step": "Step",
        "steps": "Steps",
        "question": "Question",
        "answer": "Answer",
        "correct": "Correct",
        "incorrect": "Incorrect",
        "check_passed": "Check passed",
        "check_failed": "Check failed",
        "check_skipped": "Step skipped: its solution was played",
        "hint": "Hint",
        "exit_status": "exit status",
        "completed": "Lesson completed.",
        "not_completed": "The session ended before the lesson was completed.",
        "packets": "Packets captured",
        "packets_note": "export the session as pcap to open them in Wireshark or tcpdump -r",
        "colon": ": ",
        "sep": ", ",
        "period": ".",
        "space": " ",
        "dash": " — ",
        "untitled": "Session",
        "contents": "Contents",
    },
    "zh": {
        "lesson": "课程",
        "scenario": "场景",
        "seed": "随机种子",
        "started": "开始时间",
        "step": "步骤",
        "steps": "步骤",
        "question": "问题",
        "answer": "回答",
        "correct": "正确",
        "incorrect": "错误",
        "check_passed": "检查通过",
        "check_failed": "检查未通过",
        "check_skipped": "已跳过此步：播放了参考答案",
        "hint": "提示",
        "exit_status": "退出状态",
        "completed": "本课已完成。",
        "not_completed": "会话在课程完成前结束。",
        "packets": "抓到的包",
        "packets_note": "导出为 pcap 后可用 Wireshark 或 tcpdump -r 打开",
        "colon": "：",
        "sep": "，",
        "period": "。",
        "space": "",
        "dash": " —— ",
        "untitled": "会话",
        "contents": "目录",
    },
}


def words(lang: str) -> dict[str, str]:
    """The fixed words for ``lang`` (``zh-CN`` and the like count as ``zh``)."""
    return WORDS.get(lang.split("-")[0].lower(), WORDS["en"])


@dataclass
class Section:
    """One visit to a step: its ``step`` record and what happened until the next step began.

    ``step`` is None for records that came before any step record (a journal
    whose first step record was lost still shows its commands).
    """

    step: Record | None
    items: list[Record] = field(default_factory=list)

    @property
    def index(self) -> int | None:
        if self.step is None:
            return None
        return _int(self.step.get("index"))

    @property
    def number(self) -> int | None:
        """The heading number: step indexes are 0-based, people count from 1."""
        index = self.index
        return None if index is None else index + 1


@dataclass
class Journal:
    """A parsed journal: the session header, step sections in order, packets, the end."""

    session: Record
    sections: list[Section]
    packets: list[Record]
    end: Record | None

    @property
    def lang(self) -> str:
        return str(self.session.get("lang") or "en")

    @property
    def title(self) -> str:
        return str(self.session.get("title") or self.session.get("lesson") or "")

    @property
    def commands(self) -> list[Record]:
        return [r for s in self.sections for r in s.items if r.get("kind") == "command"]


def parse(records: Iterable[Mapping[str, Any]]) -> Journal:
    """Group the records by step, keeping the journal's order inside each step.

    A record names its step by index; it goes to the latest visit of that step
    (a learner who went back sees the later commands under the revisited step),
    or, failing that, to the section being written.
    """
    session: Record = {}
    sections: list[Section] = []
    packets: list[Record] = []
    end: Record | None = None
    latest: dict[int, Section] = {}
    for raw in records:
        if not isinstance(raw, Mapping):
            continue
        rec = dict(raw)
        kind = rec.get("kind")
        if kind == "session":
            if not session:
                session = rec
        elif kind == "step":
            section = Section(rec)
            sections.append(section)
            if section.index is not None:
                latest[section.index] = section
        elif kind in ("command", "check", "quiz", "hint"):
            step = _int(rec.get("step"))
            target = latest.get(step) if step is not None else None
            if target is None:
                if not sections:
                    sections.append(Section(None))
                target = sections[-1]
            target.items.append(rec)
        elif kind == "packet":
            packets.append(rec)
        elif kind == "end":
            end = rec
    return Journal(session, sections, packets, end)


def read_jsonl(text: str) -> list[Record]:
    """Records from JSON Lines text; blank lines are skipped, a torn last line is dropped.

    A journal is appended to as the session runs, so a crash can leave half a
    line at the end; everything before it is still worth exporting.
    """
    out: list[Record] = []
    lines = text.splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            if n == len(lines):
                break
            raise ValueError(f"journal line {n}: {err.msg}") from err
        if isinstance(value, dict):
            out.append(value)
    return out


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 instant (``Z`` suffix allowed) as an aware datetime, or None."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def format_started(value: object) -> str:
    """The session start for a human: ``2021-11-08 04:25:00 UTC`` (the journal's text if unparsable)."""
    when = parse_time(value)
    if when is None:
        return str(value) if value else ""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def heading_of(section: Section, w: Mapping[str, str]) -> str:
    """``3. Title`` for a step heading; a step without a title still gets a name (``3. Step 3``)."""
    step = section.step or {}
    title = one_line(text_of(step, "title"))
    number = section.number
    if not title:
        return f"{w['step']} {number}" if number is not None else w["step"]
    return f"{number}. {title}" if number is not None else title


def session_facts(session: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The header line's facts in order, as (word key, text): lesson, scenario, seed, start time."""
    facts: list[tuple[str, str]] = []
    if session.get("lesson"):
        facts.append(("lesson", text_of(session, "lesson")))
    if session.get("scenario"):
        facts.append(("scenario", text_of(session, "scenario")))
    if session.get("seed") is not None:
        facts.append(("seed", str(session["seed"])))
    if session.get("started"):
        facts.append(("started", format_started(session["started"])))
    return facts


def entries(section: Section) -> Iterator[tuple[str, list[Record]]]:
    """The section's items as (kind, records), one record each, except that consecutive
    attempts at one quiz question make one entry (they share the question line)."""
    items = section.items
    i = 0
    while i < len(items):
        rec = items[i]
        kind = str(rec.get("kind"))
        group = [rec]
        if kind == "quiz":
            while (i + 1 < len(items) and items[i + 1].get("kind") == "quiz"
                   and text_of(items[i + 1], "question") == text_of(rec, "question")):
                i += 1
                group.append(items[i])
        yield kind, group
        i += 1


def check_line(rec: Mapping[str, Any], w: Mapping[str, str]) -> str:
    """``✓ Check passed: <message>`` (or ``✗ Check failed``), on one line.

    A check run while a skipped step's solution played says so instead: the
    learner did not pass it.
    """
    if rec.get("skipped"):
        return f"↷ {w['check_skipped']}"
    passed = bool(rec.get("passed"))
    mark, label = ("✓", w["check_passed"]) if passed else ("✗", w["check_failed"])
    message = one_line(text_of(rec, "message"))
    return f"{mark} {label}{w['colon']}{message}" if message else f"{mark} {label}"


def hint_label(rec: Mapping[str, Any], w: Mapping[str, str]) -> str:
    n = rec.get("n")
    return f"{w['hint']} {n}" if n is not None else w["hint"]


def verdict_of(rec: Mapping[str, Any], w: Mapping[str, str]) -> str:
    return f"✓ {w['correct']}" if rec.get("correct") else f"✗ {w['incorrect']}"


def packet_places(packets: list[Record], w: Mapping[str, str]) -> str:
    """Where the captured packets were seen: ``node1/eth0 × 12, node2/eth0 × 9``."""
    where = Counter(text_of(p, "where") or "?" for p in packets)
    return w["sep"].join(f"{place} × {n}" for place, n in where.items())


def end_text(end: Mapping[str, Any], w: Mapping[str, str]) -> str:
    return w["completed"] if end.get("completed") else w["not_completed"]


def one_line(text: str) -> str:
    """White space runs (newlines included) folded to single spaces, ends trimmed."""
    return " ".join(text.split())


def prompt_of(command: Mapping[str, Any]) -> str:
    """The prompt the command was typed at (built from the host if the record lacks one)."""
    prompt = command.get("prompt")
    if isinstance(prompt, str) and prompt:
        return prompt
    host = command.get("host") or "localhost"
    return f"root@{host}:~# "


def status_of(command: Mapping[str, Any]) -> int:
    return _int(command.get("status")) or 0


def text_of(rec: Mapping[str, Any], key: str) -> str:
    """A text field as a string (None and missing fields read as empty)."""
    value = rec.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def typed_lines(command: Mapping[str, Any]) -> list[str]:
    """The command as the terminal echoed it: the prompt, then ``> `` for continuation lines.

    A here-document or an open quote makes a command span lines; bash shows its
    secondary prompt before each further line, and so do the exports.
    """
    lines = text_of(command, "line").split("\n")
    return [prompt_of(command) + lines[0]] + ["> " + rest for rest in lines[1:]]


def screen_text(text: str) -> str:
    """What a terminal would leave on screen for ``text``, for exports that are not terminals.

    Colour escapes are dropped and a carriage return overwrites the line from
    its start (progress bars redraw that way); a bare ``\\r`` would otherwise end
    a line in Markdown and vanish in HTML.  Trailing spaces are kept: they are
    part of the output (``docker service ls`` pads its last column).
    """
    text = _CSI.sub("", text.replace("\r\n", "\n"))
    if "\r" not in text:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        cells: list[str] = []
        for part_no, part in enumerate(line.split("\r")):
            if part_no == 0:
                cells = list(part)
                continue
            for col, ch in enumerate(part):
                if col < len(cells):
                    cells[col] = ch
                else:
                    cells.append(ch)
        out.append("".join(cells))
    return "\n".join(out)
