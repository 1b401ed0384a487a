"""Swarm behaviours a lesson relies on, each read off the simulated CLI as a learner would see it."""

from __future__ import annotations

import re

from tests.shelltools import run
from tui.engine.clock import SEC
from tui.engine.docker.ipam import ip_str
from tui.engine.docker.scenarios import swarm, two_nodes
from tui.shell import Shell


def test_init_join_with_a_token_from_command_substitution() -> None:
    sh = Shell(two_nodes(seed=3), "ip-10-0-2-197")
    out = run(sh, "docker swarm init --advertise-addr 10.0.2.197")
    assert re.search(r"Swarm initialized: current node \([0-9a-z]{25}\) is now a manager\.", out)
    assert re.search(r"    docker swarm join --token SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25} 10\.0\.2\.197:2377", out)
    out = run(sh, "TOKEN=$(docker swarm join-token -q worker)",
              "ssh ip-10-0-2-253 docker swarm join --token $TOKEN 10.0.2.197:2377")
    assert "This node joined a swarm as a worker." in out
    out = run(sh, "docker node ls")
    rows = out.splitlines()[1:]
    assert rows[0] == "ID                            HOSTNAME        STATUS    AVAILABILITY   MANAGER STATUS   ENGINE VERSION"
    assert re.fullmatch(r"[0-9a-z]{25} \*   ip-10-0-2-197   Ready     Active         Leader           20\.10\.12", rows[1])
    assert re.fullmatch(r"[0-9a-z]{25}     ip-10-0-2-253   Ready     Active                          20\.10\.12", rows[2])
    out = run(sh, "docker network ls")
    assert "docker_gwbridge   bridge    local" in out and "ingress           overlay   swarm" in out


def test_errors_are_dockers() -> None:
    sh = Shell(two_nodes(seed=3), "ip-10-0-2-197")
    assert ('Error response from daemon: This node is not a swarm manager. Use "docker swarm init" or '
            '"docker swarm join" to connect this node to swarm and try again.') in run(sh, "docker node ls")
    # a malformed token is refused before anything is dialled (swarmkit's ParseJoinToken comes first)
    out = run(sh, "ssh ip-10-0-2-253 docker swarm join --token SWMTKN-1-bogus 10.0.2.197:2377")
    assert "Error response from daemon: invalid join token" in out
    well_formed = "SWMTKN-1-" + "a" * 50 + "-" + "b" * 25
    out = run(sh, f"ssh ip-10-0-2-253 docker swarm join --token {well_formed} 10.0.2.197:2377")
    assert ('Error response from daemon: rpc error: code = Unavailable desc = connection error: desc = "transport: '
            'Error while dialing dial tcp 10.0.2.197:2377: connect: connection refused"') in out
    run(sh, "docker swarm init")
    out = run(sh, "ssh ip-10-0-2-253 docker swarm join --token SWMTKN-1-bogus 10.0.2.197:2377")
    assert "Error response from daemon: invalid join token" in out
    out = run(sh, f"ssh ip-10-0-2-253 docker swarm join --token {well_formed} 10.0.2.197:2377")
    assert "A valid join token is necessary to join this cluster" in out
    out = run(sh, "docker swarm init")
    assert ('Error response from daemon: This node is already part of a swarm. Use "docker swarm leave" to leave '
            "this swarm and join another one.") in out
    token = sh.lab.swarms[0].worker_token
    run(sh, f"ssh ip-10-0-2-253 docker swarm join --token {token} 10.0.2.197:2377")
    out = run(sh, "ssh ip-10-0-2-253 docker service ls")
    assert ("Error response from daemon: This node is not a swarm manager. Worker nodes can't be used to view or "
            "modify cluster state. Please run this command on a manager node or promote the current node to a "
            "manager.") in out
    out = run(sh, "docker network create -d overlay n1", "docker network create -d overlay n1")
    assert "Error response from daemon: network with name n1 already exists" in out
    out = run(sh, "docker container exec nope ls")
    assert "Error response from daemon: No such container: nope" in out
    out = run(sh, "docker frobnicate")
    assert "docker: 'frobnicate' is not a docker command.\nSee 'docker --help'" in out
    out = run(sh, "docker network inspect nope")
    assert "[]" in out and "Error: No such network: nope" in out


def test_drain_moves_the_task_and_keeps_a_shutdown_history_row() -> None:
    sh = Shell(swarm(seed=5), "ip-10-0-2-197")
    run(sh, "docker network create -d overlay net1",
        "docker service create --name test --replicas 2 --network net1 busybox sleep 100000")
    out = run(sh, "docker node update --availability drain ip-10-0-2-253", "sleep 5", "docker service ps test")
    rows = [r for r in out.splitlines() if "test." in r]
    assert len(rows) == 3
    assert re.search(r"test\.2 .* ip-10-0-2-197 +Running +Running \d+ seconds ago", rows[1])
    assert re.search(r" \\_ test\.2 .* ip-10-0-2-253 +Shutdown +Shutdown \d+ seconds ago", rows[2])
    assert "Drain" in run(sh, "docker node ls")


