"""Routing tables with longest-prefix match (the kernel's FIB, simplified to what lessons need)."""

from __future__ import annotations

from dataclasses import dataclass, field

MAIN = 254
LOCAL = 255


def prefix_mask(plen: int) -> int:
    return (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF if plen else 0


@dataclass(slots=True)
class Route:
    """One route. ``type`` is unicast/local/broadcast/blackhole/unreachable/prohibit."""

    dst: int
    plen: int
    dev: str = ""
    via: int | None = None
    src: int | None = None
    proto: str = "boot"  # kernel | boot | static | dhcp
    scope: str = "global"  # global(universe) | link | host
    metric: int = 0
    type: str = "unicast"
    table: int = MAIN
    onlink: bool = False
    mtu: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def matches(self, addr: int) -> bool:
        return (addr & prefix_mask(self.plen)) == self.dst

    def key(self) -> tuple[int, int, int, int]:
        return (self.table, self.dst, self.plen, self.metric)


class RouteTables:
    """All routing tables of a namespace; lookups try `local` first, then `main`, like the default rules."""

    def __init__(self) -> None:
        self.tables: dict[int, list[Route]] = {LOCAL: [], MAIN: []}
        self._cache: dict[int, Route | None] = {}

    def routes(self, table: int = MAIN) -> list[Route]:
        return self.tables.setdefault(table, [])

    def add(self, route: Route) -> bool:
        """Add a route; False when an identical destination/metric already exists (EEXIST)."""
        routes = self.routes(route.table)
        for r in routes:
            if r.dst == route.dst and r.plen == route.plen and r.metric == route.metric and r.type == route.type and (
                route.table != LOCAL or r.dev == route.dev
            ):
                return False
        routes.append(route)
        self._sort(route.table)
        self._cache.clear()
        return True

    def _sort(self, table: int) -> None:
        # Kernel dump order for the main table: by prefix address, then length (default first).
        self.tables[table].sort(key=lambda r: (r.dst, r.plen, r.metric))

    def remove(self, pred) -> list[Route]:  # type: ignore[no-untyped-def]
        removed: list[Route] = []
        for table, routes in self.tables.items():
            keep = []
            for r in routes:
                (removed if pred(r) else keep).append(r)
            self.tables[table] = keep
        if removed:
            self._cache.clear()
        return removed

    def lookup(self, dst: int) -> Route | None:
        try:
            return self._cache[dst]
        except KeyError:
            pass
        best: Route | None = None
        for table in (LOCAL, MAIN):
            for r in self.tables.get(table, ()):
                if r.matches(dst) and (best is None or r.plen > best.plen or (
                    r.plen == best.plen and r.metric < best.metric and best.table == table)):
                    best = r
            if best is not None:
                break
        self._cache[dst] = best
        return best

    def invalidate(self) -> None:
        self._cache.clear()
