"""Docker's embedded DNS server on the wire, and the busybox/bind nslookup that query it.

A "container" is built by hand: a namespace on a lab host with a veth to the host
(which masquerades it), a busybox sandbox with Docker's resolv.conf, and an
:class:`EmbeddedResolver` answering for a few names. The expected outputs were
checked against busybox nslookup and a real ``tcpdump -i lo`` with Docker's nat
rules installed in a real network namespace.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Generator
from typing import Any

import pytest

from tui.engine.apps.dns import (
    EmbeddedResolver,
    build_query,
    getaddrinfo,
    parse_message,
    read_resolv_conf,
    search_candidates,
    udp_exchange,
)
from tui.engine.capture import Capture
from tui.engine.clock import MS, SEC
from tui.engine.fs import FileSystem
from tui.engine.host import Sandbox
from tui.engine.lab import Lab
from tui.engine.process import Process
from tui.engine.scenarios import build_scenario, ip
from tui.shell import Shell
from tui.shell.formats.tcpdump import TcpdumpPrinter

H1, H2 = "ip-10-0-2-197", "ip-10-0-2-253"
VPC_DNS = ip("10.0.0.2")
NAMES = {"web": [ip("10.0.2.253")], "tasks.web": [ip("10.0.2.253"), ip("10.0.9.2")]}
PTRS = {ip("10.0.2.253"): "web.1.yf5uqm1kzx6dbt7n26e4akhsu.my-net"}


def make_container(lab: Lab, name: str = "c1", subnet: str = "10.0.9", host: str = H1,
                   names: dict[str, list[int]] | None = None, upstream: list[int] | None = None,
                   resolv: bytes = b"nameserver 127.0.0.11\noptions ndots:0\n",
                   ) -> tuple[Sandbox, EmbeddedResolver, Shell]:
    """A busybox container namespace on ``host`` with Docker's resolver; returns (sandbox, resolver, host shell)."""
    shell = Shell(lab, host)
    for line in (
        f"ip netns add {name}", f"ip link add v{name} type veth peer name eth0 netns {name}",
        f"ip addr add {subnet}.1/24 dev v{name}", f"ip link set v{name} up",
        f"ip netns exec {name} ip addr add {subnet}.2/24 dev eth0", f"ip netns exec {name} ip link set eth0 up",
        f"ip netns exec {name} ip link set lo up",
        f"ip netns exec {name} ip route add default via {subnet}.1",
        "sysctl -w net.ipv4.ip_forward=1", f"iptables -t nat -A POSTROUTING -s {subnet}.0/24 -j MASQUERADE",
    ):
        assert shell.run_line(line) == 0, line
    h = lab.hosts[host]
    ns = h.netns_by_name[name]
    fs = FileSystem()
    fs.write("/etc/resolv.conf", resolv)
    fs.write("/etc/hosts", f"127.0.0.1\tlocalhost\n{subnet}.2\t{name}\n".encode())
    table = NAMES if names is None else names
    resolver = EmbeddedResolver(ns, lambda n: table.get(n), PTRS.get,
                                [VPC_DNS] if upstream is None else upstream).start()
    return Sandbox(h, ns, fs, name, "busybox"), resolver, shell


def run(shell: Shell, line: str) -> str:
    before = len(shell.terminal.text())
    shell.run_line(line)
    return shell.terminal.text()[before:]


@pytest.fixture
def lab() -> Lab:
    return build_scenario("linux-hosts", 11)


@pytest.fixture
def container(lab: Lab) -> tuple[Sandbox, EmbeddedResolver, Shell]:
    sandbox, resolver, shell = make_container(lab)
    shell.enter(sandbox)
    return sandbox, resolver, shell


def exchange(lab: Lab, sandbox: Sandbox, query: bytes, server: int = ip("127.0.0.11"),
             timeout: int = 5 * SEC) -> bytes | None:
    out: dict[str, Any] = {}

    def proc() -> Generator[Any, Any, int]:
        got = yield from udp_exchange(sandbox.netns, server, [query], timeout=timeout)
        out["reply"] = got.get(0)
        return 0

    p = Process(lab.clock, proc()).start()
    lab.clock.run_until(lambda: p.done)
    return out.get("reply")


# --------------------------------------------------------------------------- the mechanism


def test_resolver_listens_on_random_ports_behind_docker_nat_rules(lab: Lab) -> None:
    sandbox, resolver, shell = make_container(lab)
    assert resolver.udp_port != 53 and resolver.tcp_port % 2 == 1  # listen(2) on port 0: an odd port
    assert (ip("127.0.0.11"), resolver.udp_port) in sandbox.netns.udp_sockets
    out = run(shell, "ip netns exec c1 iptables -t nat -S")
    u, t = resolver.udp_port, resolver.tcp_port
    assert out == (
        "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n"
        "-N DOCKER_OUTPUT\n-N DOCKER_POSTROUTING\n"
        "-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT\n"
        "-A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING\n"
        f"-A DOCKER_OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:{t}\n"
        f"-A DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:{u}\n"
        f"-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p tcp -m tcp --sport {t} -j SNAT --to-source :53\n"
        f"-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport {u} -j SNAT --to-source :53\n"
    )


