"""Declarative checks, judged on the live engine state (not on text).

Why state: a learner may reach a goal by another route than the lesson's
(``docker service update --replicas 3`` instead of ``scale``), and output
text changes with widths and timings; the model's objects do not lie. Each
check returns ``(passed, message)``; a failure says what was expected *and
what the state is* ("expected service test to have 3 running tasks; it has 2
(test.3 is Preparing on ip-10-0-2-253)"), so the message itself is the hint.

``ping_succeeds`` and ``http_reaches`` really run the traffic in the engine
(through :attr:`CheckContext.run` / the HTTP client), so they change the lab
the way a learner's own ping would; a session replays them in order to keep
its replay exact. ``output_matches`` reads the last command's output and is a
last resort.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from tui.engine.addr import int_to_ip, ip_to_int
from tui.lesson.model import (
    AllCheck,
    AnyCheck,
    Captured,
    ContainerHasInterface,
    HttpReaches,
    IptablesRule,
    NetworkExists,
    NodeAvailability,
    NotCheck,
    OutputMatches,
    PingSucceeds,
    RouteExists,
    ServiceReplicas,
)

if TYPE_CHECKING:
    from tui.engine.host import Host
    from tui.engine.lab import Lab


class CheckResult(NamedTuple):
    """``(passed, message)``; unpacks like a tuple."""

    passed: bool
    message: str


@dataclass
class CheckContext:
    """What checks may look at: the lab, the session's captures, the last output, and a way to run commands.

    ``run(host, line)`` runs a command line on a host outside the learner's
    terminal and returns ``(status, output)``; ``since`` is the virtual time the
    current step began (``captured`` counts packets from then on).
    """

    lab: Lab
    lang: str = "en"
    captures: Sequence[Any] = ()
    since: int = 0
    last_output: str = ""
    run: Callable[[str, str], tuple[int, str]] | None = None


# ---- messages ----------------------------------------------------------------------------------

MESSAGES: dict[str, tuple[str, str]] = {
    "replicas_ok": ("service {service} has {running} running tasks",
                    "服务 {service} 有 {running} 个运行中的任务"),
    "replicas_want": ("expected service {service} to have {running} running tasks; it has {have}{detail}",
                      "期望服务 {service} 有 {running} 个运行中的任务，实际是 {have} 个{detail}"),
    "desired_want": ("expected service {service} to want {desired} replicas; it wants {have}",
                     "期望服务 {service} 的期望副本数是 {desired}，实际是 {have}"),
    "no_swarm": ("expected {what}; this lab has no swarm yet (run docker swarm init)",
                 "期望{what}；但当前实验环境还没有 swarm（先运行 docker swarm init）"),
    "what_replicas": ("service {service} to have {running} running tasks", "服务 {service} 有 {running} 个运行中的任务"),
    "what_node": ("node {node} to be {want}", "节点 {node} 的可用性是 {want}"),
    "no_service": ("expected service {service} to have {running} running tasks; there is no service {service}{have}",
                   "期望服务 {service} 有 {running} 个运行中的任务；但不存在服务 {service}{have}"),
    "services_are": (" (services: {names})", "（现有服务：{names}）"),
    "task_state": ("{task} is {state} on {node}", "{task} 在 {node} 上处于 {state} 状态"),
    "no_container": ("expected a container {ref}{on}; there is none{running}",
                     "期望存在容器 {ref}{on}；但没有找到{running}"),
    "on_host": (" on {host}", "（在 {host} 上）"),
    "containers_are": (" (running there: {names})", "（正在运行的：{names}）"),
    "iface_ok": ("{container} has {iface}", "{container} 有 {iface}"),
    "iface_want": ("expected {container} to have an interface{want}; it has {have}",
                   "期望 {container} 有一块网卡{want}；它实际有：{have}"),
    "iface_none": ("no interfaces but lo", "除 lo 外没有网卡"),
    "on_network": (" on {network}", "连在 {network} 上"),
    "with_mtu": (" with mtu {mtu}", "，mtu 为 {mtu}"),
    "named": (" named {iface}", "，名为 {iface}"),
    "addr_in": (" with an address in {cidr}", "，地址在 {cidr} 内"),
    "route_ok": ("{where} has a route {route}", "{where} 有路由 {route}"),
    "route_want": ("expected a route {want} in {where}; its routes are: {have}",
                   "期望 {where} 中有路由 {want}；它的路由表是：{have}"),
    "no_routes": ("none", "无"),
    "no_namespace": ("expected namespace {ns} on {host}; it does not exist{have}",
                     "期望 {host} 上有网络命名空间 {ns}；但它不存在{have}"),
    "ns_are": (" (namespaces: {names})", "（现有：{names}）"),
    "captured_ok": ("{n} packets matching {filter} were captured on {host} {iface}",
                    "在 {host} 的 {iface} 上抓到了 {n} 个匹配 {filter} 的包"),
    "captured_want": ("expected {want} packets matching {filter} captured on {host} {iface} in this step; "
                      "the session's captures saw {n}{detail}",
                      "期望本步骤在 {host} 的 {iface} 上抓到 {want} 个匹配 {filter} 的包；实际抓到 {n} 个{detail}"),
    "exactly": ("exactly {n}", "正好 {n}"),
    "at_least": ("at least {n}", "至少 {n}"),
    "no_capture_there": (" (no capture ran on {host} {iface}: start tcpdump -i {iface} there)",
                         "（{host} 的 {iface} 上没有运行抓包：先在那里运行 tcpdump -i {iface}）"),
    "any_filter": ("any filter", "任意条件"),
    "ping_ok": ("ping from {src} to {dst} succeeded", "从 {src} ping {dst} 成功"),
    "ping_fail": ("expected ping from {src} to {dst} to succeed; it did not: {why}",
                  "期望从 {src} ping {dst} 能通；实际不通：{why}"),
    "http_ok": ("{url} answered {status} to {src}", "{src} 访问 {url} 得到了 {status} 响应"),
    "http_fail": ("expected {url} to answer {src}; it did not: {why}",
                  "期望 {src} 能访问 {url}；实际失败：{why}"),
    "http_body": ("expected the answer of {url} to {src} to contain {text!r}; it did not (status {status}, "
                  "{size} bytes)",
                  "期望 {src} 访问 {url} 得到的内容包含 {text!r}；实际不包含（状态 {status}，{size} 字节）"),
    "no_client": ("the engine has no HTTP client yet", "引擎还没有 HTTP 客户端"),
    "net_ok": ("network {name} exists{where} ({driver}, {scope})", "网络 {name} 存在{where}（{driver}，{scope}）"),
    "net_missing": ("expected network {name}{props}{where}; there is none (networks: {have})",
                    "期望存在网络 {name}{props}{where}；但没有找到（现有网络：{have}）"),
    "net_props": ("expected network {name}{props}{where}; it has driver {driver} and scope {scope}",
                  "期望网络 {name}{props}{where}；它的 driver 是 {driver}，scope 是 {scope}"),
    "no_docker": ("expected {what}; {host} runs no Docker", "期望{what}；但 {host} 上没有 Docker"),
    "node_ok": ("node {node} is {availability}", "节点 {node} 的可用性是 {availability}"),
    "node_want": ("expected node {node} to be {want}; it is {have}", "期望节点 {node} 的可用性是 {want}；实际是 {have}"),
    "no_node": ("expected node {node} to be {want}; the swarm has no such node (nodes: {have})",
                "期望节点 {node} 的可用性是 {want}；但 swarm 中没有这个节点（现有节点：{have}）"),
    "rule_ok": ("{table} {chain} on {where} has {rule}", "{where} 的 {table} 表 {chain} 链中有规则 {rule}"),
    "rule_want": ("expected a rule containing {want!r} in {table} {chain} on {where}; {have}",
                  "期望 {where} 的 {table} 表 {chain} 链中有包含 {want!r} 的规则；{have}"),
    "rules_are": ("its rules are: {rules}", "现有规则：{rules}"),
    "chain_empty": ("the chain has no rules (policy {policy})", "该链没有规则（默认策略 {policy}）"),
    "no_chain": ("there is no chain {chain} in table {table}", "{table} 表中没有 {chain} 链"),
    "output_ok": ("the last output matches /{regex}/", "上一条命令的输出匹配 /{regex}/"),
    "output_want": ("expected the last command's output to match /{regex}/; it does not{last}",
                    "期望上一条命令的输出匹配 /{regex}/；实际不匹配{last}"),
    "output_last": (" (its last line: {line!r})", "（最后一行：{line!r}）"),
    "output_none": (" (no command has run yet)", "（还没有运行过命令）"),
    "all_ok": ("all {n} checks hold", "{n} 项检查全部通过"),
    "any_fail": ("expected one of these to hold, none does: {msgs}", "期望以下任意一项成立，但都不成立：{msgs}"),
    "not_fail": ("expected this not to hold, but it does: {msg}", "期望以下情况不成立，但它成立了：{msg}"),
    "not_ok": ("as expected, this does not hold: {msg}", "符合预期，以下情况不成立：{msg}"),
    "no_host": ("expected {what}; the lab has no host {host}", "期望{what}；但实验环境里没有主机 {host}"),
    "cannot_run": ("this check cannot run commands here", "此处的检查无法运行命令"),
}


def msg(lang: str, key: str, **kw: Any) -> str:
    """A message in ``lang`` (English when the catalogue has no such language)."""
    en, zh = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**kw)


# ---- engine lookups ----------------------------------------------------------------------------


def clusters(lab: Lab) -> list[Any]:
    return list(lab.swarms)


def _daemon(host: Host | None) -> Any:
    return getattr(host, "docker", None) if host is not None else None


def find_containers(lab: Lab, ref: str, host: str | None = None) -> list[tuple[str, Any]]:
    """Containers that ``ref`` names: exact name or id, a service task (``test.1``), a service, an id prefix.

    Running containers come first; the first category that matches wins (an
    exact name beats a prefix), on ``host`` or on every host.
    """
    names = [host] if host is not None else list(lab.hosts)
    tiers: list[list[tuple[str, Any]]] = [[], [], [], [], []]
    for name in names:
        daemon = _daemon(lab.hosts.get(name))
        if daemon is None:
            continue
        for c in daemon.containers.values():
            task = getattr(c, "task", None)
            if ref in (c.name, c.id):
                tiers[0].append((name, c))
            elif task is not None and task.desired == "running" and ref == f"{task.service.name}.{task.slot}":
                tiers[1].append((name, c))
            elif task is not None and task.desired == "running" and ref == task.service.name:
                tiers[2].append((name, c))
            elif c.id.startswith(ref):
                tiers[3].append((name, c))
            elif c.name.startswith(ref + "."):
                tiers[4].append((name, c))
    for tier in tiers:
        if tier:
            return sorted(tier, key=lambda hc: (not hc[1].running, _slot(hc[1]), hc[0]))
    return []


def _slot(c: Any) -> int:
    task = getattr(c, "task", None)
    return int(getattr(task, "slot", 0) or 0)


def container_label(c: Any) -> str:
    """How messages name a container: ``test.1 (d7622c12b29c)`` or ``web (3f2a...)``."""
    task = getattr(c, "task", None)
    name = f"{task.service.name}.{task.slot}" if task is not None else c.name
    return f"{name} ({c.id[:12]})"


def _running_names(lab: Lab, host: str | None) -> str:
    names = []
    for name in ([host] if host else list(lab.hosts)):
        daemon = _daemon(lab.hosts.get(name))
        if daemon is not None:
            names += [c.name for c in daemon.containers.values() if c.running]
    return ", ".join(sorted(names)[:8])


# ---- the checks --------------------------------------------------------------------------------


def evaluate(check: Any, ctx: CheckContext) -> CheckResult:
    """Judge one check (a parsed ``Check`` of the lesson model) against the lab now."""
    if isinstance(check, AllCheck):
        results = [evaluate(c, ctx) for c in check.all]
        failed = [r for r in results if not r.passed]
        if failed:
            return CheckResult(False, failed[0].message)
        return CheckResult(True, msg(ctx.lang, "all_ok", n=len(results)))
    if isinstance(check, AnyCheck):
        results = []
        for c in check.any:
            r = evaluate(c, ctx)
            if r.passed:
                return r
            results.append(r)
        return CheckResult(False, msg(ctx.lang, "any_fail", msgs="; ".join(r.message for r in results)))
    if isinstance(check, NotCheck):
        r = evaluate(check.not_, ctx)
        if r.passed:
            return CheckResult(False, msg(ctx.lang, "not_fail", msg=r.message))
        return CheckResult(True, msg(ctx.lang, "not_ok", msg=r.message))
    args = check.args
    fn = _CHECKS.get(type(args))
    if fn is None:  # pragma: no cover - every model type has a function
        raise TypeError(f"no evaluator for {type(args).__name__}")
    try:
        return fn(args, ctx)
    except Exception as err:  # a check must report, never take the session down
        return CheckResult(False, f"{check.type}: {type(err).__name__}: {err}")


def evaluate_all(checks: Sequence[Any], ctx: CheckContext) -> CheckResult:
    """All checks in order: the first failure's message, or a summary when every one holds."""
    results = [evaluate(c, ctx) for c in checks]
    failed = [r for r in results if not r.passed]
    if failed:
        return CheckResult(False, failed[0].message)
    if len(results) == 1:
        return results[0]
    return CheckResult(True, msg(ctx.lang, "all_ok", n=len(results)))


