"""IPVS as Docker uses it: an LB namespace owns a VIP, marks it, balances to real servers with NAT.

The lab is built by hand with the engine API: a client, an LB namespace (10.0.1.2 plus the VIP
10.0.1.100/32 on eth0, mangle INPUT MARK 0x100, nat POSTROUTING ``-m ipvs --ipvs ... -j SNAT``,
vs/conntrack=1) and two real servers, all on one bridge in the host namespace.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import pytest

from tui.engine.addr import int_to_ip
from tui.engine.addr import ip_to_int as ip
from tui.engine.clock import MS, SEC
from tui.engine.fs import FileSystem
from tui.engine.host import Sandbox
from tui.engine.ipvs import Ipvs, IpvsError, Service, Stats
from tui.engine.lab import Lab
from tui.engine.links import Bridge, IfAddr, Veth
from tui.engine.netns import Namespace, checksum
from tui.engine.pkt import hops
from tui.engine.tcp import Conn, stack
from tui.shell.commands.ipvsadm import ipvsadm
from tui.shell.registry import Ctx

VIP = "10.0.1.100"
ADDRS = {"client": "10.0.1.10", "lb": "10.0.1.2", "rs1": "10.0.1.3", "rs2": "10.0.1.4", "client2": "10.0.1.11"}


@dataclass
class LbLab:
    lab: Lab
    ns: dict[str, Namespace]
    ipvs: Ipvs
    svc: Service
    accepted: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def clock(self) -> Any:
        return self.lab.clock

    def run(self, *argv: str, stdin: str | None = None, ns: str = "lb") -> tuple[int, str, str]:
        """``ipvsadm ARGV`` in a namespace: (status, stdout, stderr)."""
        out: list[str] = []
        err: list[str] = []
        target = self.ns[ns]
        sandbox = Sandbox(target.host, target, FileSystem(), "node1", "gnu")
        ctx = Ctx(["ipvsadm", *argv], {}, sandbox, None, stdin=stdin,  # type: ignore[arg-type]
                  out=out.append, err=err.append)
        status = ipvsadm(ctx)
        return int(status or 0), "".join(out), "".join(err)

    def serve(self, *names: str, port: int = 80, close: bool = True) -> None:
        """A tiny server on each real server: answers every request with its name, then closes."""
        for name in names:
            def accept(c: Conn, name: str = name) -> None:
                self.accepted.append((name, int_to_ip(c.raddr), c.rport))

                def on_data(c: Conn, data: bytes) -> None:
                    c.send(f"hello from {name}".encode())
                    if close:
                        c.close()

                c.on_data = on_data
                c.on_close = lambda c, e: c.close()

            stack(self.ns[name]).listen(0, port, accept)

    def connect(self, port: int = 80, src: str = "client", request: bytes = b"GET /") -> tuple[Conn, list[Any]]:
        """Connect to the VIP; the list collects (source of the reply, data) and close reasons."""
        got: list[Any] = []
        c = stack(self.ns[src]).connect(ip(VIP), port)
        assert c is not None
        c.on_established = lambda c: c.send(request)
        c.on_data = lambda c, d: got.append((int_to_ip(c.raddr), d))

        def on_close(c: Conn, e: str) -> None:
            got.append(("closed", e))
            c.close()

        c.on_close = on_close
        return c, got


def build(conntrack: int = 1, snat: bool = True, servers: tuple[str, ...] = ("rs1", "rs2")) -> LbLab:
    lab = Lab(7)
    host = lab.add_host("node1")
    root = host.root_ns
    br = Bridge(root, "br0", bytes([2, 0, 0, 0, 0, 0xFE]))
    root.add_link(br)
    root.set_up(br)
    nss: dict[str, Namespace] = {}
    for i, (name, addr) in enumerate(ADDRS.items()):
        ns = Namespace(host, name)
        host.netns_by_name[name] = ns
        ns.set_up(ns.links["lo"])
        inner = Veth(ns, "eth0", bytes([2, 0x42, 10, 0, 1, ip(addr) & 0xFF]))
        outer = Veth(root, f"veth{i}", bytes([2, 0, 0, 0, 1, i]))
        inner.peer, outer.peer = outer, inner
        ns.add_link(inner)
        root.add_link(outer)
        br.add_port(outer)
        root.set_up(outer)
        ns.add_addr(inner, IfAddr(ip(addr), 24, brd=ip("10.0.1.255")))
        ns.set_up(inner)
        nss[name] = ns
    lb = nss["lb"]
    lb.add_addr(lb.links["eth0"], IfAddr(ip(VIP), 32))
    lb.sysctl["net.ipv4.ip_forward"] = 1
    lb.netfilter.run(["-t", "mangle", "-A", "INPUT", "-d", f"{VIP}/32", "-j", "MARK", "--set-mark", "256"])
    if snat:
        lb.netfilter.run(["-t", "nat", "-A", "POSTROUTING", "-m", "ipvs", "--ipvs", "-d", "10.0.1.0/24",
                          "-j", "SNAT", "--to-source", "10.0.1.2"])
    ipvs = Ipvs.of(lb)
    lb.sysctl["net.ipv4.vs.conntrack"] = conntrack
    svc = ipvs.add_service(fwmark=256, scheduler="rr")
    for name in servers:
        ipvs.add_server(svc, ip(ADDRS[name]), 0, 1)
    return LbLab(lab, nss, ipvs, svc)


@pytest.fixture
def lb() -> LbLab:
    return build()


def ipvs_hops(trace: list[Any]) -> list[str]:
    return [h.detail for h in hops(trace) if h.action == "IPVS"]


# --------------------------------------------------------------------------- TCP through the VIP


def test_tcp_connections_are_balanced_round_robin(lb: LbLab) -> None:
    lb.serve("rs1", "rs2")
    answers = []
    for _ in range(4):
        _c, got = lb.connect()
        lb.clock.advance(1 * SEC)
        answers.append(got)
    # the last server added is at the head of the kernel's list: round robin starts there
    assert [name for name, _src, _port in lb.accepted] == ["rs2", "rs1", "rs2", "rs1"]
    # the servers see the LB sandbox's own address (SNAT), never the client
    assert {src for _name, src, _port in lb.accepted} == {"10.0.1.2"}
    # the client only ever talks to the VIP
    for got, name in zip(answers, ["rs2", "rs1", "rs2", "rs1"], strict=True):
        assert got[0] == (VIP, f"hello from {name}".encode())
        assert got[1] == ("closed", "")


def test_snat_keeps_the_client_port_and_conntrack_holds_both_tuples(lb: LbLab) -> None:
    lb.serve("rs1", "rs2")
    c, _got = lb.connect()
    lb.clock.advance(100 * MS)
    name, src, port = lb.accepted[0]
    assert (src, port) == ("10.0.1.2", c.lport)
    lines = [e.line(lb.clock.now) for e in lb.ns["lb"].netfilter.conntrack.entries() if e.proto == 6]
    assert len(lines) == 1
    assert (f"src=10.0.1.10 dst={VIP} sport={c.lport} dport=80 src=10.0.1.4 dst=10.0.1.2 sport=80 "
            f"dport={c.lport} [ASSURED]") in lines[0]


def test_trace_shows_the_balancing_decision_and_the_nat(lb: LbLab) -> None:
    lb.serve("rs1", "rs2")
    traces: list[list[Any]] = []
    rs2 = lb.ns["rs2"]
    original = rs2.local_deliver

    def spy(link: Any, pkt: Any, ihl: int) -> None:
        if pkt.data[pkt.l3 + 9] == 6:  # TCP only (the bridge's IGMP reports arrive too)
            traces.append(pkt.trace)
        original(link, pkt, ihl)

    rs2.local_deliver = spy  # type: ignore[method-assign]
    lb.connect()
    lb.clock.advance(100 * MS)
    port = lb.accepted[0][2]
    actions = [(h.where, h.action, h.detail) for h in hops(traces[0]) if h.action in ("MARK", "IPVS", "SNAT")]
    assert actions == [("node1/lb", "MARK", "0x100"),
                       ("node1/lb", "IPVS", "FWM 256 rr -> 10.0.1.4:80"),
                       ("node1/lb", "SNAT", f"10.0.1.10:{port} -> 10.0.1.2:{port}")]
    # later packets of the connection find the existing entry
    assert ipvs_hops(traces[1]) == ["FWM 256 -> 10.0.1.4:80 (ESTABLISHED)"]


def test_replies_are_rewritten_to_the_vip_and_forwarded(lb: LbLab) -> None:
    lb.serve("rs1", "rs2")
    traces: list[list[Any]] = []
    client = lb.ns["client"]
    original = client.local_deliver

    def spy(link: Any, pkt: Any, ihl: int) -> None:
        data = pkt.data
        if data[pkt.l3 + 9] == 6:  # TCP only (the bridge's IGMP reports arrive too)
            traces.append([int_to_ip(int.from_bytes(data[26:30], "big")), data[22], pkt.trace])
        original(link, pkt, ihl)

    client.local_deliver = spy  # type: ignore[method-assign]
    lb.connect()
    lb.clock.advance(100 * MS)
    src, ttl, trace = traces[0]  # the SYN-ACK
    assert src == VIP
    assert ttl == 63  # forwarded once, by the LB namespace
    actions = [h.action for h in hops(trace) if h.where == "node1/lb"]
    assert actions == ["veth", "un-SNAT", "IPVS", "route", "tx"]  # conntrack, then ip_vs_out at FORWARD
    assert ipvs_hops(trace) == ["reply 10.0.1.4:80 -> 10.0.1.100:80"]


def test_a_port_without_a_service_meets_the_local_stack(lb: LbLab) -> None:
    lb.ipvs.del_service(lb.svc)
    lb.ipvs.add_service(proto="tcp", vip=VIP, port=80)
    lb.serve("rs1", "rs2")
    _c, got = lb.connect(port=81)  # the VIP is a local address: its TCP answers with a RST
    lb.clock.advance(1 * SEC)
    assert got == [("closed", "ECONNREFUSED")]
    assert lb.accepted == []


def test_service_without_servers_refuses_with_port_unreachable(lb: LbLab) -> None:
    for d in list(lb.svc.dests):
        lb.ipvs.del_server(lb.svc, d.addr, d.port)
    _c, got = lb.connect()
    lb.clock.advance(1 * SEC)
    assert got == [("closed", "ECONNREFUSED")]  # ip_vs_leave: ICMP port unreachable, even for TCP


# --------------------------------------------------------------------------- UDP, ICMP


def _udp_servers(lb: LbLab, seen: list[Any]) -> None:
    for name in ("rs1", "rs2"):
        ns = lb.ns[name]

        def handler(pkt: Any, src: int, sport: int, dst: int, dport: int, payload: bytes,
                    ns: Namespace = ns, name: str = name) -> None:
            seen.append((name, int_to_ip(src), payload))
            ns.udp_send(dst, src, dport, sport, f"pong {name}".encode())

        ns.udp_bind(0, 53, handler)


def test_udp_is_balanced_too(lb: LbLab) -> None:
    seen: list[Any] = []
    _udp_servers(lb, seen)
    client = lb.ns["client"]
    replies: list[Any] = []
    for k in range(4):
        client.udp_bind(0, 40000 + k, lambda pkt, src, sport, dst, dport, payload:
                        replies.append((int_to_ip(src), sport, dport, payload)))
        client.udp_send(None, ip(VIP), 40000 + k, 53, b"q%d" % k)
        lb.clock.advance(10 * MS)
    assert [(n, s) for n, s, _p in seen] == [("rs2", "10.0.1.2"), ("rs1", "10.0.1.2")] * 2
    assert replies == [(VIP, 53, 40000 + k, f"pong {n}".encode()) for k, n in enumerate(["rs2", "rs1"] * 2)]
    # UDP connections never become "active"
    status, out, _err = lb.run("-Ln")
    assert status == 0
    assert "  -> 10.0.1.3:0                   Masq    1      0          2         \n" in out
    status, out, _err = lb.run("-Lnc")
    assert f"UDP 04:59  UDP         10.0.1.10:40003    {VIP}:53      10.0.1.3:53\n" in out


def test_ping_to_the_vip_is_answered_by_the_lb_namespace(lb: LbLab) -> None:
    client = lb.ns["client"]
    got: list[Any] = []
    client.ping_sockets[77] = lambda kind, pkt, info: got.append((kind, info["src"], info["ttl"], pkt.trace))
    body = struct.pack("!BBHHH", 8, 0, 0, 77, 1) + b"abcdefgh"
    body = body[:2] + checksum(body).to_bytes(2, "big") + body[4:]
    client.ip_send(None, ip(VIP), 1, body)
    lb.clock.advance(10 * MS)
    kind, src, ttl, trace = got[0]
    assert (kind, int_to_ip(src), ttl) == ("reply", VIP, 64)
    assert "node1/rs1" not in {h.where for h in hops(trace)} and "node1/rs2" not in {h.where for h in hops(trace)}
    assert ("node1/lb", "deliver", "icmp") in [(h.where, h.action, h.detail) for h in hops(trace)]
    assert ipvs_hops(trace) == []


def test_icmp_errors_from_a_real_server_seem_to_come_from_the_vip(lb: LbLab) -> None:
    client = lb.ns["client"]
    errors: list[dict[str, Any]] = []
    sock = client.udp_bind(0, 41000, lambda *a: None)
    assert sock is not None
    sock.on_error = errors.append  # type: ignore[attr-defined]
    client.udp_send(None, ip(VIP), 41000, 54, b"x")  # nothing listens on port 54 of the real server
    lb.clock.advance(10 * MS)
    assert len(errors) == 1
    assert (int_to_ip(errors[0]["src"]), errors[0]["type"], errors[0]["code"]) == (VIP, 3, 3)
    assert int_to_ip(errors[0]["orig_dst"]) == VIP  # the quoted packet is the one the client sent


def test_without_vs_conntrack_the_snat_rule_cannot_apply() -> None:
    lb = build(conntrack=0)
    lb.serve("rs1", "rs2")
    lb.connect()
    lb.clock.advance(100 * MS)
    # untracked packets skip NAT: the real server sees the client itself (and answers it directly)
    assert lb.accepted[0][:2] == ("rs2", "10.0.1.10")


# --------------------------------------------------------------------------- ipvsadm


def test_ipvsadm_listing_counts_active_and_inactive_connections(lb: LbLab) -> None:
    lb.serve("rs1", "rs2", close=False)
    for _ in range(3):
        lb.connect()
        lb.clock.advance(1 * SEC)
    status, out, err = lb.run("-L", "-n")
    assert (status, err) == (0, "")
    assert out == (
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        "FWM  256 rr\n"
        "  -> 10.0.1.3:0                   Masq    1      1          0         \n"
        "  -> 10.0.1.4:0                   Masq    1      2          0         \n"
    )
    assert lb.run()[1] == out  # plain `ipvsadm`: no names to resolve for these addresses


def test_ipvsadm_closed_connections_linger_as_inactive(lb: LbLab) -> None:
    lb.serve("rs1", "rs2")
    lb.connect()
    lb.clock.advance(1 * SEC)
    out = lb.run("-Ln")[1]
    assert "  -> 10.0.1.4:0                   Masq    1      0          1         \n" in out
    conns = lb.run("-Lnc")[1].splitlines()
    assert conns[:2] == ["IPVS connection entries",
                         "pro expire state       source             virtual            destination"]
    assert conns[2].startswith("TCP 01:59  TIME_WAIT   10.0.1.10:")
    assert conns[2].endswith(f"{VIP}:80      10.0.1.4:80")


def test_ipvsadm_tcp_service_and_names(lb: LbLab) -> None:
    assert lb.run("-A", "-t", f"{VIP}:http", "-s", "rr") == (0, "", "")
    assert lb.run("-a", "-t", f"{VIP}:80", "-r", "10.0.1.3", "-m") == (0, "", "")
    assert lb.run("-a", "-t", f"{VIP}:80", "-r", "10.0.1.4:8080", "-m", "-w", "3") == (0, "", "")
    out = lb.run("-L")[1]
    assert out.splitlines()[3:6] == [
        f"TCP  {VIP}:http rr",
        "  -> 10.0.1.3:http                Masq    1      0          0         ",
        "  -> 10.0.1.4:http-alt            Masq    3      0          0         ",
    ]
    assert out.splitlines()[6] == "FWM  256 rr"  # fwmark services sort after address ones
    assert lb.run("-S", "-n")[1] == (
        f"-A -t {VIP}:80 -s rr\n"
        f"-a -t {VIP}:80 -r 10.0.1.3:80 -m -w 1\n"
        f"-a -t {VIP}:80 -r 10.0.1.4:8080 -m -w 3\n"
        "-A -f 256 -s rr\n"
        "-a -f 256 -r 10.0.1.3:0 -m -w 1\n"
        "-a -f 256 -r 10.0.1.4:0 -m -w 1\n"
    )


def test_ipvsadm_save_and_restore_round_trip(lb: LbLab) -> None:
    lb.run("-A", "-u", f"{VIP}:53", "-s", "wrr")
    lb.run("-a", "-u", f"{VIP}:53", "-r", "10.0.1.3:53", "-m", "-w", "2")
    saved = lb.run("-S", "-n")[1]
    Ipvs.of(lb.ns["client"])
    assert lb.run("-R", stdin=saved, ns="client") == (0, "", "")
    assert lb.run("-S", "-n", ns="client")[1] == saved
    assert lb.run("-Ln", ns="client")[1] == lb.run("-Ln")[1]


@pytest.mark.parametrize(("argv", "status", "message"), [
    (["-A", "-f", "256"], 255, "Service already exists\n"),
    (["-D", "-t", f"{VIP}:81"], 255, "No such service\n"),
    (["-E", "-f", "9"], 255, "No such service\n"),
    (["-a", "-f", "9", "-r", "10.0.1.3"], 255, "Service not defined\n"),
    (["-a", "-f", "256", "-r", "10.0.1.3", "-m"], 255, "Destination already exists\n"),
    (["-d", "-f", "256", "-r", "10.0.1.9"], 255, "No such destination\n"),
    (["-A", "-f", "7", "-s", "bogus"], 255, "Scheduler or persistence engine not found\n"),
    (["-L", "-t", f"{VIP}:82"], 1, "No such service\n"),
    (["-n", "-L"], 255, "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n"),
    (["foo"], 255, "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n"),
    (["-L", "--foo"], 255, "--foo: unknown option\n"),
    (["-L", "-A"], 2, "invalid option `-A'\n"),
    (["-L", "x"], 2, "unexpected argument x\n"),
    (["-A"], 2, "You need to supply the 'service-address' option for the 'add-service' command\n"),
    (["-a", "-f", "256"], 2, "You need to supply the 'real-server' option for the 'add-server' command\n"),
    (["-L", "-s", "rr"], 2, "Illegal 'scheduler' option with the 'list' command\n"),
    (["-L", "-c", "-f", "256"], 2,
     "The option 'service-address' conflicts with the 'connection' option in the 'list' command\n"),
    (["-A", "-t", f"{VIP}:0"], 2, "Zero port specified for non-persistent service\n"),
    (["-A", "-t", "nowhere:80"], 2, "illegal virtual server address[:port] specified\n"),
    (["-a", "-f", "256", "-r", "10.0.1.3", "-w", "70000"], 2, "illegal weight specified\n"),
    (["-A", "-f", "0"], 2, "invalid fwmark value `0' specified\n"),
    (["-L", "-n", "-n"], 2, "multiple 'numeric' options specified\n"),
    (["--set", "900"], 2, "--set option requires 3 timeout values\n"),
    (["-L", "-c", "--stats"], 2, "options conflicts in the list command\n"),
    (["-A", "-t"], 255, "-t: missing argument\n"),
])
def test_ipvsadm_errors(lb: LbLab, argv: list[str], status: int, message: str) -> None:
    assert lb.run(*argv) == (status, "", message)


def test_ipvsadm_version_help_and_timeouts(lb: LbLab) -> None:
    assert lb.run("-v") == (0, "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n", "")
    status, out, _err = lb.run("-h")
    assert status == 0 and out.splitlines()[1:3] == [
        "Usage:",
        "  ipvsadm -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] "
        "[-b sched-flags]"]
    assert lb.run("-L", "--timeout") == (0, "Timeout (tcp tcpfin udp): 900 120 300\n", "")
    assert lb.run("--set", "3600", "0", "60") == (0, "", "")
    assert lb.run("-L", "--timeout")[1] == "Timeout (tcp tcpfin udp): 3600 120 60\n"


def test_ipvsadm_stats_and_rate_columns(lb: LbLab) -> None:
    lb.serve("rs1", "rs2")
    lb.connect()
    lb.clock.advance(1 * SEC)
    out = lb.run("-Ln", "--stats")[1].splitlines()
    assert out[1] == "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes"
    assert out[2] == "  -> RemoteAddress:Port"
    svc = lb.svc.stats
    assert out[3] == f"FWM  256{'':25}{1:9d}{svc.inpkts:9d}{svc.outpkts:9d}{svc.inbytes:9d}{svc.outbytes:9d}"
    assert svc.inpkts >= 4 and svc.outpkts >= 3
    rate = lb.run("-Ln", "--rate")[1].splitlines()
    assert rate[1] == "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS"


def test_rate_estimator_follows_the_kernel_formula() -> None:
    s = Stats(0)
    s.conns, s.inpkts, s.inbytes = 10, 100, 10000  # during the first 2 s
    s.catch_up(1)
    # rate = delta << 9 (pkts) or << 4 (bytes), smoothed by 1/4
    assert s.rates() == ((((10 << 9) >> 2) + 0x1FF) >> 10, (((100 << 9) >> 2) + 0x1FF) >> 10, 0,
                         (((10000 << 4) >> 2) + 0xF) >> 5, 0)
    s.catch_up(200)  # long idle: the rates decay to nothing
    assert s.rates() == (0, 0, 0, 0, 0)


# --------------------------------------------------------------------------- servers going away


def test_removing_a_real_server(lb: LbLab) -> None:
    lb.serve("rs1", "rs2", close=False)
    old, old_got = lb.connect()  # to rs2
    lb.clock.advance(1 * SEC)
    assert lb.run("-d", "-f", "256", "-r", "10.0.1.4:0") == (0, "", "")
    out = lb.run("-Ln")[1]
    assert "10.0.1.4" not in out
    for _ in range(2):
        lb.connect()
        lb.clock.advance(1 * SEC)
    assert [name for name, _s, _p in lb.accepted] == ["rs2", "rs1", "rs1"]
    # the old connection's packets find no server any more and are dropped
    before = len(old_got)
    old.send(b"more")
    lb.clock.advance(100 * MS)
    assert len(old_got) == before
    # with expire_nodest_conn (Docker sets it) the entry goes at once
    lb.ns["lb"].sysctl["net.ipv4.vs.expire_nodest_conn"] = 1
    lb.clock.advance(2 * SEC)  # the client retransmits
    assert all(c.daddr != ip("10.0.1.4") for c in lb.ipvs.connections())


def test_quiescent_server_keeps_its_connections_but_gets_no_new_ones(lb: LbLab) -> None:
    lb.serve("rs1", "rs2", close=False)
    old, old_got = lb.connect()  # to rs2
    lb.clock.advance(1 * SEC)
    assert lb.run("-e", "-f", "256", "-r", "10.0.1.4:0", "-m", "-w", "0") == (0, "", "")
    lb.connect()
    lb.connect()
    lb.clock.advance(1 * SEC)
    assert [name for name, _s, _p in lb.accepted] == ["rs2", "rs1", "rs1"]
    old.send(b"still there")
    lb.clock.advance(100 * MS)
    assert old_got[-1] == (VIP, b"hello from rs2")
    assert "  -> 10.0.1.4:0                   Masq    0      1          0         \n" in lb.run("-Ln")[1]


def test_edit_server_without_m_switches_to_gatewaying(lb: LbLab) -> None:
    lb.run("-e", "-f", "256", "-r", "10.0.1.3:0", "-w", "2")  # ipvsadm sends every field
    assert "  -> 10.0.1.3:0                   Route   2      0          0         \n" in lb.run("-Ln")[1]


# --------------------------------------------------------------------------- timeouts


def test_time_wait_entries_expire_after_two_minutes(lb: LbLab) -> None:
    lb.serve("rs1", "rs2")
    lb.connect()
    lb.clock.advance(1 * SEC)
    [cp] = lb.ipvs.connections()
    assert cp.state_name == "TIME_WAIT"
    lb.clock.advance(118 * SEC)
    assert lb.ipvs.connections() == [cp]
    lb.clock.advance(2 * SEC)
    assert lb.ipvs.connections() == []
    assert "  -> 10.0.1.4:0                   Masq    1      0          0         \n" in lb.run("-Ln")[1]


def test_idle_established_connection_expires_after_fifteen_minutes_with_its_conntrack(lb: LbLab) -> None:
    lb.serve("rs1", "rs2", close=False)
    lb.connect()
    lb.clock.advance(1 * SEC)
    ct = lb.ns["lb"].netfilter.conntrack
    assert [e.state for e in ct.entries() if e.proto == 6] == ["ESTABLISHED"]
    lb.clock.advance(898 * SEC)
    assert len(lb.ipvs.connections()) == 1
    lb.clock.advance(2 * SEC)
    assert lb.ipvs.connections() == []
    # ip_vs_conn_drop_conntrack: the conntrack entry (5 days of its own timeout) goes with it
    assert [e for e in ct.entries() if e.proto == 6] == []


def test_udp_entries_live_five_minutes(lb: LbLab) -> None:
    seen: list[Any] = []
    _udp_servers(lb, seen)
    client = lb.ns["client"]
    client.udp_bind(0, 40000, lambda *a: None)
    client.udp_send(None, ip(VIP), 40000, 53, b"q")
    lb.clock.advance(10 * MS)
    lb.clock.advance(299 * SEC)
    assert len(lb.ipvs.connections()) == 1
    # a new datagram in the same flow still goes to the same server
    client.udp_send(None, ip(VIP), 40000, 53, b"q2")
    lb.clock.advance(10 * MS)
    assert [n for n, _s, _p in seen] == ["rs2", "rs2"]
    lb.clock.advance(301 * SEC)
    assert lb.ipvs.connections() == []


# --------------------------------------------------------------------------- schedulers, API


def test_schedulers_via_the_api() -> None:
    lb = build(servers=())
    ipvs = lb.ipvs
    wrr = ipvs.add_service(fwmark=300, scheduler="wrr")
    a = ipvs.add_server(wrr, "10.0.1.3", 0, 3)
    b = ipvs.add_server(wrr, "10.0.1.4", 0, 1)
    picks = [wrr.schedule() for _ in range(8)]
    assert picks.count(a) == 6 and picks.count(b) == 2
    lc = ipvs.add_service(fwmark=301, scheduler="lc")
    c = ipvs.add_server(lc, "10.0.1.3", 0, 1)
    d = ipvs.add_server(lc, "10.0.1.4", 0, 1)
    c.activeconns = 2
    assert lc.schedule() is d
    with pytest.raises(IpvsError) as e:
        ipvs.add_service(fwmark=300)
    assert e.value.errno == "EEXIST"
    with pytest.raises(IpvsError) as e:
        ipvs.add_server(wrr, "10.0.1.3", 0)
    assert e.value.errno == "EEXIST"
    with pytest.raises(IpvsError) as e:
        ipvs.add_server(wrr, "224.0.0.1", 0)
    assert e.value.errno == "EINVAL"
    assert [s.label() for s in ipvs.services()] == ["FWM 256", "FWM 300", "FWM 301"]


def test_local_real_server_is_shown_as_local(lb: LbLab) -> None:
    assert lb.run("-a", "-f", "256", "-r", "10.0.1.2", "-m") == (0, "", "")
    assert "  -> 10.0.1.2:0                   Local   1      0          0         \n" in lb.run("-Ln")[1]


def test_ipvsadm_in_a_container_without_the_module() -> None:
    lab = Lab(1)
    host = lab.add_host("node9")
    sandbox = Sandbox(host, host.root_ns, FileSystem(), "c1", "gnu")
    sandbox.container = object()  # type: ignore[attr-defined]
    err: list[str] = []
    ctx = Ctx(["ipvsadm", "-Ln"], {}, sandbox, None, err=err.append)  # type: ignore[arg-type]
    assert ipvsadm(ctx) == 2
    assert "".join(err) == ("Can't initialize ipvs: Protocol not available\n"
                            "Are you sure that IP Virtual Server is built in the kernel or as module?\n")
    Ipvs.of(host.root_ns)  # Docker made a load balancer: ip_vs is loaded host-wide
    assert ipvsadm(Ctx(["ipvsadm", "-Ln"], {}, sandbox, None)) == 0  # type: ignore[arg-type]


def test_icmp_errors_from_the_client_reach_the_real_server_translated(lb: LbLab) -> None:
    rs2 = lb.ns["rs2"]
    errors: list[dict[str, Any]] = []
    sock = rs2.udp_bind(0, 53, lambda pkt, src, sport, dst, dport, payload:
                        rs2.udp_send(dst, src, dport, sport, b"late reply"))
    assert sock is not None
    sock.on_error = errors.append  # type: ignore[attr-defined]
    client = lb.ns["client"]
    gone = client.udp_bind(0, 40000, lambda *a: None)
    assert gone is not None
    gone.close()  # the reply finds no socket: the client answers with port unreachable
    client.udp_send(None, ip(VIP), 40000, 53, b"q")
    lb.clock.advance(10 * MS)
    # the real server sees it as coming from the address it talked to (the SNAT address)
    assert [(int_to_ip(e["src"]), e["type"], e["code"], int_to_ip(e["orig_dst"])) for e in errors] == [
        ("10.0.1.2", 3, 3, "10.0.1.2")]


def test_ipvs_decrements_the_ttl_and_reports_when_it_runs_out(lb: LbLab) -> None:
    seen: list[Any] = []
    for name in ("rs1", "rs2"):
        lb.ns[name].udp_bind(0, 53, lambda pkt, *a, name=name: seen.append((name, pkt.data[22])))
    client = lb.ns["client"]
    errors: list[dict[str, Any]] = []
    sock = client.udp_bind(0, 40000, lambda *a: None)
    assert sock is not None
    sock.on_error = errors.append  # type: ignore[attr-defined]
    from tui.engine.netns import udp_segment

    for ttl in (64, 1):
        seg = udp_segment(ip("10.0.1.10"), ip(VIP), 40000, 53, b"q")
        client.ip_send(ip("10.0.1.10"), ip(VIP), 17, seg, ttl=ttl)
        lb.clock.advance(10 * MS)
    assert seen == [("rs2", 63)]  # __ip_vs_get_out_rt: decrement_ttl
    assert [(int_to_ip(e["src"]), e["type"]) for e in errors] == [(VIP, 11)]


def test_ipvsadm_is_a_shell_command(lb: LbLab) -> None:
    from tui.shell import Shell

    sh = Shell(lb.lab, "node1")
    start = len(sh.terminal.text())
    assert sh.run_line("ip netns exec lb ipvsadm -Ln | grep -c Masq") == 0
    assert sh.terminal.text()[start:].endswith("2\n")
