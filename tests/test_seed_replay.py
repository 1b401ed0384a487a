"""The seed note, replayed on the `swarm` scenario: the same commands print what the note shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui.engine.docker.scenarios import swarm
from tui.shell import Shell

SCRIPT = (Path(__file__).parent / "scripts" / "seed_swarm.sh").read_text()


def blocks(transcript: str) -> dict[str, str]:
    """Output of each command, keyed by the command line (the first run of it)."""
    out: dict[str, str] = {}
    cur = None
    buf: list[str] = []
    for line in transcript.splitlines():
        m = re.match(r"root@ip-10-0-2-\d+:~# (.*)$", line)
        if m:
            if cur is not None and cur not in out:
                out[cur] = "\n".join(buf)
            cur, buf = m.group(1), []
        else:
            buf.append(line)
    if cur is not None and cur not in out:
        out[cur] = "\n".join(buf)
    return out


@pytest.fixture(scope="module")
def seed() -> dict[str, str]:
    lab = swarm(seed=0)
    shell = Shell(lab, "ip-10-0-2-197")
    shell.run_script(SCRIPT)
    return blocks(shell.terminal.text())


def test_network_ls_is_the_notes(seed: dict[str, str]) -> None:
    assert seed["docker network ls"] == (
        "NETWORK ID     NAME              DRIVER    SCOPE\n"
        "70a89ff52b79   bridge            bridge    local\n"
        "f600df09a6f8   docker_gwbridge   bridge    local\n"
        "abccda9ef314   host              host      local\n"
        "v583qktkjzqd   ingress           overlay   swarm\n"
        "lr7ugdh1kdl2   my-swarm-net      overlay   swarm\n"
        "b1cfd68949f3   none              null      local"
    )


def test_service_ls_and_ps_are_the_notes(seed: dict[str, str]) -> None:
    assert seed["docker service ls"] == (
        "ID             NAME      MODE         REPLICAS   IMAGE            PORTS\n"
        "ic1ro2pbbymn   test      replicated   2/2        busybox:latest   "
    )
    assert seed["docker service ps test"] == (
        "ID             NAME      IMAGE            NODE            DESIRED STATE   CURRENT STATE            ERROR     PORTS\n"
        "6e65gy10az30   test.1    busybox:latest   ip-10-0-2-197   Running         Running 2 minutes ago              \n"
        "wi1wl6v8zygk   test.2    busybox:latest   ip-10-0-2-253   Running         Running 18 seconds ago             "
    )


def test_the_two_interfaces_of_each_task(seed: dict[str, str]) -> None:
    node1 = seed["docker container exec d76 ip a"].splitlines()
    assert node1 == [
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000",
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
        "    inet 127.0.0.1/8 scope host lo",
        "       valid_lft forever preferred_lft forever",
        "16: eth0@if17: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1450 qdisc noqueue ",
        "    link/ether 02:42:0a:00:01:03 brd ff:ff:ff:ff:ff:ff",
        "    inet 10.0.1.3/24 brd 10.0.1.255 scope global eth0",
        "       valid_lft forever preferred_lft forever",
        "18: eth1@if19: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue ",
        "    link/ether 02:42:ac:12:00:03 brd ff:ff:ff:ff:ff:ff",
        "    inet 172.18.0.3/16 brd 172.18.255.255 scope global eth1",
        "       valid_lft forever preferred_lft forever",
    ]
    node2 = seed["docker container exec d20 ip a"]
    assert "14: eth0@if15: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1450 qdisc noqueue " in node2
    assert "    inet 10.0.1.5/24 brd 10.0.1.255 scope global eth0" in node2
    assert "16: eth1@if17: <BROADCAST,MULTICAST,UP,LOWER_UP,M-DOWN> mtu 1500 qdisc noqueue " in node2
    assert "    inet 172.18.0.3/16 brd 172.18.255.255 scope global eth1" in node2


def test_routes_are_the_notes(seed: dict[str, str]) -> None:
    assert seed["docker container exec d76 ip route"].splitlines() == [
        "default via 172.18.0.1 dev eth1 ",
        "10.0.1.0/24 dev eth0 scope link  src 10.0.1.3 ",
        "172.18.0.0/16 dev eth1 scope link  src 172.18.0.3 ",
    ]


def test_busybox_ping_across_nodes(seed: dict[str, str]) -> None:
    lines = seed["docker container exec d76 ping 10.0.1.5"].splitlines()
    assert lines[0] == "PING 10.0.1.5 (10.0.1.5): 56 data bytes"
    replies = [ln for ln in lines if ln.startswith("64 bytes")]
    assert len(replies) >= 6
    for i, ln in enumerate(replies):
        assert re.fullmatch(rf"64 bytes from 10\.0\.1\.5: seq={i} ttl=64 time=\d\.\d{{3}} ms", ln), ln
        rtt = float(ln.split("time=")[1].split()[0])
        assert 0.3 < rtt < 2.0  # across nodes over VXLAN, as on the note's AWS hosts


def test_capture_on_node2_shows_six_vxlan_packets_and_no_arp(seed: dict[str, str]) -> None:
    ping = seed["docker container exec 559 ping 10.0.1.5 -c 3"]
    vx = [ln for ln in ping.splitlines() if "VXLAN" in ln]
    assert len(vx) == 6
    for i, ln in enumerate(vx):
        if i % 2 == 0:
            assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{6} IP 10\.0\.2\.197\.\d+ > ip-10-0-2-253\.4789: "
                                r"VXLAN, flags \[I\] \(0x08\), vni 4097", ln), ln
        else:
            assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{6} IP ip-10-0-2-253\.\d+ > 10\.0\.2\.197\.4789: "
                                r"VXLAN, flags \[I\] \(0x08\), vni 4097", ln), ln
    inner = [ln for ln in ping.splitlines() if ln.startswith(("IP 10.0.1.", "ARP"))]
    assert not any(ln.startswith("ARP") for ln in inner)
    assert [re.sub(r"id \d+", "id N", ln) for ln in inner] == [
        "IP 10.0.1.7 > 10.0.1.5: ICMP echo request, id N, seq 0, length 64",
        "IP 10.0.1.5 > 10.0.1.7: ICMP echo reply, id N, seq 0, length 64",
        "IP 10.0.1.7 > 10.0.1.5: ICMP echo request, id N, seq 1, length 64",
        "IP 10.0.1.5 > 10.0.1.7: ICMP echo reply, id N, seq 1, length 64",
        "IP 10.0.1.7 > 10.0.1.5: ICMP echo request, id N, seq 2, length 64",
        "IP 10.0.1.5 > 10.0.1.7: ICMP echo reply, id N, seq 2, length 64",
    ]
    assert "3 packets transmitted, 3 packets received, 0% packet loss" in ping
    assert re.search(r"round-trip min/avg/max = \d\.\d{3}/\d\.\d{3}/\d\.\d{3} ms", ping)


def test_vxlanid_list_and_endpoints(seed: dict[str, str]) -> None:
    doc = seed["docker network inspect my-swarm-net"]
    assert '"com.docker.network.driver.overlay.vxlanid_list": "4097"' in doc
    assert '"Subnet": "10.0.1.0/24"' in doc and '"Gateway": "10.0.1.1"' in doc
    assert '"lb-my-swarm-net": {' in doc and '"IPv4Address": "10.0.1.4/24"' in doc
    assert '"IP": "10.0.2.197"' in doc and '"IP": "10.0.2.253"' in doc