def _service_replicas(a: ServiceReplicas, ctx: CheckContext) -> CheckResult:
    lang = ctx.lang
    cs = clusters(ctx.lab)
    if not cs:
        what = msg(lang, "what_replicas", service=a.service, running=a.running)
        return CheckResult(False, msg(lang, "no_swarm", what=what))
    cluster = cs[0]
    svc = cluster.find_service(a.service)
    if svc is None:
        names = sorted(s.name for s in cluster.services.values())
        have = msg(lang, "services_are", names=", ".join(names)) if names else ""
        return CheckResult(False, msg(lang, "no_service", service=a.service, running=a.running, have=have))
    if a.desired is not None:
        want = cluster.desired_count(svc)
        if want != a.desired:
            return CheckResult(False, msg(lang, "desired_want", service=a.service, desired=a.desired, have=want))
    have = cluster.running_count(svc)
    if have != a.running:
        pending = [t for t in sorted(svc.tasks, key=lambda t: (t.slot, t.created_ns))
                   if t.desired == "running" and t.state != "running"]
        parts = []
        for t in pending[:4]:
            node = cluster.nodes.get(t.node_id)
            parts.append(msg(lang, "task_state", task=t.name, state=t.state.capitalize(),
                             node=node.hostname if node is not None else "-"))
        detail = ""
        if parts:
            detail = f" ({'; '.join(parts)})" if lang != "zh" else f"（{'；'.join(parts)}）"
        return CheckResult(False, msg(lang, "replicas_want", service=a.service, running=a.running, have=have,
                                      detail=detail))
    return CheckResult(True, msg(lang, "replicas_ok", service=a.service, running=have))