def test_blocking_4789_on_a_node_breaks_the_overlay_but_captures_still_see_requests() -> None:
    sh = Shell(swarm(seed=0), "ip-10-0-2-197")
    run(sh, "docker network create -d overlay my-swarm-net",
        "docker service create --name test --replicas 2 --network my-swarm-net busybox sleep 100000")
    run(sh, "ssh ip-10-0-2-253 iptables -I INPUT -p udp --dport 4789 -j DROP")
    out = run(sh, "ssh ip-10-0-2-253 tcpdump -n -i eth0 -c 3 port 4789 &",
              "docker exec $(docker ps -q) ping -c 3 -W 1 10.0.1.4", "wait")
    assert "3 packets transmitted, 0 packets received, 100% packet loss" in out
    requests = [ln for ln in out.splitlines() if "ICMP echo request" in ln]
    assert len(requests) == 3  # they arrive on node2's eth0; netfilter drops them after the capture point
    assert "echo reply" not in out


def test_encrypted_overlay_puts_esp_on_the_wire_and_blocking_esp_breaks_only_it() -> None:
    sh = Shell(swarm(seed=0), "ip-10-0-2-197")
    run(sh, "docker network create -d overlay --opt encrypted secnet",
        "docker network create -d overlay --subnet 10.0.9.0/24 plain",
        "docker service create --name s --replicas 2 --network secnet --network plain busybox sleep 100000")
    out = run(sh, "docker exec $(docker ps -q) ip a show eth0")
    assert "mtu 1424" in out  # 1450 - 26 bytes of ESP, rounded down to a multiple of 4
    mine = re.search(r"inet 10\.0\.1\.(\d+)/24", out).group(1)  # type: ignore[union-attr]
    other = "4" if mine == "3" else "3"
    out = run(sh, "ssh ip-10-0-2-253 tcpdump -n -i eth0 -c 2 esp or udp port 4789 &",
              f"docker exec $(docker ps -q) ping -c 1 10.0.1.{other}", "wait")
    esp = [ln for ln in out.splitlines() if "ESP(spi=0x" in ln]
    assert len(esp) == 2 and "VXLAN" not in out
    assert re.search(r"IP 10\.0\.2\.197 > 10\.0\.2\.253: ESP\(spi=0x[0-9a-f]{8},seq=0x1\), length \d+", esp[0])
    run(sh, "ssh ip-10-0-2-253 iptables -I INPUT -p esp -j DROP")
    assert "100% packet loss" in run(sh, f"docker exec $(docker ps -q) ping -c 1 -W 1 10.0.1.{other}")
    assert " 0% packet loss" in run(sh, f"docker exec $(docker ps -q) ping -c 1 10.0.9.{other}")


def test_service_progress_follows_the_terminal_width_like_jsonmessage() -> None:
    """jsonmessage draws the [===>] bar only on a terminal wider than 110 columns; it is 200 when unknown."""
    sh = Shell(swarm(seed=0), "ip-10-0-2-197")
    run(sh, "docker network create -d overlay net")
    bar = "[" + "=" * 50 + ">] "
    unknown = run(sh, "docker service create --name a --network net busybox ping 8.8.8.8")
    assert unknown.splitlines()[3] == f"1/1: running   {bar}"  # size unknown (a transcript): docker assumes 200
    sh.resize(110, 30)
    narrow = run(sh, "docker service create --name b --network net busybox ping 8.8.8.8")
    assert narrow.splitlines()[2:] == ["overall progress: 1 out of 1 tasks ", "1/1: running   ",
                                       "verify: Service converged "]
    piped = run(sh, "docker service scale b=2 | cat")  # stdout is no terminal: TIOCGWINSZ fails, 200 again
    assert f"2/2: running   {bar}" in piped.splitlines()
    sh.resize(111, 30)
    wide = run(sh, "docker service scale a=2")
    assert wide.splitlines()[3:5] == [f"1/2: running   {bar}", f"2/2: running   {bar}"]
    assert run(sh, "echo $COLUMNS $LINES").endswith("\n111 30\n")
    assert run(sh, "env | grep -c COLUMNS").endswith("\n0\n")  # bash keeps them as shell variables, not exported
    sh.resize(None, None)
    assert run(sh, "docker service scale a=1").count(bar) == 1


# --- a join that cannot reach the manager's 2377 -------------------------------------------------------------
WORKER = "ip-10-0-2-253"


def _blocked_join(seed: int = 3) -> tuple[Shell, str]:
    """A manager whose INPUT drops TCP 2377, and the worker's `docker swarm join` to it."""
    sh = Shell(two_nodes(seed=seed), "ip-10-0-2-197")
    run(sh, "docker swarm init --advertise-addr 10.0.2.197", "iptables -I INPUT -p tcp --dport 2377 -j DROP",
        "TOKEN=$(docker swarm join-token -q worker)")
    t0 = sh.clock.now
    out = run(sh, f"ssh {WORKER} docker swarm join --token $TOKEN 10.0.2.197:2377")
    assert sh.clock.now - t0 >= 20 * SEC  # swarmConnectTimeout
    return sh, out


