"""Commands that run while virtual time passes: the clock-driving pieces :class:`~tui.lesson.session.Session` uses.

A headless run drives each command to its end at once (``Shell.run_line``).
An interactive player instead lets time pass in small steps (its timer calls
``Session.advance``), so ``ping`` ticks and can be stopped with Ctrl-C while
background tasks keep running. Replaying such a session must let the same
time pass and interrupt at the same instants, so every action is stamped with
virtual times; these helpers move the clock to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.engine.clock import Clock
    from tui.shell.interp import Shell

# How many engine events one advance may run; beyond that virtual time lags
# behind the wall clock rather than freezing the screen (a flood, a big scale-up).
TICK_EVENT_BUDGET = 50_000


def advance_clock(clock: Clock, dt: int, budget: int = TICK_EVENT_BUDGET) -> bool:
    """Let ``dt`` virtual nanoseconds pass (events run in order); False if the budget cut it short."""
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


def run_to(clock: Clock, when: int) -> None:
    """Replay: run every event up to ``when`` and stand there (no budget: replay must reach it)."""
    while True:
        nxt = clock.next_time()
        if nxt is None or nxt > when:
            break
        clock.step()
    clock.now = max(clock.now, when)


@dataclass
class LiveCommand:
    """A command line typed into the learner's shell: where its output starts, for journaling it once it ends."""

    host: str
    line: str
    prompt: str
    v_start: int
    first_chunk: int  # where its output starts in the shell's terminal
    shell: Shell
    interrupts: list[int] = field(default_factory=list)  # virtual times of each Ctrl-C


__all__ = ["TICK_EVENT_BUDGET", "LiveCommand", "advance_clock", "run_to"]
