"""docker-proxy: the userland proxy the bridge driver starts for each published port (on by default).

It is what answers ``curl localhost:8080`` on a Docker host: the nat rules only
catch traffic that arrives from outside (PREROUTING) or is sent by the host to one
of its addresses other than 127.0.0.0/8 (OUTPUT ``! -d 127.0.0.0/8``), and the
``-i <bridge> -j RETURN`` rule lets containers' own traffic to a published port
(hairpin) through un-NATed. Those connections reach the proxy's listening
socket; it opens a new connection to the container, so the container sees the
bridge's gateway address (172.17.0.1) as the client.

Behaviour follows libnetwork cmd/proxy/tcp_proxy.go (the ``docker-proxy`` binary of
Docker 20.10): ``ListenTCP("tcp4", host-ip:host-port)``; for each accepted client
``DialTCP`` to the container, and on failure ``client.Close()`` (with the client's
request still unread in the socket, the kernel answers with a RST); then two
``io.Copy`` brokers, each ending with ``from.CloseRead(); to.CloseWrite()``; when
both are done, both sockets are closed. Go sets TCP_NODELAY on every TCP socket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.engine.addr import int_to_ip
from tui.engine.tcp import Conn, stack

if TYPE_CHECKING:
    from tui.engine.netns import Namespace

PROXY_COMMAND = "docker-proxy"  # libnetwork portmapper: userlandProxyCommandName


class ProxyError(OSError):
    """The proxy could not start; ``str()`` is what it reports to the daemon on its status pipe."""


class _Relay:
    """One client connection and its backend connection (tcp_proxy.go ``clientLoop``)."""

    def __init__(self, proxy: UserlandProxy, client: Conn) -> None:
        self.proxy = proxy
        self.client = client
        self.backend: Conn | None = None
        self.pending = bytearray()  # client bytes the proxy has not read yet (still dialing)
        self.client_eof = False
        self.backend_eof = False
        self.done = False
        client.nodelay = True
        client.on_established = self._accepted
        client.on_data = self._from_client
        client.on_close = self._client_closed

    # Accept() returns once the handshake is complete; then the proxy dials the container.
    def _accepted(self, _c: Conn) -> None:
        tcp = stack(self.proxy.ns)
        backend = tcp.connect(self.proxy.container_ip, self.proxy.container_port, nodelay=True)
        if backend is None:
            self._dial_failed()
            return
        self.backend = backend
        backend.on_established = self._dialed
        backend.on_data = self._from_backend
        backend.on_close = self._backend_closed

    def _dialed(self, backend: Conn) -> None:
        if self.pending:
            backend.send(bytes(self.pending))
            self.pending.clear()
        if self.client_eof:
            backend.close()

    def _dial_failed(self) -> None:
        # log.Printf("Can't forward traffic to backend ...") then client.Close(): unread data means a RST
        self.done = True
        if self.pending:
            self.client.abort()
        else:
            self.client.close()
        self.proxy.forget(self)

    def _from_client(self, _c: Conn, data: bytes) -> None:
        b = self.backend
        if b is not None and b.established:
            b.send(data)
        else:
            self.pending += data

    def _from_backend(self, _c: Conn, data: bytes) -> None:
        self.client.send(data)

    def _client_closed(self, _c: Conn, _err: str) -> None:
        self.client_eof = True
        b = self.backend
        if b is not None and b.established:
            b.close()  # to.CloseWrite(): the FIN follows what was copied
        self._maybe_finish()

    def _backend_closed(self, backend: Conn, err: str) -> None:
        if not backend.established and not self.backend_eof and err:
            self.backend_eof = True
            self._dial_failed()
            return
        self.backend_eof = True
        self.client.close()
        self._maybe_finish()

    def _maybe_finish(self) -> None:
        if self.client_eof and self.backend_eof and not self.done:
            self.done = True
            self.proxy.forget(self)

    def shutdown(self) -> None:
        """The process exits: the kernel closes both sockets."""
        self.done = True
        for conn in (self.client, self.backend):
            if conn is not None and conn.state not in ("CLOSED", "TIME_WAIT"):
                conn.on_close = None
                conn.close()


class UserlandProxy:
    """One ``docker-proxy`` process: a TCP listener on the host and its relays to one container port."""

    def __init__(self, ns: Namespace, proto: str, host_ip: int, host_port: int, container_ip: int,
                 container_port: int) -> None:
        self.ns = ns
        self.proto = proto
        self.host_ip = host_ip
        self.host_port = host_port
        self.container_ip = container_ip
        self.container_port = container_port
        self.relays: list[_Relay] = []
        self.running = False

    @property
    def argv(self) -> list[str]:
        """The command line libnetwork's newProxyCommand builds."""
        return [PROXY_COMMAND, "-proto", self.proto, "-host-ip", int_to_ip(self.host_ip),
                "-host-port", str(self.host_port), "-container-ip", int_to_ip(self.container_ip),
                "-container-port", str(self.container_port)]

    def start(self) -> UserlandProxy:
        """ListenTCP("tcp4", ...); a taken port fails as Go words it."""
        if self.proto != "tcp":
            raise ProxyError(f"unsupported protocol {self.proto}")
        tcp = stack(self.ns)
        taken = (self.host_ip, self.host_port) in tcp.listeners or (0, self.host_port) in tcp.listeners or (
            self.host_ip == 0 and any(p == self.host_port for (_a, p) in tcp.listeners))
        if taken or not tcp.listen(self.host_ip, self.host_port, self._accept):
            raise ProxyError(f"listen tcp4 {int_to_ip(self.host_ip)}:{self.host_port}: bind: address already in use")
        self.running = True
        return self

    def stop(self) -> None:
        """SIGINT: the listener closes and the process exits."""
        if not self.running:
            return
        self.running = False
        if self.ns.tcp is not None:
            self.ns.tcp.unlisten(self.host_ip, self.host_port)
        for relay in list(self.relays):
            relay.shutdown()
        self.relays.clear()

    def _accept(self, conn: Conn) -> None:
        self.relays.append(_Relay(self, conn))

    def forget(self, relay: _Relay) -> None:
        if relay in self.relays:
            self.relays.remove(relay)
