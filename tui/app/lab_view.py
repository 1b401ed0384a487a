"""Read-only views of engine state for the Nodes, Interfaces and Routes panes.

The shell's formatters are imported inside the functions: importing
``tui.shell`` registers every command (a fifth of a second), which must not
happen before the first frame. Why a separate module: the panes poll these on a timer and diff the rows by
key, so each function returns plain tuples (cheap to compare) and never
formats through Rich; the widgets decide how rows look. Nothing here changes
the lab.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.engine.host import Host
    from tui.engine.lab import Lab
    from tui.engine.links import Link
    from tui.engine.netns import Namespace


@dataclass(frozen=True)
class Place:
    """Where a pane looks: a namespace of a host, or a container's namespace.

    ``kind`` is ``host`` (the root namespace), ``netns`` (any other namespace of
    the host, keyed by its label: ``1-xxxx``, ``lb_xxxx``, ``ingress_sbox`` or an
    ``ip netns`` name) or ``container`` (keyed by the container id).
    """

    host: str
    kind: str
    key: str = ""

    @property
    def node_id(self) -> str:
        """A stable id for the tree node of this place."""
        return f"{self.kind}:{self.host}:{self.key}"


@dataclass(frozen=True)
class NsEntry:
    place: Place
    label: str


@dataclass(frozen=True)
class ContainerEntry:
    place: Place
    name: str
    short_id: str
    task: str
    state: str


@dataclass(frozen=True)
class NodeEntry:
    """One machine of the lab and what runs on it."""

    host: str
    role: str
    availability: str
    status: str
    leader: bool
    namespaces: tuple[NsEntry, ...]
    containers: tuple[ContainerEntry, ...]


def _swarm_node(host: Host) -> Any:
    daemon = getattr(host, "docker", None)
    member = getattr(daemon, "swarm", None) if daemon is not None else None
    return getattr(member, "node", None)


def _docker_namespaces(host: Host) -> dict[str, Namespace]:
    return dict(host.docker_netns)


def visible_hosts(lab: Lab) -> list[Host]:
    """The lab's machines, without the internet stand-in (an implementation detail of the lab)."""
    world = getattr(lab, "world", None)
    return [h for h in lab.hosts.values() if h is not world]


def nodes(lab: Lab) -> list[NodeEntry]:
    """Every machine with its namespaces (root, named, Docker's) and its containers."""
    out: list[NodeEntry] = []
    for host in visible_hosts(lab):
        node = _swarm_node(host)
        spaces: list[NsEntry] = [NsEntry(Place(host.hostname, "host"), "host")]
        for name in host.netns_by_name:
            spaces.append(NsEntry(Place(host.hostname, "netns", name), name))
        for key, ns in _docker_namespaces(host).items():
            if getattr(ns, "owner", None) is not None and hasattr(ns.owner, "image"):
                continue  # a container's namespace: listed under its container
            spaces.append(NsEntry(Place(host.hostname, "netns", key), key))
        ctrs: list[ContainerEntry] = []
        daemon = getattr(host, "docker", None)
        if daemon is not None:
            for c in daemon.containers.values():
                task = getattr(c, "task", None)
                ctrs.append(ContainerEntry(Place(host.hostname, "container", c.id), c.name, c.short_id,
                                           task.name if task is not None else "", c.state))
        out.append(NodeEntry(
            host.hostname,
            getattr(node, "role", "") or "",
            getattr(node, "availability", "") or "",
            getattr(node, "status", "") or "",
            bool(getattr(node, "leader", False)),
            tuple(spaces),
            tuple(ctrs),
        ))
    return out


def namespace_of(lab: Lab, place: Place) -> Namespace | None:
    """The namespace a place names now (None when it has gone, e.g. a removed container)."""
    host = lab.hosts.get(place.host)
    if host is None:
        return None
    if place.kind == "host":
        return host.root_ns
    if place.kind == "netns":
        ns = host.netns_by_name.get(place.key)
        return ns if ns is not None else _docker_namespaces(host).get(place.key)
    if place.kind == "container":
        daemon = getattr(host, "docker", None)
        c = daemon.containers.get(place.key) if daemon is not None else None
        sandbox = getattr(c, "sandbox", None)
        return sandbox.netns if sandbox is not None else None
    return None


