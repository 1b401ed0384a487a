"""Networks and endpoints, and the kernel plumbing the bridge and overlay drivers build for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.engine.docker.ids import hex_id, veth_name
from tui.engine.docker.ipam import Pool, ip_str
from tui.engine.links import Bridge, IfAddr, Link, Veth
from tui.engine.route import Route

if TYPE_CHECKING:
    from tui.engine.docker.daemon import Daemon
    from tui.engine.netns import Namespace


def mac_for_ip(addr: int) -> bytes:
    """libnetwork's GenerateMACFromIP: 02:42 followed by the four address bytes."""
    return b"\x02\x42" + addr.to_bytes(4, "big")


@dataclass
class Endpoint:
    id: str
    name: str  # the container name (or `<net>-endpoint`, `gateway_<sbox12>`)
    network: Network
    sandbox_key: str  # Containers key in inspect: container id, `lb-<net>`, `ingress-sbox`
    addr: int
    plen: int
    mac: bytes
    iface: Link | None = None  # the device inside the sandbox
    peer: Link | None = None  # its veth peer (on the bridge / in the overlay namespace)
    node: str = ""  # hostname of the node the endpoint lives on (overlay peers)
    aliases: list[str] = field(default_factory=list)  # network-scoped aliases (EndpointSettings.Aliases)

    @property
    def ipv4(self) -> str:
        return f"{ip_str(self.addr)}/{self.plen}"


@dataclass
class Network:
    id: str
    name: str
    driver: str  # bridge | host | null | overlay
    scope: str  # local | swarm
    created_ns: int
    pool: Pool | None = None
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    internal: bool = False
    attachable: bool = False
    ingress: bool = False
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    bridge: Bridge | None = None  # bridge driver: the Linux bridge on the host
    icc: bool = True
    masquerade: bool = True
    mtu: int = 1500
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def subnet(self) -> str:
        return self.pool.cidr if self.pool else ""

    @property
    def gateway(self) -> str:
        return ip_str(self.pool.gateway) if self.pool else ""


PREDEFINED = ("default", "bridge", "host", "none")


def user_defined(mode: str) -> bool:
    """containertypes.NetworkMode.IsUserDefined: not a predefined network, not `container:<id>`."""
    return mode not in PREDEFINED and not mode.startswith("container:")


def make_veth_pair(daemon: Daemon, mtu: int) -> tuple[Veth, Veth]:
    """A veth pair created in the host namespace; the peer (the sandbox end) registers first, taking the lower index."""
    host_ns = daemon.host.root_ns
    rng = daemon.lab.rng
    inner = Veth(host_ns, veth_name(rng), b"\x00" * 6, mtu)
    host_ns.add_link(inner)
    outer = Veth(host_ns, veth_name(rng), random_mac(daemon), mtu)
    host_ns.add_link(outer)
    inner.peer, outer.peer = outer, inner
    inner.txqlen = outer.txqlen = 0
    inner.qdisc = outer.qdisc = "noqueue"
    return inner, outer


def random_mac(daemon: Daemon) -> bytes:
    b = bytearray(daemon.lab.rng.getrandbits(8) for _ in range(6))
    b[0] = (b[0] & 0xFE) | 0x02
    return bytes(b)


def docker_bridge_mac(daemon: Daemon) -> bytes:
    """Docker <= 27 gives its bridges 02:42 + 4 random bytes."""
    return b"\x02\x42" + bytes(daemon.lab.rng.getrandbits(8) for _ in range(4))


def plug_into_sandbox(host_ns: Namespace, dev: Veth, sandbox_ns: Namespace, ifname: str, addr: int, plen: int,
                      mac: bytes, mtu: int, brd: bool = True) -> None:
    """Move the sandbox end in, rename it, give it the MAC, address and MTU, and bring it up (libnetwork osl)."""
    host_ns.move_link(dev, sandbox_ns)
    sandbox_ns.rename_link(dev, ifname)
    dev.mac = mac
    dev.mtu = mtu
    broadcast = addr | (0xFFFFFFFF >> plen) if brd and plen < 31 else None
    sandbox_ns.add_addr(dev, IfAddr(addr, plen, brd=broadcast))
    sandbox_ns.set_up(dev)


def set_default_route(ns: Namespace, gateway: int, dev: str) -> None:
    ns.routes.remove(lambda r: r.dst == 0 and r.plen == 0 and r.table == 254)
    ns.routes.add(Route(0, 0, dev, via=gateway, proto="boot"))


def new_endpoint_id(daemon: Daemon) -> str:
    return hex_id(daemon.lab.rng)
