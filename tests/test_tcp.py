"""The simulated TCP against Linux: options, windows, segmentation, ACK habits, closes, resets, timers.

The last test runs one real exchange (``python3 -m http.server`` and ``curl`` in
two network namespaces made for the test) and compares the packet-line shapes
of the real capture with the simulator's (masking only what differs between
any two runs: ports, initial sequence numbers, timestamps, TS values and the
windows after the handshake).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tui.engine.capture import Capture
from tui.engine.clock import MS, SEC
from tui.engine.lab import Lab
from tui.engine.scenarios import build_scenario, ip
from tui.engine.tcp import ACK, Conn, TcpStack, stack
from tui.shell import Shell
from tui.shell.formats.tcpdump import TcpdumpPrinter

H1, H2 = "ip-10-0-2-197", "ip-10-0-2-253"
A1, A2 = ip("10.0.2.197"), ip("10.0.2.253")


def lines(cap: Capture, only_tcp: bool = True) -> list[str]:
    p = TcpdumpPrinter()
    out = [p.format(r.t_wall, r.data) for r in cap.records]
    return [line.split(" ", 1)[1] for line in out if not only_tcp or "Flags" in line]


class Echo:
    """A server application: answers each chunk with ``reply(data)``, closes when the peer does."""

    def __init__(self, ns_stack: TcpStack, port: int, reply: Callable[[bytes], bytes] | None = None,
                 close_on_eof: bool = True) -> None:
        self.conns: list[Conn] = []
        self.received = bytearray()
        self.reply = reply
        self.close_on_eof = close_on_eof
        ns_stack.listen(0, port, self.accept)

    def accept(self, conn: Conn) -> None:
        self.conns.append(conn)
        conn.on_data = self.data
        conn.on_close = self.closed

    def data(self, conn: Conn, data: bytes) -> None:
        self.received += data
        if self.reply is not None:
            conn.send(self.reply(data))

    def closed(self, conn: Conn, err: str) -> None:
        if self.close_on_eof and not err:
            conn.close()


class Client:
    def __init__(self, ns_stack: TcpStack, dst: int, port: int, nodelay: bool = True) -> None:
        conn = ns_stack.connect(dst, port, nodelay=nodelay)
        assert conn is not None
        self.conn = conn
        self.data = bytearray()
        self.events: list[str] = []
        conn.on_established = lambda c: self.events.append("established")
        conn.on_data = lambda c, d: self.data.extend(d)
        conn.on_close = lambda c, e: self.events.append(f"close:{e}")


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield build_scenario("linux-hosts", 3)


def stacks(lab: Lab) -> tuple[TcpStack, TcpStack]:
    return stack(lab.hosts[H1].root_ns), stack(lab.hosts[H2].root_ns)


# --------------------------------------------------------------------------- handshake


def test_handshake_carries_linux_options_and_windows(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    Echo(s2, 80)
    cap = Capture(lab.hosts[H1].root_ns, "eth0").start()
    c = Client(s1, A2, 80)
    lab.clock.advance(10 * MS)
    assert c.events == ["established"] and c.conn.state == "ESTABLISHED"
    syn, synack, ack = lines(cap)[:3]
    assert re.fullmatch(r"IP 10\.0\.2\.197\.\d+ > 10\.0\.2\.253\.80: Flags \[S\], seq \d+, win 64240, "
                        r"options \[mss 1460,sackOK,TS val \d+ ecr 0,nop,wscale 7\], length 0", syn)
    assert re.fullmatch(r"IP 10\.0\.2\.253\.80 > 10\.0\.2\.197\.\d+: Flags \[S\.\], seq \d+, ack \d+, win 65160, "
                        r"options \[mss 1460,sackOK,TS val \d+ ecr \d+,nop,wscale 7\], length 0", synack)
    assert re.fullmatch(r"IP 10\.0\.2\.197\.\d+ > 10\.0\.2\.253\.80: Flags \[\.\], ack 1, win 502, "
                        r"options \[nop,nop,TS val \d+ ecr \d+\], length 0", ack)
    assert c.conn.lport % 2 == 0  # connect() takes even ports
    assert c.conn.mss == 1448  # 1460 less the timestamp option


def test_mss_follows_the_route_mtu(lab: Lab) -> None:
    h1, h2 = lab.hosts[H1].root_ns, lab.hosts[H2].root_ns
    for ns in (h1, h2):
        ns.set_mtu(ns.links["eth0"], 1450)  # an overlay's MTU
    s1, s2 = stacks(lab)
    echo = Echo(s2, 80)
    cap = Capture(h1, "eth0").start()
    c = Client(s1, A2, 80)
    lab.clock.advance(10 * MS)
    c.conn.send(b"x" * 3000)
    lab.clock.advance(50 * MS)
    out = lines(cap)
    assert "win 64860, options [mss 1410," in out[0]
    assert "win 64308, options [mss 1410," in out[1]  # SYN-ACK: 46 segments of 1398
    sizes = [int(m.group(1)) for line in out if (m := re.search(r"length (\d+)", line)) and "10.0.2.197." in
             line.split(" > ")[0]]
    assert max(sizes) == 1398 and bytes(echo.received) == b"x" * 3000


def test_loopback_windows(lab: Lab) -> None:
    ns = lab.hosts[H1].root_ns
    s = stack(ns)
    Echo(s, 8080)
    cap = Capture(ns, "lo").start()
    Client(s, ip("127.0.0.1"), 8080)
    lab.clock.advance(10 * MS)
    out = lines(cap)
    assert "win 65495, options [mss 65495," in out[0]
    assert "win 65483, options [mss 65495," in out[2 if out[1] == out[0] else 1]


# --------------------------------------------------------------------------- data


def test_data_goes_in_mss_segments_and_arrives_in_order(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    echo = Echo(s2, 80)
    cap = Capture(lab.hosts[H1].root_ns, "eth0").start()
    c = Client(s1, A2, 80)
    lab.clock.advance(5 * MS)
    payload = bytes(range(256)) * 40  # 10240 bytes: more than the initial window of 10 segments
    c.conn.send(payload)
    lab.clock.advance(100 * MS)
    assert bytes(echo.received) == payload
    sent = [line for line in lines(cap) if line.startswith("IP 10.0.2.197") and "length 0" not in line]
    sizes = [int(line.rsplit("length ", 1)[1].split(":")[0]) for line in sent]
    assert sizes[:7] == [1448] * 7 and sum(sizes) == 10240
    assert all(s <= 1448 for s in sizes)


def test_first_data_is_acked_at_once_then_the_reply_rides_on_data(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    Echo(s2, 80, reply=lambda d: b"pong")
    cap = Capture(lab.hosts[H1].root_ns, "eth0").start()
    c = Client(s1, A2, 80)
    lab.clock.advance(5 * MS)
    c.conn.send(b"ping")
    lab.clock.advance(5 * MS)
    out = lines(cap)[3:]
    # the server's stack ACKs the request at once (quickack), the application answers after
    assert re.search(r"> 10\.0\.2\.197\.\d+: Flags \[\.\], ack 5, win 510", out[1])  # 65160 - 4 rounded up to 128
    assert "Flags [P.], seq 1:5, ack 5" in out[2]
    assert "Flags [.], ack 5, win 502" in out[3]  # the client's quick ACK of the answer
    assert bytes(c.data) == b"pong"


def test_nagle_holds_a_small_segment_until_the_ack(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    Echo(s2, 80)
    cap = Capture(lab.hosts[H1].root_ns, "eth0").start()
    c = Client(s1, A2, 80, nodelay=False)
    lab.clock.advance(5 * MS)
    c.conn.send(b"a" * 100)
    c.conn.send(b"b" * 100)  # held: a small segment is unacknowledged
    out = lines(cap)[3:]
    assert len(out) == 1 and "seq 1:101" in out[0]
    lab.clock.advance(5 * MS)
    out = lines(cap)[3:]
    assert "seq 101:201" in out[2] and "ack 101" in out[1]


def test_out_of_order_data_gets_a_dup_ack_with_sack(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    echo = Echo(s2, 80)
    cap = Capture(lab.hosts[H2].root_ns, "eth0").start()
    c = Client(s1, A2, 80)
    lab.clock.advance(5 * MS)
    server = echo.conns[0]
    base = c.conn.snd_nxt
    # two segments delivered to the server the wrong way round
    server.stack.in_kernel(server.segment, (base + 4) & 0xFFFFFFFF, c.conn.rcv_nxt, ACK, b"5678", {}, 502)
    server.stack.in_kernel(server.segment, base, c.conn.rcv_nxt, ACK, b"1234", {}, 502)
    lab.clock.advance(MS)
    out = lines(cap)[3:]
    assert "ack 1," in out[0] and "sack 1 {5:9}" in out[0]
    assert "ack 9," in out[1]
    assert bytes(echo.received) == b"12345678"


# --------------------------------------------------------------------------- closing


def test_client_closes_first(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    echo = Echo(s2, 80)
    cap = Capture(lab.hosts[H1].root_ns, "eth0").start()
    c = Client(s1, A2, 80)
    lab.clock.advance(5 * MS)
    c.conn.close()
    lab.clock.advance(100 * MS)
    flags = [re.search(r"Flags \[([^\]]+)\]", line).group(1) for line in lines(cap)]  # type: ignore[union-attr]
    # the server's ACK of our FIN rides on its own FIN (delayed ACK in CLOSE_WAIT)
    assert flags == ["S", "S.", ".", "F.", "F.", "."]
    assert c.conn.state == "TIME_WAIT" and echo.conns[0].state == "CLOSED"
    assert c.events[-1] == "close:"
    lab.clock.advance(61 * SEC)
    assert c.conn.state == "CLOSED" and not s1.conns


def test_server_closes_first(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    echo = Echo(s2, 80)
    cap = Capture(lab.hosts[H1].root_ns, "eth0").start()
    c = Client(s1, A2, 80)
    c.conn.on_close = lambda conn, e: conn.close()
    lab.clock.advance(5 * MS)
    echo.conns[0].close()
    lab.clock.advance(100 * MS)
    flags = [re.search(r"Flags \[([^\]]+)\]", line).group(1) for line in lines(cap)]  # type: ignore[union-attr]
    assert flags == ["S", "S.", ".", "F.", "F.", "."]
    assert echo.conns[0].state == "TIME_WAIT" and c.conn.state == "CLOSED"


def test_simultaneous_close(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    echo = Echo(s2, 80, close_on_eof=False)
    c = Client(s1, A2, 80)
    lab.clock.advance(5 * MS)
    c.conn.close()
    echo.conns[0].close()
    lab.clock.advance(100 * MS)
    assert c.conn.state == "TIME_WAIT" and echo.conns[0].state == "TIME_WAIT"


def test_lone_close_waits_40ms_for_its_ack(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    Echo(s2, 80, close_on_eof=False)
    cap = Capture(lab.hosts[H1].root_ns, "eth0").start()
    c = Client(s1, A2, 80)
    lab.clock.advance(5 * MS)
    c.conn.close()
    lab.clock.advance(100 * MS)
    tcp = [r for r in cap.records if r.data[12:14] == b"\x08\x00" and r.data[23] == 6]
    recs = [r for r in tcp if r.data[47] & 0x1F == 0x10]
    assert c.conn.state == "FIN_WAIT_2"
    fin = [r for r in tcp if r.data[47] & 0x01][0]
    assert recs[-1].t - fin.t >= 40 * MS  # the delayed ACK of a FIN nobody answered yet


# --------------------------------------------------------------------------- refusals and errors


def test_rst_on_a_closed_port(lab: Lab) -> None:
    s1, _s2 = stacks(lab)
    cap = Capture(lab.hosts[H1].root_ns, "eth0").start()
    c = Client(s1, A2, 81)
    lab.clock.advance(10 * MS)
    rst = lines(cap)[1]
    syn_seq = int(re.search(r"seq (\d+)", lines(cap)[0]).group(1))  # type: ignore[union-attr]
    assert rst.endswith(f"Flags [R.], seq 0, ack {syn_seq + 1}, win 0, length 0")
    assert c.events == ["close:ECONNREFUSED"]


def test_reject_with_port_unreachable_refuses_the_connect(lab: Lab) -> None:
    Shell(lab, H2).run_line("iptables -A INPUT -p tcp --dport 80 -j REJECT")
    s1, _s2 = stacks(lab)
    c = Client(s1, A2, 80)
    lab.clock.advance(10 * MS)
    assert c.events == ["close:ECONNREFUSED"]


def test_syn_retransmissions_back_off_then_time_out(lab: Lab) -> None:
    Shell(lab, H2).run_line("iptables -A INPUT -p tcp --dport 80 -j DROP")
    s1, _s2 = stacks(lab)
    cap = Capture(lab.hosts[H1].root_ns, "eth0").start()
    start = lab.clock.now
    c = Client(s1, A2, 80)
    lab.clock.advance(200 * SEC)
    syns = [r.t - start for r in cap.records if r.data[12:14] == b"\x08\x00" and r.data[23] == 6
            and r.data[47] == 0x02]
    assert [round(t / SEC) for t in syns] == [0, 1, 3, 7, 15, 31, 63]
    assert c.events == ["close:ETIMEDOUT"]
    assert c.conn.state == "CLOSED" and not s1.conns


def test_no_arp_answer_gives_host_unreachable(lab: Lab) -> None:
    s1, _s2 = stacks(lab)
    c = Client(s1, ip("10.0.2.99"), 80)
    lab.clock.advance(5 * SEC)
    assert c.events == ["close:EHOSTUNREACH"]


def test_no_route_fails_at_once(lab: Lab) -> None:
    ns = lab.hosts[H1].root_ns
    ns.routes.remove(lambda r: r.dst == 0 and r.plen == 0)
    assert stack(ns).connect(ip("192.0.2.1"), 80) is None
    assert stack(ns).last_error == "ENETUNREACH"


def test_lost_data_is_retransmitted_after_the_rto(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    echo = Echo(s2, 80)
    c = Client(s1, A2, 80)
    lab.clock.advance(5 * MS)
    shell = Shell(lab, H2)
    shell.run_line("iptables -A INPUT -p tcp --dport 80 -j DROP")
    cap = Capture(lab.hosts[H1].root_ns, "eth0").start()
    c.conn.send(b"hello")
    lab.clock.advance(250 * MS)
    shell.run_line("iptables -F INPUT")
    lab.clock.advance(2 * SEC)
    sent = [r.t for r in cap.records if r.data[12:14] == b"\x08\x00" and r.data[23] == 6 and r.data[47] & 0x08]
    assert len(sent) >= 2 and 200 * MS <= sent[1] - sent[0] <= 1 * SEC
    assert bytes(echo.received) == b"hello"


def test_abort_sends_a_reset(lab: Lab) -> None:
    s1, s2 = stacks(lab)
    echo = Echo(s2, 80)
    c = Client(s1, A2, 80)
    lab.clock.advance(5 * MS)
    c.conn.abort()
    lab.clock.advance(5 * MS)
    assert echo.conns[0].state == "CLOSED" and echo.conns[0].error == "ECONNRESET"


# --------------------------------------------------------------------------- against the real kernel

NS_SRV, NS_CLI = "olt-tcp-srv", "olt-tcp-cli"


def _real_available() -> bool:
    if os.geteuid() != 0 or not all(shutil.which(t) for t in ("ip", "tcpdump", "curl")):
        return False
    probe = subprocess.run(["ip", "netns", "add", "olt-tcp-probe"], capture_output=True)
    if probe.returncode:
        return False
    subprocess.run(["ip", "netns", "del", "olt-tcp-probe"], capture_output=True)
    return True


def _sh(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True)


def _real_teardown() -> None:
    for ns in (NS_SRV, NS_CLI):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def _real_setup() -> None:
    _real_teardown()
    _sh("ip", "netns", "add", NS_SRV)
    _sh("ip", "netns", "add", NS_CLI)
    _sh("ip", "link", "add", "veth-s", "netns", NS_SRV, "type", "veth", "peer", "name", "veth-c", "netns", NS_CLI)
    for ns, dev, addr in ((NS_SRV, "veth-s", "10.9.0.1/24"), (NS_CLI, "veth-c", "10.9.0.2/24")):
        _sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1")
        # Ubuntu's default tcp_rmem maximum (6 MiB: window scale 7), whatever this machine's is
        _sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.tcp_rmem=4096 131072 6291456")
        _sh("ip", "-n", ns, "link", "set", "lo", "up")
        _sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
        _sh("ip", "-n", ns, "link", "set", dev, "up")


PY_SERVER_11 = (
    "import functools, http.server, sys\n"
    "class H(http.server.SimpleHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    def log_message(self, *a): pass\n"
    "    def send_header(self, k, v):\n"
    "        if k != 'Content-Length' or self.protocol_version == 'HTTP/1.1':\n"
    "            super().send_header(k, v)\n"
    "http.server.HTTPServer(('10.9.0.1', 80), functools.partial(H, directory=sys.argv[1])).serve_forever()\n"
)
# HTTP/1.0 without Content-Length: the body ends when the server closes, so curl always sees the
# server's FIN first (with a length, who closes first is a race between Python and curl's exit)
PY_SERVER_10 = PY_SERVER_11.replace("    protocol_version = 'HTTP/1.1'\n", "")


def real_exchange(server_code: str, www: Path) -> list[str]:
    """tcpdump -n lines of one `curl` against a real Python http.server, client side."""
    _real_setup()
    srv = cap = None
    pcap = www / "cap.pcap"
    try:
        srv = subprocess.Popen(["ip", "netns", "exec", NS_SRV, sys.executable, "-c", server_code, str(www)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cap = subprocess.Popen(["ip", "netns", "exec", NS_CLI, "tcpdump", "-n", "-U", "--immediate-mode", "-Z", "root", "-i", "veth-c", "-w",
                                str(pcap), "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):  # wait for both to be ready
            ok = "LISTEN" in subprocess.run(["ip", "netns", "exec", NS_SRV, "ss", "-ltn"],
                                            capture_output=True, text=True).stdout
            if ok and pcap.exists() and pcap.stat().st_size >= 24:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        subprocess.run(["ip", "netns", "exec", NS_CLI, "curl", "-s", "-o", "/dev/null", "http://10.9.0.1/"],
                       check=True, timeout=10)
        time.sleep(1.0)
    finally:
        for proc in (cap, srv):
            if proc is not None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
        _real_teardown()
    out = subprocess.run(["tcpdump", "-n", "-r", str(pcap)], capture_output=True, text=True).stdout
    return [line.split(" ", 1)[1] for line in out.splitlines() if "Flags" in line]


def sim_exchange(http11: bool, curl_version: str) -> list[str]:
    """The same exchange in the simulator: two namespaces on one host, a model of Python's server."""
    from tui.engine.apps.http import HttpServer, http_date
    from tui.shell.commands.ip import netns_sandbox

    lab = Lab(5)
    host = lab.add_host("sim")
    shell = Shell(lab, "sim")
    for line in (f"ip netns add {NS_SRV}", f"ip netns add {NS_CLI}",
                 f"ip link add veth-s type veth peer name veth-c netns {NS_CLI}", f"ip link set veth-s netns {NS_SRV}",
                 f"ip netns exec {NS_SRV} ip addr add 10.9.0.1/24 dev veth-s",
                 f"ip netns exec {NS_CLI} ip addr add 10.9.0.2/24 dev veth-c",
                 f"ip netns exec {NS_SRV} ip link set veth-s up", f"ip netns exec {NS_CLI} ip link set veth-c up"):
        assert shell.run_line(line) == 0, line
    srv_ns, cli_ns = host.netns_by_name[NS_SRV], host.netns_by_name[NS_CLI]
    pyver = sys.version.split()[0]
    from tui.engine.apps.http import NGINX_INDEX

    def handler(req):  # type: ignore[no-untyped-def]
        headers = [("Server", f"SimpleHTTP/0.6 Python/{pyver}"), ("Date", http_date(lab.clock.wall_ns)),
                   ("Content-type", "text/html"), ("Content-Length", str(len(NGINX_INDEX))),
                   ("Last-Modified", http_date(lab.clock.wall_ns))]
        if not http11:
            del headers[3]
        return 200, headers, NGINX_INDEX

    HttpServer(srv_ns, 80, handler, nodelay=False, split_body=True, think=1 * MS,
               version=None if http11 else "HTTP/1.0", keep_alive=http11, close_delay=50_000).start()
    netns_sandbox(host, cli_ns).curl_version = curl_version  # type: ignore[attr-defined]
    cap = Capture(cli_ns, "veth-c").start()
    assert shell.run_line(f"ip netns exec {NS_CLI} curl -s -o /dev/null http://10.9.0.1/") == 0
    lab.clock.advance(SEC)
    return lines(cap)


