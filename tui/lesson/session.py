"""Playing a lesson: steps, commands, checks, quizzes, hints, and exact replay.

Why replay: the engine is deterministic (same seed + same actions = same
bytes, ids and timings), so instead of snapshotting a whole simulated
network, a session keeps the list of actions that changed the lab (commands,
injected faults, capture starts, checks that send traffic) tagged with their
step. Going back to step *i* rebuilds the lab from the seed and replays the
actions of steps before *i*: the learner gets the exact state the step
started from, and redoing the step gives the same ids again.

Everything that happens is also written as a JSON Lines journal (one record
per event, schema below) that the exporters and the progress store read::

    {"kind":"session","lesson":ID,"lang":"en","seed":N,"scenario":NAME,"title":TEXT,"started":ISO}
    {"kind":"step","index":I,"id":ID,"type":KIND,"title":TEXT,"text":MARKDOWN,"v":NS}
    {"kind":"command","step":I,"host":HOST,"prompt":"root@HOST:~# ","line":CMD,"output":TEXT,
     "status":N,"v_start":NS,"v_end":NS,"wall":ISO}
    {"kind":"check","step":I,"passed":BOOL,"message":TEXT,"v":NS}  (+ "skipped":true when a passed-over
                                                                     step's solution was played)
    {"kind":"quiz","step":I,"question":TEXT,"answer":TEXT,"correct":BOOL,"feedback":TEXT}
    {"kind":"hint","step":I,"n":K,"text":TEXT}
    {"kind":"packet","v":NS,"ts_ns":WALLNS,"linktype":1,"data":HEX,"where":"HOST/NS:DEV"}
    {"kind":"end","completed":BOOL,"v":NS}

``v`` values are virtual nanoseconds of the lab clock; ``wall``/``started``
are real time in an interactive session and the simulated wall clock in a
headless one (``wall="virtual"``), so that a headless transcript is the same
bytes on every run.

Commands can also run while time passes (:meth:`Session.start`, then
:meth:`Session.advance` and :meth:`Session.poll`, Ctrl-C with
:meth:`Session.interrupt`): an interactive player lets ``ping`` tick and
background tasks run as the learner reads. Such a command is journaled like
one from :meth:`Session.run` when it ends. Every action is stamped with the
virtual time it happened at (a live command also with when it was
interrupted and when it ended), so replay lets the same idle time pass and
interrupts at the same instants: going back restores the exact state, idle
time included. A headless run lets no time pass between actions, so its
stamps are never waited for and its journal is unchanged.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from tui.lesson.checks import CheckContext, CheckResult, evaluate_all
from tui.lesson.live import TICK_EVENT_BUDGET, LiveCommand, advance_clock, run_to
from tui.lesson.model import (
    BreakStep,
    CaptureStep,
    ExplainStep,
    InlineScenario,
    Lesson,
    QuizStep,
    RunStep,
    TaskStep,
)

if TYPE_CHECKING:
    from tui.engine.lab import Lab
    from tui.shell.interp import Shell

# Records a capture step keeps (newest win). Packets are journaled after every action,
# so only the checks and the player's capture pane read further back; both need the
# recent packets, and an unbounded list would grow for as long as a flood runs.
CAPTURE_LIMIT = 100_000


class SessionError(Exception):
    """A request the session cannot honour (unknown host, answering a step that is no quiz, ...)."""


def build_lab(scenario: str | InlineScenario | Any, seed: int) -> Lab:
    """The lab a lesson starts from: a built-in scenario, a scenario file, or an inline scenario."""
    if isinstance(scenario, InlineScenario):
        # The docker scenario builders take the same fields as a scenario file.
        from tui.engine.docker.scenarios import _lab, _swarm
        from tui.engine.scenarios import HostSpec

        specs = [HostSpec(h.hostname, h.address, docker=h.docker, tcpdump_version=h.tcpdump) for h in scenario.hosts]
        pins = {k: list(v) for k, v in scenario.pins.items()} or None
        if scenario.swarm:
            return _swarm(seed, specs, dict(scenario.ifindex) or None, pins)
        return _lab(seed, specs, pins)
    from tui.engine.scenarios import build_scenario

    return build_scenario(str(scenario), seed)


def iso(ns: int) -> str:
    """An instant in nanoseconds since the epoch as ISO 8601 UTC with milliseconds."""
    stamp = _dt.datetime.fromtimestamp(ns / 1e9, _dt.UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def normalize_command(line: str) -> str:
    return " ".join(line.split())


@dataclass
class CommandResult:
    """One command as the learner saw it."""

    step: int
    host: str
    prompt: str
    line: str
    output: str
    status: int
    v_start: int
    v_end: int


@dataclass
class QuizResult:
    correct: bool
    feedback: str


@dataclass
class _Action:
    """Something that changed the lab, in the order it happened (what replay re-does)."""

    step: int
    kind: Literal["enter", "run", "break", "check"]
    host: str = ""
    line: str = ""
    v: int | None = None  # virtual time it was first done at; replay lets time pass until then
    live: bool = False  # a run that went on while time passed (start/poll), not to its end at once
    v_end: int = 0  # live: when it ended
    interrupts: list[int] = field(default_factory=list)  # live: the virtual time of each Ctrl-C


@dataclass
class StepState:
    """What the learner did in one step (survives going back, unlike the lab)."""

    attempts: int = 0
    hints_used: int = 0
    answers: list[str] = field(default_factory=list)
    completed: bool = False  # the learner passed the step's check (or answered, or read it) themselves
    skipped: bool = False  # passed over: its solution was played for them ("go to step", skipping ahead)


STRINGS: dict[str, tuple[str, str]] = {
    "nothing": ("nothing to check in this step", "这一步没有需要检查的内容"),
    "run_first": ("run `{cmd}` first", "请先运行 `{cmd}`"),
    "ran_all": ("you ran every command of this step", "这一步的命令都已运行"),
    "break_first": ("the fault has not been injected yet", "故障还没有注入"),
    "answer_first": ("answer the question first", "请先回答问题"),
    "answered": ("answered correctly", "回答正确"),
    "correct": ("Correct.", "回答正确。"),
    "wrong": ("Not quite: try again.", "不太对，再想想。"),
    "capture_on": ("Capture on {host} {iface}{filter}", "在 {host} 的 {iface} 上抓包{filter}"),
}


def _s(lang: str, key: str, **kw: Any) -> str:
    en, zh = STRINGS[key]
    return (zh if lang == "zh" else en).format(**kw)


class Session:
    """One learner (or one headless run) playing one lesson.

    ``journal`` is where the JSON Lines go (a path or an open text file; None:
    only :attr:`records`). ``wall`` chooses the clock of the ``wall``/``started``
    fields: ``"real"`` (interactive) or ``"virtual"`` (deterministic, headless).
    """

    def __init__(self, lesson: Lesson, lang: str = "en", seed: int = 0,
                 journal: str | os.PathLike[str] | IO[str] | None = None, *,
                 wall: Literal["real", "virtual"] = "real",
                 base_dir: str | os.PathLike[str] | None = None) -> None:
        if lang not in ("en", "zh"):
            raise SessionError(f"unknown language '{lang}' (en or zh)")
        self.lesson = lesson
        self.lang = lang
        self.seed = seed
        self.wall = wall
        self.records: list[dict[str, Any]] = []
        self.states: list[StepState] = [StepState() for _ in lesson.steps]
        self.failure: tuple[int, str] | None = None  # set by play_solutions
        self.notices: list[tuple[int, str]] = []  # (step, what went wrong outside a check): a capture that failed
        self.ended = False
        self._journal_path: Path | None = None
        self._journal_file: IO[str] | None = None
        self._own_journal = False
        if journal is not None and hasattr(journal, "write"):
            self._journal_file = journal  # type: ignore[assignment]
        elif journal is not None:
            self._journal_path = Path(journal)  # type: ignore[arg-type]
        self._scenario = self._resolve_scenario(base_dir)
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self._actions: list[_Action] = []
        self._live: LiveCommand | None = None
        self._quiet = False
        self._credit = True  # False while a passed-over step's solution plays: its checks are not the learner's
        self._window: tuple[int | None, int | None] = (None, None)  # the learner's terminal size (unknown: None)
        self._started_mono = time.monotonic()
        self._new_lab()
        self._emit({"kind": "session", "lesson": lesson.id, "lang": lang, "seed": seed,
                    "scenario": lesson.scenario_name, "title": lesson.text(lesson.title, lang),
                    "started": self._wall_iso()})
        self.step = 0
        self._do(_Action(0, "enter"))

    # ---- setup -------------------------------------------------------------------------------
    def _resolve_scenario(self, base_dir: str | os.PathLike[str] | None) -> Any:
        from tui.lesson.loader import resolve_scenario, source_of

        if base_dir is None:
            src = source_of(self.lesson).file
            base = Path(src).parent if not src.startswith("<") else None
        else:
            base = Path(base_dir)
        return resolve_scenario(self.lesson.scenario, base)

    def _new_lab(self) -> None:
        from tui.engine.scenarios import ScenarioError

        try:
            self.lab = build_lab(self._scenario, self.seed)
        except ScenarioError as err:
            raise SessionError(str(err)) from None
        if not self.lab.hosts:
            raise SessionError(f"scenario {self.lesson.scenario_name} has no hosts")
        self.default_host = next(iter(self.lab.hosts))
        self.host = self.default_host
        self.shells: dict[str, Shell] = {}
        self._shell(self.default_host)
        self._hidden: dict[str, Shell] = {}
        self._captures: list[Any] = []
        self._capture_ids: set[int] = set()
        self._seen: list[int] = []
        self.views: list[tuple[int, Any]] = []  # (step index, Capture) of each capture step: the UI's packet panes
        self.last_output = ""
        self.last_status = 0
        self._step_lines: list[str] = []
        self._step_v = 0
        self._break_applied = False

    # ---- properties --------------------------------------------------------------------------
    @property
    def current(self) -> Any:
        """The current step (a model object)."""
        return self.lesson.steps[self.step]

    @property
    def shell(self) -> Shell:
        """The learner's shell on the current host."""
        return self._shell(self.host)

    @property
    def prompt(self) -> str:
        return self.shell.prompt

    @property
    def v(self) -> int:
        """Virtual time now (ns)."""
        return self.lab.clock.now

    @property
    def elapsed(self) -> float:
        """Real seconds since the session started."""
        return time.monotonic() - self._started_mono

    @property
    def completed(self) -> list[int]:
        """Steps the learner completed themselves (what progress counts)."""
        return [i for i, s in enumerate(self.states) if s.completed]

    @property
    def skipped(self) -> list[int]:
        """Steps passed over (their solution played to build the lab) and not completed since."""
        return [i for i, s in enumerate(self.states) if s.skipped and not s.completed]

    def restore_completed(self, indices: list[int] | set[int]) -> None:
        """Steps the learner completed in an earlier session (resuming plays their solutions again)."""
        for i in indices:
            if 0 <= i < len(self.states):
                self.states[i].completed = True

    @property
    def captures(self) -> list[Any]:
        """Every capture of the session (tcpdump runs and capture steps), in start order."""
        self._collect_captures()
        return list(self._captures)

    @property
    def journal_path(self) -> Path | None:
        return self._journal_path

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``callback(record)`` for every journal record (a UI's event feed)."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def text(self, value: Any, default: str = "") -> str:
        return self.lesson.text(value, self.lang, default)

    # ---- journal -----------------------------------------------------------------------------
    def _wall_iso(self) -> str:
        if self.wall == "virtual":
            return iso(self.lab.clock.wall_ns)
        return iso(time.time_ns())

    def _emit(self, record: dict[str, Any], *, flush: bool = True) -> None:
        """Journal one record (``flush=False`` inside a batch: one write to the disk per batch, not per packet)."""
        if self._quiet:
            return
        self.records.append(record)
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        if self._journal_file is None and self._journal_path is not None:
            self._journal_path.parent.mkdir(parents=True, exist_ok=True)
            self._journal_file = open(self._journal_path, "a", encoding="utf-8")
            self._own_journal = True
        if self._journal_file is not None:
            self._journal_file.write(line + "\n")
            if flush:
                self._journal_file.flush()
        for cb in list(self._listeners):
            cb(record)

    def close(self) -> None:
        """Close the journal file (the session object stays readable)."""
        if self._journal_file is not None and self._own_journal:
            self._journal_file.close()
            self._journal_file = None
            self._own_journal = False

    def finish(self, completed: bool | None = None) -> None:
        """Write the ``end`` record (completed: every step done, unless told) and close the journal."""
        if self.ended:
            return
        self._sync_packets()
        if completed is None:
            completed = all(s.completed for s in self.states)
        self._emit({"kind": "end", "completed": bool(completed), "v": self.v})
        self.ended = True
        self.close()

    # ---- shells and captures -----------------------------------------------------------------
    def _check_host(self, host: str) -> str:
        if host not in self.lab.hosts:
            raise SessionError(f"unknown host '{host}' (hosts: {', '.join(self.lab.hosts)})")
        return host

    def _shell(self, host: str) -> Shell:
        from tui.shell import Shell

        shell = self.shells.get(host)
        if shell is None or shell.exited:  # `exit` on the top shell: a new login, as a terminal would give
            shell = Shell(self.lab, self._check_host(host))
            if self._window != (None, None):
                shell.resize(*self._window)
            self.shells[host] = shell
        return shell

    def set_terminal_size(self, columns: int | None, lines: int | None) -> None:
        """The learner's terminal window (the player's console) is ``columns`` x ``lines`` now.

        Every learner shell gets it, and so do the ones made later (another
        host, a new login, a rebuilt lab), so commands format for the console
        they print in. The system's own shells (faults, checks) keep no size:
        what a check reads never depends on the window.
        """
        self._window = (columns, lines)
        for shell in self.shells.values():
            shell.resize(columns, lines)

    def _hidden_shell(self, host: str) -> Shell:
        from tui.shell import Shell

        shell = self._hidden.get(host)
        if shell is None or shell.exited:
            shell = Shell(self.lab, self._check_host(host))
            self._hidden[host] = shell
        return shell

    def _hidden_run(self, host: str, line: str) -> tuple[int, str]:
        """A command run by the system (faults, check pings), outside the learner's terminal."""
        shell = self._hidden_shell(host)
        start = len(shell.terminal.chunks)
        status = shell.run_line(line)
        out = "".join(c.text for c in shell.terminal.chunks[start:])
        return status, out

    def _collect_captures(self) -> None:
        for shell in self.shells.values():
            for cap in shell.captures:
                if id(cap) not in self._capture_ids:
                    self._capture_ids.add(id(cap))
                    self._captures.append(cap)
                    self._seen.append(0)

    def _add_capture(self, cap: Any) -> None:
        self._collect_captures()
        self._capture_ids.add(id(cap))
        self._captures.append(cap)
        self._seen.append(0)

    def _sync_packets(self) -> None:
        """Journal the packets captured since the last sync, in capture order."""
        self._collect_captures()
        new: list[tuple[int, int, int, Any]] = []
        for ci, cap in enumerate(self._captures):
            # _seen counts records ever kept; those a bounded capture evicted since are lost to the journal
            records, evicted = cap.records, cap.evicted
            end = evicted + len(records)
            start = max(min(self._seen[ci], end), evicted)
            for k, rec in enumerate(itertools.islice(records, start - evicted, None), start):
                new.append((rec.t, ci, k, rec))
            self._seen[ci] = end
        if self._quiet:
            return
        new.sort(key=lambda x: (x[0], x[1], x[2]))
        for _t, _ci, _k, rec in new:
            self._emit({"kind": "packet", "v": rec.t, "ts_ns": rec.t_wall, "linktype": 1, "data": rec.data.hex(),
                        "where": f"{rec.where}:{rec.dev}"}, flush=False)
        if new and self._journal_file is not None:
            self._journal_file.flush()

    def _start_capture(self, step: CaptureStep) -> None:
        from tui.engine.bpf import compile_filter
        from tui.engine.capture import Capture

        host = self._check_host(step.host or self.host)
        ns = self.lab.hosts[host].root_ns
        dev = None if step.iface == "any" else step.iface
        if dev is not None and dev not in ns.links:
            if not self._quiet:
                self.notices.append((self.step, f"{host}: {step.iface}: No such device exists (the capture did not "
                                                 "start)"))
            return
        filt = compile_filter(step.filter) if step.filter.strip() else None
        cap = Capture(ns, dev, filt, limit=CAPTURE_LIMIT)
        cap.start()
        self.views.append((self.step, cap))
        self._add_capture(cap)

    # ---- actions (what replay re-does) -------------------------------------------------------
    def _do(self, action: _Action) -> Any:
        if action.v is None:
            action.v = self.lab.clock.now
        elif action.v > self.lab.clock.now:
            run_to(self.lab.clock, action.v)  # replaying: the same idle time passes before the action
        self._actions.append(action)
        step = self.lesson.steps[action.step]
        if action.kind == "enter":
            return self._enter(action.step)
        if action.kind == "run" and action.live:
            return self._replay_live(action)
        if action.kind == "run":
            return self._run(action.host, action.line)
        if action.kind == "break":
            assert isinstance(step, BreakStep)
            host = step.host or self.host
            for line in step.fault:
                self._hidden_run(host, line)
            self._break_applied = True
            self._sync_packets()
            return None
        if action.kind == "check":
            result = self._evaluate(step)
            self._sync_packets()
            return result
        raise AssertionError(action.kind)  # pragma: no cover

    def _enter(self, index: int) -> None:
        self.step = index
        step = self.lesson.steps[index]
        self._step_v = self.lab.clock.now
        self._step_lines = []
        self._break_applied = False
        host = getattr(step, "host", None)
        if host:
            self.host = self._check_host(host)
        self._emit({"kind": "step", "index": index, "id": step.id or f"step-{index + 1}", "type": step.kind,
                    "title": self.text(step.title), "text": self.step_markdown(index), "v": self.v})
        if isinstance(step, CaptureStep):
            self._start_capture(step)

    def _begin(self, host: str, line: str) -> LiveCommand:
        shell = self._shell(host)
        return LiveCommand(host, line, shell.prompt, self.lab.clock.now, len(shell.terminal.chunks), shell)

    def _run(self, host: str, line: str) -> CommandResult:
        cmd = self._begin(host, line)
        return self._record(cmd, cmd.shell.run_line(line, echo=True))

    def _record(self, cmd: LiveCommand, status: int) -> CommandResult:
        """Journal a command line that has ended (run at once or live), as the learner saw it."""
        chunks = cmd.shell.terminal.chunks[cmd.first_chunk:]
        if chunks and chunks[0].stream == "echo" and chunks[0].text == f"{cmd.prompt}{cmd.line}\n":
            chunks = chunks[1:]
        output = "".join(c.text for c in chunks)
        result = CommandResult(self.step, cmd.host, cmd.prompt, cmd.line, output, status, cmd.v_start,
                               self.lab.clock.now)
        self.last_output, self.last_status = output, status
        self._step_lines.append(normalize_command(cmd.line))
        self._emit({"kind": "command", "step": self.step, "host": cmd.host, "prompt": cmd.prompt, "line": cmd.line,
                    "output": output, "status": status, "v_start": cmd.v_start, "v_end": result.v_end,
                    "wall": self._wall_iso()})
        self._sync_packets()
        return result

    def _replay_live(self, action: _Action) -> CommandResult:
        """Redo a live command: the same Ctrl-Cs at the same instants, the same end."""
        cmd = self._begin(action.host, action.line)
        shell, clock = cmd.shell, self.lab.clock
        if not shell.start_line(action.line, echo=True):
            return self._record(cmd, shell.last_status)
        for when in action.interrupts:
            run_to(clock, when)
            if shell.busy:
                shell.interrupt()
        run_to(clock, action.v_end)
        status = shell.poll()
        if status is None:  # cannot happen with the same seed; end it as the terminal would
            shell.interrupt()
            status = shell.finish_line()
        return self._record(cmd, status)

    def _context(self) -> CheckContext:
        self._collect_captures()
        return CheckContext(self.lab, self.lang, list(self._captures), self._step_v, self.last_output,
                            self._hidden_run)

    def _evaluate(self, step: Any) -> CheckResult:
        lang = self.lang
        if isinstance(step, RunStep):
            for cmd in step.commands:
                if normalize_command(cmd) not in self._step_lines:
                    return CheckResult(False, _s(lang, "run_first", cmd=cmd))
            if not step.expect:
                return CheckResult(True, _s(lang, "ran_all"))
            return evaluate_all(step.expect, self._context())
        if isinstance(step, BreakStep):
            if not self._break_applied:
                return CheckResult(False, _s(lang, "break_first"))
            return evaluate_all(step.checks, self._context())
        if isinstance(step, TaskStep):
            return evaluate_all(step.checks, self._context())
        if isinstance(step, QuizStep):
            state = self.states[self.step]
            return CheckResult(state.completed, _s(lang, "answered" if state.completed else "answer_first"))
        return CheckResult(True, _s(lang, "nothing"))

    def _replay_to(self, index: int) -> None:
        """Rebuild the lab from the seed and redo every action of the steps before ``index``."""
        keep = [a for a in self._actions if a.step < index]
        entered = next((a.v for a in self._actions if a.step == index and a.kind == "enter"), None)
        self._actions = []
        self._live = None  # a command still running goes with the old lab (stop_live journals it first)
        self._new_lab()
        self._quiet = True
        try:
            for action in keep:
                self._do(action)
            if entered is not None and entered > self.lab.clock.now:
                run_to(self.lab.clock, entered)  # the time the learner spent before entering the step
        finally:
            self._quiet = False
        self._collect_captures()
        self._seen = [c.evicted + len(c.records) for c in self._captures]

    # ---- navigation --------------------------------------------------------------------------
    def goto(self, index: int) -> None:
        """Go to step ``index``.

        Backwards (or to the current step) restores the exact lab of the start of
        that step. Forwards keeps the lab as it is and plays the solution of each
        step left unfinished on the way, so a later step finds what it expects.
        Those steps (the current one included, and explain or capture steps
        jumped over) are *skipped*, not completed: their checks run (replay
        needs the same actions) but count neither as the learner's pass nor as
        an attempt. A step the learner completed is played again only when the
        lab was rebuilt from before it (after going back).
        """
        if not 0 <= index < len(self.lesson.steps):
            raise SessionError(f"no step {index} (the lesson has steps 0 to {len(self.lesson.steps) - 1})")
        if index <= self.step:
            self._replay_to(index)
            self._do(_Action(index, "enter"))
            return
        while self.step < index:
            state = self.states[self.step]
            reading = isinstance(self.current, ExplainStep | CaptureStep)
            if state.completed and not self._needs_replay(self.step):
                self.next()
                continue
            if not reading:
                self._credit = False
                try:
                    self.solve()
                finally:
                    self._credit = True
            if not state.completed:
                state.skipped = True
            self._do(_Action(self.step + 1, "enter"))

    def _needs_replay(self, index: int) -> bool:
        """Whether a completed step's work is missing from this lab (it was rebuilt from before the step)."""
        if isinstance(self.lesson.steps[index], QuizStep | ExplainStep | CaptureStep):
            return False
        return not any(a.step == index and a.kind != "enter" for a in self._actions)

    def next(self) -> bool:
        """Move to the next step with the lab as it is; False at the last step."""
        state = self.states[self.step]
        if isinstance(self.current, ExplainStep | CaptureStep):
            state.completed = True
        elif not state.completed and self.step + 1 < len(self.lesson.steps):
            state.skipped = True  # left unfinished (the learner chose to go on)
        if self.step + 1 >= len(self.lesson.steps):
            return False
        self._do(_Action(self.step + 1, "enter"))
        return True

    def skip_ahead(self) -> bool:
        """The learner's "next": like :meth:`next`, except that an unfinished step that changes the lab
        (run, task, break) is first taken back to its start and its solution played, so the next step
        finds the lab it expects. False at the last step."""
        unfinished = not self.states[self.step].completed and self.current.kind in ("run", "task", "break")
        if not unfinished or self.step + 1 >= len(self.lesson.steps):
            return self.next()
        self.goto(self.step)
        self.goto(self.step + 1)
        return True

    def back(self) -> bool:
        """Back to the previous step, with the lab exactly as that step started; False at the first."""
        if self.step == 0:
            return False
        self.goto(self.step - 1)
        return True

    def reset_step(self) -> None:
        """Start the current step again from its exact starting state."""
        self.goto(self.step)

    # ---- the learner's actions ---------------------------------------------------------------
    def run(self, command: str, host: str | None = None) -> CommandResult:
        """Run a command line in the learner's shell on ``host`` (default: the current host) to its end."""
        self._not_busy()
        host = self._check_host(host or self.host)
        self.host = host
        return self._do(_Action(self.step, "run", host, command))  # type: ignore[no-any-return]

    # ---- commands that run while time passes ---------------------------------------------------
    def advance(self, dt: int, budget: int = TICK_EVENT_BUDGET) -> bool:
        """Let ``dt`` virtual nanoseconds pass (a player's clock tick); False if ``budget`` events cut it short."""
        return advance_clock(self.lab.clock, dt, budget)

    @property
    def busy(self) -> bool:
        """A command started with :meth:`start` is still running."""
        return self._live is not None

    @property
    def live_shell(self) -> Shell:
        """The shell the running command was typed into (else the current one): what a console shows."""
        return self._live.shell if self._live is not None else self.shell

    def _not_busy(self) -> None:
        if self._live is not None:
            raise SessionError(f"'{self._live.line}' is still running (poll, interrupt or stop_live first)")

    def start(self, line: str, host: str | None = None) -> CommandResult | None:
        """Type ``line`` at the prompt: its result if it ended at once, else None (then advance and poll)."""
        self._not_busy()
        host = self._check_host(host or self.host)
        self.host = host
        cmd = self._begin(host, line)
        self._live = cmd
        if cmd.shell.start_line(line, echo=True):
            return None
        return self._finish_live(cmd.shell.last_status)

    def poll(self) -> CommandResult | None:
        """The result once the running command has ended (call after :meth:`advance`), else None."""
        if self._live is None:
            return None
        status = self._live.shell.poll()
        return None if status is None else self._finish_live(status)

    def interrupt(self) -> bool:
        """Ctrl-C: signal the running command (False when nothing runs); replay repeats it at this instant."""
        if self._live is None:
            return False
        self._live.interrupts.append(self.lab.clock.now)
        return bool(self._live.shell.interrupt())

    def stop_live(self) -> None:
        """End a running command (Ctrl-C, then harder) so it is journaled before the lab changes under it."""
        if self._live is None:
            return
        shell = self._live.shell
        for _ in range(4):
            if not shell.busy:
                break
            self.interrupt()
            self.advance(10_000_000)
        status = shell.poll()
        if status is None:
            status = shell.finish_line()
        self._finish_live(status)

    def _finish_live(self, status: int) -> CommandResult:
        cmd = self._live
        assert cmd is not None
        self._live = None
        # it already ran: journal it, and keep what replay needs to redo it the same way
        self._actions.append(_Action(self.step, "run", cmd.host, cmd.line, v=cmd.v_start, live=True,
                                     v_end=self.lab.clock.now, interrupts=list(cmd.interrupts)))
        return self._record(cmd, status)

    def check(self) -> CheckResult:
        """Judge the current step on the lab now (and record the result)."""
        step = self.current
        state = self.states[self.step]
        if isinstance(step, BreakStep) and not self._break_applied:
            result = CheckResult(False, _s(self.lang, "break_first"))
        elif isinstance(step, QuizStep):
            result = self._evaluate(step)
        else:
            result = self._do(_Action(self.step, "check"))
        if self._credit:
            state.attempts += 1
            if result.passed:
                state.completed = True
        record = {"kind": "check", "step": self.step, "passed": result.passed, "message": result.message,
                  "v": self.v}
        if not self._credit:
            record["skipped"] = True  # the solution was played for the learner: not their pass
        self._emit(record)
        return result

    def hint(self) -> str | None:
        """The next hint of the current step (None when all are shown)."""
        state = self.states[self.step]
        hints = self.current.hints
        if state.hints_used >= len(hints):
            return None
        text = self.text(hints[state.hints_used])
        state.hints_used += 1
        self._emit({"kind": "hint", "step": self.step, "n": state.hints_used, "text": text})
        return text

    def answer(self, value: int | list[int] | str) -> QuizResult:
        """Answer the current quiz: a choice index (0-based), several indices, a choice's letter, or typed text."""
        step = self.current
        if not isinstance(step, QuizStep):
            raise SessionError(f"step {self.step} is a {step.kind} step, not a quiz")
        state = self.states[self.step]
        if step.choices is not None:
            picked = self._picked(step, value)
            right = {i for i, c in enumerate(step.choices) if c.correct}
            correct = set(picked) == right if step.multiple else (len(picked) == 1 and picked[0] in right)
            shown = "; ".join(self.text(step.choices[i].text) for i in picked)
            wrong = [i for i in picked if i not in right]
            if correct:
                fb = step.choices[picked[0]].feedback if len(picked) == 1 else None
                feedback = self.text(fb) or self.text(step.explanation) or _s(self.lang, "correct")
            else:
                fb = step.choices[wrong[0]].feedback if wrong else None
                feedback = self.text(fb) or _s(self.lang, "wrong")
        else:
            import re

            shown = str(value)
            typed = normalize_command(shown).casefold()
            correct = any(normalize_command(a).casefold() == typed for a in step.accept or [])
            if not correct and step.accept_regex:
                correct = re.fullmatch(step.accept_regex, shown.strip(), re.IGNORECASE) is not None
            feedback = (self.text(step.explanation) or _s(self.lang, "correct")) if correct else (
                self.text(step.feedback) or _s(self.lang, "wrong"))
        if self._credit:  # a passed-over quiz is answered for the learner: not their answer
            state.attempts += 1
            state.answers.append(shown)
            if correct:
                state.completed = True
        self._emit({"kind": "quiz", "step": self.step, "question": self.text(step.question), "answer": shown,
                    "correct": correct, "feedback": feedback})
        return QuizResult(correct, feedback)

    def _picked(self, step: QuizStep, value: int | list[int] | str) -> list[int]:
        choices = step.choices or []
        if isinstance(value, bool):
            raise SessionError("answer with a choice number, a list of them, a letter or text")
        if isinstance(value, int):
            items: list[Any] = [value]
        elif isinstance(value, list):
            items = list(value)
        else:
            text = value.strip()
            letters = [t.strip() for t in text.split(",")]
            if all(len(t) == 1 and "a" <= t.lower() <= "z" for t in letters):
                items = [ord(t.lower()) - ord("a") for t in letters]
            else:
                folded = text.casefold()
                hits = [i for i, c in enumerate(choices)
                        if folded in (c.text.en.casefold(), (c.text.zh or "").casefold())]
                if not hits:
                    raise SessionError(f"'{value}' is none of the choices")
                items = hits
        out = []
        for i in items:
            if not isinstance(i, int) or not 0 <= i < len(choices):
                raise SessionError(f"no choice {i} (choices are 0 to {len(choices) - 1})")
            if i not in out:
                out.append(i)
        return out

    def apply_break(self) -> None:
        """Inject the current break step's fault (run by the system on the step's host)."""
        step = self.current
        if not isinstance(step, BreakStep):
            raise SessionError(f"step {self.step} is a {step.kind} step, not a break step")
        if self._break_applied:
            return
        self._do(_Action(self.step, "break"))

    # ---- headless play -----------------------------------------------------------------------
    def solve(self) -> CheckResult:
        """Play the current step's solution (for a run step: its commands) and judge it."""
        step = self.current
        host = getattr(step, "host", None) or self.host
        if isinstance(step, BreakStep):
            self.apply_break()
        if isinstance(step, RunStep):
            for cmd in step.commands:
                self.run(cmd, step.host or host)
        for sol in step.solution:
            self.run(sol.command, sol.host or host)
        if isinstance(step, QuizStep):
            if step.choices is not None:
                right = [i for i, c in enumerate(step.choices) if c.correct]
                res = self.answer(right if step.multiple else right[0])
            else:
                res = self.answer((step.accept or [""])[0])
            return CheckResult(res.correct, res.feedback)
        if isinstance(step, ExplainStep | CaptureStep):
            if self._credit:
                self.states[self.step].completed = True
            return CheckResult(True, _s(self.lang, "nothing"))
        return self.check()

    def play_solutions(self) -> int | None:
        """Play every step from the start with its solution; the first failing step's index, or None.

        The failing step's message is kept in :attr:`failure` as ``(index, message)``.
        """
        if self.step != 0 or [(a.step, a.kind) for a in self._actions] != [(0, "enter")]:
            self.goto(0)
        self.failure = None
        while True:
            result = self.solve()
            if not result.passed:
                self.failure = (self.step, result.message)
                self.finish(completed=False)
                return self.step
            if not self.next():
                break
        self.finish(completed=True)
        return None

    # ---- texts -------------------------------------------------------------------------------
    def step_markdown(self, index: int) -> str:
        """The step's text as Markdown in the session's language (quiz choices listed)."""
        step = self.lesson.steps[index]
        body = self.text(step.body)
        if isinstance(step, QuizStep) and step.choices:
            letters = "abcdefghijklmnopqrstuvwxyz"
            body += "\n\n" + "\n".join(f"- {letters[i]}) {self.text(c.text)}" for i, c in enumerate(step.choices))
        if isinstance(step, CaptureStep) and not body:
            flt = f" ({step.filter})" if step.filter else ""
            body = _s(self.lang, "capture_on", host=step.host or self.host, iface=step.iface, filter=flt)
        return body


def read_journal(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The records of a journal file and warnings for lines that are not JSON (a crash mid-write)."""
    records: list[dict[str, Any]] = []
    warnings: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                warnings.append(f"{path}:{n}: not a JSON record (skipped)")
                continue
            if isinstance(rec, dict) and isinstance(rec.get("kind"), str):
                records.append(rec)
            else:
                warnings.append(f"{path}:{n}: not a journal record (skipped)")
    return records, warnings


def transcript_text(records: list[dict[str, Any]]) -> str:
    """A plain-text transcript of a journal: step headings, narrative, commands with output, results."""
    out: list[str] = []
    for r in records:
        kind = r.get("kind")
        if kind == "session":
            out.append(f"# {r.get('title', '')}\n")
        elif kind == "step":
            title = r.get("title") or r.get("type", "")
            out.append(f"\n== {r.get('index', 0) + 1}. {title} ==\n")
            if r.get("text"):
                out.append(str(r["text"]).rstrip("\n") + "\n\n")
        elif kind == "command":
            out.append(f"{r.get('prompt', '')}{r.get('line', '')}\n{r.get('output', '')}")
        elif kind == "check":
            out.append(f"[check {'passed' if r.get('passed') else 'FAILED'}] {r.get('message', '')}\n")
        elif kind == "quiz":
            out.append(f"[quiz] {r.get('answer', '')} -> {'correct' if r.get('correct') else 'wrong'}: "
                       f"{r.get('feedback', '')}\n")
        elif kind == "hint":
            out.append(f"[hint {r.get('n', '')}] {r.get('text', '')}\n")
        elif kind == "end":
            out.append(f"\n[end] {'completed' if r.get('completed') else 'not completed'}\n")
    return "".join(out)


__all__ = ["CAPTURE_LIMIT", "CommandResult", "QuizResult", "Session", "SessionError", "StepState", "build_lab", "iso",
           "read_journal", "transcript_text"]
