"""The lab: every host, the wires between them, one clock and one seeded RNG."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from tui.engine.clock import SEC, Clock
from tui.engine.host import Host

if TYPE_CHECKING:
    from tui.engine.docker.swarm import Cluster

# 2021-11-08 04:25:00 UTC: the morning the seed note's capture was taken.
DEFAULT_EPOCH_NS = 1_636_345_500 * SEC


class Lab:
    """Top of the model. Same seed + same commands => same bytes, ids and timings."""

    def __init__(self, seed: int = 0, epoch_ns: int = DEFAULT_EPOCH_NS) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = Clock(epoch_ns)
        self.hosts: dict[str, Host] = {}
        self.segments: dict[str, object] = {}
        # id prefixes a scenario pins, consumed in creation order, by kind ("container@HOST", "service", ...)
        self.pins: dict[str, list[str]] = {}
        self.swarms: list[Cluster] = []  # every `docker swarm init` so far (join finds its manager here)

    def add_host(self, hostname: str, **kwargs: object) -> Host:
        host = Host(self, hostname, **kwargs)  # type: ignore[arg-type]
        self.hosts[hostname] = host
        return host

    def host(self, name: str) -> Host | None:
        return self.hosts.get(name)
