"""go-units HumanDuration and the time strings docker/cli builds from it."""

from __future__ import annotations


def human_duration(ns: int) -> str:
    """go-units HumanDuration (see :mod:`tui.shell.formats.units`)."""
    from tui.shell.formats.units import human_duration_ns

    return human_duration_ns(ns)


def ago(now_ns: int, then_ns: int) -> str:
    return human_duration(max(0, now_ns - then_ns)) + " ago"


def ellipsis(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def go_quote(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def rfc3339nano(ns: int) -> str:
    """Go's RFC3339Nano as the daemon prints times (see :mod:`tui.shell.formats.units`)."""
    from tui.shell.formats.units import docker_time

    return docker_time(ns)
