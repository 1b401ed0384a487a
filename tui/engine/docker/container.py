"""Containers: a sandbox (network namespace + filesystem) and a main process whose output is the log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.engine.docker.images import Image
from tui.engine.fs import FileSystem
from tui.engine.host import Sandbox

if TYPE_CHECKING:
    from tui.engine.docker.network import Endpoint
    from tui.engine.host import Host
    from tui.engine.netns import Namespace
    from tui.engine.process import Process


class ContainerSandbox(Sandbox):
    """What `docker exec` runs in: the container's namespace and files, its image's userland."""

    def __init__(self, host: Host, netns: Namespace, fs: FileSystem, hostname: str, tools: str,
                 container: Container) -> None:
        super().__init__(host, netns, fs, hostname, tools)  # type: ignore[arg-type]
        self.container = container
        self._pid = 0

    def next_pid(self) -> int:
        """Containers have their own PID namespace: small numbers (busybox ping's ICMP id is its pid)."""
        self._pid += 1
        return self._pid


@dataclass
class LogLine:
    t: int
    stream: str
    text: str


@dataclass
class Container:
    id: str
    name: str
    image: Image
    cmd: list[str]
    created_ns: int
    sandbox: ContainerSandbox | None = None
    state: str = "created"  # created | running | exited
    exit_code: int = 0
    started_ns: int = 0
    finished_ns: int = 0
    endpoints: list[Endpoint] = field(default_factory=list)
    ports: list[tuple[int, int, str]] = field(default_factory=list)  # (host port, container port, proto)
    mapped: list[Any] = field(default_factory=list)  # while running: (docker-proxy, its iptables rules) per port
    logs: list[LogLine] = field(default_factory=list)
    process: Process | None = None
    auto_remove: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    task: Any = None  # the swarm task it runs, if any
    hostname: str = ""
    sandbox_id: str = ""
    network_mode: str = "default"
    aliases: list[str] = field(default_factory=list)  # --network-alias: EndpointsConfig[network_mode].Aliases
    dns: Any = None  # the embedded DNS server of its sandbox (user-defined networks)
    app: Any = None  # the application model of images like nginx and whoami

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def running(self) -> bool:
        return self.state == "running"

    def log(self, t: int, stream: str, text: str) -> None:
        self.logs.append(LogLine(t, stream, text))
        if len(self.logs) > 5000:
            del self.logs[:1000]
