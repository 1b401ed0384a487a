"""A deterministic discrete-event clock in virtual nanoseconds.

Events at the same instant run in the order they were scheduled (a serial
number breaks ties), so a fixed seed always gives the same history.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

NS = 1
US = 1_000
MS = 1_000_000
SEC = 1_000_000_000


class Timer:
    """A scheduled callback that can be cancelled before it fires."""

    __slots__ = ("when", "fn", "args", "cancelled")

    def __init__(self, when: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self.fn = fn
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """Virtual time. ``epoch_ns`` is the wall-clock instant that virtual 0 stands for."""

    def __init__(self, epoch_ns: int = 0) -> None:
        self.now: int = 0
        self.epoch_ns = epoch_ns
        self._heap: list[tuple[int, int, Timer]] = []
        self._serial = 0

    @property
    def wall_ns(self) -> int:
        """The simulated wall-clock time (what `date` or a capture timestamp shows)."""
        return self.epoch_ns + self.now

    def call_at(self, when: int, fn: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(max(when, self.now), fn, args)
        self._serial += 1
        heapq.heappush(self._heap, (timer.when, self._serial, timer))
        return timer

    def call_later(self, delay: int, fn: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at(self.now + delay, fn, *args)

    def pending(self) -> bool:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return bool(self._heap)

    def next_time(self) -> int | None:
        return self._heap[0][0] if self.pending() else None

    def step(self) -> bool:
        """Run the earliest event. Returns False when nothing is scheduled."""
        while self._heap:
            when, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self.now = when
            timer.fn(*timer.args)
            return True
        return False

    def run_until(self, done: Callable[[], bool], deadline: int | None = None) -> bool:
        """Run events until ``done()`` holds. Returns False if the deadline or an empty queue stops it first.

        When stopped by the deadline, time is advanced to the deadline.
        """
        while not done():
            nxt = self.next_time()
            if nxt is None:
                return done()
            if deadline is not None and nxt > deadline:
                self.now = max(self.now, deadline)
                return done()
            self.step()
        return True

    def advance(self, delay: int) -> None:
        """Let ``delay`` of virtual time pass, running everything due in it."""
        end = self.now + delay
        self.run_until(lambda: False, end)
        self.now = max(self.now, end)
