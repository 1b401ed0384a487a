"""Swarm: the cluster state the managers keep, and what each node builds for it.

The cluster object stands in for raft + the allocator + the scheduler (all
managers see it at once); each node's :class:`Member` builds the kernel side
the way libnetwork does: overlay namespaces (`1-<netid>` with br0 and
vxlan0), load-balancer sandboxes (`lb_<netid>`), `ingress_sbox`,
`docker_gwbridge`, and the permanent neighbour/FDB entries that carry every
remote endpoint, so no ARP ever crosses VXLAN.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tui.engine.clock import MS, SEC
from tui.engine.docker.container import Container
from tui.engine.docker.daemon import ENGINE_VERSION, Daemon, DockerError, daemon_error
from tui.engine.docker.ids import hex_id, join_token, new_swarm_id, peer_name, swarm_id
from tui.engine.docker.ipam import Pool, SubnetAllocator, ip, ip_str
from tui.engine.docker.network import (
    Endpoint,
    Network,
    mac_for_ip,
    make_veth_pair,
    plug_into_sandbox,
)
from tui.engine.docker.swarmjoin import SWARM_EXISTS, listen_remote_api, stop_remote_api
from tui.engine.links import Bridge, IfAddr, Vxlan, VxlanFdb
from tui.engine.netns import Namespace

if TYPE_CHECKING:
    from tui.engine.lab import Lab

NOT_MANAGER = ("This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. "
               "Please run this command on a manager node or promote the current node to a manager.")
NOT_IN_SWARM = ('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this '
                "node to swarm and try again.")
OVERLAY_MTU = 1450
HEARTBEAT = 5 * SEC  # the dispatcher's heartbeat period
MISSED_BEFORE_DOWN = 3
TASK_STATES = ["new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running"]


@dataclass
class NodeInfo:
    id: str
    hostname: str
    addr: str
    daemon: Daemon
    role: str = "worker"
    availability: str = "active"
    status: str = "ready"
    leader: bool = False
    created_ns: int = 0
    ingress_addr: int = 0
    lb_addrs: dict[str, int] = field(default_factory=dict)  # network id -> this node's lb address
    labels: dict[str, str] = field(default_factory=dict)
    peer: str = ""  # networkdb name (12 hex)

    @cached_property
    def vtep(self) -> int:
        """``addr`` as an int: the VXLAN tunnel endpoint (and IPsec address) other nodes program for this one.

        Parsed on first use, then kept (an advertise address is not checked when the node is created)."""
        return ip(self.addr)

    @property
    def manager_status(self) -> str:
        if self.role != "manager":
            return ""
        return "Leader" if self.leader else ("Reachable" if self.status == "ready" else "Unreachable")


@dataclass
class SwarmNetwork:
    id: str
    name: str
    pool: Pool
    vni: int
    created_ns: int
    attachable: bool = False
    ingress: bool = False
    encrypted: bool = False
    mtu: int = OVERLAY_MTU
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class PublishedPort:
    published: int
    target: int
    proto: str = "tcp"
    mode: str = "ingress"


@dataclass
class Task:
    id: str
    service: Service
    slot: int
    node_id: str = ""
    desired: str = "running"
    state: str = "new"
    since_ns: int = 0
    error: str = ""
    addrs: dict[str, int] = field(default_factory=dict)  # network id -> address
    container: Container | None = None
    created_ns: int = 0

    @property
    def name(self) -> str:
        if self.service.mode == "global":
            return f"{self.service.name}.{self.node_id}"
        return f"{self.service.name}.{self.slot}"


@dataclass
class Service:
    id: str
    name: str
    image: str
    cmd: list[str]
    replicas: int
    mode: str = "replicated"
    networks: list[str] = field(default_factory=list)  # network ids
    ports: list[PublishedPort] = field(default_factory=list)
    endpoint_mode: str = "vip"
    aliases: dict[str, list[str]] = field(default_factory=dict)  # network id -> service aliases (--network alias=)
    vips: dict[str, int] = field(default_factory=dict)
    created_ns: int = 0
    updated_ns: int = 0
    tasks: list[Task] = field(default_factory=list)
    fwmarks: dict[str, int] = field(default_factory=dict)  # node hostname -> fwmark


class Cluster:
    """The swarm as its managers see it."""

    def __init__(self, lab: Lab, *, default_pool: str = "10.0.0.0/8", mask_len: int = 24,
                 data_path_port: int = 4789) -> None:
        self.lab = lab
        rng = lab.rng
        self.id = swarm_id(rng)
        self.created_ns = lab.clock.wall_ns
        self.ca_seed = hex_id(rng)
        self.worker_token = join_token(rng, self.ca_seed)
        self.manager_token = join_token(rng, self.ca_seed)
        self.nodes: dict[str, NodeInfo] = {}
        self.networks: dict[str, SwarmNetwork] = {}
        self.services: dict[str, Service] = {}
        base, _, plen = default_pool.partition("/")
        self.default_pool = default_pool
        self.mask_len = mask_len
        self.subnets = SubnetAllocator([(base, int(plen), mask_len)])
        self.data_path_port = data_path_port
        self._vni = 4095
        self._missed: dict[str, int] = {}
        lab.clock.call_later(HEARTBEAT, self._heartbeat)
        self._load: dict[str, dict[str, int]] = {}  # service id -> node id -> running tasks
        self._node_load: dict[str, int] = {}
        self.ingress = self._create_network("ingress", ingress=True)
        # swarmkit's keymanager: keyringSize (3) random 16-byte keys per subsystem, gossip first,
        # each tagged with the next Lamport time, so the IPsec keys carry tags 4, 5 and 6. A private
        # generator seeded from the swarm id keeps them reproducible without disturbing lab.rng.
        keyrng = random.Random(f"{self.id}/networking:ipsec")
        self.ipsec_keys = [(tag, bytes(keyrng.getrandbits(8) for _ in range(16))) for tag in (4, 5, 6)]

    def driver_keys(self) -> list[tuple[int, bytes]]:
        """The keys as libnetwork hands them to the overlay driver (agent.go getKeys): sorted by
        Lamport time, then the first two swapped, so the primary is the second oldest."""
        keys = sorted(self.ipsec_keys)
        keys[0], keys[1] = keys[1], keys[0]
        return keys

    # --- allocation ----------------------------------------------------------------------------------------
    def next_vni(self) -> int:
        self._vni += 1
        return self._vni

    def _create_network(self, name: str, *, subnet: str | None = None, attachable: bool = False,
                        ingress: bool = False, encrypted: bool = False, mtu: int | None = None,
                        labels: dict[str, str] | None = None, options: dict[str, str] | None = None) -> SwarmNetwork:
        if subnet:
            a, _, p = subnet.partition("/")
            net, plen = ip(a), int(p or 24)
            if not self.subnets.take(net, plen):
                raise daemon_error("rpc error: code = InvalidArgument desc = pool overlaps with other one on this address space")
        else:
            got = self.subnets.allocate()
            if got is None:
                raise daemon_error("rpc error: code = ResourceExhausted desc = could not find an available, "
                                   "non-overlapping IPv4 address pool among the defaults to assign to the network")
            net, plen = got
        pool = Pool(net, plen, serial=True)
        pool.reserve(pool.gateway)
        sn = SwarmNetwork(new_swarm_id(self.lab, "swarm-network"), name, pool, self.next_vni(), self.lab.clock.wall_ns,
                          attachable=attachable, ingress=ingress, encrypted=encrypted,
                          mtu=mtu or (OVERLAY_MTU - (26 if encrypted else 0)) // 4 * 4 if encrypted else (mtu or OVERLAY_MTU),
                          labels=labels or {}, options=options or {})
        self.networks[sn.id] = sn
        return sn

    def create_network(self, name: str, **kw: Any) -> SwarmNetwork:
        if any(n.name == name for n in self.networks.values()):
            raise daemon_error(f"network with name {name} already exists")
        return self._create_network(name, **kw)

    def find_network(self, ref: str) -> SwarmNetwork | None:
        for n in self.networks.values():
            if n.name == ref or n.id == ref:
                return n
        hits = [n for n in self.networks.values() if n.id.startswith(ref)]
        return hits[0] if len(hits) == 1 else None

    def find_service(self, ref: str) -> Service | None:
        for s in self.services.values():
            if s.name == ref or s.id == ref:
                return s
        hits = [s for s in self.services.values() if s.id.startswith(ref)]
        return hits[0] if len(hits) == 1 else None

    def find_node(self, ref: str) -> NodeInfo | None:
        if ref == "self":
            return None
        for n in self.nodes.values():
            if n.id == ref or n.hostname == ref:
                return n
        hits = [n for n in self.nodes.values() if n.id.startswith(ref)]
        return hits[0] if len(hits) == 1 else None

    def node_of(self, daemon: Daemon) -> NodeInfo | None:
        return next((n for n in self.nodes.values() if n.daemon is daemon), None)

    # --- heartbeats ----------------------------------------------------------------------------------------------
    def _reachable(self, node: NodeInfo) -> bool:
        """A node's agent reaches the managers while its daemon runs and its underlay link works."""
        if not node.daemon.running or node.daemon.swarm is None:
            return False
        eth0 = node.daemon.host.root_ns.links.get("eth0")
        seg = getattr(eth0, "segment", None)
        return eth0 is not None and eth0.admin_up and seg is not None and seg.up

    def _heartbeat(self) -> None:
        changed = False
        for node in list(self.nodes.values()):
            if self._reachable(node):
                self._missed[node.id] = 0
                if node.status == "down":
                    node.status = "ready"
                    changed = True
            else:
                self._missed[node.id] = self._missed.get(node.id, 0) + 1
                if node.status == "ready" and self._missed[node.id] >= MISSED_BEFORE_DOWN:
                    node.status = "down"
                    changed = True
        if changed:
            self.reconcile()
        self.lab.clock.call_later(HEARTBEAT, self._heartbeat)

    # --- membership -------------------------------------------------------------------------------------------
    def add_node(self, daemon: Daemon, addr: str, role: str) -> NodeInfo:
        node = NodeInfo(new_swarm_id(self.lab, "node"), daemon.host.hostname, addr, daemon, role=role,
                        created_ns=self.lab.clock.wall_ns, peer=peer_name(self.lab.rng))
        if not self.nodes:
            node.leader = True
        self.nodes[node.id] = node
        node.ingress_addr = self.ingress.pool.allocate() or 0
        member = Member(self, node)
        daemon.swarm = member
        member.setup_ingress()
        if role == "manager":
            listen_remote_api(member)
        return node

    def remove_node(self, node: NodeInfo) -> None:
        for svc in self.services.values():
            for t in svc.tasks:
                if t.node_id == node.id and t.desired == "running":
                    self._shutdown_task(t, "shutdown")
        self.nodes.pop(node.id, None)
        self.reconcile()

    # --- services ------------------------------------------------------------------------------------------------
    def create_service(self, spec: Service) -> Service:
        if any(s.name == spec.name for s in self.services.values()):
            raise daemon_error(f"rpc error: code = AlreadyExists desc = name conflicts with an existing object: "
                               f"service {spec.name} already exists")
        spec.created_ns = spec.updated_ns = self.lab.clock.wall_ns
        if spec.endpoint_mode == "vip":
            for nid in spec.networks:
                addr = self.networks[nid].pool.allocate()
                if addr:
                    spec.vips[nid] = addr
            if any(p.mode == "ingress" for p in spec.ports):
                spec.vips[self.ingress.id] = self.ingress.pool.allocate() or 0
        self.services[spec.id] = spec
        self.reconcile()
        return spec

    def remove_service(self, svc: Service) -> None:
        for t in svc.tasks:
            if t.desired == "running":
                self._shutdown_task(t, "remove")
        for nid, addr in svc.vips.items():
            net = self.networks.get(nid)
            if net is not None:
                net.pool.release(addr)
        self.services.pop(svc.id, None)
        for node in self.nodes.values():
            if node.daemon.swarm is not None:
                node.daemon.swarm.service_removed(svc)

    def active_nodes(self) -> list[NodeInfo]:
        return [n for n in self.nodes.values() if n.availability == "active" and n.status == "ready"]

    def reconcile(self) -> None:
        """The orchestrator and scheduler: make running tasks match each service's spec."""
        for svc in list(self.services.values()):
            live = [t for t in svc.tasks if t.desired == "running"]
            if svc.mode == "global":
                have = {t.node_id for t in live}
                for node in self.active_nodes():
                    if node.id not in have:
                        self._new_task(svc, 0, node)
                for t in live:
                    n = self.nodes.get(t.node_id)
                    if n is None or n.availability == "drain":
                        self._shutdown_task(t, "shutdown")
                continue
            # move tasks off drained / down nodes
            for t in live:
                n = self.nodes.get(t.node_id)
                if n is None or n.availability == "drain" or n.status != "ready":
                    self._shutdown_task(t, "shutdown")
                    self._new_task(svc, t.slot, None)
            live = [t for t in svc.tasks if t.desired == "running"]
            slots = sorted({t.slot for t in live})
            if len(slots) > svc.replicas:
                for t in live:
                    if t.slot > svc.replicas:
                        self._shutdown_task(t, "remove")
            want = [s for s in range(1, svc.replicas + 1) if s not in slots]
            if want:
                # all new tasks of one update are allocated together, then scheduled
                tasks = [self._new_task(svc, s, None, schedule=False) for s in want]
                for t in tasks:
                    self._schedule(t)

    def _new_task(self, svc: Service, slot: int, node: NodeInfo | None, schedule: bool = True) -> Task:
        now = self.lab.clock.wall_ns
        t = Task(new_swarm_id(self.lab, "task"), svc, slot, since_ns=now, created_ns=now)
        svc.tasks.append(t)
        for nid in svc.networks:
            t.addrs[nid] = self.networks[nid].pool.allocate() or 0
        if any(p.mode == "ingress" for p in svc.ports):
            t.addrs[self.ingress.id] = self.ingress.pool.allocate() or 0
        t.state = "allocated"
        if node is not None:
            self._assign(t, node)
        elif schedule:
            self._schedule(t)
        return t

    def _schedule(self, t: Task) -> None:
        nodes = self.active_nodes()
        if not nodes:
            t.state = "pending"
            t.error = "no suitable node (1 node not available for new tasks)"
            return
        svc = t.service
        per_service = self._load.setdefault(svc.id, {})

        def load(n: NodeInfo) -> tuple[int, int, str]:
            # spread: fewest tasks of this service first, then fewest tasks overall (swarmkit's default)
            return (per_service.get(n.id, 0), self._node_load.get(n.id, 0), n.hostname)

        node = min(nodes, key=load)
        self._assign(t, node)

    def _assign(self, t: Task, node: NodeInfo) -> None:
        t.node_id = node.id
        per_service = self._load.setdefault(t.service.id, {})
        per_service[node.id] = per_service.get(node.id, 0) + 1
        self._node_load[node.id] = self._node_load.get(node.id, 0) + 1
        t.state = "assigned"
        t.since_ns = self.lab.clock.wall_ns
        for nid in t.service.networks:
            if nid not in node.lb_addrs:
                node.lb_addrs[nid] = self.networks[nid].pool.allocate() or 0
        member = node.daemon.swarm
        # the node's agent takes it from here: preparing, starting, running
        self.lab.clock.call_later(80 * MS, member.run_task, t)

    def _shutdown_task(self, t: Task, why: str) -> None:
        if t.desired == "running" and t.node_id:
            per_service = self._load.setdefault(t.service.id, {})
            per_service[t.node_id] = max(0, per_service.get(t.node_id, 0) - 1)
            self._node_load[t.node_id] = max(0, self._node_load.get(t.node_id, 0) - 1)
        t.desired = "shutdown" if why == "shutdown" else "remove"
        node = self.nodes.get(t.node_id)
        if node is not None and node.status == "down":
            pass  # unreachable: the manager no longer hears from the task, its last state stays
        elif node is not None and node.daemon.swarm is not None:
            node.daemon.swarm.stop_task(t)
        else:
            t.state = "shutdown"
            t.since_ns = self.lab.clock.wall_ns
        for nid, addr in t.addrs.items():
            net = self.networks.get(nid)
            if net is not None:
                net.pool.release(addr)

    def refresh_lbs(self, svc: Service, task: Task | None = None, add: bool = True) -> None:
        """Every node's load balancers follow the service's running tasks (as gossip would carry them).

        With ``task``, only that task's backend is added or removed (constant work per task)."""
        if svc.endpoint_mode != "vip" or svc.id not in self.services:
            return
        for node in self.nodes.values():
            member = node.daemon.swarm
            if member is None or node.status != "ready":
                continue
            if task is None:
                member.program_service(svc)
            else:
                member.update_backend(svc, task, add)

    def converged(self, svc: Service) -> bool:
        live = [t for t in svc.tasks if t.desired == "running"]
        want = len(self.active_nodes()) if svc.mode == "global" else svc.replicas
        return len(live) == want and all(t.state == "running" for t in live)

    def running_count(self, svc: Service) -> int:
        return sum(1 for t in svc.tasks if t.desired == "running" and t.state == "running")

    def desired_count(self, svc: Service) -> int:
        return len(self.active_nodes()) if svc.mode == "global" else svc.replicas

    # --- service discovery -------------------------------------------------------------------------------
    def endpoints_on(self, nid: str) -> list[tuple[NodeInfo, int, bytes]]:
        """Every endpoint of a swarm network across the cluster: (node, address, mac)."""
        out = []
        for node in self.nodes.values():
            member = node.daemon.swarm
            if member is None:
                continue
            for ep in member.local_endpoints(nid):
                out.append((node, ep.addr, ep.mac))
        return out


