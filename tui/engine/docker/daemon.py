"""The Docker daemon of one host: networks, containers and the iptables rules it keeps.

Plumbing follows libnetwork (bridge driver, osl sandboxes); wording of errors
follows the daemon's API messages, which the CLI prints after
`Error response from daemon: `.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.engine.clock import MS, SEC
from tui.engine.docker.container import Container, ContainerSandbox
from tui.engine.docker.ids import hex_id, new_hex_id
from tui.engine.docker.images import CATALOG, Image, find_image
from tui.engine.docker.ipam import LOCAL_POOLS, Pool, SubnetAllocator, ip, ip_str
from tui.engine.docker.names import random_name
from tui.engine.docker.network import (
    Endpoint,
    Network,
    docker_bridge_mac,
    mac_for_ip,
    make_veth_pair,
    new_endpoint_id,
    plug_into_sandbox,
    set_default_route,
    user_defined,
)
from tui.engine.fs import FileSystem
from tui.engine.links import Bridge, IfAddr
from tui.engine.netns import Namespace

if TYPE_CHECKING:
    from tui.engine.host import Host
    from tui.engine.lab import Lab
    from tui.engine.process import Process

ENGINE_VERSION = "20.10.12"
API_PREFIX = "Error response from daemon: "
# runconfig.ErrUnsupportedNetworkAndAlias (moby daemon/container_operations.go updateNetworkConfig)
ALIAS_ON_PREDEFINED = "network-scoped alias is supported only for containers in user defined networks"


class DockerError(Exception):
    """An error as the CLI prints it (already prefixed where the daemon said it), with the exit status."""

    def __init__(self, message: str, status: int = 1, *, notice: str = "", at_start: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.notice = notice  # printed before the error as is (`Unable to find image ... locally`)
        self.at_start = at_start  # raised by ContainerStart: `docker run` prints it without the help hint


def daemon_error(msg: str, status: int = 1) -> DockerError:
    return DockerError(API_PREFIX + msg, status)


# Set by the shell layer: how a container's main command runs (the tools live there, not here).
ProcessRunner = Callable[["Daemon", Container, list[str]], "Process | None"]


class Daemon:
    runner: ProcessRunner | None = None

    def __init__(self, host: Host) -> None:
        self.host = host
        host.docker = self  # type: ignore[attr-defined]
        host.docker_netns = {}
        self.networks: dict[str, Network] = {}
        self.containers: dict[str, Container] = {}
        self._by_name: dict[str, Container] = {}
        self.images: dict[str, Image] = {}
        self.local_subnets = SubnetAllocator(LOCAL_POOLS)
        self.swarm: Any = None  # the node's swarm membership (tui.engine.docker.swarm)
        self.joining: Any = None  # a join still pending or failed (tui.engine.docker.swarmjoin.JoinAttempt)
        self.running = True  # `systemctl stop docker` stops it
        self.started_ns = self.clock.now
        host.root_ns.sysctl["net.ipv4.ip_forward"] = 1
        self._init_iptables()
        self._create_bridge_network("bridge", "docker0", options={
            "com.docker.network.bridge.default_bridge": "true",
            "com.docker.network.bridge.enable_icc": "true",
            "com.docker.network.bridge.enable_ip_masquerade": "true",
            "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
            "com.docker.network.bridge.name": "docker0",
            "com.docker.network.driver.mtu": "1500",
        })
        self.networks_add(Network(new_hex_id(self.lab, f"network@{host.hostname}"), "host", "host", "local",
                                  self.clock.wall_ns))
        self.networks_add(Network(new_hex_id(self.lab, f"network@{host.hostname}"), "none", "null", "local",
                                  self.clock.wall_ns))

    # --- basics ----------------------------------------------------------------------------------------
    @property
    def lab(self) -> Lab:
        return self.host.lab

    @property
    def clock(self) -> Any:
        return self.host.lab.clock

    @property
    def nf(self) -> Any:
        return self.host.root_ns.netfilter

    def ipt(self, *args: str) -> None:
        self.nf.run(list(args))

    def networks_add(self, net: Network) -> Network:
        self.networks[net.id] = net
        return net

    def _init_iptables(self) -> None:
        """The chains and rules Docker 20.10 installs at start (filter and nat)."""
        for chain in ("DOCKER", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2", "DOCKER-USER"):
            self.ipt("-N", chain)
        self.ipt("-t", "nat", "-N", "DOCKER")
        self.ipt("-t", "nat", "-A", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER")
        self.ipt("-t", "nat", "-A", "OUTPUT", "!", "-d", "127.0.0.0/8", "-m", "addrtype", "--dst-type", "LOCAL",
                 "-j", "DOCKER")
        self.ipt("-P", "FORWARD", "DROP")
        self.ipt("-A", "FORWARD", "-j", "DOCKER-USER")
        self.ipt("-A", "FORWARD", "-j", "DOCKER-ISOLATION-STAGE-1")
        self.ipt("-A", "DOCKER-ISOLATION-STAGE-1", "-j", "RETURN")
        self.ipt("-A", "DOCKER-ISOLATION-STAGE-2", "-j", "RETURN")
        self.ipt("-A", "DOCKER-USER", "-j", "RETURN")

    # --- lookups ------------------------------------------------------------------------------------------
    def find_network(self, ref: str) -> Network | None:
        """By exact name, exact id, or unique id prefix (as the daemon resolves references)."""
        for n in self.visible_networks():
            if n.name == ref or n.id == ref:
                return n
        hits = [n for n in self.visible_networks() if n.id.startswith(ref)]
        return hits[0] if len(hits) == 1 else None

    def visible_networks(self) -> list[Network]:
        nets = list(self.networks.values())
        if self.swarm is not None:
            nets += self.swarm.extra_networks(self)
        return nets

    def find_container(self, ref: str) -> Container | None:
        c = self.containers.get(ref) or self._by_name.get(ref.lstrip("/"))
        if c is not None:
            return c
        hits = [c for c in self.containers.values() if c.id.startswith(ref)]
        if len(hits) > 1:
            raise daemon_error(f"multiple IDs found with provided prefix: {ref}")
        return hits[0] if hits else None

    def get_container(self, ref: str) -> Container:
        c = self.find_container(ref) if ref else None
        if c is None:
            raise daemon_error(f"No such container: {ref}")
        return c

    # --- the bridge driver --------------------------------------------------------------------------------
    def _create_bridge_network(self, name: str, bridge_name: str | None, *, options: dict[str, str],
                               subnet: tuple[int, int] | None = None, icc: bool = True,
                               masquerade: bool = True, labels: dict[str, str] | None = None,
                               internal: bool = False, attachable: bool = False) -> Network:
        if subnet is None:
            got = self.local_subnets.allocate()
            if got is None:
                raise daemon_error("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")
            subnet = got
        else:
            self.local_subnets.take(*subnet)
        pool = Pool(subnet[0], subnet[1])
        pool.reserve(pool.gateway)
        net = Network(new_hex_id(self.lab, f"network@{self.host.hostname}"), name, "bridge", "local",
                      self.clock.wall_ns, pool, options=options,
                      labels=labels or {}, icc=icc, masquerade=masquerade, internal=internal, attachable=attachable)
        ns = self.host.root_ns
        br = Bridge(ns, bridge_name or "br-" + net.id[:12], docker_bridge_mac(self))
        br.mac_set = True
        br.mcast_snooping = True
        ns.add_link(br)
        ns.add_addr(br, IfAddr(pool.gateway, pool.plen, brd=pool.broadcast))
        ns.set_up(br)
        br.qdisc = "noqueue"
        net.bridge = br
        self.networks_add(net)
        self._bridge_rules(net)
        return net

    def _bridge_rules(self, net: Network) -> None:
        br = net.bridge.name  # type: ignore[union-attr]
        cidr = net.subnet
        if net.masquerade and not net.internal:
            self.ipt("-t", "nat", "-A", "POSTROUTING", "-s", cidr, "!", "-o", br, "-j", "MASQUERADE")
        self.ipt("-t", "nat", "-I", "DOCKER", "-i", br, "-j", "RETURN")
        # forwarding rules are inserted at the top of FORWARD, below DOCKER-USER/ISOLATION jumps
        pos = self._forward_insert_pos()
        rules = [
            ["-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
            ["-o", br, "-j", "DOCKER"],
            ["-i", br, "!", "-o", br, "-j", "ACCEPT"],
            ["-i", br, "-o", br, "-j", "ACCEPT" if net.icc else "DROP"],
        ]
        for i, r in enumerate(rules):
            self.ipt("-I", "FORWARD", str(pos + i), *r)
        self.ipt("-I", "DOCKER-ISOLATION-STAGE-1", "1", "-i", br, "!", "-o", br, "-j", "DOCKER-ISOLATION-STAGE-2")
        self.ipt("-I", "DOCKER-ISOLATION-STAGE-2", "1", "-o", br, "-j", "DROP")

    def _forward_insert_pos(self) -> int:
        rules = self.nf.rules("filter", "FORWARD")
        pos = 1
        for i, r in enumerate(rules, 1):
            target = getattr(r, "jumpto", "") or ""
            if target in ("DOCKER-USER", "DOCKER-INGRESS", "DOCKER-ISOLATION-STAGE-1"):
                pos = i + 1
        return pos

    def create_bridge_network(self, name: str, *, subnet: str | None = None, internal: bool = False,
                              attachable: bool = False, labels: dict[str, str] | None = None,
                              options: dict[str, str] | None = None) -> Network:
        if any(n.name == name for n in self.visible_networks()):
            raise daemon_error(f"network with name {name} already exists")
        sub = None
        if subnet:
            addr, _, plen = subnet.partition("/")
            sub = (ip(addr), int(plen or 32))
            if self.local_subnets.overlaps(*sub):
                raise daemon_error("Pool overlaps with other one on this address space")
        brname = options.get("com.docker.network.bridge.name") if options else None
        net = self._create_bridge_network(name, brname, options=dict(options or {}), subnet=sub,
                                          internal=internal, attachable=attachable, labels=labels)
        net.extra["user_defined"] = True
        return net

    # --- containers -------------------------------------------------------------------------------------------
    def image(self, ref: str) -> Image:
        img = find_image(ref)
        if img is None:
            repo = ref.split(":")[0]
            raise DockerError(f"{API_PREFIX}pull access denied for {repo}, repository does not exist or may "
                              "require 'docker login': denied: requested access to the resource is denied", 125,
                              notice=f"Unable to find image '{ref if ':' in ref else ref + ':latest'}' locally\n")
        self.images[img.repo] = img
        return img

    def new_container(self, image: Image, *, name: str | None, cmd: list[str] | None, hostname: str | None = None,
                      labels: dict[str, str] | None = None, auto_remove: bool = False) -> Container:
        if name is not None:
            c = self._by_name.get(name)
            if c is not None:
                    raise daemon_error(f'Conflict. The container name "/{name}" is already in use by container '
                                       f'"{c.id}". You have to remove (or rename) that container to be able to '
                                       "reuse that name.", 125)
        else:
            name = random_name(self.lab.rng, set(self._by_name))
        cid = new_hex_id(self.lab, f"container@{self.host.hostname}")
        c = Container(cid, name, image, list(cmd) if cmd else list(image.entrypoint + image.cmd),
                      self.clock.wall_ns, labels=labels or {}, auto_remove=auto_remove)
        c.hostname = hostname or cid[:12]
        c.sandbox_id = hex_id(self.lab.rng)
        ns = Namespace(self.host, "", label=c.sandbox_id[:12])
        ns.sysctl["net.ipv6.conf.all.disable_ipv6"] = 1  # Docker 17.04-25 turn IPv6 off in IPv4-only sandboxes
        ns.sysctl["net.ipv4.ip_forward"] = 0
        ns.loopback_up().qdisc = "noqueue"
        ns.owner = c
        self.host.docker_netns[c.sandbox_id[:12]] = ns
        fs = FileSystem()
        c.sandbox = ContainerSandbox(self.host, ns, fs, c.hostname, image.tools, c)
        fs.write("/etc/hosts", b"127.0.0.1\tlocalhost\n")
        self.containers[cid] = c
        self._by_name[name] = c
        return c

    def write_resolv_conf(self, c: Container, embedded: bool) -> None:
        fs = c.sandbox.fs  # type: ignore[union-attr]
        if embedded:
            fs.write("/etc/resolv.conf", b"nameserver 127.0.0.11\noptions ndots:0\n")
        else:
            # the default bridge copies the host's resolvers (127.0.0.53 is replaced by the upstream ones)
            fs.write("/etc/resolv.conf", b"nameserver 10.0.0.2\nsearch ec2.internal\n")

    def write_hosts(self, c: Container) -> None:
        lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
                 "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters"]
        for ep in c.endpoints:
            if ep.network.driver == "bridge" and ep.network.name != "docker_gwbridge":
                lines.append(f"{ip_str(ep.addr)}\t{c.hostname}")
                break
        else:
            if c.endpoints:
                lines.append(f"{ip_str(c.endpoints[0].addr)}\t{c.hostname}")
        c.sandbox.fs.write("/etc/hosts", ("\n".join(lines) + "\n").encode())  # type: ignore[union-attr]

    def connect_bridge(self, c: Container, net: Network, ifname: str, *, default_route: bool = True,
                       endpoint_name: str | None = None, sandbox_key: str | None = None) -> Endpoint:
        """Bridge driver join: a veth into the bridge on the host, eth<N> in the container."""
        assert net.pool is not None and net.bridge is not None
        addr = net.pool.allocate()
        if addr is None:
            raise daemon_error("no available IPv4 addresses on this network's address pools: "
                               f"{net.name} ({net.id})")
        sandbox_ns = c.sandbox.netns  # type: ignore[union-attr]
        host_ns = self.host.root_ns
        inner, outer = make_veth_pair(self, net.mtu)
        outer.qdisc = "noqueue"
        net.bridge.add_port(outer)
        host_ns.set_up(outer)
        plug_into_sandbox(host_ns, inner, sandbox_ns, ifname, addr, net.pool.plen, mac_for_ip(addr), net.mtu)
        if default_route:
            set_default_route(sandbox_ns, net.pool.gateway, ifname)
        ep = Endpoint(new_endpoint_id(self), endpoint_name or c.name, net, sandbox_key or c.id, addr, net.pool.plen,
                      mac_for_ip(addr), inner, outer, self.host.hostname)
        net.endpoints[ep.id] = ep
        c.endpoints.append(ep)
        return ep

    def disconnect(self, c: Container, ep: Endpoint) -> None:
        net = ep.network
        net.endpoints.pop(ep.id, None)
        if ep in c.endpoints:
            c.endpoints.remove(ep)
        if net.pool is not None:
            net.pool.release(ep.addr)
        if ep.peer is not None and ep.peer.master is not None:
            ep.peer.master.remove_port(ep.peer)
        for dev in (ep.iface, ep.peer):
            if dev is not None and dev.ns.links.get(dev.name) is dev:
                dev.ns.set_down(dev)
                dev.ns.remove_link(dev)
        if self.swarm is not None:
            self.swarm.endpoint_removed(self, ep)

    def run_container(self, image: Image, *, name: str | None, cmd: list[str] | None, network: str | None,
                      publish: list[tuple[int, int, str]], hostname: str | None = None, auto_remove: bool = False,
                      labels: dict[str, str] | None = None, aliases: list[str] | None = None) -> Container:
        net = self.find_network(network or "bridge")
        if net is None:
            raise daemon_error(f"network {network} not found", 125)
        if net.driver == "overlay" and not net.attachable and not net.ingress:
            raise daemon_error(f"Could not attach to network {net.name}: rpc error: code = PermissionDenied desc = "
                               f"network {net.name} not manually attachable", 125)
        c = self.new_container(image, name=name, cmd=cmd, hostname=hostname, labels=labels, auto_remove=auto_remove)
        c.network_mode = net.name if net.name != "bridge" else "default"
        c.aliases = list(aliases or [])
        if user_defined(c.network_mode) or not c.aliases:  # else the container stays Created (refused at start)
            try:
                self.attach_networks(c, [net])
            except DockerError:
                self.remove(c, force=True)
                raise
            for host_port, cport, proto in publish:
                self.publish_port(c, host_port, cport, proto)
        try:
            self.start(c)
        except DockerError as e:
            e.container_id = c.id  # type: ignore[attr-defined]
            if c.auto_remove:
                self.remove(c, force=True)
            raise
        return c

    def _check_aliases(self, c: Container) -> None:
        if c.aliases and not user_defined(c.network_mode):
            err = daemon_error(ALIAS_ON_PREDEFINED, 125)
            err.at_start = True
            raise err

    def endpoint_aliases(self, c: Container, net: Network, requested: list[str]) -> list[str]:
        """updateNetworkConfig: refused on predefined networks; on user-defined ones the short id follows."""
        if not user_defined(net.name):
            if requested:
                raise daemon_error(ALIAS_ON_PREDEFINED)
            return []
        return list(requested) + ([] if c.short_id in requested else [c.short_id])

    def attach_networks(self, c: Container, nets: list[Network]) -> None:
        for i, net in enumerate(nets):
            aliases = self.endpoint_aliases(c, net, c.aliases if i == 0 else [])
            if net.driver == "bridge":
                self.connect_bridge(c, net, f"eth{i}").aliases = aliases
                self.write_resolv_conf(c, embedded=net.name != "bridge")
                if net.name != "bridge":
                    self.start_embedded_dns(c)
            elif net.driver == "overlay":
                self.swarm.attach_container(self, c, net).aliases = aliases
            elif net.driver == "null":
                self.write_resolv_conf(c, embedded=False)
        self.write_hosts(c)

    def start_embedded_dns(self, c: Container) -> None:
        if c.dns is not None:
            return
        try:
            from tui.engine.apps.dns import EmbeddedResolver
        except ImportError:
            return
        ns = c.sandbox.netns  # type: ignore[union-attr]

        def lookup(name: str) -> list[int] | None:
            return self.resolve_for(c, name)

        def reverse(addr: int) -> str | None:
            return self.reverse_for(c, addr)

        # names Docker does not own go to the host's resolvers (asked from the container's namespace)
        c.dns = EmbeddedResolver(ns, lookup, reverse, [ip("10.0.0.2")], host_ns=self.host.root_ns).start()

    def resolve_for(self, c: Container, name: str) -> list[int] | None:
        """Service discovery on the container's user-defined networks (libnetwork sandbox.ResolveName):
        the networks are asked in turn and the first that knows the name answers with all its records."""
        name = name.rstrip(".").lower()
        for ep in c.endpoints:
            net = ep.network
            if not user_defined(net.name) or net.name == "docker_gwbridge" or net.ingress:
                continue
            if self.swarm is not None:
                got = self.swarm.resolve(self, net, name)
                if got:
                    return got
            out: list[int] = []
            for other in net.endpoints.values():
                owner = self._endpoint_container(other)
                if owner is None or not owner.running or other.addr in out:
                    continue
                names = [owner.name, *(other.aliases or [owner.short_id])]
                if name in (n.lower() for n in names):
                    out.append(other.addr)
            if out:
                return out
        return None

    def reverse_for(self, c: Container, addr: int) -> str | None:
        if self.swarm is not None:
            for ep in c.endpoints:
                name = self.swarm.reverse(ep.network, addr)
                if name is not None:
                    return name
        for ep in c.endpoints:
            for other in ep.network.endpoints.values():
                if other.addr == addr:
                    owner = self._endpoint_container(other)
                    if owner is not None:
                        return f"{owner.name}.{ep.network.name}"
        return None

    def _endpoint_container(self, ep: Endpoint) -> Container | None:
        return self.containers.get(ep.sandbox_key)

    def publish_port(self, c: Container, host_port: int, cport: int, proto: str) -> None:
        """Record a port binding (HostConfig.PortBindings); it is programmed when the container starts."""
        if self._publish_endpoint(c) is not None:
            c.ports.append((host_port, cport, proto))

    @staticmethod
    def _publish_endpoint(c: Container) -> Endpoint | None:
        return next((e for e in c.endpoints if e.network.driver == "bridge"), None)

    @staticmethod
    def _port_rules(br: str, cip: str, host_port: int, cport: int, proto: str) -> list[tuple[str, str, list[str]]]:
        """What libnetwork's portmapper forward() programs for one binding: (table, chain, rule)."""
        return [
            ("nat", "POSTROUTING", ["-s", f"{cip}/32", "-d", f"{cip}/32", "-p", proto, "-m", proto, "--dport",
                                    str(cport), "-j", "MASQUERADE"]),
            ("nat", "DOCKER", ["!", "-i", br, "-p", proto, "-m", proto, "--dport", str(host_port), "-j", "DNAT",
                               "--to-destination", f"{cip}:{cport}"]),
            ("filter", "DOCKER", ["-d", f"{cip}/32", "!", "-i", br, "-o", br, "-p", proto, "-m", proto, "--dport",
                                  str(cport), "-j", "ACCEPT"]),
        ]

    def _map_ports(self, c: Container) -> None:
        """At start: the nat/filter rules, then a docker-proxy per binding (its failure undoes the binding)."""
        from tui.engine.docker.proxy import ProxyError, UserlandProxy

        ep = self._publish_endpoint(c)
        if ep is None or not c.ports:
            return
        br = ep.network.bridge.name  # type: ignore[union-attr]
        cip = ip_str(ep.addr)
        for host_port, cport, proto in c.ports:
            if any(p.host_port == host_port and p.proto == proto for o in self.containers.values()
                   for p, _r in o.mapped):  # the port allocator
                self._unmap_ports(c)
                err = daemon_error(f"driver failed programming external connectivity on endpoint {c.name} "
                                   f"({ep.id}): Bind for 0.0.0.0:{host_port} failed: port is already allocated", 125)
                err.at_start = True
                raise err
            rules = self._port_rules(br, cip, host_port, cport, proto)
            for table, chain, rule in rules:
                self.ipt("-t", table, "-A", chain, *rule)
            proxy = UserlandProxy(self.host.root_ns, proto, 0, host_port, ep.addr, cport)
            try:
                proxy.start()
            except ProxyError as e:
                for table, chain, rule in rules:
                    self.nf.execute(["-t", table, "-D", chain, *rule])
                self._unmap_ports(c)
                err = daemon_error(f"driver failed programming external connectivity on endpoint {c.name} "
                                   f"({ep.id}): Error starting userland proxy: {e}", 125)
                err.at_start = True
                raise err from None
            c.mapped.append((proxy, rules))

    def _unmap_ports(self, c: Container) -> None:
        """At stop: stop each proxy (SIGINT), then delete exactly the rules it came with."""
        while c.mapped:
            proxy, rules = c.mapped.pop()
            proxy.stop()
            for table, chain, rule in rules:  # a rule already gone is only logged (portmapper Unmap)
                self.nf.execute(["-t", table, "-D", chain, *rule])

    def start(self, c: Container) -> None:
        if c.running:
            return
        self._check_aliases(c)
        self._map_ports(c)
        c.state = "running"
        c.started_ns = self.clock.wall_ns
        if c.image.app:
            self._start_app(c)
            return
        runner = Daemon.runner
        if runner is None:
            return
        proc = runner(self, c, c.cmd)
        c.process = proc
        if proc is not None:
            proc.exited.add_callback(lambda status, c=c: self._main_exited(c, status))

    def _start_app(self, c: Container) -> None:
        try:
            from tui.engine.apps import http
        except ImportError:
            return
        factory = {"nginx": getattr(http, "nginx_server", None), "whoami": getattr(http, "whoami_server", None)}.get(
            c.image.app)
        if factory is not None:
            c.app = factory(c.sandbox.netns, c.hostname)  # type: ignore[attr-defined,union-attr]

    def _main_exited(self, c: Container, status: int | None) -> None:
        if c.state != "running":
            return
        self._unmap_ports(c)
        c.state = "exited"
        c.exit_code = int(status or 0)
        c.finished_ns = self.clock.wall_ns
        if c.auto_remove:
            self.clock.call_later(10 * MS, self.remove, c, True)
        if self.swarm is not None:
            self.swarm.container_exited(self, c)

    def stop(self, c: Container, timeout: int = 10 * SEC) -> None:
        if not c.running:
            return
        from tui.engine.process import SIGKILL, SIGTERM

        if c.process is not None and not c.process.done:
            c.process.signal(SIGTERM)
            if not c.process.done:
                c.process.signal(SIGKILL)
        app = c.app
        if app is not None:
            (getattr(app, "stop", None) or getattr(app, "close", lambda: None))()
            c.app = None
        self._unmap_ports(c)
        c.state = "exited"
        c.exit_code = 137 if c.process is None or (c.process.status or 0) >= 128 else int(c.process.status or 0)
        if c.process is not None and c.process.status == 128 + SIGTERM:
            c.exit_code = 143
        c.finished_ns = self.clock.wall_ns

    def remove(self, c: Container, force: bool = False) -> None:
        if c.running:
            if not force:
                raise daemon_error(f"You cannot remove a running container {c.id}. Stop the container before "
                                   "attempting removal or force remove")
            self.stop(c)
        for ep in list(c.endpoints):
            self.disconnect(c, ep)
        self._unmap_ports(c)
        self.containers.pop(c.id, None)
        if self._by_name.get(c.name) is c:
            del self._by_name[c.name]
        self.host.docker_netns.pop(c.sandbox_id[:12], None)

    def shutdown(self) -> None:
        """`systemctl stop docker`: every container stops (the node misses its heartbeats)."""
        self.running = False
        for c in list(self.containers.values()):
            if c.running:
                self.stop(c)

    def images_list(self) -> list[Image]:
        return [CATALOG[k] for k in self.images]
