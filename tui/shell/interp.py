"""The interactive shell session: runs command lines as processes in virtual time.

Every command line becomes a foreground *job*: a process (the shell's own
logic) that runs the parsed list; each external command and each pipeline
stage is a child :class:`~tui.engine.process.Process` with its own pid, so
signals, pipes and background jobs behave like bash's. :meth:`Shell.run_line`
drives the lab clock until the foreground job is done; a command that never
ends is interrupted (``^C``) after :attr:`Shell.foreground_limit` of virtual
time, as a learner would press Ctrl-C. Nothing here reads the wall clock or
the global ``random`` module, so a seed replays exactly.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Protocol

from tui.engine.clock import MS, SEC
from tui.engine.process import SIGINT, SIGKILL, SIGTERM, Interrupted, Process
from tui.shell import registry
from tui.shell.expand import ExpansionError, expand_heredoc, expand_word, expand_words
from tui.shell.lexer import Word
from tui.shell.parser import (
    AndOr,
    For,
    Group,
    If,
    ListNode,
    ParseError,
    Parser,
    Pipeline,
    Redir,
    Simple,
    Subshell,
    While,
    unparse,
)
from tui.shell.registry import Ctx, LoopControl, ShellExit
from tui.shell.terminal import (
    BufferSink,
    CallableSink,
    FileSink,
    Input,
    NullSink,
    Pipe,
    PipeSink,
    Sink,
    Terminal,
    TerminalSink,
)

if TYPE_CHECKING:
    from tui.engine.host import Host, Sandbox
    from tui.engine.lab import Lab

SIGHUP = 1
SIGPIPE = 13

Gen = Generator[Any, Any, Any]

SIGNAL_NAMES = {
    1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 5: "TRAP", 6: "ABRT", 7: "BUS", 8: "FPE", 9: "KILL",
    10: "USR1", 11: "SEGV", 12: "USR2", 13: "PIPE", 14: "ALRM", 15: "TERM", 16: "STKFLT", 17: "CHLD",
    18: "CONT", 19: "STOP", 20: "TSTP", 21: "TTIN", 22: "TTOU", 23: "URG", 24: "XCPU", 25: "XFSZ",
    26: "VTALRM", 27: "PROF", 28: "WINCH", 29: "IO", 30: "PWR", 31: "SYS",
}
_DEATH = {
    1: "Hangup", 2: "Interrupt", 3: "Quit", 4: "Illegal instruction", 6: "Aborted", 9: "Killed",
    10: "User defined signal 1", 11: "Segmentation fault", 12: "User defined signal 2",
    13: "Broken pipe", 14: "Alarm clock", 15: "Terminated",
}

GNU_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin"
BUSYBOX_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Capture(Protocol):
    """What a tcpdump run appends to :attr:`Shell.captures` (for ``--pcap``).

    ``records`` holds ``(ts_ns, frame)`` tuples or objects with ``t_wall`` and
    ``data`` (the engine's capture records); ``linktype_hint``, when present,
    wins over ``linktype``.
    """

    @property
    def records(self) -> list[tuple[int, bytes]]: ...

    @property
    def linktype(self) -> int: ...


# ---- state -----------------------------------------------------------------


class ShellState:
    """One shell process's state: variables, cwd, ``$?``, and (interactive) its jobs.

    An interactive state is also a *frame* of the session: ``ssh HOST`` or
    ``bash`` push a new one, ``exit`` pops it.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        pid: int,
        interactive: bool,
        kind: str = "top",
        label: str = "",
    ) -> None:
        self.sandbox = sandbox
        self.pid = pid
        self.interactive = interactive
        self.kind = kind  # "top", "ssh" (login shell over ssh), "shell" (nested bash/sh)
        self.label = label  # the host as typed to ssh
        self.name = "bash" if sandbox.tools == "gnu" else "sh"
        self.cwd = "/root" if sandbox.tools == "gnu" else "/"
        self.vars: dict[str, str] = {
            "HOME": "/root",
            "PATH": GNU_PATH if sandbox.tools == "gnu" else BUSYBOX_PATH,
            "USER": "root",
            "LOGNAME": "root",
            "SHELL": "/bin/bash" if sandbox.tools == "gnu" else "/bin/sh",
            "TERM": "xterm-256color",
            "PWD": self.cwd,
            "SHLVL": "1",
            "HOSTNAME": sandbox.hostname,
        }
        self.exported: set[str] = {"HOME", "PATH", "USER", "LOGNAME", "SHELL", "TERM", "PWD", "SHLVL"}
        self.positional: list[str] = []
        self.status = 0
        self.last_bg: int | None = None
        self.jobs: list[Job] = []  # background jobs started here (numbered when interactive)
        self.exit_status: int | None = None  # set by `exit` in an interactive frame

    def copy(self) -> ShellState:
        """A subshell: same variables and cwd, not interactive, no jobs."""
        new = object.__new__(ShellState)
        new.__dict__.update(self.__dict__)
        new.vars = dict(self.vars)
        new.exported = set(self.exported)
        new.positional = list(self.positional)
        new.interactive = False
        new.jobs = []
        new.exit_status = None
        return new

    def get(self, name: str) -> str | None:
        if name == "RANDOM":
            return str(self.sandbox.lab.rng.randrange(32768))
        return self.vars.get(name)

    def set(self, name: str, value: str, *, export: bool = False) -> None:
        self.vars[name] = value
        if export:
            self.exported.add(name)

    def unset(self, name: str) -> None:
        self.vars.pop(name, None)
        self.exported.discard(name)

    def environ(self) -> dict[str, str]:
        """The exported variables (what a command gets as its environment)."""
        return {k: self.vars[k] for k in sorted(self.exported) if k in self.vars}


