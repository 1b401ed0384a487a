"""`ip` (iproute2 on hosts, the busybox applet in containers) and `bridge`.

Parsing follows iproute2's: objects and commands may be abbreviated, and
errors are the ones iproute2 6.1 prints for the same mistakes.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from tui.engine.links import Bridge, Dummy, IfAddr, Link, Veth, Vxlan
from tui.engine.neigh import PERMANENT
from tui.engine.netns import Namespace
from tui.engine.route import LOCAL, MAIN, Route, prefix_mask
from tui.shell.formats import iproute as fmt
from tui.shell.registry import Ctx, command


class IpError(Exception):
    def __init__(self, msg: str, status: int = 1) -> None:
        super().__init__(msg)
        self.msg = msg
        self.status = status


def parse_ip(s: str) -> int | None:
    parts = s.split(".")
    if len(parts) != 4:
        return None
    try:
        vals = [int(p) for p in parts]
    except ValueError:
        return None
    if any(v < 0 or v > 255 for v in vals):
        return None
    return vals[0] << 24 | vals[1] << 16 | vals[2] << 8 | vals[3]


def parse_prefix(s: str, default_plen: int = 32) -> tuple[int, int]:
    addr, _, plen = s.partition("/")
    a = parse_ip(addr)
    if a is None or (plen and (not plen.isdigit() or int(plen) > 32)):
        raise IpError(f'Error: any valid prefix is expected rather than "{s}".')
    return a, int(plen) if plen else default_plen


def parse_mac(s: str) -> bytes | None:
    parts = s.split(":")
    if len(parts) != 6:
        return None
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        return None


def matches(word: str, full: str, minlen: int = 1) -> bool:
    return len(word) >= minlen and full.startswith(word)


def rand_mac(ns: Namespace) -> bytes:
    rng = ns.host.lab.rng
    b = bytearray(rng.getrandbits(8) for _ in range(6))
    b[0] = (b[0] & 0xFE) | 0x02
    return bytes(b)


def get_link(ns: Namespace, name: str, msg: str = 'Cannot find device "{}"') -> Link:
    link = ns.links.get(name)
    if link is None:
        raise IpError(msg.format(name), 1)
    return link


def resolve_netns(ctx: Ctx, name: str) -> Namespace | None:
    host = ctx.sandbox.host
    ns = host.netns_by_name.get(name)
    if ns is None and name.isdigit():
        return None
    return ns


@command("ip", summary="show / manipulate routing, network devices, interfaces and tunnels")
def ip_cmd(ctx: Ctx) -> Any:
    args = ctx.argv[1:]
    busybox = ctx.sandbox.tools == "busybox"
    opts: dict[str, Any] = {"details": False, "stats": False, "family": None, "brief": False}
    ns = ctx.sandbox.netns
    while args and args[0].startswith("-") and len(args[0]) > 1:
        o = args.pop(0).lstrip("-")
        if o in ("d", "details", "de", "det"):
            opts["details"] = True
        elif o in ("s", "stats", "statistics"):
            opts["stats"] = True
        elif o == "4":
            opts["family"] = "inet"
        elif o == "6":
            opts["family"] = "inet6"
        elif o in ("br", "brief"):
            opts["brief"] = True
        elif o in ("n", "netns") and not busybox:
            if not args:
                ctx.err('Option "-netns" requires an argument\n' if False else "No netns name specified\n")
                return 255
            target = resolve_netns(ctx, args.pop(0))
            if target is None:
                ctx.err(f'Cannot open network namespace "{ctx.argv[ctx.argv.index(o if False else "-n") + 1] if "-n" in ctx.argv else ""}": No such file or directory\n')
                return 255
            ns = target
        elif o in ("o", "oneline", "c", "color", "color=never", "h", "human"):
            continue
        else:
            ctx.err(f'Option "-{o}" is unknown, try "ip -help".\n')
            return 255
    if not args:
        ctx.err(usage_ip(busybox))
        return 255 if not busybox else 1
    obj, rest = args[0], args[1:]
    if _modifies(obj, rest) and getattr(ctx.sandbox, "container", None) is not None:
        # Docker drops CAP_NET_ADMIN: a container can look at its network but not change it
        prefix = "ip: " if busybox else ""
        ctx.err(f"{prefix}RTNETLINK answers: Operation not permitted\n")
        return 2 if not busybox else 1
    try:
        if matches(obj, "address") or obj == "a":
            return ip_addr(ctx, ns, rest, opts, busybox)
        if matches(obj, "link"):
            return ip_link(ctx, ns, rest, opts, busybox)
        if matches(obj, "route") or obj == "r":
            return ip_route(ctx, ns, rest, opts, busybox)
        if matches(obj, "neighbor") or matches(obj, "neighbour") or obj == "n":
            return ip_neigh(ctx, ns, rest, opts, busybox)
        if matches(obj, "netns", 2) and not busybox:
            return (yield from ip_netns(ctx, rest))
        if matches(obj, "xfrm", 1) and not busybox:
            return ip_xfrm(ctx, ns, rest, opts)
        if obj == "help":
            ctx.err(usage_ip(busybox))
            return 255
    except IpError as e:
        ctx.err(e.msg + "\n")
        return e.status
    if busybox:
        ctx.err(f"ip: unknown command or object '{obj}'\n" if False else f"ip: invalid argument '{obj}' to 'ip'\n")
        return 1
    ctx.err(f'Object "{obj}" is unknown, try "ip help".\n')
    return 1


MODIFYING = {"add", "del", "delete", "set", "flush", "replace", "change", "append"}


def _modifies(obj: str, rest: list[str]) -> bool:
    return bool(rest) and rest[0] in MODIFYING and obj not in ("netns",)


def usage_ip(busybox: bool) -> str:
    if busybox:
        return ("BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\n"
                "Usage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]\n\n"
                "OPTIONS := -f[amily] inet|inet6|link | -o[neline]\n")
    return ("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n"
            "       ip [ -force ] -batch filename\n"
            "where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp | link |\n"
            "                   macsec | maddress | monitor | mptcp | mroute | mrule |\n"
            "                   neighbor | neighbour | netconf | netconf | netns | nexthop | ntable |\n"
            "                   ntbl | route | rule | sr | tap | tcpmetrics |\n"
            "                   token | tunnel | tuntap | vrf | xfrm }\n"
            "       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |\n"
            "                    -h[uman-readable] | -iec | -j[son] | -p[retty] |\n"
            "                    -f[amily] { inet | inet6 | mpls | bridge | link } |\n"
            "                    -4 | -6 | -M | -B | -0 |\n"
            "                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |\n"
            "                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |\n"
            "                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |\n"
            "                    -c[olor]}\n")


def _links_sorted(ns: Namespace) -> list[Link]:
    return sorted(ns.links.values(), key=lambda l_: l_.ifindex)


def _select_links(ns: Namespace, rest: list[str]) -> list[Link]:
    if rest and rest[0] in ("show", "list", "lst", "sh", "ls", "s", "l"):
        rest = rest[1:]
    name = None
    master = None
    kind = None
    up = False
    while rest:
        w = rest.pop(0)
        if w == "dev":
            if not rest:
                raise IpError('Command line is not complete. Try option "help"', 255)
            name = rest.pop(0)
        elif w == "master":
            if not rest:
                raise IpError('Command line is not complete. Try option "help"', 255)
            master = rest.pop(0)
            if master not in ns.links:
                raise IpError(f'Error: argument "{master}" is wrong: Device does not exist\n', 255)
        elif w == "up":
            up = True
        elif w == "type":
            if not rest:
                raise IpError('Command line is not complete. Try option "help"', 255)
            kind = rest.pop(0)
        else:
            name = w
    if name is not None:
        link = ns.links.get(name)
        if link is None:
            raise IpError(f'Device "{name}" does not exist.', 1)
        links = [link]
    else:
        links = _links_sorted(ns)
    if master is not None:
        links = [lk for lk in links if lk.master is not None and lk.master.name == master]
    if up:
        links = [lk for lk in links if lk.admin_up]
    if kind is not None:
        # match_link_kind: IFLA_INFO_KIND, or for "<kind>_slave" the master's kind (IFLA_INFO_SLAVE_KIND)
        if kind.endswith("_slave"):
            links = [lk for lk in links if lk.master is not None and lk.master.kind == kind[:-6]]
        else:
            links = [lk for lk in links if lk.kind == kind]
    return links


def ip_addr(ctx: Ctx, ns: Namespace, rest: list[str], opts: dict[str, Any], busybox: bool) -> int:
    cmd = rest[0] if rest else "show"
    if cmd in ("add", "replace", "change", "del", "delete"):
        return addr_change(ctx, ns, cmd, rest[1:])
    if cmd == "flush":
        rest = rest[1:]
        if rest and rest[0] == "dev":
            rest = rest[1:]
        if not rest:
            raise IpError('Flush requires arguments.', 1)
        link = get_link(ns, rest[0], 'Device "{}" does not exist.')
        for a in list(link.addrs):
            ns.del_addr(link, a.addr, a.plen)
        return 0
    if cmd not in ("show", "list", "lst", "sh", "ls", "s", "l") and not (rest and (cmd in ns.links or cmd == "dev")):
        if busybox:
            ctx.err(f"ip: invalid argument '{cmd}' to 'ip'\n")
            return 1
        raise IpError(f'Command "{cmd}" is unknown, try "ip address help".', 255)
    links = _select_links(ns, list(rest))
    if busybox:
        out = []
        for link in links:
            out.extend(fmt.busybox_link_lines(ns, link, addrs=True))
    elif opts["brief"]:
        out = fmt.iproute_brief(ns, links, addrs=True)
    else:
        out = fmt.iproute_show_links(ns, links, addrs=True, details=opts["details"], family=opts["family"])
    if out:
        ctx.out("\n".join(out) + "\n")
    return 0


def addr_change(ctx: Ctx, ns: Namespace, cmd: str, args: list[str]) -> int:
    prefix = None
    dev = None
    brd: int | None = None
    brd_plus = False
    scope = "global"
    label = ""
    while args:
        w = args.pop(0)
        if w == "dev":
            dev = args.pop(0) if args else None
        elif w in ("brd", "broadcast"):
            v = args.pop(0) if args else ""
            if v in ("+", "-"):
                brd_plus = v == "+"
            else:
                brd = parse_ip(v)
                if brd is None:
                    raise IpError(f'Error: inet address is expected rather than "{v}".', 1)
        elif w == "scope":
            scope = args.pop(0) if args else "global"
        elif w == "label":
            label = args.pop(0) if args else ""
        elif w == "local":
            prefix = args.pop(0) if args else None
        else:
            prefix = w
    if dev is None:
        raise IpError('Not enough information: "dev" argument is required.', 1)
    link = get_link(ns, dev)
    if prefix is None:
        raise IpError("RTNETLINK answers: Operation not supported", 2)
    a, plen = parse_prefix(prefix)
    if cmd.startswith("del"):
        if not ns.del_addr(link, a, plen if "/" in prefix else next((x.plen for x in link.addrs if x.addr == a), 32)):
            raise IpError("Error: ipv4: Address not found.", 2)
        return 0
    if brd_plus:
        brd = a | (0xFFFFFFFF >> plen) if plen < 31 else None
    if not ns.add_addr(link, IfAddr(a, plen, brd=brd, scope=scope, label=label)):
        if cmd == "replace":
            return 0
        raise IpError("Error: ipv4: Address already assigned.", 2)
    return 0


def ip_link(ctx: Ctx, ns: Namespace, rest: list[str], opts: dict[str, Any], busybox: bool) -> int:
    cmd = rest[0] if rest else "show"
    if cmd == "add":
        return link_add(ctx, ns, rest[1:])
    if cmd in ("del", "delete"):
        args = rest[1:]
        if args and args[0] == "dev":
            args = args[1:]
        if not args:
            raise IpError('Not enough information: "dev" argument is required.', 1)
        link = get_link(ns, args[0])
        link_delete(ns, link)
        return 0
    if cmd == "set":
        return link_set(ctx, ns, rest[1:])
    if cmd not in ("show", "list", "lst", "sh", "ls", "s", "l") and cmd not in ns.links and cmd != "dev":
        if busybox:
            ctx.err(f"ip: invalid argument '{cmd}' to 'ip'\n")
            return 1
        raise IpError(f'Command "{cmd}" is unknown, try "ip link help".', 255)
    links = _select_links(ns, list(rest))
    if busybox:
        out = []
        for link in links:
            out.extend(fmt.busybox_link_lines(ns, link, addrs=False))
    elif opts["brief"]:
        out = fmt.iproute_brief(ns, links, addrs=False)
    else:
        out = fmt.iproute_show_links(ns, links, addrs=False, details=opts["details"], stats=opts["stats"])
    if out:
        ctx.out("\n".join(out) + "\n")
    return 0


def link_delete(ns: Namespace, link: Link) -> None:
    if isinstance(link, Bridge):
        for p in list(link.ports):
            link.remove_port(p)
    if link.master is not None:
        link.master.remove_port(link)
    ns.set_down(link)
    ns.remove_link(link)
    if isinstance(link, Veth) and link.peer is not None:
        peer = link.peer
        peer.ns.set_down(peer)
        if peer.master is not None:
            peer.master.remove_port(peer)
        peer.ns.remove_link(peer)
        peer.peer = None
        link.peer = None


def link_add(ctx: Ctx, ns: Namespace, args: list[str]) -> int:
    name = None
    kind = None
    mtu = None
    mac = None
    kind_args: list[str] = []
    while args:
        w = args.pop(0)
        if w == "name":
            name = args.pop(0) if args else None
        elif w == "type":
            kind = args.pop(0) if args else None
            kind_args = args
            args = []
        elif w == "mtu":
            mtu = int(args.pop(0)) if args and args[0].isdigit() else None
        elif w in ("address", "addr"):
            mac = parse_mac(args.pop(0) if args else "")
        elif name is None:
            name = w
    if kind is None:
        raise IpError("Not enough information: \"type\" argument is required", 1) if name else IpError(
            'Not enough information: "dev" argument is required.', 1)
    if name is None:
        name = {"veth": "veth", "bridge": "bridge", "vxlan": "vxlan", "dummy": "dummy"}.get(kind, kind)
        i = 0
        while f"{name}{i}" in ns.links:
            i += 1
        name = f"{name}{i}"
    if name in ns.links:
        raise IpError("RTNETLINK answers: File exists", 2)
    if len(name) > 15:
        raise IpError(f'Error: argument "{name}" is wrong: "name" not a valid ifname', 1)
    if kind == "veth":
        peer_name = None
        peer_ns = ns
        while kind_args:
            w = kind_args.pop(0)
            if w == "peer":
                continue
            if w == "name":
                peer_name = kind_args.pop(0) if kind_args else None
            elif w == "netns":
                target = kind_args.pop(0) if kind_args else ""
                t = ctx.sandbox.host.netns_by_name.get(target)
                if t is None:
                    raise IpError(f'Error: argument "{target}" is wrong: Invalid "netns" value\n', 255)
                peer_ns = t
            elif peer_name is None:
                peer_name = w
        if peer_name is None:
            i = 0
            while f"veth{i}" in ns.links or f"veth{i}" == name:
                i += 1
            peer_name = f"veth{i}"
        if peer_name in peer_ns.links:
            raise IpError("RTNETLINK answers: File exists", 2)
        # the kernel registers the peer first, so it takes the lower ifindex
        peer = Veth(peer_ns, peer_name, rand_mac(ns), mtu or 1500)
        peer_ns.add_link(peer, ns.alloc_ifindex() if peer_ns is ns else 0)
        dev = Veth(ns, name, mac or rand_mac(ns), mtu or 1500)
        ns.add_link(dev)
        dev.peer, peer.peer = peer, dev
        for x in (dev, peer):
            x.qdisc = "noop"
        if peer_ns is not ns:
            fmt.ns_id(ns, peer_ns)
            fmt.ns_id(peer_ns, ns)
        return 0
    if kind == "bridge":
        br = Bridge(ns, name, mac or rand_mac(ns))
        while kind_args:
            w = kind_args.pop(0)
            v = kind_args.pop(0) if kind_args else ""
            if w == "mcast_snooping" and v in ("0", "1"):
                br.mcast_snooping = v == "1"
            elif w == "ageing_time" and v.isdigit():
                br.ageing_time = int(v) * 10_000_000
            elif w not in ("stp_state", "forward_delay", "hello_time", "max_age", "priority", "vlan_filtering"):
                raise IpError(f'bridge: unknown command "{w}"?', 255)
        br.qdisc = "noop"
        if mac:
            br.mac_set = True
        ns.add_link(br)
        return 0
    if kind == "dummy":
        d = Dummy(ns, name, mac or rand_mac(ns))
        d.qdisc = "noop"
        ns.add_link(d)
        return 0
    if kind == "vxlan":
        return vxlan_add(ctx, ns, name, kind_args, mtu, mac)
    raise IpError("Error: Unknown device type." if False else "Error: Unknown device type.", 2)


def vxlan_add(ctx: Ctx, ns: Namespace, name: str, a: list[str], mtu: int | None, mac: bytes | None) -> int:
    vni = None
    dstport = None
    remote = local = None
    dev = ""
    learning = True
    proxy = l2miss = l3miss = False
    ttl = 0
    while a:
        w = a.pop(0)
        if w in ("id", "vni"):
            v = a.pop(0) if a else ""
            if not v.isdigit() or int(v) >= 1 << 24:
                raise IpError(f'Error: argument "{v}" is wrong: id', 1)
            vni = int(v)
        elif w == "dstport":
            v = a.pop(0) if a else ""
            if not v.isdigit() or int(v) > 65535:
                raise IpError(f'Error: argument "{v}" is wrong: dstport', 1)
            dstport = int(v)
        elif w in ("remote", "group"):
            v = a.pop(0) if a else ""
            remote = parse_ip(v)
            if remote is None:
                raise IpError(f'Error: inet address is expected rather than "{v}".', 1)
        elif w == "local":
            v = a.pop(0) if a else ""
            local = parse_ip(v)
            if local is None:
                raise IpError(f'Error: inet address is expected rather than "{v}".', 1)
        elif w == "dev":
            dev = a.pop(0) if a else ""
            if dev not in ns.links:
                raise IpError(f'Error: argument "{dev}" is wrong: Device does not exist\n', 255)
        elif w == "nolearning":
            learning = False
        elif w == "learning":
            learning = True
        elif w == "proxy":
            proxy = True
        elif w == "l2miss":
            l2miss = True
        elif w == "l3miss":
            l3miss = True
        elif w == "ttl":
            v = a.pop(0) if a else "0"
            ttl = 0 if v in ("auto", "inherit") else int(v) if v.isdigit() else 0
        elif w in ("srcport", "port"):
            a[:2] = []
        elif w in ("udpcsum", "noudpcsum", "udp6zerocsumtx", "udp6zerocsumrx"):
            continue
    if vni is None:
        raise IpError("vxlan: missing virtual network identifier", 255)
    if dstport is None:
        ctx.err("vxlan: destination port not specified\nWill use Linux kernel default (non-standard value)\n"
                "Use 'dstport 4789' to get the IANA assigned value\nUse 'dstport 0' to get default and quiet this message\n")
        dstport = 8472
    elif dstport == 0:
        dstport = 8472
    for other in ns.links.values():
        if isinstance(other, Vxlan) and other.vni == vni and other.dstport == dstport:
            raise IpError("RTNETLINK answers: File exists", 2)
    vx = Vxlan(ns, name, mac or rand_mac(ns), vni, dstport, remote, local, dev, learning, proxy, l2miss, l3miss, ttl)
    vx.qdisc = "noop"
    if dev:
        vx.mtu = ns.links[dev].mtu - 50
    if mtu:
        vx.mtu = mtu
    ns.add_link(vx)
    return 0


def link_set(ctx: Ctx, ns: Namespace, args: list[str]) -> int:
    if args and args[0] == "dev":
        args = args[1:]
    if not args:
        raise IpError('Not enough of information: "dev" argument is required.', 1)
    name = args.pop(0)
    link = get_link(ns, name)
    while args:
        w = args.pop(0)
        if w == "up":
            ns.set_up(link)
            if link.qdisc == "noop":
                link.qdisc = "noqueue"
            if isinstance(link, Veth) and link.peer is not None:
                link.port_added_at = ns.clock.now
        elif w == "down":
            ns.set_down(link)
        elif w == "master":
            v = args.pop(0) if args else ""
            br = ns.links.get(v)
            if not isinstance(br, Bridge):
                raise IpError(f'Error: argument "{v}" is wrong: Device does not exist\n', 255)
            if link.master is not None:
                link.master.remove_port(link)
            br.add_port(link)
        elif w == "nomaster":
            if link.master is not None:
                link.master.remove_port(link)
        elif w == "mtu":
            v = args.pop(0) if args else ""
            if not v.isdigit():
                raise IpError(f'Error: argument "{v}" is wrong: Invalid "mtu" value\n', 255)
            m = int(v)
            if m > link.max_mtu and link.max_mtu:
                raise IpError("Error: mtu greater than device maximum.", 2)
            if m < link.min_mtu:
                raise IpError("Error: mtu less than device minimum.", 2)
            ns.set_mtu(link, m)
            if isinstance(link, Bridge):
                link.mtu_set = True
        elif w in ("netns",):
            v = args.pop(0) if args else ""
            target = ctx.sandbox.host.netns_by_name.get(v)
            if target is None:
                raise IpError(f'Error: argument "{v}" is wrong: Invalid "netns" value\n', 255)
            if link.name in target.links:
                raise IpError("RTNETLINK answers: File exists", 2)
            ns.move_link(link, target)
            if isinstance(link, Veth) and link.peer is not None:
                fmt.ns_id(target, link.peer.ns)
                fmt.ns_id(link.peer.ns, target)
        elif w == "name":
            v = args.pop(0) if args else ""
            if v in ns.links:
                raise IpError("RTNETLINK answers: File exists", 2)
            if link.admin_up:
                raise IpError("RTNETLINK answers: Device or resource busy", 2)
            ns.rename_link(link, v)
        elif w in ("address", "addr"):
            m = parse_mac(args.pop(0) if args else "")
            if m is None:
                raise IpError('"address" is invalid lladdr.', 1)
            link.mac = m
            if isinstance(link, Bridge):
                link.mac_set = True
        elif w in ("promisc", "multicast", "arp", "allmulticast"):
            args.pop(0) if args else None
        elif w in ("txqueuelen", "qlen", "txqlen"):
            v = args.pop(0) if args else "0"
            link.txqlen = int(v) if v.isdigit() else link.txqlen
        else:
            raise IpError(f'Error: either "dev" is duplicate, or "{w}" is a garbage.', 1)
    return 0


def ip_route(ctx: Ctx, ns: Namespace, rest: list[str], opts: dict[str, Any], busybox: bool) -> int:
    cmd = rest[0] if rest else "show"
    if cmd in ("add", "append", "replace", "change", "del", "delete"):
        return route_change(ns, cmd, rest[1:])
    if cmd == "get":
        return route_get(ctx, ns, rest[1:])
    if cmd == "flush":
        return 0
    if cmd not in ("show", "list", "lst", "sh", "ls", "s", "l"):
        if busybox:
            ctx.err(f"ip: invalid argument '{cmd}' to 'ip'\n")
            return 1
        raise IpError(f'Command "{cmd}" is unknown, try "ip route help".', 255)
    args = rest[1:]
    table = MAIN
    dev = None
    while args:
        w = args.pop(0)
        if w == "table":
            v = args.pop(0) if args else "main"
            table = {"main": MAIN, "local": LOCAL, "all": 0}.get(v, int(v) if v.isdigit() else MAIN)
        elif w == "dev":
            dev = args.pop(0) if args else None
    if table == 0:
        routes = ns.routes.routes(MAIN) + ns.routes.routes(LOCAL)
    else:
        routes = ns.routes.routes(table)
    if table == LOCAL:
        routes = sorted(routes, key=lambda r: (r.dev != "lo", r.dst, r.type != "local"))
    lines = [fmt.route_line(ns, r, busybox=busybox, show_table=table == 0) for r in routes if dev is None or r.dev == dev]
    if lines:
        ctx.out("\n".join(lines) + "\n")
    return 0


def route_change(ns: Namespace, cmd: str, args: list[str]) -> int:
    if not args:
        raise IpError("Error: --help", 255)
    r = Route(0, 0, proto="boot")
    dst_set = False
    while args:
        w = args.pop(0)
        if w == "via":
            v = args.pop(0) if args else ""
            g = parse_ip(v)
            if g is None:
                raise IpError(f'Error: inet address is expected rather than "{v}".', 1)
            r.via = g
        elif w == "dev":
            r.dev = args.pop(0) if args else ""
        elif w == "src":
            r.src = parse_ip(args.pop(0) if args else "")
        elif w == "metric":
            v = args.pop(0) if args else "0"
            r.metric = int(v) if v.isdigit() else 0
        elif w == "proto":
            r.proto = args.pop(0) if args else "boot"
        elif w == "scope":
            r.scope = args.pop(0) if args else "global"
        elif w == "table":
            v = args.pop(0) if args else "main"
            r.table = {"main": MAIN, "local": LOCAL}.get(v, int(v) if v.isdigit() else MAIN)
        elif w == "onlink":
            r.onlink = True
        elif w in ("unreachable", "blackhole", "prohibit"):
            r.type = w
        elif w == "mtu":
            r.mtu = int(args.pop(0)) if args and args[0].isdigit() else 0
        elif not dst_set:
            dst_set = True
            if w == "default":
                r.dst, r.plen = 0, 0
            else:
                r.dst, r.plen = parse_prefix(w)
                if r.dst & ~prefix_mask(r.plen) & 0xFFFFFFFF:
                    raise IpError("Error: Invalid prefix for given prefix length.", 2)
        else:
            raise IpError(f'Error: either "to" is duplicate, or "{w}" is a garbage.', 1)
    if cmd.startswith("del"):
        removed = ns.routes.remove(lambda x: x.dst == r.dst and x.plen == r.plen and x.table == r.table and (
            not r.dev or x.dev == r.dev) and (r.via is None or x.via == r.via) and x.type != "local")
        if not removed:
            raise IpError("RTNETLINK answers: No such process", 2)
        return 0
    if r.dev and r.dev not in ns.links:
        raise IpError(f'Cannot find device "{r.dev}"', 1)
    if r.via is not None:
        gw_route = ns.routes.lookup(r.via)
        link_ok = gw_route is not None and gw_route.via is None and (not r.dev or gw_route.dev == r.dev)
        if r.onlink and r.dev:
            link_ok = True
        if not link_ok or (gw_route is not None and ns.links.get(gw_route.dev) is not None and not ns.links[gw_route.dev].admin_up):
            raise IpError("Error: Nexthop has invalid gateway.", 2)
        if not r.dev:
            r.dev = gw_route.dev  # type: ignore[union-attr]
    elif not r.dev and r.type == "unicast":
        raise IpError("Error: Device for nexthop is not up." if False else "RTNETLINK answers: No such device", 2)
    if r.dev and not ns.links[r.dev].admin_up and r.type == "unicast":
        raise IpError("Error: Device for nexthop is not up.", 2)
    if r.scope == "global" and r.via is None and r.type == "unicast":
        r.scope = "link"
    if cmd == "replace":
        ns.routes.remove(lambda x: x.dst == r.dst and x.plen == r.plen and x.table == r.table and x.metric == r.metric)
    if not ns.routes.add(r):
        raise IpError("RTNETLINK answers: File exists", 2)
    return 0


def route_get(ctx: Ctx, ns: Namespace, args: list[str]) -> int:
    target = None
    for w in args:
        if w not in ("to",):
            target = w
            break
    if target is None:
        raise IpError('Command line is not complete. Try option "help"', 255)
    dst = parse_ip(target)
    if dst is None:
        raise IpError(f'Error: inet address is expected rather than "{target}".', 1)
    r = ns.routes.lookup(dst)
    if r is None:
        raise IpError("RTNETLINK answers: Network is unreachable", 2)
    src = ns.source_for(dst)
    if r.type == "local":
        ctx.out(f"local {fmt.ip_str(dst)} dev lo table local src {fmt.ip_str(dst)} uid 0 \n    cache <local> \n")
        return 0
    s = f"{fmt.ip_str(dst)} "
    if r.via is not None:
        s += f"via {fmt.ip_str(r.via)} "
    s += f"dev {r.dev} "
    if src is not None:
        s += f"src {fmt.ip_str(src)} "
    s += "uid 0 \n    cache \n"
    ctx.out(s)
    return 0


def ip_neigh(ctx: Ctx, ns: Namespace, rest: list[str], opts: dict[str, Any], busybox: bool) -> int:
    cmd = rest[0] if rest else "show"
    args = rest[1:]
    if cmd in ("add", "replace", "change", "del", "delete"):
        ip_addr_ = None
        dev = None
        lladdr = None
        state = PERMANENT
        while args:
            w = args.pop(0)
            if w == "dev":
                dev = args.pop(0) if args else None
            elif w in ("lladdr", "address"):
                lladdr = parse_mac(args.pop(0) if args else "")
            elif w == "nud":
                state = (args.pop(0) if args else "permanent").upper()
            elif w in ("to",):
                continue
            else:
                ip_addr_ = parse_ip(w)
        if dev is None:
            raise IpError("Device and destination are required arguments.", 255)
        link = get_link(ns, dev)
        if ip_addr_ is None:
            raise IpError("Device and destination are required arguments.", 255)
        if cmd.startswith("del"):
            if not ns.neigh.delete(link.name, ip_addr_):
                raise IpError("RTNETLINK answers: No such file or directory", 2)
            return 0
        if cmd == "add" and ns.neigh.get(link.name, ip_addr_) is not None:
            raise IpError("RTNETLINK answers: File exists", 2)
        ns.neigh.add_static(link.name, ip_addr_, lladdr, state)
        return 0
    if cmd == "flush":
        dev = args[1] if len(args) > 1 and args[0] == "dev" else (args[0] if args else None)
        if dev is None:
            raise IpError("Flush requires arguments.", 1)
        for n in list(ns.neigh.show(dev)):
            if n.state != PERMANENT:
                ns.neigh.delete(n.dev, n.ip)
        return 0
    if cmd not in ("show", "list", "lst", "sh", "ls", "s", "l"):
        if busybox:
            ctx.err(f"ip: invalid argument '{cmd}' to 'ip'\n")
            return 1
        raise IpError(f'Command "{cmd}" is unknown, try "ip neigh help".', 255)
    dev = None
    while args:
        w = args.pop(0)
        if w == "dev":
            dev = args.pop(0) if args else None
            if dev is not None:
                get_link(ns, dev, 'Cannot find device "{}"')
    entries = [n for n in ns.neigh.show(dev) if n.state not in ("NOARP",) and not (n.state == "INCOMPLETE" and False)]
    lines = [fmt.neigh_line(ns, n, with_dev=dev is None) for n in reversed(entries)]
    if lines:
        ctx.out("\n".join(lines) + "\n")
    return 0


def ip_netns(ctx: Ctx, rest: list[str]) -> Generator[Any, Any, int]:
    host = ctx.sandbox.host
    cmd = rest[0] if rest else "list"
    args = rest[1:]
    if cmd in ("list", "show", "ls"):
        if host.netns_by_name:
            lines = []
            for name, n in reversed(list(host.netns_by_name.items())):
                ids = host.root_ns.netnsids
                lines.append(f"{name} (id: {ids[id(n)]})" if id(n) in ids else name)
            ctx.out("\n".join(lines) + "\n")
        return 0
    if cmd == "add":
        if not args:
            ctx.err("No netns name specified\n")
            return 1
        name = args[0]
        if name in host.netns_by_name:
            ctx.err(f'Cannot create namespace file "/run/netns/{name}": File exists\n')
            return 1
        new = Namespace(host, name)
        host.netns_by_name[name] = new
        return 0
    if cmd in ("del", "delete"):
        if not args:
            ctx.err("No netns name specified\n")
            return 1
        name = args[0]
        n = host.netns_by_name.pop(name, None)
        if n is None:
            ctx.err(f'Cannot remove namespace file "/run/netns/{name}": No such file or directory\n')
            return 1
        for link in list(n.links.values()):
            if isinstance(link, Veth):
                link_delete(n, link)
        return 0
    if cmd == "exec":
        if not args:
            ctx.err("No netns name specified\n")
            return 255
        name = args[0]
        target = host.netns_by_name.get(name)
        if target is None:
            ctx.err(f'Cannot open network namespace "{name}": No such file or directory\n')
            return 255
        if len(args) < 2:
            ctx.err("No command specified\n")
            return 255
        sandbox = netns_sandbox(ctx.sandbox, target)
        argv = args[1:]

        def not_found(_: str) -> int:
            ctx.err(f'exec of "{argv[0]}" failed: No such file or directory\n')
            return 255

        return (yield from ctx.shell.exec_argv(argv, sandbox=sandbox, ctx=ctx, on_not_found=not_found))
    if cmd == "identify":
        ns = ctx.sandbox.netns
        if ns.name:
            ctx.out(ns.name + "\n")
        return 0
    ctx.err(f'Command "{cmd}" is unknown, try "ip netns help".\n')
    return 255


def netns_sandbox(base: Any, ns: Namespace) -> Any:
    """A view of the same machine with another network namespace (what `ip netns exec` gives)."""
    from tui.engine.host import Sandbox

    cache = base.host.netns_sandboxes
    sb = cache.get(id(ns))
    if sb is None:
        sb = Sandbox.__new__(Sandbox)
        sb.host = base.host
        sb.netns = ns
        sb.fs = base.host.fs
        sb.hostname = base.host.hostname
        sb.tools = base.host.tools
        cache[id(ns)] = sb
    return sb


@command("bridge", tools={"gnu"}, summary="show / manipulate bridge addresses and devices")
def bridge_cmd(ctx: Ctx) -> int:
    args = ctx.argv[1:]
    ns = ctx.sandbox.netns
    if not args:
        ctx.err("Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }\n"
                "where  OBJECT := { link | fdb | mdb | vlan | vni | monitor }\n"
                "       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] |\n"
                "                    -o[neline] | -t[imestamp] | -n[etns] name |\n"
                "                    -c[ompressvlans] -color -p[retty] -j[son] }\n")
        return 255
    obj = args[0]
    rest = args[1:]
    if matches(obj, "fdb"):
        return bridge_fdb(ctx, ns, rest)
    if matches(obj, "link"):
        lines = []
        for link in sorted(ns.links.values(), key=lambda x: x.ifindex):
            if link.master is None:
                continue
            at, _, _ = fmt.peer_ref(ns, link)
            state = "forwarding" if link.admin_up and link.carrier else "disabled"
            lines.append(f"{link.ifindex}: {link.name}{at}: <{','.join(link.flags())}> mtu {link.mtu} master "
                         f"{link.master.name} state {state} priority 32 cost 2 ")
        if lines:
            ctx.out("\n".join(lines) + "\n")
        return 0
    ctx.err(f'Object "{obj}" is unknown, try "bridge help".\n')
    return 255


def bridge_fdb(ctx: Ctx, ns: Namespace, rest: list[str]) -> int:
    cmd = rest[0] if rest else "show"
    args = rest[1:]
    if cmd in ("add", "append", "del", "delete", "replace"):
        mac = parse_mac(args[0]) if args else None
        if mac is None:
            ctx.err(f'Invalid mac address {args[0] if args else ""}\n')
            return 255
        dev = dst = None
        i = 1
        while i < len(args):
            if args[i] == "dev" and i + 1 < len(args):
                dev = args[i + 1]
                i += 2
            elif args[i] == "dst" and i + 1 < len(args):
                dst = parse_ip(args[i + 1])
                i += 2
            else:
                i += 1
        if dev is None:
            ctx.err("Device is a required argument.\n")
            return 255
        link = ns.links.get(dev)
        if link is None:
            ctx.err(f'Cannot find device "{dev}"\n')
            return 1
        if not isinstance(link, Vxlan):
            ctx.err("RTNETLINK answers: Operation not supported\n")
            return 2
        from tui.engine.links import VxlanFdb

        if cmd.startswith("del"):
            if not link.fdb_del(mac, dst):
                ctx.err("RTNETLINK answers: No such file or directory\n")
                return 2
            return 0
        if dst is None:
            ctx.err("RTNETLINK answers: Invalid argument\n")
            return 2
        exists = list(link.vfdb.get(mac, []))
        if cmd == "add" and exists:
            ctx.err("RTNETLINK answers: File exists\n")
            return 2
        if cmd == "replace":
            link.fdb_del(mac)
        if any(e.dst == dst for e in exists):
            ctx.err("RTNETLINK answers: File exists\n")
            return 2
        link.fdb_add(VxlanFdb(mac, dst, permanent=True, updated=ns.clock.now))
        return 0
    if cmd not in ("show", "list", "ls", "s"):
        ctx.err(f'Command "{cmd}" is unknown, try "bridge fdb help".\n')
        return 255
    dev = br = None
    while args:
        w = args.pop(0)
        if w == "dev":
            dev = args.pop(0) if args else None
        elif w in ("br", "master"):
            br = args.pop(0) if args else None
    if dev is not None and dev not in ns.links:
        ctx.err(f'Cannot find device "{dev}"\n')
        return 1
    lines = []
    for link in sorted(ns.links.values(), key=lambda x: x.ifindex):
        if dev is not None and link.name != dev:
            continue
        if br is not None and (link.master is None or link.master.name != br) and link.name != br:
            continue
        lines.extend(_fdb_lines(ns, link, show_dev=dev is None))
    if lines:
        ctx.out("\n".join(lines) + "\n")
    return 0


def _fdb_lines(ns: Namespace, link: Link, show_dev: bool) -> list[str]:
    """Entries in the order the kernel dumps them: bridge entries of a port, the device's own, then multicast."""
    d = f"dev {link.name} " if show_dev else ""
    out: list[str] = []
    br = link.master
    if br is not None:
        now = ns.clock.now
        # the kernel keeps one list per bridge with the newest entry first
        for e in reversed(list(br.fdb.values())):
            if e.port is not link:
                continue
            if e.local:
                out.append(f"{fmt.mac_str(e.mac)} {d}master {br.name} permanent")
            elif now - e.updated <= br.ageing_time:
                out.append(f"{fmt.mac_str(e.mac)} {d}master {br.name} ")
    if isinstance(link, Vxlan):
        for e in reversed(link.fdb_for_display()):
            via = f"via {e.via} " if e.via else ""
            perm = "permanent" if e.permanent else ""
            out.append(f"{fmt.mac_str(e.mac)} {d}dst {fmt.ip_str(e.dst)} {via}self {perm}")
    elif link.arphrd != "loopback":
        if isinstance(link, Bridge):
            groups = ["33:33:00:00:00:01", "01:00:5e:00:00:6a", "33:33:00:00:00:6a", "01:00:5e:00:00:01"]
        else:
            groups = ["33:33:00:00:00:01", "01:00:5e:00:00:01"]
        out.extend(f"{g} {d}self permanent" for g in groups)
    return out