def test_restarting_the_resolver_flushes_its_chains(lab: Lab) -> None:
    sandbox, resolver, shell = make_container(lab)
    resolver.stop()
    again = EmbeddedResolver(sandbox.netns, lambda n: None).start()
    out = run(shell, "ip netns exec c1 iptables -t nat -S")
    assert out.count("-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT") == 1
    assert f"127.0.0.11:{again.udp_port}" in out and f"127.0.0.11:{resolver.udp_port}\n" not in out


def test_capture_on_lo_shows_the_nat(container: tuple[Sandbox, EmbeddedResolver, Shell], lab: Lab) -> None:
    """As on a real kernel: the query goes to the resolver's real port, the answer comes from :53."""
    sandbox, resolver, shell = container
    cap = Capture(sandbox.netns, "lo").start()
    run(shell, "nslookup web")
    printer = TcpdumpPrinter()
    seen = list(dict.fromkeys(printer.format(r.t_wall, r.data).split(" ", 1)[1] for r in cap.records))
    assert re.fullmatch(rf"IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.11\.{resolver.udp_port}: UDP, length 21", seen[0])
    port = re.match(r"IP 127\.0\.0\.1\.(\d+)", seen[0]).group(1)  # type: ignore[union-attr]
    answers = [s for s in seen if s.startswith("IP 127.0.0.11.53")]
    assert re.fullmatch(rf"IP 127\.0\.0\.11\.53 > 127\.0\.0\.1\.{port}: \d+ 1/0/0 A 10\.0\.2\.253 \(40\)", answers[0])
    assert re.fullmatch(rf"IP 127\.0\.0\.11\.53 > 127\.0\.0\.1\.{port}: \d+ 0/0/0 \(21\)", answers[1])


# --------------------------------------------------------------------------- the answers


def test_a_answer_wire_format(container: tuple[Sandbox, EmbeddedResolver, Shell], lab: Lab) -> None:
    sandbox, _resolver, _shell = container
    reply = exchange(lab, sandbox, build_query(0x1234, "web", 1))
    assert reply is not None and len(reply) == 40
    qid, flags, qd, an, ns_, ar = struct.unpack_from("!HHHHHH", reply)
    assert (qid, qd, an, ns_, ar) == (0x1234, 1, 1, 0, 0)
    assert flags == 0x8180  # QR, RD copied, RA; not authoritative; NOERROR
    # the answer repeats the name in full (libnetwork does not compress its own answers)
    assert reply[21:] == b"\x03web\x00" + struct.pack("!HHIH", 1, 1, 600, 4) + bytes([10, 0, 2, 253])


def test_aaaa_for_our_name_is_an_empty_noerror(container: tuple[Sandbox, EmbeddedResolver, Shell], lab: Lab) -> None:
    sandbox, resolver, _ = container
    msg = parse_message(exchange(lab, sandbox, build_query(7, "web", 28)) or b"")
    assert msg is not None and msg.rcode == 0 and not msg.answers and msg.flags & 0x0080
    assert resolver.forwarded == 0


def test_names_keep_the_case_they_were_asked_in(container: tuple[Sandbox, EmbeddedResolver, Shell], lab: Lab) -> None:
    sandbox, _r, _ = container
    msg = parse_message(exchange(lab, sandbox, build_query(7, "WEB.", 1)) or b"")
    assert msg is not None and msg.answers[0].name == "WEB" and msg.addresses() == [ip("10.0.2.253")]


def test_ptr_answer(container: tuple[Sandbox, EmbeddedResolver, Shell], lab: Lab) -> None:
    sandbox, _r, _ = container
    reply = exchange(lab, sandbox, build_query(9, "253.2.0.10.in-addr.arpa", 12)) or b""
    msg = parse_message(reply)
    assert msg is not None and msg.answers[0].ttl == 600
    assert msg.answers[0].target(reply) == "web.1.yf5uqm1kzx6dbt7n26e4akhsu.my-net"


