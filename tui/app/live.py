"""The lesson session as the player needs it: commands that run in virtual real time.

:class:`tui.lesson.session.Session` runs a command to its end at once
(``shell.run_line``), which suits a headless run. The player instead lets the
learner watch ``ping 8.8.8.8`` tick and stop it with Ctrl-C, while background
tasks keep running as time passes. This adapter adds that on top of Session
without changing what it records:

- :meth:`PlayerSession.start` / :meth:`poll` / :meth:`interrupt` run a line
  with ``Shell.start_line`` while the app's timer calls :meth:`advance`;
  when the line ends it is journaled exactly like ``Session.run`` does.
- Every action is stamped with the virtual time it happened at, and a live
  command also keeps when it was interrupted and when it ended, so that
  going back (which rebuilds the lab from the seed and replays the actions)
  lets the same time pass and interrupts at the same instants: the state the
  learner returns to is the exact state they left, idle time included.

It touches Session's private replay hooks (``_do``, ``_replay_to``,
``_actions``), so it is kept small; the methods belong in Session itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.lesson.session import CommandResult, Session, _Action, normalize_command

# How many engine events one timer tick may run; beyond that virtual time lags
# behind the wall clock rather than freezing the screen (a flood, a big scale-up).
TICK_EVENT_BUDGET = 50_000


@dataclass
class _Live:
    """A command line running in the learner's shell, not finished yet."""

    host: str
    line: str
    prompt: str
    v_start: int
    first_chunk: int
    shell: Any
    interrupts: list[int] = field(default_factory=list)


class PlayerSession(Session):
    """A :class:`Session` whose commands run while the player's clock ticks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._live: _Live | None = None
        super().__init__(*args, **kwargs)

    # ---- time ------------------------------------------------------------------------------------
    def advance(self, dt: int, budget: int = TICK_EVENT_BUDGET) -> bool:
        """Let ``dt`` virtual nanoseconds pass (events run in order); False if the budget cut it short."""
        clock = self.lab.clock
        end = clock.now + dt
        n = 0
        while True:
            nxt = clock.next_time()
            if nxt is None or nxt > end:
                clock.now = max(clock.now, end)
                return True
            clock.step()
            n += 1
            if n >= budget:
                return False

    def _run_to(self, when: int) -> None:
        """Replay helper: run every event up to ``when`` and stand there."""
        clock = self.lab.clock
        while True:
            nxt = clock.next_time()
            if nxt is None or nxt > when:
                break
            clock.step()
        clock.now = max(clock.now, when)

    # ---- live commands ---------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A command started with :meth:`start` is still running."""
        return self._live is not None

    @property
    def live_shell(self) -> Any:
        """The shell the running command was typed into (the console shows it)."""
        return self._live.shell if self._live is not None else self.shell

    def start(self, line: str, host: str | None = None) -> CommandResult | None:
        """Type ``line`` at the prompt. The result at once if it ended at once, else None (then poll)."""
        if self._live is not None:
            raise RuntimeError("a command is already running")
        host = self._check_host(host or self.host)
        self.host = host
        shell = self._shell(host)
        self._live = _Live(host, line, shell.prompt, self.lab.clock.now, len(shell.terminal.chunks), shell)
        if shell.start_line(line, echo=True):
            return None
        return self._finish_live(shell.last_status)

    def poll(self) -> CommandResult | None:
        """The result once the running command has ended (call after :meth:`advance`)."""
        live = self._live
        if live is None:
            return None
        status = live.shell.poll()
        if status is None:
            return None
        return self._finish_live(status)

    def interrupt(self) -> bool:
        """Ctrl-C: signal the running command (False when nothing runs)."""
        live = self._live
        if live is None:
            return False
        live.interrupts.append(self.lab.clock.now)
        return bool(live.shell.interrupt())

    def _finish_live(self, status: int) -> CommandResult:
        live = self._live
        assert live is not None
        self._live = None
        action = _Action(self.step, "run", live.host, live.line)
        action.live = True  # type: ignore[attr-defined]
        action.v = live.v_start  # type: ignore[attr-defined]
        action.v_end = self.lab.clock.now  # type: ignore[attr-defined]
        action.interrupts = list(live.interrupts)  # type: ignore[attr-defined]
        self._actions.append(action)
        return self._record(live, status)

    def _record(self, live: _Live, status: int) -> CommandResult:
        """Journal a finished line the way ``Session._run`` does."""
        chunks = live.shell.terminal.chunks[live.first_chunk:]
        if chunks and chunks[0].stream == "echo" and chunks[0].text == f"{live.prompt}{live.line}\n":
            chunks = chunks[1:]
        output = "".join(c.text for c in chunks)
        result = CommandResult(self.step, live.host, live.prompt, live.line, output, status, live.v_start,
                               self.lab.clock.now)
        self.last_output, self.last_status = output, status
        self._step_lines.append(normalize_command(live.line))
        self._emit({"kind": "command", "step": self.step, "host": live.host, "prompt": live.prompt,
                    "line": live.line, "output": output, "status": status, "v_start": live.v_start,
                    "v_end": result.v_end, "wall": self._wall_iso()})
        self._sync_packets()
        return result

    def _replay_live(self, action: Any) -> CommandResult:
        shell = self._shell(action.host)
        live = _Live(action.host, action.line, shell.prompt, self.lab.clock.now, len(shell.terminal.chunks), shell)
        status: int | None = None
        if shell.start_line(action.line, echo=True):
            for when in action.interrupts:
                self._run_to(when)
                if shell.busy:
                    shell.interrupt()
            self._run_to(action.v_end)
            status = shell.poll()
            if status is None:  # cannot happen with the same seed; end it as the terminal would
                shell.interrupt()
                status = shell.finish_line()
        else:
            status = shell.last_status
        return self._record(live, status)

    # ---- replay with time ------------------------------------------------------------------------
    def _do(self, action: _Action) -> Any:
        clock = self.lab.clock
        v = getattr(action, "v", None)
        if v is None:
            action.v = clock.now  # type: ignore[attr-defined]
        elif v > clock.now:
            self._run_to(v)  # replaying: the same idle time passes before the action
        if getattr(action, "live", False):
            self._actions.append(action)
            return self._replay_live(action)
        return super()._do(action)

    def _replay_to(self, index: int) -> None:
        entered = next((getattr(a, "v", None) for a in self._actions if a.step == index and a.kind == "enter"),
                       None)
        self._live = None
        super()._replay_to(index)
        if entered is not None and entered > self.lab.clock.now:
            quiet, self._quiet = self._quiet, True
            try:
                self._run_to(entered)
            finally:
                self._quiet = quiet
            self._collect_captures()
            self._seen = [len(c.records) for c in self._captures]

    # ---- navigation while a command runs ---------------------------------------------------------
    def stop_live(self) -> None:
        """End a running command before the lab changes under it (next step, back, reset)."""
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


__all__ = ["PlayerSession", "TICK_EVENT_BUDGET"]
