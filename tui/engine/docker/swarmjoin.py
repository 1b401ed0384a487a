"""Joining a swarm the way moby's nodeRunner and swarmkit's node do it, over TCP to the manager's 2377.

What the real daemon does (moby daemon/cluster/swarm.go ``Join``, noderunner.go; swarmkit
node/node.go ``loadSecurityConfig``, ca/certificates.go ``DownloadRootCA``, ca/config.go
``GetRemoteCA``):

- ``Join`` starts a node runner, then waits ``swarmConnectTimeout`` (20 s) for it to become
  ready. If it is not ready by then the API answers with the "continue in the background"
  error and the runner stays: ``docker info`` says ``Swarm: pending``, a second join or an init
  says "already part of a swarm", ``docker swarm leave`` stops it.
- The node first fetches the root CA from the join address: one gRPC call with a 5 s deadline
  over a fresh connection, retried ``DownloadRootCA``'s 5 times with ``GetCertRetryInterval``
  (2 s) after each failure. A refused connection fails a try at once; a dropped SYN uses up
  the 5 s.
- When every try has failed the node exits with the last error. The runner restarts a node
  with backoff (``enableReconnectWatcher``: 100 ms doubling to 30 s) only if it had been ready
  once or it is a repeated run, so a first join that never got through stops there: the state
  becomes ``error`` with that error text, and nothing more happens until ``docker swarm leave``.

The model sends one request line and reads one reply line on that connection (the TLS and
gRPC bytes are not modelled), so firewall rules, routes and the listener decide the outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui.engine.clock import MS, SEC
from tui.engine.docker.daemon import daemon_error
from tui.engine.docker.ipam import ip, ip_str
from tui.engine.process import Waiter
from tui.engine.tcp import stack

if TYPE_CHECKING:
    from tui.engine.clock import Timer
    from tui.engine.docker.daemon import Daemon
    from tui.engine.docker.swarm import Cluster, Member
    from tui.engine.tcp import Conn

SWARM_PORT = 2377  # daemon/cluster defaultAddr 0.0.0.0:2377
SWARM_CONNECT_TIMEOUT = 20 * SEC  # daemon/cluster/cluster.go swarmConnectTimeout
RPC_TIMEOUT = 5 * SEC  # ca/config.go GetRemoteCA: context.WithTimeout(ctx, 5*time.Second)
CERT_RETRY_INTERVAL = 2 * SEC  # ca.GetCertRetryInterval
ROOT_CA_TRIES = 5  # ca/certificates.go DownloadRootCA: "Retry up to 5 times"
REGISTER_TIME = 1500 * MS  # certificate issuance and the agent's first session, once the CA answered

SWARM_EXISTS = ('This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join '
                "another one.")
JOIN_TIMEOUT = ('Timeout was reached before node joined. The attempt to join the swarm will continue in the '
                'background. Use the "docker info" command to see the current swarm status of your node.')
DEADLINE_EXCEEDED = "rpc error: code = DeadlineExceeded desc = context deadline exceeded"
# Go's syscall.Errno texts, as net.Dial reports them inside gRPC's transport error
ERRNO_TEXT = {"ECONNREFUSED": "connection refused", "EHOSTUNREACH": "no route to host",
              "ENETUNREACH": "network is unreachable", "ETIMEDOUT": "connection timed out",
              "EHOSTDOWN": "host is down", "EACCES": "permission denied", "EINVAL": "invalid argument"}


def _dial_error(addr: str, errno: str) -> str:
    return ('rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing '
            f'dial tcp {addr}: connect: {ERRNO_TEXT.get(errno, errno)}"')


def normalize_addr(target: str) -> str:
    """validateAddr: opts.ParseTCPAddr with the default 0.0.0.0:2377 fills in a missing port."""
    host, sep, port = target.rpartition(":")
    if not sep:
        return f"{target}:{SWARM_PORT}"
    return f"{host}:{port or SWARM_PORT}"


class JoinAttempt:
    """The node runner of a join that has not completed: ``pending`` while it tries, ``error`` once
    the node gave up (no restart: it never was ready)."""

    def __init__(self, daemon: Daemon, token: str, remote: str, advertise: str | None = None) -> None:
        self.daemon = daemon
        self.token = token
        self.remote = normalize_addr(remote)
        host, _, port = self.remote.rpartition(":")
        self.host = host
        self.port = int(port) if port.isdigit() else SWARM_PORT
        self.advertise = advertise
        self.status = "pending"
        self.err = ""
        self.node_running = True  # nodeState.swarmNode != nil
        self.ready = Waiter()  # nodeRunner.Ready(): fires "" when ready, else the node's error
        self.role = ""
        self.tries = 0
        self._try = 0  # serial of the current try: callbacks of older ones are ignored
        self._conn: Conn | None = None
        self._timer: Timer | None = None
        self._buf = b""
        ns = daemon.host.root_ns
        try:
            dst = ip(self.host)
        except (ValueError, OSError):
            dst = None
        self._dst = dst
        src = ns.source_for(dst) if dst is not None else None
        # newNodeRunner: with no listen/advertise address, the local address is the one that routes to RemoteAddr
        self.local_addr = advertise or (ip_str(src) if src is not None else "")

    @property
    def clock(self) -> Any:
        return self.daemon.clock

    # --- the CA download loop ------------------------------------------------------------------------
    def start(self) -> None:
        self._attempt()

    def _attempt(self) -> None:
        self._try += 1
        serial = self._try
        self._buf = b""
        if self._dst is None:
            self._failed(serial, f'rpc error: code = Unavailable desc = connection error: desc = "transport: Error '
                                 f'while dialing dial tcp: lookup {self.host}: no such host"')
            return
        tcp = stack(self.daemon.host.root_ns)
        conn = tcp.connect(self._dst, self.port, nodelay=True)  # gRPC-go sets TCP_NODELAY
        if conn is None:
            self._failed(serial, _dial_error(self.remote, tcp.last_error))
            return
        self._conn = conn
        conn.on_established = lambda c: self._established(serial, c)
        conn.on_data = lambda c, data: self._data(serial, c, data)
        conn.on_close = lambda c, why: self._closed(serial, why)
        self._timer = self.clock.call_later(RPC_TIMEOUT, self._deadline, serial)

    def _established(self, serial: int, conn: Conn) -> None:
        if serial == self._try and self.status == "pending":
            conn.send(f"IssueNodeCertificate {self.token}\n".encode())

    def _data(self, serial: int, conn: Conn, data: bytes) -> None:
        if serial != self._try or self.status != "pending":
            return
        self._buf += data
        if b"\n" not in self._buf:
            return
        line = self._buf.split(b"\n", 1)[0].decode()
        self._cancel_timer()
        self._conn = None
        conn.close()
        verb, _, rest = line.partition(" ")
        if verb == "OK":
            cluster_id, _, role = rest.partition(" ")
            self.clock.call_later(REGISTER_TIME, self._registered, serial, cluster_id, role)
        else:  # the CA refused the request: the node exits with its answer, no more tries
            self._exit(rest)

    def _closed(self, serial: int, why: str) -> None:
        if serial != self._try or self.status != "pending" or self._conn is None:
            return
        self._conn = None
        self._cancel_timer()
        self._failed(serial, _dial_error(self.remote, why) if why else
                     "rpc error: code = Unavailable desc = transport is closing")

    def _deadline(self, serial: int) -> None:
        if serial != self._try or self.status != "pending":
            return
        self._timer = None
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()  # ClientConn.Close: a socket still in SYN_SENT just goes away
        self._failed(serial, DEADLINE_EXCEEDED)

    def _failed(self, serial: int, err: str) -> None:
        self.tries += 1
        # DownloadRootCA logs and waits GetCertRetryInterval after every failed try, the last one too
        self._timer = self.clock.call_later(CERT_RETRY_INTERVAL, self._retry, serial, err)

    def _retry(self, serial: int, err: str) -> None:
        if serial != self._try or self.status != "pending":
            return
        self._timer = None
        if self.tries >= ROOT_CA_TRIES:
            self._exit(err)
        else:
            self._attempt()

    def _exit(self, err: str) -> None:
        """node.run returned ``err``: handleNodeExit keeps it; a first run is not restarted."""
        self.status = "error"
        self.err = err
        self.node_running = False
        self.ready.fire(err)

    def _registered(self, serial: int, cluster_id: str, role: str) -> None:
        if serial != self._try or self.status != "pending":
            return
        cluster = next((c for c in getattr(self.daemon.lab, "swarms", []) if c.id == cluster_id), None)
        if cluster is None:
            self._exit(DEADLINE_EXCEEDED)
            return
        self.status = "active"
        self.role = role
        self.daemon.joining = None
        cluster.add_node(self.daemon, self.local_addr, role)
        self.ready.fire("")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # --- nodeRunner.Stop (docker swarm leave) ----------------------------------------------------------
    def stop(self) -> None:
        self._try += 1
        self._cancel_timer()
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
        self.status = "inactive"
        self.node_running = False
        self.daemon.joining = None


def start_join(daemon: Daemon, token: str, remote: str, advertise: str | None = None) -> JoinAttempt:
    """Cluster.Join up to the wait: refuse when a node runner exists, else start one."""
    if daemon.swarm is not None or daemon.joining is not None:
        raise daemon_error(SWARM_EXISTS)
    attempt = JoinAttempt(daemon, token, remote, advertise)
    daemon.joining = attempt
    attempt.start()
    return attempt


def no_manager_error(daemon: Daemon) -> str:
    """errNoManager for a node that is not an active manager (daemon/cluster/helpers.go)."""
    from tui.engine.docker.swarm import NOT_IN_SWARM, NOT_MANAGER

    j = daemon.joining
    if daemon.swarm is None and (j is None or not j.node_running):
        return NOT_IN_SWARM
    return NOT_MANAGER


# --- the manager's side: the remote API on 0.0.0.0:2377 ------------------------------------------------------
def listen_remote_api(member: Member) -> None:
    """A manager listens on 0.0.0.0:2377 (node.BindRemote); the CA answers join requests there."""
    ns = member.daemon.host.root_ns
    stack(ns).listen(0, SWARM_PORT, lambda conn: _accept(member, conn))


def stop_remote_api(member: Member) -> None:
    stack(member.daemon.host.root_ns).unlisten(0, SWARM_PORT)


def _accept(member: Member, conn: Conn) -> None:
    buf = bytearray()

    def on_data(c: Conn, data: bytes) -> None:
        buf.extend(data)
        if b"\n" not in buf:
            return
        line = bytes(buf).split(b"\n", 1)[0].decode()
        _verb, _, token = line.partition(" ")
        c.send((_answer(member.cluster, token) + "\n").encode())
        c.close()

    conn.nodelay = True
    conn.on_data = on_data
    conn.on_close = lambda c, why: None


def _answer(cluster: Cluster, token: str) -> str:
    """The CA's verdict on a join token (swarmkit ca/server.go IssueNodeCertificate)."""
    if token == cluster.worker_token:
        return f"OK {cluster.id} worker"
    if token == cluster.manager_token:
        return f"OK {cluster.id} manager"
    if not token.startswith("SWMTKN-1-") or len(token) != 85:
        return "ERR invalid join token"
    return "ERR rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster"


__all__ = ["JoinAttempt", "start_join", "no_manager_error", "listen_remote_api", "stop_remote_api",
           "normalize_addr", "SWARM_CONNECT_TIMEOUT", "SWARM_EXISTS", "JOIN_TIMEOUT", "SWARM_PORT"]