class Job:
    """A process group: the foreground line, a background job, or a remote session."""

    def __init__(self, text: str, *, background: bool, parent: Job | None = None) -> None:
        self.id = 0  # job number in an interactive shell's table (0: not in a table)
        self.text = text
        self.background = background
        self.parent = parent
        self.procs: list[Process] = []  # live processes of the group, in creation order
        self.runner: Process | None = None
        self.pid = 0
        self.signals: set[int] = set()
        self.sigint = False  # the terminal's Ctrl-C reached this job
        self.notified = False
        self.stopped_by_shell = False  # stopped at the end of a script: not announced

    def add(self, proc: Process) -> None:
        self.procs.append(proc)
        if self.parent is not None:
            self.parent.add(proc)

        def gone(_status: object) -> None:
            if proc in self.procs:
                self.procs.remove(proc)

        proc.exited.add_callback(gone)

    @property
    def done(self) -> bool:
        return self.runner is not None and self.runner.done

    @property
    def status(self) -> int | None:
        return None if self.runner is None else self.runner.status

    def describe(self) -> str:
        """bash's word for the job's state: Running, Done, Exit N, Terminated..."""
        status = self.status
        if status is None:
            return "Running"
        if status > 128 and status - 128 in self.signals:
            return _DEATH.get(status - 128, f"Signal {status - 128}")
        return "Done" if status == 0 else f"Exit {status}"


class Env:
    """Where a piece of shell code runs: its state, process group, process and open files."""

    __slots__ = ("state", "job", "proc", "fds", "loops")

    def __init__(
        self,
        state: ShellState,
        job: Job,
        proc: Process | None,
        fds: dict[int, Any],
        loops: int = 0,
    ) -> None:
        self.state = state
        self.job = job
        self.proc = proc
        self.fds = fds  # 0: Input | None (terminal); 1, 2, ...: Sink
        self.loops = loops

    def with_fds(self, fds: dict[int, Any]) -> Env:
        return Env(self.state, self.job, self.proc, fds, self.loops)

    def write(self, fd: int, text: str) -> None:
        sink = self.fds.get(fd)
        if isinstance(sink, Sink):
            sink.write(text, self.proc)


class _Expand:
    """The expansion context of one command (see :class:`tui.shell.expand.Context`)."""

    home = "/root"

    def __init__(self, shell: Shell, env: Env) -> None:
        self.shell = shell
        self.env = env
        self.sub_status: int | None = None

    def get_var(self, name: str) -> str | None:
        return self.env.state.get(name)

    def set_var(self, name: str, value: str) -> None:
        self.env.state.set(name, value)

    def positional(self) -> list[str]:
        return self.env.state.positional

    def special_param(self, name: str) -> str | None:
        state = self.env.state
        if name == "?":
            return str(state.status)
        if name == "$":
            return str(state.pid)
        if name == "!":
            return "" if state.last_bg is None else str(state.last_bg)
        if name == "#":
            return str(len(state.positional))
        if name == "0":
            return state.name
        if name == "-":
            return "himBHs" if state.interactive else "hB"
        return None

    def command_substitution(self, body: Any) -> Generator[Any, Any, str]:
        buf = BufferSink()
        env = self.env
        sub = Env(env.state.copy(), env.job, env.proc, {0: env.fds.get(0), 1: buf, 2: env.fds.get(2)})
        status = yield from self.shell._run_body(body, sub)
        self.sub_status = status
        env.state.status = status
        return buf.text()


# ---- the shell -------------------------------------------------------------