class OverlaySandbox:
    """One overlay network on one node: namespace `1-<id10>` with br0 and vxlan0."""

    def __init__(self, member: Member, sn: SwarmNetwork) -> None:
        self.member = member
        self.sn = sn
        daemon = member.daemon
        host = daemon.host
        self.ns = Namespace(host, "", label=f"1-{sn.id[:10]}")
        host.docker_netns[f"1-{sn.id[:10]}"] = self.ns
        self.ns.sysctl["net.ipv6.conf.all.disable_ipv6"] = 1
        lo = self.ns.links["lo"]
        self.ns.set_up(lo)
        lo.qdisc = "noqueue"
        root = host.root_ns
        rng = daemon.lab.rng
        # the bridge is made inside the namespace
        br = Bridge(self.ns, "br0", b"\x00" * 6)
        self.ns.add_link(br)
        br.mcast_snooping = True
        self.br = br
        br.mtu = sn.mtu
        br.mtu_set = True
        self.ns.add_addr(br, IfAddr(sn.pool.gateway, sn.pool.plen, brd=sn.pool.broadcast))
        # the VXLAN device is created in the host namespace (its UDP socket stays there), then moved in
        vx_name = f"vx-{sn.vni:06x}-{sn.id[:5]}"
        vx = Vxlan(root, vx_name, bytes([0x02, *(rng.getrandbits(8) for _ in range(5))]), sn.vni,
                   member.cluster.data_path_port, learning=True, proxy=True, l2miss=True, l3miss=True)
        vx.mtu = sn.mtu
        vx.txqlen = 0
        root.add_link(vx)
        root.move_link(vx, self.ns)
        self.ns.rename_link(vx, "vxlan0")
        vx.underlay = root
        br.add_port(vx)
        self.ns.set_up(vx)
        vx.qdisc = "noqueue"
        self.vx = vx
        self.ns.set_up(br)
        br.qdisc = "noqueue"
        br.mac = vx.mac
        self._veths = 0

    def has_local_endpoints(self) -> bool:
        return bool(self.member.local_endpoints(self.sn.id))

    def check_encryption(self, remote: int | None = None) -> None:
        """libnetwork checkEncryption(add): with a remote VTEP, program it if we have endpoints here;
        without one (a local endpoint joined), program every remote VTEP the peer table knows."""
        if not self.sn.encrypted:
            return
        local = ip(self.member.node.addr)
        if remote is None:
            # peerDbNetworkWalk: a Go map, so no particular order; sorted here to stay reproducible
            vteps = sorted({e.dst for entries in self.vx.vfdb.values() for e in entries if e.dst != local})
        else:
            vteps = [remote] if self.has_local_endpoints() else []
        for vtep in vteps:
            self.member.setup_encryption(self.sn.vni, vtep)

    def add_port(self, dev: Any) -> None:
        """A veth end from the host namespace becomes `veth<N>` on br0."""
        root = self.member.daemon.host.root_ns
        root.move_link(dev, self.ns)
        self.ns.rename_link(dev, f"veth{self._veths}")
        self._veths += 1
        dev.mtu = self.sn.mtu
        self.br.add_port(dev)
        self.ns.set_up(dev)

    def program_peer(self, addr: int, mac: bytes, vtep: int) -> None:
        """What libnetwork's peerAdd does: encryption towards the VTEP (secure networks), then a
        permanent neighbour and a self FDB entry on vxlan0."""
        self.check_encryption(vtep)
        self.ns.neigh.add_static("vxlan0", addr, mac)
        self.vx.fdb_add(VxlanFdb(mac, vtep, permanent=True), replace=True)

    def remove_peer(self, addr: int, mac: bytes) -> None:
        self.ns.neigh.delete("vxlan0", addr)
        self.vx.fdb_del(mac)