# --- ip xfrm ------------------------------------------------------------------------------------------

_XFRM_USAGE = "Usage: ip xfrm XFRM-OBJECT { COMMAND | help }\nwhere  XFRM-OBJECT := state | policy | monitor\n"
_XFRM_PROTOS = {"esp": 50, "ah": 51, "comp": 108, "route2": 43, "hao": 60, "ipsec-any": 255}
_UPSPEC_PROTOS = {"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "sctp": 132, "any": 0}


def _xfrm_invarg(what: str, arg: str) -> IpError:
    return IpError(f'Error: argument "{arg}" is wrong: {what}', 255)


def _xfrm_u32(arg: str, what: str) -> int:
    try:
        v = int(arg, 0)
    except ValueError:
        raise _xfrm_invarg(what, arg) from None
    if not 0 <= v <= 0xFFFFFFFF:
        raise _xfrm_invarg(what, arg)
    return v


def _xfrm_prefix(arg: str, what: str) -> tuple[int, int]:
    addr_s, slash, plen_s = arg.partition("/")
    addr = parse_ip(addr_s)
    if addr is None or slash and not (plen_s.isdigit() and int(plen_s) <= 32):
        raise IpError(f'Error: inet prefix is expected rather than "{arg}".', 1)
    return addr, int(plen_s) if slash else 32


def ip_xfrm(ctx: Ctx, ns: Namespace, rest: list[str], opts: dict[str, Any]) -> int:
    from tui.engine.esp import Xfrm

    if not rest:
        ctx.err(_XFRM_USAGE)
        return 255
    obj, args = rest[0], rest[1:]
    xfrm = Xfrm.of(ns)
    if matches(obj, "state") or matches(obj, "sa"):
        return _xfrm_state(ctx, xfrm, args, opts["stats"])
    if matches(obj, "policy"):
        return _xfrm_policy(ctx, xfrm, args, opts["stats"])
    ctx.err(_XFRM_USAGE)
    return 255


def _xfrm_state(ctx: Ctx, xfrm: Any, args: list[str], stats: bool) -> int:
    cmd = args[0] if args else "list"
    rest = args[1:]
    if matches(cmd, "list") or matches(cmd, "show") or matches(cmd, "lst"):
        want: dict[str, Any] = {}
        while rest:
            w = rest.pop(0)
            if not rest:
                raise IpError('Command line is not complete. Try option "help"', 255)
            v = rest.pop(0)
            if w in ("src", "dst"):
                want[w] = _xfrm_prefix(v, w)
            elif w == "proto":
                if v not in _XFRM_PROTOS:
                    raise _xfrm_invarg('"XFRM_PROTO" is invalid', v)
                want[w] = _XFRM_PROTOS[v]
            elif w == "spi":
                want[w] = _xfrm_u32(v, '"SPI" is invalid')
            elif w == "reqid":
                want[w] = _xfrm_u32(v, '"REQID" is invalid')
            elif w == "mode":
                if v not in ("transport", "tunnel", "ro", "in_trigger", "beet"):
                    raise _xfrm_invarg('"MODE" is invalid', v)
                want[w] = v
            else:
                raise _xfrm_invarg('"XFRM_PROTO" is invalid', w)
        lines: list[str] = []
        for st in xfrm.states:
            if not _state_wanted(st, want):
                continue
            lines.extend(fmt.xfrm_state_lines(st, stats))
        if lines:
            ctx.out("\n".join(lines) + "\n")
        return 0
    if matches(cmd, "flush"):
        proto = 0
        if rest:
            if rest[0] != "proto" or len(rest) < 2:
                raise IpError(f'Error: argument "{rest[0]}" is wrong: unknown', 255)
            if rest[1] not in _XFRM_PROTOS:
                raise _xfrm_invarg('"XFRM_PROTO" is invalid', rest[1])
            proto = _XFRM_PROTOS[rest[1]]
        xfrm.flush_states(proto)
        return 0
    if matches(cmd, "count"):
        ctx.out(f"\t SAD count {len(xfrm.states)}\n")
        return 0
    ctx.err(f'Command "{cmd}" is unknown, try "ip xfrm state help".\n')
    return 255


def _state_wanted(st: Any, want: dict[str, Any]) -> bool:
    for key, v in want.items():
        if key in ("src", "dst"):
            addr, plen = v
            mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
            if (getattr(st, key) & mask) != (addr & mask):
                return False
        elif getattr(st, key) != v:
            return False
    return True


def _xfrm_policy(ctx: Ctx, xfrm: Any, args: list[str], stats: bool) -> int:
    cmd = args[0] if args else "list"
    rest = args[1:]
    if matches(cmd, "add") or matches(cmd, "update"):
        pol = _parse_policy(rest)
        err = xfrm.add_policy(pol)
        if err == "EEXIST" and matches(cmd, "add"):
            ctx.err("RTNETLINK answers: File exists\n")
            return 2
        if err == "EEXIST":
            old = xfrm.find_policy(pol)
            old.tmpls, old.priority, old.action = pol.tmpls, pol.priority, pol.action
        return 0
    if matches(cmd, "list") or matches(cmd, "show") or matches(cmd, "lst"):
        direction = None
        while rest:
            w = rest.pop(0)
            if w == "dir" and rest:
                direction = rest.pop(0)
                if direction not in ("in", "out", "fwd"):
                    raise _xfrm_invarg('"DIR" is invalid', direction)
            else:
                raise _xfrm_invarg('"DIR" is invalid', w)
        lines: list[str] = []
        for pol in xfrm.policies:
            if direction is None or pol.dir == direction:
                lines.extend(fmt.xfrm_policy_lines(pol, stats))
        if lines:
            ctx.out("\n".join(lines) + "\n")
        return 0
    if matches(cmd, "flush"):
        xfrm.flush_policies()
        return 0
    if matches(cmd, "count"):
        n = {d: sum(1 for p in xfrm.policies if p.dir == d) for d in ("in", "out", "fwd")}
        ctx.out(f"\t SPD IN  {n['in']} OUT {n['out']} FWD {n['fwd']}\n")
        return 0
    ctx.err(f'Command "{cmd}" is unknown, try "ip xfrm policy help".\n')
    return 255


def _parse_policy(args: list[str]) -> Any:
    """`ip xfrm policy add SELECTOR dir DIR [mark M [mask K]] [priority N] [action A] [tmpl ...]`."""
    from tui.engine.esp import XfrmPolicy, XfrmTmpl

    pol = XfrmPolicy(0, 0, 0, 0, "")
    tmpl: XfrmTmpl | None = None
    a = list(args)

    def need() -> str:
        if not a:
            raise IpError('Command line is not complete. Try option "help"', 255)
        return a.pop(0)

    while a:
        w = a.pop(0)
        if tmpl is not None and w in ("src", "dst", "proto", "spi", "reqid", "mode"):
            v = need()
            if w in ("src", "dst"):
                setattr(tmpl, w, _xfrm_prefix(v, w)[0])
            elif w == "proto":
                if v not in _XFRM_PROTOS:
                    raise _xfrm_invarg('"XFRM_PROTO" is invalid', v)
                tmpl.proto = _XFRM_PROTOS[v]
            elif w == "spi":
                tmpl.spi = _xfrm_u32(v, '"SPI" is invalid')
            elif w == "reqid":
                tmpl.reqid = _xfrm_u32(v, '"REQID" is invalid')
            else:
                if v not in ("transport", "tunnel"):
                    raise _xfrm_invarg('"MODE" is invalid', v)
                tmpl.mode = v
        elif w in ("src", "dst"):
            addr, plen = _xfrm_prefix(need(), w)
            if w == "src":
                pol.src, pol.src_plen = addr, plen
            else:
                pol.dst, pol.dst_plen = addr, plen
        elif w == "proto":
            v = need()
            if v not in _UPSPEC_PROTOS and not v.isdigit():
                raise _xfrm_invarg('"PROTO" is invalid', v)
            pol.proto = _UPSPEC_PROTOS.get(v, int(v) if v.isdigit() else 0)
        elif w in ("sport", "dport"):
            v = need()
            if not v.isdigit() or int(v) > 65535:
                raise _xfrm_invarg('"PORT" is invalid', v)
            setattr(pol, w, int(v))
        elif w == "dir":
            v = need()
            if v not in ("in", "out", "fwd"):
                raise _xfrm_invarg('"DIR" is invalid', v)
            pol.dir = v
        elif w == "priority":
            pol.priority = _xfrm_u32(need(), '"PRIORITY" is invalid')
        elif w == "mark":
            value = _xfrm_u32(need(), 'Illegal "mark" value\n')
            mask = 0xFFFFFFFF
            if a and a[0] == "mask":
                a.pop(0)
                mask = _xfrm_u32(need(), 'Illegal "mark" mask\n')
            pol.mark = (value, mask)
        elif w == "action":
            v = need()
            if v not in ("allow", "block"):
                raise _xfrm_invarg('"ACTION" is invalid', v)
            pol.action = v
        elif w == "tmpl":
            tmpl = XfrmTmpl(0, 0, 0, 0)
            pol.tmpls.append(tmpl)
        else:
            raise _xfrm_invarg('"PROTO" is invalid', w)
    if not pol.dir:
        raise IpError('"DIR" is required.', 1)
    return pol
