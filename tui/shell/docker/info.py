"""`docker info`: the daemon's Info (API types.Info / swarm.Info) and the CLI's two ways of showing it.

docker/cli cli/command/system/info.go: without ``--format`` prettyPrintInfo walks the
struct (printSwarmInfo for the Swarm block); with ``-f/--format`` the template runs
on ``info{*types.Info, ClientInfo, ClientErrors, ServerErrors}`` and a newline
follows. A template that does not parse exits 64 with ``Template parsing error: ...``.
Both views read the same :class:`GoStruct` built here from the daemon's state.
"""

from __future__ import annotations

import base64
from typing import Any

from tui.engine.docker.daemon import ENGINE_VERSION, Daemon
from tui.shell.docker.humanize import human_duration, rfc3339nano
from tui.shell.formats.gotemplate import GoStruct

SEC_NS = 1_000_000_000
# swarmkit defaults (manager/manager.go, state/raft/raft.go, dispatcher/dispatcher.go, ca/certificates.go)
TASK_HISTORY = 5
SNAPSHOT_INTERVAL = 10000
LOG_ENTRIES_FOR_SLOW_FOLLOWERS = 500
ELECTION_TICK = 10
HEARTBEAT_TICK = 1
DISPATCHER_HEARTBEAT_NS = 5 * SEC_NS
NODE_CERT_EXPIRY_NS = 90 * 24 * 3600 * SEC_NS
ROOT_CA_CN = "swarm-ca"  # swarmkit ca.rootCN


def _der(tag: int, body: bytes) -> bytes:
    assert len(body) < 128
    return bytes([tag, len(body)]) + body


def _issuer_subject(cn: str) -> str:
    """The DER of the RDN sequence `CN=<cn>`, base64 (TLSInfo.CertIssuerSubject)."""
    oid_cn = _der(0x06, bytes([0x55, 0x04, 0x03]))  # 2.5.4.3
    atv = _der(0x30, oid_cn + _der(0x13, cn.encode()))  # PrintableString
    return base64.b64encode(_der(0x30, _der(0x31, atv))).decode()


def _struct(type_name: str, fields: dict[str, Any], omitempty: tuple[str, ...] = ()) -> GoStruct:
    js = {k: (v.__go_json__() if isinstance(v, GoStruct) else v) for k, v in fields.items()
          if not (k in omitempty and not v)}
    return GoStruct(type_name, fields, json=js)