def test_join_through_a_dropped_2377_times_out_and_stays_pending() -> None:
    sh, out = _blocked_join()
    assert ('Error response from daemon: Timeout was reached before node joined. The attempt to join the swarm will '
            'continue in the background. Use the "docker info" command to see the current swarm status of your '
            "node.\n") in out
    info = run(sh, f"ssh {WORKER} docker info")
    assert (" Swarm: pending\n  NodeID: \n  Is Manager: false\n  Node Address: 10.0.2.253\n  Manager Addresses:\n"
            "   10.0.2.197:2377\n") in info
    assert run(sh, f"ssh {WORKER}", "docker info -f '{{.Swarm.LocalNodeState}}'", "exit").count("\npending\n") == 1
    assert ('Error response from daemon: This node is already part of a swarm. Use "docker swarm leave" to leave '
            "this swarm and join another one.") in run(sh, f"ssh {WORKER} docker swarm join --token $TOKEN "
                                                            "10.0.2.197:2377")
    assert "Worker nodes can't be used to view or modify cluster state" in run(sh, f"ssh {WORKER} docker node ls")
    assert WORKER not in run(sh, "docker node ls")
    # the tries are real SYNs that the manager's INPUT chain drops
    syns = run(sh, "tcpdump -n -i eth0 -c 2 tcp port 2377 &", "sleep 10", "wait")
    assert syns.count("10.0.2.253.") == 2 and "> 10.0.2.197.2377: Flags [S]," in syns


def test_pending_join_completes_once_the_rule_is_deleted_and_the_overlay_works() -> None:
    sh, _ = _blocked_join()
    run(sh, "iptables -D INPUT -p tcp --dport 2377 -j DROP", "sleep 5")
    rows = run(sh, "docker node ls").splitlines()
    assert any(re.fullmatch(r"[0-9a-z]{25}     ip-10-0-2-253   Ready     Active                          20\.10\.12", r)
               for r in rows)
    assert run(sh, f"ssh {WORKER}", "docker info -f '{{.Swarm.LocalNodeState}}'", "exit").count("\nactive\n") == 1
    run(sh, "docker network create -d overlay net1",
        "docker service create --name test --replicas 2 --network net1 busybox sleep 100000")
    cluster = sh.lab.swarms[0]
    net = cluster.find_network("net1")
    svc = cluster.find_service("test")
    remote = [t for t in svc.tasks if cluster.nodes[t.node_id].hostname == WORKER]
    assert len(remote) == 1
    addr = ip_str(remote[0].addrs[net.id])
    out = run(sh, f"docker exec $(docker ps -q) ping -c 2 -W 1 {addr}")
    assert "2 packets transmitted, 2 packets received, 0% packet loss" in out


def test_a_first_join_that_never_got_through_ends_in_error_until_leave() -> None:
    sh, _ = _blocked_join()
    run(sh, "sleep 20")  # DownloadRootCA: 5 tries of 5 s, each followed by 2 s
    info = run(sh, f"ssh {WORKER} docker info")
    assert (" Swarm: error\n  NodeID: \n  Error: rpc error: code = DeadlineExceeded desc = context deadline exceeded\n"
            "  Is Manager: false\n  Node Address: 10.0.2.253\n Runtimes:") in info
    run(sh, "iptables -D INPUT -p tcp --dport 2377 -j DROP", "sleep 60")
    assert WORKER not in run(sh, "docker node ls")  # a first run is not restarted
    assert "This node is already part of a swarm." in run(sh, f"ssh {WORKER} docker swarm join --token $TOKEN "
                                                              "10.0.2.197:2377")
    assert 'Use "docker swarm init" or "docker swarm join"' in run(sh, f"ssh {WORKER} docker node ls")
    assert "Node left the swarm.\n" in run(sh, f"ssh {WORKER} docker swarm leave")
    assert "This node joined a swarm as a worker.\n" in run(sh, f"ssh {WORKER} docker swarm join --token $TOKEN "
                                                                "10.0.2.197:2377")


def test_leave_while_pending_stops_the_join() -> None:
    sh, _ = _blocked_join()
    assert run(sh, f"ssh {WORKER} docker swarm leave").endswith("docker swarm leave\nNode left the swarm.\n")
    assert " Swarm: inactive\n" in run(sh, f"ssh {WORKER} docker info")
    run(sh, "iptables -D INPUT -p tcp --dport 2377 -j DROP", "sleep 30")
    assert WORKER not in run(sh, "docker node ls")
    assert "Error response from daemon: This node is not part of a swarm" in run(sh, f"ssh {WORKER} docker swarm leave")