class Member:
    """One node's part in the swarm."""

    def __init__(self, cluster: Cluster, node: NodeInfo) -> None:
        self.cluster = cluster
        self.node = node
        self.daemon = node.daemon
        self.overlays: dict[str, OverlaySandbox] = {}
        self.local_nets: dict[str, Network] = {}  # swarm network id -> this node's instantiated Network
        self.lb_ns: dict[str, Namespace] = {}
        self.lb_eps: dict[str, Endpoint] = {}
        self.ingress_ns: Namespace | None = None
        self.fwmark = 256
        self._lb_programmed: set[tuple[str, frozenset[str]]] = set()  # (service id, networks) programmed here
        self._ingress_done: set[tuple[str, int, str]] = set()  # (service id, published port, proto) with host rules
        self._ingress_chains = False  # the DOCKER-INGRESS chains exist on the host
        self._sbox_addr = ""  # ingress_sbox's docker_gwbridge address, the DNAT target of published ports

    @property
    def is_manager(self) -> bool:
        return self.node.role == "manager"

    # --- networks as `docker network ls` shows them --------------------------------------------------------
    def extra_networks(self, daemon: Daemon) -> list[Network]:
        nets = [n for n in self.local_nets.values()]
        if self.is_manager:
            have = set(self.local_nets)
            for sn in self.cluster.networks.values():
                if sn.id not in have:
                    nets.append(self._network_view(sn))
        return nets

    def _network_view(self, sn: SwarmNetwork) -> Network:
        opts = {"com.docker.network.driver.overlay.vxlanid_list": str(sn.vni)}
        if sn.encrypted:
            opts["encrypted"] = ""
        opts.update(sn.options)
        net = Network(sn.id, sn.name, "overlay", "swarm", sn.created_ns, sn.pool, options=opts, labels=sn.labels,
                      attachable=sn.attachable, ingress=sn.ingress, mtu=sn.mtu)
        net.extra["swarm"] = sn
        return net

    def instantiate(self, sn: SwarmNetwork) -> tuple[Network, OverlaySandbox]:
        if sn.id in self.local_nets:
            return self.local_nets[sn.id], self.overlays[sn.id]
        net = self._network_view(sn)
        net.created_ns = self.daemon.clock.wall_ns
        self.local_nets[sn.id] = net
        ov = OverlaySandbox(self, sn)
        self.overlays[sn.id] = ov
        # learn every endpoint other nodes already have on this network
        for node, addr, mac in self.cluster.endpoints_on(sn.id):
            if node is not self.node:
                ov.program_peer(addr, mac, node.vtep)
        return net, ov

    def local_endpoints(self, nid: str) -> list[Endpoint]:
        net = self.local_nets.get(nid)
        return list(net.endpoints.values()) if net is not None else []

    def _announce(self, sn: SwarmNetwork, ep: Endpoint, add: bool = True) -> None:
        """Gossip (networkdb): every other node with the network programs or forgets the endpoint."""
        for node in self.cluster.nodes.values():
            if node is self.node or node.daemon.swarm is None:
                continue
            ov = node.daemon.swarm.overlays.get(sn.id)
            if ov is None:
                continue
            if add:
                ov.program_peer(ep.addr, ep.mac, self.node.vtep)
            else:
                ov.remove_peer(ep.addr, ep.mac)

    def _join_overlay(self, sn: SwarmNetwork, sandbox_ns: Namespace, ifname: str, addr: int, name: str,
                      key: str) -> Endpoint:
        net, ov = self.instantiate(sn)
        root = self.daemon.host.root_ns
        inner, outer = make_veth_pair(self.daemon, sn.mtu)
        ov.add_port(outer)
        plug_into_sandbox(root, inner, sandbox_ns, ifname, addr, sn.pool.plen, mac_for_ip(addr), sn.mtu)
        ep = Endpoint(hex_id(self.daemon.lab.rng), name, net, key, addr, sn.pool.plen, mac_for_ip(addr), inner,
                      outer, self.node.hostname)
        net.endpoints[ep.id] = ep
        ov.check_encryption()  # Join: checkEncryption(nid, nil, vni, true, true)
        self._announce(sn, ep)
        return ep

    def setup_encryption(self, vni: int, remote: int) -> None:
        """encryption.go setupEncryption (20.10): the mangle and INPUT rules for the VNI, then per key
        the SAs (the primary key both ways, the others inbound only) and the primary's policy."""
        from tui.engine.esp import (
            AEAD_GCM,
            DOCKER_MARK,
            Xfrm,
            XfrmPolicy,
            XfrmState,
            XfrmTmpl,
            build_spi,
        )

        root = self.daemon.host.root_ns
        nf = root.netfilter
        port = str(self.cluster.data_path_port)
        vni_match = f"0>>22&0x3C@12&0xFFFFFF00={vni << 8}"
        plain = ["-p", "udp", "--dport", port, "-m", "u32", "--u32", vni_match, "-j"]
        if nf is not None:
            # programMangle: Exists, else -A; programInput: ProgramRule(Append) for the accept, then the drop
            for table, chain, rule in (
                    ("mangle", "OUTPUT", [*plain, "MARK", "--set-mark", str(DOCKER_MARK)]),
                    ("filter", "INPUT", ["-m", "policy", "--dir", "in", "--pol", "ipsec", *plain, "ACCEPT"]),
                    ("filter", "INPUT", [*plain, "DROP"])):
                if nf.execute(["-t", table, "-C", chain, *rule])[0] != 0:
                    nf.run(["-t", table, "-A", chain, *rule])
        xfrm = Xfrm.of(root)
        local = self.node.vtep  # bind address = advertise address here
        for i, (tag, key) in enumerate(self.cluster.driver_keys()):
            fwd, rev = build_spi(local, remote, tag), build_spi(remote, local, tag)
            # programSA: the reverse SA first, then (primary key only) the forward one
            pairs = [(remote, local, rev)] + ([(local, remote, fwd)] if i == 0 else [])
            for src, dst, spi in pairs:
                if xfrm.find_state(src, dst, spi) is None:
                    xfrm.add_state(XfrmState(src, dst, spi, DOCKER_MARK, key + spi.to_bytes(4, "big"), AEAD_GCM, 64))
            if i == 0:
                # programSP: hard-coded dport 4789 in 20.10 (the data-path port only from 23.0.7/24.0.2 on)
                pol = XfrmPolicy(local, 32, remote, 32, "out", proto=17, dport=4789, mark=(DOCKER_MARK, 0xFFFFFFFF),
                                 tmpls=[XfrmTmpl(local, remote, fwd, DOCKER_MARK)])
                if xfrm.find_policy(pol) is None:
                    xfrm.add_policy(pol)

    def attach_container(self, daemon: Daemon, c: Container, net: Network) -> Endpoint:
        """`docker run --network X` / `network connect X` on an attachable overlay: an address from the
        manager, the LB sandbox, eth<N> on the overlay and (if it is the first network) docker_gwbridge."""
        sn = net.extra.get("swarm") or self.cluster.networks.get(net.id)
        if sn is None:
            raise daemon_error(f"network {net.name} not found")
        addr = sn.pool.allocate()
        if addr is None:
            raise daemon_error(f"could not allocate an address on network {sn.name}")
        if sn.id not in self.node.lb_addrs:
            self.node.lb_addrs[sn.id] = sn.pool.allocate() or 0
        self.ensure_lb(sn)
        first = not c.endpoints
        ep = self._join_overlay(sn, c.sandbox.netns, f"eth{len(c.endpoints)}", addr, c.name, c.id)  # type: ignore[union-attr]
        c.endpoints.append(ep)
        if first:
            daemon.connect_bridge(c, self.gwbridge(), f"eth{len(c.endpoints)}", default_route=True,
                                  endpoint_name=f"gateway_{c.sandbox_id[:12]}", sandbox_key=c.id)
        daemon.write_resolv_conf(c, embedded=True)
        daemon.start_embedded_dns(c)
        return ep

    # --- docker_gwbridge and ingress ------------------------------------------------------------------------
    def gwbridge(self) -> Network:
        for n in self.daemon.networks.values():
            if n.name == "docker_gwbridge":
                return n
        opts = {"com.docker.network.bridge.enable_icc": "false",
                "com.docker.network.bridge.enable_ip_masquerade": "true",
                "com.docker.network.bridge.name": "docker_gwbridge"}
        return self.daemon._create_bridge_network("docker_gwbridge", "docker_gwbridge", options=opts, icc=False)

    def setup_ingress(self) -> None:
        """At init/join: ingress-sbox with eth0 on the ingress overlay and eth1 on docker_gwbridge."""
        gw = self.gwbridge()
        host = self.daemon.host
        ns = Namespace(host, "", label="ingress_sbox")
        ns.sysctl["net.ipv6.conf.all.disable_ipv6"] = 1
        ns.sysctl["net.ipv4.ip_forward"] = 1
        ns.loopback_up().qdisc = "noqueue"
        host.docker_netns["ingress_sbox"] = ns
        self.ingress_ns = ns
        sn = self.cluster.ingress
        self._join_overlay(sn, ns, "eth0", self.node.ingress_addr, "ingress-endpoint", "ingress-sbox")
        sandbox = _NsOnly(ns)
        self.daemon.connect_bridge(sandbox, gw, "eth1", default_route=True,  # type: ignore[arg-type]
                                   endpoint_name="gateway_ingress-sbox", sandbox_key="ingress-sbox")

    # --- tasks ----------------------------------------------------------------------------------------------
    def run_task(self, t: Task) -> None:
        if t.desired != "running":
            return
        clock = self.daemon.clock
        t.state = "preparing"
        t.since_ns = clock.wall_ns
        clock.call_later(300 * MS + self.daemon.lab.rng.randrange(200 * MS), self._start_task, t)

    def _start_task(self, t: Task) -> None:
        if t.desired != "running":
            return
        svc = t.service
        d = self.daemon
        try:
            image = d.image(svc.image)
        except DockerError as e:
            t.state = "rejected"
            t.error = e.message.removeprefix("Error response from daemon: ")
            t.since_ns = d.clock.wall_ns
            return
        c = d.new_container(image, name=f"{t.name}.{t.id}", cmd=svc.cmd or None,
                            labels={"com.docker.swarm.service.name": svc.name, "com.docker.swarm.task.id": t.id,
                                    "com.docker.swarm.node.id": self.node.id})
        c.task = t
        t.container = c
        t.state = "starting"
        sandbox_ns = c.sandbox.netns  # type: ignore[union-attr]
        idx = 0
        nets = [nid for nid in svc.networks]
        if self.cluster.ingress.id in t.addrs:
            nets = [self.cluster.ingress.id, *nets]
        for nid in nets:
            sn = self.cluster.networks[nid]
            self.ensure_lb(sn)
            ep = self._join_overlay(sn, sandbox_ns, f"eth{idx}", t.addrs[nid], c.name, c.id)
            c.endpoints.append(ep)
            idx += 1
            if idx == 1:
                # overlay endpoints give no default gateway: docker_gwbridge comes right after (eth1)
                d.connect_bridge(c, self.gwbridge(), f"eth{idx}", default_route=True,
                                 endpoint_name=f"gateway_{c.sandbox_id[:12]}", sandbox_key=c.id)
                idx += 1
        if not nets:
            d.connect_bridge(c, self.gwbridge(), "eth0", default_route=True,
                             endpoint_name=f"gateway_{c.sandbox_id[:12]}", sandbox_key=c.id)
        d.write_resolv_conf(c, embedded=True)
        d.write_hosts(c)
        d.start_embedded_dns(c)
        self._redirect_published(t, c)
        for p in svc.ports:
            if p.mode == "host":  # bound only where a task runs: a DNAT to the task's docker_gwbridge address
                d.publish_port(c, p.published, p.target, p.proto)
        try:
            d.start(c)  # programs the host-mode bindings (iptables rules, docker-proxy)
        except DockerError as e:
            t.state = "rejected"
            t.error = e.message.removeprefix("Error response from daemon: ")
            t.since_ns = d.clock.wall_ns
            d.remove(c, force=True)
            return
        t.state = "running"
        t.since_ns = d.clock.wall_ns
        self.cluster.refresh_lbs(svc, t, add=True)

    def stop_task(self, t: Task) -> None:
        c = t.container
        d = self.daemon
        if c is not None and c.id in d.containers:
            d.stop(c)
            for ep in list(c.endpoints):
                d.disconnect(c, ep)
            if t.desired == "remove":
                d.remove(c, force=True)
        t.state = "shutdown"
        t.since_ns = d.clock.wall_ns
        self.cluster.refresh_lbs(t.service, t, add=False)

    def endpoint_removed(self, daemon: Daemon, ep: Endpoint) -> None:
        sn = ep.network.extra.get("swarm")
        if sn is not None:
            self._announce(sn, ep, add=False)

    def container_exited(self, daemon: Daemon, c: Container) -> None:
        t = c.task
        if t is None or t.desired != "running" or not daemon.running:
            return
        t.state = "complete" if c.exit_code == 0 else "failed"
        t.error = "" if c.exit_code == 0 else f"task: non-zero exit ({c.exit_code})"
        t.since_ns = daemon.clock.wall_ns
        t.desired = "shutdown"
        daemon.clock.call_later(5 * SEC, self.cluster.reconcile)

    def service_removed(self, svc: Service) -> None:
        """Undo what program_service did: VIP addresses, marks, IPVS services, DOCKER-INGRESS rules."""
        from tui.engine.ipvs import IpvsError

        mark = svc.fwmarks.get(self.node.hostname)
        for nid, vip in svc.vips.items():
            sn = self.cluster.networks.get(nid)
            ns = self.ingress_ns if sn is not None and sn.ingress else self.lb_ns.get(nid)
            if ns is None:
                continue
            if "eth0" in ns.links:
                ns.del_addr(ns.links["eth0"], vip, 32)
            if mark is not None:
                _delete_rules(ns.netfilter, "mangle", "INPUT", f"--set-xmark 0x{mark:x}/0xffffffff")
                if ns.ipvs is not None:
                    try:
                        ns.ipvs.del_service(mark)
                    except IpvsError:
                        pass
        if self.ingress_ns is not None and mark is not None:
            _delete_rules(self.ingress_ns.netfilter, "mangle", "PREROUTING", f"--set-xmark 0x{mark:x}/0xffffffff")
        done = self._ingress_done
        for p in svc.ports:
            if p.mode != "ingress" or (svc.id, p.published, p.proto) not in done:
                continue
            done.discard((svc.id, p.published, p.proto))
            nf = self.daemon.nf
            _delete_rules(nf, "nat", "DOCKER-INGRESS", f"--dport {p.published} ")
            _delete_rules(nf, "filter", "DOCKER-INGRESS", f"--dport {p.published} ")
            _delete_rules(nf, "filter", "DOCKER-INGRESS", f"--sport {p.published} ")
        ready = self._lb_programmed
        for key in [k for k in ready if k[0] == svc.id]:
            ready.discard(key)

    # --- load balancing --------------------------------------------------------------------------------------
    def ensure_lb(self, sn: SwarmNetwork) -> None:
        """The per-node load-balancer sandbox `lb_<id9>` (Docker 18.06+), holding every VIP of the network."""
        if sn.ingress or sn.id in self.lb_ns:
            return
        self.instantiate(sn)
        host = self.daemon.host
        ns = Namespace(host, "", label=f"lb_{sn.id[:9]}")
        ns.sysctl["net.ipv6.conf.all.disable_ipv6"] = 1
        ns.sysctl["net.ipv4.ip_forward"] = 1
        ns.loopback_up()
        host.docker_netns[f"lb_{sn.id[:9]}"] = ns
        self.lb_ns[sn.id] = ns
        addr = self.node.lb_addrs.get(sn.id) or sn.pool.allocate() or 0
        self.node.lb_addrs[sn.id] = addr
        ep = self._join_overlay(sn, ns, "eth0", addr, f"{sn.name}-endpoint", f"lb-{sn.name}")
        self.lb_eps[sn.id] = ep
        self.lb_namespace_setup(ns, addr, sn)
        for svc in self.cluster.services.values():
            if sn.id in svc.vips:
                self.program_service(svc)

    def lb_namespace_setup(self, ns: Namespace, own_addr: int, sn: SwarmNetwork) -> None:
        """What libnetwork puts in a load-balancer sandbox: forwarding, IPVS conntrack, SNAT of balanced traffic."""
        ns.sysctl["net.ipv4.ip_forward"] = 1
        _docker_ipvs_sysctls(ns)
        ns.netfilter.run(["-t", "nat", "-A", "POSTROUTING", "-d", sn.pool.cidr, "-m", "ipvs", "--ipvs", "-j", "SNAT",
                          "--to-source", ip_str(own_addr)])

    def fwmark_for(self, svc: Service) -> int:
        mark = svc.fwmarks.get(self.node.hostname)
        if mark is None:
            mark = self.fwmark
            self.fwmark += 1
            svc.fwmarks[self.node.hostname] = mark
        return mark

    def program_service(self, svc: Service) -> None:
        """VIP load balancing (LB sandboxes) and the routing mesh (ingress_sbox + host rules) for one service."""
        from tui.engine.ipvs import Ipvs, IpvsError

        live = [t for t in svc.tasks if t.desired == "running" and t.state == "running"]
        for nid, vip in svc.vips.items():
            sn = self.cluster.networks.get(nid)
            if sn is None:
                continue
            ns = self.ingress_ns if sn.ingress else self.lb_ns.get(nid)
            if ns is None:
                continue
            mark = self.fwmark_for(svc)
            ipvs = Ipvs.of(ns)
            eth0 = ns.links.get("eth0")
            if eth0 is not None and not any(a.addr == vip for a in eth0.addrs):
                ns.add_addr(eth0, IfAddr(vip, 32))
                ns.netfilter.run(["-t", "mangle", "-A", "INPUT", "-d", f"{ip_str(vip)}/32", "-j", "MARK",
                                  "--set-mark", str(mark)])
            svc_obj = ipvs.find_service(fwmark=mark)
            if svc_obj is None:
                svc_obj = ipvs.add_service(fwmark=mark, scheduler="rr")
            want = {t.addrs[nid] for t in live if nid in t.addrs}
            have = {d.addr for d in svc_obj.dests}
            for addr in sorted(want - have):
                try:
                    ipvs.add_server(svc_obj, addr, 0, 1, "masq")
                except IpvsError:
                    pass
            for addr in have - want:
                try:
                    ipvs.edit_server(svc_obj, addr, 0, 0, "masq")  # quiesce first, as libnetwork does
                    ipvs.del_server(svc_obj, addr, 0)
                except IpvsError:
                    pass
        self._program_ingress_ports(svc)

    def update_backend(self, svc: Service, t: Task, add: bool) -> None:
        """One task joins or leaves the service's IPVS real servers on this node."""
        from tui.engine.ipvs import IpvsError

        if not self._lb_ready(svc):
            self.program_service(svc)
            return
        for nid, addr in t.addrs.items():
            sn = self.cluster.networks.get(nid)
            if sn is None or nid not in svc.vips:
                continue
            ns = self.ingress_ns if sn.ingress else self.lb_ns.get(nid)
            if ns is None or ns.ipvs is None:
                continue
            svc_obj = ns.ipvs.find_service(fwmark=self.fwmark_for(svc))
            if svc_obj is None:
                continue
            try:
                if add:
                    ns.ipvs.add_server(svc_obj, addr, 0, 1, "masq")
                else:
                    ns.ipvs.edit_server(svc_obj, addr, 0, 0, "masq")
                    ns.ipvs.del_server(svc_obj, addr, 0)
            except IpvsError:
                pass

    def _lb_ready(self, svc: Service) -> bool:
        """True once this node has programmed the service on every network it has a load balancer for."""
        ready = self._lb_programmed
        key = (svc.id, frozenset(n for n in svc.vips if n in self.lb_ns or (self.ingress_ns is not None
                                                                            and n == self.cluster.ingress.id)))
        if key in ready:
            return True
        ready.add(key)
        return False

    def _program_ingress_ports(self, svc: Service) -> None:
        ports = [p for p in svc.ports if p.mode == "ingress"]
        if not ports or self.ingress_ns is None:
            return
        done = self._ingress_done
        host_nf = self.daemon.nf
        if not self._ingress_chains:
            self._ingress_chains = True
            host_nf.run(["-t", "nat", "-N", "DOCKER-INGRESS"])
            host_nf.run(["-t", "nat", "-I", "PREROUTING", "1", "-m", "addrtype", "--dst-type", "LOCAL", "-j",
                         "DOCKER-INGRESS"])
            host_nf.run(["-t", "nat", "-I", "OUTPUT", "1", "-m", "addrtype", "--dst-type", "LOCAL", "-j",
                         "DOCKER-INGRESS"])
            host_nf.run(["-t", "nat", "-A", "DOCKER-INGRESS", "-j", "RETURN"])
            host_nf.run(["-t", "nat", "-I", "POSTROUTING", "1", "-o", "docker_gwbridge", "-m", "addrtype",
                         "--src-type", "LOCAL", "-j", "MASQUERADE"])
            host_nf.run(["-N", "DOCKER-INGRESS"])
            host_nf.run(["-I", "FORWARD", "1", "-j", "DOCKER-INGRESS"])
            host_nf.run(["-A", "DOCKER-INGRESS", "-j", "RETURN"])
            sbox_addr = ip_str(self.ingress_sbox_gw_addr())
            self._sbox_addr = sbox_addr
            self.ingress_ns.netfilter.run(["-t", "nat", "-A", "POSTROUTING", "-d", self.cluster.ingress.pool.cidr,
                                           "-m", "ipvs", "--ipvs", "-j", "SNAT", "--to-source",
                                           ip_str(self.node.ingress_addr)])
            _docker_ipvs_sysctls(self.ingress_ns)
        mark = self.fwmark_for(svc)
        for p in ports:
            key = (svc.id, p.published, p.proto)
            if key in done:
                continue
            done.add(key)
            pub = str(p.published)
            host_nf.run(["-t", "nat", "-I", "DOCKER-INGRESS", "1", "-p", p.proto, "-m", p.proto, "--dport", pub,
                         "-j", "DNAT", "--to-destination", f"{self._sbox_addr}:{pub}"])
            host_nf.run(["-I", "DOCKER-INGRESS", "1", "-p", p.proto, "-m", p.proto, "--dport", pub, "-j", "ACCEPT"])
            host_nf.run(["-I", "DOCKER-INGRESS", "2", "-p", p.proto, "-m", "conntrack", "--ctstate",
                         "RELATED,ESTABLISHED", "-m", p.proto, "--sport", pub, "-j", "ACCEPT"])
            self.ingress_ns.netfilter.run(["-t", "mangle", "-A", "PREROUTING", "-p", p.proto, "-m", p.proto,
                                           "--dport", pub, "-j", "MARK", "--set-mark", str(mark)])

    def ingress_sbox_gw_addr(self) -> int:
        eth1 = self.ingress_ns.links.get("eth1") if self.ingress_ns else None
        return eth1.addrs[0].addr if eth1 is not None and eth1.addrs else 0

    def _redirect_published(self, t: Task, c: Container) -> None:
        """In a task on ingress: `-d <task ingress ip> -p tcp --dport P -j REDIRECT --to-port T`."""
        addr = t.addrs.get(self.cluster.ingress.id)
        if not addr:
            return
        nf = c.sandbox.netns.netfilter  # type: ignore[union-attr]
        for p in t.service.ports:
            if p.mode == "ingress":
                nf.run(["-t", "nat", "-A", "PREROUTING", "-d", f"{ip_str(addr)}/32", "-p", p.proto, "-m", p.proto,
                        "--dport", str(p.published), "-j", "REDIRECT", "--to-ports", str(p.target)])

    # --- DNS -------------------------------------------------------------------------------------------------
    def reverse(self, net: Network, addr: int) -> str | None:
        """PTR for a task address on a swarm network: `<service>.<slot>.<task id>.<network>` (none for VIPs)."""
        sn = net.extra.get("swarm")
        if sn is None:
            return None
        for svc in self.cluster.services.values():
            for t in svc.tasks:
                if t.desired == "running" and t.addrs.get(sn.id) == addr:
                    return f"{t.name}.{t.id}.{sn.name}"
        return None

    def resolve(self, daemon: Daemon, net: Network, name: str) -> list[int] | None:
        sn = net.extra.get("swarm")
        if sn is None:
            return None
        tasks_prefix = "tasks."
        for svc in self.cluster.services.values():
            if sn.id not in svc.networks:
                continue
            live = [t for t in svc.tasks if t.desired == "running" and t.state == "running" and sn.id in t.addrs]
            # libnetwork addEndpointNameResolution: service aliases get the same records as the name
            names = [svc.name.lower(), *(a.lower() for a in svc.aliases.get(sn.id, []))]
            if name in names:
                if svc.endpoint_mode == "vip" and sn.id in svc.vips:
                    return [svc.vips[sn.id]]
                addrs = [t.addrs[sn.id] for t in live]
                daemon.lab.rng.shuffle(addrs)
                return addrs or None
            if name.startswith(tasks_prefix) and name[len(tasks_prefix):] in names:
                addrs = [t.addrs[sn.id] for t in live]
                daemon.lab.rng.shuffle(addrs)
                return addrs or None
            for t in live:
                if t.container is not None and name in (t.container.name, f"{t.name}.{t.id}"):
                    return [t.addrs[sn.id]]
        return None


