"""Shell builtins and the everyday tools a lesson needs (echo, cat, grep, ssh...).

Error messages follow bash and GNU coreutils/grep word for word, because the
learner compares them with what a real terminal prints. Filters read their
input line by line (``ctx.input``) so a pipeline streams in virtual time.
"""

from __future__ import annotations

import dataclasses
import functools
import posixpath
import re
import time
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

from tui.engine.clock import SEC
from tui.engine.process import Interrupted, Waiter
from tui.shell.interp import SIGNAL_NAMES, Env, Job, ShellState, signal_number
from tui.shell.lexer import decode_escape
from tui.shell.parser import NAME_RE
from tui.shell.registry import Ctx, LoopControl, ShellExit, command
from tui.shell.terminal import TerminalSink, to_bytes

Gen = Generator[Any, Any, int]


# ---- helpers -----------------------------------------------------------------


def _env(ctx: Ctx) -> Env | None:
    return ctx.runtime if isinstance(ctx.runtime, Env) else None


def _state(ctx: Ctx) -> ShellState:
    env = _env(ctx)
    return env.state if env is not None else ctx.shell.state


def _sh(ctx: Ctx) -> str:
    """The shell's name for error prefixes: "bash", or "sh" in a busybox sandbox."""
    return "bash" if ctx.sandbox.tools == "gnu" else "sh"


def _path(ctx: Ctx, name: str) -> str:
    return ctx.sandbox.fs.norm(name, ctx.cwd)


def _read_file(ctx: Ctx, name: str) -> tuple[str | None, str]:
    """(text, error) for a file operand; error is "No such file or directory" or "Is a directory"."""
    fs = ctx.sandbox.fs
    path = _path(ctx, name)
    if path == "/dev/null":
        return "", ""
    if fs.is_dir(path):
        return None, "Is a directory"
    data = fs.read(path)
    if data is None:
        return None, "No such file or directory"
    return data.decode("utf-8", errors="replace"), ""


def _q(text: str) -> str:
    """GNU coreutils' quoting in a UTF-8 locale: ‘x’."""
    return f"\u2018{text}\u2019"


class OptError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def getopt(
    args: list[str],
    short: str,
    long: dict[str, tuple[str, bool]] | None = None,
    *,
    permute: bool = True,
) -> tuple[list[tuple[str, str]], list[str]]:
    """GNU getopt: ``short`` like "vn:" (colon: takes a value); long maps name to (key, takes value).

    Returns ([(key, value)], operands). Raises :class:`OptError` with GNU's wording.
    """
    long = long or {}
    takes = {c: short[i + 1 : i + 2] == ":" for i, c in enumerate(short) if c != ":"}
    opts: list[tuple[str, str]] = []
    operands: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            operands.extend(args[i:])
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            matches = [k for k in long if k == name] or [k for k in long if k.startswith(name)]
            if len(matches) != 1:
                if len(matches) > 1:
                    raise OptError(f"option '{arg}' is ambiguous")
                raise OptError(f"unrecognized option '{arg}'")
            key, needs = long[matches[0]]
            if needs and not eq:
                if i >= len(args):
                    raise OptError(f"option '--{matches[0]}' requires an argument")
                value = args[i]
                i += 1
            elif not needs and eq:
                raise OptError(f"option '--{matches[0]}' doesn't allow an argument")
            opts.append((key, value))
            continue
        if arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                c = arg[j]
                if c not in takes:
                    raise OptError(f"invalid option -- '{c}'")
                if takes[c]:
                    value = arg[j + 1 :]
                    if not value:
                        if i >= len(args):
                            raise OptError(f"option requires an argument -- '{c}'")
                        value = args[i]
                        i += 1
                    opts.append((c, value))
                    break
                opts.append((c, ""))
                j += 1
            continue
        operands.append(arg)
        if not permute:
            operands.extend(args[i:])
            break
    return opts, operands


def _try_help(ctx: Ctx, message: str, status: int = 1, usage: str = "") -> int:
    tool = ctx.name
    ctx.err(f"{tool}: {message}\n{usage}Try '{tool} --help' for more information.\n")
    return status


def _input_lines(ctx: Ctx) -> Generator[Any, Any, str | None]:
    """The next stdin line (None at EOF; a terminal stdin reads as empty)."""
    if ctx.stdin is not None:  # a non-streaming command got its whole input already
        if not ctx.stdin:
            return None
        line, sep, rest = ctx.stdin.partition("\n")
        ctx.stdin = rest
        return line + sep
    if ctx.input is not None:
        return (yield from ctx.input.readline())
    return None


def _each_line(ctx: Ctx, name: str) -> Callable[[], Generator[Any, Any, str | None]]:
    """A line reader for an operand ("-" is stdin); file contents are read at once."""
    if name == "-":
        return lambda: _input_lines(ctx)
    text, _ = _read_file(ctx, name)
    lines = deque((text or "").splitlines(keepends=True))

    def read() -> Generator[Any, Any, str | None]:
        return lines.popleft() if lines else None
        yield  # pragma: no cover - makes this a generator

    return read


def _all_text(ctx: Ctx) -> Generator[Any, Any, str]:
    if ctx.stdin is not None:
        return ctx.stdin
    if ctx.input is not None:
        return (yield from ctx.input.read_all())
    return ""


# ---- trivial builtins -----------------------------------------------------------


@command("true", ":", summary="do nothing, successfully", builtin=True)
def true_cmd(ctx: Ctx) -> int:
    return 0


@command("false", summary="do nothing, unsuccessfully", builtin=True)
def false_cmd(ctx: Ctx) -> int:
    return 1


def echo_text(args: list[str], *, allow_e: bool = True) -> tuple[str, bool]:
    """What ``echo ARGS`` prints and whether a newline follows (bash's builtin rules)."""
    newline, escapes = True, False
    while args and len(args[0]) > 1 and args[0][0] == "-" and all(c in "neE" for c in args[0][1:]):
        for c in args[0][1:]:
            if c == "n":
                newline = False
            elif c == "e":
                escapes = allow_e
            else:
                escapes = False
        args = args[1:]
    text = " ".join(args)
    if escapes:
        out = []
        i = 0
        while i < len(text):
            if text[i] == "\\" and i + 1 < len(text):
                piece, used = decode_escape(text, i + 1, ansi_c=False)
                if piece == "\\c":
                    return "".join(out), False
                out.append(piece)
                i += 1 + used
            else:
                out.append(text[i])
                i += 1
        text = "".join(out)
    return text, newline


@command("echo", summary="display a line of text", builtin=True)
def echo(ctx: Ctx) -> int:
    text, newline = echo_text(ctx.argv[1:])
    ctx.out(text + ("\n" if newline else ""))
    return 0


_PRINTF_SPEC = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?([diouxXfFeEgGcsbq%])")


@command("printf", summary="format and print data", builtin=True)
def printf(ctx: Ctx) -> int:
    args = ctx.argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        ctx.err(f"{_sh(ctx)}: printf: usage: printf [-v var] format [arguments]\n")
        return 2
    fmt, rest = args[0], list(args[1:])
    status = 0
    out: list[str] = []

    def number(text: str, conv: str) -> int | float:
        nonlocal status
        if text[:1] in ("'", '"') and len(text) > 1:
            return ord(text[1])
        try:
            if conv in "fFeEgG":
                return float(text) if text else 0.0
            return int(text, 0) if text else 0
        except ValueError:
            ctx.err(f"{_sh(ctx)}: printf: {text}: invalid number\n")
            status = 1
            return 0

    while True:
        used = False
        pos = 0
        while pos < len(fmt):
            c = fmt[pos]
            if c == "\\" and pos + 1 < len(fmt):
                piece, n = decode_escape(fmt, pos + 1, ansi_c=True)
                out.append(piece)
                pos += 1 + n
                continue
            if c != "%":
                out.append(c)
                pos += 1
                continue
            m = _PRINTF_SPEC.match(fmt, pos)
            if m is None:
                ctx.err(f"{_sh(ctx)}: printf: `{fmt[pos + 1 : pos + 2]}': invalid format character\n")
                ctx.out("".join(out))
                return 1
            pos = m.end()
            flags, width, prec, conv = m.groups()
            if conv == "%":
                out.append("%")
                continue
            if width == "*":
                width = str(int(number(rest.pop(0), "d")) if rest else 0)
            if prec == "*":
                prec = str(int(number(rest.pop(0), "d")) if rest else 0)
            arg = rest.pop(0) if rest else None
            used = used or arg is not None
            spec = "%" + flags + (width or "") + (f".{prec}" if prec is not None else "")
            if conv in "sbq":
                text = arg or ""
                if conv == "b":
                    text, _ = echo_text(["-e", text])
                out.append((spec + "s") % text)
            elif conv == "c":
                out.append((spec + "s") % ((arg or "")[:1]))
            elif conv in "fFeEgG":
                out.append((spec + conv) % float(number(arg or "", conv)))
            else:
                value = int(number(arg or "", conv))
                if conv == "u" and value < 0:
                    value += 1 << 64
                out.append((spec + ("d" if conv in "iu" else conv)) % value)
        if not rest or not used:
            break
    ctx.out("".join(out))
    return status


