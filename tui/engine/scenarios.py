"""Built-in scenarios: the machines a lesson or a shell session starts with.

A scenario is a description (hosts, addresses, what runs); ``build_scenario``
turns it into a :class:`~tui.engine.lab.Lab`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tui.engine.addr import ip_to_int
from tui.engine.clock import US
from tui.engine.lab import Lab
from tui.engine.links import Dummy, IfAddr, Nic
from tui.engine.route import Route
from tui.engine.wire import Segment


class ScenarioError(Exception):
    """An unknown scenario name or a scenario file that cannot be used."""


ip = ip_to_int  # dotted quad -> int (one parser for the whole engine)


@dataclass
class HostSpec:
    hostname: str
    address: str  # underlay address with prefix, e.g. 10.0.2.197/24
    gateway: str = "10.0.2.1"
    docker: bool = False
    tcpdump_version: str = "4.9.3"


@dataclass
class ScenarioSpec:
    name: str
    hosts: list[HostSpec] = field(default_factory=list)
    world: bool = True
    swarm: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def random_mac(lab: Lab, aws: bool = False) -> bytes:
    b = bytearray(lab.rng.getrandbits(8) for _ in range(6))
    b[0] = (b[0] & 0xFC) | 0x02
    if aws:
        b[0] = 0x0E if b[0] < 0x80 else 0x12
    return bytes(b)


def add_underlay_host(lab: Lab, segment: Segment, spec: HostSpec) -> None:
    host = lab.add_host(spec.hostname, tcpdump_version=spec.tcpdump_version)
    ns = host.root_ns
    ns.loopback_up()
    nic = Nic(ns, "eth0", random_mac(lab, aws=True), 1500)
    ns.add_link(nic)
    segment.attach(nic)
    addr, plen = spec.address.split("/")
    plen_i = int(plen)
    brd = ip(addr) | (0xFFFFFFFF >> plen_i)
    a = IfAddr(ip(addr), plen_i, brd=brd, scope="global")
    a.label = "eth0"
    ns.add_addr(nic, a)
    ns.set_up(nic)
    gw = ip(spec.gateway)
    # What netplan/systemd-networkd installs from DHCP on an AWS Ubuntu host.
    ns.routes.add(Route(0, 0, "eth0", via=gw, src=ip(addr), proto="dhcp", metric=100))
    ns.routes.add(Route(gw, 32, "eth0", src=ip(addr), proto="dhcp", scope="link", metric=100))
    host.fs.write("/etc/hosts", b"127.0.0.1 localhost\n")
    from tui.engine.world import install_stub_resolver

    install_stub_resolver(host)


def add_world(lab: Lab, segment: Segment, gateway: str = "10.0.2.1") -> None:
    """The internet stand-in: a router at the gateway address and far hosts such as 8.8.8.8 behind it."""
    from tui.engine.world import install_world

    install_world(lab, segment, gateway)


def build_linux_hosts(seed: int) -> Lab:
    lab = Lab(seed)
    seg = Segment(lab, "vpc", latency=240 * US, jitter=90 * US)
    lab.segments["vpc"] = seg
    for spec in (HostSpec("ip-10-0-2-197", "10.0.2.197/24"), HostSpec("ip-10-0-2-253", "10.0.2.253/24")):
        add_underlay_host(lab, seg, spec)
    add_world(lab, seg)
    return lab


BUILTIN = {
    "linux-hosts": build_linux_hosts,
}


def scenario_names() -> list[str]:
    names = set(BUILTIN)
    try:
        from tui.engine.docker.scenarios import DOCKER_SCENARIOS

        names |= set(DOCKER_SCENARIOS)
    except ImportError:
        pass
    return sorted(names)


def build_scenario(name_or_path: str, seed: int = 0) -> Lab:
    if name_or_path in BUILTIN:
        return BUILTIN[name_or_path](seed)
    try:
        from tui.engine.docker.scenarios import DOCKER_SCENARIOS, build_from_file
    except ImportError:
        DOCKER_SCENARIOS, build_from_file = {}, None  # type: ignore[assignment]
    if name_or_path in DOCKER_SCENARIOS:
        return DOCKER_SCENARIOS[name_or_path](seed)
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and build_from_file is not None:
        if not path.is_file():
            raise ScenarioError(f"scenario file not found: {name_or_path}")
        return build_from_file(path, seed)
    raise ScenarioError(f"unknown scenario '{name_or_path}' (built-in: {', '.join(scenario_names())})")


__all__ = ["build_scenario", "ScenarioError", "scenario_names", "Dummy"]
