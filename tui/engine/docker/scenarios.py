"""Scenarios with Docker: one host, two hosts, a two-node swarm (the seed's), a three-node swarm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui.engine.clock import SEC, US
from tui.engine.docker.daemon import Daemon
from tui.engine.docker.swarm import init_swarm, join_swarm
from tui.engine.lab import Lab
from tui.engine.scenarios import HostSpec, ScenarioError, add_underlay_host, add_world
from tui.engine.wire import Segment

SEED_HOSTS = [HostSpec("ip-10-0-2-197", "10.0.2.197/24", docker=True),
              HostSpec("ip-10-0-2-253", "10.0.2.253/24", docker=True)]


def _lab(seed: int, hosts: list[HostSpec], pins: dict[str, list[str]] | None = None) -> Lab:
    lab = Lab(seed)
    lab.pins = {k: list(v) for k, v in (pins or {}).items()}
    seg = Segment(lab, "vpc", latency=240 * US, jitter=90 * US)
    lab.segments["vpc"] = seg
    for spec in hosts:
        add_underlay_host(lab, seg, spec)
        if spec.docker:
            Daemon(lab.hosts[spec.hostname])
    add_world(lab, seg)
    return lab


def docker_host(seed: int) -> Lab:
    return _lab(seed, [HostSpec("ip-10-0-2-197", "10.0.2.197/24", docker=True)])


def two_nodes(seed: int) -> Lab:
    return _lab(seed, SEED_HOSTS)


def _swarm(seed: int, hosts: list[HostSpec], ifindex: dict[str, int] | None = None,
           pins: dict[str, list[str]] | None = None) -> Lab:
    lab = _lab(seed, hosts, pins)
    first = lab.hosts[hosts[0].hostname].docker  # type: ignore[attr-defined]
    cluster = init_swarm(first)
    lab.clock.advance(2 * SEC)
    for spec in hosts[1:]:
        d = lab.hosts[spec.hostname].docker  # type: ignore[attr-defined]
        join_swarm(d, cluster.worker_token, f"{hosts[0].address.split('/')[0]}:2377")
        lab.clock.advance(2 * SEC)
    for name, last in (ifindex or {}).items():
        lab.hosts[name].root_ns._last_index = last
    lab.clock.advance(60 * SEC)
    return lab


# The ids the seed note shows, so that its commands (`docker container exec d76 ...`) replay as written.
SEED_PINS = {
    "network@ip-10-0-2-197": ["70a89ff52b79", "abccda9ef314", "b1cfd68949f3", "f600df09a6f8"],
    "swarm-network": ["v583qktkjzqd", "lr7ugdh1kdl2"],
    "service": ["ic1ro2pbbymn"],
    "task": ["6e65gy10az30", "wi1wl6v8zygk"],
    "container@ip-10-0-2-197": ["d76", "559"],
    "container@ip-10-0-2-253": ["d20"],
}


def swarm(seed: int) -> Lab:
    # ifindex counters pinned so that the first task container's interfaces get the seed's numbers
    # (16: eth0@if17 / 18: eth1@if19 on node1, 14: eth0@if15 / 16: eth1@if17 on node2).
    return _swarm(seed, SEED_HOSTS, {"ip-10-0-2-197": 12, "ip-10-0-2-253": 10}, pins=SEED_PINS)


def swarm3(seed: int) -> Lab:
    hosts = [*SEED_HOSTS, HostSpec("ip-10-0-2-42", "10.0.2.42/24", docker=True)]
    return _swarm(seed, hosts)


DOCKER_SCENARIOS = {"docker-host": docker_host, "two-nodes": two_nodes, "swarm": swarm, "swarm3": swarm3}


def build_from_file(path: Path, seed: int) -> Lab:
    """A YAML scenario: hosts (hostname, address, docker), swarm (true/false), pinned ifindex counters."""
    import yaml

    try:
        data: Any = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ScenarioError(f"{path}: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), list):
        raise ScenarioError(f"{path}: a scenario needs a list of hosts")
    specs = []
    for h in data["hosts"]:
        if not isinstance(h, dict) or "hostname" not in h or "address" not in h:
            raise ScenarioError(f"{path}: each host needs hostname and address")
        specs.append(HostSpec(str(h["hostname"]), str(h["address"]), docker=bool(h.get("docker", True)),
                              tcpdump_version=str(h.get("tcpdump", "4.9.3"))))
    pins = data.get("pins") or None
    if data.get("swarm"):
        return _swarm(seed, specs, data.get("ifindex") or None, pins)
    return _lab(seed, specs, pins)