# ---- variables and the session ---------------------------------------------------


@command("cd", summary="change the working directory", builtin=True)
def cd(ctx: Ctx) -> int:
    state = _state(ctx)
    args = [a for a in ctx.argv[1:] if a not in ("-L", "-P", "--")]
    if len(args) > 1:
        ctx.err(f"{_sh(ctx)}: cd: too many arguments\n")
        return 1
    target = args[0] if args else state.get("HOME") or "/root"
    show = False
    if target == "-":
        target = state.get("OLDPWD") or ""
        if not target:
            ctx.err(f"{_sh(ctx)}: cd: OLDPWD not set\n")
            return 1
        show = True
    fs = ctx.sandbox.fs
    path = fs.norm(target, state.cwd)
    if not fs.exists(path):
        ctx.err(f"{_sh(ctx)}: cd: {target}: No such file or directory\n")
        return 1
    if not fs.is_dir(path):
        ctx.err(f"{_sh(ctx)}: cd: {target}: Not a directory\n")
        return 1
    state.set("OLDPWD", state.cwd)
    state.cwd = path
    state.set("PWD", path)
    if show:
        ctx.out(path + "\n")
    return 0


@command("pwd", summary="print the working directory", builtin=True)
def pwd(ctx: Ctx) -> int:
    ctx.out(_state(ctx).cwd + "\n")
    return 0


def _declare_value(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`") + '"'


@command("export", summary="set export attribute for shell variables", builtin=True)
def export(ctx: Ctx) -> int:
    state = _state(ctx)
    args = ctx.argv[1:]
    unexport = False
    while args and args[0].startswith("-") and args[0] != "-":
        flag = args.pop(0)
        if flag == "--":
            break
        if flag == "-n":
            unexport = True
        elif flag not in ("-p", "-f"):
            ctx.err(f"{_sh(ctx)}: export: {flag[:2]}: invalid option\n")
            ctx.err("export: usage: export [-fn] [name[=value] ...] or export -p\n")
            return 2
    if not args:
        for name in sorted(state.exported):
            value = state.vars.get(name)
            ctx.out(f"declare -x {name}" + ("" if value is None else f"={_declare_value(value)}") + "\n")
        return 0
    status = 0
    for arg in args:
        name, eq, value = arg.partition("=")
        if name.endswith("+") and eq:
            name = name[:-1]
            value = (state.get(name) or "") + value
        if not NAME_RE.match(name):
            ctx.err(f"{_sh(ctx)}: export: `{arg}': not a valid identifier\n")
            status = 1
            continue
        if unexport:
            state.exported.discard(name)
            if eq:
                state.set(name, value)
            continue
        if eq:
            state.set(name, value, export=True)
        else:
            state.exported.add(name)
    return status


@command("unset", summary="unset values of shell variables", builtin=True)
def unset(ctx: Ctx) -> int:
    state = _state(ctx)
    status = 0
    for arg in ctx.argv[1:]:
        if arg in ("-v", "-f", "-n", "--"):
            continue
        if not NAME_RE.match(arg):
            ctx.err(f"{_sh(ctx)}: unset: `{arg}': not a valid identifier\n")
            status = 1
            continue
        state.unset(arg)
    return status


def _shell_quote(value: str) -> str:
    if value and re.fullmatch(r"[A-Za-z0-9_./:=+@%,-]+", value):
        return value
    if "'" not in value and "\n" not in value and "\t" not in value:
        return f"'{value}'"
    return "$'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t") + "'"


@command("set", summary="set shell options and positional parameters", builtin=True)
def set_cmd(ctx: Ctx) -> int:
    state = _state(ctx)
    args = ctx.argv[1:]
    if not args:
        for name in sorted(state.vars):
            ctx.out(f"{name}={_shell_quote(state.vars[name])}\n")
        return 0
    while args and args[0][:1] in ("-", "+") and args[0] not in ("-", "--"):
        flag = args.pop(0)
        if flag in ("-o", "+o") and args:
            args.pop(0)
    if args and args[0] in ("-", "--"):
        args.pop(0)
        state.positional = list(args)
    elif args:
        state.positional = list(args)
    return 0


@command("exit", summary="exit the shell", builtin=True)
def exit_cmd(ctx: Ctx) -> int:
    state = _state(ctx)
    if state.interactive and state.name == "bash":
        ctx.shell.terminal.write("logout\n" if state.kind == "ssh" else "exit\n", "err")
    args = ctx.argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    status = state.status
    if args:
        text = args[0]
        if not re.fullmatch(r"[-+]?\d+", text.strip()):
            ctx.err(f"{_sh(ctx)}: exit: {text}: numeric argument required\n")
            status = 2
        elif len(args) > 1:
            ctx.err(f"{_sh(ctx)}: exit: too many arguments\n")
            return 1
        else:
            status = int(text) & 0xFF
    raise ShellExit(status)


@command("logout", summary="exit a login shell", builtin=True)
def logout(ctx: Ctx) -> int:
    state = _state(ctx)
    if not (state.interactive and state.kind == "ssh"):
        ctx.err(f"{_sh(ctx)}: logout: not login shell: use `exit'\n")
        return 1
    return exit_cmd(ctx)


def _loop_control(ctx: Ctx, kind: str) -> int:
    env = _env(ctx)
    args = ctx.argv[1:]
    levels = 1
    if args:
        if not args[0].isdigit():
            ctx.err(f"{_sh(ctx)}: {kind}: {args[0]}: numeric argument required\n")
            return 128
        levels = int(args[0])
        if levels < 1:
            ctx.err(f"{_sh(ctx)}: {kind}: {args[0]}: loop count out of range\n")
            return 1
    if env is None or env.loops == 0:
        ctx.err(f"{_sh(ctx)}: {kind}: only meaningful in a `for', `while', or `until' loop\n")
        return 0
    raise LoopControl(kind, min(levels, env.loops))


@command("break", summary="exit from a loop", builtin=True)
def break_cmd(ctx: Ctx) -> int:
    return _loop_control(ctx, "break")


@command("continue", summary="resume the next loop iteration", builtin=True)
def continue_cmd(ctx: Ctx) -> int:
    return _loop_control(ctx, "continue")


@command("history", summary="display the command history", builtin=True)
def history(ctx: Ctx) -> int:
    args = ctx.argv[1:]
    lines = ctx.shell.history
    if args and args[0] == "-c":
        lines.clear()
        return 0
    start = 0
    if args:
        if not args[0].isdigit():
            ctx.err(f"{_sh(ctx)}: history: {args[0]}: numeric argument required\n")
            return 1
        start = max(0, len(lines) - int(args[0]))
    for n in range(start, len(lines)):
        ctx.out(f"{n + 1:5d}  {lines[n]}\n")
    return 0


@command("clear", summary="clear the terminal screen")
def clear(ctx: Ctx) -> int:
    env = _env(ctx)
    sink = env.fds.get(1) if env is not None else None
    if isinstance(sink, TerminalSink):
        sink.terminal.clear()
    else:
        ctx.out("\x1b[H\x1b[2J\x1b[3J")
    return 0


# ---- jobs -------------------------------------------------------------------------


def _job_arg(ctx: Ctx, builtin: str, spec: str | None) -> Job | None:
    state = _state(ctx)
    job = ctx.shell.find_job(state, spec or "%+")
    if job is None:
        shown = spec if spec is not None else "current"
        ctx.err(f"{_sh(ctx)}: {builtin}: {shown}: no such job\n")
    return job


@command("jobs", summary="display status of jobs", builtin=True)
def jobs(ctx: Ctx) -> int:
    state = _state(ctx)
    try:
        opts, operands = getopt(ctx.argv[1:], "lnprs")
    except OptError as err:
        ctx.err(f"{_sh(ctx)}: jobs: {err.message.split(' -- ')[-1].strip(chr(39))}: invalid option\n")
        ctx.err("jobs: usage: jobs [-lnprs] [jobspec ...] or jobs -x command [args]\n")
        return 2
    flags = {k for k, _ in opts}
    table = [j for j in state.jobs if j.id]
    if operands:
        chosen = []
        for spec in operands:
            job = ctx.shell.find_job(state, spec)
            if job is None:
                ctx.err(f"{_sh(ctx)}: jobs: {spec}: no such job\n")
                return 1
            chosen.append(job)
        table = chosen
    if "r" in flags:
        table = [j for j in table if not j.done]
    if "s" in flags:
        table = []
    lines = []
    for job in table:
        if "p" in flags:
            lines.append(f"{job.pid}")
        else:
            lines.append(ctx.shell.job_line(state, job, pid="l" in flags))
    for line in lines:
        ctx.out(line + "\n")
    for job in table:
        if job.done and "p" not in flags:
            ctx.shell._forget(state, job)
    return 0


