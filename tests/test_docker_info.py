"""docker info and `docker info -f` over the same Info data."""

from __future__ import annotations

import json
import re

from tests.shelltools import run
from tui.engine.docker.scenarios import docker_host, swarm
from tui.shell import Shell


def body(out: str) -> str:
    return out.split("\n", 1)[1]


def test_inactive_node() -> None:
    sh = Shell(docker_host(seed=1), "ip-10-0-2-197")
    assert body(run(sh, "docker info -f '{{.Swarm.LocalNodeState}}'")) == "inactive\n"
    assert body(run(sh, "docker info -f '{{json .Swarm}}'")) == (
        '{"NodeID":"","NodeAddr":"","LocalNodeState":"inactive","ControlAvailable":false,"Error":"",'
        '"RemoteManagers":null}\n')
    run(sh, "docker run -d busybox sleep 100")
    assert body(run(sh, "docker info --format '{{.Containers}}/{{.ContainersRunning}} {{.Name}}'")) == \
        "1/1 ip-10-0-2-197\n"
    assert " Swarm: inactive\n" in run(sh, "docker info")


def test_manager_and_worker_agree_with_the_text_view() -> None:
    sh = Shell(swarm(seed=2), "ip-10-0-2-197")
    node_id = body(run(sh, "docker info -f '{{.Swarm.NodeID}}'")).strip()
    assert re.fullmatch(r"[0-9a-z]{25}", node_id)
    assert f"  NodeID: {node_id}\n  Is Manager: true\n" in run(sh, "docker info")
    sw = json.loads(body(run(sh, "docker info -f '{{json .Swarm}}'")))
    assert list(sw)[:6] == ["NodeID", "NodeAddr", "LocalNodeState", "ControlAvailable", "Error", "RemoteManagers"]
    assert sw["ControlAvailable"] is True and sw["Nodes"] == 2 and sw["Managers"] == 1
    assert sw["RemoteManagers"] == [{"NodeID": node_id, "Addr": "10.0.2.197:2377"}]
    assert sw["Cluster"]["Spec"]["Dispatcher"] == {"HeartbeatPeriod": 5_000_000_000}
    assert sw["Cluster"]["TLSInfo"]["CertIssuerSubject"] == "MBMxETAPBgNVBAMTCHN3YXJtLWNh"  # DER of CN=swarm-ca
    out = body(run(sh, "ssh ip-10-0-2-253 \"docker info -f '{{json .Swarm}}'\""))
    worker = json.loads(out)
    assert worker["ControlAvailable"] is False and "Cluster" not in worker and "Nodes" not in worker


def test_template_errors() -> None:
    sh = Shell(docker_host(seed=1), "ip-10-0-2-197")
    out = run(sh, "docker info -f '{{.Swarm.Nope'; echo $?")
    assert body(out) == "Template parsing error: template: :1: unclosed action\n64\n"
    out = run(sh, "docker info -f 'x{{.Nope}}'; echo $?")
    assert body(out) == ("x\ntemplate: :1:3: executing \"\" at <.Nope>: can't evaluate field Nope in type "
                         "system.info\n1\n")
