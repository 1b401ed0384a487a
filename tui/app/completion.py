"""Tab completion for the console: commands, flags and the names the lab holds right now.

The shell's registry knows command names (and files); what a learner most
wants completed in these lessons are Docker references: container id
prefixes and names, network, service and node names, and the flags of each
``docker`` subcommand. Those live in the engine, so they are read here at the
moment Tab is pressed: nothing is cached that could go stale.

Docker's flags are not declared in a table the shell exports; each handler
passes its flag specs to ``flags.parse``. :func:`docker_flags` finds them by
calling the handler once with a recording ``parse`` (the handler stops at the
first parse call, before it touches any state), so completion follows the
CLI model instead of a second, hand-kept list.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tui.shell.interp import Shell


@dataclass(frozen=True)
class Completion:
    """What Tab offers: the candidates for the word that starts at ``start`` in the line."""

    start: int
    prefix: str
    candidates: tuple[str, ...]

    @property
    def common(self) -> str:
        """The longest common prefix of the candidates (what a first Tab inserts)."""
        if not self.candidates:
            return self.prefix
        first, last = min(self.candidates), max(self.candidates)
        n = 0
        while n < min(len(first), len(last)) and first[n] == last[n]:
            n += 1
        return first[:n]


# docker words that take a container, a network, a service or a node as their argument
_CONTAINER_CMDS = {"exec", "rm", "stop", "start", "logs", "inspect", "restart", "kill", "attach", "port", "top"}
_NETWORK_CMDS = {"inspect", "rm", "connect", "disconnect"}
_SERVICE_CMDS = {"ps", "rm", "scale", "update", "inspect", "logs"}
_NODE_CMDS = {"update", "inspect", "ps", "promote", "demote", "rm"}
_VALUE_FLAGS = {"--network": "network", "--net": "network", "-i": "iface", "--interface": "iface", "dev": "iface",
                "--name": "", "--format": "", "-f": "", "--filter": ""}
# flags whose value is one of a fixed set (docker's bash completion offers the same words)
_FLAG_CHOICES = {"--availability": ("active", "drain", "pause"), "--role": ("manager", "worker"),
                 "--mode": ("global", "replicated"), "--endpoint-mode": ("dnsrr", "vip"),
                 "--driver": ("bridge", "host", "ipvlan", "macvlan", "null", "overlay")}


class _FlagsFound(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, specs: list[Any]) -> None:
        super().__init__()
        self.specs = specs


@functools.lru_cache(maxsize=128)
def docker_flags(group: str, sub: str) -> tuple[str, ...]:
    """The long and short flags of ``docker [group] sub`` as the CLI model parses them."""
    try:
        from tui.shell.commands import docker as dmod
        from tui.shell.docker import flags as fmod
    except ImportError:  # pragma: no cover - the shell is part of the package
        return ()
    if group:
        table = dmod.GROUPS.get(group, {})
        handler = table.get(dmod.ALIASES.get((group, sub), sub))
    else:
        handler = dmod.TOP.get(sub)
    if handler is None:
        return ()

    def recorder(_args: list[str], specs: list[Any], **_kw: Any) -> Any:
        raise _FlagsFound(list(specs))

    modules = {m for m in (dmod, getattr(handler, "__module__", None)) if m is not None}
    patched: list[tuple[Any, Any]] = []
    import sys

    for m in modules:
        mod = m if not isinstance(m, str) else sys.modules.get(m)
        if mod is not None and getattr(mod, "parse", None) is fmod.parse:
            patched.append((mod, mod.parse))
            mod.parse = recorder  # type: ignore[attr-defined]
    try:
        result = handler(None, None, [])
        if hasattr(result, "send"):
            next(result)
    except _FlagsFound as found:
        names = [n for spec in found.specs for n in spec.names]
        return tuple(sorted(set(names), key=lambda n: (n.startswith("--"), n)))
    except Exception:  # a handler that needs state before parsing: no flags offered
        return ()
    finally:
        for mod, original in patched:
            mod.parse = original
    return ()


def _docker_words() -> tuple[dict[str, list[str]], list[str]]:
    from tui.shell.commands import docker as dmod

    groups = {g: sorted(set(t) | {s for (gg, s) in dmod.ALIASES if gg == g}) for g, t in dmod.GROUPS.items()}
    top = sorted(set(dmod.TOP) | set(groups))
    return groups, top


def _daemon(shell: Shell) -> Any:
    sandbox = shell.sandbox
    if hasattr(sandbox, "container"):
        return None
    return getattr(sandbox.host, "docker", None)


def _cluster(daemon: Any) -> Any:
    member = getattr(daemon, "swarm", None)
    return getattr(member, "cluster", None)


def container_refs(daemon: Any) -> list[str]:
    """Container names and short ids (what `docker exec` accepts)."""
    if daemon is None:
        return []
    out: list[str] = []
    for c in daemon.containers.values():
        out += [c.name, c.short_id]
    return out


def network_refs(daemon: Any) -> list[str]:
    if daemon is None:
        return []
    return [n.name for n in daemon.visible_networks()]


def service_refs(daemon: Any) -> list[str]:
    cluster = _cluster(daemon)
    return [s.name for s in cluster.services.values()] if cluster is not None else []


def node_refs(daemon: Any) -> list[str]:
    cluster = _cluster(daemon)
    return [n.hostname for n in cluster.nodes.values()] if cluster is not None else []


def _iface_refs(shell: Shell) -> list[str]:
    return [*shell.sandbox.netns.links, "any"]


def _lab_hosts(shell: Shell) -> list[str]:
    world = getattr(shell.lab, "world", None)
    return [h.hostname for h in shell.lab.hosts.values() if h is not world]


def _netns_names(shell: Shell) -> list[str]:
    host = shell.sandbox.host
    return [*host.netns_by_name, *host.docker_netns]


def _split(text: str) -> tuple[list[str], int]:
    """Words of the line so far and where the last (possibly empty) word starts."""
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=False)
        lexer.whitespace_split = True
        words = list(lexer)
    except ValueError:  # an open quote: fall back to plain splitting
        words = text.split()
    if not text or text[-1].isspace():
        words.append("")
        return words, len(text)
    start = len(text) - len(text.split()[-1]) if text.split() else len(text)
    return words, start


def _pick(prefix: str, names: Iterable[str]) -> list[str]:
    return sorted({n for n in names if n.startswith(prefix)})


def complete(shell: Shell, text: str) -> Completion:
    """Candidates for the last word of ``text`` in the context of the learner's shell."""
    words, start = _split(text)
    # complete only the last simple command of a pipeline or list
    for sep in ("|", "&&", "||", ";"):
        if sep in words[:-1]:
            idx = len(words) - 1 - words[::-1][1:].index(sep) - 1
            words = words[idx + 1:]
    prefix = words[-1]
    if len(words) == 1:
        return Completion(start, prefix, tuple(shell.complete(prefix)))
    cmd = words[0]
    args = words[1:-1]
    candidates = _complete_args(shell, cmd, args, prefix)
    if candidates is None:
        candidates = shell.complete(text)
    return Completion(start, prefix, tuple(candidates))