def _wait_job(ctx: Ctx, job: Job) -> Gen:
    while not job.done:
        assert job.runner is not None
        yield job.runner.exited
    state = _state(ctx)
    if job.id and job in state.jobs:
        if state.interactive:
            ctx.shell.terminal.write(ctx.shell.job_line(state, job) + "\n", "err")
        ctx.shell._forget(state, job)
    return job.status or 0


@command("wait", summary="wait for jobs to finish", builtin=True)
def wait(ctx: Ctx) -> Gen:
    state = _state(ctx)
    args = [a for a in ctx.argv[1:] if a not in ("-n", "-f", "--")]
    if not args:
        for job in list(state.jobs):
            yield from _wait_job(ctx, job)
        state.jobs = [j for j in state.jobs if not j.done]
        return 0
    status = 0
    for arg in args:
        if arg.startswith("%"):
            job = ctx.shell.find_job(state, arg)
            if job is None:
                ctx.err(f"{_sh(ctx)}: wait: {arg}: no such job\n")
                status = 127
                continue
            status = yield from _wait_job(ctx, job)
            continue
        if not arg.isdigit():
            ctx.err(f"{_sh(ctx)}: wait: `{arg}': not a pid or valid job spec\n")
            status = 2
            continue
        found = next((j for j in state.jobs if j.pid == int(arg)), None)
        if found is None:
            ctx.err(f"{_sh(ctx)}: wait: pid {arg} is not a child of this shell\n")
            status = 127
            continue
        status = yield from _wait_job(ctx, found)
    return status


@command("fg", summary="move a job to the foreground", builtin=True)
def fg(ctx: Ctx) -> Gen:
    state = _state(ctx)
    args = ctx.argv[1:]
    job = _job_arg(ctx, "fg", args[0] if args else None)
    if job is None:
        return 1
    ctx.out(job.text + "\n")
    ctx.shell._forget(state, job)
    interrupts = 0
    while not job.done:
        assert job.runner is not None
        try:
            yield job.runner.exited
        except Interrupted as intr:  # Ctrl-C now reaches the job brought to the foreground
            interrupts += 1
            job.sigint = True
            ctx.shell.signal_job(job, intr.signal if interrupts < 4 else 9)
    return job.status or 0


@command("bg", summary="resume a job in the background", builtin=True)
def bg(ctx: Ctx) -> int:
    args = ctx.argv[1:]
    job = _job_arg(ctx, "bg", args[0] if args else None)
    if job is None:
        return 1
    ctx.err(f"{_sh(ctx)}: bg: job {job.id} already in background\n")
    return 0


_KILL_USAGE = "kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n"
_NO_EFFECT = {0, 17, 18, 19, 20, 21, 22, 23, 28}  # no job control here: stop/continue do nothing


@command("kill", summary="send a signal to a job or process", builtin=True)
def kill(ctx: Ctx) -> int:
    state = _state(ctx)
    args = ctx.argv[1:]
    sig = 15
    if not args:
        ctx.err(_KILL_USAGE)
        return 2
    if args[0] in ("-l", "-L"):
        if len(args) > 1:
            status = 0
            for arg in args[1:]:
                num = int(arg) - 128 if arg.isdigit() and int(arg) > 128 else None
                if arg.isdigit():
                    name = SIGNAL_NAMES.get(num if num is not None else int(arg))
                    if name is None:
                        ctx.err(f"{_sh(ctx)}: kill: {arg}: invalid signal specification\n")
                        status = 1
                    else:
                        ctx.out(name + "\n")
                else:
                    value = signal_number(arg)
                    if value is None:
                        ctx.err(f"{_sh(ctx)}: kill: {arg}: invalid signal specification\n")
                        status = 1
                    else:
                        ctx.out(f"{value}\n")
            return status
        cells = [f"{n:2d}) SIG{name}" for n, name in sorted(SIGNAL_NAMES.items())]
        for i in range(0, len(cells), 5):
            ctx.out("\t".join(cells[i : i + 5]) + "\n")
        return 0
    if args[0] in ("-s", "-n"):
        if len(args) < 2:
            ctx.err(f"{_sh(ctx)}: kill: {args[0]}: option requires an argument\n{_KILL_USAGE}")
            return 2
        value = signal_number(args[1])
        if value is None:
            ctx.err(f"{_sh(ctx)}: kill: {args[1]}: invalid signal specification\n")
            return 1
        sig = value
        args = args[2:]
    elif args[0].startswith("-") and len(args[0]) > 1 and args[0] != "--":
        value = signal_number(args[0][1:])
        if value is None:
            ctx.err(f"{_sh(ctx)}: kill: {args[0][1:]}: invalid signal specification\n")
            return 1
        sig = value
        args = args[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        ctx.err(_KILL_USAGE)
        return 2
    status = 0
    for arg in args:
        if arg.startswith("%"):
            job = ctx.shell.find_job(state, arg)
            if job is None or job.done:
                ctx.err(f"{_sh(ctx)}: kill: {arg}: no such job\n")
                status = 1
                continue
            if sig not in _NO_EFFECT:
                ctx.shell.signal_job(job, sig)
            continue
        if not re.fullmatch(r"-?\d+", arg):
            ctx.err(f"{_sh(ctx)}: kill: {arg}: arguments must be process or job IDs\n")
            status = 1
            continue
        pid = abs(int(arg)) if len(arg) < 12 else -1
        if pid in {s.pid for s in ctx.shell.frames}:
            continue  # an interactive shell ignores TERM and INT; we do not let it kill itself
        job, proc = ctx.shell.find_process(state, pid)
        if job is None and proc is None:
            ctx.err(f"{_sh(ctx)}: kill: ({arg.lstrip('-')}) - No such process\n")
            status = 1
            continue
        if sig in _NO_EFFECT:
            continue
        if job is not None:
            ctx.shell.signal_job(job, sig)
        elif proc is not None:
            ctx.shell._deliver(proc, sig)
    return status


# ---- time ----------------------------------------------------------------------

_DURATION = re.compile(r"(\d+\.?\d*|\.\d+)([smhd]?)\Z")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@command("sleep", summary="delay for a specified amount of time")
def sleep(ctx: Ctx) -> Gen:
    args = ctx.argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        return _try_help(ctx, "missing operand")
    total = 0
    forever = False
    for arg in args:
        if arg.lower() in ("inf", "infinity"):
            forever = True
            continue
        m = _DURATION.match(arg)
        if m is None:
            if arg.startswith("-") and len(arg) > 1:
                return _try_help(ctx, f"invalid option -- '{arg[1]}'")
            return _try_help(ctx, f"invalid time interval {_q(arg)}")
        total += round(float(m.group(1)) * _UNIT[m.group(2)] * SEC)
    if forever:
        yield Waiter()  # never fires: only a signal ends it
    if total:
        hint = getattr(ctx.shell, "expect_until", None)
        if hint is not None:
            hint(ctx.clock.now + total)
        yield total
    return 0


_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]


def strftime(fmt: str, wall_ns: int) -> str:
    """strftime for UTC virtual time, with GNU date's ``%N`` and ``%s``."""
    secs = wall_ns // SEC
    tm = time.gmtime(secs)
    out: list[str] = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%" or i + 1 >= len(fmt):
            out.append(c)
            i += 1
            continue
        d = fmt[i + 1]
        i += 2
        value = {
            "a": _DAYS[tm.tm_wday][:3], "A": _DAYS[tm.tm_wday], "b": _MONTHS[tm.tm_mon - 1][:3],
            "h": _MONTHS[tm.tm_mon - 1][:3], "B": _MONTHS[tm.tm_mon - 1], "d": f"{tm.tm_mday:02d}",
            "e": f"{tm.tm_mday:2d}", "H": f"{tm.tm_hour:02d}", "I": f"{(tm.tm_hour % 12) or 12:02d}",
            "M": f"{tm.tm_min:02d}", "S": f"{tm.tm_sec:02d}", "p": "AM" if tm.tm_hour < 12 else "PM",
            "Y": f"{tm.tm_year}", "y": f"{tm.tm_year % 100:02d}", "m": f"{tm.tm_mon:02d}",
            "j": f"{tm.tm_yday:03d}", "Z": "UTC", "z": "+0000", "s": f"{secs}",
            "N": f"{wall_ns % SEC:09d}", "T": f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}",
            "R": f"{tm.tm_hour:02d}:{tm.tm_min:02d}", "D": f"{tm.tm_mon:02d}/{tm.tm_mday:02d}/{tm.tm_year % 100:02d}",
            "F": f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d}", "u": f"{tm.tm_wday + 1}",
            "w": f"{(tm.tm_wday + 1) % 7}", "n": "\n", "t": "\t", "%": "%",
        }.get(d)
        if value is None and d == "c":
            value = strftime("%a %b %e %H:%M:%S %Y", wall_ns)
        out.append(value if value is not None else "%" + d)
    return "".join(out)


