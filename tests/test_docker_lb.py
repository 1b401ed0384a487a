"""Service discovery, VIP load balancing and the ingress routing mesh, seen from clients."""

from __future__ import annotations

import re

import pytest

from tests.shelltools import run
from tui.engine.docker.scenarios import swarm
from tui.shell import Shell

pytest.importorskip("tui.engine.apps.http")


@pytest.fixture()
def web() -> Shell:
    sh = Shell(swarm(seed=2), "ip-10-0-2-197")
    run(sh, "docker network create -d overlay mynet",
        "docker service create --name web --replicas 2 --network mynet --publish 8080:80 traefik/whoami",
        "docker service create --name client --network mynet busybox sleep 100000")
    return sh


def test_vip_answers_the_name_and_tasks_name_every_task(web: Shell) -> None:
    client = "$(docker ps -q -f name=client)"
    out = run(web, f"docker exec {client} nslookup web")
    assert "Server:\t\t127.0.0.11" in out and "Address:\t127.0.0.11:53" in out
    vip = re.search(r"Name:\tweb\nAddress: (10\.0\.1\.\d+)", out).group(1)  # type: ignore[union-attr]
    assert vip == "10.0.1.2"  # the VIP is the first address after the gateway
    out = run(web, f"docker exec {client} nslookup tasks.web")
    tasks = set(re.findall(r"Name:\ttasks\.web\nAddress: (10\.0\.1\.\d+)", out))
    assert tasks == {"10.0.1.3", "10.0.1.4"}


def test_vip_balances_http_and_the_backend_sees_the_lb_address(web: Shell) -> None:
    client = "$(docker ps -q -f name=client)"
    bodies = [run(web, f"docker exec {client} wget -qO- web") for _ in range(4)]
    hosts = [re.search(r"Hostname: (\w+)", b).group(1) for b in bodies]  # type: ignore[union-attr]
    assert hosts[0] != hosts[1] and hosts[0] == hosts[2] and hosts[1] == hosts[3]  # round robin
    for b in bodies:
        assert re.search(r"RemoteAddr: 10\.0\.1\.\d+:\d+", b)  # SNAT to the node's LB sandbox address


def test_ping_to_the_vip_is_answered_by_the_local_lb_sandbox(web: Shell) -> None:
    out = run(web, "docker exec $(docker ps -q -f name=client) ping -c 2 web")
    rtts = [float(x) for x in re.findall(r"time=(\d+\.\d+) ms", out)]
    assert len(rtts) == 2 and all(r < 0.2 for r in rtts)  # never leaves the node


def test_routing_mesh_from_outside_through_both_nodes(web: Shell) -> None:
    for node, sbox in (("10.0.2.197", "10.0.0.2"), ("10.0.2.253", "10.0.0.3")):
        out = run(web, f"ssh laptop curl -s http://{node}:8080")
        assert "Hostname: " in out
        assert re.search(rf"RemoteAddr: {re.escape(sbox)}:\d+", out)  # the client address is lost
    out = run(web, "iptables -t nat -nvL DOCKER-INGRESS")
    assert re.search(r"DNAT +tcp +-- +\* +\* +0\.0\.0\.0/0 +0\.0\.0\.0/0 +tcp dpt:8080 to:172\.18\.0\.2:8080", out)
    out = run(web, "nsenter --net=/var/run/docker/netns/ingress_sbox ipvsadm -L -n")
    assert "FWM  256 rr" in out and "Masq    1" in out


def test_dnsrr_has_no_vip_and_refuses_ingress_publishing() -> None:
    sh = Shell(swarm(seed=2), "ip-10-0-2-197")
    run(sh, "docker network create -d overlay mynet",
        "docker service create --name rr --replicas 2 --endpoint-mode dnsrr --network mynet -d busybox sleep 100000",
        "sleep 3")
    out = run(sh, "docker exec $(docker ps -q | head -1) nslookup rr")
    assert set(re.findall(r"Name:\trr\nAddress: (10\.0\.1\.\d+)", out)) == {"10.0.1.2", "10.0.1.3"}
    out = run(sh, "docker service create --name bad --endpoint-mode dnsrr --publish 80:80 busybox")
    assert ("Error response from daemon: rpc error: code = InvalidArgument desc = EndpointSpec: port published "
            "with ingress mode can't be used with dnsrr mode") in out


def test_host_mode_publishing_binds_only_where_a_task_runs() -> None:
    sh = Shell(swarm(seed=2), "ip-10-0-2-197")
    run(sh, "docker service create --name h --publish mode=host,published=9090,target=80 -d traefik/whoami",
        "sleep 3")
    out = run(sh, "docker service ps h")
    node = re.search(r"h\.1 +\S+ +(ip-10-0-2-\d+)", out).group(1)  # type: ignore[union-attr]
    other = "ip-10-0-2-253" if node == "ip-10-0-2-197" else "ip-10-0-2-197"
    addr = {"ip-10-0-2-197": "10.0.2.197", "ip-10-0-2-253": "10.0.2.253"}
    assert "RemoteAddr: 203.0.113.10:" in run(sh, f"ssh laptop curl -s http://{addr[node]}:9090")
    assert "Connection refused" in run(sh, f"ssh laptop curl -m 2 http://{addr[other]}:9090")