def test_many_addresses_are_truncated_to_512_bytes(lab: Lab) -> None:
    many = {"big": [ip("10.1.0.0") + i for i in range(60)]}
    sandbox, _resolver, _shell = make_container(lab, names=many)
    reply = exchange(lab, sandbox, build_query(3, "big", 1)) or b""
    msg = parse_message(reply)
    assert msg is not None and msg.flags & 0x0200 and len(reply) <= 512 and 0 < len(msg.answers) < 60
    edns = build_query(4, "big", 1, edns_size=4096)
    msg = parse_message(exchange(lab, sandbox, edns) or b"")
    assert msg is not None and not msg.flags & 0x0200 and len(msg.answers) == 60


def test_tasks_answers_are_shuffled(lab: Lab) -> None:
    many = {"tasks.web": [ip("10.0.1.10") + i for i in range(6)]}
    sandbox, _r, _s = make_container(lab, names=many)
    orders = {tuple(parse_message(exchange(lab, sandbox, build_query(i, "tasks.web", 1)) or b"").addresses())  # type: ignore[union-attr]
              for i in range(8)}
    assert len(orders) > 1 and all(sorted(o) == many["tasks.web"] for o in orders)


def test_unknown_names_are_forwarded_from_the_container(container: tuple[Sandbox, EmbeddedResolver, Shell],
                                                       lab: Lab) -> None:
    sandbox, resolver, _ = container
    cap = Capture(sandbox.netns, "eth0").start()
    msg = parse_message(exchange(lab, sandbox, build_query(5, "example.com", 1)) or b"")
    assert msg is not None and msg.addresses() == [ip("93.184.216.34")] and resolver.forwarded == 1
    printer = TcpdumpPrinter()
    text = [printer.format(r.t_wall, r.data) for r in cap.records]
    assert any(re.search(r"IP 10\.0\.9\.2\.\d+ > 10\.0\.0\.2\.53: 5\+ A\? example\.com\. \(29\)", t) for t in text)
    nx = parse_message(exchange(lab, sandbox, build_query(6, "nope.invalid", 1)) or b"")
    assert nx is not None and nx.rcode == 3  # NXDOMAIN from upstream, relayed


def test_no_upstream_answer_means_no_answer(lab: Lab) -> None:
    sandbox, resolver, _ = make_container(lab, upstream=[])
    assert exchange(lab, sandbox, build_query(5, "example.com", 1), timeout=2 * SEC) is None
    dead, _r, _s = make_container(lab, name="c2", subnet="10.0.8", upstream=[ip("10.0.0.77")])
    start = lab.clock.now
    assert exchange(lab, dead, build_query(5, "example.com", 1), timeout=6 * SEC) is None
    assert lab.clock.now - start >= 6 * SEC - MS


def test_dns_over_tcp(container: tuple[Sandbox, EmbeddedResolver, Shell], lab: Lab) -> None:
    from tui.engine.tcp import stack

    sandbox, _r, _ = container
    got = bytearray()
    conn = stack(sandbox.netns).connect(ip("127.0.0.11"), 53)
    assert conn is not None
    query = build_query(0x77, "web", 1)
    conn.on_established = lambda c: c.send(len(query).to_bytes(2, "big") + query)
    conn.on_data = lambda c, d: got.extend(d)
    lab.clock.advance(50 * MS)
    assert int.from_bytes(got[:2], "big") == 40
    msg = parse_message(bytes(got[2:]))
    assert msg is not None and msg.id == 0x77 and msg.addresses() == [ip("10.0.2.253")]


# --------------------------------------------------------------------------- busybox nslookup


def test_busybox_nslookup(container: tuple[Sandbox, EmbeddedResolver, Shell]) -> None:
    _sb, _r, shell = container
    assert run(shell, "nslookup web") == (
        "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\n"
        "Non-authoritative answer:\nName:\tweb\nAddress: 10.0.2.253\n\n"
        "Non-authoritative answer:\n\n"
    )
    assert shell.last_status == 0


def test_busybox_nslookup_nxdomain(container: tuple[Sandbox, EmbeddedResolver, Shell]) -> None:
    _sb, _r, shell = container
    assert run(shell, "nslookup foo") == (
        "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\n"
        "** server can't find foo: NXDOMAIN\n\n** server can't find foo: NXDOMAIN\n\n"
    )
    assert shell.last_status == 1


def test_busybox_nslookup_tasks_and_ptr(container: tuple[Sandbox, EmbeddedResolver, Shell]) -> None:
    _sb, _r, shell = container
    out = run(shell, "nslookup tasks.web")
    assert sorted(re.findall(r"Name:\ttasks\.web\nAddress: ([\d.]+)", out)) == ["10.0.2.253", "10.0.9.2"]
    assert run(shell, "nslookup 10.0.2.253") == (
        "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\n"
        "253.2.0.10.in-addr.arpa\tname = web.1.yf5uqm1kzx6dbt7n26e4akhsu.my-net\n\n"
    )


