"""`docker inspect` documents: the daemon's JSON, re-indented by the CLI (4 spaces, wrapped in [ ])."""

from __future__ import annotations

from typing import Any

from tui.engine.docker.daemon import Daemon
from tui.engine.docker.ipam import ip_str
from tui.engine.docker.network import Network
from tui.shell.docker.humanize import rfc3339nano


def mac_str(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def print_inspect(ctx: Any, objs: list[dict[str, Any]], fmt: str) -> int:
    """The CLI's inspector: the daemon's JSON indented, or `-f` run on each object (missing keys are errors)."""
    from tui.shell.formats import gotemplate
    from tui.shell.formats.dockerjson import indent_json

    if fmt:
        for o in objs:
            try:
                ctx.out(gotemplate.render(fmt, o, missingkey="error") + "\n")
            except gotemplate.TemplateError as e:
                # docker/cli's inspector wraps both parse and execution errors this way
                ctx.err(f"Template parsing error: {e.go_message}\n")
                return 1
        return 0
    ctx.out(indent_json(objs))
    return 0


def network_json(d: Daemon, n: Network) -> dict[str, Any]:
    member = d.swarm
    containers: dict[str, Any] = {}
    peers = None
    sn = n.extra.get("swarm")
    if sn is not None and member is not None and sn.id in member.local_nets:
        local = member.local_nets[sn.id]
        eps = list(local.endpoints.values())
        peers = []
        for node in member.cluster.nodes.values():
            if node.daemon.swarm is not None and sn.id in node.daemon.swarm.local_nets:
                peers.append({"Name": node.peer, "IP": node.addr})
    else:
        eps = list(n.endpoints.values())
    for ep in sorted(eps, key=lambda e: e.sandbox_key):
        containers[ep.sandbox_key] = {"Name": ep.name, "EndpointID": ep.id, "MacAddress": mac_str(ep.mac),
                                      "IPv4Address": ep.ipv4, "IPv6Address": ""}
    created = n.created_ns
    if sn is not None and member is not None and sn.id in member.local_nets:
        created = member.local_nets[sn.id].created_ns
    doc: dict[str, Any] = {
        "Name": n.name,
        "Id": n.id,
        "Created": rfc3339nano(created),
        "Scope": n.scope,
        "Driver": n.driver,
        "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None if n.driver == "overlay" or n.name == "bridge" else {},
                 "Config": [{"Subnet": n.subnet, "Gateway": n.gateway}] if n.pool else []},
        "Internal": n.internal,
        "Attachable": n.attachable,
        "Ingress": n.ingress,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": dict(sorted(containers.items())),
        "Options": dict(sorted(n.options.items())),
        "Labels": dict(n.labels),
    }
    if n.name == "bridge":
        doc["IPAM"]["Options"] = None
    if peers is not None:
        doc["Peers"] = peers
    return doc


def container_json(d: Daemon, c: Any) -> dict[str, Any]:
    nets: dict[str, Any] = {}
    for ep in c.endpoints:
        net = ep.network
        nets[net.name] = {
            "IPAMConfig": None, "Links": None,
            "Aliases": list(ep.aliases) or ([c.short_id] if net.name != "bridge" else None),
            "NetworkID": net.id, "EndpointID": ep.id,
            "Gateway": net.gateway if net.driver == "bridge" else "", "IPAddress": ip_str(ep.addr),
            "IPPrefixLen": ep.plen, "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
            "MacAddress": mac_str(ep.mac), "DriverOpts": None,
        }
    state = {"Status": c.state, "Running": c.running, "Paused": False, "Restarting": False, "OOMKilled": False,
             "Dead": False, "Pid": 4242 if c.running else 0, "ExitCode": c.exit_code, "Error": "",
             "StartedAt": rfc3339nano(c.started_ns) if c.started_ns else "0001-01-01T00:00:00Z",
             "FinishedAt": rfc3339nano(c.finished_ns) if c.finished_ns else "0001-01-01T00:00:00Z"}
    return {
        "Id": c.id,
        "Created": rfc3339nano(c.created_ns),
        "Path": c.cmd[0] if c.cmd else "",
        "Args": c.cmd[1:],
        "State": state,
        "Image": "sha256:" + c.image.image_id,
        "Name": "/" + c.name,
        "HostConfig": {"NetworkMode": c.network_mode, "PortBindings": {
            f"{cp}/{pr}": [{"HostIp": "", "HostPort": str(hp)}] for hp, cp, pr in c.ports}},
        "Config": {"Hostname": c.hostname, "Image": c.image.ref if c.task else c.image.repo,
                   "Cmd": c.cmd, "Labels": dict(sorted(c.labels.items()))},
        "NetworkSettings": {
            "SandboxID": c.sandbox_id,
            "SandboxKey": f"/var/run/docker/netns/{c.sandbox_id[:12]}",
            "Ports": {f"{cp}/{pr}": [{"HostIp": "0.0.0.0", "HostPort": str(hp)}] for hp, cp, pr in c.ports},
            "Networks": nets,
        },
    }
