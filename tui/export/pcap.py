"""The session's captured packets as a classic pcap file, from the journal's packet records.

A pcap file has one link type for all its packets, but a session can capture
with several (``tcpdump -i eth0`` gives Ethernet, ``-i any`` Linux cooked
headers).  Rather than fail or silently drop packets, the file gets the link
type most packets have, and the caller gets a warning per skipped link type to
show the learner.  Packets are ordered by their capture timestamps, since two
captures running at once interleave in time and readers expect time order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from tui.engine.pcap import LINKTYPE_ETHERNET, encode_pcap, linktype_description


def render(records: list[dict[str, Any]], lang: str | None = None) -> bytes:
    """Just the pcap bytes (see :func:`to_pcap` for the warnings)."""
    del lang
    data, _warnings = to_pcap(records)
    return data


def to_pcap(records: list[dict[str, Any]]) -> tuple[bytes, list[str]]:
    """``(pcap bytes, warnings)``; the warnings say which packets are not in the file and why.

    With no packets the file is a valid, empty Ethernet capture (and a warning
    says so): an export should always open, even when there is nothing in it.
    """
    warnings: list[str] = []
    packets: list[tuple[int, int, int, bytes]] = []  # (ts_ns, order, linktype, frame)
    for n, rec in enumerate(r for r in records if isinstance(r, Mapping) and r.get("kind") == "packet"):
        try:
            frame = bytes.fromhex(str(rec.get("data", "")))
        except ValueError:
            warnings.append(f"packet {n + 1}: data is not hex; skipped")
            continue
        ts = rec.get("ts_ns")
        if not isinstance(ts, int) or isinstance(ts, bool):
            warnings.append(f"packet {n + 1}: no ts_ns timestamp; skipped")
            continue
        linktype = rec.get("linktype", LINKTYPE_ETHERNET)
        if not isinstance(linktype, int) or isinstance(linktype, bool):
            warnings.append(f"packet {n + 1}: link type {linktype!r} is not a number; skipped")
            continue
        packets.append((ts, n, linktype, frame))
    if not packets:
        warnings.append("the session captured no packets; the file is empty")
        return encode_pcap([], LINKTYPE_ETHERNET), warnings
    counts = Counter(p[2] for p in packets)
    first_seen = {lt: min(p[1] for p in packets if p[2] == lt) for lt in counts}
    # most packets wins; on a tie, the link type captured first
    linktype = min(counts, key=lambda lt: (-counts[lt], first_seen[lt]))
    for other, n in sorted(counts.items(), key=lambda kv: first_seen[kv[0]]):
        if other != linktype:
            warnings.append(
                f"skipped {n} packet{'s' if n != 1 else ''} with link type {_name(other)}: "
                f"a pcap file holds one link type, this one holds {_name(linktype)}"
            )
    kept = sorted((ts, order, frame) for ts, order, lt, frame in packets if lt == linktype)
    return encode_pcap(((ts, frame) for ts, _order, frame in kept), linktype), warnings


def _name(linktype: int) -> str:
    """``EN10MB (Ethernet)``, the words tcpdump uses, or the bare number for unknown types."""
    return linktype_description(linktype)