@command("date", summary="print the system date and time")
def date(ctx: Ctx) -> int:
    fmt = "%a %b %e %H:%M:%S %Z %Y"
    wall = ctx.clock.wall_ns
    args = list(ctx.argv[1:])
    while args:
        arg = args.pop(0)
        if arg in ("-d", "--date") or arg.startswith("--date="):
            when = arg.partition("=")[2] if arg.startswith("--date=") else (args.pop(0) if args else None)
            if when is None:
                return _try_help(ctx, "option requires an argument -- 'd'")
            if re.fullmatch(r"@-?\d+", when.strip()):
                wall = int(when.strip()[1:]) * SEC
            elif when.strip().lower() not in ("now", "today", ""):
                ctx.err(f"date: invalid date {_q(when)}\n")
                return 1
        elif arg.startswith("+"):
            fmt = arg[1:]
        elif arg in ("-u", "--utc", "--universal"):
            continue
        elif arg in ("-R", "--rfc-email"):
            fmt = "%a, %d %b %Y %H:%M:%S %z"
        elif arg in ("-I", "--iso-8601"):
            fmt = "%F"
        elif arg.startswith("--"):
            return _try_help(ctx, f"unrecognized option '{arg}'")
        elif arg.startswith("-"):
            return _try_help(ctx, f"invalid option -- '{arg[1:2]}'")
        else:
            ctx.err(f"date: invalid date {_q(arg)}\n")
            return 1
    ctx.out(strftime(fmt, wall) + "\n")
    return 0


@command("seq", summary="print a sequence of numbers")
def seq(ctx: Ctx) -> int:
    args = ctx.argv[1:]
    sep, width = "\n", False
    while args and args[0].startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", args[0]):
        flag = args.pop(0)
        if flag == "-w":
            width = True
        elif flag == "-s" and args:
            sep = args.pop(0)
        elif flag.startswith("-s") and len(flag) > 2:
            sep = flag[2:]
        elif flag == "--":
            break
        else:
            return _try_help(ctx, f"invalid option -- '{flag[1:2]}'")
    if not args:
        return _try_help(ctx, "missing operand")
    if len(args) > 3:
        return _try_help(ctx, f"extra operand {_q(args[3])}")
    nums = []
    for arg in args:
        try:
            nums.append(float(arg))
        except ValueError:
            return _try_help(ctx, f"invalid floating point argument: {_q(arg)}")
    first, step, last = (1.0, 1.0, nums[0]) if len(nums) == 1 else (
        (nums[0], 1.0, nums[1]) if len(nums) == 2 else (nums[0], nums[1], nums[2]))
    if step == 0:
        ctx.err(f"seq: invalid Zero increment value: {_q(args[1])}\n")
        return _try_help(ctx, "")
    decimals = max((len(a.split(".", 1)[1]) if "." in a else 0) for a in args[: 2 if len(args) == 3 else 1])
    values = []
    v, n = first, 0
    while (step > 0 and v <= last + 1e-9) or (step < 0 and v >= last - 1e-9):
        values.append(f"{v:.{decimals}f}")
        n += 1
        if n > 1_000_000:
            break
        v = first + n * step
    if width and values:
        w = max(len(x) for x in values)
        values = [x.zfill(w) for x in values]
    if values:
        ctx.out(sep.join(values) + "\n")
    return 0


# ---- files ------------------------------------------------------------------------


@command("cat", summary="concatenate files and print on the standard output", stream_input=True)
def cat(ctx: Ctx) -> Gen:
    try:
        opts, files = getopt(ctx.argv[1:], "AbeEnstTuv", {"number": ("n", False), "show-all": ("A", False)})
    except OptError as err:
        return _try_help(ctx, err.message)
    number = any(k in ("n", "b") for k, _ in opts)
    status = 0
    n = 0
    for name in files or ["-"]:
        if name != "-":
            _, error = _read_file(ctx, name)
            if error:
                ctx.err(f"cat: {name}: {error}\n")
                status = 1
                continue
        read = _each_line(ctx, name)
        while True:
            line = yield from read()
            if line is None:
                break
            if number:
                n += 1
                line = f"{n:6d}\t{line}"
            ctx.out(line)
    return status


@command("tee", summary="read from standard input and write to standard output and files", stream_input=True)
def tee(ctx: Ctx) -> Gen:
    try:
        opts, files = getopt(ctx.argv[1:], "ai", {"append": ("a", False)})
    except OptError as err:
        return _try_help(ctx, err.message)
    append = any(k == "a" for k, _ in opts)
    fs = ctx.sandbox.fs
    paths = []
    status = 0
    for name in files:
        path = _path(ctx, name)
        if fs.is_dir(path) or not fs.is_dir(posixpath.dirname(path)):
            ctx.err(f"tee: {name}: {'Is a directory' if fs.is_dir(path) else 'No such file or directory'}\n")
            status = 1
            continue
        if not append:
            fs.write(path, b"")
        paths.append(path)
    while True:
        line = yield from _input_lines(ctx)
        if line is None:
            return status
        ctx.out(line)
        for path in paths:
            fs.write(path, to_bytes(line), append=True)


@command("hostname", summary="show or set the system's host name")
def hostname(ctx: Ctx) -> int:
    args = ctx.argv[1:]
    name = ctx.sandbox.hostname
    if not args:
        ctx.out(name + "\n")
        return 0
    arg = args[0]
    if arg in ("-s", "--short"):
        ctx.out(name.split(".", 1)[0] + "\n")
    elif arg in ("-f", "--fqdn", "--long", "-A", "--all-fqdns"):
        ctx.out(name + ("\n" if arg in ("-f", "--fqdn", "--long") else " \n"))
    elif arg in ("-d", "--domain"):
        ctx.out("\n")
    elif arg in ("-i", "--ip-address", "-I", "--all-ip-addresses"):
        m = re.fullmatch(r"ip-(\d+)-(\d+)-(\d+)-(\d+)(\..*)?", name)
        if m is None:
            ctx.err("hostname: Name or service not known\n")
            return 1
        ip = ".".join(m.group(i) for i in range(1, 5))
        ctx.out(ip + (" \n" if arg.startswith("-I") or arg.startswith("--all") else "\n"))
    elif arg.startswith("-"):
        ctx.err(f"hostname: invalid option -- '{arg[1:2]}'\n" + _HOSTNAME_USAGE)
        return 255
    else:
        ctx.sandbox.hostname = arg
    return 0


_HOSTNAME_USAGE = """Usage: hostname [-b] {hostname|-F file}         set host name (from file)
       hostname [-a|-A|-d|-f|-i|-I|-s|-y]       display formatted name
       hostname                                 display host name

       {yp,nis,}domainname {nisdomain|-F file}  set NIS domain name (from file)
       {yp,nis,}domainname                      display NIS domain name

       dnsdomainname                            display dns domain name

       hostname -V|--version|-h|--help          print info and exit
"""


@command("env", summary="run a program in a modified environment")
def env_cmd(ctx: Ctx) -> Gen:
    args = list(ctx.argv[1:])
    env = dict(ctx.env)
    while args:
        arg = args[0]
        if arg in ("-i", "--ignore-environment", "-"):
            env = {}
        elif arg == "-u" and len(args) > 1:
            env.pop(args[1], None)
            args.pop(0)
        elif arg == "--":
            args.pop(0)
            break
        elif arg.startswith("-") and "=" not in arg:
            return _try_help(ctx, f"invalid option -- '{arg[1:2]}'", 125)
        elif "=" in arg:
            name, _, value = arg.partition("=")
            env[name] = value
        else:
            break
        args.pop(0)
    if not args:
        for name, value in env.items():
            ctx.out(f"{name}={value}\n")
        return 0

    def not_found(name: str) -> int:
        ctx.err(f"env: {_q(name)}: No such file or directory\n")
        return 127

    sub = dataclasses.replace(ctx, env=env)
    return (yield from ctx.shell.exec_argv(args, sandbox=ctx.sandbox, ctx=sub, on_not_found=not_found))


# ---- test ---------------------------------------------------------------------------


class _TestError(Exception):
    pass


