"""Classic pcap files (what ``tcpdump -w`` writes and ``tcpdump -r`` reads).

Plain :mod:`struct` rather than scapy: it is faster, keeps scapy out of the
datapath and gives full control over the error texts.  Files are written the way
libpcap writes them on x86: magic ``a1b2c3d4`` in host (little-endian) order,
version 2.4, microsecond timestamps, snaplen 262144.  Timestamps in the engine
are nanoseconds since the Unix epoch; they are truncated to microseconds.

Errors carry libpcap's wording, so the simulated ``tcpdump -r`` can print
``tcpdump: <message>`` (or ``tcpdump: pcap_loop: <message>`` when the damage is
after the file header, in which case the packets before it are still printed -
:attr:`PcapError.records` holds them).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

DEFAULT_SNAPLEN = 262144

# Names as `tcpdump -r` prints them after "link-type " (pcap_datalink_val_to_name/description).
LINKTYPE_NAMES: dict[int, tuple[str, str]] = {
    LINKTYPE_NULL: ("NULL", "BSD loopback"),
    LINKTYPE_ETHERNET: ("EN10MB", "Ethernet"),
    LINKTYPE_RAW: ("RAW", "Raw IP"),
    LINKTYPE_LINUX_SLL: ("LINUX_SLL", "Linux cooked v1"),
    LINKTYPE_LINUX_SLL2: ("LINUX_SLL2", "Linux cooked v2"),
}

# Linux packet types in SLL/SLL2 headers (linux/if_packet.h).
PACKET_HOST = 0
PACKET_BROADCAST = 1
PACKET_MULTICAST = 2
PACKET_OTHERHOST = 3
PACKET_OUTGOING = 4

ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772

_MAGIC_US = 0xA1B2C3D4
_MAGIC_NS = 0xA1B23C4D
_FILE_HDR_LE = struct.Struct("<IHHiIII")
_FILE_HDR_BE = struct.Struct(">IHHiIII")
_REC_LE = struct.Struct("<IIII")
_REC_BE = struct.Struct(">IIII")
_SLL2 = struct.Struct(">HHIHBB8s")


class PcapError(Exception):
    """An unreadable or damaged pcap file, with libpcap's message text.

    ``in_loop`` is True when the file header was fine and the damage came later
    (real tcpdump then prefixes ``pcap_loop: `` and has already printed
    ``records``).
    """

    def __init__(
        self,
        message: str,
        *,
        in_loop: bool = False,
        linktype: int | None = None,
        snaplen: int = 0,
        records: list[tuple[int, bytes]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.in_loop = in_loop
        self.linktype = linktype
        self.snaplen = snaplen
        self.records: list[tuple[int, bytes]] = records or []


@dataclass(slots=True)
class PcapContents:
    """Everything ``tcpdump -r`` needs: link type and snaplen for the banner, then the packets."""

    linktype: int
    snaplen: int
    records: list[tuple[int, bytes]] = field(default_factory=list)
    orig_lens: list[int] = field(default_factory=list)
    nanosecond: bool = False


def linktype_description(linktype: int) -> str:
    """``EN10MB (Ethernet)`` as in tcpdump's "reading from file ..., link-type X" line."""
    names = LINKTYPE_NAMES.get(linktype)
    return f"{names[0]} ({names[1]})" if names else str(linktype)


def file_header(linktype: int = LINKTYPE_ETHERNET, snaplen: int = DEFAULT_SNAPLEN) -> bytes:
    """The 24-byte global header."""
    return _FILE_HDR_LE.pack(_MAGIC_US, 2, 4, 0, 0, snaplen, linktype)