def test_busybox_nslookup_forwarded_name(container: tuple[Sandbox, EmbeddedResolver, Shell]) -> None:
    _sb, _r, shell = container
    assert run(shell, "nslookup example.com") == (
        "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\n"
        "Non-authoritative answer:\nName:\texample.com\nAddress: 93.184.216.34\n\n"
        "Non-authoritative answer:\n\n"
    )


def test_busybox_nslookup_with_a_server_and_a_type(container: tuple[Sandbox, EmbeddedResolver, Shell]) -> None:
    _sb, _r, shell = container
    assert run(shell, "nslookup -type=a example.com 8.8.8.8") == (
        "Server:\t\t8.8.8.8\nAddress:\t8.8.8.8:53\n\n"
        "Non-authoritative answer:\nName:\texample.com\nAddress: 93.184.216.34\n\n"
    )


def test_busybox_nslookup_times_out(lab: Lab) -> None:
    sandbox, resolver, shell = make_container(lab, upstream=[])
    shell.enter(sandbox)
    start = lab.clock.now
    assert run(shell, "nslookup example.com") == ";; connection timed out; no servers could be reached\n\n"
    assert shell.last_status == 1 and 5 * SEC <= lab.clock.now - start < 6 * SEC


def test_busybox_nslookup_appends_search_domains(lab: Lab) -> None:
    sandbox, _r, shell = make_container(lab, resolv=b"nameserver 127.0.0.11\nsearch corp.example\noptions ndots:0\n")
    shell.enter(sandbox)
    assert "** server can't find web.corp.example: NXDOMAIN" in run(shell, "nslookup web")


def test_busybox_nslookup_usage(container: tuple[Sandbox, EmbeddedResolver, Shell]) -> None:
    _sb, _r, shell = container
    out = run(shell, "nslookup")
    assert out.startswith("BusyBox v1.36.1") and "Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]" in out


# --------------------------------------------------------------------------- bind nslookup on a host


def test_bind_nslookup_on_a_host(lab: Lab) -> None:
    shell = Shell(lab, H1)
    assert run(shell, "nslookup example.com") == (
        "Server:\t\t127.0.0.53\nAddress:\t127.0.0.53#53\n\n"
        "Non-authoritative answer:\nName:\texample.com\nAddress: 93.184.216.34\n\n"
    )
    assert run(shell, "nslookup nosuchname") == (
        "Server:\t\t127.0.0.53\nAddress:\t127.0.0.53#53\n\n** server can't find nosuchname: NXDOMAIN\n\n"
    )
    assert shell.last_status == 1
    assert run(shell, "nslookup 8.8.8.8") == (
        "Server:\t\t127.0.0.53\nAddress:\t127.0.0.53#53\n\nNon-authoritative answer:\n"
        "8.8.8.8.in-addr.arpa\tname = dns.google.\n\nAuthoritative answers can be found from:\n\n"
    )


# --------------------------------------------------------------------------- the client library


def test_search_candidates_follow_ndots() -> None:
    from tui.engine.apps.dns import ResolvConf

    conf = ResolvConf(search=["ec2.internal"], ndots=1)
    assert search_candidates("web", conf) == ["web.ec2.internal", "web"]
    assert search_candidates("example.com", conf) == ["example.com", "example.com.ec2.internal"]
    assert search_candidates("web.", conf) == ["web"]
    assert search_candidates("web", ResolvConf(search=["x"], ndots=0)) == ["web", "web.x"]


def test_resolv_conf_parsing() -> None:
    fs = FileSystem()
    fs.write("/etc/resolv.conf", b"# hi\nnameserver 127.0.0.53\noptions edns0 trust-ad ndots:2\nsearch a.b c.d\n")
    conf = read_resolv_conf(fs)
    assert conf.nameservers == [ip("127.0.0.53")] and conf.search == ["a.b", "c.d"]
    assert conf.ndots == 2 and conf.edns0 and conf.trust_ad


def test_getaddrinfo_sends_a_and_aaaa_together(container: tuple[Sandbox, EmbeddedResolver, Shell], lab: Lab) -> None:
    sandbox, resolver, _ = container
    out: dict[str, Any] = {}

    def proc() -> Generator[Any, Any, int]:
        out["r"] = yield from getaddrinfo(sandbox, "web")
        out["hosts"] = yield from getaddrinfo(sandbox, "c1")
        out["nx"] = yield from getaddrinfo(sandbox, "nothing-here")
        return 0

    before = resolver.queries
    p = Process(lab.clock, proc()).start()
    lab.clock.run_until(lambda: p.done)
    assert out["r"] == ([ip("10.0.2.253")], "")
    assert out["hosts"] == ([ip("10.0.9.2")], "")  # /etc/hosts first, no query
    assert out["nx"] == ([], "NXDOMAIN")
    assert resolver.queries - before == 4
