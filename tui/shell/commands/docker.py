"""`docker`: the CLI of the simulated Docker Engine and Swarm.

Parsing and wording follow docker/cli 20.10; the state comes from the
daemon model in :mod:`tui.engine.docker`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from tui.engine.clock import MS, SEC
from tui.engine.docker.daemon import API_PREFIX, Daemon, DockerError, daemon_error
from tui.engine.docker.ipam import ip_str
from tui.shell.docker.flags import F, FlagError, Parsed, parse
from tui.shell.docker.humanize import ago, ellipsis, go_quote, human_duration
from tui.shell.docker.table import render_format, tabulate
from tui.shell.registry import Ctx, command

Handler = Callable[[Ctx, Daemon, list[str]], Any]
USAGE = "Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n"


class Usage(Exception):
    """A CLI-side error: printed as is, with cobra's `See 'docker X --help'.` hint."""

    def __init__(self, cmd: str, message: str, usage: str = "", status: int = 1) -> None:
        super().__init__(message)
        self.cmd = cmd
        self.message = message
        self.usage = usage
        self.status = status


def daemon_of(ctx: Ctx) -> Daemon | None:
    return getattr(ctx.sandbox.host, "docker", None) if not hasattr(ctx.sandbox, "container") else None


@command("docker", tools={"gnu"}, summary="the Docker CLI")
def docker_cmd(ctx: Ctx) -> Any:
    d = daemon_of(ctx)
    args = ctx.argv[1:]
    if d is None:
        ctx.err("Command 'docker' not found, but can be installed with:\n\n"
                "snap install docker         # version 20.10.24, or\napt  install docker.io     # version 20.10.25-0ubuntu1~20.04.2\n"
                "\nSee 'snap info <snapname>' for additional versions.\n")
        return 127
    while args and args[0].startswith("-"):
        if args[0] in ("-v", "--version"):
            ctx.out("Docker version 20.10.12, build e91ed57\n")
            return 0
        if args[0] in ("-h", "--help"):
            ctx.out(USAGE)
            return 0
        ctx.err(f"unknown flag: {args[0]}\nSee 'docker --help'.\n")
        return 125
    if not args:
        ctx.out(USAGE)
        return 0
    group, rest = args[0], args[1:]
    table = GROUPS.get(group)
    try:
        if table is not None:
            if not rest or rest[0] in ("-h", "--help"):
                ctx.out(f"\nUsage:  docker {group} COMMAND\n\n")
                return 0
            sub = ALIASES.get((group, rest[0]), rest[0])
            fn = table.get(sub)
            if fn is None:
                ctx.err(f"docker: '{group} {rest[0]}' is not a docker command.\nSee 'docker --help'\n")
                return 1
            result = fn(ctx, d, rest[1:])
        elif group in TOP:
            result = TOP[group](ctx, d, rest)
        else:
            ctx.err(f"docker: '{group}' is not a docker command.\nSee 'docker --help'\n")
            return 1
        if hasattr(result, "send"):
            return (yield from result)
        return result or 0
    except FlagError as e:
        name = " ".join(ctx.argv[1:3] if table is not None else ctx.argv[1:2])
        ctx.err(f"{e.message}\nSee 'docker {name} --help'.\n")
        return 125
    except Usage as e:
        if e.usage:
            ctx.err(f'"docker {e.cmd}" {e.message}\nSee \'docker {e.cmd} --help\'.\n\nUsage:  docker {e.cmd} {e.usage}\n')
        else:
            ctx.err(e.message + "\n")
        return e.status
    except DockerError as e:
        if e.notice:
            ctx.err(e.notice)
        if group == "run" or (group == "container" and rest and rest[0] == "run"):
            ctx.err(run_error_text(e))
        else:
            ctx.err(e.message + "\n")
        return e.status


def run_error_text(e: DockerError) -> str:
    """docker/cli's reportError: one final period, and the help hint unless ContainerStart failed."""
    text = "docker: " + e.message.removesuffix(".") + ".\n"
    return text if e.at_start else text + "See 'docker run --help'.\n"


