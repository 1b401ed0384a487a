"""Each check, passing and failing, on a lab driven by real commands; a failure says what it expected and found."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from tui.engine.lab import Lab
from tui.engine.scenarios import build_scenario
from tui.lesson.checks import CheckContext, CheckResult, evaluate, evaluate_all, find_containers
from tui.lesson.model import Check
from tui.shell import Shell

N1, N2 = "ip-10-0-2-197", "ip-10-0-2-253"
CHECK = TypeAdapter(Check)


def check(data: dict[str, Any]) -> Any:
    return CHECK.validate_python(data)


def runner(lab: Lab) -> Any:
    """What a session gives checks: commands run outside the learner's terminal."""
    shells: dict[str, Shell] = {}

    def run(host: str, line: str) -> tuple[int, str]:
        shell = shells.setdefault(host, Shell(lab, host))
        start = len(shell.terminal.text())
        status = shell.run_line(line)
        return status, shell.terminal.text()[start:]

    return run


def swarm_lab(*extra: str) -> tuple[Lab, Shell]:
    """The seed's swarm with my-swarm-net and service test (test.1 d76 10.0.1.3 on node1, test.2 d20 10.0.1.4 on node2)."""
    lab = build_scenario("swarm", 0)
    shell = Shell(lab)
    for line in ("docker network create -d overlay my-swarm-net",
                 "docker service create --name test --network my-swarm-net --replicas 2 busybox ping 8.8.8.8",
                 *extra):
        shell.run_line(line)
    return lab, shell


def judge(lab: Lab, data: dict[str, Any], **kw: Any) -> CheckResult:
    ctx = CheckContext(lab, run=runner(lab), **kw)
    return evaluate(check(data), ctx)


@pytest.fixture(scope="module")
def swarm() -> Lab:
    lab, _ = swarm_lab()
    return lab


# ---- service_replicas ------------------------------------------------------------------------


def test_service_replicas(swarm: Lab) -> None:
    assert judge(swarm, {"service_replicas": {"service": "test", "running": 2}}) == (
        True, "service test has 2 running tasks")
    assert judge(swarm, {"service_replicas": {"service": "test", "running": 3}}) == (
        False, "expected service test to have 3 running tasks; it has 2")
    assert judge(swarm, {"service_replicas": {"service": "web", "running": 1}}) == (
        False, "expected service web to have 1 running tasks; there is no service web (services: test)")
    assert judge(swarm, {"service_replicas": {"service": "test", "running": 2, "desired": 3}}) == (
        False, "expected service test to want 3 replicas; it wants 2")


def test_service_replicas_names_the_tasks_not_running_yet() -> None:
    lab, _ = swarm_lab("docker service scale -d test=4")
    passed, message = judge(lab, {"service_replicas": {"service": "test", "running": 4}})
    assert not passed
    assert message == ("expected service test to have 4 running tasks; it has 2 (test.3 is Assigned on "
                       f"{N1}; test.4 is Assigned on {N2})")
    zh = judge(lab, {"service_replicas": {"service": "test", "running": 4}}, lang="zh")
    assert zh.message == (f"期望服务 test 有 4 个运行中的任务，实际是 2 个（test.3 在 {N1} 上处于 Assigned 状态；"
                          f"test.4 在 {N2} 上处于 Assigned 状态）")
    lab.clock.advance(2 * 10**9)
    assert judge(lab, {"service_replicas": {"service": "test", "running": 4}}).passed


def test_service_replicas_without_a_swarm() -> None:
    lab = build_scenario("docker-host", 0)
    assert judge(lab, {"service_replicas": {"service": "test", "running": 1}}) == (
        False, "expected service test to have 1 running tasks; this lab has no swarm yet (run docker swarm init)")


# ---- container_has_interface -------------------------------------------------------------------