def _network_of(c: Any, link: Any) -> str:
    for ep in getattr(c, "endpoints", []):
        if ep.iface is link:
            return str(ep.network.name)
    return ""


def _container_has_interface(a: ContainerHasInterface, ctx: CheckContext) -> CheckResult:
    lang = ctx.lang
    if a.host is not None and a.host not in ctx.lab.hosts:
        return CheckResult(False, msg(lang, "no_host", what=a.container, host=a.host))
    found = find_containers(ctx.lab, a.container, a.host)
    if not found or found[0][1].sandbox is None:
        on = msg(lang, "on_host", host=a.host) if a.host else ""
        running = _running_names(ctx.lab, a.host)
        return CheckResult(False, msg(lang, "no_container", ref=a.container, on=on,
                                      running=msg(lang, "containers_are", names=running) if running else ""))
    _host, c = found[0]
    ns = c.sandbox.netns
    cidr = ipaddress.IPv4Network(a.address_in, strict=False) if a.address_in else None
    described = []
    for link in sorted(ns.links.values(), key=lambda lk: lk.ifindex):
        if link.name == "lo":
            continue
        network = _network_of(c, link)
        addrs = [f"{int_to_ip(x.addr)}/{x.plen}" for x in link.addrs]
        ok = ((a.network is None or network == a.network) and (a.mtu is None or link.mtu == a.mtu)
              and (a.iface is None or link.name == a.iface)
              and (cidr is None or any(ipaddress.IPv4Address(x.addr) in cidr for x in link.addrs)))
        on = f" on {network}" if network and lang != "zh" else (f"（{network}）" if network else "")
        text = f"{link.name}{on} ({', '.join(addrs) or 'no address'}, mtu {link.mtu})"
        if ok:
            return CheckResult(True, msg(lang, "iface_ok", container=container_label(c), iface=text))
        described.append(text)
    want = ""
    if a.iface:
        want += msg(lang, "named", iface=a.iface)
    if a.network:
        want += msg(lang, "on_network", network=a.network)
    if a.mtu:
        want += msg(lang, "with_mtu", mtu=a.mtu)
    if a.address_in:
        want += msg(lang, "addr_in", cidr=a.address_in)
    have = ", ".join(described) if described else msg(lang, "iface_none")
    return CheckResult(False, msg(lang, "iface_want", container=container_label(c), want=want, have=have))