def _delete_rules(nf: Any, table: str, chain: str, needle: str) -> None:
    for rule in list(nf.rules(table, chain)):
        if needle in rule.save_text() + " ":
            nf.delete(table, chain, rule)


def _docker_ipvs_sysctls(ns: Namespace) -> None:
    """What libnetwork sets in a load-balancing namespace (service_linux.go)."""
    from tui.engine.ipvs import Ipvs

    Ipvs.of(ns)
    for key, value in (("conntrack", 1), ("expire_nodest_conn", 1), ("expire_quiescent_template", 1),
                       ("conn_reuse_mode", 0)):
        ns.sysctl[f"net.ipv4.vs.{key}"] = value


class _NsOnly:
    """The little of a container that the bridge driver needs for the ingress sandbox."""

    def __init__(self, ns: Namespace) -> None:
        self.sandbox = self
        self.netns = ns
        self.endpoints: list[Endpoint] = []
        self.name = "ingress-sbox"
        self.id = "ingress-sbox"
        self.sandbox_id = "ingress-sbox"


def init_swarm(daemon: Daemon, advertise: str | None = None, *, default_pool: str = "10.0.0.0/8",
               mask_len: int = 24, data_path_port: int = 4789) -> Cluster:
    if daemon.swarm is not None or daemon.joining is not None:
        raise daemon_error(SWARM_EXISTS)
    addr = advertise or _default_addr(daemon)
    cluster = Cluster(daemon.lab, default_pool=default_pool, mask_len=mask_len, data_path_port=data_path_port)
    daemon.lab.swarms.append(cluster)
    node = cluster.add_node(daemon, addr, "manager")
    daemon.swarm.node = node
    return cluster