def test_container_has_interface(swarm: Lab) -> None:
    c = find_containers(swarm, "test.1")[0][1]
    label = f"test.1 ({c.id[:12]})"
    ok = judge(swarm, {"container_has_interface": {"host": N1, "container": "test.1", "network": "my-swarm-net",
                                                   "mtu": 1450, "address_in": "10.0.1.0/24"}})
    assert ok == (True, f"{label} has eth0 on my-swarm-net (10.0.1.3/24, mtu 1450)")
    bad = judge(swarm, {"container_has_interface": {"container": "test.1", "network": "my-swarm-net", "mtu": 1400}})
    assert bad == (False, f"expected {label} to have an interface on my-swarm-net with mtu 1400; it has eth0 on "
                          "my-swarm-net (10.0.1.3/24, mtu 1450), eth1 on docker_gwbridge (172.18.0.3/16, mtu 1500)")
    assert judge(swarm, {"container_has_interface": {"container": "test.1", "iface": "eth1",
                                                     "address_in": "172.18.0.0/16"}}).passed


def test_container_has_interface_without_the_container(swarm: Lab) -> None:
    result = judge(swarm, {"container_has_interface": {"host": N2, "container": "web.1"}})
    assert not result.passed
    assert result.message.startswith(f"expected a container web.1 on {N2}; there is none (running there: test.2.")


def test_containers_are_found_by_task_service_name_and_prefix(swarm: Lab) -> None:
    by_task = find_containers(swarm, "test.2")
    assert [h for h, _ in by_task] == [N2]
    by_service = find_containers(swarm, "test")
    assert [h for h, _ in by_service] == [N1, N2]
    cid = by_task[0][1].id
    assert find_containers(swarm, cid[:4])[0][1] is by_task[0][1]
    assert find_containers(swarm, "test.2", N1) == []


# ---- route_exists ---------------------------------------------------------------------------


def test_route_exists(swarm: Lab) -> None:
    c = find_containers(swarm, "test.1")[0][1]
    assert judge(swarm, {"route_exists": {"host": N1, "container": "test.1", "dst": "default", "via": "172.18.0.1",
                                          "dev": "eth1"}}).passed
    assert judge(swarm, {"route_exists": {"host": N1, "dst": "default", "via": "10.0.2.1", "dev": "eth0"}}) == (
        True, f"{N1} has a route default via 10.0.2.1 dev eth0")
    bad = judge(swarm, {"route_exists": {"host": N1, "container": "test.1", "dst": "default", "via": "10.0.1.1"}})
    assert bad == (False, f"expected a route default via 10.0.1.1 in test.1 ({c.id[:12]}) on {N1}; its routes are: "
                          "default via 172.18.0.1 dev eth1; 10.0.1.0/24 dev eth0; 172.18.0.0/16 dev eth1")


def test_route_exists_in_a_named_namespace() -> None:
    lab = build_scenario("linux-hosts", 0)
    shell = Shell(lab)
    assert judge(lab, {"route_exists": {"host": N1, "namespace": "ns1", "dst": "10.0.1.0/24"}}) == (
        False, f"expected namespace ns1 on {N1}; it does not exist")
    for line in ("ip netns add ns1", "ip link add v1 type veth peer name v1p", "ip link set v1p netns ns1",
                 "ip netns exec ns1 ip addr add 10.0.1.2/24 dev v1p", "ip netns exec ns1 ip link set v1p up"):
        shell.run_line(line)
    assert judge(lab, {"route_exists": {"host": N1, "namespace": "ns1", "dst": "10.0.1.0/24", "dev": "v1p"}}).passed
    assert judge(lab, {"route_exists": {"host": N1, "namespace": "ns1", "dst": "default"}}) == (
        False, f"expected a route default in namespace ns1 on {N1}; its routes are: 10.0.1.0/24 dev v1p")


# ---- captured -------------------------------------------------------------------------------


