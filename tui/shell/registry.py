"""The command registry: how tools (ours and other modules') plug into the shell.

A command is a function ``handler(ctx) -> int | generator``. Plain functions
finish at once; long-running tools are process generators that yield virtual
nanoseconds or :class:`~tui.engine.process.Waiter` objects and return their
exit status. :func:`run_command` gives both kinds one shape and turns an
unexpected exception into a one-line error, so a bug in one tool never shows a
Python traceback to the learner.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.engine.process import Interrupted

if TYPE_CHECKING:
    from tui.engine.clock import Clock
    from tui.engine.host import Host, Sandbox
    from tui.engine.lab import Lab
    from tui.shell.interp import Shell
    from tui.shell.terminal import Input

CommandResult = int | None | Generator[Any, Any, int | None]
Handler = Callable[["Ctx"], CommandResult]
Completer = Callable[["Ctx | None", list[str]], list[str]]

ALL_TOOLS = frozenset({"gnu", "busybox"})


class ShellControl(Exception):  # noqa: N818 - control flow, not an error
    """Base of the shell's own control-flow signals (exit, break, continue).

    They travel through :func:`run_command` untouched, like :class:`Interrupted`.
    """


class ShellExit(ShellControl):
    """Raised by ``exit``: ends the innermost shell (subshell, ``bash -c`` or session)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class LoopControl(ShellControl):
    """Raised by ``break`` / ``continue`` with the number of loops to leave."""

    def __init__(self, kind: str, levels: int = 1) -> None:
        super().__init__(kind, levels)
        self.kind = kind
        self.levels = levels


def _discard(_text: str) -> None:
    return None


def terminal_size(ctx: Ctx, fd: int = 1) -> tuple[int, int] | None:
    """``ioctl(fd, TIOCGWINSZ)`` for a command: (columns, lines) of the terminal ``fd`` writes to.

    None when ``fd`` is not the terminal (a pipe, a file, a remote session's
    relay) or the terminal's size is unknown: the caller falls back as the real
    tool does when the ioctl fails.
    """
    fds = getattr(ctx.runtime, "fds", None)
    sink = fds.get(fd) if fds is not None else None
    term = getattr(sink, "terminal", None) if fds is not None else ctx.shell.terminal
    columns, lines = getattr(term, "columns", None), getattr(term, "lines", None)
    if columns is None or lines is None:
        return None
    return columns, lines


@dataclass
class Ctx:
    """Everything a command invocation can see.

    ``stdin`` holds the whole piped or redirected input of a non-streaming
    command (``None`` when stdin is the terminal). Streaming filters
    (registered with ``stream_input=True``) read ``input`` line by line
    instead, so ``tcpdump | grep`` shows lines as they come.
    """

    argv: list[str]
    env: dict[str, str]
    sandbox: Sandbox
    shell: Shell
    stdin: str | None = None
    out: Callable[[str], None] = _discard
    err: Callable[[str], None] = _discard
    input: Input | None = None
    cwd: str = "/root"
    # Shell-internal plumbing (the calling shell's variables, job and process);
    # commands outside tui/shell should not touch it.
    runtime: Any = field(default=None, repr=False)

    @property
    def lab(self) -> Lab:
        return self.sandbox.lab

    @property
    def clock(self) -> Clock:
        return self.sandbox.lab.clock

    @property
    def host(self) -> Host:
        return self.sandbox.host

    @property
    def name(self) -> str:
        """The command name as typed (``argv[0]``), for error messages."""
        return self.argv[0] if self.argv else ""


@dataclass
class CommandSpec:
    """One registered command."""

    name: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    summary: str = ""
    complete: Completer | None = None
    tools: frozenset[str] = ALL_TOOLS
    builtin: bool = False  # runs inside the shell process (may change shell state)
    stream_input: bool = False  # reads ctx.input line by line instead of ctx.stdin


# name -> specs, one per userland flavour (a later registration for the same
# flavour replaces the earlier one, so a module can be reloaded).
_REGISTRY: dict[str, list[CommandSpec]] = {}

