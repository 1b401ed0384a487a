"""Address management: local pools first-free, swarm pools serial (as libnetwork's allocator sets them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.engine.addr import int_to_ip, ip_to_int

LOCAL_POOLS = [("172.17.0.0", 16, 16), ("172.18.0.0", 16, 16), ("172.19.0.0", 16, 16), ("172.20.0.0", 14, 16),
               ("172.24.0.0", 14, 16), ("172.28.0.0", 14, 16), ("192.168.0.0", 16, 20)]


ip = ip_to_int
ip_str = int_to_ip


@dataclass
class Pool:
    """One subnet's addresses. ``serial`` hands out the next free address after the last one."""

    network: int
    plen: int
    serial: bool = False
    used: set[int] = field(default_factory=set)
    last: int = 0

    @property
    def size(self) -> int:
        return 1 << (32 - self.plen)

    @property
    def gateway(self) -> int:
        return self.network + 1

    @property
    def broadcast(self) -> int:
        return self.network + self.size - 1

    @property
    def cidr(self) -> str:
        return f"{ip_str(self.network)}/{self.plen}"

    def reserve(self, addr: int) -> None:
        self.used.add(addr)
        if self.serial:
            self.last = max(self.last, addr - self.network)

    def allocate(self) -> int | None:
        n = self.size
        start = self.last + 1 if self.serial else 1
        for i in range(n - 2):
            off = (start - 1 + i) % (n - 2) + 1
            addr = self.network + off
            if addr not in self.used:
                self.used.add(addr)
                self.last = off
                return addr
        return None

    def release(self, addr: int) -> None:
        self.used.discard(addr)


class SubnetAllocator:
    """Hands out subnets from predefined pools, lowest free first."""

    def __init__(self, pools: list[tuple[str, int, int]]) -> None:
        self.pools = pools
        self.taken: set[tuple[int, int]] = set()

    def overlaps(self, net: int, plen: int) -> bool:
        for n, p in self.taken:
            small = min(p, plen)
            mask = (0xFFFFFFFF << (32 - small)) & 0xFFFFFFFF if small else 0
            if (n & mask) == (net & mask):
                return True
        return False

    def take(self, net: int, plen: int) -> bool:
        if self.overlaps(net, plen):
            return False
        self.taken.add((net, plen))
        return True

    def allocate(self) -> tuple[int, int] | None:
        for base, plen, sub in self.pools:
            b = ip(base)
            for i in range(1 << (sub - plen)):
                net = b + (i << (32 - sub))
                if not self.overlaps(net, sub):
                    self.taken.add((net, sub))
                    return net, sub
        return None

    def release(self, net: int, plen: int) -> None:
        self.taken.discard((net, plen))
