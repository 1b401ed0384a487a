"""An asciinema recording (asciicast v2) of the session's terminal, from its journal.

The journal keeps each command with its whole output and the virtual times it
started and ended, not keystrokes, so the recording is re-enacted: the prompt
appears, the command is typed key by key, Enter, then the output.  To look like
a person typed it the key delays vary, and to keep the file reproducible they
come from a random generator seeded with the session seed (same journal, same
bytes).  Pauses follow the virtual clock but are clipped to :data:`MAX_GAP`, so a
``sleep 100`` or a learner reading for ten minutes does not make the replay
unwatchable.  Each step start is a marker event, which asciinema's player
shows as a chapter.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Mapping
from typing import Any

from tui.export.journal import one_line, parse_time, prompt_of, text_of, words

WIDTH = 120
HEIGHT = 40
MAX_WIDTH = 240
US = 1_000_000  # the timeline is kept in integer microseconds: no float drift, stable files
MAX_GAP = 2 * US  # longest pause the replay shows, whatever the virtual clock says
MIN_GAP = US // 2  # a beat between one command's output and the next keystroke
KEY_DELAY_MS = (40, 120)  # per-character typing delay range
ENV = {"SHELL": "/bin/bash", "TERM": "xterm-256color"}


def render(records: list[dict[str, Any]], lang: str | None = None) -> str:
    """The recording as asciicast v2 text: a header line, then one JSON event per line.

    ``lang`` only names untitled steps' chapter markers (``Step 3`` / ``步骤 3``).
    """
    session = next((r for r in records if isinstance(r, Mapping) and r.get("kind") == "session"), {})
    w = words(lang or str(session.get("lang") or "en"))
    seed = session.get("seed", 0)
    cast = _Cast(random.Random(f"overlaylab-asciicast/{seed}"))
    commands = [r for r in records if isinstance(r, Mapping) and r.get("kind") == "command"]
    done = 0
    for rec in records:
        if not isinstance(rec, Mapping):
            continue
        kind = rec.get("kind")
        if kind == "step":
            title = one_line(text_of(rec, "title"))
            if not title:  # a chapter needs a name: "Step 3"
                index = rec.get("index")
                title = f"{w['step']} {index + 1}" if isinstance(index, int) else w["step"]
            cast.marker(_ns(rec.get("v")), title)
            if done == 0 and commands and not cast.prompt_shown:
                cast.prompt(prompt_of(commands[0]))  # the terminal waits at a prompt from the start
        elif kind == "command":
            cast.command(rec)
            done += 1
            if done < len(commands):
                # bash prints the next prompt as soon as the output ends
                cast.prompt(prompt_of(commands[done]))
    return _header(session, cast) + "".join(cast.lines)


def _header(session: Mapping[str, Any], cast: _Cast) -> str:
    header: dict[str, Any] = {"version": 2, "width": max(WIDTH, min(cast.widest, MAX_WIDTH)),
                              "height": HEIGHT}
    started = parse_time(session.get("started"))
    if started is not None:
        header["timestamp"] = int(started.timestamp())
    title = one_line(text_of(session, "title"))
    if title:
        header["title"] = title
    header["env"] = dict(ENV)
    return json.dumps(header, ensure_ascii=False) + "\n"


class _Cast:
    """The event timeline being written.

    ``t`` is the replay time of the last event; ``ready``/``v_ready`` are the
    replay and virtual times at which the terminal last went idle (the end of
    the previous command's output), from which the next pause is measured.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[str] = []
        self.t = 0
        self.ready = 0
        self.v_ready: int | None = None
        self.prompt_shown = False
        self.widest = 0
        self.mark: tuple[int, int] | None = None  # (replay, virtual) time of a step start not yet acted on

    def _emit(self, t: int, code: str, data: str) -> None:
        self.t = max(self.t, t)
        self.lines.append(f"[{self.t / US:.6f}, {json.dumps(code)}, {json.dumps(data, ensure_ascii=False)}]\n")

    def _gap(self, v: int | None) -> int:
        """Replay time for the virtual pause from the last idle moment until ``v``."""
        if v is None or self.v_ready is None:
            return 0
        return _squeeze(v - self.v_ready)

    def marker(self, v: int | None, title: str) -> None:
        if self.v_ready is None and v is not None:
            self.v_ready = v
        self._emit(self.ready + self._gap(v), "m", title)
        if v is not None:
            self.mark = (self.t, v)

    def prompt(self, prompt: str) -> None:
        self._emit(self.t, "o", prompt)
        self.prompt_shown = True
        self._measure(prompt)

    def command(self, rec: Mapping[str, Any]) -> None:
        v_start, v_end = _ns(rec.get("v_start")), _ns(rec.get("v_end"))
        if self.v_ready is None:
            self.v_ready = v_start if v_start is not None else 0
        if not self.prompt_shown:
            self.prompt(prompt_of(rec))
        prompt = prompt_of(rec)
        # the learner reads, then types: at least a beat, at most MAX_GAP - counted
        # from the last output and, separately, from the start of a new step
        t = max(self.t, self.ready + max(MIN_GAP, self._gap(v_start)))
        if self.mark is not None and v_start is not None:
            t = max(t, self.mark[0] + max(MIN_GAP, _squeeze(v_start - self.mark[1])))
        self.mark = None
        first, *more = text_of(rec, "line").split("\n")
        self._measure(prompt + first)
        for n, part in enumerate([first, *more]):
            if n:
                t += self._key()
                self._emit(t, "o", "\r\n> ")
                self._measure("> " + part)
            for ch in part:
                t += self._key()
                self._emit(t, "o", ch)
        t += self._key()
        self._emit(t, "o", "\r\n")
        self.prompt_shown = False
        output = text_of(rec, "output")
        duration = _squeeze(v_end - v_start) if v_start is not None and v_end is not None else 0
        if output:
            lines = output.replace("\r\n", "\n").split("\n")
            if lines[-1] == "":
                lines = [line + "\n" for line in lines[:-1]]
            else:
                lines = [line + "\n" for line in lines[:-1]] + [lines[-1]]
            for line in lines:
                self._measure(line.rstrip("\n").rsplit("\r", 1)[-1])
            # the journal has the output, not when each line came: spread the lines
            # evenly over the command's run (a ping's replies arrive one by one);
            # a one-line answer comes when the command ends
            if duration and len(lines) > 1:
                for k, line in enumerate(lines):
                    self._emit(t + duration * k // (len(lines) - 1), "o", line.replace("\n", "\r\n"))
            else:
                self._emit(t + duration, "o", "".join(lines).replace("\n", "\r\n"))
        t += duration
        self.t = max(self.t, t)
        self.ready = self.t
        if v_end is not None:
            self.v_ready = v_end

    def _key(self) -> int:
        return self.rng.randint(*KEY_DELAY_MS) * 1000

    def _measure(self, line: str) -> None:
        width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
        self.widest = max(self.widest, width)


def _squeeze(ns: int) -> int:
    """A virtual pause in nanoseconds as replay microseconds, clipped to ``MAX_GAP``."""
    return max(0, min(ns // 1000, MAX_GAP))


def _ns(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return None
