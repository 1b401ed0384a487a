"""Where text goes: the terminal transcript, pipes between processes, and file sinks.

Everything is text stamped with virtual time. The terminal keeps every chunk
(so a script's transcript is exact and a live UI can subscribe), and a pipe
wakes its reader on each write, which is what lets ``tcpdump | grep`` show
lines as they come and ``ping | head -3`` stop the producer.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.engine.process import Waiter

if TYPE_CHECKING:
    from tui.engine.clock import Clock
    from tui.engine.fs import FileSystem
    from tui.engine.process import Process


@dataclass(frozen=True, slots=True)
class Chunk:
    """One write to the terminal. ``stream`` is "out", "err", "echo" (what the
    terminal itself shows: prompts, typed lines, ``^C``) or "clear"."""

    t: int
    stream: str
    text: str


class Terminal:
    """The output side of one terminal session.

    ``columns`` and ``lines`` are the window size a program gets from
    ``TIOCGWINSZ`` on it; None until someone (the player's console) says, as
    for a terminal whose size is unknown (headless runs, transcripts): tools
    then fall back to their own defaults (docker/cli assumes 200 columns).
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock
        self.chunks: list[Chunk] = []
        self._subscribers: list[Callable[[Chunk], None]] = []
        self.columns: int | None = None
        self.lines: int | None = None

    def resize(self, columns: int | None, lines: int | None) -> None:
        """The window changed size (what SIGWINCH tells a program); None: unknown."""
        self.columns = max(1, int(columns)) if columns is not None else None
        self.lines = max(1, int(lines)) if lines is not None else None

    def write(self, text: str, stream: str = "out") -> None:
        if not text:
            return
        chunk = Chunk(self.clock.now if self.clock is not None else 0, stream, text)
        self.chunks.append(chunk)
        for callback in list(self._subscribers):
            callback(chunk)

    def clear(self) -> None:
        """What ``clear`` does: live views wipe the screen; the transcript keeps its history."""
        chunk = Chunk(self.clock.now if self.clock is not None else 0, "clear", "")
        self.chunks.append(chunk)
        for callback in list(self._subscribers):
            callback(chunk)

    def text(self) -> str:
        """The transcript: everything shown, in order."""
        return "".join(c.text for c in self.chunks)

    def subscribe(self, callback: Callable[[Chunk], None]) -> Callable[[], None]:
        """Call ``callback(chunk)`` on every write; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe


class Pipe:
    """A one-way text channel. Writers never block; a closed reader makes it 'broken'."""

    def __init__(self, data: str = "", *, closed: bool = False) -> None:
        self.data = data
        self.closed = closed  # no more writers: EOF once the data is read
        self.broken = False  # the reader has gone: writes are lost (SIGPIPE)
        self._waiter: Waiter | None = None

    def write(self, text: str) -> bool:
        """Append text; False when the reader has gone."""
        if self.broken:
            return False
        if text:
            self.data += text
            self._wake()
        return True

    def close_write(self) -> None:
        if not self.closed:
            self.closed = True
            self._wake()

    def close_read(self) -> None:
        self.broken = True
        self.data = ""

    def changed(self) -> Waiter:
        """A waiter fired on the next write or close."""
        if self._waiter is None or self._waiter.fired:
            self._waiter = Waiter()
        return self._waiter

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.fire(None)


class Input:
    """The reading end a streaming command gets as ``ctx.input``."""

    def __init__(self, pipe: Pipe) -> None:
        self.pipe = pipe

    @classmethod
    def from_text(cls, text: str) -> Input:
        return cls(Pipe(text, closed=True))

    def readline(self) -> Generator[Any, Any, str | None]:
        """The next line with its newline (the last one may lack it); None at EOF."""
        pipe = self.pipe
        while True:
            i = pipe.data.find("\n")
            if i >= 0:
                line, pipe.data = pipe.data[: i + 1], pipe.data[i + 1 :]
                return line
            if pipe.closed or pipe.broken:
                rest, pipe.data = pipe.data, ""
                return rest or None
            yield pipe.changed()

    def read_all(self) -> Generator[Any, Any, str]:
        """Everything until EOF."""
        pipe = self.pipe
        while not (pipe.closed or pipe.broken):
            yield pipe.changed()
        text, pipe.data = pipe.data, ""
        return text

    def lines(self) -> Generator[Any, Any, list[str]]:
        """All remaining lines (for tools like sort that need the whole input)."""
        text = yield from self.read_all()
        return text.splitlines(keepends=True)

    def close(self) -> None:
        """The reader is done: later writes to the pipe are lost."""
        self.pipe.close_read()


def to_bytes(text: str) -> bytes:
    """UTF-8 for files; bytes that came in undecodable (surrogates) go back out as they were."""
    try:
        return text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace")


class Sink:
    """Where a file descriptor's output goes."""

    def write(self, text: str, proc: Process | None = None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class NullSink(Sink):
    def write(self, text: str, proc: Process | None = None) -> None:
        return None


class TerminalSink(Sink):
    def __init__(self, terminal: Terminal, stream: str = "out") -> None:
        self.terminal = terminal
        self.stream = stream

    def write(self, text: str, proc: Process | None = None) -> None:
        self.terminal.write(text, self.stream)


class CallableSink(Sink):
    """Output forwarded to a callable (e.g. the ``ctx.out`` of an ssh client)."""

    def __init__(self, fn: Callable[[str], None]) -> None:
        self.fn = fn

    def write(self, text: str, proc: Process | None = None) -> None:
        self.fn(text)


class BufferSink(Sink):
    """Collects output (command substitution)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str, proc: Process | None = None) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)


class FileSink(Sink):
    """Appends to a file of the sandbox (the redirection already truncated it if needed)."""

    def __init__(self, fs: FileSystem, path: str) -> None:
        self.fs = fs
        self.path = path

    def write(self, text: str, proc: Process | None = None) -> None:
        self.fs.write(self.path, to_bytes(text), append=True)


class PipeSink(Sink):
    """The writing end of a pipe; writing to a broken pipe earns the writer a SIGPIPE."""

    def __init__(self, pipe: Pipe, on_broken: Callable[[Process], None]) -> None:
        self.pipe = pipe
        self.on_broken = on_broken
        self._signalled: list[Process] = []

    def write(self, text: str, proc: Process | None = None) -> None:
        if not self.pipe.write(text) and proc is not None and proc not in self._signalled:
            self._signalled.append(proc)  # one SIGPIPE per writer, as the kernel would after the first
            self.on_broken(proc)