def test_captured_counts_the_sessions_packets() -> None:
    lab, shell = swarm_lab()
    since = lab.clock.now
    for line in (f"ssh {N2} tcpdump -i eth0 port 4789 &", "docker container exec d76 ping -c 3 10.0.1.4", "kill %1"):
        shell.run_line(line)
    ctx = CheckContext(lab, captures=shell.captures, since=since)
    six = check({"captured": {"host": N2, "iface": "eth0", "filter": "udp port 4789", "count": 6}})
    assert evaluate(six, ctx) == (True, f"6 packets matching 'udp port 4789' were captured on {N2} eth0")
    assert evaluate(check({"captured": {"host": N2, "iface": "eth0", "filter": "udp port 4789 and icmp",
                                        "min": 1}}), ctx).passed is False
    five = check({"captured": {"host": N2, "iface": "eth0", "filter": "udp port 4789", "count": 5}})
    assert evaluate(five, ctx) == (False, f"expected exactly 5 packets matching 'udp port 4789' captured on {N2} "
                                          "eth0 in this step; the session's captures saw 6")
    elsewhere = check({"captured": {"host": N1, "iface": "eth0", "filter": "udp port 4789"}})
    assert evaluate(elsewhere, ctx) == (
        False, f"expected at least 1 packets matching 'udp port 4789' captured on {N1} eth0 in this step; the "
               f"session's captures saw 0 (no capture ran on {N1} eth0: start tcpdump -i eth0 there)")
    later = CheckContext(lab, captures=shell.captures, since=lab.clock.now)
    assert evaluate(six, later).message.endswith("the session's captures saw 0")


# ---- ping_succeeds / http_reaches -----------------------------------------------------------------


def test_ping_succeeds_really_pings() -> None:
    lab, _ = swarm_lab()
    c = find_containers(lab, "test.1")[0][1]
    ok = judge(lab, {"ping_succeeds": {"host": N1, "from": "test.1", "to": "10.0.1.4"}})
    assert ok == (True, f"ping from test.1 ({c.id[:12]}) to 10.0.1.4 succeeded")
    Shell(lab, N2).run_line("iptables -I INPUT -p udp --dport 4789 -j DROP")
    bad = judge(lab, {"ping_succeeds": {"host": N1, "from": "container:test.1", "to": "10.0.1.4"}})
    assert bad == (False, f"expected ping from test.1 ({c.id[:12]}) to 10.0.1.4 to succeed; it did not: "
                          "1 packets transmitted, 0 packets received, 100% packet loss")
    assert judge(lab, {"ping_succeeds": {"host": N1, "to": "8.8.8.8"}}) == (
        True, f"ping from {N1} to 8.8.8.8 succeeded")


def test_ping_from_a_namespace() -> None:
    lab = build_scenario("linux-hosts", 0)
    Shell(lab).run_line("ip netns add ns1")
    assert judge(lab, {"ping_succeeds": {"host": N1, "from": "ns1", "to": "8.8.8.8"}}) == (
        False, f"expected ping from namespace ns1 on {N1} to 8.8.8.8 to succeed; it did not: "
               "ping: connect: Network is unreachable")
    assert judge(lab, {"ping_succeeds": {"host": N1, "from": "netns:ns2", "to": "8.8.8.8"}}) == (
        False, f"expected namespace ns2 on {N1}; it does not exist (namespaces: ns1)")


def test_http_reaches() -> None:
    lab = build_scenario("docker-host", 0)
    Shell(lab).run_line("docker run -d --name web nginx")
    ok = judge(lab, {"http_reaches": {"host": N1, "url": "http://172.17.0.2/", "body_contains": "Welcome to nginx"}})
    assert ok == (True, f"http://172.17.0.2/ answered 200 OK to {N1}")
    body = judge(lab, {"http_reaches": {"host": N1, "url": "http://172.17.0.2/", "body_contains": "whoami"}})
    assert not body.passed and body.message.startswith(
        f"expected the answer of http://172.17.0.2/ to {N1} to contain 'whoami'; it did not (status 200 OK, ")
    refused = judge(lab, {"http_reaches": {"host": N1, "url": "http://172.17.0.2:8080/"}})
    assert refused == (False, f"expected http://172.17.0.2:8080/ to answer {N1}; it did not: connection refused")


# ---- network_exists / node_availability / iptables_rule / output_matches ------------------------------


def test_network_exists(swarm: Lab) -> None:
    assert judge(swarm, {"network_exists": {"name": "my-swarm-net", "driver": "overlay", "scope": "swarm"}}) == (
        True, "network my-swarm-net exists (overlay, swarm)")
    assert judge(swarm, {"network_exists": {"name": "my-swarm-net", "driver": "bridge"}}) == (
        False, "expected network my-swarm-net (driver bridge); it has driver overlay and scope swarm")
    assert judge(swarm, {"network_exists": {"name": "nope", "host": N2}}) == (
        False, f"expected network nope on {N2}; there is none (networks: bridge, docker_gwbridge, host, ingress, "
               "my-swarm-net, none)")


