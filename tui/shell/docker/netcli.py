"""`docker network ...`."""

from __future__ import annotations

from typing import Any

from tui.engine.docker.daemon import Daemon, DockerError, daemon_error
from tui.engine.docker.swarm import NOT_MANAGER
from tui.engine.docker.swarmjoin import no_manager_error
from tui.shell.docker.flags import F, parse
from tui.shell.docker.inspect import network_json, print_inspect
from tui.shell.docker.table import render_format, tabulate
from tui.shell.registry import Ctx

HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE", "IPv6": "IPV6",
           "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT"}


def _natural_key(s: str) -> list[Any]:
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def net_ls(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.commands.docker import Usage

    p = parse(args, [F("-q", "--quiet"), F("--no-trunc"), F("-f", "--filter", repeat=True), F("--format", value=True)])
    if p.args:
        raise Usage("network ls", "accepts no arguments.", "[OPTIONS]")
    nets = sorted(d.visible_networks(), key=lambda n: _natural_key(n.name))
    for f in p.list("filter"):
        k, _, v = f.partition("=")
        if k == "driver":
            nets = [n for n in nets if n.driver == v]
        elif k == "name":
            nets = [n for n in nets if v in n.name]
        elif k == "scope":
            nets = [n for n in nets if n.scope == v]
        elif k == "id":
            nets = [n for n in nets if n.id.startswith(v)]
        else:
            raise DockerError(f"Error response from daemon: Invalid filter '{k}'")
    trunc = not p.flag("no_trunc")
    rows = [{"ID": n.id[:12] if trunc else n.id, "Name": n.name, "Driver": n.driver, "Scope": n.scope,
             "IPv6": "false", "Internal": str(n.internal).lower(), "Labels": "", "CreatedAt": ""} for n in nets]
    if p.flag("quiet"):
        ctx.out("".join(r["ID"] + "\n" for r in rows))
        return 0
    if p.str("format"):
        ctx.out(render_format(p.str("format"), rows, HEADERS))
        return 0
    table = [["NETWORK ID", "NAME", "DRIVER", "SCOPE"]] + [[r["ID"], r["Name"], r["Driver"], r["Scope"]] for r in rows]
    ctx.out(tabulate(table))
    return 0


def net_create(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.commands.docker import need_args

    p = parse(args, [F("-d", "--driver", value=True), F("--attachable"), F("--subnet", repeat=True),
                     F("--gateway", repeat=True), F("-o", "--opt", repeat=True), F("--internal"),
                     F("--label", repeat=True), F("--ingress"), F("--scope", value=True), F("--ipv6")])
    need_args("network create", p.args, 1, "[OPTIONS] NETWORK", exact=True)
    name = p.args[0]
    driver = p.str("driver", "bridge")
    opts: dict[str, str] = {}
    for o in p.list("opt"):
        k, _, v = o.partition("=")
        opts[k] = v
    labels = dict(lbl.partition("=")[::2] for lbl in p.list("label"))
    subnets = p.list("subnet")
    if driver == "overlay":
        member = d.swarm
        if member is None or not member.is_manager:
            raise daemon_error(no_manager_error(d))
        mtu = int(opts.pop("com.docker.network.driver.mtu")) if "com.docker.network.driver.mtu" in opts else None
        encrypted = "encrypted" in opts
        opts.pop("encrypted", None)
        sn = member.cluster.create_network(name, subnet=subnets[0] if subnets else None,
                                           attachable=p.flag("attachable"), encrypted=encrypted, mtu=mtu,
                                           labels=labels, options=opts, ingress=p.flag("ingress"))
        if mtu is not None:
            sn.options["com.docker.network.driver.mtu"] = str(mtu)
        ctx.out(sn.id + "\n")
        return 0
    if driver != "bridge":
        raise daemon_error(f"plugin \"{driver}\" not found")
    n = d.create_bridge_network(name, subnet=subnets[0] if subnets else None, internal=p.flag("internal"),
                                attachable=p.flag("attachable"), labels=labels, options=opts)
    ctx.out(n.id + "\n")
    return 0


def net_inspect(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.commands.docker import need_args

    p = parse(args, [F("-f", "--format", value=True), F("-v", "--verbose")])
    need_args("network inspect", p.args, 1, "[OPTIONS] NETWORK [NETWORK...]")
    found = []
    missing = []
    for ref in p.args:
        n = d.find_network(ref)
        (found.append(network_json(d, n)) if n is not None else missing.append(ref))
    status = print_inspect(ctx, found, p.str("format"))
    for r in missing:
        ctx.err(f"Error: No such network: {r}\n")
        status = 1
    return status


def net_rm(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.commands.docker import need_args

    p = parse(args, [F("-f", "--force")])
    need_args("network rm", p.args, 1, "NETWORK [NETWORK...]")
    status = 0
    for ref in p.args:
        try:
            n = d.find_network(ref)
            if n is None:
                raise daemon_error(f"No such network: {ref}")
            _remove(d, n)
            ctx.out(ref + "\n")
        except DockerError as e:
            ctx.err(e.message + "\n")
            status = 1
    return status


def _remove(d: Daemon, n: Any) -> None:
    if n.name in ("bridge", "host", "none"):
        raise daemon_error(f"{n.name} is a pre-defined network and cannot be removed")
    if n.driver == "overlay":
        member = d.swarm
        if member is None or not member.is_manager:
            raise daemon_error(NOT_MANAGER)
        sn = n.extra["swarm"]
        users = [s for s in member.cluster.services.values() if sn.id in s.networks]
        if users:
            raise daemon_error(f"rpc error: code = FailedPrecondition desc = network {sn.id} is in use by service "
                               f"{users[0].id}")
        if sn.ingress:
            raise daemon_error("rpc error: code = InvalidArgument desc = ingress network cannot be removed")
        member.cluster.networks.pop(sn.id, None)
        member.cluster.subnets.release(sn.pool.network, sn.pool.plen)
        return
    if n.endpoints:
        raise daemon_error(f"error while removing network: network {n.name} id {n.id} has active endpoints")
    if n.bridge is not None:
        ns = d.host.root_ns
        from tui.shell.commands.ip import link_delete

        link_delete(ns, n.bridge)
        d.local_subnets.release(n.pool.network, n.pool.plen)
    d.networks.pop(n.id, None)


def net_connect(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.commands.docker import need_args

    p = parse(args, [F("--alias", repeat=True), F("--ip", value=True)])
    need_args("network connect", p.args, 2, "[OPTIONS] NETWORK CONTAINER", exact=True)
    n = d.find_network(p.args[0])
    if n is None:
        raise daemon_error(f"network {p.args[0]} not found")
    c = d.get_container(p.args[1])
    if any(e.network is n for e in c.endpoints):
        raise daemon_error(f"endpoint with name {c.name} already exists in network {n.name}")
    aliases = d.endpoint_aliases(c, n, p.list("alias"))
    if n.driver == "bridge":
        d.connect_bridge(c, n, f"eth{len(c.endpoints)}", default_route=False).aliases = aliases
        if n.name != "bridge":
            d.write_resolv_conf(c, embedded=True)
            d.start_embedded_dns(c)
    elif n.driver == "overlay":
        if not n.attachable:
            raise daemon_error(f"Could not attach to network {n.name}: rpc error: code = PermissionDenied desc = "
                               f"network {n.name} not manually attachable")
        d.swarm.attach_container(d, c, n).aliases = aliases
    return 0


def net_disconnect(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.commands.docker import need_args

    p = parse(args, [F("-f", "--force")])
    need_args("network disconnect", p.args, 2, "[OPTIONS] NETWORK CONTAINER", exact=True)
    n = d.find_network(p.args[0])
    if n is None:
        raise daemon_error(f"network {p.args[0]} not found")
    c = d.get_container(p.args[1])
    ep = next((e for e in c.endpoints if e.network.id == n.id), None)
    if ep is None:
        raise daemon_error(f"container {c.id} is not connected to network {n.name}")
    d.disconnect(c, ep)
    return 0


COMMANDS = {"ls": net_ls, "create": net_create, "inspect": net_inspect, "rm": net_rm, "connect": net_connect,
            "disconnect": net_disconnect}
