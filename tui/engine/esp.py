"""The XFRM framework of one namespace: security associations, security policies and ESP.

What Docker's encrypted overlays program (libnetwork drivers/overlay/encryption.go, 20.10):

- per peer and per key, ESP states in transport mode with reqid 0xd0c4e3 (13681891), AEAD
  ``rfc4106(gcm(aes))`` with a 64-bit ICV, key = the 16-byte swarm key + the SPI as 4-byte
  salt, replay-window 0, no mark, an empty selector (the kernel fills in its family);
- one outbound policy per peer: ``src LOCAL/32 dst PEER/32 proto udp dport 4789 dir out``
  with ``mark 0xd0c4e3/0xffffffff`` and a template naming the primary key's SA.

Outgoing datagrams are looked up against the policies after the OUTPUT hook, with the mark
iptables gave them (the kernel re-routes a packet whose mark changed in mangle OUTPUT, and
``xfrm_lookup`` matches the flow's mark): Docker's mangle rule marks the VXLAN datagrams of
an encrypted VNI with 0xd0c4e3, so only those meet the policy. A matching policy whose
template finds no SA drops the packet (no key manager answers the acquire). Incoming ESP is
matched to a state by destination and SPI; the decrypted datagram carries a secpath that
``-m policy --dir in --pol ipsec`` sees.

The header layout (SPI, sequence, 8-byte IV, padding, pad length, next header, 8-byte ICV)
is the real one; the cipher is a keyed keystream standing in for AES-GCM, so the payload is
opaque and only the holder of the SA gets the VXLAN datagram back.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.engine.clock import US

if TYPE_CHECKING:
    from tui.engine.netns import Namespace
    from tui.engine.pkt import Pkt

PROTO_ESP = 50
PROTO_UDP = 17
XFRM_INF = (1 << 64) - 1
DOCKER_MARK = 0xD0C4E3  # libnetwork's `mark` (reqid of its states, fwmark of its policies)
AEAD_GCM = "rfc4106(gcm(aes))"


@dataclass
class XfrmState:
    """One SA (``struct xfrm_usersa_info`` plus the attributes the kernel dumps with it)."""

    src: int
    dst: int
    spi: int
    reqid: int
    key: bytes  # the whole AEAD key as programmed (cipher key + 4-byte salt)
    alg: str = AEAD_GCM
    icv_bits: int = 64
    proto: int = PROTO_ESP
    mode: str = "transport"
    replay_window: int = 0
    flags: int = 0
    mark: tuple[int, int] | None = None
    sel_family_set: bool = True  # copy_from_user_state gives an empty selector the SA's family
    oseq: int = 0
    seq: int = 0
    bitmap: int = 0
    bytes: int = 0
    packets: int = 0
    add_time: int = 0  # wall-clock seconds
    use_time: int = 0
    replay: int = 0
    failed: int = 0


@dataclass
class XfrmTmpl:
    src: int
    dst: int
    spi: int
    reqid: int
    proto: int = PROTO_ESP
    mode: str = "transport"


@dataclass
class XfrmPolicy:
    """One SP (``struct xfrm_userpolicy_info`` plus its mark and templates)."""

    src: int
    src_plen: int
    dst: int
    dst_plen: int
    dir: str
    proto: int = 0
    sport: int = 0
    dport: int = 0
    priority: int = 0
    index: int = 0
    action: str = "allow"
    mark: tuple[int, int] | None = None
    tmpls: list[XfrmTmpl] = field(default_factory=list)
    add_time: int = 0
    use_time: int = 0


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def _ip16(addr: int) -> bytes:
    """An IPv4 address as Go's net.ParseIP holds it: 16 bytes, ::ffff:a.b.c.d."""
    return b"\x00" * 10 + b"\xff\xff" + addr.to_bytes(4, "big")