def _test_eval(ctx: Ctx, args: list[str]) -> bool:
    fs = ctx.sandbox.fs

    def unary(op: str, arg: str) -> bool:
        if op == "-z":
            return arg == ""
        if op == "-n":
            return arg != ""
        path = fs.norm(arg, ctx.cwd) if arg else ""
        if op in ("-e", "-a"):
            return bool(arg) and fs.exists(path)
        if op == "-f":
            return bool(arg) and fs.exists(path) and not fs.is_dir(path)
        if op == "-d":
            return bool(arg) and fs.is_dir(path)
        if op == "-s":
            data = fs.read(path) if arg else None
            return bool(data)
        if op in ("-r", "-w"):
            return bool(arg) and fs.exists(path)
        if op == "-x":
            return bool(arg) and fs.is_dir(path)
        if op in ("-L", "-h", "-b", "-c", "-p", "-S", "-t", "-g", "-u", "-k", "-O", "-G", "-N"):
            return False
        raise _TestError(f"{op}: unary operator expected")

    def integer(text: str) -> int:
        if not re.fullmatch(r"\s*[-+]?\d+\s*", text):
            raise _TestError(f"{text}: integer expression expected")
        return int(text)

    def binary(a: str, op: str, b: str) -> bool:
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        cmp = {"-eq": "__eq__", "-ne": "__ne__", "-lt": "__lt__", "-le": "__le__", "-gt": "__gt__", "-ge": "__ge__"}
        if op in cmp:
            return bool(getattr(integer(a), cmp[op])(integer(b)))
        if op in ("-nt", "-ot", "-ef"):
            return False
        raise _TestError(f"{op}: binary operator expected")

    unary_ops = {"-z", "-n", "-e", "-a", "-f", "-d", "-s", "-r", "-w", "-x", "-L", "-h", "-b", "-c", "-p", "-S", "-t",
                 "-g", "-u", "-k", "-O", "-G", "-N"}
    binary_ops = {"=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef"}

    def posix(items: list[str]) -> bool:
        n = len(items)
        if n == 0:
            return False
        if n == 1:
            return items[0] != ""
        if n == 2:
            if items[0] == "!":
                return items[1] == ""
            if items[0] in unary_ops:
                return unary(items[0], items[1])
            raise _TestError(f"{items[0]}: unary operator expected")
        if n == 3:
            if items[1] in binary_ops:
                return binary(items[0], items[1], items[2])
            if items[0] == "!":
                return not posix(items[1:])
            if items[0] == "(" and items[2] == ")":
                return items[1] != ""
            if items[1] in ("-a", "-o"):
                left, right = items[0] != "", items[2] != ""
                return (left and right) if items[1] == "-a" else (left or right)
            raise _TestError(f"{items[1]}: binary operator expected")
        if n == 4 and items[0] == "!":
            return not posix(items[1:])
        if n == 4 and items[0] == "(" and items[3] == ")":
            return posix(items[1:3])
        return expr(items)

    def expr(items: list[str]) -> bool:
        for join in ("-o", "-a"):
            depth = 0
            for k in range(len(items) - 1, -1, -1):
                tok = items[k]
                if tok == ")":
                    depth += 1
                elif tok == "(":
                    depth -= 1
                elif tok == join and depth == 0 and 0 < k < len(items) - 1:
                    left, right = expr(items[:k]), expr(items[k + 1 :])
                    return (left or right) if join == "-o" else (left and right)
        if items and items[0] == "!":
            return not expr(items[1:])
        if len(items) >= 2 and items[0] == "(" and items[-1] == ")":
            return expr(items[1:-1])
        if len(items) <= 3:
            return posix(items)
        raise _TestError("too many arguments")

    return posix(args)


@command("test", "[", summary="check file types and compare values", builtin=True)
def test_cmd(ctx: Ctx) -> int:
    args = ctx.argv[1:]
    name = ctx.argv[0]
    if name == "[":
        if not args or args[-1] != "]":
            ctx.err(f"{_sh(ctx)}: [: missing `]'\n")
            return 2
        args = args[:-1]
    try:
        return 0 if _test_eval(ctx, args) else 1
    except _TestError as err:
        ctx.err(f"{_sh(ctx)}: {name}: {err}\n")
        return 2
    except RecursionError:
        ctx.err(f"{_sh(ctx)}: {name}: too many arguments\n")
        return 2


# ---- shells and ssh -------------------------------------------------------------------


def _shell_cmd(ctx: Ctx) -> Gen:
    name = ctx.argv[0].rsplit("/", 1)[-1]
    args = ctx.argv[1:]
    while args and args[0] in ("-l", "-i", "--login", "--norc", "--noprofile", "-s"):
        args = args[1:]
    if args and args[0] == "-c":
        if len(args) < 2:
            ctx.err(f"{name}: -c: option requires an argument\n")
            return 2
        return (yield from ctx.shell.run_remote(args[1], sandbox=ctx.sandbox, ctx=ctx))
    if args:
        text, error = _read_file(ctx, args[0])
        if text is None:
            ctx.err(f"{name}: {args[0]}: {error}\n")
            return 127 if error.startswith("No such") else 126
        return (yield from ctx.shell.run_remote(text, sandbox=ctx.sandbox, ctx=ctx))
    if ctx.input is not None or ctx.stdin is not None:
        text = yield from _all_text(ctx)
        return (yield from ctx.shell.run_remote(text, sandbox=ctx.sandbox, ctx=ctx))
    env = _env(ctx)
    if env is not None and env.job.background:
        return 0
    ctx.shell.enter(ctx.sandbox, kind="shell")
    return 0


@command("bash", summary="the GNU Bourne-Again SHell", tools={"gnu"})
def bash(ctx: Ctx) -> Gen:
    return (yield from _shell_cmd(ctx))


@command("sh", "ash", summary="a POSIX shell")
def sh(ctx: Ctx) -> Gen:
    return (yield from _shell_cmd(ctx))


_SSH_USAGE = """usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface]
           [-b bind_address] [-c cipher_spec] [-D [bind_address:]port]
           [-E log_file] [-e escape_char] [-F configfile] [-I pkcs11]
           [-i identity_file] [-J [user@]host[:port]] [-L address]
           [-l login_name] [-m mac_spec] [-O ctl_cmd] [-o option] [-p port]
           [-Q query_option] [-R address] [-S ctl_path] [-W host:port]
           [-w local_tun[:remote_tun]] destination [command [argument ...]]
"""
_SSH_FLAGS = set("46AaCfGgKkMNnqsTtVvXxYy")
_SSH_WITH_ARG = set("BbcDEeFIiJLlmOopQRSWw")


def _ssh_complete(_ctx: Ctx | None, words: list[str]) -> list[str]:
    return []


@command("ssh", summary="OpenSSH remote login client", complete=_ssh_complete)
def ssh(ctx: Ctx) -> Gen:
    args = ctx.argv[1:]
    dest = None
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            break
        if arg.startswith("-") and len(arg) > 1:
            for k, c in enumerate(arg[1:], start=1):
                if c in _SSH_WITH_ARG:
                    if k == len(arg) - 1:
                        if i >= len(args):
                            ctx.err(f"option requires an argument -- {c}\n" + _SSH_USAGE)
                            return 255
                        i += 1
                    break
                if c not in _SSH_FLAGS:
                    ctx.err(f"unknown option -- {c}\n" + _SSH_USAGE)
                    return 255
            continue
        dest = arg
        break
    if dest is None:
        if i < len(args):
            dest = args[i]
            i += 1
        else:
            ctx.err(_SSH_USAGE)
            return 255
    remote = args[i:]
    host = dest.rsplit("@", 1)[-1]
    if host.startswith("ssh://"):
        host = host[6:]
    host = host.split(":", 1)[0] if host.count(":") == 1 else host
    target = ctx.shell.resolve_host(host)
    if target is None:
        ctx.err(f"ssh: Could not resolve hostname {host}: Name or service not known\n")
        return 255
    if remote:
        return (yield from ctx.shell.run_remote(" ".join(remote), sandbox=target, ctx=ctx))
    if ctx.input is not None or ctx.stdin is not None:
        ctx.err("Pseudo-terminal will not be allocated because stdin is not a terminal.\r\n")
        text = yield from _all_text(ctx)
        return (yield from ctx.shell.run_remote(text, sandbox=target, ctx=ctx))
    env = _env(ctx)
    if env is not None and env.job.background:
        yield Waiter()  # an interactive ssh in the background waits for a terminal it never gets
        return 0
    ctx.shell.enter(target, kind="ssh", label=host)
    return 0


# ---- filters ------------------------------------------------------------------------------

_GREP_USAGE = "Usage: grep [OPTION]... PATTERNS [FILE]...\n"
_GREP_LONG = {
    "extended-regexp": ("E", False), "fixed-strings": ("F", False), "basic-regexp": ("G", False),
    "perl-regexp": ("P", False), "regexp": ("e", True), "file": ("f", True),
    "ignore-case": ("i", False), "no-ignore-case": ("no-i", False), "word-regexp": ("w", False),
    "line-regexp": ("x", False), "invert-match": ("v", False), "count": ("c", False),
    "color": ("color", False), "colour": ("color", False), "files-with-matches": ("l", False),
    "files-without-match": ("L", False), "max-count": ("m", True), "only-matching": ("o", False),
    "quiet": ("q", False), "silent": ("q", False), "no-messages": ("s", False),
    "line-number": ("n", False), "with-filename": ("H", False), "no-filename": ("h", False),
    "after-context": ("A", True), "before-context": ("B", True), "context": ("C", True),
    "text": ("a", False), "null-data": ("z", False), "help": ("help", False),
}
_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v", "blank": " \\t", "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "xdigit": "0-9A-Fa-f", "cntrl": "\\x00-\\x1f\\x7f", "print": "\\x20-\\x7e", "graph": "\\x21-\\x7e",
}


class _RegexError(Exception):
    pass


