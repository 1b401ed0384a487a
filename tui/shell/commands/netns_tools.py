"""`sysctl` and `nsenter`: reading kernel settings and entering other network namespaces."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from tui.engine.host import SYSCTL_FILES
from tui.shell.registry import Ctx, command


@command("sysctl", tools={"gnu"}, summary="read and write kernel parameters")
def sysctl_cmd(ctx: Ctx) -> int:
    args = ctx.argv[1:]
    write = False
    quiet = False
    values_only = False
    items: list[str] = []
    for a in args:
        if a in ("-w", "--write"):
            write = True
        elif a in ("-q", "--quiet"):
            quiet = True
        elif a in ("-n", "--values"):
            values_only = True
        elif a in ("-a", "--all", "-A"):
            items.extend(SYSCTL_FILES)
        elif a.startswith("-"):
            ctx.err(f"sysctl: invalid option -- '{a.lstrip('-')[:1]}'\n")
            return 1
        else:
            items.append(a)
    status = 0
    sysctl = ctx.sandbox.netns.sysctl
    for item in items:
        key, eq, value = item.partition("=")
        key = key.replace("/", ".")
        if key not in SYSCTL_FILES:
            ctx.err(f'sysctl: cannot stat /proc/sys/{key.replace(".", "/")}: No such file or directory\n')
            status = 255
            continue
        if eq or write:
            if not eq:
                ctx.err(f'sysctl: "{item}" must be of the form name=value\n')
                status = 255
                continue
            ctx.sandbox.fs.write("/proc/sys/" + key.replace(".", "/"), value.encode())
            if not quiet:
                ctx.out(f"{key} = {value}\n")
        else:
            v = sysctl.get(key, 0)
            ctx.out(f"{v}\n" if values_only else f"{key} = {v}\n")
    return status


@command("nsenter", tools={"gnu"}, summary="run a program in another network namespace")
def nsenter_cmd(ctx: Ctx) -> Generator[Any, Any, int]:
    args = ctx.argv[1:]
    path = None
    target_pid = None
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--net="):
            path = a.split("=", 1)[1]
        elif a in ("-n", "--net") and i + 1 < len(args) and args[i + 1].startswith("/"):
            path = args[i + 1]
            i += 1
        elif a in ("-n", "--net"):
            path = path or "@pid"
        elif a.startswith("-n") and len(a) > 2:
            path = a[2:]
        elif a in ("-t", "--target") and i + 1 < len(args):
            target_pid = args[i + 1]
            i += 1
        elif a == "--":
            i += 1
            break
        elif a.startswith("-"):
            ctx.err(f"nsenter: unrecognized option '{a}'\nTry 'nsenter --help' for more information.\n")
            return 1
        else:
            break
        i += 1
    argv = args[i:]
    if path is None:
        ctx.err("nsenter: neither filename nor target pid supplied for ns/net\n")
        return 1
    ns = None
    if path == "@pid":
        finder = getattr(ctx.sandbox.host, "netns_of_pid", None)
        ns = finder(target_pid) if finder and target_pid else None
        if ns is None:
            ctx.err(f"nsenter: cannot open /proc/{target_pid}/ns/net: No such file or directory\n")
            return 1
    else:
        ns = lookup_netns_path(ctx.sandbox.host, path)
        if ns is None:
            ctx.err(f"nsenter: cannot open {path}: No such file or directory\n")
            return 1
    from tui.shell.commands.ip import netns_sandbox

    sandbox = netns_sandbox(ctx.sandbox, ns)
    if not argv:
        argv = ["bash"]

    def not_found(_: str) -> int:
        ctx.err(f"nsenter: failed to execute {argv[0]}: No such file or directory\n")
        return 127

    return (yield from ctx.shell.exec_argv(argv, sandbox=sandbox, ctx=ctx, on_not_found=not_found))


def lookup_netns_path(host: Any, path: str) -> Any:
    """Namespace files: /run/netns/NAME (ip netns) and /var/run/docker/netns/KEY (Docker's sandboxes)."""
    norm = path.rstrip("/")
    for prefix in ("/run/netns/", "/var/run/netns/"):
        if norm.startswith(prefix):
            return host.netns_by_name.get(norm[len(prefix):])
    for prefix in ("/var/run/docker/netns/", "/run/docker/netns/"):
        if norm.startswith(prefix):
            docker_ns = host.docker_netns
            return docker_ns.get(norm[len(prefix):])
    return None


@command("systemctl", tools={"gnu"}, summary="control the system and service manager")
def systemctl_cmd(ctx: Ctx) -> int:
    """Just enough systemd to stop and start the Docker daemon (a node going down)."""
    args = [a for a in ctx.argv[1:] if not a.startswith("-")]
    if len(args) < 2:
        ctx.err("Too few arguments.\n")
        return 1
    verb, unit = args[0], args[1].removesuffix(".service")
    daemon = getattr(ctx.sandbox.host, "docker", None)
    if unit != "docker" or daemon is None:
        ctx.err(f"Failed to {verb} {args[1]}.service: Unit {args[1].removesuffix('.service')}.service not found.\n")
        return 5
    if verb == "stop":
        daemon.shutdown()
        return 0
    if verb in ("start", "restart"):
        daemon.running = True
        return 0
    if verb in ("status", "is-active"):
        active = "active" if daemon.running else "inactive"
        ctx.out(f"{active}\n" if verb == "is-active" else
                f"● docker.service - Docker Application Container Engine\n     Active: {active} "
                f"({'running' if daemon.running else 'dead'})\n")
        return 0 if daemon.running else 3
    ctx.err(f"Unknown command verb {verb}.\n")
    return 1


def _listing(ctx: Ctx, path: str) -> list[str] | None:
    """Directory entries, with the namespace files the kernel model owns (`/run/netns`, Docker's netns dir)."""
    host = ctx.sandbox.host
    if path in ("/run/netns", "/var/run/netns") and ctx.sandbox is host:
        return sorted(host.netns_by_name)
    if path in ("/var/run/docker/netns", "/run/docker/netns") and ctx.sandbox is host:
        return sorted(host.docker_netns)
    fs = ctx.sandbox.fs
    if fs.is_dir(path):
        return fs.listdir(path)
    return None


@command("ls", summary="list directory contents")
def ls_cmd(ctx: Ctx) -> int:
    """A plain `ls` (names only, sorted, `-1`/`-a`/`-l` accepted): enough to find namespace files."""
    args = [a for a in ctx.argv[1:] if not a.startswith("-")]
    paths = args or [ctx.cwd]
    status = 0
    many = len(paths) > 1
    for i, raw in enumerate(paths):
        path = ctx.sandbox.fs.norm(raw, ctx.cwd)
        names = _listing(ctx, path)
        if names is None:
            if ctx.sandbox.fs.exists(path):
                ctx.out(raw + "\n")
                continue
            if ctx.sandbox.tools == "busybox":
                ctx.err(f"ls: {raw}: No such file or directory\n")
            else:
                ctx.err(f"ls: cannot access '{raw}': No such file or directory\n")
            status = 2 if ctx.sandbox.tools != "busybox" else 1
            continue
        if many:
            ctx.out(("\n" if i else "") + f"{raw}:\n")
        if names:
            ctx.out("\n".join(names) + "\n")
    return status