def _default_addr(daemon: Daemon) -> str:
    eth0 = daemon.host.root_ns.links.get("eth0")
    if eth0 is None or not eth0.addrs:
        raise daemon_error("could not choose an IP address to advertise since this system has no address on "
                           "interface eth0 - specify one with --advertise-addr")
    return ip_str(eth0.addrs[0].addr)


def join_swarm(daemon: Daemon, token: str, manager_addr: str) -> NodeInfo:
    """An instant join for building scenarios; `docker swarm join` goes through swarmjoin.start_join."""
    if daemon.swarm is not None or daemon.joining is not None:
        raise daemon_error(SWARM_EXISTS)
    host_part = manager_addr.rsplit(":", 1)[0]
    cluster = None
    for c in daemon.lab.swarms:
        for n in c.nodes.values():
            if n.addr == host_part and n.role == "manager" and n.status == "ready":
                cluster = c
    if cluster is None:
        raise daemon_error("Timeout was reached before node joined. The attempt to join the swarm will continue in "
                           'the background. Use the "docker info" command to see the current swarm status of your '
                           "node.")
    if token == cluster.worker_token:
        role = "worker"
    elif token == cluster.manager_token:
        role = "manager"
    else:
        if not token.startswith("SWMTKN-1-") or len(token) != 85:
            raise daemon_error("invalid join token")
        raise daemon_error("rpc error: code = InvalidArgument desc = A valid join token is necessary to join this "
                           "cluster")
    node = cluster.add_node(daemon, _default_addr(daemon), role)
    return node