def test_overlay_appears_on_a_worker_only_with_a_task() -> None:
    lab, _ = swarm_lab("docker network create -d overlay lonely")
    assert judge(lab, {"network_exists": {"name": "lonely", "host": N1}}).passed
    assert not judge(lab, {"network_exists": {"name": "lonely", "host": N2}}).passed


def test_node_availability() -> None:
    lab, shell = swarm_lab()
    assert judge(lab, {"node_availability": {"node": N2, "availability": "drain"}}) == (
        False, f"expected node {N2} to be drain; it is active")
    shell.run_line(f"docker node update --availability drain {N2}")
    assert judge(lab, {"node_availability": {"node": N2, "availability": "drain"}}) == (
        True, f"node {N2} is drain")


def test_iptables_rule(swarm: Lab) -> None:
    masq = judge(swarm, {"iptables_rule": {"host": N1, "table": "nat", "chain": "POSTROUTING",
                                           "contains": "-s 172.17.0.0/16  ! -o docker0 -j MASQUERADE"}})
    assert masq == (True, f"nat POSTROUTING on {N1} has -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE")
    assert judge(swarm, {"iptables_rule": {"host": N1, "table": "nat", "chain": "POSTROUTING",
                                           "contains": "-j DROP"}}) == (
        False, f"expected a rule containing '-j DROP' in nat POSTROUTING on {N1}; its rules are: -A POSTROUTING "
               "-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE; -A POSTROUTING -s 172.18.0.0/16 ! -o docker_gwbridge "
               "-j MASQUERADE")
    assert judge(swarm, {"iptables_rule": {"host": N1, "chain": "INPUT", "contains": "-j DROP"}}) == (
        False, f"expected a rule containing '-j DROP' in filter INPUT on {N1}; the chain has no rules (policy ACCEPT)")
    assert judge(swarm, {"iptables_rule": {"host": N1, "chain": "NOPE", "contains": "x"}}) == (
        False, f"expected a rule containing 'x' in filter NOPE on {N1}; there is no chain NOPE in table filter")


def test_output_matches(swarm: Lab) -> None:
    out = "PING 10.0.1.5\n3 packets transmitted, 3 packets received, 0% packet loss\n"
    assert judge(swarm, {"output_matches": {"regex": r"\b0% packet loss"}}, last_output=out) == (
        True, r"the last output matches /\b0% packet loss/")
    assert judge(swarm, {"output_matches": {"regex": "100% packet loss"}}, last_output=out) == (
        False, "expected the last command's output to match /100% packet loss/; it does not (its last line: "
               "'3 packets transmitted, 3 packets received, 0% packet loss')")
    assert judge(swarm, {"output_matches": {"regex": "x"}}) == (
        False, "expected the last command's output to match /x/; it does not (no command has run yet)")


# ---- combinators ----------------------------------------------------------------------------


def test_all_any_not(swarm: Lab) -> None:
    good = {"service_replicas": {"service": "test", "running": 2}}
    bad = {"service_replicas": {"service": "test", "running": 5}}
    assert judge(swarm, {"all": [good, good]}) == (True, "all 2 checks hold")
    assert judge(swarm, {"all": [good, bad]}) == (False, "expected service test to have 5 running tasks; it has 2")
    assert judge(swarm, {"any": [bad, good]}) == (True, "service test has 2 running tasks")
    assert judge(swarm, {"any": [bad, bad]}) == (
        False, "expected one of these to hold, none does: expected service test to have 5 running tasks; it has 2; "
               "expected service test to have 5 running tasks; it has 2")
    assert judge(swarm, {"not": bad}) == (
        True, "as expected, this does not hold: expected service test to have 5 running tasks; it has 2")
    assert judge(swarm, {"not": good}) == (
        False, "expected this not to hold, but it does: service test has 2 running tasks")
    ctx = CheckContext(swarm)
    assert evaluate_all([check(good), check(bad)], ctx) == (
        False, "expected service test to have 5 running tasks; it has 2")
    passed, message = evaluate_all([check(good)], ctx)  # a result unpacks like (passed, message)
    assert passed and message == "service test has 2 running tasks"