def need_args(cmd: str, args: list[str], n: int, usage: str, exact: bool = False) -> None:
    if len(args) < n or (exact and len(args) != n):
        what = f"requires exactly {n} argument" + ("s" if n != 1 else "") if exact else \
            f"requires at least {n} argument" + ("s" if n != 1 else "")
        raise Usage(cmd, what + ".", usage)


# --- containers ---------------------------------------------------------------------------------------------
RUN_FLAGS = [F("-d", "--detach"), F("-i", "--interactive"), F("-t", "--tty"), F("--rm"), F("--name", value=True),
             F("--network", "--net", value=True), F("-p", "--publish", repeat=True), F("-h", "--hostname", value=True),
             F("-e", "--env", repeat=True), F("-l", "--label", repeat=True), F("--privileged"),
             F("--cap-add", repeat=True), F("--entrypoint", value=True), F("--restart", value=True),
             F("-P", "--publish-all"), F("--mac-address", value=True), F("--ip", value=True),
             F("--network-alias", "--net-alias", repeat=True)]


def parse_publish(spec: str) -> tuple[int, int, str]:
    proto = "tcp"
    if "/" in spec:
        spec, proto = spec.split("/", 1)
    parts = spec.split(":")
    try:
        if len(parts) == 1:
            return int(parts[0]), int(parts[0]), proto
        return int(parts[-2]), int(parts[-1]), proto
    except ValueError:
        raise DockerError(f'invalid argument "{spec}" for "-p, --publish" flag: Invalid containerPort: {parts[-1]}',
                          125) from None


def cmd_run(ctx: Ctx, d: Daemon, args: list[str]) -> Any:
    p = parse(args, RUN_FLAGS, interspersed=False)
    need_args("run", p.args, 1, "[OPTIONS] IMAGE [COMMAND] [ARG...]")
    image = d.image(p.args[0])
    cmd = p.args[1:] or None
    publish = [parse_publish(s) for s in p.list("publish")]
    try:
        c = d.run_container(image, name=p.str("name") or None, cmd=cmd, network=p.str("network") or None,
                            publish=publish, hostname=p.str("hostname") or None, auto_remove=p.flag("rm"),
                            aliases=p.list("network_alias"))
    except DockerError as e:
        if p.flag("detach") and getattr(e, "container_id", None):
            ctx.out(e.container_id + "\n")  # type: ignore[attr-defined] # printed while the start was on its way
        raise
    if p.flag("detach"):
        ctx.out(c.id + "\n")
        return 0
    # attached: show the main process's output until it ends
    return _follow(ctx, d, c)


def _follow(ctx: Ctx, d: Daemon, c: Any) -> Generator[Any, Any, int]:
    from tui.engine.process import Interrupted, Waiter, sleep_or

    shown = 0
    try:
        while True:
            while shown < len(c.logs):
                line = c.logs[shown]
                (ctx.out if line.stream == "stdout" else ctx.err)(line.text)
                shown += 1
            if not c.running:
                return c.exit_code
            yield sleep_or(ctx.clock, Waiter(), 50 * MS)
    except Interrupted:
        d.stop(c)
        raise


def cmd_exec(ctx: Ctx, d: Daemon, args: list[str]) -> Any:
    p = parse(args, [F("-i", "--interactive"), F("-t", "--tty"), F("-d", "--detach"), F("-e", "--env", repeat=True),
                     F("-u", "--user", value=True), F("-w", "--workdir", value=True)], interspersed=False)
    need_args("exec", p.args, 2, "[OPTIONS] CONTAINER COMMAND [ARG...]")
    c = d.get_container(p.args[0])
    if not c.running:
        raise daemon_error(f"Container {c.id} is not running")
    argv = p.args[1:]
    sandbox = c.sandbox

    def not_found(name: str) -> int:
        ctx.err(f'OCI runtime exec failed: exec failed: container_linux.go:380: starting container process caused: '
                f'exec: "{name}": executable file not found in $PATH: unknown\n')
        return 126

    if p.flag("interactive") and p.flag("tty") and len(argv) == 1 and argv[0] in ("sh", "/bin/sh", "bash", "ash"):
        ctx.shell.enter(sandbox, kind="shell")
        return 0
    return (yield from ctx.shell.exec_argv(argv, sandbox=sandbox, ctx=ctx, on_not_found=not_found))


