"""Machines and sandboxes: where commands run.

A :class:`Sandbox` is what a command sees: a network namespace, a
filesystem, a hostname and the flavour of its userland tools (a Debian/Ubuntu
host has iproute2 and iputils, a busybox container has busybox applets).
A :class:`Host` is a machine: a kernel with a root namespace, named
namespaces (``ip netns add``), a filesystem and processes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from tui.engine.fs import FileSystem

if TYPE_CHECKING:
    from tui.engine.lab import Lab
    from tui.engine.netns import Namespace

Tools = Literal["gnu", "busybox"]

# The /proc/sys files the model backs with namespace state (the rest do not exist).
SYSCTL_FILES = (
    "net.ipv4.ip_forward",
    "net.ipv4.ip_default_ttl",
    "net.ipv4.icmp_echo_ignore_all",
    "net.ipv4.conf.all.forwarding",
    "net.ipv6.conf.all.disable_ipv6",
    "net.ipv4.vs.conntrack",
    "net.ipv4.vs.expire_nodest_conn",
    "net.ipv4.vs.expire_quiescent_template",
    "net.ipv4.vs.conn_reuse_mode",
)


class Sandbox:
    """The environment a command runs in."""

    def __init__(self, host: Host, netns: Namespace, fs: FileSystem, hostname: str, tools: Tools) -> None:
        self.host = host
        self.netns = netns
        self.fs = fs
        self.hostname = hostname
        self.tools: Tools = tools
        self._install_proc_files()

    def _install_proc_files(self) -> None:
        self.fs.synthesize("/etc/hostname", lambda: (self.hostname + "\n").encode())
        for key in SYSCTL_FILES:
            path = "/proc/sys/" + key.replace(".", "/")
            self.fs.synthesize(path, lambda k=key: f"{int(self.netns.sysctl.get(k, 0))}\n".encode(),
                               lambda data, k=key: self._write_sysctl(k, data))

    def _write_sysctl(self, key: str, data: bytes) -> None:
        text = data.decode(errors="replace").strip()
        if text.lstrip("-").isdigit():
            self.netns.sysctl[key] = int(text)
            if key in ("net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding"):
                self.netns.sysctl["net.ipv4.ip_forward"] = self.netns.sysctl["net.ipv4.conf.all.forwarding"] = int(text)

    @property
    def lab(self) -> Lab:
        return self.host.lab


class Host(Sandbox):
    """A simulated machine (a node of the lab)."""

    def __init__(self, lab: Lab, hostname: str, *, tcpdump_version: str = "4.9.3") -> None:
        from tui.engine.netns import Namespace

        self._lab = lab
        self.netns_by_name: dict[str, Namespace] = {}
        self.docker_netns: dict[str, Namespace] = {}  # docker's sandboxes by key (/var/run/docker/netns/<key>)
        self.netns_sandboxes: dict[int, Sandbox] = {}  # id(namespace) -> the `ip netns exec` view of this host
        self.tcpdump_version = tcpdump_version
        self._pid = 1000
        self.hashrnd = lab.rng.getrandbits(32)  # the kernel's per-boot flow-hash secret
        root = Namespace(self, name="")
        super().__init__(self, root, FileSystem(), hostname, "gnu")
        self.root_ns = root
        root.refresh_where()
        self.fs.synthesize(
            "/etc/resolv.conf",
            lambda: b"nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch ec2.internal\n",
        )

    @property
    def lab(self) -> Lab:
        return self._lab

    def next_pid(self) -> int:
        self._pid += 1 + self._lab.rng.randrange(3)
        return self._pid

    def all_namespaces(self) -> list[Namespace]:
        return [self.root_ns, *self.netns_by_name.values()]
