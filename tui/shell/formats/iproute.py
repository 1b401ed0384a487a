"""How `ip` prints links, addresses, routes and neighbours: iproute2 on hosts, busybox in containers.

Only views of engine state: nothing here changes the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.engine.addr import int_to_ip
from tui.engine.links import Bridge, Link, Veth, Vxlan
from tui.engine.route import LOCAL, Route

if TYPE_CHECKING:
    from tui.engine.netns import Namespace


ip_str = int_to_ip


def mac_str(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def bridge_id(mac: bytes, priority: int = 0x8000) -> str:
    """iproute2 prints bridge ids as `8000.` + the MAC with unpadded hex bytes (e.g. `8000.62:0:10:48:a6:39`)."""
    return f"{priority:04x}." + ":".join(f"{x:x}" for x in mac)


def eui64(mac: bytes) -> str:
    b = bytearray(mac)
    b[0] ^= 0x02
    words = [b[0] << 8 | b[1], b[2] << 8 | 0xFF, 0xFE << 8 | b[3], b[4] << 8 | b[5]]
    return "fe80::" + ":".join(f"{w:x}" for w in words)


def peer_ref(ns: Namespace, link: Link) -> tuple[str, bool, str]:
    """(the `@...` text, whether the peer is in another namespace, the link-netns text)."""
    pl = link.peer_label()
    if pl is None:
        return "", False, ""
    name, peer_ns = pl
    if peer_ns is ns:
        return f"@{name}", False, ""
    peer = link.peer if isinstance(link, Veth) else None
    idx = peer.ifindex if peer is not None else 0
    netns_text = ""
    if peer_ns is not None:
        netns_text = f" link-netns {peer_ns.name}" if peer_ns.name else f" link-netnsid {ns_id(ns, peer_ns)}"
    return f"@if{idx}", True, netns_text


def ns_id(ns: Namespace, other: Namespace) -> int:
    ids = ns.netnsids
    key = id(other)
    if key not in ids:
        ids[key] = len(ids)
    return ids[key]


def peer_down_same_ns(ns: Namespace, link: Link) -> bool:
    if isinstance(link, Veth) and link.peer is not None and link.peer.ns is ns:
        return not link.peer.admin_up
    return False


# --- iproute2 ----------------------------------------------------------------------------------------
def iproute_link_line(ns: Namespace, link: Link, *, mode: bool) -> str:
    at, other_ns, _ = peer_ref(ns, link)
    flags = link.flags()
    if peer_down_same_ns(ns, link):
        flags = [*flags, "M-DOWN"]
    s = f"{link.ifindex}: {link.name}{at}: <{','.join(flags)}> mtu {link.mtu} qdisc {link.qdisc if link.admin_up or link.qdisc != 'noqueue' else link.qdisc} "
    if link.master is not None:
        s += f"master {link.master.name} "
    s += f"state {link.operstate} "
    if mode:
        s += "mode DEFAULT "
    s += "group default "  # iproute2 ends every field with a space; qlen only when non-zero
    if link.txqlen:
        s += f"qlen {link.txqlen}"
    return s


def iproute_ether_line(ns: Namespace, link: Link) -> str:
    _, _, netns_text = peer_ref(ns, link)
    if link.arphrd == "loopback":
        return "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
    return f"    link/ether {mac_str(link.mac)} brd ff:ff:ff:ff:ff:ff{netns_text}"


def iproute_addr_lines(ns: Namespace, link: Link, family: str | None = None) -> list[str]:
    out: list[str] = []
    if family in (None, "inet"):
        for a in link.addrs:
            s = f"    inet {ip_str(a.addr)}/{a.plen} "
            if a.brd:
                s += f"brd {ip_str(a.brd)} "
            s += f"scope {a.scope} "
            if a.secondary:
                s += "secondary "
            s += a.label or link.name
            out.append(s)
            out.append("       valid_lft forever preferred_lft forever")
    if family in (None, "inet6") and not ns.sysctl.get("net.ipv6.conf.all.disable_ipv6") and link.admin_up:
        if link.arphrd == "loopback":
            out.append("    inet6 ::1/128 scope host ")
            out.append("       valid_lft forever preferred_lft forever")
        elif link.carrier:
            out.append(f"    inet6 {eui64(link.mac)}/64 scope link ")
            out.append("       valid_lft forever preferred_lft forever")
    return out


def iproute_details(ns: Namespace, link: Link) -> list[str]:
    """The `-d` lines: kind-specific attributes as iproute2 6.1 prints them."""
    now = ns.clock.now
    first = f" promiscuity {link.promiscuity}  allmulti {link.allmulti} minmtu {link.min_mtu} maxmtu {link.max_mtu} "
    kind = ""
    if isinstance(link, Vxlan):
        kind = f"    vxlan id {link.vni} "
        if link.remote is not None:
            kind += f"remote {ip_str(link.remote)} "
        if link.local is not None:
            kind += f"local {ip_str(link.local)} "
        if link.dev:
            kind += f"dev {link.dev} "
        kind += f"srcport 0 0 dstport {link.dstport} "
        if not link.learning:
            kind += "nolearning "
        if link.proxy:
            kind += "proxy "
        if link.l2miss:
            kind += "l2miss "
        if link.l3miss:
            kind += "l3miss "
        kind += f"ttl {link.ttl or 'auto'} ageing {link.ageing} udpcsum noudp6zerocsumtx noudp6zerocsumrx "
    elif isinstance(link, Bridge):
        bid = bridge_id(link.mac)
        gc = 300.0 - ((now - link.created_at) / 1e9) % 300.0
        kind = (f"    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time {link.ageing_time // 10_000_000} "
                f"stp_state 0 priority 32768 vlan_filtering 0 bridge_id {bid} designated_root {bid} root_port 0 "
                "root_path_cost 0 topology_change 0 topology_change_detected 0 hello_timer    0.00 tcn_timer    0.00 "
                f"topology_change_timer    0.00 gc_timer {gc:7.2f} group_fwd_mask 0 group_address 01:80:c2:00:00:00 "
                f"mcast_snooping {int(link.mcast_snooping)} no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 "
                "mcast_querier 0 mcast_hash_elasticity 16 mcast_hash_max 4096 mcast_last_member_count 2 "
                "mcast_startup_query_count 2 mcast_last_member_interval 100 mcast_membership_interval 26000 "
                "mcast_querier_interval 25500 mcast_query_interval 12500 mcast_query_response_interval 1000 "
                "mcast_startup_query_interval 3124 mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1 "
                "nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 ")
    elif isinstance(link, Veth):
        kind = "    veth "
    lines = []
    slave = ""
    if link.master is not None:
        br = link.master
        bid = bridge_id(br.mac)
        no = br.port_no(link)
        fwd = max(0.0, 15.0 - (now - link.port_added_at) / 1e9) if link.admin_up else 0.0
        slave = (f"    bridge_slave state {'forwarding' if link.admin_up and br.admin_up else 'disabled'} priority 32 cost 2 hairpin off guard off "
                 f"root_block off fastleave off learning on flood on port_id 0x{0x8000 + no:x} port_no 0x{no:x} "
                 f"designated_port {0x8000 + no} designated_cost 0 designated_bridge {bid} designated_root {bid} "
                 f"hold_timer    0.00 message_age_timer    0.00 forward_delay_timer {fwd:7.2f} topology_change_ack 0 "
                 "config_pending 0 proxy_arp off proxy_arp_wifi off mcast_router 1 mcast_fast_leave off mcast_flood on "
                 "bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 "
                 "vlan_tunnel off isolated off locked off ")
    tail = (f"addrgenmode eui64 numtxqueues {link.num_queues} numrxqueues {link.num_queues} gso_max_size 65536 "
            f"gso_max_segs 65535 tso_max_size {65536 if isinstance(link, Vxlan) and not link.dev else 524280} "
            "tso_max_segs 65535 gro_max_size 65536 ")
    if link.arphrd == "loopback":
        tail = ("addrgenmode eui64 numtxqueues 1 numrxqueues 1 gso_max_size 65536 gso_max_segs 65535 "
                "tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 ")
    # iproute2 glues the kind line and the slave line and the tail together with spaces/newlines as below
    if kind and slave:
        lines.append(kind.rstrip(" ") + " ")
        lines.append(slave + tail)
    elif kind:
        if isinstance(link, Veth):
            lines.append(kind + tail)
        else:
            lines.append(kind + tail)
    elif slave:
        lines.append(slave + tail)
    else:
        lines.append("    " + tail)
    return [first, *lines]


def iproute_show_links(ns: Namespace, links: list[Link], *, addrs: bool, details: bool = False,
                       family: str | None = None, stats: bool = False) -> list[str]:
    out: list[str] = []
    for link in links:
        if addrs and family == "inet" and not link.addrs:
            continue
        out.append(iproute_link_line(ns, link, mode=not addrs))
        if family != "inet" or not addrs:
            ether = iproute_ether_line(ns, link)
            if details:
                d = iproute_details(ns, link)
                out.append(ether + d[0])
                out.extend(d[1:])
            else:
                out.append(ether)
        if stats and not addrs:
            out.append("    RX:  bytes packets errors dropped  missed   mcast           ")
            out.append(f"{link.rx_bytes:>14} {link.rx_packets:>7} {0:>6} {link.rx_dropped:>7} {0:>7} {0:>7} ")
            out.append("    TX:  bytes packets errors dropped carrier collsns           ")
            out.append(f"{link.tx_bytes:>14} {link.tx_packets:>7} {0:>6} {link.tx_dropped:>7} {0:>7} {0:>7} ")
        if addrs:
            out.extend(iproute_addr_lines(ns, link, family))
    return out


def iproute_brief(ns: Namespace, links: list[Link], addrs: bool) -> list[str]:
    out = []
    for link in links:
        at, _, _ = peer_ref(ns, link)
        name = f"{link.name}{at}"
        state = link.operstate
        if addrs:
            text = " ".join(f"{ip_str(a.addr)}/{a.plen}" for a in link.addrs)
            if not ns.sysctl.get("net.ipv6.conf.all.disable_ipv6") and link.admin_up:
                if link.arphrd == "loopback":
                    text = (text + " ::1/128").strip()
                elif link.carrier:
                    text = (text + f" {eui64(link.mac)}/64").strip()
            out.append(f"{name:<16} {state:<14} {text} " if text else f"{name:<16} {state:<14} ")
        else:
            flags = link.flags()
            if peer_down_same_ns(ns, link):
                flags = [*flags, "M-DOWN"]
            out.append(f"{name:<16} {state:<14} {mac_str(link.mac)} <{','.join(flags)}> ")
    return out


def route_line(ns: Namespace, r: Route, *, busybox: bool = False, show_table: bool = False) -> str:
    if r.type in ("local", "broadcast", "unreachable", "blackhole", "prohibit"):
        head = f"{r.type} "
    else:
        head = ""
    dst = "default" if r.plen == 0 and r.dst == 0 else (ip_str(r.dst) if r.plen == 32 else f"{ip_str(r.dst)}/{r.plen}")
    s = head + dst + " "
    if r.via is not None:
        s += f"via {ip_str(r.via)} "
    if r.dev:
        s += f"dev {r.dev} "
    if show_table and r.table not in (254,):
        s += f"table {'local' if r.table == LOCAL else r.table} "
    if busybox:
        if r.proto not in ("boot", "kernel"):
            s += f"proto {r.proto} "
        if r.scope != "global":
            s += f"scope {r.scope} "
        if r.src is not None:
            s += f" src {ip_str(r.src)} "
        if r.metric:
            s += f"metric {r.metric} "
        return s
    if r.proto != "boot":
        s += f"proto {r.proto} "
    if r.scope != "global":
        s += f"scope {r.scope} "
    if r.src is not None:
        s += f"src {ip_str(r.src)} "
    if r.metric:
        s += f"metric {r.metric} "
    link = ns.links.get(r.dev)
    if link is not None and not link.carrier and r.type != "local":
        s += "linkdown "
    return s


def neigh_line(ns: Namespace, n, *, with_dev: bool = True, busybox: bool = False) -> str:  # type: ignore[no-untyped-def]
    s = f"{ip_str(n.ip)} "
    if with_dev:
        s += f"dev {n.dev} "
    if n.lladdr is not None and n.state not in ("INCOMPLETE", "FAILED"):
        s += f"lladdr {mac_str(n.lladdr)} "
    if n.router:
        s += "router "
    if n.proxy_flag:
        s += "proxy "
    s += n.state + " "
    return s


# --- busybox ----------------------------------------------------------------------------------------------
BUSYBOX_FLAG_ORDER = ["LOOPBACK", "BROADCAST", "POINTOPOINT", "MULTICAST", "NOARP", "UP", "LOWER_UP"]


def busybox_link_lines(ns: Namespace, link: Link, *, addrs: bool, musl: bool = False) -> list[str]:
    at, other_ns, _ = peer_ref(ns, link)
    flags = [f for f in link.flags() if f != "NO-CARRIER"]
    flags.sort(key=lambda f: BUSYBOX_FLAG_ORDER.index(f) if f in BUSYBOX_FLAG_ORDER else 99)
    if link.admin_up and not link.carrier:
        flags.insert(0, "NO-CARRIER")
    if at and (other_ns or peer_down_same_ns(ns, link)):
        flags.append("M-DOWN")
    s = f"{link.ifindex}: {link.name}{at}: <{','.join(flags)}> mtu {link.mtu} qdisc {link.qdisc} "
    if link.master is not None:
        s += f"master {link.master.name} "
    if musl:
        s += f"state {link.operstate} "
    if link.txqlen:
        s += f"qlen {link.txqlen}"
    out = [s]
    if link.arphrd == "loopback":
        out.append("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00")
    else:
        out.append(f"    link/ether {mac_str(link.mac)} brd ff:ff:ff:ff:ff:ff")
    if addrs:
        for a in link.addrs:
            t = f"    inet {ip_str(a.addr)}/{a.plen} "
            if a.brd:
                t += f"brd {ip_str(a.brd)} "
            t += f"scope {a.scope} "
            if a.secondary:
                t += "secondary "
            t += a.label or link.name
            out.append(t)
            out.append("       valid_lft forever preferred_lft forever")
    return out


# --- ip xfrm (iproute2 6.1 ip/ipxfrm.c, xfrm_state.c, xfrm_policy.c) ---------------------------------

_XFRM_PROTO_NAMES = {50: "esp", 51: "ah", 108: "comp", 43: "route2", 60: "hao"}
_IP_PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 132: "sctp"}


def _xfrm_time(secs: int) -> str:
    """strxf_time: "-" for never, else localtime (UTC in the lab) as %Y-%m-%d %T."""
    import time

    return "-" if secs == 0 else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(secs))


def _xfrm_lifetime(stats_bytes: int, packets: int, add_time: int, use_time: int) -> list[str]:
    return ["\tlifetime config:",
            "\t  limit: soft (INF)(bytes), hard (INF)(bytes)",
            "\t  limit: soft (INF)(packets), hard (INF)(packets)",
            "\t  expire add: soft 0(sec), hard 0(sec)",
            "\t  expire use: soft 0(sec), hard 0(sec)",
            "\tlifetime current:",
            f"\t  {stats_bytes}(bytes), {packets}(packets)",
            f"\t  add {_xfrm_time(add_time)} use {_xfrm_time(use_time)}"]


def _xfrm_id_line(proto: int, spi: int, reqid: int, mode: str, stats: bool, force_spi: bool) -> str:
    line = f"\tproto {_XFRM_PROTO_NAMES.get(proto, str(proto))} "
    if stats or force_spi or spi:
        line += f"spi 0x{spi:08x}" + (f"({spi})" if stats else "") + " "
    line += f"reqid {reqid}" + (f"(0x{reqid:08x})" if stats else "") + f" mode {mode}"
    return line


def xfrm_state_lines(st: Any, stats: bool) -> list[str]:
    """One `ip xfrm state` entry (xfrm_state_info_print)."""
    out = [f"src {int_to_ip(st.src)} dst {int_to_ip(st.dst)}",
           _xfrm_id_line(st.proto, st.spi, st.reqid, st.mode, stats, True)]
    line = f"\treplay-window {st.replay_window} "
    if stats:
        line += "seq 0x00000000 "
    if stats or st.flags:
        line += "flag "
    if stats:
        line += f" (0x{st.flags:08b})"
    out.append(line)
    if st.mark is not None:
        out.append(f"\tmark 0x{st.mark[0]:x}/0x{st.mark[1]:x} ")
    key = "0x" + st.key.hex() + (f" ({len(st.key) * 8} bits)" if stats else "")
    out.append(f"\taead {st.alg} {key} {st.icv_bits}")
    out.append(f"\tanti-replay context: seq 0x{st.seq:x}, oseq 0x{st.oseq:x}, bitmap 0x{st.bitmap:08x}")
    if st.sel_family_set:
        out.append("\tsel src 0.0.0.0/0 dst 0.0.0.0/0 " + ("uid 0" if stats else ""))
    if stats:
        out.extend(_xfrm_lifetime(st.bytes, st.packets, st.add_time, st.use_time))
        out.append("\tstats:")
        out.append(f"\t  replay-window {st.replay_window} replay {st.replay} failed {st.failed}")
    return out


def xfrm_policy_lines(pol: Any, stats: bool) -> list[str]:
    """One `ip xfrm policy` entry (xfrm_policy_info_print)."""
    sel = f"src {int_to_ip(pol.src)}/{pol.src_plen} dst {int_to_ip(pol.dst)}/{pol.dst_plen} "
    if pol.proto:
        sel += f"proto {_IP_PROTO_NAMES.get(pol.proto, str(pol.proto))} "
        if pol.sport:
            sel += f"sport {pol.sport} "
        if pol.dport:
            sel += f"dport {pol.dport} "
    if stats:
        sel += "uid 0"
    line = f"\tdir {pol.dir} "
    if pol.action == "block":
        line += "action block "
    elif stats:
        line += "action allow "
    if stats:
        line += f"index {pol.index} "
    line += f"priority {pol.priority} ptype main "
    if stats:
        line += "share any flag  (0x00000000)"
    out = [sel, line]
    if stats:
        out.extend(_xfrm_lifetime(0, 0, pol.add_time, pol.use_time))
    if pol.mark is not None:
        out.append(f"\tmark 0x{pol.mark[0]:x}/0x{pol.mark[1]:x} ")
    for t in pol.tmpls:
        out.append(f"\ttmpl src {int_to_ip(t.src)} dst {int_to_ip(t.dst)}")
        out.append("\t" + _xfrm_id_line(t.proto, t.spi, t.reqid, t.mode, stats, False))
        if stats:
            out.append("\t\tlevel required share any ")
            out.append("\t\tenc-mask ffffffff auth-mask ffffffff comp-mask ffffffff")
    return out