def swarm_struct(d: Daemon) -> GoStruct:
    """swarm.Info as the daemon fills it (daemon/cluster/swarm.go Info)."""
    m = d.swarm
    j = d.joining
    if m is None and j is not None:
        # nodeRunner.State: "pending" until ready, "error" once the node exited; the node ID comes with
        # the certificate, so it is still empty; Remotes() holds the join address while the node runs
        remote = [_struct("swarm.Peer", {"NodeID": "", "Addr": j.remote})] if j.node_running else None
        return _struct("swarm.Info", {"NodeID": "", "NodeAddr": j.local_addr, "LocalNodeState": j.status,
                                      "ControlAvailable": False, "Error": j.err, "RemoteManagers": remote,
                                      "Nodes": 0, "Managers": 0, "Cluster": None},
                       omitempty=("Nodes", "Managers", "Cluster"))
    if m is None:
        return _struct("swarm.Info", {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive",
                                      "ControlAvailable": False, "Error": "", "RemoteManagers": None,
                                      "Nodes": 0, "Managers": 0, "Cluster": None},
                       omitempty=("Nodes", "Managers", "Cluster"))
    c = m.cluster
    node = m.node
    managers = [n for n in c.nodes.values() if n.role == "manager"]
    remote = [_struct("swarm.Peer", {"NodeID": n.id, "Addr": f"{n.addr}:2377"}) for n in managers]
    cluster = None
    if m.is_manager:
        created = rfc3339nano(c.created_ns)
        spec = _struct("swarm.Spec", {
            "Name": "default", "Labels": {},
            "Orchestration": _struct("swarm.OrchestrationConfig", {"TaskHistoryRetentionLimit": TASK_HISTORY}),
            "Raft": _struct("swarm.RaftConfig", {"SnapshotInterval": SNAPSHOT_INTERVAL, "KeepOldSnapshots": 0,
                                                 "LogEntriesForSlowFollowers": LOG_ENTRIES_FOR_SLOW_FOLLOWERS,
                                                 "ElectionTick": ELECTION_TICK, "HeartbeatTick": HEARTBEAT_TICK}),
            "Dispatcher": _struct("swarm.DispatcherConfig", {"HeartbeatPeriod": DISPATCHER_HEARTBEAT_NS}),
            "CAConfig": _struct("swarm.CAConfig", {"NodeCertExpiry": NODE_CERT_EXPIRY_NS, "ForceRotate": 0},
                                omitempty=("ForceRotate",)),
            "TaskDefaults": _struct("swarm.TaskDefaults", {}),
            "EncryptionConfig": _struct("swarm.EncryptionConfig", {"AutoLockManagers": False}),
        })
        # the root CA's certificate and key are not modelled: TrustRoot and the public key stay empty
        tls = _struct("swarm.TLSInfo", {"TrustRoot": "", "CertIssuerSubject": _issuer_subject(ROOT_CA_CN),
                                        "CertIssuerPublicKey": ""}, omitempty=("TrustRoot", "CertIssuerSubject",
                                                                               "CertIssuerPublicKey"))
        cluster = _struct("*swarm.ClusterInfo", {
            "ID": c.id, "Version": _struct("swarm.Version", {"Index": 0}, omitempty=("Index",)),
            "CreatedAt": created, "UpdatedAt": created, "Spec": spec, "TLSInfo": tls,
            "RootRotationInProgress": False, "DefaultAddrPool": [c.default_pool], "SubnetSize": c.mask_len,
            "DataPathPort": c.data_path_port,
        })
    return _struct("swarm.Info", {
        "NodeID": node.id, "NodeAddr": node.addr, "LocalNodeState": "active", "ControlAvailable": m.is_manager,
        "Error": "", "RemoteManagers": remote, "Nodes": len(c.nodes) if m.is_manager else 0,
        "Managers": len(managers) if m.is_manager else 0, "Cluster": cluster,
    }, omitempty=("Nodes", "Managers", "Cluster"))


def info_struct(d: Daemon) -> GoStruct:
    """system.info: the embedded *types.Info (the fields the model knows, in the API's order) and ClientInfo."""
    running = sum(1 for c in d.containers.values() if c.running)
    plugins = _struct("types.PluginsInfo", {
        "Volume": ["local"], "Network": ["bridge", "host", "ipvlan", "macvlan", "null", "overlay"],
        "Authorization": None,
        "Log": ["awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local", "logentries", "splunk",
                "syslog"]})
    runtimes = {name: {"path": path} for name, path in (("io.containerd.runc.v2", "runc"),
                                                        ("io.containerd.runtime.v1.linux", "runc"),
                                                        ("runc", "runc"))}
    client = _struct("*system.clientInfo", {"Debug": False, "Context": "default", "Plugins": [], "Warnings": None},
                     omitempty=("Warnings",))
    return _struct("system.info", {
        "Containers": len(d.containers), "ContainersRunning": running, "ContainersPaused": 0,
        "ContainersStopped": len(d.containers) - running, "Images": len(d.images), "Driver": "overlay2",
        "Plugins": plugins, "IPv4Forwarding": bool(d.host.root_ns.sysctl.get("net.ipv4.ip_forward")),
        "LoggingDriver": "json-file", "CgroupDriver": "cgroupfs", "DockerRootDir": "/var/lib/docker",
        "Name": d.host.hostname, "ServerVersion": ENGINE_VERSION, "Runtimes": runtimes, "DefaultRuntime": "runc",
        "Swarm": swarm_struct(d), "ClientInfo": client, "ClientErrors": None, "ServerErrors": None,
    }, omitempty=("ClientErrors", "ServerErrors"))