def cmd_ps(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    p = parse(args, [F("-a", "--all"), F("-q", "--quiet"), F("--no-trunc"), F("-f", "--filter", repeat=True),
                     F("--format", value=True), F("-n", "--last", value=True), F("-l", "--latest"), F("-s", "--size")])
    now = ctx.clock.wall_ns
    cs = [c for c in d.containers.values() if p.flag("all") or c.running]
    cs.sort(key=lambda c: c.created_ns, reverse=True)
    for f in p.list("filter"):
        k, _, v = f.partition("=")
        if k == "name":
            cs = [c for c in cs if v in c.name]
        elif k == "status":
            cs = [c for c in cs if c.state == v]
        elif k == "label":
            lk, _, lv = v.partition("=")
            cs = [c for c in cs if lk in c.labels and (not lv or c.labels[lk] == lv)]
        elif k in ("id", "ancestor", "network"):
            cs = [c for c in cs if (k == "id" and c.id.startswith(v)) or (k == "ancestor" and c.image.repo == v)
                  or (k == "network" and any(e.network.name == v for e in c.endpoints))]
        else:
            raise DockerError(f"Error response from daemon: invalid filter '{k}'")
    trunc = not p.flag("no_trunc")
    rows = []
    for c in cs:
        rows.append({
            "ID": c.short_id if trunc else c.id,
            "Image": c.image.ref if c.task else c.image.repo if ":" not in c.image.repo else c.image.repo,
            "Command": go_quote(ellipsis(" ".join(c.cmd), 20) if trunc else " ".join(c.cmd)),
            "CreatedAt": "", "RunningFor": ago(now, c.created_ns), "Status": status_text(c, now),
            "Ports": ports_text(c), "Names": c.name, "Labels": ",".join(f"{k}={v}" for k, v in c.labels.items()),
            "Networks": ",".join(e.network.name for e in c.endpoints), "State": c.state,
        })
    if p.flag("quiet"):
        ctx.out("".join(r["ID"] + "\n" for r in rows))
        return 0
    fmt = p.str("format")
    if fmt:
        ctx.out(render_format(fmt, rows, PS_HEADERS))
        return 0
    table = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]]
    for r in rows:
        table.append([r["ID"], r["Image"], r["Command"], r["RunningFor"], r["Status"], r["Ports"], r["Names"]])
    ctx.out(tabulate(table))
    return 0


PS_HEADERS = {"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "RunningFor": "CREATED",
              "Status": "STATUS", "Ports": "PORTS", "Names": "NAMES", "Labels": "LABELS", "Networks": "NETWORKS",
              "State": "STATE", "CreatedAt": "CREATED AT"}


def status_text(c: Any, now: int) -> str:
    if c.state == "running":
        return "Up " + human_duration(now - c.started_ns)
    if c.state == "exited":
        return f"Exited ({c.exit_code}) " + ago(now, c.finished_ns)
    return "Created"


def ports_text(c: Any) -> str:
    if not c.running:
        return ""  # releaseNetwork drops NetworkSettings.Ports; bindings are programmed at start
    parts = [f"0.0.0.0:{hp}->{cp}/{pr}, :::{hp}->{cp}/{pr}" for hp, cp, pr in c.ports]
    exposed = [e for e in c.image.exposed if not any(f"{cp}/{pr}" == e for _, cp, pr in c.ports)]
    return ", ".join(parts + exposed)