def _route_text(r: Any) -> str:
    dst = "default" if r.plen == 0 and r.dst == 0 else (f"{int_to_ip(r.dst)}/{r.plen}" if r.plen != 32 else int_to_ip(r.dst))
    out = dst
    if r.via is not None:
        out += f" via {int_to_ip(r.via)}"
    if r.dev:
        out += f" dev {r.dev}"
    return out


def _place(ctx: CheckContext, host: str, container: str | None, namespace: str | None,
           what: str) -> tuple[Any, str] | CheckResult:
    """The namespace a check looks into, and how messages name it (or the failure)."""
    lang = ctx.lang
    h = ctx.lab.hosts.get(host)
    if h is None:
        return CheckResult(False, msg(lang, "no_host", what=what, host=host))
    if container is not None:
        found = find_containers(ctx.lab, container, host)
        if not found or found[0][1].sandbox is None:
            running = _running_names(ctx.lab, host)
            return CheckResult(False, msg(lang, "no_container", ref=container, on=msg(lang, "on_host", host=host),
                                          running=msg(lang, "containers_are", names=running) if running else ""))
        c = found[0][1]
        return c.sandbox.netns, f"{container_label(c)} on {host}" if lang != "zh" else f"{host} 上的 {container_label(c)}"
    if namespace is not None:
        # `ip netns` names, and Docker's own (`ingress_sbox`, `lb_<id9>`, `1-<id10>`, a sandbox key);
        # a prefix of a Docker name is enough (`1-lr7ug`)
        docker_ns = h.docker_netns
        ns = h.netns_by_name.get(namespace) or docker_ns.get(namespace)
        if ns is None:
            hits = [n for k, n in docker_ns.items() if k.startswith(namespace)]
            ns = hits[0] if len(hits) == 1 else None
        if ns is None:
            names = ", ".join(sorted([*h.netns_by_name, *docker_ns]))
            return CheckResult(False, msg(lang, "no_namespace", ns=namespace, host=host,
                                          have=msg(lang, "ns_are", names=names) if names else ""))
        return ns, f"namespace {namespace} on {host}" if lang != "zh" else f"{host} 上的命名空间 {namespace}"
    return h.root_ns, host


