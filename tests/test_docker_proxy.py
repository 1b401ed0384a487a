"""docker-proxy: published ports answered on the host's loopback and to containers (hairpin)."""

from __future__ import annotations

import re

import pytest

from tests.shelltools import run
from tui.engine.addr import ip_to_int
from tui.engine.docker.scenarios import docker_host
from tui.shell import Shell

pytest.importorskip("tui.engine.apps.http")


@pytest.fixture()
def host() -> Shell:
    sh = Shell(docker_host(seed=3), "ip-10-0-2-197")
    run(sh, "docker run -d --name web -p 8080:80 traefik/whoami")
    return sh


def remote_addr(out: str) -> str:
    m = re.search(r"RemoteAddr: ([\d.]+):\d+", out)
    assert m, out
    return m.group(1)


def test_the_proxy_is_a_listener_with_dockers_command_line(host: Shell) -> None:
    d = host.lab.hosts["ip-10-0-2-197"].docker  # type: ignore[attr-defined]
    (proxy, rules), = d.find_container("web").mapped
    assert proxy.argv == ["docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port", "8080",
                          "-container-ip", "172.17.0.2", "-container-port", "80"]
    assert (0, 8080) in d.host.root_ns.tcp.listeners
    assert [r[:2] for r in rules] == [("nat", "POSTROUTING"), ("nat", "DOCKER"), ("filter", "DOCKER")]


@pytest.mark.parametrize("url", ["localhost:8080", "127.0.0.1:8080"])
def test_loopback_goes_through_the_proxy_and_the_container_sees_the_gateway(host: Shell, url: str) -> None:
    assert remote_addr(run(host, f"curl -s {url}")) == "172.17.0.1"


def test_the_hosts_own_address_is_dnated_and_keeps_its_source(host: Shell) -> None:
    # OUTPUT's DOCKER rule catches it (! -d 127.0.0.0/8): no proxy in the path
    assert remote_addr(run(host, "curl -s 10.0.2.197:8080")) == "10.0.2.197"
    assert remote_addr(run(host, "ssh laptop curl -s 10.0.2.197:8080")) == "203.0.113.10"


@pytest.mark.parametrize("target", ["172.17.0.1", "10.0.2.197"])
def test_hairpin_from_a_container_is_answered_by_the_proxy(host: Shell, target: str) -> None:
    out = run(host, f"docker run --rm busybox wget -qO- {target}:8080")
    assert remote_addr(out) == "172.17.0.1"  # `-i docker0 -j RETURN`: no DNAT, the proxy relays


def test_stop_takes_the_rules_and_the_proxy_away_and_start_brings_them_back(host: Shell) -> None:
    run(host, "docker stop web")
    assert "8080" not in run(host, "iptables -t nat -S DOCKER")
    assert run(host, "curl -s localhost:8080; echo $?").splitlines()[-1] == "7"  # connection refused
    run(host, "docker start web")
    assert "--dport 8080 -j DNAT --to-destination 172.17.0.2:80" in run(host, "iptables -t nat -S DOCKER")
    assert remote_addr(run(host, "curl -s localhost:8080")) == "172.17.0.1"


def test_nothing_listening_in_the_container_resets_the_proxied_connection(host: Shell) -> None:
    run(host, "docker run -d --name idle -p 8081:80 busybox sleep 1000")
    out = run(host, "curl localhost:8081; echo $?")
    assert "curl: (56) Recv failure: Connection reset by peer" in out  # the request was never read
    assert out.splitlines()[-1] == "56"


def test_a_port_taken_on_the_host_fails_the_start_like_docker(host: Shell) -> None:
    from tui.engine.apps.http import nginx_server

    nginx_server(host.lab.hosts["ip-10-0-2-197"].root_ns, port=9090)
    out = run(host, "docker run -d --name w2 -p 9090:80 nginx; echo $?")
    cid = out.splitlines()[1]
    assert re.fullmatch(r"[0-9a-f]{64}", cid)  # -d prints the id before the start fails
    assert re.search(r"docker: Error response from daemon: driver failed programming external connectivity on "
                     r"endpoint w2 \([0-9a-f]{64}\): Error starting userland proxy: listen tcp4 0\.0\.0\.0:9090: "
                     r"bind: address already in use\.\n125\n", out)
    assert "9090" not in run(host, "iptables -t nat -S")  # the binding's rules were undone
    assert re.search(r"Created +w2", run(host, "docker ps -a"))


def test_a_port_allocated_to_another_container(host: Shell) -> None:
    out = run(host, "docker run -d --name w3 -p 8080:80 nginx")
    assert "Bind for 0.0.0.0:8080 failed: port is already allocated.\n" in out
    assert "See 'docker run --help'" not in out  # ContainerStart errors come without the hint
    out = run(host, "docker stop web", "docker start w3", "docker start web")
    assert "Error: failed to start containers: web" in out


def test_proxy_relays_bytes_both_ways_and_closes_both_sides() -> None:
    from tui.engine.apps.http import whoami_server
    from tui.engine.docker.proxy import UserlandProxy

    lab = docker_host(seed=1)
    d = lab.hosts["ip-10-0-2-197"].docker  # type: ignore[attr-defined]
    c = d.run_container(d.image("busybox"), name="b", cmd=["sleep", "1000"], network=None, publish=[])
    whoami_server(c.sandbox.netns, "b", port=7000)
    proxy = UserlandProxy(d.host.root_ns, "tcp", 0, 7001, ip_to_int("172.17.0.2"), 7000).start()
    sh = Shell(lab, "ip-10-0-2-197")
    assert remote_addr(run(sh, "curl -s 127.0.0.1:7001")) == "172.17.0.1"
    lab.clock.advance(1_000_000_000)
    assert proxy.relays == []
    proxy.stop()
    assert (0, 7001) not in d.host.root_ns.tcp.listeners