def cmd_rm(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    p = parse(args, [F("-f", "--force"), F("-v", "--volumes"), F("-l", "--link")])
    need_args("rm", p.args, 1, "[OPTIONS] CONTAINER [CONTAINER...]")
    status = 0
    for ref in p.args:
        try:
            c = d.get_container(ref)
            d.remove(c, force=p.flag("force"))
            ctx.out(ref + "\n")
        except DockerError as e:
            ctx.err(e.message + "\n")
            status = 1
    return status


def cmd_stop(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    p = parse(args, [F("-t", "--time", value=True)])
    need_args("stop", p.args, 1, "[OPTIONS] CONTAINER [CONTAINER...]")
    for ref in p.args:
        d.stop(d.get_container(ref))
        ctx.out(ref + "\n")
    return 0


def cmd_start(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    p = parse(args, [F("-a", "--attach"), F("-i", "--interactive")])
    need_args("start", p.args, 1, "[OPTIONS] CONTAINER [CONTAINER...]")
    failed = []
    for ref in p.args:
        try:
            d.start(d.get_container(ref))
        except DockerError as e:
            ctx.err(e.message + "\n")
            failed.append(ref)
            continue
        ctx.out(ref + "\n")
    if failed:
        ctx.err(f"Error: failed to start containers: {', '.join(failed)}\n")
        return 1
    return 0


def cmd_logs(ctx: Ctx, d: Daemon, args: list[str]) -> Any:
    p = parse(args, [F("-f", "--follow"), F("--tail", "-n", value=True), F("-t", "--timestamps"),
                     F("--since", value=True)])
    need_args("logs", p.args, 1, "[OPTIONS] CONTAINER", exact=True)
    c = d.get_container(p.args[0])
    lines = c.logs
    tail = p.str("tail")
    if tail and tail != "all" and tail.isdigit():
        lines = lines[-int(tail):] if int(tail) else []
    for ln in lines:
        (ctx.out if ln.stream == "stdout" else ctx.err)(ln.text)
    if p.flag("follow"):
        return _follow_more(ctx, c, len(c.logs))
    return 0


def _follow_more(ctx: Ctx, c: Any, shown: int) -> Generator[Any, Any, int]:
    from tui.engine.process import Waiter, sleep_or

    while True:
        while shown < len(c.logs):
            ln = c.logs[shown]
            (ctx.out if ln.stream == "stdout" else ctx.err)(ln.text)
            shown += 1
        if not c.running:
            return 0
        yield sleep_or(ctx.clock, Waiter(), 100 * MS)


def cmd_images(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    parse(args, [F("-a", "--all"), F("-q", "--quiet")])
    rows = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]]
    for img in d.images_list():
        rows.append([img.repo, img.tag, img.image_id[:12], "2 weeks ago", f"{img.size / 1e6:.3g}MB"])
    ctx.out(tabulate(rows))
    return 0


def cmd_inspect(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.docker.inspect import container_json, network_json, print_inspect

    p = parse(args, [F("-f", "--format", value=True), F("--type", value=True), F("-s", "--size")])
    need_args("inspect", p.args, 1, "[OPTIONS] NAME|ID [NAME|ID...]")
    objs = []
    status = 0
    for ref in p.args:
        c = d.find_container(ref)
        if c is not None:
            objs.append(container_json(d, c))
            continue
        n = d.find_network(ref)
        if n is not None:
            objs.append(network_json(d, n))
            continue
        objs.append(None)
    missing = [r for r, o in zip(p.args, objs, strict=True) if o is None]
    status = print_inspect(ctx, [o for o in objs if o is not None], p.str("format"))
    for r in missing:
        ctx.err(f"Error: No such object: {r}\n")
        status = 1
    return status


def cmd_container_inspect(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.docker.inspect import container_json, print_inspect

    p = parse(args, [F("-f", "--format", value=True), F("-s", "--size")])
    need_args("container inspect", p.args, 1, "[OPTIONS] CONTAINER [CONTAINER...]")
    objs = []
    missing = []
    for ref in p.args:
        c = d.find_container(ref)
        if c is None:
            missing.append(ref)
        else:
            objs.append(container_json(d, c))
    status = print_inspect(ctx, objs, p.str("format"))
    for r in missing:
        ctx.err(f"Error: No such container: {r}\n")
        status = 1
    return status


def cmd_version(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    ctx.out("Client: Docker Engine - Community\n Version:           20.10.12\n API version:       1.41\n"
            " Go version:        go1.16.12\n Git commit:        e91ed57\n OS/Arch:           linux/amd64\n\n"
            "Server: Docker Engine - Community\n Engine:\n  Version:          20.10.12\n"
            "  API version:      1.41 (minimum version 1.12)\n")
    return 0


def cmd_info(ctx: Ctx, d: Daemon, args: list[str]) -> int:
    from tui.shell.docker.info import info_struct, pretty
    from tui.shell.formats import gotemplate

    p = parse(args, [F("-f", "--format", value=True)])
    if p.args:
        raise Usage("info", "accepts no arguments.", "[OPTIONS]")
    info = info_struct(d)
    fmt = p.str("format")
    if not fmt:
        ctx.out(pretty(info))
        return 0
    try:
        out, err = gotemplate.execute(fmt, info)
    except gotemplate.TemplateError as e:  # formatInfo: a StatusError with code 64
        ctx.err(f"Template parsing error: {e.go_message}\n")
        return 64
    ctx.out(out + "\n")  # written whether or not the execution failed
    if err is not None:
        ctx.err(err.go_message + "\n")
        return 1
    return 0


CONTAINER = {"run": cmd_run, "exec": cmd_exec, "ls": cmd_ps, "rm": cmd_rm, "stop": cmd_stop, "start": cmd_start,
             "logs": cmd_logs, "inspect": cmd_container_inspect}
TOP: dict[str, Handler] = {"run": cmd_run, "exec": cmd_exec, "ps": cmd_ps, "rm": cmd_rm, "stop": cmd_stop,
                           "start": cmd_start, "logs": cmd_logs, "inspect": cmd_inspect, "images": cmd_images,
                           "version": cmd_version, "info": cmd_info}
GROUPS: dict[str, dict[str, Handler]] = {"container": CONTAINER, "image": {"ls": cmd_images}}
ALIASES: dict[tuple[str, str], str] = {("container", "ps"): "ls", ("container", "list"): "ls",
                                       ("image", "list"): "ls", ("network", "list"): "ls",
                                       ("service", "list"): "ls", ("node", "list"): "ls",
                                       ("service", "remove"): "rm", ("network", "remove"): "rm",
                                       ("container", "remove"): "rm", ("node", "remove"): "rm"}


def _register_more() -> None:
    from tui.shell.docker import netcli, swarmcli

    GROUPS["network"] = netcli.COMMANDS
    GROUPS["swarm"] = swarmcli.SWARM
    GROUPS["node"] = swarmcli.NODE
    GROUPS["service"] = swarmcli.SERVICE


_register_more()


def _container_runner(d: Daemon, c: Any, argv: list[str]) -> Any:
    """Run a container's main command as a process in its sandbox; its output becomes the container log."""
    from tui.engine.process import Process
    from tui.shell.interp import Shell
    from tui.shell.terminal import Terminal

    lab = d.lab
    term = Terminal(lab.clock)
    sh = Shell(lab, d.host.hostname, terminal=term)
    sh.enter(c.sandbox, kind="shell")

    def relay(chunk: Any) -> None:
        if chunk.stream in ("out", "err"):
            c.log(lab.clock.now, "stdout" if chunk.stream == "out" else "stderr", chunk.text)

    term.subscribe(relay)
    line = " ".join(_sh_quote(a) for a in argv)
    if not argv or argv[0] in ("sh", "/bin/sh", "bash", "zsh", "ash"):
        if len(argv) <= 1:
            return None  # an interactive shell without a terminal exits at once
    sh.start_line(line)

    def body() -> Generator[Any, Any, int]:
        from tui.engine.process import Interrupted, Waiter, sleep_or

        try:
            while sh.busy:
                yield sleep_or(lab.clock, Waiter(), 200 * MS)
        except Interrupted as intr:
            sh.interrupt(intr.signal)
            return 128 + intr.signal
        status = sh.poll()  # ends the foreground job: its exit status becomes the shell's
        return sh.last_status if status is None else status

    proc = Process(lab.clock, body(), pid=1, name=line)
    proc.start(now=False)
    c.shell = sh  # type: ignore[attr-defined]
    return proc


def _sh_quote(a: str) -> str:
    if a and all(ch.isalnum() or ch in "-_./:=@%+," for ch in a):
        return a
    return "'" + a.replace("'", "'\\''") + "'"


Daemon.runner = _container_runner
__all__ = ["docker_cmd", "SEC", "API_PREFIX", "Parsed", "ip_str"]