def record(ts_ns: int, frame: bytes, snaplen: int = DEFAULT_SNAPLEN, orig_len: int | None = None) -> bytes:
    """One packet record; frames longer than ``snaplen`` are cut like a capture would."""
    sec, usec = divmod(ts_ns // 1000, 1_000_000)
    wire = len(frame) if orig_len is None else orig_len
    if len(frame) > snaplen:
        frame = frame[:snaplen]
    return _REC_LE.pack(sec & 0xFFFFFFFF, usec, len(frame), wire) + frame


def encode_pcap(
    records: Iterable[tuple[int, bytes]],
    linktype: int = LINKTYPE_ETHERNET,
    snaplen: int = DEFAULT_SNAPLEN,
) -> bytes:
    """A whole pcap file as bytes (for the simulator's virtual filesystem)."""
    parts = [file_header(linktype, snaplen)]
    parts.extend(record(ts, fr, snaplen) for ts, fr in records)
    return b"".join(parts)


def write_pcap(
    path: str,
    records: Iterable[tuple[int, bytes]],
    linktype: int = LINKTYPE_ETHERNET,
    snaplen: int = DEFAULT_SNAPLEN,
) -> None:
    """Write ``(ts_ns, frame)`` records to a file that tcpdump, tshark and Wireshark open."""
    with open(path, "wb") as fh:
        w = PcapWriter(fh, linktype, snaplen)
        for ts, fr in records:
            w.write(ts, fr)


class PcapWriter:
    """Incremental writer, for captures that stream to a file as packets arrive."""

    def __init__(self, fh: BinaryIO, linktype: int = LINKTYPE_ETHERNET, snaplen: int = DEFAULT_SNAPLEN) -> None:
        self.fh = fh
        self.snaplen = snaplen
        fh.write(file_header(linktype, snaplen))

    def write(self, ts_ns: int, frame: bytes) -> None:
        self.fh.write(record(ts_ns, frame, self.snaplen))


def decode_pcap(data: bytes) -> PcapContents:
    """Parse a pcap file held in memory; raises :class:`PcapError` with libpcap's wording."""
    n = len(data)
    if n < 4:
        raise PcapError(f"truncated dump file; tried to read 4 file header bytes, only got {n}")
    magic_le = struct.unpack_from("<I", data)[0]
    if magic_le in (_MAGIC_US, _MAGIC_NS):
        fhdr, rhdr = _FILE_HDR_LE, _REC_LE
        magic = magic_le
    else:
        magic = struct.unpack_from(">I", data)[0]
        if magic not in (_MAGIC_US, _MAGIC_NS):
            raise PcapError("unknown file format")
        fhdr, rhdr = _FILE_HDR_BE, _REC_BE
    if n < 24:
        raise PcapError(f"truncated dump file; tried to read 24 file header bytes, only got {n - 4}")
    _m, major, minor, _zone, _sig, snaplen, linktype = fhdr.unpack_from(data)
    if major < 2:
        raise PcapError("archaic pcap savefile format")
    if (major, minor) not in ((2, 4), (2, 3), (2, 2)):
        raise PcapError(f"unsupported pcap savefile version {major}.{minor}")
    linktype &= 0x03FFFFFF  # upper bits carry FCS info, not the type
    if snaplen == 0 or snaplen > DEFAULT_SNAPLEN:
        snaplen = DEFAULT_SNAPLEN
    nano = magic == _MAGIC_NS
    out = PcapContents(linktype, snaplen, nanosecond=nano)
    recs = out.records
    lens = out.orig_lens
    unpack = rhdr.unpack_from
    p = 24
    while p < n:
        if p + 16 > n:
            raise _loop_error(f"truncated dump file; tried to read 16 header bytes, only got {n - p}", out)
        sec, frac, caplen, wire = unpack(data, p)
        p += 16
        if caplen > snaplen:
            raise _loop_error(
                f"invalid packet capture length {caplen}, bigger than snaplen of {snaplen}", out
            )
        if p + caplen > n:
            raise _loop_error(
                f"truncated dump file; tried to read {caplen} captured bytes, only got {n - p}", out
            )
        ts = sec * 1_000_000_000 + (frac if nano else frac * 1000)
        recs.append((ts, data[p : p + caplen]))
        lens.append(wire)
        p += caplen
    return out


def _loop_error(message: str, contents: PcapContents) -> PcapError:
    return PcapError(
        message,
        in_loop=True,
        linktype=contents.linktype,
        snaplen=contents.snaplen,
        records=contents.records,
    )


def read_pcap(path: str) -> tuple[int, list[tuple[int, bytes]]]:
    """``(linktype, [(ts_ns, frame), ...])`` of a pcap file; :class:`PcapError` when it is bad."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError as exc:  # fopen() succeeds, the first read fails
        raise PcapError(f"error reading dump file: {exc.strerror}") from None
    except OSError as exc:
        raise PcapError(f"{path}: {exc.strerror}") from None
    contents = decode_pcap(data)
    return contents.linktype, contents.records


def sll2_header(
    ifindex: int,
    pkttype: int,
    ethertype: int,
    src_mac: bytes,
    *,
    hatype: int = ARPHRD_ETHER,
) -> bytes:
    """20-byte LINUX_SLL2 header that ``tcpdump -i any`` puts in front of the L3 packet.

    ``pkttype`` is the direction (PACKET_HOST=In, PACKET_OUTGOING=Out, ...);
    loopback devices use ``hatype=ARPHRD_LOOPBACK`` and an all-zero address.
    """
    addr = src_mac[:8]
    return _SLL2.pack(ethertype, 0, ifindex, hatype, pkttype, len(addr), addr.ljust(8, b"\0"))


def sll2_from_ether(frame: bytes, ifindex: int, pkttype: int, *, hatype: int = ARPHRD_ETHER) -> bytes:
    """Turn an Ethernet frame into the SLL2 frame an ``any`` capture records for it."""
    src = frame[6:12]
    ethertype = (frame[12] << 8) | frame[13]
    return sll2_header(ifindex, pkttype, ethertype, src, hatype=hatype) + frame[14:]