def _bracket(pattern: str, i: int) -> tuple[str, int]:
    """Translate the POSIX bracket expression starting at ``pattern[i] == '['``."""
    j = i + 1
    out = ["["]
    if j < len(pattern) and pattern[j] == "^":
        out.append("^")
        j += 1
    first = True
    while True:
        if j >= len(pattern):
            raise _RegexError("Unmatched [, [^, [:, [., or [=")
        c = pattern[j]
        if c == "]" and not first:
            out.append("]")
            return "".join(out), j + 1
        first = False
        if c == "[" and pattern[j + 1 : j + 2] in (":", ".", "="):
            kind = pattern[j + 1]
            end = pattern.find(kind + "]", j + 2)
            if end < 0:
                raise _RegexError("Unmatched [, [^, [:, [., or [=")
            name = pattern[j + 2 : end]
            if kind == ":":
                if name not in _CLASSES:
                    raise _RegexError("Invalid character class name")
                out.append(_CLASSES[name])
            else:
                out.append(re.escape(name))
            j = end + 2
            continue
        out.append("\\" + c if c in "\\[]&~|^" else c)
        j += 1


def translate_regex(pattern: str, extended: bool) -> str:
    """POSIX basic (grep) or extended (grep -E) regex to Python ``re`` syntax."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    at_start = True  # where a '*' is literal
    while i < n:
        c = pattern[i]
        if c == "[":
            text, i = _bracket(pattern, i)
            out.append(text)
            at_start = False
            continue
        if c == "\\" and i + 1 < n:
            d = pattern[i + 1]
            i += 2
            if not extended and d in "(){}|+?":
                out.append(d)
                at_start = d in "(|"
                continue
            if d in "<>":
                out.append("\\b")
            elif d in "bBwWsS" or d.isdigit():
                out.append("\\" + d)
            elif d == "`":
                out.append("\\A")
            elif d == "'":
                out.append("\\Z")
            else:
                out.append(re.escape(d))
            at_start = False
            continue
        if c == "\\":
            raise _RegexError("Trailing backslash")
        i += 1
        if c == "*":
            out.append("\\*" if at_start else ("" if out and out[-1] in ("*", "+") else "*"))
            at_start = False
            continue
        if extended and c in "()|+?{}":
            if c == "{":
                m = re.match(r"\d+(,\d*)?\}|,\d+\}", pattern[i:])
                if m is None or at_start:
                    out.append("\\{")
                    continue
                out.append("{" + m.group(0))
                i += m.end()
                continue
            if c == "}":
                out.append("\\}")
                continue
            if c in "+?" and at_start:
                out.append("\\" + c)
                continue
            out.append(c)
            at_start = c in "(|"
            continue
        if not extended and c in "(){}|+?":
            out.append("\\" + c)
            at_start = False
            continue
        if c == "^":
            out.append("^" if (extended or at_start) else "\\^")
            at_start = not extended or at_start
            continue
        if c == "$":
            is_end = extended or i == n or pattern.startswith("\\)", i) or pattern.startswith("\\|", i)
            out.append("$" if is_end else "\\$")
            at_start = False
            continue
        out.append("." if c == "." else re.escape(c))
        at_start = False
    return "".join(out)


def compile_grep(patterns: list[str], *, extended: bool, fixed: bool, icase: bool, word: bool, line: bool) -> re.Pattern[str]:
    parts = []
    for pattern in patterns:
        body = re.escape(pattern) if fixed else translate_regex(pattern, extended)
        if word:
            body = f"(?<![A-Za-z0-9_])(?:{body})(?![A-Za-z0-9_])"
        if line:
            body = f"^(?:{body})$"
        parts.append(body)
    source = "|".join(f"(?:{p})" for p in parts) if len(parts) > 1 else parts[0]
    try:
        return re.compile(source, re.IGNORECASE if icase else 0)
    except re.error as err:
        text = str(err)
        if "missing )" in text or "unterminated subpattern" in text:
            raise _RegexError("Unmatched ( or \\(") from None
        if "unbalanced parenthesis" in text:
            raise _RegexError("Unmatched ) or \\)") from None
        if "invalid group reference" in text:
            raise _RegexError("Invalid back reference") from None
        raise _RegexError("Invalid regular expression") from None


@command("grep", "egrep", "fgrep", summary="print lines that match patterns", stream_input=True)
def grep(ctx: Ctx) -> Gen:
    args = ctx.argv[1:]
    expanded: list[str] = []
    for arg in args:  # GNU grep takes -NUM as --context=NUM
        m = re.fullmatch(r"-(\d+)", arg)
        expanded.extend(["-C", m.group(1)] if m else [arg])
    try:
        opts, operands = getopt(expanded, "EFGPe:f:iywxvcm:oqsnHhlLA:B:C:azrR", _GREP_LONG)
    except OptError as err:
        ctx.err(f"grep: {err.message}\n{_GREP_USAGE}Try 'grep --help' for more information.\n")
        return 2
    flags: dict[str, str] = {}
    patterns: list[str] = []
    extended = ctx.name == "egrep"
    fixed = ctx.name == "fgrep"
    for key, value in opts:
        if key == "e":
            patterns.extend(value.split("\n"))
        elif key == "f":
            text, error = _read_file(ctx, value)
            if text is None:
                ctx.err(f"grep: {value}: {error}\n")
                return 2
            patterns.extend(text.splitlines())
        elif key == "E":
            extended, fixed = True, False
        elif key == "F":
            fixed = True
        elif key == "G":
            extended, fixed = False, False
        elif key == "P":
            extended = True
        elif key == "help":
            ctx.out(_GREP_USAGE + "Search for PATTERNS in each FILE.\n")
            return 0
        else:
            flags[key] = value
    if "y" in flags:
        flags["i"] = ""
    if not patterns:
        if not operands:
            ctx.err(f"{_GREP_USAGE}Try 'grep --help' for more information.\n")
            return 2
        patterns = operands.pop(0).split("\n")
    numbers = {}
    for key in ("m", "A", "B", "C"):
        if key in flags:
            if not flags[key].isdigit():
                what = "max count" if key == "m" else "context length argument"
                ctx.err(f"grep: {flags[key]}: invalid {what}\n")
                return 2
            numbers[key] = int(flags[key])
    try:
        rx = compile_grep(
            patterns, extended=extended, fixed=fixed, icase="i" in flags and "no-i" not in flags,
            word="w" in flags, line="x" in flags,
        )
    except _RegexError as err:
        ctx.err(f"grep: {err}\n")
        return 2
    invert, count, only, quiet = "v" in flags, "c" in flags, "o" in flags, "q" in flags
    list_files, list_missing, show_num = "l" in flags, "L" in flags, "n" in flags
    max_count = numbers.get("m")
    after = numbers.get("A", numbers.get("C", 0))
    before = numbers.get("B", numbers.get("C", 0))
    files = operands or ["-"]
    with_name = ("H" in flags or len(files) > 1) and "h" not in flags
    status_err = False
    matched_any = False
    last_printed = 0
    printed_any = False
    for name in files:
        label = "(standard input)" if name == "-" else name
        if name != "-":
            _, error = _read_file(ctx, name)
            if error:
                if "s" not in flags:
                    ctx.err(f"grep: {name}: {error}\n")
                status_err = True
                continue
        read = _each_line(ctx, name)
        hits = 0
        lineno = 0
        pending_after = 0
        history: deque[tuple[int, str]] = deque(maxlen=before or None)
        last_printed = 0
        while True:
            if max_count is not None and hits >= max_count and pending_after == 0:
                break
            raw = yield from read()
            if raw is None:
                break
            lineno += 1
            text = raw[:-1] if raw.endswith("\n") else raw
            selected = (rx.search(text) is not None) != invert
            if selected and (max_count is None or hits < max_count):
                hits += 1
                matched_any = True
                if quiet:
                    return 0
                if count or list_files or list_missing:
                    if list_files:
                        break
                    continue
                if (before or after) and printed_any and last_printed and history and history[0][0] > last_printed + 1:
                    ctx.out("--\n")
                elif (before or after) and printed_any and last_printed and not history and lineno > last_printed + 1:
                    ctx.out("--\n")
                for num, old in history:
                    ctx.out(_grep_prefix(label if with_name else None, num if show_num else None, "-") + old + "\n")
                history.clear()
                prefix = _grep_prefix(label if with_name else None, lineno if show_num else None, ":")
                if only and not invert:
                    for m in rx.finditer(text):
                        if m.group(0):
                            ctx.out(prefix + m.group(0) + "\n")
                else:
                    ctx.out(prefix + text + "\n")
                last_printed = lineno
                printed_any = True
                pending_after = after
            elif pending_after > 0 and not (count or list_files or list_missing or quiet):
                ctx.out(_grep_prefix(label if with_name else None, lineno if show_num else None, "-") + text + "\n")
                last_printed = lineno
                pending_after -= 1
            elif before:
                history.append((lineno, text))
        if count:
            ctx.out((f"{label}:" if with_name else "") + f"{hits}\n")
        if list_files and hits:
            ctx.out(label + "\n")
        if list_missing and not hits:
            ctx.out(label + "\n")
    if status_err and not (quiet and matched_any):
        return 2
    return 0 if matched_any else 1


def _grep_prefix(name: str | None, num: int | None, sep: str) -> str:
    out = ""
    if name is not None:
        out += name + sep
    if num is not None:
        out += f"{num}{sep}"
    return out


def _count_arg(ctx: Ctx, value: str, what: str) -> tuple[int, str] | None:
    """Parse head/tail's NUM ("+N", "-N", suffixes K/M)."""
    m = re.fullmatch(r"([-+]?)(\d+)([kKMGbB]?)", value.strip())
    if m is None:
        ctx.err(f"{ctx.name}: invalid number of {what}: {_q(value)}\n")
        return None
    mult = {"": 1, "b": 512, "B": 512, "k": 1024, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(3)]
    return int(m.group(2)) * mult, m.group(1)