def _route_exists(a: RouteExists, ctx: CheckContext) -> CheckResult:
    lang = ctx.lang
    want = a.dst + (f" via {a.via}" if a.via else "") + (f" dev {a.dev}" if a.dev else "")
    place = _place(ctx, a.host, a.container, a.namespace, f"route {want}")
    if isinstance(place, CheckResult):
        return place
    ns, where = place
    if a.dst == "default":
        net, plen = 0, 0
    else:
        n = ipaddress.IPv4Network(a.dst, strict=False)
        net, plen = int(n.network_address), n.prefixlen
    via = ip_to_int(a.via) if a.via else None
    routes = list(ns.routes.routes())
    for r in routes:
        if r.dst == net and r.plen == plen and (via is None or r.via == via) and (a.dev is None or r.dev == a.dev):
            return CheckResult(True, msg(lang, "route_ok", where=where, route=_route_text(r)))
    have = "; ".join(_route_text(r) for r in routes) or msg(lang, "no_routes")
    return CheckResult(False, msg(lang, "route_want", want=want, where=where, have=have))


def _captured(a: Captured, ctx: CheckContext) -> CheckResult:
    from tui.engine.bpf import compile_filter

    lang = ctx.lang
    filt = compile_filter(a.filter) if a.filter.strip() else None
    seen: set[tuple[int, int]] = set()
    n = 0
    watched = False
    prefix = f"{a.host}/"
    for cap in ctx.captures:
        ns = getattr(cap, "ns", None)
        if ns is not None and getattr(ns, "where", "").startswith(prefix) and getattr(cap, "dev", None) in (a.iface, None):
            watched = True
        for rec in list(getattr(cap, "records", ())):
            if rec.t < ctx.since or rec.dev != a.iface or not rec.where.startswith(prefix):
                continue
            key = (id(rec.trace), rec.trace_pos)
            if key in seen:
                continue
            seen.add(key)
            if filt is None or filt(rec.data):
                n += 1
    shown_filter = repr(a.filter) if a.filter.strip() else msg(lang, "any_filter")
    if a.count is not None:
        ok, want = n == a.count, msg(lang, "exactly", n=a.count)
    else:
        least = 1 if a.min is None else a.min
        ok, want = n >= least, msg(lang, "at_least", n=least)
    if ok:
        return CheckResult(True, msg(lang, "captured_ok", n=n, filter=shown_filter, host=a.host, iface=a.iface))
    detail = "" if watched else msg(lang, "no_capture_there", host=a.host, iface=a.iface)
    return CheckResult(False, msg(lang, "captured_want", want=want, filter=shown_filter, host=a.host,
                                  iface=a.iface, n=n, detail=detail))