def describe(lab: Lab, place: Place) -> str:
    """A short name for a place (pane titles): ``node1/host``, ``node1/1-abc``, ``node1/test.1``."""
    if place.kind == "host":
        return f"{place.host}/host"
    if place.kind == "container":
        host = lab.hosts.get(place.host)
        daemon = getattr(host, "docker", None) if host is not None else None
        c = daemon.containers.get(place.key) if daemon is not None else None
        if c is not None:
            task = getattr(c, "task", None)
            return f"{place.host}/{task.name if task is not None else c.name}"
        return f"{place.host}/{place.key[:12]}"
    return f"{place.host}/{place.key}"


# ---- interfaces ----------------------------------------------------------------------------


IfaceRow = tuple[str, str, str, str, str, str, str]


def link_kind(link: Link) -> str:
    """What kind of device: veth, bridge, ``vxlan id 4097 dstport 4789``, loopback, ether, dummy."""
    kind = getattr(link, "kind", "") or ""
    if kind == "vxlan":
        return f"vxlan id {link.vni} dstport {link.dstport}"  # type: ignore[attr-defined]
    if kind:
        return kind
    if getattr(link, "arphrd", "") == "loopback":
        return "loopback"
    return "ether"


def interfaces(ns: Namespace) -> list[tuple[int, IfaceRow]]:
    """(ifindex, row) per device in index order; a row is name@peer, state, MTU, MAC, addresses, master, kind."""
    from tui.shell.formats.iproute import ip_str, mac_str, peer_ref

    rows: list[tuple[int, IfaceRow]] = []
    for link in sorted(ns.links.values(), key=lambda k: k.ifindex):
        at, _, _ = peer_ref(ns, link)
        addrs = " ".join(f"{ip_str(a.addr)}/{a.plen}" for a in link.addrs)
        master = link.master.name if link.master is not None else ""
        rows.append((link.ifindex, (
            f"{link.name}{at}",
            link.operstate,
            str(link.mtu),
            mac_str(link.mac),
            addrs,
            master,
            link_kind(link),
        )))
    return rows


# ---- routes and neighbours -----------------------------------------------------------------


RouteRow = tuple[str, str, str, str, str, str, str]


def routes(ns: Namespace) -> list[tuple[str, RouteRow]]:
    """The main table as `ip route` lists it: (key, (dst, via, dev, proto, scope, src, metric))."""
    from tui.shell.formats.iproute import ip_str

    out: list[tuple[str, RouteRow]] = []
    for r in ns.routes.routes():
        if r.type not in ("unicast", ""):
            dst_text = f"{r.type} "
        else:
            dst_text = ""
        dst_text += "default" if r.plen == 0 and r.dst == 0 else (
            ip_str(r.dst) if r.plen == 32 else f"{ip_str(r.dst)}/{r.plen}")
        key = f"{r.table}:{r.type}:{r.dst}/{r.plen}:{r.metric}:{r.dev}"
        out.append((key, (
            dst_text,
            ip_str(r.via) if r.via is not None else "",
            r.dev,
            r.proto,
            r.scope,
            ip_str(r.src) if r.src is not None else "",
            str(r.metric) if r.metric else "",
        )))
    return out


NeighRow = tuple[str, str, str, str]


def neighbours(ns: Namespace) -> list[tuple[str, NeighRow]]:
    """The ARP table as `ip neigh` shows it now: (key, (address, dev, lladdr, state))."""
    from tui.shell.formats.iproute import ip_str, mac_str

    table = ns.neigh
    now = table.clock.now
    out: list[tuple[str, NeighRow]] = []
    for n in list(table.entries.values()):
        state = n.state
        # the kernel's lazy ageing, computed here without touching the entry (reading must not change the lab)
        if state == "REACHABLE" and now - n.confirmed >= table.reachable_time:
            state = "STALE"
        lladdr = mac_str(n.lladdr) if n.lladdr is not None and state not in ("INCOMPLETE", "FAILED") else ""
        out.append((f"{n.dev}:{n.ip}", (ip_str(n.ip), n.dev, lladdr, state)))
    return out