class Shell:
    """One terminal session on a lab host."""

    def __init__(
        self,
        lab: Lab,
        host_name: str | None = None,
        *,
        terminal: Terminal | None = None,
        foreground_limit: int = 10 * SEC,
    ) -> None:
        if host_name is None:
            if not lab.hosts:
                raise ValueError("the lab has no hosts")
            host_name = next(iter(lab.hosts))
        host = lab.hosts.get(host_name)
        if host is None:
            raise ValueError(f"no host named {host_name!r} in the lab")
        self.lab = lab
        self.clock = lab.clock
        self.terminal = terminal if terminal is not None else Terminal(lab.clock)
        self.foreground_limit = foreground_limit
        self._fg_until = 0  # a foreground command's own announced end (see expect_until)
        self.background_limit = 10 * SEC  # how long run_script waits for jobs at its end
        self.loop_tick = MS  # virtual time a loop iteration that did nothing else costs
        self.exited = False
        self.captures: list[Capture] = []
        self.keep_all_captures = False  # tcpdump keeps every record, not a bounded ring (the CLI's --pcap)
        self.history: list[str] = []
        self.host_resolvers: list[Callable[[str], Sandbox | None]] = []
        self.frames: list[ShellState] = [self._new_state(host, interactive=True)]
        self._fg: Job | None = None
        self._fg_interrupts = 0
        self._last_status = 0
        self._bg_jobs: list[Job] = []
        self._procs: dict[tuple[int, int], Process] = {}

    # ---- public view ----
    @property
    def state(self) -> ShellState:
        """The current frame (the shell the learner is typing into)."""
        return self.frames[-1]

    @property
    def sandbox(self) -> Sandbox:
        return self.state.sandbox

    @property
    def host(self) -> Host:
        return self.state.sandbox.host

    @property
    def cwd(self) -> str:
        return self.state.cwd

    @property
    def last_status(self) -> int:
        return self._last_status

    @property
    def busy(self) -> bool:
        """True while a foreground job started by :meth:`start_line` runs."""
        return self._fg is not None and not self._fg.done

    @property
    def prompt(self) -> str:
        state = self.state
        cwd = state.cwd
        home = state.vars.get("HOME", "/root")
        if cwd == home:
            shown = "~"
        elif cwd.startswith(home.rstrip("/") + "/"):
            shown = "~" + cwd[len(home.rstrip("/")) :]
        else:
            shown = cwd
        if state.sandbox.tools == "busybox":
            return f"{shown} # "
        return f"root@{state.sandbox.hostname}:{shown}# "

    def jobs(self) -> list[Job]:
        """The current frame's job table."""
        return [j for j in self.state.jobs if j.id]

    # ---- running lines ----
    def run_line(self, line: str, *, echo: bool = False) -> int:
        """Run one command line in the foreground and return its status."""
        if self.exited:
            return self._last_status
        if echo:
            self.terminal.write(f"{self.prompt}{line}\n", "echo")
        try:
            if self._start(line, self._parse(line)):
                self._drive()
            return self._end()
        except Exception as exc:  # an engine bug: report it in one line, keep the session
            self._internal_error(exc)
            self._fg = None
            return 1

    def start_line(self, line: str, *, echo: bool = False) -> bool:
        """Begin a line without driving the clock (for a UI that runs time itself).

        Returns True if a foreground job is running; then call :meth:`poll`.
        """
        if self.exited:
            return False
        if echo:
            self.terminal.write(f"{self.prompt}{line}\n", "echo")
        try:
            if self._start(line, self._parse(line)):
                return True
            self._end()
        except Exception as exc:
            self._internal_error(exc)
            self._fg = None
        return False

    def poll(self) -> int | None:
        """After :meth:`start_line`: the status once the foreground job ended, else None."""
        if self._fg is not None and not self._fg.done:
            self._flush_now()  # what is due now (e.g. the job's reaction to a signal)
            if not self._fg.done:
                return None
        try:
            return self._end()
        except Exception as exc:
            self._internal_error(exc)
            self._fg = None
            return 1

    def finish_line(self) -> int:
        """Drive the clock until the foreground job ends (Ctrl-C after the limit); its status."""
        try:
            if self._fg is not None:
                self._drive()
            return self._end()
        except Exception as exc:
            self._internal_error(exc)
            self._fg = None
            return 1

    def processes(self) -> list[Process]:
        """Live processes the session started (on every host), oldest first."""
        return [p for p in self._procs.values() if not p.done]

    def interrupt(self, sig: int = SIGINT) -> bool:
        """Ctrl-C: show ``^C`` and signal the foreground job. False if nothing runs."""
        job = self._fg
        if job is None or job.done:
            return False
        self._fg_interrupts += 1
        self.terminal.write("^C", "echo")
        if self._fg_interrupts > 3:
            sig = SIGKILL
        job.sigint = job.sigint or sig == SIGINT
        live = [p for p in job.procs if not p.done]
        if sig == SIGKILL:
            live.append(job.runner)  # type: ignore[arg-type]
        elif not live:
            live = [job.runner]  # type: ignore[list-item]
        for proc in live:
            self._deliver(proc, sig)
        return True

    def run_script(self, text: str, *, echo: bool = True) -> int:
        """Run a script line by line as if typed, echoing prompts; returns the last status.

        Lines continue while a command is incomplete (open quote, ``&&`` at the
        end, ``for ... do`` without ``done``), and here-documents take their
        body from the following lines, shown with bash's ``> `` prompt.
        """
        lines = text.splitlines()
        i = 0
        status = self._last_status
        while i < len(lines) and not self.exited:
            line = lines[i]
            i += 1
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if echo:
                self.terminal.write(f"{self.prompt}{line}\n", "echo")
            buf = line
            while True:
                if _continues(buf) and i < len(lines):
                    buf, i = self._more(buf, lines, i, echo)
                    continue
                try:
                    parser = Parser(buf)
                    ast: ListNode | ParseError = parser.parse()
                except RecursionError:
                    ast = ParseError("maximum nesting level exceeded", kind="other")
                    parser = None  # type: ignore[assignment]
                except ParseError as err:
                    if err.incomplete and i < len(lines):
                        buf, i = self._more(buf, lines, i, echo)
                        continue
                    ast = err
                    parser = None  # type: ignore[assignment]
                break
            if parser is not None:
                for redir in parser.heredocs:
                    i = self._read_heredoc(redir, lines, i, echo)
            try:
                if self._start(buf, ast):
                    self._drive()
                status = self._end()
            except Exception as exc:
                self._internal_error(exc)
                self._fg = None
                status = 1
        try:
            self._wind_down()
        except Exception as exc:
            self._internal_error(exc)
        return status

    def _more(self, buf: str, lines: list[str], i: int, echo: bool) -> tuple[str, int]:
        nxt = lines[i]
        if echo:
            self.terminal.write(f"> {nxt}\n", "echo")
        return buf + "\n" + nxt, i + 1

    def _read_heredoc(self, redir: Redir, lines: list[str], i: int, echo: bool) -> int:
        delim = redir.target.static_text() or ""
        body: list[str] = []
        while i < len(lines):
            line = lines[i]
            i += 1
            if echo:
                self.terminal.write(f"> {line}\n", "echo")
            check = line.lstrip("\t") if redir.op == "<<-" else line
            if check == delim:
                redir.body = Word([], "".join(s + "\n" for s in body))
                return i
            body.append(check)
        self.terminal.write(
            f"{self.state.name}: warning: here-document at line 1 delimited by end-of-file (wanted `{delim}')\n",
            "err",
        )
        redir.body = Word([], "".join(s + "\n" for s in body))
        return i

    # ---- the foreground job ----
    def _parse(self, line: str) -> ListNode | ParseError:
        try:
            parser = Parser(line)
            ast = parser.parse()
        except ParseError as err:
            return err
        except RecursionError:
            return ParseError("maximum nesting level exceeded", kind="other")
        for redir in parser.heredocs:
            if redir.body is None:
                delim = redir.target.static_text() or ""
                self.terminal.write(
                    f"{self.state.name}: warning: here-document at line 1 delimited by end-of-file "
                    f"(wanted `{delim}')\n",
                    "err",
                )
        return ast

    def _start(self, text: str, ast: ListNode | ParseError) -> bool:
        state = self.state
        if text.strip():
            self.history.append(text.rstrip("\n"))
        self._fg = None
        if isinstance(ast, ParseError):
            self.terminal.write(ast.format(state.name) + "\n", "err")
            state.status = 2
            self._last_status = 2
            return False
        if not ast.items:
            self._last_status = state.status
            return False
        job = Job(text, background=False)
        env = Env(state, job, None, {0: None, 1: TerminalSink(self.terminal, "out"), 2: TerminalSink(self.terminal, "err")})
        runner = Process(self.clock, self._top(ast, env), pid=state.pid, name=state.name, on_error=self._internal_error)
        env.proc = runner
        job.runner = runner
        self._fg = job
        self._fg_interrupts = 0
        runner.start()
        return True

    def _top(self, ast: ListNode, env: Env) -> Gen:
        try:
            status = yield from self._exec_list(ast, env)
        except ShellExit as exc:
            env.state.exit_status = exc.status
            status = exc.status
        except Interrupted as exc:
            status = 128 + exc.signal
        except LoopControl:
            status = 0
        env.state.status = status
        return status

    def expect_until(self, when: int) -> None:
        """A command that knows it ends by ``when`` (``sleep 100``, ``ping -c 30``) is not cut short."""
        self._fg_until = max(getattr(self, "_fg_until", 0), when)

    def _drive(self) -> None:
        job = self._fg
        assert job is not None
        while not job.done:
            deadline = max(self.clock.now + self.foreground_limit, self._fg_until + SEC)
            self.clock.run_until(lambda: job.done, deadline)
            if job.done:
                break
            if self.clock.now < deadline:  # nothing left to happen: the learner waits, then Ctrl-C
                self.clock.advance(deadline - self.clock.now)
            if not job.done:
                self.interrupt()

    def _end(self) -> int:
        job, self._fg = self._fg, None
        self._fg_until = 0
        if job is not None:
            status = job.status if job.status is not None else 1
            if self._fg_interrupts and status > 128:
                self.terminal.write("\n", "echo")
            self._last_status = status
            self._flush_now()
            while not self.exited and any(s.exit_status is not None for s in self.frames):
                self._leave_frame()
        self._notify(self.state)
        return self._last_status

    def _flush_now(self, budget: int = 100_000) -> None:
        """Run what is due at this very instant (a background ``echo &`` shows before the prompt)."""
        clock = self.clock
        for _ in range(budget):
            nxt = clock.next_time()
            if nxt is None or nxt > clock.now:
                return
            clock.step()

    def _leave_frame(self) -> None:
        state = self.state
        for job in state.jobs:
            if not job.done:
                job.stopped_by_shell = True
                self._signal_job(job, SIGHUP)
        self._flush_now()
        if len(self.frames) == 1:
            self.exited = True
            return
        self.frames.pop()
        self.state.status = state.exit_status if state.exit_status is not None else state.status
        self._last_status = self.state.status
        if state.kind == "ssh":
            self.terminal.write(f"Connection to {state.label} closed.\n", "err")

    # ---- job table ----
    def _notify(self, state: ShellState) -> None:
        """Announce finished background jobs, as bash does before a prompt."""
        for job in sorted(state.jobs, key=lambda j: j.id):
            if job.done and job.id:
                if not job.stopped_by_shell:
                    self.terminal.write(self.job_line(state, job) + "\n", "err")
                self._forget(state, job)
        state.jobs = [j for j in state.jobs if not (j.done and not j.id)]

    def job_line(self, state: ShellState, job: Job, *, pid: bool = False) -> str:
        """``[1]+  Running                 sleep 5 &`` in bash's layout."""
        numbered = [j for j in state.jobs if j.id]
        mark = " "
        if numbered and numbered[-1] is job:
            mark = "+"
        elif len(numbered) > 1 and numbered[-2] is job:
            mark = "-"
        desc = job.describe()
        text = job.text + (" &" if desc == "Running" else "")
        if pid:
            return f"[{job.id}]{mark} {job.pid:>5} {desc:<24}{text}"
        return f"[{job.id}]{mark}  {desc:<24}{text}"

    def _forget(self, state: ShellState, job: Job) -> None:
        job.notified = True
        if job in state.jobs:
            state.jobs.remove(job)

    def find_job(self, state: ShellState, spec: str) -> Job | None:
        """Resolve a jobspec (``%1``, ``%%``, ``%+``, ``%-``, ``%name``) in a state's table."""
        numbered = [j for j in state.jobs if j.id]
        body = spec[1:] if spec.startswith("%") else spec
        if body in ("", "%", "+"):
            return numbered[-1] if numbered else None
        if body == "-":
            return numbered[-2] if len(numbered) > 1 else (numbered[-1] if numbered else None)
        if body.isdigit():
            return next((j for j in numbered if j.id == int(body)), None)
        if body.startswith("?"):
            return next((j for j in reversed(numbered) if body[1:] in j.text), None)
        return next((j for j in reversed(numbered) if j.text.startswith(body)), None)

    def find_process(self, state: ShellState, pid: int) -> tuple[Job | None, Process | None]:
        """The job whose leader has ``pid``, or else the live process with that pid on this host."""
        for job in self._bg_jobs:
            if job.pid == pid and not job.done:
                return job, job.runner
        return None, self._procs.get((id(state.sandbox.host), pid))

    # ---- signals ----
    def _deliver(self, proc: Process, sig: int) -> None:
        """Signal a process; if its code is running right now, at the next instant instead."""
        if proc.done:
            return
        gen = proc.gen
        if getattr(gen, "gi_running", False):
            self.clock.call_later(0, self._deliver, proc, sig)
            return
        proc.signal(sig)

    def _signal_job(self, job: Job, sig: int) -> None:
        job.signals.add(sig)
        procs = list(job.procs)
        if job.runner is not None and job.runner not in procs and not job.runner.done:
            procs.insert(0, job.runner)
        for proc in procs:  # parents first: a dead ssh client no longer shows remote output
            self._deliver(proc, sig)

    def signal_job(self, job: Job, sig: int) -> None:
        """Send a signal to every process of a job (what ``kill %N`` does)."""
        self._signal_job(job, sig)

    def _sigpipe(self, proc: Process) -> None:
        self.clock.call_later(0, self._deliver, proc, SIGPIPE)

    # ---- script end ----
    def _wind_down(self) -> None:
        """Let background jobs finish (bounded), then stop the rest quietly."""
        pending = [j for j in self._bg_jobs if not j.done]
        if pending:
            self.clock.run_until(lambda: all(j.done for j in pending), self.clock.now + self.background_limit)
        for sig in (SIGTERM, SIGKILL):
            pending = [j for j in self._bg_jobs if not j.done]
            if not pending:
                break
            for job in pending:
                job.stopped_by_shell = True
                self._signal_job(job, sig)
            self._flush_now()
            self.clock.run_until(functools.partial(_all_done, pending), self.clock.now + 100 * MS)
        if not self.exited:
            self._notify(self.state)

    # ---- window size ----
    def resize(self, columns: int | None, lines: int | None) -> None:
        """The terminal window is ``columns`` x ``lines`` now (None: unknown), as SIGWINCH tells programs.

        Commands read it with :func:`tui.shell.registry.terminal_size`;
        interactive bash frames keep ``COLUMNS`` and ``LINES`` to it, as bash
        (readline, checkwinsize) does.
        """
        self.terminal.resize(columns, lines)
        for state in self.frames:
            self._window_vars(state)

    def _window_vars(self, state: ShellState) -> None:
        term = self.terminal
        if not state.interactive or state.name != "bash" or term.columns is None or term.lines is None:
            return
        state.vars["COLUMNS"] = str(term.columns)
        state.vars["LINES"] = str(term.lines)

    # ---- frames ----
    def _new_state(self, sandbox: Sandbox, *, interactive: bool, kind: str = "top", label: str = "") -> ShellState:
        state = ShellState(sandbox, pid=sandbox.host.next_pid(), interactive=interactive, kind=kind, label=label)
        if interactive:
            self._window_vars(state)
        return state

    def enter(self, sandbox: Sandbox, *, kind: str = "shell", label: str = "") -> ShellState:
        """Start an interactive shell in ``sandbox`` on top of the current one.

        ``kind`` "ssh" makes ``exit`` print ``logout`` and ``Connection to LABEL
        closed.``; "shell" is a nested ``bash``/``sh`` (``docker exec -it C sh``).
        The prompt changes when the current line has finished.
        """
        state = self._new_state(sandbox, interactive=True, kind=kind, label=label)
        outer = self.state
        if kind == "shell" and outer.sandbox.fs is sandbox.fs:
            state.vars.update({k: v for k, v in outer.vars.items() if k in outer.exported})
            state.exported |= outer.exported
            level = outer.vars.get("SHLVL", "1")
            state.vars["SHLVL"] = str(int(level) + 1 if level.isdigit() else 1)
            state.cwd = outer.cwd
            state.vars["PWD"] = outer.cwd
        state.vars["HOSTNAME"] = sandbox.hostname
        self.frames.append(state)
        return state

    def resolve_host(self, name: str) -> Sandbox | None:
        """The machine ``ssh NAME`` reaches: a lab host name, then the resolvers.

        An address ``10.0.2.253`` also finds a host named ``ip-10-0-2-253``
        (the EC2 naming the scenarios use); the network model can add real
        address lookups to :attr:`host_resolvers`.
        """
        hosts = self.lab.hosts
        if name in hosts:
            return hosts[name]
        short = name.split(".", 1)[0]
        if short in hosts and not short.isdigit():
            return hosts[short]
        if name in ("localhost", "127.0.0.1", "::1"):
            return self.host
        ec2 = "ip-" + name.replace(".", "-")
        if ec2 in hosts:
            return hosts[ec2]
        for resolver in self.host_resolvers:
            found = resolver(name)
            if found is not None:
                return found
        return None

    # ---- entry points for commands ----
    def exec_argv(
        self,
        argv: list[str],
        *,
        sandbox: Sandbox,
        ctx: Ctx,
        on_not_found: Callable[[str], int | None] | None = None,
    ) -> Generator[Any, Any, int]:
        """Run ``argv`` in another sandbox within the caller's process (like exec).

        Output, error and input are the caller's. When the command does not
        exist there, ``on_not_found(name)`` prints the tool's own message
        (its return value is the status, default 127).
        """
        if not argv:
            return 0
        spec = registry.lookup_spec(argv[0], sandbox.tools)
        if spec is None:
            if on_not_found is not None:
                result = on_not_found(argv[0])
                return 127 if result is None else int(result)
            ctx.err(f"{ctx.name}: failed to execute {argv[0]}: No such file or directory\n")
            return 127
        runtime: Env | None = ctx.runtime if isinstance(ctx.runtime, Env) else None
        state = runtime.state.copy() if runtime is not None else self._new_state(sandbox, interactive=False)
        if state.sandbox is not sandbox:
            same_fs = state.sandbox.fs is sandbox.fs
            state.sandbox = sandbox
            state.name = "bash" if sandbox.tools == "gnu" else "sh"
            if not same_fs:
                state.cwd = "/root" if sandbox.tools == "gnu" else "/"
        job = runtime.job if runtime is not None else Job(" ".join(argv), background=False)
        proc = runtime.proc if runtime is not None else None
        fds = {0: ctx.input, 1: CallableSink(ctx.out), 2: CallableSink(ctx.err)}
        sub = Ctx(
            argv=list(argv), env=dict(ctx.env), sandbox=sandbox, shell=self, stdin=ctx.stdin,
            out=ctx.out, err=ctx.err, input=ctx.input, cwd=state.cwd,
            runtime=Env(state, job, proc, fds, runtime.loops if runtime else 0),
        )
        if ctx.input is not None and not spec.stream_input and sub.stdin is None:
            sub.stdin = yield from ctx.input.read_all()
        return (yield from registry.run_command(sub, spec.handler))

    def run_remote(self, text: str, *, sandbox: Sandbox, ctx: Ctx) -> Generator[Any, Any, int]:
        """Run a command line in a fresh non-interactive shell in ``sandbox`` (``ssh HOST CMD``, ``bash -c``).

        Output goes to the caller's ``out``/``err``. If the caller is stopped
        (killed, interrupted), the remote processes get SIGHUP, as when an ssh
        connection drops.
        """
        state = self._new_state(sandbox, interactive=False)
        try:
            ast = Parser(text).parse()
        except RecursionError:
            ctx.err(f"{state.name}: maximum nesting level exceeded\n")
            return 2
        except ParseError as err:
            if err.kind in ("near", "eof", "quote", "other") and state.name == "bash":
                ctx.err(f"bash: -c: line 1: {err.message}\n")
                if err.kind == "near":
                    ctx.err(f"bash: -c: line 1: `{text}'\n")
            else:
                ctx.err(err.format(state.name) + "\n")
            return 2
        runtime: Env | None = ctx.runtime if isinstance(ctx.runtime, Env) else None
        parent = runtime.job if runtime is not None else None
        group = Job(text, background=False, parent=parent)
        stdin: Input | None = ctx.input
        if stdin is None and ctx.stdin is not None:
            stdin = Input.from_text(ctx.stdin)
        connected = [True]

        def out(text: str) -> None:
            if connected[0]:
                ctx.out(text)

        def err(text: str) -> None:
            if connected[0]:
                ctx.err(text)

        env = Env(state, group, runtime.proc if runtime else None, {0: stdin, 1: CallableSink(out), 2: CallableSink(err)})
        finished = False
        try:
            status = yield from self._run_body(ast, env)
            finished = True
        finally:
            if not finished:  # the connection dropped: what the remote side prints is lost
                connected[0] = False
                for proc in list(group.procs):
                    self._deliver(proc, SIGHUP)
        return status

    # ---- execution ----
    def _run_body(self, body: ListNode, env: Env) -> Gen:
        """A subshell's body: ``exit`` ends only it."""
        try:
            status = yield from self._exec_list(body, env)
        except ShellExit as exc:
            status = exc.status
        except LoopControl:
            status = 0
        env.state.status = status
        return status

    def _exec_list(self, node: ListNode, env: Env) -> Gen:
        status = env.state.status
        for item in node.items:
            if item.background:
                self._start_background(item.andor, env)
                status = 0
                env.state.status = 0
            else:
                status = yield from self._exec_andor(item.andor, env)
        return status

    def _exec_andor(self, node: AndOr, env: Env) -> Gen:
        status = yield from self._exec_pipeline(node.first, env)
        for op, pipeline in node.rest:
            if (op == "&&") == (status == 0):
                status = yield from self._exec_pipeline(pipeline, env)
        return status

    def _exec_pipeline(self, node: Pipeline, env: Env) -> Gen:
        if len(node.commands) == 1:
            status = yield from self._exec_command(node.commands[0], env, forked=False)
        else:
            status = yield from self._exec_stages(node, env)
        if node.negate:
            status = int(status == 0)
        env.state.status = status
        if env.job.sigint and status == 128 + SIGINT:
            # A child died of the terminal's Ctrl-C: the shell abandons the rest, like bash.
            raise Interrupted(SIGINT)
        return status

    def _exec_stages(self, node: Pipeline, env: Env) -> Gen:
        n = len(node.commands)
        pipes = [Pipe() for _ in range(n - 1)]
        procs: list[Process] = []
        for i, cmd in enumerate(node.commands):
            fds = dict(env.fds)
            if i > 0:
                fds[0] = Input(pipes[i - 1])
            if i < n - 1:
                sink = PipeSink(pipes[i], self._sigpipe)
                fds[1] = sink
                if node.stderr_too[i]:
                    fds[2] = sink
            stage_env = Env(env.state.copy(), env.job, None, fds, env.loops)
            proc = self._spawn(self._stage(cmd, stage_env), stage_env, _command_name(cmd))
            stage_env.proc = proc
            proc.exited.add_callback(_stage_closer(pipes, i))
            procs.append(proc)
        for proc in procs:
            proc.start()
        for proc in procs:
            if not proc.done:
                yield proc.exited
        return procs[-1].status or 0

    def _stage(self, cmd: Any, env: Env) -> Gen:
        try:
            status = yield from self._exec_command(cmd, env, forked=True)
        except ShellExit as exc:
            status = exc.status
        except LoopControl:
            status = 0
        return status

    def _exec_command(self, cmd: Any, env: Env, *, forked: bool) -> Gen:
        if isinstance(cmd, Simple):
            return (yield from self._exec_simple(cmd, env, forked=forked))
        fds = yield from self._redirect(cmd.redirs, env)
        if fds is None:
            return 1
        inner = env.with_fds(fds)
        if isinstance(cmd, Subshell):
            if forked:
                return (yield from self._run_body(cmd.body, inner))
            sub = Env(env.state.copy(), env.job, None, fds, 0)
            proc = self._spawn(self._run_body(cmd.body, sub), sub, "bash")
            sub.proc = proc
            proc.start()
            if not proc.done:
                yield proc.exited
            return proc.status or 0
        if isinstance(cmd, Group):
            return (yield from self._exec_list(cmd.body, inner))
        if isinstance(cmd, If):
            for cond, body in cmd.clauses:
                status = yield from self._exec_list(cond, inner)
                if status == 0:
                    return (yield from self._exec_list(body, inner))
            if cmd.orelse is not None:
                return (yield from self._exec_list(cmd.orelse, inner))
            return 0
        if isinstance(cmd, While):
            return (yield from self._exec_while(cmd, inner))
        if isinstance(cmd, For):
            return (yield from self._exec_for(cmd, inner))
        return 0

    def _exec_while(self, cmd: While, env: Env) -> Gen:
        status = 0
        body_env = Env(env.state, env.job, env.proc, env.fds, env.loops + 1)
        while True:
            started = self.clock.now
            cond = yield from self._exec_list(cmd.cond, env)
            if (cond == 0) == cmd.until:
                break
            try:
                status = yield from self._exec_list(cmd.body, body_env)
            except LoopControl as ctl:
                if ctl.levels > 1:
                    ctl.levels -= 1
                    raise
                if ctl.kind == "break":
                    break
            if self.clock.now == started:
                yield self.loop_tick
        return status

    def _exec_for(self, cmd: For, env: Env) -> Gen:
        if cmd.items is None:
            items = list(env.state.positional)
        else:
            try:
                items = yield from expand_words(cmd.items, _Expand(self, env))
            except ExpansionError as exc:
                env.write(2, f"{env.state.name}: {exc.message}\n")
                return exc.status
        status = 0
        body_env = Env(env.state, env.job, env.proc, env.fds, env.loops + 1)
        for value in items:
            started = self.clock.now
            env.state.set(cmd.var, value)
            try:
                status = yield from self._exec_list(cmd.body, body_env)
            except LoopControl as ctl:
                if ctl.levels > 1:
                    ctl.levels -= 1
                    raise
                if ctl.kind == "break":
                    break
            if self.clock.now == started:
                yield self.loop_tick
        return status

    def _exec_simple(self, cmd: Simple, env: Env, *, forked: bool) -> Gen:
        state = env.state
        cx = _Expand(self, env)
        try:
            argv = yield from expand_words(cmd.words, cx)
            values = []
            for name, word, append in cmd.assigns:
                value = yield from expand_word(word, cx)
                values.append((name, value, append))
        except ExpansionError as exc:
            env.write(2, f"{state.name}: {exc.message}\n")
            return exc.status
        if not argv:
            for name, value, append in values:
                state.set(name, (state.get(name) or "") + value if append else value)
            fds = yield from self._redirect(cmd.redirs, env)
            if fds is None:
                return 1
            return cx.sub_status or 0
        fds = yield from self._redirect(cmd.redirs, env)
        if fds is None:
            return 1
        name = argv[0]
        sandbox = state.sandbox
        spec = registry.lookup_spec(name, sandbox.tools)
        if spec is None:
            message = f"{name}: command not found" if state.name == "bash" else f"{name}: not found"
            Env(state, env.job, env.proc, fds).write(2, f"{state.name}: {message}\n")
            return 127
        cmd_env = state.environ()
        for var, value, append in values:
            cmd_env[var] = (state.get(var) or "") + value if append else value
        if spec.builtin or forked:
            run_env = Env(state, env.job, env.proc, fds, env.loops)
            ctx = self._make_ctx(argv, cmd_env, run_env)
            return (yield from self._run_tool(spec, ctx, fds.get(0)))
        run_env = Env(state, env.job, None, fds, env.loops)
        ctx = self._make_ctx(argv, cmd_env, run_env)
        proc = self._spawn(self._run_tool(spec, ctx, fds.get(0)), run_env, name)
        run_env.proc = proc
        proc.start()
        if not proc.done:
            yield proc.exited
        return proc.status or 0

    def _make_ctx(self, argv: list[str], cmd_env: dict[str, str], env: Env) -> Ctx:
        fds = env.fds

        def out(text: str) -> None:
            sink = fds.get(1)
            if isinstance(sink, Sink):
                sink.write(text, env.proc)

        def err(text: str) -> None:
            sink = fds.get(2)
            if isinstance(sink, Sink):
                sink.write(text, env.proc)

        inp = fds.get(0)
        return Ctx(
            argv=argv, env=cmd_env, sandbox=env.state.sandbox, shell=self,
            stdin=None, out=out, err=err, input=inp if isinstance(inp, Input) else None,
            cwd=env.state.cwd, runtime=env,
        )

    def _run_tool(self, spec: registry.CommandSpec, ctx: Ctx, inp: Any) -> Gen:
        if isinstance(inp, Input) and not spec.stream_input:
            ctx.stdin = yield from inp.read_all()
        return (yield from registry.run_command(ctx, spec.handler))

    def _spawn(self, gen: Gen, env: Env, name: str) -> Process:
        host = env.state.sandbox.host
        pid = host.next_pid()
        proc = Process(self.clock, gen, pid=pid, name=name, on_error=self._internal_error)
        env.job.add(proc)
        key = (id(host), pid)
        self._procs[key] = proc
        proc.exited.add_callback(lambda _status: self._procs.pop(key, None))
        return proc

    def _start_background(self, node: AndOr, env: Env) -> None:
        state = env.state
        job = Job(unparse(node), background=True)
        sub = Env(state.copy(), job, None, dict(env.fds), 0)
        proc = self._spawn(self._run_andor_body(node, sub), sub, _command_name(node.first.commands[0]))
        sub.proc = proc
        job.runner = proc
        job.pid = proc.pid
        state.last_bg = proc.pid
        state.jobs.append(job)
        self._bg_jobs = [j for j in self._bg_jobs if not j.done]
        self._bg_jobs.append(job)
        if state.interactive:
            job.id = max((j.id for j in state.jobs), default=0) + 1
            self.terminal.write(f"[{job.id}] {proc.pid}\n", "err")
        # Start at once: `tcpdump ... & ping ...` on one line must see ping's first packet.
        proc.start()

    def _run_andor_body(self, node: AndOr, env: Env) -> Gen:
        try:
            status = yield from self._exec_andor(node, env)
        except ShellExit as exc:
            status = exc.status
        except LoopControl:
            status = 0
        return status

    # ---- redirections ----
    def _redirect(self, redirs: list[Redir], env: Env) -> Generator[Any, Any, dict[int, Any] | None]:
        """The descriptor table after ``redirs``; None (after an error line) if one fails."""
        fds = dict(env.fds)
        if not redirs:
            return fds
        state = env.state
        fs = state.sandbox.fs
        cx = _Expand(self, env)

        def fail(message: str) -> None:
            Env(state, env.job, env.proc, fds).write(2, f"{state.name}: {message}\n")

        for redir in redirs:
            op = redir.op
            try:
                if op in ("<<", "<<-"):
                    body = redir.body.src if redir.body is not None else ""
                    text = body if redir.quoted_delim else (yield from expand_heredoc(body, cx))
                    fds[redir.fd if redir.fd is not None else 0] = Input.from_text(text)
                    continue
                fields = yield from expand_words([redir.target], cx)
            except ExpansionError as exc:
                fail(exc.message)
                return None
            if op == "<<<":
                fds[redir.fd if redir.fd is not None else 0] = Input.from_text(" ".join(fields) + "\n")
                continue
            if len(fields) != 1:
                fail(f"{redir.target.src}: ambiguous redirect")
                return None
            target = fields[0]
            if op in (">&", "<&"):
                fd = redir.fd if redir.fd is not None else (1 if op == ">&" else 0)
                if target == "-":
                    fds.pop(fd, None)
                    continue
                if target.isdigit():
                    src = int(target)
                    if src not in fds:
                        fail(f"{target}: Bad file descriptor")
                        return None
                    value = fds[src]
                    if fd == 0 or op == "<&":
                        fds[fd] = value if isinstance(value, Input) or value is None else None
                    else:
                        fds[fd] = value if isinstance(value, Sink) else TerminalSink(self.terminal, "out")
                    continue
                if op == "<&" or redir.fd is not None:
                    fail(f"{target}: ambiguous redirect")
                    return None
                op = "&>"
            path = fs.norm(target, state.cwd)
            if op in ("<", "<>"):
                fd = redir.fd if redir.fd is not None else 0
                if path == "/dev/null":
                    fds[fd] = Input.from_text("")
                    continue
                if fs.is_dir(path):
                    fail(f"{target}: Is a directory")
                    return None
                data = fs.read(path)
                if data is None:
                    if op == "<>" and fs.is_dir(posixpath.dirname(path)):
                        fs.write(path, b"")
                        data = b""
                    else:
                        fail(f"{target}: No such file or directory")
                        return None
                fds[fd] = Input.from_text(data.decode("utf-8", errors="replace"))
                continue
            sink = self._open_for_write(fs, path, target, append=op in (">>", "&>>"), fail=fail, fds=fds)
            if sink is None:
                return None
            if op in ("&>", "&>>"):
                fds[1] = sink
                fds[2] = sink
            else:
                fds[redir.fd if redir.fd is not None else 1] = sink
        return fds

    def _open_for_write(
        self, fs: Any, path: str, target: str, *, append: bool, fail: Callable[[str], None], fds: dict[int, Any]
    ) -> Sink | None:
        if path == "/dev/null":
            return NullSink()
        if path in ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"):
            return fds.get(1) if isinstance(fds.get(1), Sink) else NullSink()
        if path in ("/dev/stderr", "/dev/fd/2", "/proc/self/fd/2"):
            return fds.get(2) if isinstance(fds.get(2), Sink) else NullSink()
        if path in ("/dev/tty", "/dev/console"):
            return TerminalSink(self.terminal, "out")
        if fs.is_dir(path):
            fail(f"{target}: Is a directory")
            return None
        if not fs.is_dir(posixpath.dirname(path)):
            fail(f"{target}: No such file or directory")
            return None
        if not append:
            fs.write(path, b"")
        return FileSink(fs, path)

    # ---- errors ----
    def _internal_error(self, exc: BaseException) -> None:
        import traceback

        if isinstance(exc, RecursionError):  # absurdly deep nesting, not a bug
            self.terminal.write(f"{self.state.name}: maximum nesting level exceeded\n", "err")
            return
        registry.internal_errors.append("".join(traceback.format_exception(exc)))
        del registry.internal_errors[:-20]
        self.terminal.write(f"{self.state.name}: internal error: {exc or type(exc).__name__}\n", "err")

    # ---- completion ----
    def complete(self, text: str) -> list[str]:
        """Candidates for the last word of ``text`` (command names first, then files)."""
        words = text.split()
        if text and text[-1].isspace():
            words.append("")
        if not words:
            words = [""]
        prefix = words[-1]
        tools = self.sandbox.tools
        if len(words) == 1:
            names = registry.names(tools)
            return sorted({n for n in names if n.startswith(prefix)})
        spec = registry.lookup_spec(words[0], tools)
        if spec is not None and spec.complete is not None:
            try:
                return sorted({c for c in spec.complete(None, words) if c.startswith(prefix)})
            except Exception:
                return []
        return self._complete_path(prefix)

    def _complete_path(self, prefix: str) -> list[str]:
        fs = self.sandbox.fs
        head, _, tail = prefix.rpartition("/")
        base = fs.norm(head or ("/" if prefix.startswith("/") else "."), self.cwd)
        out = []
        for name in fs.listdir(base):
            if name.startswith(tail):
                full = (head + "/" if head or prefix.startswith("/") else "") + name
                out.append(full + ("/" if fs.is_dir(posixpath.join(base, name)) else ""))
        return sorted(out)


def _continues(line: str) -> bool:
    """A line ending in an unescaped backslash continues on the next one."""
    stripped = line.rstrip("\n")
    count = len(stripped) - len(stripped.rstrip("\\"))
    return count % 2 == 1


def _all_done(jobs: list[Job]) -> bool:
    return all(j.done for j in jobs)


def _stage_closer(pipes: list[Pipe], i: int) -> Callable[[object], None]:
    def close(_status: object) -> None:
        if i < len(pipes):
            pipes[i].close_write()
        if i > 0:
            pipes[i - 1].close_read()

    return close


def _command_name(cmd: Any) -> str:
    if isinstance(cmd, Simple) and cmd.words:
        return cmd.words[0].src
    return "bash"


def signal_number(spec: str) -> int | None:
    """``TERM``, ``SIGTERM``, ``term`` or ``15`` to 15; None if unknown."""
    if spec.isdigit():
        value = int(spec)
        return value if 0 <= value <= 64 else None
    name = spec.upper()
    if name.startswith("SIG"):
        name = name[3:]
    for num, known in SIGNAL_NAMES.items():
        if known == name:
            return num
    return None