def _origin(ctx: CheckContext, host: str, ref: str) -> tuple[str, Any, str] | CheckResult:
    """(command prefix, sandbox, label) for a ``from``: the host, a named namespace or a container."""
    lang = ctx.lang
    h = ctx.lab.hosts.get(host)
    if h is None:
        return CheckResult(False, msg(lang, "no_host", what=ref, host=host))
    if ref in ("host", host):
        return "", h, host
    explicit_ns = ref.startswith("netns:")
    name = ref.removeprefix("netns:").removeprefix("container:")
    if not ref.startswith("container:") and name in h.netns_by_name:
        from tui.shell.commands.ip import netns_sandbox

        label = f"namespace {name} on {host}" if lang != "zh" else f"{host} 上的命名空间 {name}"
        return f"ip netns exec {shlex.quote(name)} ", netns_sandbox(h, h.netns_by_name[name]), label
    if explicit_ns:
        names = ", ".join(sorted(h.netns_by_name))
        return CheckResult(False, msg(lang, "no_namespace", ns=name, host=host,
                                      have=msg(lang, "ns_are", names=names) if names else ""))
    found = find_containers(ctx.lab, name, host)
    if not found or found[0][1].sandbox is None:
        running = _running_names(ctx.lab, host)
        return CheckResult(False, msg(lang, "no_container", ref=name, on=msg(lang, "on_host", host=host),
                                      running=msg(lang, "containers_are", names=running) if running else ""))
    c = found[0][1]
    return f"docker container exec {c.id[:12]} ", c.sandbox, container_label(c)


