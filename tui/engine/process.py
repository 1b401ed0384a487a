"""Processes in virtual time.

A process is a generator. It yields an ``int`` to sleep that many virtual
nanoseconds, or a :class:`Waiter` to block until something fires it (the
fired value is sent back in). Its return value is the exit status. Signals
are delivered by throwing :class:`Interrupted` into the generator, so a tool
like ``ping`` can catch it and print its statistics as the real one does on
Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from tui.engine.clock import Clock, Timer

SIGINT = 2
SIGKILL = 9
SIGTERM = 15

ProcGen = Generator[Any, Any, int | None]


class Interrupted(Exception):
    """Thrown into a process generator when it receives a signal."""

    def __init__(self, signal: int = SIGINT) -> None:
        super().__init__(signal)
        self.signal = signal


class Waiter:
    """A one-shot event a process can block on."""

    __slots__ = ("fired", "value", "_callbacks")

    def __init__(self) -> None:
        self.fired = False
        self.value: Any = None
        self._callbacks: list[Callable[[Any], None]] = []

    def fire(self, value: Any = None) -> None:
        if self.fired:
            return
        self.fired = True
        self.value = value
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb(value)

    def add_callback(self, cb: Callable[[Any], None]) -> None:
        if self.fired:
            cb(self.value)
        else:
            self._callbacks.append(cb)

    def remove_callback(self, cb: Callable[[Any], None]) -> None:
        try:
            self._callbacks.remove(cb)
        except ValueError:
            pass


def sleep_or(clock: Clock, waiter: Waiter, delay: int) -> Waiter:
    """A waiter that fires with ``None`` after ``delay`` unless ``waiter`` fires first."""
    out = Waiter()
    timer = clock.call_later(delay, out.fire, None)

    def relay(value: Any) -> None:
        timer.cancel()
        out.fire(value)

    waiter.add_callback(relay)
    return out


class Process:
    """Drives one generator on the clock."""

    def __init__(
        self,
        clock: Clock,
        gen: ProcGen,
        *,
        pid: int = 0,
        name: str = "",
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.clock = clock
        self.gen = gen
        self.pid = pid
        self.name = name
        self.status: int | None = None
        self.exited = Waiter()
        self._timer: Timer | None = None
        self._waiting: Waiter | None = None
        self._resume_cb: Callable[[Any], None] | None = None
        self._on_error = on_error
        self._started = False

    @property
    def done(self) -> bool:
        return self.status is not None

    def start(self, now: bool = True) -> Process:
        """Begin running. With ``now`` the first slice runs immediately (foreground commands)."""
        self._started = True
        if now:
            self._advance(None, None)
        else:
            self._timer = self.clock.call_later(0, self._advance, None, None)
        return self

    def signal(self, sig: int = SIGINT) -> None:
        """Deliver a signal now; SIGKILL ends the process without giving it a chance to react."""
        if self.done:
            return
        self._detach()
        if sig == SIGKILL:
            self.gen.close()
            self._finish(128 + sig)
            return
        self._advance(None, Interrupted(sig))

    def _detach(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._waiting is not None and self._resume_cb is not None:
            self._waiting.remove_callback(self._resume_cb)
        self._waiting = None
        self._resume_cb = None

    def _finish(self, status: int) -> None:
        self.status = status
        self.exited.fire(status)

    def _advance(self, value: Any, exc: BaseException | None) -> None:
        self._timer = None
        self._waiting = None
        self._resume_cb = None
        try:
            if exc is not None:
                request = self.gen.throw(exc)
            else:
                request = self.gen.send(value)
        except StopIteration as stop:
            self._finish(int(stop.value or 0))
            return
        except Interrupted as intr:
            self._finish(128 + intr.signal)
            return
        except Exception as err:  # an engine bug must not take the whole simulation down
            if self._on_error is not None:
                self._on_error(err)
            self._finish(1)
            return
        self._wait_for(request)

    def _wait_for(self, request: Any) -> None:
        if isinstance(request, Waiter):
            if request.fired:
                self._timer = self.clock.call_later(0, self._advance, request.value, None)
                return
            self._waiting = request

            def resume(value: Any) -> None:
                self._waiting = None
                self._resume_cb = None
                self._timer = self.clock.call_later(0, self._advance, value, None)

            self._resume_cb = resume
            request.add_callback(resume)
        elif isinstance(request, int):
            self._timer = self.clock.call_later(max(0, request), self._advance, None, None)
        else:
            self._advance(None, TypeError(f"process yielded {request!r}"))
