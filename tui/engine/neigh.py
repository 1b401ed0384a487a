"""The neighbour (ARP) table with the kernel's NUD state machine in virtual time.

States and timers follow Linux defaults: base_reachable_time 30 s (each
table draws reachable_time uniformly in [15, 45) s), delay_first_probe_time
5 s, retrans_time 1 s, 3 multicast and 3 unicast probes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.engine.clock import SEC

if TYPE_CHECKING:
    from tui.engine.clock import Clock, Timer
    from tui.engine.pkt import Pkt

INCOMPLETE = "INCOMPLETE"
REACHABLE = "REACHABLE"
STALE = "STALE"
DELAY = "DELAY"
PROBE = "PROBE"
FAILED = "FAILED"
PERMANENT = "PERMANENT"
NOARP = "NOARP"

DELAY_FIRST_PROBE = 5 * SEC
RETRANS = 1 * SEC
MCAST_PROBES = 3
UCAST_PROBES = 3
QUEUE_LEN = 101  # unres_qlen_bytes-ish: enough for lessons


class Neigh:
    __slots__ = ("ip", "dev", "lladdr", "state", "confirmed", "updated", "used", "queue", "probes", "timer",
                 "router", "proxy_flag")

    def __init__(self, ip: int, dev: str, now: int) -> None:
        self.ip = ip
        self.dev = dev
        self.lladdr: bytes | None = None
        self.state = INCOMPLETE
        self.confirmed = now
        self.updated = now
        self.used = now
        self.queue: list[Pkt] = []
        self.probes = 0
        self.timer: Timer | None = None
        self.router = False
        self.proxy_flag = False


class NeighTable:
    """Entries keyed by (dev, ip). Probing is done through ``solicit(neigh, unicast)``."""

    def __init__(self, clock: Clock, reachable_time: int,
                 solicit: Callable[[Neigh, bool], None],
                 on_failed: Callable[[Neigh, list[Pkt]], None]) -> None:
        self.clock = clock
        self.reachable_time = reachable_time
        self.entries: dict[tuple[str, int], Neigh] = {}
        self._solicit = solicit
        self._on_failed = on_failed

    def get(self, dev: str, ip: int) -> Neigh | None:
        return self.entries.get((dev, ip))

    def state_of(self, n: Neigh) -> str:
        """The state as the kernel would report it now (REACHABLE ages into STALE lazily)."""
        if n.state == REACHABLE and self.clock.now - n.confirmed >= self.reachable_time:
            n.state = STALE
            n.updated = n.confirmed + self.reachable_time
        return n.state

    def show(self, dev: str | None = None) -> list[Neigh]:
        out = []
        for n in self.entries.values():
            if dev is not None and n.dev != dev:
                continue
            self.state_of(n)
            out.append(n)
        return out

    # --- updates -----------------------------------------------------------------------------
    def add_static(self, dev: str, ip: int, lladdr: bytes | None, state: str = PERMANENT) -> Neigh:
        n = self.entries.get((dev, ip))
        if n is None:
            n = Neigh(ip, dev, self.clock.now)
            self.entries[(dev, ip)] = n
        self._cancel(n)
        n.lladdr = lladdr
        n.state = state
        n.confirmed = n.updated = self.clock.now
        self._flush(n)
        return n

    def delete(self, dev: str, ip: int) -> bool:
        n = self.entries.pop((dev, ip), None)
        if n is None:
            return False
        self._cancel(n)
        return True

    def flush_dev(self, dev: str) -> None:
        for key in [k for k in self.entries if k[0] == dev]:
            n = self.entries.pop(key)
            self._cancel(n)

    def heard_from(self, dev: str, ip: int, lladdr: bytes, *, is_reply: bool) -> None:
        """An ARP packet from ``ip`` arrived: a reply confirms, a request creates/refreshes STALE."""
        n = self.entries.get((dev, ip))
        now = self.clock.now
        if n is None:
            if is_reply:
                return  # arp_accept=0: unsolicited replies do not create entries
            n = Neigh(ip, dev, now)
            self.entries[(dev, ip)] = n
            n.lladdr = lladdr
            n.state = STALE
            n.updated = now
            return
        if n.state in (PERMANENT, NOARP):
            return
        changed = n.lladdr != lladdr
        if is_reply and n.state in (INCOMPLETE, PROBE, DELAY, REACHABLE, STALE):
            n.lladdr = lladdr
            self._cancel(n)
            n.state = REACHABLE
            n.confirmed = n.updated = now
            n.probes = 0
            self._flush(n)
        elif changed or n.state in (INCOMPLETE, FAILED):
            n.lladdr = lladdr
            self._cancel(n)
            n.state = STALE
            n.updated = now
            self._flush(n)

    def confirm(self, n: Neigh) -> None:
        """Upper-layer proof of reachability (e.g. TCP progress)."""
        if n.state in (PERMANENT, NOARP, INCOMPLETE, FAILED):
            return
        self._cancel(n)
        n.state = REACHABLE
        n.confirmed = n.updated = self.clock.now

    # --- resolution ----------------------------------------------------------------------------
    def lookup_ready(self, dev: str, ip: int) -> bytes | None:
        """Fast path: the MAC when the entry can be used without any state change (no timers, no queue)."""
        n = self.entries.get((dev, ip))
        if n is None:
            return None
        st = n.state
        if st == REACHABLE:
            if self.clock.now - n.confirmed >= self.reachable_time:
                return None
            n.used = self.clock.now
            return n.lladdr
        if st in (PERMANENT, NOARP, DELAY, PROBE):
            n.used = self.clock.now
            return n.lladdr
        return None

    def resolve(self, dev: str, ip: int, pkt: Pkt) -> bytes | None:
        """The MAC to send ``pkt`` to, or None when it was queued waiting for ARP."""
        n = self.entries.get((dev, ip))
        now = self.clock.now
        if n is None:
            n = Neigh(ip, dev, now)
            self.entries[(dev, ip)] = n
        state = self.state_of(n)
        n.used = now
        if state in (REACHABLE, PERMANENT, NOARP, DELAY, PROBE):
            return n.lladdr
        if state == STALE:
            n.state = DELAY
            n.updated = now
            n.timer = self.clock.call_later(DELAY_FIRST_PROBE, self._delay_expired, n)
            return n.lladdr
        # INCOMPLETE or FAILED: (re)start resolution and queue the packet
        if len(n.queue) < QUEUE_LEN:
            n.queue.append(pkt)
        if state == FAILED or n.timer is None:
            n.state = INCOMPLETE
            n.probes = 0
            n.updated = now
            self._probe(n)
        return None

    def _delay_expired(self, n: Neigh) -> None:
        n.timer = None
        if n.state != DELAY:
            return
        if self.clock.now - n.confirmed < DELAY_FIRST_PROBE:
            n.state = REACHABLE
            return
        n.state = PROBE
        n.probes = 0
        n.updated = self.clock.now
        self._probe(n)

    def _probe(self, n: Neigh) -> None:
        n.timer = None
        limit = MCAST_PROBES if n.state == INCOMPLETE else UCAST_PROBES
        if n.probes >= limit:
            n.state = FAILED
            n.updated = self.clock.now
            queued, n.queue = n.queue, []
            self._on_failed(n, queued)
            return
        n.probes += 1
        self._solicit(n, n.state == PROBE)
        n.timer = self.clock.call_later(RETRANS, self._probe, n)

    def _cancel(self, n: Neigh) -> None:
        if n.timer is not None:
            n.timer.cancel()
            n.timer = None

    def _flush(self, n: Neigh) -> None:
        if n.lladdr is None or not n.queue:
            return
        queued, n.queue = n.queue, []
        for pkt in queued:
            if pkt.meta is not None and "neigh_send" in pkt.meta:
                send = pkt.meta.pop("neigh_send")
                send(pkt, n.lladdr)  # type: ignore[operator]