def _ping_succeeds(a: PingSucceeds, ctx: CheckContext) -> CheckResult:
    lang = ctx.lang
    origin = _origin(ctx, a.host, a.from_)
    if isinstance(origin, CheckResult):
        return origin
    prefix, _sandbox, label = origin
    if ctx.run is None:
        return CheckResult(False, msg(lang, "cannot_run"))
    status, output = ctx.run(a.host, f"{prefix}ping -c 1 -W 2 {shlex.quote(a.to)}")
    if status == 0:
        return CheckResult(True, msg(lang, "ping_ok", src=label, dst=a.to))
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    why = next((ln for ln in reversed(lines) if "packet" in ln and "loss" in ln), lines[-1] if lines else f"exit {status}")
    return CheckResult(False, msg(lang, "ping_fail", src=label, dst=a.to, why=why))


HTTP_ERRORS = {
    "BAD_URL": "malformed URL", "RESOLVE": "could not resolve the host name",
    "RESOLVE_TIMEOUT": "name resolution timed out", "ECONNREFUSED": "connection refused",
    "EHOSTUNREACH": "no route to host", "ENETUNREACH": "network is unreachable", "ETIMEDOUT": "connection timed out",
    "CONNECT_TIMEOUT": "connection timed out", "TIMEOUT": "the answer timed out", "ECONNRESET": "connection reset",
    "EMPTY": "empty reply", "BAD_RESPONSE": "not an HTTP response", "PARTIAL": "the answer was cut short",
}


def _http_reaches(a: HttpReaches, ctx: CheckContext) -> CheckResult:
    lang = ctx.lang
    origin = _origin(ctx, a.host, a.from_)
    if isinstance(origin, CheckResult):
        return origin
    _prefix, sandbox, label = origin
    try:
        from tui.engine.apps.http import http_get
    except ImportError:
        return CheckResult(False, msg(lang, "no_client"))
    from tui.engine.clock import SEC
    from tui.engine.process import Process

    clock = ctx.lab.clock
    box: dict[str, Any] = {}

    def client() -> Any:
        box["result"] = yield from http_get(sandbox, a.url, connect_timeout=3 * SEC, max_time=5 * SEC,
                                            headers=[("User-Agent", "curl/7.68.0"), ("Accept", "*/*")])
        return 0

    proc = Process(clock, client(), name="curl")
    proc.start(now=True)
    clock.run_until(lambda: proc.done, deadline=clock.now + 6 * SEC)
    if not proc.done:
        proc.signal(9)
    res = box.get("result")
    if res is None:
        return CheckResult(False, msg(lang, "http_fail", url=a.url, src=label, why=HTTP_ERRORS["TIMEOUT"]))
    if res.error:
        why = HTTP_ERRORS.get(res.error, res.error)
        return CheckResult(False, msg(lang, "http_fail", url=a.url, src=label, why=why))
    status = f"{res.status} {res.reason}".strip()
    if a.body_contains is not None and a.body_contains not in res.body.decode("utf-8", errors="replace"):
        return CheckResult(False, msg(lang, "http_body", url=a.url, src=label, text=a.body_contains, status=status,
                                      size=len(res.body)))
    return CheckResult(True, msg(lang, "http_ok", url=a.url, src=label, status=status))


def _network_exists(a: NetworkExists, ctx: CheckContext) -> CheckResult:
    lang = ctx.lang
    hosts = [a.host] if a.host is not None else list(ctx.lab.hosts)
    where = msg(lang, "on_host", host=a.host) if a.host else ""
    props = ""
    if a.driver:
        props += f" (driver {a.driver})" if lang != "zh" else f"（driver {a.driver}）"
    if a.scope:
        props += f" (scope {a.scope})" if lang != "zh" else f"（scope {a.scope}）"
    if a.host is not None and a.host not in ctx.lab.hosts:
        return CheckResult(False, msg(lang, "no_host", what=f"network {a.name}", host=a.host))
    names: set[str] = set()
    candidates = []
    for name in hosts:
        daemon = _daemon(ctx.lab.hosts.get(name))
        if daemon is None:
            continue
        for net in daemon.visible_networks():
            names.add(net.name)
            if net.name == a.name:
                candidates.append(net)
    if a.host is not None and _daemon(ctx.lab.hosts.get(a.host)) is None:
        return CheckResult(False, msg(lang, "no_docker", what=f"network {a.name}", host=a.host))
    for net in candidates:
        if (a.driver is None or net.driver == a.driver) and (a.scope is None or net.scope == a.scope):
            return CheckResult(True, msg(lang, "net_ok", name=a.name, where=where, driver=net.driver, scope=net.scope))
    if candidates:
        net = candidates[0]
        return CheckResult(False, msg(lang, "net_props", name=a.name, props=props, where=where, driver=net.driver,
                                      scope=net.scope))
    return CheckResult(False, msg(lang, "net_missing", name=a.name, props=props, where=where,
                                  have=", ".join(sorted(names)) or "-"))


