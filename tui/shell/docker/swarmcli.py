"""`docker swarm|node|service ...`."""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

from tui.engine.clock import MS, SEC
from tui.engine.docker.daemon import ENGINE_VERSION, Daemon, DockerError, daemon_error
from tui.engine.docker.ids import join_token_well_formed, new_swarm_id
from tui.engine.docker.images import find_image
from tui.engine.docker.ipam import ip_str
from tui.engine.docker.swarm import (
    TASK_STATES,
    PublishedPort,
    Service,
    init_swarm,
    leave_swarm,
)
from tui.engine.docker.swarmjoin import (
    JOIN_TIMEOUT,
    SWARM_CONNECT_TIMEOUT,
    no_manager_error,
    start_join,
)
from tui.engine.process import sleep_or
from tui.shell.docker.flags import F, FlagError, parse
from tui.shell.docker.humanize import ago, rfc3339nano
from tui.shell.docker.table import render_format, tabulate
from tui.shell.registry import Ctx, terminal_size


def manager(d: Daemon) -> Any:
    if d.swarm is None or not d.swarm.is_manager:
        raise daemon_error(no_manager_error(d))
    return d.swarm.cluster


def natural(s: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


# --- swarm ------------------------------------------------------------------------------------------------
def swarm_init(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    p = parse(args, [F("--advertise-addr", value=True), F("--listen-addr", value=True),
                     F("--data-path-port", value=True), F("--default-addr-pool", repeat=True),
                     F("--default-addr-pool-mask-length", value=True), F("--data-path-addr", value=True),
                     F("--autolock"), F("--force-new-cluster")])
    port = int(p.str("data_path_port") or 4789)
    if not 1024 <= port <= 49151:
        raise daemon_error(f"data path port {port} must be in the range 1024-49151")
    pools = p.list("default_addr_pool") or ["10.0.0.0/8"]
    mask = int(p.str("default_addr_pool_mask_length") or 24)
    adv = p.str("advertise_addr").split(":")[0] or None
    cluster = init_swarm(d, adv, default_pool=pools[0], mask_len=mask, data_path_port=port)
    node = d.swarm.node
    ctx.out(f"Swarm initialized: current node ({node.id}) is now a manager.\n\n"
            f"To add a worker to this swarm, run the following command:\n\n"
            f"    docker swarm join --token {cluster.worker_token} {node.addr}:2377\n\n"
            "To add a manager to this swarm, run 'docker swarm join-token manager' and follow the instructions.\n\n")
    return 0


def swarm_join_token(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.commands.docker import need_args

    p = parse(args, [F("-q", "--quiet"), F("--rotate")])
    need_args("swarm join-token", p.args, 1, "[OPTIONS] (worker|manager)", exact=True)
    role = p.args[0]
    if role not in ("worker", "manager"):
        raise DockerError(f"unknown role {role}")
    cluster = manager(d)
    token = cluster.worker_token if role == "worker" else cluster.manager_token
    if p.flag("quiet"):
        ctx.out(token + "\n")
        return 0
    ctx.out(f"To add a {role} to this swarm, run the following command:\n\n"
            f"    docker swarm join --token {token} {d.swarm.node.addr}:2377\n\n")
    return 0


def swarm_join(ctx: Ctx, d: Daemon, args: list[str]) -> Generator[Any, Any, int]:
    """Cluster.Join: start the node runner, then wait up to swarmConnectTimeout for it to be ready."""
    from tui.shell.commands.docker import need_args

    p = parse(args, [F("--token", value=True), F("--advertise-addr", value=True), F("--listen-addr", value=True),
                     F("--data-path-addr", value=True), F("--availability", value=True)])
    need_args("swarm join", p.args, 1, "[OPTIONS] HOST:PORT", exact=True)
    if not join_token_well_formed(p.str("token")):  # swarmkit parses the token before dialling the manager
        raise DockerError("Error response from daemon: invalid join token")
    attempt = start_join(d, p.str("token"), p.args[0], p.str("advertise_addr").split(":")[0] or None)
    hint = getattr(ctx.shell, "expect_until", None)
    if hint is not None:
        hint(ctx.clock.now + SWARM_CONNECT_TIMEOUT)
    err = yield sleep_or(ctx.clock, attempt.ready, SWARM_CONNECT_TIMEOUT)
    if err is None:  # the runner stays and keeps trying: docker info shows "pending"
        raise daemon_error(JOIN_TIMEOUT)
    if err:
        d.joining = None  # a first attempt that failed leaves no state (clearPersistentState)
        raise daemon_error(err)
    ctx.out(f"This node joined a swarm as a {attempt.role}.\n")
    return 0


def swarm_leave(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    p = parse(args, [F("-f", "--force")])
    leave_swarm(d, p.flag("force"))
    ctx.out("Node left the swarm.\n")
    return 0


SWARM = {"init": swarm_init, "join": swarm_join, "join-token": swarm_join_token, "leave": swarm_leave}


# --- nodes ---------------------------------------------------------------------------------------------------
def node_ls(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    p = parse(args, [F("-q", "--quiet"), F("-f", "--filter", repeat=True), F("--format", value=True)])
    c = manager(d)
    me = d.swarm.node
    nodes = sorted(c.nodes.values(), key=lambda n: natural(n.hostname))
    if p.flag("quiet"):
        ctx.out("".join(n.id + "\n" for n in nodes))
        return 0
    rows = [["ID" + "  ", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS", "ENGINE VERSION"]]
    for n in nodes:
        rows.append([n.id + (" *" if n is me else "  "), n.hostname, n.status.capitalize(),
                     n.availability.capitalize(), n.manager_status, ENGINE_VERSION])
    ctx.out(tabulate(rows))
    return 0


def node_update(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.commands.docker import need_args

    p = parse(args, [F("--availability", value=True), F("--role", value=True), F("--label-add", repeat=True),
                     F("--label-rm", repeat=True)])
    need_args("node update", p.args, 1, "[OPTIONS] NODE", exact=True)
    c = manager(d)
    node = c.find_node(p.args[0])
    if node is None:
        raise daemon_error(f"node {p.args[0]} not found")
    av = p.str("availability")
    if av:
        if av not in ("active", "pause", "drain"):
            raise DockerError(f"invalid argument \"{av}\" for \"--availability\" flag: invalid availability: {av}")
        node.availability = av
        c.reconcile()
    role = p.str("role")
    if role in ("manager", "worker"):
        node.role = role
    for lbl in p.list("label_add"):
        k, _, v = lbl.partition("=")
        node.labels[k] = v
    ctx.out(p.args[0] + "\n")
    return 0


def node_promote(ctx: Ctx, d: Daemon, args: list[str], role: str = "manager") -> int:
    c = manager(d)
    for ref in args:
        node = c.find_node(ref)
        if node is None:
            raise daemon_error(f"node {ref} not found")
        if node.role == role:
            ctx.out(f"Node {ref} is already a {role}.\n")
            continue
        node.role = role
        ctx.out(f"Node {ref} {'promoted to a manager' if role == 'manager' else 'demoted'} in the swarm.\n")
    return 0


def node_demote(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    return node_promote(ctx, d, args, "worker")


def node_inspect(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.docker.inspect import print_inspect

    p = parse(args, [F("-f", "--format", value=True), F("--pretty")])
    c = manager(d)
    refs = p.args or ["self"]
    docs = []
    for ref in refs:
        node = d.swarm.node if ref == "self" else c.find_node(ref)
        if node is None:
            raise DockerError(f"Error: No such node: {ref}")
        if p.flag("pretty"):
            ctx.out(f"ID:\t\t\t{node.id}\nHostname:\t\t{node.hostname}\nJoined at:\t\t{rfc3339nano(node.created_ns)}\n"
                    f"Status:\n State:\t\t\t{node.status.capitalize()}\n Availability:\t\t{node.availability.capitalize()}\n"
                    f" Address:\t\t{node.addr}\n")
            continue
        docs.append({"ID": node.id, "CreatedAt": rfc3339nano(node.created_ns),
                     "Spec": {"Labels": node.labels, "Role": node.role, "Availability": node.availability},
                     "Description": {"Hostname": node.hostname, "Engine": {"EngineVersion": ENGINE_VERSION}},
                     "Status": {"State": node.status, "Addr": node.addr},
                     **({"ManagerStatus": {"Leader": node.leader, "Reachability": "reachable",
                                           "Addr": f"{node.addr}:2377"}} if node.role == "manager" else {})})
    if docs:
        return print_inspect(ctx, docs, p.str("format"))
    return 0


def node_ps(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    p = parse(args, [F("--no-trunc"), F("-f", "--filter", repeat=True), F("-q", "--quiet")])
    c = manager(d)
    node = d.swarm.node if not p.args or p.args[0] == "self" else c.find_node(p.args[0])
    if node is None:
        raise daemon_error(f"node {p.args[0]} not found")
    tasks = [t for s in c.services.values() for t in s.tasks if t.node_id == node.id]
    ctx.out(task_table(ctx, c, tasks, not p.flag("no_trunc"), p.flag("quiet")))
    return 0


NODE = {"ls": node_ls, "update": node_update, "promote": node_promote, "demote": node_demote,
        "inspect": node_inspect, "ps": node_ps}


# --- services ------------------------------------------------------------------------------------------------
def parse_service_publish(spec: str) -> PublishedPort:
    if "=" in spec:
        kv = dict(part.split("=", 1) for part in spec.split(",") if "=" in part)
        return PublishedPort(int(kv.get("published", kv.get("target", "0"))), int(kv.get("target", "0")),
                             kv.get("protocol", "tcp"), kv.get("mode", "ingress"))
    proto = "tcp"
    if "/" in spec:
        spec, proto = spec.split("/", 1)
    pub, _, tgt = spec.partition(":")
    if not tgt:
        return PublishedPort(0, int(pub), proto)
    return PublishedPort(int(pub), int(tgt), proto)


SERVICE_CREATE = [F("--name", value=True), F("--replicas", value=True), F("--network", repeat=True),
                  F("-p", "--publish", repeat=True), F("--mode", value=True), F("--endpoint-mode", value=True),
                  F("-d", "--detach"), F("-q", "--quiet"), F("-e", "--env", repeat=True),
                  F("--label", "-l", repeat=True), F("--constraint", repeat=True), F("--hostname", value=True),
                  F("--with-registry-auth"), F("--no-resolve-image")]


def service_create(ctx: Ctx, d: Daemon, args: list[str]) -> Any:
    from tui.shell.commands.docker import need_args

    p = parse(args, SERVICE_CREATE, interspersed=False)
    need_args("service create", p.args, 1, "[OPTIONS] IMAGE [COMMAND] [ARG...]")
    c = manager(d)
    image_ref = p.args[0]
    img = find_image(image_ref)
    mode = p.str("mode", "replicated")
    replicas = int(p.str("replicas") or 1)
    ports = [parse_service_publish(s) for s in p.list("publish")]
    em = p.str("endpoint_mode", "vip")
    if em == "dnsrr" and any(pp.mode == "ingress" for pp in ports):
        raise daemon_error("rpc error: code = InvalidArgument desc = EndpointSpec: port published with ingress mode "
                           "can't be used with dnsrr mode")
    nets = []
    aliases: dict[str, list[str]] = {}
    for value in p.list("network"):
        ref, net_aliases = parse_network_opt(value)
        sn = c.find_network(ref)
        if sn is None:
            raise daemon_error(f"network {ref} not found")
        if sn.ingress:
            raise daemon_error("rpc error: code = InvalidArgument desc = Service cannot be explicitly attached to "
                               "the ingress network \"ingress\"")
        nets.append(sn.id)
        if net_aliases:
            aliases[sn.id] = net_aliases
    name = p.str("name") or _random_service_name(d)
    svc = Service(new_swarm_id(d.lab, "service"), name, (img.ref if img else image_ref), p.args[1:], replicas, mode=mode,
                  networks=nets, ports=ports, endpoint_mode=em, aliases=aliases)
    c.create_service(svc)
    ctx.out(svc.id + "\n")
    if p.flag("detach"):
        return 0
    return converge(ctx, d, svc, quiet=p.flag("quiet"), label=svc.id)


def parse_network_opt(value: str) -> tuple[str, list[str]]:
    """docker/cli opts.NetworkOpt.Set: `NET` or the csv form `name=NET,alias=A[,alias=B][,driver-opt=k=v]`."""
    import csv

    if not re.search(r"\w+=\w+(,\w+=\w+)*", value):
        return value, []

    def bad(msg: str) -> FlagError:
        return FlagError(f'invalid argument "{value}" for "--network" flag: {msg}')

    try:
        fields = next(csv.reader([value]))
    except (csv.Error, StopIteration):
        raise bad(f"parse error on line 1, column {len(value)}: bare \" in non-quoted-field") from None
    target, aliases = "", []
    for fld in fields:
        key, eq, val = fld.partition("=")
        if not eq or not key:
            raise bad(f"invalid field {fld}")
        key, val = key.strip(), val.strip()
        if key == "name":
            target = val
        elif key == "alias":
            aliases.append(val)
        elif key == "driver-opt":
            k, eq2, _v = val.partition("=")
            if not eq2 or not k:
                raise bad("invalid key value pair format in driver options")
        elif key not in ("ip", "ip6"):
            raise bad(f"invalid field key {key}")
    if not target:
        raise bad("network name/id is not specified")
    return target, aliases


def _random_service_name(d: Daemon) -> str:
    from tui.engine.docker.names import random_name

    return random_name(d.lab.rng, set())


def converge(ctx: Ctx, d: Daemon, svc: Service, *, quiet: bool, label: str) -> Generator[Any, Any, int]:
    """The CLI's progress monitor: wait until every task runs, then verify for 5 s; print the final TTY form."""
    c = d.swarm.cluster
    clock = ctx.clock
    waited = 0
    while not c.converged(svc):
        yield 200 * MS
        waited += 200 * MS
        if waited > 120 * SEC:
            break
    if c.converged(svc):
        yield 5 * SEC  # verify: Waiting 5 seconds to verify that tasks are stable...
    if quiet:
        return 0
    size = terminal_size(ctx)
    ctx.out(progress_text(c, svc, size[0] if size is not None else DEFAULT_WIDTH))
    del clock
    return 0


# jsonmessage.JSONProgress.width(): the terminal's width, 200 when TIOCGWINSZ fails (no terminal, size unknown)
DEFAULT_WIDTH = 200
# JSONProgress.String(): the [===>] bar only on terminals wider than this; a task line then ends after its
# state (the service progress sets HideCounts and no Start, so no counts or time are left either)
BAR_MIN_WIDTH = 110


def progress_text(c: Any, svc: Service, width: int = DEFAULT_WIDTH) -> str:
    """The service progress as a terminal of ``width`` columns shows it at the end (jsonmessage's TTY form)."""
    total = c.desired_count(svc)
    running = c.running_count(svc)
    lines = [f"overall progress: {running} out of {total} tasks "]
    if svc.mode != "global" and total <= 20:
        live = {t.slot: t for t in svc.tasks if t.desired == "running"}
        for slot in range(1, total + 1):
            t = live.get(slot)
            state = t.state if t else "new"
            if t is not None and t.error and state in ("rejected", "failed"):
                lines.append(f"{slot}/{total}: {t.error[:75]} ")
                continue
            n = int(TASK_STATES.index(state) + 1) if state in TASK_STATES else 9
            bar = ""
            if width > BAR_MIN_WIDTH:
                bar_n = min(50, int(n / 9 * 100) // 2)
                bar = "[" + "=" * bar_n + ">" + " " * (50 - bar_n) + "] "
            lines.append(f"{slot}/{total}: {state.ljust(9)} {bar}")
    lines.append("verify: Service converged " if c.converged(svc) else "verify: Detected task failure ")
    return "\n".join(lines) + "\n"


def service_ls(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    p = parse(args, [F("-q", "--quiet"), F("-f", "--filter", repeat=True), F("--format", value=True)])
    c = manager(d)
    svcs = sorted(c.services.values(), key=lambda s: natural(s.name))
    if p.flag("quiet"):
        ctx.out("".join(s.id[:12] + "\n" for s in svcs))
        return 0
    rows = []
    for s in svcs:
        ports = ", ".join(f"*:{pp.published}->{pp.target}/{pp.proto}" for pp in s.ports if pp.mode == "ingress")
        rows.append({"ID": s.id[:12], "Name": s.name, "Mode": s.mode,
                     "Replicas": f"{c.running_count(s)}/{c.desired_count(s)}", "Image": s.image, "Ports": ports})
    if p.str("format"):
        ctx.out(render_format(p.str("format"), rows, {"ID": "ID", "Name": "NAME", "Mode": "MODE",
                                                      "Replicas": "REPLICAS", "Image": "IMAGE", "Ports": "PORTS"}))
        return 0
    table = [["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"]]
    table += [[r["ID"], r["Name"], r["Mode"], r["Replicas"], r["Image"], r["Ports"]] for r in rows]
    ctx.out(tabulate(table))
    return 0


def task_table(ctx: Ctx, c: Any, tasks: list[Any], trunc: bool, quiet: bool) -> str:
    now = ctx.clock.wall_ns
    # natural order by name; the newest task of a slot first, older ones as `\_` history rows
    by_slot: dict[tuple[str, int | str], list[Any]] = {}
    for t in tasks:
        key = (t.service.name, t.slot if t.service.mode != "global" else t.node_id)
        by_slot.setdefault(key, []).append(t)
    ordered = []
    for key in sorted(by_slot, key=lambda k: (natural(k[0]), natural(str(k[1])))):
        # newest first; tasks made in the same instant keep their creation order
        group = sorted(by_slot[key], key=lambda t: (t.created_ns, t.service.tasks.index(t)), reverse=True)
        for i, t in enumerate(group):
            ordered.append((t, i > 0))
    if quiet:
        return "".join((t.id if not trunc else t.id[:12]) + "\n" for t, _ in ordered)
    rows = [["ID", "NAME", "IMAGE", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR", "PORTS"]]
    for t, history in ordered:
        node = c.nodes.get(t.node_id)
        name = (" \\_ " if history else "") + t.name
        err = f'"{t.error}"' if t.error else ""
        if len(err) > 30:
            err = err[:29] + "…"
        ports = ",".join(f"*:{pp.published}->{pp.target}/{pp.proto}" for pp in t.service.ports if pp.mode == "host")
        rows.append([t.id[:12] if trunc else t.id, name, t.service.image, node.hostname if node else t.node_id,
                     t.desired.capitalize(), f"{t.state.capitalize()} {ago(now, t.since_ns).lower()}", err, ports])
    return tabulate(rows)


def service_ps(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.commands.docker import need_args

    p = parse(args, [F("--no-trunc"), F("-f", "--filter", repeat=True), F("-q", "--quiet"), F("--no-resolve"),
                     F("--format", value=True)])
    need_args("service ps", p.args, 1, "[OPTIONS] SERVICE [SERVICE...]")
    c = manager(d)
    tasks = []
    for ref in p.args:
        svc = c.find_service(ref)
        if svc is None:
            raise DockerError(f"no such service: {ref}")
        tasks += svc.tasks
    for f in p.list("filter"):
        k, _, v = f.partition("=")
        if k == "desired-state":
            tasks = [t for t in tasks if t.desired == v or (v == "running" and t.desired == "running")]
        elif k == "node":
            tasks = [t for t in tasks if (n := c.nodes.get(t.node_id)) is not None and v in (n.hostname, n.id)]
    ctx.out(task_table(ctx, c, tasks, not p.flag("no_trunc"), p.flag("quiet")))
    return 0


def service_scale(ctx: Ctx, d: Daemon, args: list[str]) -> Any:
    from tui.shell.commands.docker import Usage, need_args

    p = parse(args, [F("-d", "--detach")])
    need_args("service scale", p.args, 1, "SERVICE=REPLICAS [SERVICE=REPLICAS...]")
    c = manager(d)
    todo = []
    for arg in p.args:
        name, eq, num = arg.partition("=")
        if not eq or not num.isdigit():
            raise Usage("service scale", f"Invalid scale specifier '{arg}'.\nSee 'docker service scale --help'.\n\n"
                        "Usage:  docker service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]\n\n"
                        "Scale one or multiple replicated services")
        svc = c.find_service(name)
        if svc is None:
            raise DockerError(f"Error response from daemon: service {name} not found")
        if svc.mode == "global":
            ctx.err("scale can only be used with replicated mode\n")
            continue
        svc.replicas = int(num)
        svc.updated_ns = ctx.clock.wall_ns
        c.reconcile()
        ctx.out(f"{name} scaled to {num}\n")
        todo.append(svc)
    if p.flag("detach"):
        return 0
    return _converge_all(ctx, d, todo)


def _converge_all(ctx: Ctx, d: Daemon, svcs: list[Service]) -> Generator[Any, Any, int]:
    for svc in svcs:
        yield from converge(ctx, d, svc, quiet=False, label=svc.name)
    return 0


def service_update(ctx: Ctx, d: Daemon, args: list[str]) -> Any:
    from tui.shell.commands.docker import need_args

    p = parse(args, [F("--replicas", value=True), F("--publish-add", repeat=True), F("--publish-rm", repeat=True),
                     F("--network-add", repeat=True), F("--network-rm", repeat=True), F("--force"), F("-d", "--detach"),
                     F("--image", value=True), F("--endpoint-mode", value=True), F("-q", "--quiet")])
    need_args("service update", p.args, 1, "[OPTIONS] SERVICE", exact=True)
    c = manager(d)
    svc = c.find_service(p.args[0])
    if svc is None:
        raise DockerError(f"Error response from daemon: service {p.args[0]} not found")
    restart = p.flag("force")
    if p.str("replicas"):
        svc.replicas = int(p.str("replicas"))
    em = p.str("endpoint_mode") or svc.endpoint_mode
    new_ports = [parse_service_publish(spec) for spec in p.list("publish_add")]
    removed = {parse_service_publish(spec).published or parse_service_publish(spec).target
               for spec in p.list("publish_rm")}
    kept = [pp for pp in svc.ports if pp.published not in removed and pp.target not in removed]
    merged = kept + [pp for pp in new_ports if not any(
        (q.published, q.proto) == (pp.published, pp.proto) for q in kept)]
    if em == "dnsrr" and any(pp.mode == "ingress" for pp in merged):
        raise daemon_error("rpc error: code = InvalidArgument desc = EndpointSpec: port published with ingress mode "
                           "can't be used with dnsrr mode")
    if merged != svc.ports or em != svc.endpoint_mode:
        for node in c.nodes.values():
            if node.daemon.swarm is not None:
                node.daemon.swarm.service_removed(svc)  # take down the old load-balancing state everywhere
        for nid, vip in list(svc.vips.items()):
            c.networks[nid].pool.release(vip)
        svc.vips.clear()
        svc.ports = merged
        svc.endpoint_mode = em
        if em == "vip":
            for nid in svc.networks:
                svc.vips[nid] = c.networks[nid].pool.allocate() or 0
            if any(pp.mode == "ingress" for pp in svc.ports):
                svc.vips[c.ingress.id] = c.ingress.pool.allocate() or 0
        restart = True
    for ref in p.list("network_rm"):
        sn = c.find_network(ref)
        if sn is not None and sn.id in svc.networks:
            svc.networks.remove(sn.id)
            vip = svc.vips.pop(sn.id, None)
            if vip:
                sn.pool.release(vip)
            restart = True
    for ref in p.list("network_add"):
        sn = c.find_network(ref)
        if sn is None:
            raise daemon_error(f"network {ref} not found")
        if sn.id not in svc.networks:
            svc.networks.append(sn.id)
            if svc.endpoint_mode == "vip":
                svc.vips[sn.id] = sn.pool.allocate() or 0
        restart = True
    if p.str("image"):
        svc.image = p.str("image")
        restart = True
    if restart:
        for t in [t for t in svc.tasks if t.desired == "running"]:
            c._shutdown_task(t, "shutdown")
    svc.updated_ns = ctx.clock.wall_ns
    c.reconcile()
    ctx.out(p.args[0] + "\n")
    if p.flag("detach"):
        return 0
    return converge(ctx, d, svc, quiet=p.flag("quiet"), label=p.args[0])


def service_rm(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.commands.docker import need_args

    need_args("service rm", args, 1, "SERVICE [SERVICE...]")
    c = manager(d)
    status = 0
    for ref in args:
        svc = c.find_service(ref)
        if svc is None:
            ctx.err(f"Error: No such service: {ref}\n")
            status = 1
            continue
        c.remove_service(svc)
        ctx.out(ref + "\n")
    return status


def service_inspect(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.docker.inspect import print_inspect

    p = parse(args, [F("-f", "--format", value=True), F("--pretty")])
    c = manager(d)
    docs = []
    for ref in p.args:
        svc = c.find_service(ref)
        if svc is None:
            ctx.err(f"Error: no such service: {ref}\n")
            return 1
        vips = [{"NetworkID": nid, "Addr": f"{ip_str(a)}/{c.networks[nid].pool.plen}"} for nid, a in svc.vips.items()]
        if p.flag("pretty"):
            ctx.out(f"\nID:\t\t{svc.id}\nName:\t\t{svc.name}\nService Mode:\t{svc.mode.capitalize()}\n"
                    f" Replicas:\t{svc.replicas}\nPlacement:\nContainerSpec:\n Image:\t\t{svc.image}\n"
                    + (f" Args:\t\t{' '.join(svc.cmd)} \n" if svc.cmd else "")
                    + "Networks: " + " ".join(c.networks[n].name for n in svc.networks) + " \n"
                    + f"Endpoint Mode:\t{svc.endpoint_mode}\n")
            continue
        docs.append({"ID": svc.id, "CreatedAt": rfc3339nano(svc.created_ns), "UpdatedAt": rfc3339nano(svc.updated_ns),
                     "Spec": {"Name": svc.name, "Labels": {}, "TaskTemplate": {"ContainerSpec": {
                         "Image": svc.image, "Args": svc.cmd}}, "Mode": {"Replicated": {"Replicas": svc.replicas}}
                         if svc.mode == "replicated" else {"Global": {}},
                         "EndpointSpec": {"Mode": svc.endpoint_mode}},
                     "Endpoint": {"Spec": {"Mode": svc.endpoint_mode},
                                  "Ports": [{"Protocol": pp.proto, "TargetPort": pp.target,
                                             "PublishedPort": pp.published, "PublishMode": pp.mode}
                                            for pp in svc.ports],
                                  "VirtualIPs": vips}})
    if docs:
        return print_inspect(ctx, docs, p.str("format"))
    return 0


def service_logs(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    p = parse(args, [F("-f", "--follow"), F("--tail", "-n", value=True), F("--raw"), F("--no-trunc")])
    c = manager(d)
    svc = c.find_service(p.args[0]) if p.args else None
    if svc is None:
        raise DockerError(f"Error: no such service: {p.args[0] if p.args else ''}")
    lines = []
    for t in svc.tasks:
        cont = t.container
        if cont is None:
            continue
        node = c.nodes.get(t.node_id)
        prefix = f"{t.name}.{t.id[:12]}@{node.hostname if node else '?'}    | "
        for ln in cont.logs:
            for piece in ln.text.splitlines():
                lines.append((ln.t, prefix + piece))
    lines.sort(key=lambda x: x[0])
    tail = p.str("tail")
    if tail.isdigit():
        lines = lines[-int(tail):]
    ctx.out("".join(text + "\n" for _, text in lines))
    return 0


SERVICE = {"create": service_create, "ls": service_ls, "ps": service_ps, "scale": service_scale,
           "update": service_update, "rm": service_rm, "inspect": service_inspect, "logs": service_logs}
