"""Name resolution as userland tools do it: /etc/hosts first, then DNS over the simulated network."""

from __future__ import annotations

import struct
from collections.abc import Generator
from typing import Any

from tui.engine.apps.dns import reverse_name
from tui.engine.clock import SEC
from tui.engine.process import Waiter, sleep_or


def parse_ipv4(s: str) -> int | None:
    parts = s.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    vals = [int(p) for p in parts]
    if any(v > 255 for v in vals):
        return None
    return vals[0] << 24 | vals[1] << 16 | vals[2] << 8 | vals[3]


def hosts_lookup(fs: Any, name: str) -> int | None:
    data = fs.read("/etc/hosts") or b""
    for line in data.decode(errors="replace").splitlines():
        line = line.split("#", 1)[0].split()
        if len(line) >= 2 and name in line[1:]:
            ip = parse_ipv4(line[0])
            if ip is not None:
                return ip
    return None


def nameservers(fs: Any) -> list[int]:
    data = fs.read("/etc/resolv.conf") or b""
    out = []
    for line in data.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            ip = parse_ipv4(parts[1])
            if ip is not None:
                out.append(ip)
    return out


def dns_query_packet(qid: int, name: str, qtype: int = 1) -> bytes:
    q = b"".join(bytes((len(p),)) + p.encode() for p in name.rstrip(".").split(".") if p) + b"\x00"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def ptr_query_packet(qid: int, addr: int) -> bytes:
    return dns_query_packet(qid, reverse_name(addr), 12)


def parse_ptr_answer(resp: bytes) -> str | None:
    if len(resp) < 12:
        return None
    _, flags, qd, an = struct.unpack_from("!HHHH", resp, 0)
    if flags & 0xF or not an:
        return None
    pos = 12
    for _ in range(qd):
        pos = _skip_name(resp, pos) + 4
    pos = _skip_name(resp, pos)
    if pos + 10 > len(resp):
        return None
    rtype = struct.unpack_from("!H", resp, pos)[0]
    if rtype != 12:
        return None
    labels = []
    p = pos + 10
    while p < len(resp) and resp[p]:
        n = resp[p]
        if n & 0xC0:
            break
        labels.append(resp[p + 1:p + 1 + n].decode("ascii", "replace"))
        p += 1 + n
    return ".".join(labels) or None


def parse_a_answers(resp: bytes) -> tuple[int, list[int]]:
    """(rcode, A addresses) of a DNS response."""
    if len(resp) < 12:
        return 2, []
    _, flags, qd, an = struct.unpack_from("!HHHH", resp, 0)
    pos = 12
    for _ in range(qd):
        pos = _skip_name(resp, pos) + 4
    addrs = []
    for _ in range(an):
        pos = _skip_name(resp, pos)
        if pos + 10 > len(resp):
            break
        rtype, _, _, rdlen = struct.unpack_from("!HHIH", resp, pos)
        pos += 10
        if rtype == 1 and rdlen == 4:
            addrs.append(int.from_bytes(resp[pos:pos + 4], "big"))
        pos += rdlen
    return flags & 0xF, addrs


def _skip_name(b: bytes, pos: int) -> int:
    while pos < len(b):
        n = b[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n
    return pos


def dns_exchange(sandbox: Any, build: Any, timeout: int = 5 * SEC) -> Generator[Any, Any, bytes | None]:
    """Send one query (``build(qid)``) to the sandbox's nameservers over UDP; the first answer, or None."""
    ns = sandbox.netns
    servers = nameservers(sandbox.fs)
    rng = sandbox.host.lab.rng
    for server in servers[:3]:
        qid = rng.randrange(65536)
        port = ns.ephemeral_port()
        got: list[bytes] = []
        w = Waiter()

        def on_reply(pkt: Any, src: int, sport: int, dst: int, dport: int, payload: bytes,
                     qid: int = qid, got: list[bytes] = got, w: Waiter = w) -> None:
            if len(payload) >= 2 and payload[0] << 8 | payload[1] == qid:
                got.append(payload)
                w.fire()

        sock = ns.udp_bind(0, port, on_reply)
        if sock is None:
            continue
        try:
            err = ns.udp_send(None, server, port, 53, build(qid))
            if err is not None:
                continue
            yield sleep_or(ns.clock, w, timeout)
        finally:
            sock.close()
        if got:
            return got[0]
    return None


def dns_lookup(sandbox: Any, name: str, timeout: int = 5 * SEC) -> Generator[Any, Any, list[int] | None]:
    """A records for ``name``: None when no server answered, [] for NXDOMAIN."""
    resp = yield from dns_exchange(sandbox, lambda qid: dns_query_packet(qid, name), timeout)
    if resp is None:
        return None
    rcode, addrs = parse_a_answers(resp)
    return addrs if rcode == 0 else []


def reverse_lookup(sandbox: Any, addr: int) -> Generator[Any, Any, str | None]:
    """What gethostbyaddr returns: /etc/hosts first, then a PTR query."""
    data = sandbox.fs.read("/etc/hosts") or b""
    for line in data.decode(errors="replace").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and parse_ipv4(parts[0]) == addr:
            return parts[1]
    resp = yield from dns_exchange(sandbox, lambda qid: ptr_query_packet(qid, addr))
    return parse_ptr_answer(resp) if resp is not None else None


def resolve_host(ctx: Any, target: str) -> Generator[Any, Any, int | None]:
    ip = parse_ipv4(target)
    if ip is not None:
        return ip
    if not target or any(c.isspace() for c in target):
        return None
    ip = hosts_lookup(ctx.sandbox.fs, target)
    if ip is not None:
        return ip
    addrs = yield from dns_lookup(ctx.sandbox, target)
    return addrs[0] if addrs else None