def _node_availability(a: NodeAvailability, ctx: CheckContext) -> CheckResult:
    lang = ctx.lang
    cs = clusters(ctx.lab)
    if not cs:
        return CheckResult(False, msg(lang, "no_swarm", what=msg(lang, "what_node", node=a.node, want=a.availability)))
    node = cs[0].find_node(a.node)
    if node is None:
        have = ", ".join(sorted(n.hostname for n in cs[0].nodes.values()))
        return CheckResult(False, msg(lang, "no_node", node=a.node, want=a.availability, have=have))
    if node.availability != a.availability:
        return CheckResult(False, msg(lang, "node_want", node=a.node, want=a.availability, have=node.availability))
    return CheckResult(True, msg(lang, "node_ok", node=a.node, availability=node.availability))


def _norm(text: str) -> str:
    return " ".join(text.split())


def _iptables_rule(a: IptablesRule, ctx: CheckContext) -> CheckResult:
    lang = ctx.lang
    place = _place(ctx, a.host, None, a.namespace, f"iptables {a.table} {a.chain}")
    if isinstance(place, CheckResult):
        return place
    ns, where = place
    nf = getattr(ns, "netfilter", None)
    chain = nf.tables[a.table].chains.get(a.chain) if nf is not None else None
    if chain is None:
        return CheckResult(False, msg(lang, "rule_want", want=a.contains, table=a.table, chain=a.chain, where=where,
                                      have=msg(lang, "no_chain", chain=a.chain, table=a.table)))
    want = _norm(a.contains)
    texts = [_norm(f"-A {a.chain}{r.save_text()}") for r in chain.rules]
    for text in texts:
        if want in text:
            return CheckResult(True, msg(lang, "rule_ok", table=a.table, chain=a.chain, where=where, rule=text))
    if texts:
        have = msg(lang, "rules_are", rules="; ".join(texts[:10]))
    else:
        have = msg(lang, "chain_empty", policy=chain.policy or "-")
    return CheckResult(False, msg(lang, "rule_want", want=a.contains, table=a.table, chain=a.chain, where=where,
                                  have=have))


def _output_matches(a: OutputMatches, ctx: CheckContext) -> CheckResult:
    lang = ctx.lang
    if re.search(a.regex, ctx.last_output, re.MULTILINE):
        return CheckResult(True, msg(lang, "output_ok", regex=a.regex))
    lines = [ln for ln in ctx.last_output.splitlines() if ln.strip()]
    last = msg(lang, "output_last", line=lines[-1][:120]) if lines else msg(lang, "output_none")
    return CheckResult(False, msg(lang, "output_want", regex=a.regex, last=last))


_CHECKS: dict[type, Callable[[Any, CheckContext], CheckResult]] = {
    ServiceReplicas: _service_replicas,
    ContainerHasInterface: _container_has_interface,
    RouteExists: _route_exists,
    Captured: _captured,
    PingSucceeds: _ping_succeeds,
    HttpReaches: _http_reaches,
    NetworkExists: _network_exists,
    NodeAvailability: _node_availability,
    IptablesRule: _iptables_rule,
    OutputMatches: _output_matches,
}

__all__ = ["CheckContext", "CheckResult", "MESSAGES", "container_label", "evaluate", "evaluate_all",
           "find_containers", "msg"]