def build_spi(src: int, dst: int, tag: int) -> int:
    """libnetwork's buildSPI: FNV-32a over src (16 bytes), the key's Lamport tag (big-endian u32), dst."""
    return fnv32a(_ip16(src) + (tag & 0xFFFFFFFF).to_bytes(4, "big") + _ip16(dst))


def _keystream(key: bytes, iv: bytes, n: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(key + iv + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:n]


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def _prefix_match(addr: int, net: int, plen: int) -> bool:
    if plen == 0:
        return True
    mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
    return (addr & mask) == (net & mask)


class Xfrm:
    """The namespace's SAD and SPD. Lists are kept in the kernel's dump order (newest first)."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.states: list[XfrmState] = []
        self.policies: list[XfrmPolicy] = []
        self._policy_index = 0

    @classmethod
    def of(cls, ns: Namespace) -> Xfrm:
        x = ns.xfrm
        if x is None:
            x = ns.xfrm = cls(ns)
        return x

    def _now_s(self) -> int:
        return self.ns.clock.wall_ns // 1_000_000_000

    # --- the netlink side (XFRM_MSG_NEWSA / GETSA / DELSA / NEWPOLICY / ...) -------------------
    def find_state(self, src: int, dst: int, spi: int, proto: int = PROTO_ESP) -> XfrmState | None:
        for st in self.states:
            if st.dst == dst and st.spi == spi and st.proto == proto and st.src == src:
                return st
        return None

    def add_state(self, st: XfrmState) -> str | None:
        """XFRM_MSG_NEWSA: an errno name when the (dst, spi, proto) triple is taken."""
        if any(s.dst == st.dst and s.spi == st.spi and s.proto == st.proto for s in self.states):
            return "EEXIST"
        st.add_time = self._now_s()
        self.states.insert(0, st)
        return None

    def delete_state(self, st: XfrmState) -> None:
        self.states.remove(st)

    def flush_states(self, proto: int = 0) -> None:
        self.states = [s for s in self.states if proto and s.proto != proto]

    def find_policy(self, pol: XfrmPolicy) -> XfrmPolicy | None:
        for p in self.policies:
            if (p.dir, p.src, p.src_plen, p.dst, p.dst_plen, p.proto, p.sport, p.dport, p.mark) == (
                    pol.dir, pol.src, pol.src_plen, pol.dst, pol.dst_plen, pol.proto, pol.sport, pol.dport,
                    pol.mark):
                return p
        return None

    def add_policy(self, pol: XfrmPolicy) -> str | None:
        """XFRM_MSG_NEWPOLICY: EEXIST when the same selector, direction and mark are there."""
        if self.find_policy(pol) is not None:
            return "EEXIST"
        # xfrm_gen_index: idx_generator | dir (in/out/fwd = 0/1/2), then idx_generator += 8
        pol.index = self._policy_index | {"in": 0, "out": 1, "fwd": 2}[pol.dir] or 8
        self._policy_index += 8
        pol.add_time = self._now_s()
        self.policies.insert(0, pol)
        return None

    def flush_policies(self) -> None:
        self.policies = []

    # --- output (xfrm_lookup on a locally generated datagram) ---------------------------------
    def _policy_for(self, src: int, dst: int, proto: int, sport: int, dport: int, mark: int) -> XfrmPolicy | None:
        best: XfrmPolicy | None = None
        for p in self.policies:
            if p.dir != "out":
                continue
            if p.mark is not None and (mark & p.mark[1]) != p.mark[0]:
                continue
            if not (_prefix_match(src, p.src, p.src_plen) and _prefix_match(dst, p.dst, p.dst_plen)):
                continue
            if p.proto and p.proto != proto:
                continue
            if p.sport and p.sport != sport or p.dport and p.dport != dport:
                continue
            if best is None or p.priority < best.priority:
                best = p
        return best

    def _state_for(self, t: XfrmTmpl) -> XfrmState | None:
        for st in self.states:
            if (st.src == t.src and st.dst == t.dst and st.proto == t.proto and st.reqid == t.reqid
                    and st.mode == t.mode and (not t.spi or t.spi == st.spi)):
                return st
        return None

    def lookup_out(self, pkt: Pkt, src: int, dst: int, proto: int, payload: bytes) -> XfrmState | str | None:
        """xfrm_lookup once OUTPUT has run. None: no policy, the datagram goes out as it is;
        the state to apply; or "drop" when a policy wants a state there is none of."""
        sport = dport = 0
        if proto in (6, 17) and len(payload) >= 4:
            sport, dport = struct.unpack_from("!HH", payload)
        pol = self._policy_for(src, dst, proto, sport, dport, pkt.mark)
        if pol is None:
            return None
        if pol.action == "block" or not pol.tmpls:
            pkt.hop(self.ns.where, "", "drop", "xfrm policy block" if pol.action == "block" else "no template")
            return "drop"
        pol.use_time = self._now_s()
        st = self._state_for(pol.tmpls[0])
        if st is None:
            pkt.hop(self.ns.where, "", "drop", "xfrm: no state for the policy's template (acquire failed)")
            return "drop"
        return st

    def transform(self, pkt: Pkt, st: XfrmState, src: int, dst: int, proto: int, segment: bytes) -> None:
        st.oseq += 1
        # xfrm_output_one counts the packet once the ESP header (8) and IV (8) are in place
        st.bytes += 20 + 16 + len(segment)
        st.packets += 1
        st.use_time = self._now_s()
        seq = st.oseq & 0xFFFFFFFF
        iv = hashlib.sha256(st.key + seq.to_bytes(8, "big")).digest()[:8]
        pad_len = (4 - (len(segment) + 2) % 4) % 4
        plain = segment + bytes(range(1, pad_len + 1)) + bytes((pad_len, proto))
        cipher = _xor(plain, _keystream(st.key, iv, len(plain)))
        icv = hashlib.sha256(st.key + iv + cipher).digest()[:8]
        esp = struct.pack("!II", st.spi, seq) + iv + cipher + icv
        pkt.hop(self.ns.where, "", "esp-encrypt", f"spi 0x{st.spi:08x} seq {seq}")
        self.ns.ip_send(src, dst, PROTO_ESP, esp, t=pkt.t + 4 * US, trace=pkt.trace, df=False, mark=pkt.mark,
                        xfrm_done=True)

    # --- input (esp_input via xfrm_input) -------------------------------------------------------
    def decrypt(self, pkt: Pkt, src: int, dst: int, off: int, end: int) -> tuple[int, bytes] | None:
        """(next header, payload) of an ESP packet for one of our states, or None (dropped)."""
        data = pkt.data
        if end - off < 16 + 8 + 2:
            return None
        spi, seq = struct.unpack_from("!II", data, off)
        st = next((s for s in self.states if s.dst == dst and s.spi == spi and s.proto == PROTO_ESP), None)
        if st is None:
            pkt.hop(self.ns.where, "", "drop", f"no inbound SA for spi 0x{spi:08x}")
            return None
        iv = data[off + 8:off + 16]
        cipher = data[off + 16:end - 8]
        icv = data[end - 8:end]
        if hashlib.sha256(st.key + iv + cipher).digest()[:8] != icv:
            st.failed += 1
            pkt.hop(self.ns.where, "", "drop", "ESP integrity check failed")
            return None
        plain = _xor(cipher, _keystream(st.key, iv, len(cipher)))
        pad_len, nxt = plain[-2], plain[-1]
        if st.replay_window:  # xfrm_replay_advance: nothing is kept with replay-window 0
            if seq > st.seq:
                st.bitmap = ((st.bitmap << (seq - st.seq)) | 1) & ((1 << 32) - 1)
                st.seq = seq
        payload = plain[: len(plain) - 2 - pad_len]
        st.bytes += 20 + len(payload)
        st.packets += 1
        st.use_time = self._now_s()
        pkt.hop(self.ns.where, "", "esp-decrypt", f"spi 0x{spi:08x} seq {seq}")
        return nxt, payload