def pretty(info: GoStruct) -> str:
    """prettyPrintInfo, for the parts of Info the model fills."""
    f = info.fields
    p = f["Plugins"].fields
    cl = f["ClientInfo"].fields
    lines = ["Client:", f" Context:    {cl['Context']}", f" Debug Mode: {str(cl['Debug']).lower()}", "", "Server:",
             f" Containers: {f['Containers']}", f"  Running: {f['ContainersRunning']}",
             f"  Paused: {f['ContainersPaused']}", f"  Stopped: {f['ContainersStopped']}", f" Images: {f['Images']}",
             f" Server Version: {f['ServerVersion']}", f" Storage Driver: {f['Driver']}",
             f" Logging Driver: {f['LoggingDriver']}", f" Cgroup Driver: {f['CgroupDriver']}", " Plugins:",
             "  Volume: " + " ".join(p["Volume"]), "  Network: " + " ".join(p["Network"]),
             "  Log: " + " ".join(p["Log"])]
    lines += swarm_lines(f["Swarm"])
    lines += [" Runtimes: " + " ".join(f["Runtimes"]), f" Default Runtime: {f['DefaultRuntime']}",
              f" Name: {f['Name']}", f" Docker Root Dir: {f['DockerRootDir']}"]
    return "\n".join(lines) + "\n"


def swarm_lines(sw: GoStruct) -> list[str]:
    """printSwarmInfo: nothing more than the state when inactive; manager-only lines need ControlAvailable."""
    s = sw.fields
    lines = [f" Swarm: {s['LocalNodeState']}"]
    if s["LocalNodeState"] in ("inactive", "locked"):
        return lines
    lines.append(f"  NodeID: {s['NodeID']}")
    if s["Error"]:
        lines.append(f"  Error: {s['Error']}")
    lines.append(f"  Is Manager: {str(s['ControlAvailable']).lower()}")
    cluster = s["Cluster"]
    if cluster is not None and s["ControlAvailable"] and not s["Error"] and s["LocalNodeState"] != "error":
        c = cluster.fields
        spec = c["Spec"].fields
        raft = spec["Raft"].fields
        lines += [f"  ClusterID: {c['ID']}", f"  Managers: {s['Managers']}", f"  Nodes: {s['Nodes']}",
                  "  Default Address Pool: " + "".join(pool + "  " for pool in c["DefaultAddrPool"]),
                  f"  SubnetSize: {c['SubnetSize']}"]
        if c["DataPathPort"] > 0:
            lines.append(f"  Data Path Port: {c['DataPathPort']}")
        lines += ["  Orchestration:",
                  f"   Task History Retention Limit: {spec['Orchestration'].fields['TaskHistoryRetentionLimit']}",
                  "  Raft:", f"   Snapshot Interval: {raft['SnapshotInterval']}",
                  f"   Number of Old Snapshots to Retain: {raft['KeepOldSnapshots']}",
                  f"   Heartbeat Tick: {raft['HeartbeatTick']}", f"   Election Tick: {raft['ElectionTick']}",
                  "  Dispatcher:",
                  f"   Heartbeat Period: {human_duration(spec['Dispatcher'].fields['HeartbeatPeriod'])}",
                  "  CA Configuration:",
                  f"   Expiry Duration: {human_duration(spec['CAConfig'].fields['NodeCertExpiry'])}",
                  f"   Force Rotate: {spec['CAConfig'].fields['ForceRotate']}",
                  f"  Autolock Managers: {str(spec['EncryptionConfig'].fields['AutoLockManagers']).lower()}",
                  f"  Root Rotation In Progress: {str(c['RootRotationInProgress']).lower()}"]
    lines.append(f"  Node Address: {s['NodeAddr']}")
    if s["RemoteManagers"]:
        lines.append("  Manager Addresses:")
        lines += [f"   {a}" for a in sorted(p.fields["Addr"] for p in s["RemoteManagers"])]
    return lines