def _complete_args(shell: Shell, cmd: str, args: list[str], prefix: str) -> list[str] | None:
    prev = args[-1] if args else ""
    if cmd == "docker":
        return _complete_docker(shell, args, prefix)
    if cmd in ("ssh", "ping", "traceroute", "curl"):
        if cmd == "ssh" or not prefix.startswith("-"):
            hosts = _lab_hosts(shell)
            return _pick(prefix, hosts) if cmd == "ssh" else (_pick(prefix, hosts) or None)
    if cmd == "tcpdump" and prev in ("-i", "--interface"):
        return _pick(prefix, _iface_refs(shell))
    if cmd in ("ip", "bridge", "ethtool"):
        plain = [a for a in args if not a.startswith("-")]
        if plain[:2] == ["netns", "exec"] and len(plain) == 2:
            return _pick(prefix, shell.sandbox.host.netns_by_name)
        device_objects = ("l", "li", "lin", "link", "a", "ad", "add", "addr", "address", "n", "ne", "neigh", "fdb")
        if prev in ("dev", "master") or (len(plain) == 2 and plain[0] in device_objects
                                         and plain[1] in ("show", "set", "list", "ls", "del", "delete")):
            return _pick(prefix, shell.sandbox.netns.links)
    if cmd == "nsenter" and prefix.startswith("--net="):
        base = "--net=/var/run/docker/netns/"
        keys = shell.sandbox.host.docker_netns
        return _pick(prefix, [base + k for k in keys])
    return None


def _complete_docker(shell: Shell, args: list[str], prefix: str) -> list[str]:
    groups, top = _docker_words()
    daemon = _daemon(shell)
    if not args:
        return _pick(prefix, top)
    group = args[0] if args[0] in groups else ""
    sub = args[1] if group and len(args) > 1 else (args[0] if not group else "")
    if group and len(args) == 1:
        return _pick(prefix, groups[group])
    if prefix.startswith("-"):
        return _pick(prefix, docker_flags(group, sub))
    prev = args[-1]
    if group == "network" and sub == "create" and prev == "-d":
        prev = "--driver"  # elsewhere -d is --detach and takes no value
    if prev in _FLAG_CHOICES:
        return _pick(prefix, _FLAG_CHOICES[prev])
    kind = _VALUE_FLAGS.get(prev)
    if kind == "network":
        return _pick(prefix, network_refs(daemon))
    if kind == "":
        return []
    positional = [a for a in args[(2 if group else 1):] if not a.startswith("-")]
    sources: dict[str, Callable[[], list[str]]] = {
        "container": lambda: container_refs(daemon),
        "network": lambda: network_refs(daemon),
        "service": lambda: service_refs(daemon),
        "node": lambda: node_refs(daemon),
    }
    what = ""
    if group in ("", "container") and sub in _CONTAINER_CMDS:
        what = "container" if not (sub == "exec" and positional) else ""
    elif group == "network" and sub in _NETWORK_CMDS:
        what = "network" if not positional or sub in ("rm", "inspect") else "container"
    elif group == "service" and sub in _SERVICE_CMDS:
        what = "service"
    elif group == "node" and sub in _NODE_CMDS:
        what = "node"
    if not what:
        return []
    names = sources[what]()
    if group == "service" and sub == "scale":
        names = [f"{n}=" for n in names]
    return _pick(prefix, names)


def apply(text: str, completion: Completion) -> tuple[str, bool]:
    """The line after a Tab: (new text, whether it completed to a single candidate)."""
    cands = completion.candidates
    if not cands:
        return text, False
    head = text[: completion.start]
    if len(cands) == 1:
        word = cands[0]
        tail = "" if word.endswith(("/", "=")) else " "
        return head + word + tail, True
    common = completion.common
    if len(common) > len(completion.prefix):
        return head + common, False
    return text, False
