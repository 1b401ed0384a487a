"""Identifiers in Docker's formats, drawn from the lab's seeded RNG (so they repeat for a seed)."""

from __future__ import annotations

import hashlib
import random

B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def hex_id(rng: random.Random) -> str:
    """64 lowercase hex characters: containers, local networks, endpoints, sandboxes."""
    while True:
        v = f"{rng.getrandbits(256):064x}"
        if not v[:12].isdigit():  # stringid avoids ids that look like numbers
            return v


def swarm_id(rng: random.Random) -> str:
    """25 base36 characters (swarmkit identity.NewID: 128 random bits, top bit set)."""
    n = rng.getrandbits(128) | (1 << 127)
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = B36[r] + out
    return out.rjust(25, "0")[-25:]


def join_token(rng: random.Random, ca_seed: str) -> str:
    """SWMTKN-1-<50 base36: digest of the root CA>-<25 base36: random secret>."""
    digest = int.from_bytes(hashlib.sha256(ca_seed.encode()).digest(), "big")
    a = ""
    while digest:
        digest, r = divmod(digest, 36)
        a = B36[r] + a
    secret = rng.getrandbits(128)
    b = ""
    while secret:
        secret, r = divmod(secret, 36)
        b = B36[r] + b
    return f"SWMTKN-1-{a.rjust(50, '0')[-50:]}-{b.rjust(25, '0')[-25:]}"


def join_token_well_formed(token: str) -> bool:
    """What swarmkit's ParseJoinToken accepts (v1 ``SWMTKN-1-<50>-<25>``, v2 ``SWMTKN-2-<0|1>-<50>-<25>``,
    base36); anything else is refused with "invalid join token" before any connection is tried."""
    parts = token.split("-")
    if len(parts) == 5 and parts[:2] == ["SWMTKN", "2"] and parts[2] in ("0", "1"):
        parts = parts[:2] + parts[3:]
    if len(parts) != 4 or parts[:2] not in (["SWMTKN", "1"], ["SWMTKN", "2"]):
        return False
    digest, secret = parts[2], parts[3]
    return (len(digest) == 50 and len(secret) == 25
            and all(c in B36 for c in digest.lower()) and all(c in B36 for c in secret.lower()))


def peer_name(rng: random.Random) -> str:
    return f"{rng.getrandbits(48):012x}"


def veth_name(rng: random.Random) -> str:
    """libnetwork names host-side veths `veth` + 7 random hex characters."""
    return "veth" + f"{rng.getrandbits(28):07x}"


def _take_pin(lab: object, kind: str) -> str:
    pins: dict[str, list[str]] = getattr(lab, "pins", {})
    queue = pins.get(kind)
    return queue.pop(0) if queue else ""


def new_hex_id(lab: object, kind: str) -> str:
    """A 64-hex id; a scenario may pin its first characters (to replay a published transcript id for id)."""
    rng = lab.rng  # type: ignore[attr-defined]
    v = hex_id(rng)
    prefix = _take_pin(lab, kind)
    return (prefix + v[len(prefix):]) if prefix else v


def new_swarm_id(lab: object, kind: str) -> str:
    rng = lab.rng  # type: ignore[attr-defined]
    v = swarm_id(rng)
    prefix = _take_pin(lab, kind)
    return (prefix + v[len(prefix):]) if prefix else v