def _head_tail_args(ctx: Ctx) -> tuple[list[tuple[str, str]], list[str]] | None:
    args: list[str] = []
    for arg in ctx.argv[1:]:
        m = re.fullmatch(r"([-+])(\d+)([cl]?)", arg)
        takes_value = bool(args) and args[-1] in ("-n", "-c", "--lines", "--bytes")
        if m and not takes_value and not (m.group(1) == "+" and ctx.name == "head"):
            args.extend([f"-{m.group(3) or 'n'}", ("+" if m.group(1) == "+" else "") + m.group(2)])
        else:
            args.append(arg)
    try:
        return getopt(args, "n:c:qvfFz", {"lines": ("n", True), "bytes": ("c", True), "quiet": ("q", False),
                                         "silent": ("q", False), "verbose": ("v", False), "follow": ("f", False)})
    except OptError as err:
        _try_help(ctx, err.message)
        return None


@command("head", summary="output the first part of files", stream_input=True)
def head(ctx: Ctx) -> Gen:
    parsed = _head_tail_args(ctx)
    if parsed is None:
        return 1
    opts, files = parsed
    count, sign, unit = 10, "", "n"
    for key, value in opts:
        if key in ("n", "c"):
            result = _count_arg(ctx, value, "lines" if key == "n" else "bytes")
            if result is None:
                return 1
            (count, sign), unit = result, key
        elif key == "f":
            return _try_help(ctx, "invalid option -- 'f'")
    files = files or ["-"]
    headers = (len(files) > 1 or any(k == "v" for k, _ in opts)) and not any(k == "q" for k, _ in opts)
    status = 0
    for n, name in enumerate(files):
        if name != "-":
            _, error = _read_file(ctx, name)
            if error:
                ctx.err(f"head: cannot open '{name}' for reading: {error}\n")
                status = 1
                continue
        if headers:
            ctx.out(("\n" if n else "") + f"==> {'standard input' if name == '-' else name} <==\n")
        read = _each_line(ctx, name)
        if sign == "-" or unit == "c":
            lines = []
            while True:
                line = yield from read()
                if line is None:
                    break
                lines.append(line)
            text = "".join(lines)
            if unit == "c":
                data = to_bytes(text)
                data = data[: max(0, len(data) - count)] if sign == "-" else data[:count]
                ctx.out(data.decode("utf-8", errors="replace"))
            else:
                ctx.out("".join(lines[: max(0, len(lines) - count)]))
            continue
        for _ in range(count):
            line = yield from read()
            if line is None:
                break
            ctx.out(line)
    return status


@command("tail", summary="output the last part of files", stream_input=True)
def tail(ctx: Ctx) -> Gen:
    parsed = _head_tail_args(ctx)
    if parsed is None:
        return 1
    opts, files = parsed
    count, sign, unit = 10, "", "n"
    follow = False
    for key, value in opts:
        if key in ("n", "c"):
            result = _count_arg(ctx, value, "lines" if key == "n" else "bytes")
            if result is None:
                return 1
            (count, sign), unit = result, key
        elif key in ("f", "F"):
            follow = True
    files = files or ["-"]
    headers = (len(files) > 1 or any(k == "v" for k, _ in opts)) and not any(k == "q" for k, _ in opts)
    status = 0
    for n, name in enumerate(files):
        if name == "-":
            text = yield from _all_text(ctx)
        else:
            text, error = _read_file(ctx, name)
            if text is None:
                ctx.err(f"tail: cannot open '{name}' for reading: {error}\n")
                status = 1
                continue
        if headers:
            ctx.out(("\n" if n else "") + f"==> {'standard input' if name == '-' else name} <==\n")
        if unit == "c":
            data = to_bytes(text)
            data = data[max(0, count - 1) :] if sign == "+" else data[max(0, len(data) - count) :]
            ctx.out(data.decode("utf-8", errors="replace"))
            continue
        lines = text.splitlines(keepends=True)
        chosen = lines[max(0, count - 1) :] if sign == "+" else (lines[len(lines) - count :] if count else [])
        ctx.out("".join(chosen))
    if follow and any(f != "-" for f in files):
        yield Waiter()  # nothing appends to files here: follow until interrupted
    return status


@command("wc", summary="print newline, word, and byte counts", stream_input=True)
def wc(ctx: Ctx) -> Gen:
    try:
        opts, files = getopt(ctx.argv[1:], "clmwL", {"bytes": ("c", False), "chars": ("m", False),
                                                     "lines": ("l", False), "words": ("w", False)})
    except OptError as err:
        return _try_help(ctx, err.message)
    chosen = [k for k in "lwmc" if any(o == k for o, _ in opts)] or ["l", "w", "c"]
    rows: list[tuple[list[int], str | None]] = []
    status = 0
    total_bytes = 0
    for name in files or ["-"]:
        if name == "-":
            text = yield from _all_text(ctx)
        else:
            text, error = _read_file(ctx, name)
            if text is None:
                ctx.err(f"wc: {name}: {error}\n")
                status = 1
                continue
        counts = {"l": text.count("\n"), "w": len(text.split()), "m": len(text), "c": len(to_bytes(text))}
        total_bytes += counts["c"]
        rows.append(([counts[k] for k in chosen], name if files else None))
    if len(rows) > 1:
        rows.append(([sum(r[0][i] for r in rows) for i in range(len(chosen))], "total"))
    # GNU wc: one number for one input is not padded; otherwise the width is that of the
    # total size of the files, at least 7 when reading a pipe.
    if len(chosen) == 1 and len(rows) == 1:
        width = 1
    else:
        width = max(len(str(total_bytes)), 7 if (not files or "-" in files) else 1)
    for counts, name in rows:
        line = " ".join(f"{n:>{width}}" for n in counts)
        ctx.out(line + (f" {name}" if name is not None else "") + "\n")
    return status


_NUM_RE = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+))")


def _sort_key_fields(line: str, sep: str | None) -> list[str]:
    if sep is not None:
        return line.split(sep)
    return re.findall(r"\s*\S+", line) or [line]


@command("sort", summary="sort lines of text files", stream_input=True)
def sort(ctx: Ctx) -> Gen:
    try:
        opts, files = getopt(ctx.argv[1:], "bfhnrsuVzk:t:o:",
                             {"numeric-sort": ("n", False), "reverse": ("r", False), "unique": ("u", False),
                              "key": ("k", True), "field-separator": ("t", True), "ignore-case": ("f", False),
                              "human-numeric-sort": ("h", False), "stable": ("s", False), "output": ("o", True)})
    except OptError as err:
        return _try_help(ctx, err.message, 2)
    flags = {k: v for k, v in opts if k not in ("k",)}
    keys = []
    for key, value in opts:
        if key == "k":
            m = re.fullmatch(r"(\d+)(?:\.(\d+))?([bfnrh]*)(?:,(\d+)(?:\.(\d+))?([bfnrh]*))?", value)
            if m is None or int(m.group(1)) == 0:
                what = "field start" if not value[:1].isdigit() or value.startswith("0") else "field spec"
                ctx.err(f"sort: invalid number at {what}: invalid count at start of {_q(value)}\n")
                return 2
            keys.append((int(m.group(1)), int(m.group(2) or 0), int(m.group(4)) if m.group(4) else None,
                         int(m.group(5) or 0), set((m.group(3) or "") + (m.group(6) or ""))))
    sep = flags.get("t")
    if sep is not None and len(sep) != 1:
        ctx.err("sort: multi-character tab " + _q(sep) + "\n")
        return 2
    lines: list[str] = []
    status = 0
    for name in files or ["-"]:
        if name == "-":
            text = yield from _all_text(ctx)
        else:
            text, error = _read_file(ctx, name)
            if text is None:
                ctx.err(f"sort: cannot read: {name}: {error}\n")
                return 2
        lines.extend(text.splitlines())
    numeric, reverse, fold = "n" in flags or "h" in flags, "r" in flags, "f" in flags

    def extract(line: str, k: tuple[int, int, int | None, int, set[str]]) -> str:
        fields = _sort_key_fields(line, sep)
        start_f, start_c, end_f, end_c, _ = k
        if start_f > len(fields):
            return ""
        start = sum(len(f) + (1 if sep else 0) for f in fields[: start_f - 1])
        first = fields[start_f - 1]
        if start_c:
            stripped = len(first) - len(first.lstrip()) if sep is None else 0
            start += stripped + start_c - 1
        if end_f is None:
            return line[start:]
        end = sum(len(f) + (1 if sep else 0) for f in fields[:end_f]) - (1 if sep else 0)
        if end_c:
            last = fields[end_f - 1] if end_f <= len(fields) else ""
            end = end - len(last) + (len(last) - len(last.lstrip()) if sep is None else 0) + end_c
        return line[start:max(start, end)]

    def num(text: str) -> float:
        m = _NUM_RE.match(text)
        return float(m.group(1)) if m else 0.0

    def compare_text(a: str, b: str, opts_: set[str]) -> int:
        if "n" in opts_ or "h" in opts_ or (not opts_ - {"r", "b"} and numeric):
            x, y = num(a), num(b)
            return (x > y) - (x < y)
        if "b" in opts_ or "b" in flags:
            a, b = a.lstrip(), b.lstrip()
        if "f" in opts_ or fold:
            a, b = a.upper(), b.upper()
        return (a > b) - (a < b)

    def cmp(a: str, b: str) -> int:
        for k in keys:
            kopts = k[4]
            result = compare_text(extract(a, k), extract(b, k), kopts)
            if "r" in kopts:
                result = -result
            if result:
                return -result if reverse else result
        if not keys:
            result = compare_text(a, b, set())
            if result:
                return -result if reverse else result
        if "s" in flags or "u" in flags:
            return 0
        result = (a > b) - (a < b)
        return -result if reverse else result

    ordered = sorted(lines, key=functools.cmp_to_key(cmp))
    if "u" in flags:
        unique: list[str] = []
        for line in ordered:
            if not unique or cmp(unique[-1], line) != 0:
                unique.append(line)
        ordered = unique
    text = "".join(line + "\n" for line in ordered)
    if "o" in flags:
        fs = ctx.sandbox.fs
        fs.write(_path(ctx, flags["o"]), to_bytes(text))
    else:
        ctx.out(text)
    return status


