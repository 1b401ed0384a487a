"""IPsec ESP in transport mode, as Docker's encrypted overlays use it (only the shape is real).

Each direction between two VTEPs has a security association with its SPI and
sequence counter. The "encryption" is a keyed keystream, so the payload on
the wire is opaque and only the peer holding the SA can get the VXLAN packet
back; the header layout (SPI, sequence, 8-byte IV, padding, next header,
8-byte ICV as rfc4106(gcm(aes)) with a 64-bit ICV gives) is the real one.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.engine.clock import US

if TYPE_CHECKING:
    from tui.engine.netns import Namespace
    from tui.engine.pkt import Pkt

PROTO_ESP = 50
PROTO_UDP = 17


@dataclass
class SecurityAssociation:
    spi: int
    key: bytes
    seq: int = 0


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def spi_for(src: int, dst: int, key: bytes) -> int:
    """libnetwork derives SPIs with FNV-32a over the endpoints and the key tag."""
    return fnv32a(src.to_bytes(4, "big") + key[:4] + dst.to_bytes(4, "big")) or 1


def _keystream(key: bytes, iv: bytes, n: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(key + iv + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:n]


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


class Xfrm:
    """The namespace's SA database (`ip xfrm state`): outbound by destination, inbound by SPI."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.out: dict[tuple[int, int], SecurityAssociation] = {}
        self.inbound: dict[int, SecurityAssociation] = {}

    @classmethod
    def of(cls, ns: Namespace) -> Xfrm:
        x = getattr(ns, "xfrm", None)
        if x is None:
            x = cls(ns)
            ns.xfrm = x  # type: ignore[attr-defined]
        return x

    def install_pair(self, local: int, remote: int, key: bytes) -> None:
        self.out[(local, remote)] = SecurityAssociation(spi_for(local, remote, key), key)
        sa_in = SecurityAssociation(spi_for(remote, local, key), key)
        self.inbound[sa_in.spi] = sa_in

    def encrypt_and_send(self, pkt: Pkt, src: int, dst: int, udp_segment: bytes) -> None:
        sa = self.out.get((src, dst))
        if sa is None:
            pkt.hop(self.ns.where, "", "drop", "no IPsec SA for the peer")
            return
        sa.seq += 1
        iv = hashlib.sha256(sa.key + sa.seq.to_bytes(8, "big")).digest()[:8]
        pad_len = (4 - (len(udp_segment) + 2) % 4) % 4
        plain = udp_segment + bytes(range(1, pad_len + 1)) + bytes((pad_len, PROTO_UDP))
        cipher = _xor(plain, _keystream(sa.key, iv, len(plain)))
        icv = hashlib.sha256(sa.key + iv + cipher).digest()[:8]
        esp = struct.pack("!II", sa.spi, sa.seq) + iv + cipher + icv
        pkt.hop(self.ns.where, "", "esp-encrypt", f"spi 0x{sa.spi:08x} seq {sa.seq}")
        self.ns.ip_send(src, dst, PROTO_ESP, esp, t=pkt.t + 4 * US, trace=pkt.trace, df=False, mark=pkt.mark)

    def decrypt(self, pkt: Pkt, off: int, end: int) -> bytes | None:
        data = pkt.data
        if end - off < 16 + 8 + 2:
            return None
        spi, seq = struct.unpack_from("!II", data, off)
        sa = self.inbound.get(spi)
        if sa is None:
            pkt.hop(self.ns.where, "", "drop", f"no inbound SA for spi 0x{spi:08x}")
            return None
        iv = data[off + 8:off + 16]
        cipher = data[off + 16:end - 8]
        icv = data[end - 8:end]
        if hashlib.sha256(sa.key + iv + cipher).digest()[:8] != icv:
            pkt.hop(self.ns.where, "", "drop", "ESP integrity check failed")
            return None
        plain = _xor(cipher, _keystream(sa.key, iv, len(cipher)))
        pad_len, nxt = plain[-2], plain[-1]
        if nxt != PROTO_UDP:
            return None
        pkt.hop(self.ns.where, "", "esp-decrypt", f"spi 0x{spi:08x} seq {seq}")
        return plain[: len(plain) - 2 - pad_len]