def leave_swarm(daemon: Daemon, force: bool) -> None:
    member = daemon.swarm
    if member is None and daemon.joining is not None:
        daemon.joining.stop()  # nodeRunner.Stop: a pending or failed join just ends
        return
    if member is None:
        raise daemon_error("This node is not part of a swarm")
    if member.is_manager and not force:
        managers = [n for n in member.cluster.nodes.values() if n.role == "manager"]
        if len(managers) == 1:
            raise daemon_error("You are attempting to leave the swarm on a node that is participating as a manager. "
                               "Removing the last manager erases all current state of the swarm. Use `--force` to "
                               "ignore this message.")
    cluster = member.cluster
    for svc in cluster.services.values():
        for t in svc.tasks:
            if t.node_id == member.node.id and t.desired == "running":
                member.stop_task(t)
    member.node.status = "down"
    if member.is_manager:
        stop_remote_api(member)
    daemon.swarm = None
    for key in [k for k in daemon.host.docker_netns if k.startswith(("1-", "lb_")) or k == "ingress_sbox"]:
        daemon.host.docker_netns.pop(key, None)
    cluster.reconcile()


__all__ = ["Cluster", "Member", "NodeInfo", "Service", "Task", "SwarmNetwork", "PublishedPort", "init_swarm",
           "join_swarm", "leave_swarm", "NOT_MANAGER", "NOT_IN_SWARM", "ENGINE_VERSION", "TASK_STATES"]