def _parse_list(ctx: Ctx, spec: str) -> list[tuple[int, int]] | None:
    ranges = []
    for part in spec.split(","):
        m = re.fullmatch(r"(\d*)(-?)(\d*)", part.strip())
        if m is None or part.strip() in ("", "-"):
            _try_help(ctx, f"invalid field value {_q(part)}" if part.strip() else "fields are numbered from 1")
            return None
        lo = int(m.group(1)) if m.group(1) else 1
        hi = int(m.group(3)) if m.group(3) else (lo if not m.group(2) else 1 << 30)
        if (m.group(1) and int(m.group(1)) == 0) or (m.group(3) and int(m.group(3)) == 0 and not m.group(1)):
            _try_help(ctx, "fields are numbered from 1")
            return None
        if hi < lo:
            _try_help(ctx, "invalid decreasing range")
            return None
        ranges.append((lo, hi))
    return ranges


@command("cut", summary="remove sections from each line of files", stream_input=True)
def cut(ctx: Ctx) -> Gen:
    try:
        opts, files = getopt(ctx.argv[1:], "b:c:d:f:nsz",
                             {"bytes": ("b", True), "characters": ("c", True), "delimiter": ("d", True),
                              "fields": ("f", True), "only-delimited": ("s", False),
                              "output-delimiter": ("O", True), "complement": ("N", False)})
    except OptError as err:
        return _try_help(ctx, err.message)
    flags = dict(opts)
    modes = [k for k in ("b", "c", "f") if k in flags]
    if not modes:
        return _try_help(ctx, "you must specify a list of bytes, characters, or fields")
    if len(modes) > 1:
        return _try_help(ctx, "only one list may be specified")
    mode = modes[0]
    delim = flags.get("d", "\t")
    if len(delim) != 1:
        return _try_help(ctx, "the delimiter must be a single character")
    if "d" in flags and mode != "f":
        return _try_help(ctx, "an input delimiter may be specified only when operating on fields")
    ranges = _parse_list(ctx, flags[mode])
    if ranges is None:
        return 1
    out_delim = flags.get("O", delim if mode == "f" else "")
    complement = "N" in flags

    def wanted(i: int) -> bool:
        inside = any(lo <= i <= hi for lo, hi in ranges)
        return inside != complement

    status = 0
    for name in files or ["-"]:
        if name != "-":
            _, error = _read_file(ctx, name)
            if error:
                ctx.err(f"cut: {name}: {error}\n")
                status = 1
                continue
        read = _each_line(ctx, name)
        while True:
            raw = yield from read()
            if raw is None:
                break
            text = raw[:-1] if raw.endswith("\n") else raw
            if mode == "f":
                if delim not in text:
                    if "s" not in flags:
                        ctx.out(text + "\n")
                    continue
                fields = text.split(delim)
                ctx.out(out_delim.join(f for i, f in enumerate(fields, 1) if wanted(i)) + "\n")
            else:
                ctx.out(out_delim.join(ch for i, ch in enumerate(text, 1) if wanted(i)) + "\n")
    return status


@command("uniq", summary="report or omit repeated lines", stream_input=True)
def uniq(ctx: Ctx) -> Gen:
    try:
        opts, files = getopt(ctx.argv[1:], "cdiuzf:s:", {"count": ("c", False), "repeated": ("d", False),
                                                        "unique": ("u", False), "ignore-case": ("i", False)})
    except OptError as err:
        return _try_help(ctx, err.message)
    flags = dict(opts)
    if files and files[0] != "-":
        text, error = _read_file(ctx, files[0])
        if text is None:
            ctx.err(f"uniq: {files[0]}: {error}\n")
            return 1
        read = _each_line(ctx, files[0])
    else:
        read = _each_line(ctx, "-")

    def norm(s: str) -> str:
        return s.lower() if "i" in flags else s

    def emit(line: str | None, n: int) -> None:
        if line is None:
            return
        if ("d" in flags and n < 2) or ("u" in flags and n > 1):
            return
        ctx.out((f"{n:7d} " if "c" in flags else "") + line + "\n")

    prev: str | None = None
    count = 0
    while True:
        raw = yield from read()
        if raw is None:
            break
        text = raw[:-1] if raw.endswith("\n") else raw
        if prev is not None and norm(text) == norm(prev):
            count += 1
            continue
        emit(prev, count)
        prev, count = text, 1
    emit(prev, count)
    return 0


def _tr_set(spec: str) -> list[str]:
    chars: list[str] = []
    i = 0
    while i < len(spec):
        if spec.startswith("[:", i):
            end = spec.find(":]", i + 2)
            if end > 0 and spec[i + 2 : end] in _CLASSES:
                name = spec[i + 2 : end]
                pool = {"alpha": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "digit": "0123456789",
                        "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "lower": "abcdefghijklmnopqrstuvwxyz",
                        "space": " \t\n\r\f\v", "blank": " \t", "punct": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
                        "xdigit": "0123456789ABCDEFabcdef"}.get(name)
                if pool is None:
                    pool = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                chars.extend(pool)
                i = end + 2
                continue
        c = spec[i]
        if c == "\\" and i + 1 < len(spec):
            piece, used = decode_escape(spec, i + 1, ansi_c=True)
            c = piece[-1] if piece else "\\"
            i += used
        if i + 2 < len(spec) and spec[i + 1] == "-":
            end_c = spec[i + 2]
            if ord(end_c) >= ord(c):
                chars.extend(chr(x) for x in range(ord(c), ord(end_c) + 1))
                i += 3
                continue
        chars.append(c)
        i += 1
    return chars


@command("tr", summary="translate or delete characters", stream_input=True)
def tr(ctx: Ctx) -> Gen:
    try:
        opts, sets = getopt(ctx.argv[1:], "cCdst", {"delete": ("d", False), "squeeze-repeats": ("s", False),
                                                    "complement": ("c", False)})
    except OptError as err:
        return _try_help(ctx, err.message)
    flags = {k for k, _ in opts}
    if not sets:
        return _try_help(ctx, "missing operand")
    delete, squeeze = "d" in flags, "s" in flags
    if not delete and not squeeze and len(sets) < 2:
        return _try_help(ctx, f"missing operand after {_q(sets[0])}", usage="Two strings must be given when translating.\n")
    if len(sets) > (1 if delete and not squeeze else 2):
        return _try_help(ctx, f"extra operand {_q(sets[-1])}")
    set1 = _tr_set(sets[0])
    set2 = _tr_set(sets[1]) if len(sets) > 1 else []
    complement = "c" in flags or "C" in flags
    table: dict[str, str] = {}
    if not delete and set2:
        for k, c in enumerate(set1):
            table.setdefault(c, set2[min(k, len(set2) - 1)])
    members = set(set1)
    squeeze_set = set(set2) if (squeeze and set2 and not delete) or (squeeze and delete) else members
    if squeeze and delete:
        squeeze_set = set(set2)

    def in1(c: str) -> bool:
        return (c in members) != complement

    last = ""
    while True:
        line = yield from _input_lines(ctx)
        if line is None:
            return 0
        out = []
        for c in line:
            if delete and in1(c):
                continue
            if not delete and in1(c) and set2:
                c = table.get(c, set2[-1])
            if squeeze and c in squeeze_set and c == last:
                continue
            out.append(c)
            last = c
        ctx.out("".join(out))

