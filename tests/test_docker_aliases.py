"""Network-scoped aliases: --network-alias, network connect --alias, service --network name=,alias=."""

from __future__ import annotations

import re

import pytest

from tests.shelltools import run
from tui.engine.docker.scenarios import docker_host, swarm
from tui.shell import Shell

pytest.importorskip("tui.engine.apps.dns")


def answers(out: str, name: str) -> list[str]:
    return re.findall(rf"Name:\t{re.escape(name)}\nAddress: ([\d.]+)", out)


@pytest.fixture()
def app() -> Shell:
    sh = Shell(docker_host(seed=5), "ip-10-0-2-197")
    run(sh, "docker network create app",
        "docker run -d --name db1 --network app --network-alias db busybox sleep 1000",
        "docker run -d --name db2 --network app --net-alias db --net-alias pg busybox sleep 1000",
        "docker run -d --name cli --network app busybox sleep 1000")
    return sh


def test_a_shared_alias_answers_every_container_in_shuffled_order(app: Shell) -> None:
    seen = set()
    for _ in range(8):
        got = answers(run(app, "docker exec cli nslookup db"), "db")
        assert sorted(got) == ["172.18.0.2", "172.18.0.3"]
        seen.add(tuple(got))
    assert len(seen) == 2  # the resolver shuffles multi-address answers
    assert answers(run(app, "docker exec cli nslookup pg"), "pg") == ["172.18.0.3"]


def test_inspect_lists_the_aliases_then_the_short_id(app: Shell) -> None:
    out = run(app, "docker inspect -f '{{json .NetworkSettings.Networks.app.Aliases}}' db2 cli")
    ids = run(app, "docker ps -q -f name=db2", "docker ps -q -f name=cli")
    short = re.findall(r"^([0-9a-f]{12})$", ids, re.M)
    assert f'["db","pg","{short[0]}"]' in out and f'["{short[1]}"]' in out


def test_a_stopped_container_leaves_the_answer(app: Shell) -> None:
    run(app, "docker stop db1")
    assert answers(run(app, "docker exec cli nslookup db"), "db") == ["172.18.0.3"]


def test_network_connect_alias(app: Shell) -> None:
    run(app, "docker network create other", "docker network connect --alias cache other db1",
        "docker network connect other cli")
    assert answers(run(app, "docker exec cli nslookup cache"), "cache") == ["172.19.0.2"]
    out = run(app, "docker inspect -f '{{json .NetworkSettings.Networks.other.Aliases}}' db1")
    assert re.search(r'\["cache","[0-9a-f]{12}"\]', out)
    assert "NXDOMAIN" in run(app, "docker exec cli nslookup db.other")


def test_aliases_are_refused_on_predefined_networks(app: Shell) -> None:
    msg = "network-scoped alias is supported only for containers in user defined networks"
    out = run(app, "docker network connect --alias x bridge cli; echo $?")
    assert out.endswith(f"Error response from daemon: {msg}\n1\n")
    out = run(app, "docker run -d --name bad --network-alias x busybox sleep 100; echo $?")
    assert f"docker: Error response from daemon: {msg}.\n125\n" in out  # at start: no help hint
    assert re.search(r"Created +bad", run(app, "docker ps -a"))
    out = run(app, "docker start bad")
    assert f"Error response from daemon: {msg}\nError: failed to start containers: bad\n" in out


def test_service_network_alias_gets_the_vip_and_tasks_records() -> None:
    sh = Shell(swarm(seed=2), "ip-10-0-2-197")
    run(sh, "docker network create -d overlay mynet",
        "docker service create -d --name web --replicas 2 --network name=mynet,alias=front traefik/whoami",
        "docker service create -d --name client --network mynet busybox sleep 100000", "sleep 5")
    client = "$(docker ps -q -f name=client)"
    vip = answers(run(sh, f"docker exec {client} nslookup web"), "web")
    assert answers(run(sh, f"docker exec {client} nslookup front"), "front") == vip
    tasks = answers(run(sh, f"docker exec {client} nslookup tasks.front"), "tasks.front")
    assert sorted(tasks) == sorted(answers(run(sh, f"docker exec {client} nslookup tasks.web"), "tasks.web"))
    assert len(tasks) == 2


def test_service_network_option_errors_are_pflags() -> None:
    sh = Shell(swarm(seed=2), "ip-10-0-2-197")
    out = run(sh, "docker service create --network name=x,bogus=1 busybox; echo $?")
    assert ('invalid argument "name=x,bogus=1" for "--network" flag: invalid field key bogus\n'
            "See 'docker service create --help'.\n125\n") in out
    out = run(sh, "docker service create --network alias=a busybox")
    assert "network name/id is not specified" in out