# Formatted tracebacks of the last internal errors, for developers and tests.
internal_errors: list[str] = []
_MAX_ERRORS = 20


def command(
    name: str,
    *aliases: str,
    summary: str = "",
    complete: Completer | None = None,
    tools: Iterable[str] | None = None,
    builtin: bool = False,
    stream_input: bool = False,
) -> Callable[[Handler], Handler]:
    """Register ``handler`` under ``name`` and ``aliases``.

    ``tools`` restricts it to one userland (``{"gnu"}`` or ``{"busybox"}``);
    by default it exists in both.
    """
    flavours = frozenset(tools) if tools is not None else ALL_TOOLS
    unknown = flavours - ALL_TOOLS
    if unknown:
        raise ValueError(f"unknown tools flavour(s) {sorted(unknown)} for command {name!r}")

    def register(handler: Handler) -> Handler:
        spec = CommandSpec(
            name=name,
            handler=handler,
            aliases=tuple(aliases),
            summary=summary,
            complete=complete,
            tools=flavours,
            builtin=builtin,
            stream_input=stream_input,
        )
        for key in (name, *aliases):
            specs = _REGISTRY.setdefault(key, [])
            kept = []
            for old in specs:
                rest = old.tools - flavours
                if rest:
                    kept.append(old if rest == old.tools else _narrowed(old, rest))
            kept.append(spec)
            _REGISTRY[key] = kept
        return handler

    return register


def _narrowed(spec: CommandSpec, tools: frozenset[str]) -> CommandSpec:
    return CommandSpec(
        spec.name, spec.handler, spec.aliases, spec.summary, spec.complete, tools,
        spec.builtin, spec.stream_input,
    )


def lookup_spec(name: str, tools: str) -> CommandSpec | None:
    """The spec of ``name`` for a userland flavour, or None."""
    for spec in _REGISTRY.get(name, ()):
        if tools in spec.tools:
            return spec
    return None


def lookup(name: str, tools: str) -> Handler | None:
    """The handler of ``name`` for a userland flavour (``"gnu"``/``"busybox"``), or None."""
    spec = lookup_spec(name, tools)
    return spec.handler if spec is not None else None


def names(tools: str | None = None) -> list[str]:
    """All command names (and aliases), for tab completion."""
    return sorted(n for n, specs in _REGISTRY.items() if tools is None or any(tools in s.tools for s in specs))


def run_command(ctx: Ctx, handler: Handler | None = None) -> Generator[Any, Any, int]:
    """Run a command as a process generator and return its exit status.

    Looks the handler up by ``ctx.argv[0]`` unless given. Signals
    (:class:`Interrupted`) and shell control flow pass through; any other
    exception becomes ``NAME: internal error: ...`` on stderr and status 1.
    """
    name = ctx.argv[0] if ctx.argv else ""
    if handler is None:
        handler = lookup(name, ctx.sandbox.tools)
        if handler is None:
            ctx.err(f"{name}: command not found\n")
            return 127
    try:
        result = handler(ctx)
        if isinstance(result, Generator):
            result = yield from result
    except (Interrupted, ShellControl):
        raise
    except Exception as exc:  # a bug in a tool must not reach the learner as a traceback
        _report(name, exc, ctx)
        return 1
    if result is None:
        return 0
    if isinstance(result, bool) or not isinstance(result, int):
        _report(name, TypeError(f"command returned {type(result).__name__}"), ctx)
        return 1
    return result & 0xFF  # like the kernel: exit(-1) is 255, exit(256) is 0


def _report(name: str, exc: BaseException, ctx: Ctx) -> None:
    if isinstance(exc, RecursionError):
        message = f"{name}: maximum nesting level exceeded\n"
    else:
        internal_errors.append("".join(traceback.format_exception(exc)))
        del internal_errors[:-_MAX_ERRORS]
        message = f"{name}: internal error: {str(exc) or type(exc).__name__}\n"
    try:
        ctx.err(message)
    except Exception:  # the error sink itself failed; nothing more we can do
        pass