MASKS = [
    (re.compile(r"(10\.9\.0\.2)\.\d+"), r"\1.<port>"),
    (re.compile(r"TS val \d+ ecr \d+"), "TS val <ts> ecr <ts>"),
    (re.compile(r"Flags \[S\], seq \d+"), "Flags [S], seq <isn>"),
    (re.compile(r"Flags \[S\.\], seq \d+, ack \d+"), "Flags [S.], seq <isn>, ack <isn>"),
]


def shape(line: str) -> str:
    for rx, rep in MASKS:
        line = rx.sub(rep, line)
    if "Flags [S" not in line:
        line = re.sub(r"win \d+", "win <w>", line)
    return line


@pytest.mark.skipif(not _real_available(), reason="needs root, iproute2, tcpdump and curl")
@pytest.mark.parametrize("http11", [False, True], ids=["http1.0-server-closes", "http1.1-client-closes"])
def test_real_exchange_has_the_same_shape(http11: bool) -> None:
    from tui.engine.apps.http import NGINX_INDEX

    version = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
    with tempfile.TemporaryDirectory() as d:
        www = Path(d)
        (www / "index.html").write_bytes(NGINX_INDEX)
        real = real_exchange(PY_SERVER_11 if http11 else PY_SERVER_10, www)
    sim = sim_exchange(http11, version)
    assert [shape(x) for x in sim] == [shape(x) for x in real]
    # and the window values of the whole exchange agree too
    assert [re.search(r"win \d+", x).group(0) for x in sim] == [  # type: ignore[union-attr]
        re.search(r"win \d+", x).group(0) for x in real]  # type: ignore[union-attr]
