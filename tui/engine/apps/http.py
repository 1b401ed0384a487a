"""HTTP/1.1 over the simulated TCP: a server model, the images' behaviours, and a client for the tools.

Why: the Swarm lessons prove load balancing and service discovery with
``curl web`` and ``wget -qO- web`` against nginx and traefik/whoami tasks, so
the answers must be the real bytes those programs send (nginx's welcome page
and its exact headers, whoami's echo of the request as Go re-serialises it,
``RemoteAddr`` as the server really sees it after NAT and IPVS), and the
exchange must be real TCP that tcpdump can show.

* :class:`HttpServer` parses requests from a TCP stream and answers them with
  ``handler(request) -> (status, headers, body)``; it keeps connections alive
  or closes them as HTTP/1.1 says, and sends headers and body as separate
  writes when the program does (nginx's sendfile).
* :func:`nginx_server`, :func:`whoami_server` and :func:`example_com_server` are
  the behaviours of the images (and of the internet stand-in's example.com).
* :func:`http_get` is the client used by ``curl`` and busybox ``wget``: a
  process generator that resolves the name with the C library's behaviour,
  connects, sends the request and reads the response, reporting each step to
  an optional ``trace`` callback so a verbose tool can print it as it happens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.engine.addr import int_to_ip
from tui.engine.apps.dns import getaddrinfo
from tui.engine.clock import SEC, US
from tui.engine.process import Process, Waiter, sleep_or
from tui.engine.tcp import Conn, stack

if TYPE_CHECKING:
    from tui.engine.netns import Namespace

REASONS = {
    100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    206: "Partial Content", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
    307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
    413: "Request Entity Too Large", 414: "Request-URI Too Large", 500: "Internal Server Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}

Headers = list[tuple[str, str]]
Response = tuple[int, Headers, bytes]


def http_date(wall_ns: int) -> str:
    """RFC 7231 IMF-fixdate of a virtual wall-clock instant (``Sat, 28 Nov 2026 22:55:24 GMT``)."""
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(wall_ns // SEC))


def _ipport(ip: int, port: int) -> str:
    return f"{int_to_ip(ip)}:{port}"


# --------------------------------------------------------------------------- requests


@dataclass
class HttpRequest:
    """A request as the server received it, with who sent it (after any NAT on the way)."""

    method: str
    target: str
    version: str
    headers: Headers
    body: bytes = b""
    remote: tuple[int, int] = (0, 0)
    local: tuple[int, int] = (0, 0)
    t: int = 0

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    @property
    def remote_addr(self) -> str:
        """``ip:port`` of the client as the server sees it (Go's ``RemoteAddr``)."""
        return _ipport(*self.remote)

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0].split("#", 1)[0] or "/"

    @property
    def wants_close(self) -> bool:
        """Does the client want the connection closed after the response (HTTP/1.1 rules)?"""
        conn = (self.header("Connection") or "").lower()
        tokens = {t.strip() for t in conn.split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" not in tokens
        return "close" in tokens


def parse_head(data: bytes) -> tuple[str, Headers] | None:
    """The first line and the header fields of a message head (without the blank line)."""
    try:
        text = data.decode("latin-1")
    except UnicodeDecodeError:
        return None
    lines = text.split("\r\n")
    if not lines or not lines[0]:
        return None
    headers: Headers = []
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and headers:  # obsolete line folding
            k, v = headers[-1]
            headers[-1] = (k, v + " " + line.strip())
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            return None
        headers.append((name, value.strip()))
    return lines[0], headers


# --------------------------------------------------------------------------- the server


class _Session:
    """One accepted connection of an :class:`HttpServer`."""

    def __init__(self, server: HttpServer, conn: Conn) -> None:
        self.server = server
        self.conn = conn
        self.buf = bytearray()
        self.busy = False
        self.eof = False
        self.closing = False
        self.idle: Any = None
        conn.nodelay = server.nodelay
        conn.on_data = self.on_data
        conn.on_close = self.on_close
        conn.on_established = lambda c: self._arm_idle()

    def on_data(self, conn: Conn, data: bytes) -> None:
        self.buf += data
        self._next()

    def on_close(self, conn: Conn, error: str) -> None:
        self.eof = True
        if error:
            self._cancel_idle()
            return
        if not self.busy:
            self._finish()

    def _cancel_idle(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None

    def _arm_idle(self) -> None:
        self._cancel_idle()
        if self.server.idle_timeout:
            self.idle = self.server.ns.clock.call_later(self.server.idle_timeout, self._finish)

    def _finish(self, delay: int = 0) -> None:
        self._cancel_idle()
        if not self.closing:
            self.closing = True
            if delay:
                self.server.ns.clock.call_later(delay, self.conn.close)
            else:
                self.conn.close()

    def _next(self) -> None:
        if self.busy or self.closing:
            return
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > 16384:
                self._respond_error(400)
            return
        head = parse_head(bytes(self.buf[:end]))
        if head is None:
            self._respond_error(400)
            return
        line, headers = head
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self._respond_error(400)
            return
        length = 0
        for k, v in headers:
            if k.lower() == "content-length" and v.isdigit():
                length = int(v)
        if len(self.buf) < end + 4 + length:
            return
        body = bytes(self.buf[end + 4:end + 4 + length])
        del self.buf[:end + 4 + length]
        c = self.conn
        req = HttpRequest(parts[0], parts[1], parts[2], headers, body, (c.raddr, c.rport), (c.laddr, c.lport),
                          self.server.ns.clock.now)
        self.busy = True
        self._cancel_idle()
        self.server.requests.append(req)
        self.server.ns.clock.call_later(self.server.think, self._answer, req)

    def _respond_error(self, status: int) -> None:
        self.busy = True
        req = HttpRequest("GET", "/", "HTTP/1.1", [("Connection", "close")], b"", (self.conn.raddr, self.conn.rport),
                          (self.conn.laddr, self.conn.lport), self.server.ns.clock.now)
        req.method = ""
        self.buf.clear()
        self.server.ns.clock.call_later(self.server.think, self._answer, req, status)

    def _answer(self, req: HttpRequest, forced: int = 0) -> None:
        if self.conn.state == "CLOSED":
            return
        srv = self.server
        status, headers, body = srv.error_page(req, forced) if forced else srv.handler(req)
        version = srv.version or (req.version if srv.echo_version and req.version == "HTTP/1.0" else "HTTP/1.1")
        head = f"{version} {status} {REASONS.get(status, 'Unknown')}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        close = forced != 0 or not srv.keep_alive or req.wants_close or any(
            k.lower() == "connection" and v.lower() == "close" for k, v in headers)
        payload = b"" if req.method == "HEAD" else body
        if srv.split_body and payload:
            self.conn.send(head.encode("latin-1"))
            self.conn.send(payload)
        else:
            self.conn.send(head.encode("latin-1") + payload)
        self.busy = False
        if close or self.eof:
            self._finish(srv.close_delay)
        else:
            self._arm_idle()
            if self.buf:
                self._next()


class HttpServer:
    """An HTTP/1.1 server on ``port`` of a namespace, answering with ``handler(request)``.

    ``nodelay``: the program sets TCP_NODELAY (nginx, Go). ``split_body``: the
    head and the body go out as two writes (nginx with sendfile) rather than one
    (Go). ``think``: the program's time to produce an answer. ``idle_timeout``:
    how long a kept-alive connection may stay idle (nginx's keepalive_timeout).
    ``echo_version``: answer an HTTP/1.0 request with an HTTP/1.0 status line (Go);
    ``version`` forces the status line's version and ``keep_alive=False`` closes after
    every response (an HTTP/1.0 server such as Python's http.server), ``close_delay``
    after the last write.
    """

    def __init__(self, ns: Namespace, port: int, handler: Callable[[HttpRequest], Response], *, addr: int = 0,
                 nodelay: bool = True, split_body: bool = False, think: int = 60 * US,
                 idle_timeout: int | None = None, echo_version: bool = False, version: str | None = None,
                 keep_alive: bool = True, close_delay: int = 0,
                 error_page: Callable[[HttpRequest, int], Response] | None = None) -> None:
        self.ns = ns
        self.port = port
        self.addr = addr
        self.handler = handler
        self.nodelay = nodelay
        self.split_body = split_body
        self.think = think
        self.idle_timeout = idle_timeout
        self.echo_version = echo_version
        self.version = version
        self.keep_alive = keep_alive
        self.close_delay = close_delay
        self.error_page = error_page or _plain_error
        self.requests: list[HttpRequest] = []
        self.sessions: list[_Session] = []
        self.listening = False

    def start(self) -> HttpServer:
        """Listen (like bind + listen); a port already taken raises OSError(EADDRINUSE)."""
        if not stack(self.ns).listen(self.addr, self.port, self._accept):
            raise OSError(98, "Address already in use")
        self.listening = True
        return self

    def stop(self) -> None:
        """Stop listening and drop open connections (the program exited: the kernel resets them)."""
        if self.ns.tcp is not None:
            self.ns.tcp.unlisten(self.addr, self.port)
        self.listening = False
        for s in self.sessions:
            if s.conn.state not in ("CLOSED", "TIME_WAIT"):
                s.conn.abort()
        self.sessions.clear()

    def _accept(self, conn: Conn) -> None:
        session = _Session(self, conn)
        self.sessions = [s for s in self.sessions if s.conn.state != "CLOSED"]
        self.sessions.append(session)


def _plain_error(req: HttpRequest, status: int) -> Response:
    body = f"{status} {REASONS.get(status, '')}".encode()
    return status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body))), ("Connection", "close")], body


# --------------------------------------------------------------------------- nginx

NGINX_VERSION = "1.25.3"
# The welcome page of the nginx 1.25 image (/usr/share/nginx/html/index.html, 615 bytes).
NGINX_INDEX = (
    b"<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n"
    b"html { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\n"
    b"font-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n"
    b"<h1>Welcome to nginx!</h1>\n"
    b"<p>If you see this page, the nginx web server is successfully installed and\n"
    b"working. Further configuration is required.</p>\n\n"
    b"<p>For online documentation and support please refer to\n"
    b'<a href="http://nginx.org/">nginx.org</a>.<br/>\n'
    b"Commercial support is available at\n"
    b'<a href="http://nginx.com/">nginx.com</a>.</p>\n\n'
    b"<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n"
)
# The file's mtime in the 1.25.3 image: Last-Modified and the ETag ("<mtime hex>-<size hex>") come from it.
NGINX_INDEX_MTIME = 1698155207  # Tue, 24 Oct 2023 13:46:47 GMT
NGINX_50X = (
    b"<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n<style>\n"
    b"html { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\n"
    b"font-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n"
    b"<h1>An error occurred.</h1>\n<p>Sorry, the page you are looking for is currently unavailable.<br/>\n"
    b"Please try again later.</p>\n<p>If you are the system administrator of this resource then you should check\n"
    b"the error log for details.</p>\n<p><em>Faithfully yours, nginx.</em></p>\n</body>\n</html>\n"
)


def nginx_error_body(status: int, version: str = NGINX_VERSION) -> bytes:
    """nginx's built-in error page (CRLF line ends, as ngx_http_special_response.c writes them)."""
    reason = "Not Allowed" if status == 405 else REASONS.get(status, "")
    return (f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx/{version}</center>\r\n"
            "</body>\r\n</html>\r\n").encode()


def nginx_server(ns: Namespace, hostname: str = "", port: int = 80) -> HttpServer:
    """What the ``nginx:1.25`` image serves on port 80 (default.conf: root /usr/share/nginx/html)."""
    clock = ns.clock

    def connection(req: HttpRequest) -> str:
        return "close" if req.wants_close else "keep-alive"

    def error(req: HttpRequest, status: int) -> Response:
        body = nginx_error_body(status)
        return status, [("Server", f"nginx/{NGINX_VERSION}"), ("Date", http_date(clock.wall_ns)),
                        ("Content-Type", "text/html"), ("Content-Length", str(len(body))),
                        ("Connection", "close" if status == 400 else connection(req))], body

    def handler(req: HttpRequest) -> Response:
        path = req.path
        files = {"/": (NGINX_INDEX, NGINX_INDEX_MTIME), "/index.html": (NGINX_INDEX, NGINX_INDEX_MTIME),
                 "/50x.html": (NGINX_50X, NGINX_INDEX_MTIME)}
        if path not in files:
            return error(req, 404)
        if req.method not in ("GET", "HEAD"):
            return error(req, 405)
        body, mtime = files[path]
        return 200, [
            ("Server", f"nginx/{NGINX_VERSION}"),
            ("Date", http_date(clock.wall_ns)),
            ("Content-Type", "text/html"),
            ("Content-Length", str(len(body))),
            ("Last-Modified", http_date(mtime * SEC)),
            ("Connection", connection(req)),
            ("ETag", f'"{mtime:x}-{len(body):x}"'),
            ("Accept-Ranges", "bytes"),
        ], body

    return HttpServer(ns, port, handler, nodelay=True, split_body=True, think=70 * US, idle_timeout=65 * SEC,
                      error_page=error).start()


# --------------------------------------------------------------------------- traefik/whoami


def _canonical(key: str) -> str:
    """Go's textproto.CanonicalMIMEHeaderKey: ``user-agent`` -> ``User-Agent``."""
    if not key or any(not (c.isalnum() or c in "-!#$%&'*+.^_`|~") for c in key):
        return key
    return "-".join(p[:1].upper() + p[1:].lower() for p in key.split("-"))


def go_request_dump(req: HttpRequest) -> str:
    """The request as Go's ``Request.Write`` re-serialises it (what whoami prints after RemoteAddr).

    Request line with HTTP/1.1, ``Host``, ``User-Agent`` (Go's default when the
    client sent none), ``Connection: close`` when the client asked to close,
    ``Content-Length`` when there is a body (always for POST/PUT/PATCH), then the
    other fields sorted by canonical name, a blank line and the body.
    """
    fields: dict[str, list[str]] = {}
    for k, v in req.headers:
        fields.setdefault(_canonical(k), []).append(v)
    host = (fields.get("Host") or [""])[0]
    agent = (fields.get("User-Agent") or ["Go-http-client/1.1"])[0]
    out = [f"{req.method} {req.target} HTTP/1.1", f"Host: {host}"]
    if agent:
        out.append(f"User-Agent: {agent}")
    if req.wants_close:
        out.append("Connection: close")
    if req.body or req.method in ("POST", "PUT", "PATCH"):
        out.append(f"Content-Length: {len(req.body)}")
    skip = {"Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer"}
    if req.wants_close:
        skip.add("Connection")
    for key in sorted(fields):
        if key in skip:
            continue
        for v in fields[key]:
            out.append(f"{key}: {v}")
    return "\r\n".join(out) + "\r\n\r\n" + req.body.decode("latin-1")


def interface_addresses(ns: Namespace) -> list[int]:
    """Every address of every interface, in interface-index order (Go's net.Interfaces + Addrs)."""
    out: list[int] = []
    for link in sorted(ns.links.values(), key=lambda lk: lk.ifindex):
        out.extend(a.addr for a in link.addrs)
    return out


def whoami_server(ns: Namespace, hostname: str, port: int = 80, name: str = "") -> HttpServer:
    """traefik/whoami: echoes who answered and the request it got (``WHOAMI_NAME`` as ``name``)."""
    clock = ns.clock

    def handler(req: HttpRequest) -> Response:
        lines = []
        if name:
            lines.append(f"Name: {name}")
        lines.append(f"Hostname: {hostname}")
        lines.extend(f"IP: {int_to_ip(a)}" for a in interface_addresses(ns))
        lines.append(f"RemoteAddr: {req.remote_addr}")
        body = ("\n".join(lines) + "\n" + go_request_dump(req)).encode("latin-1")
        headers = [("Date", http_date(clock.wall_ns)), ("Content-Length", str(len(body))),
                   ("Content-Type", "text/plain; charset=utf-8")]
        if req.wants_close and req.version != "HTTP/1.0":
            headers.append(("Connection", "close"))
        return 200, headers, body

    def error(req: HttpRequest, status: int) -> Response:
        body = b"400 Bad Request"
        return status, [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")], body

    return HttpServer(ns, port, handler, nodelay=True, split_body=False, think=90 * US, echo_version=True,
                      error_page=error).start()


# --------------------------------------------------------------------------- example.com

EXAMPLE_COM_PAGE = (
    b"<!doctype html>\n<html>\n<head>\n    <title>Example Domain</title>\n\n"
    b'    <meta charset="utf-8" />\n'
    b'    <meta http-equiv="Content-type" content="text/html; charset=utf-8" />\n'
    b'    <meta name="viewport" content="width=device-width, initial-scale=1" />\n'
    b'    <style type="text/css">\n    body {\n        background-color: #f0f0f2;\n        margin: 0;\n'
    b"        padding: 0;\n"
    b'        font-family: -apple-system, system-ui, BlinkMacSystemFont, "Segoe UI", "Open Sans", '
    b'"Helvetica Neue", Helvetica, Arial, sans-serif;\n        \n    }\n'
    b"    div {\n        width: 600px;\n        margin: 5em auto;\n        padding: 2em;\n"
    b"        background-color: #fdfdff;\n        border-radius: 0.5em;\n"
    b"        box-shadow: 2px 3px 7px 2px rgba(0,0,0,0.02);\n    }\n"
    b"    a:link, a:visited {\n        color: #38488f;\n        text-decoration: none;\n    }\n"
    b"    @media (max-width: 700px) {\n        div {\n            margin: 0 auto;\n"
    b"            width: auto;\n        }\n    }\n    </style>    \n</head>\n\n<body>\n<div>\n"
    b"    <h1>Example Domain</h1>\n"
    b"    <p>This domain is for use in illustrative examples in documents. You may use this\n"
    b"    domain in literature without prior coordination or asking for permission.</p>\n"
    b'    <p><a href="https://www.iana.org/domains/example">More information...</a></p>\n'
    b"</div>\n</body>\n</html>\n"
)


def example_com_server(ns: Namespace, addr: int) -> HttpServer:
    """The example.com page as its CDN served it in the 2020s (1256 bytes, ``Server: ECS``)."""
    clock = ns.clock

    def handler(req: HttpRequest) -> Response:
        now = clock.wall_ns
        body = EXAMPLE_COM_PAGE
        status = 200 if req.path in ("/", "/index.html") else 404
        return status, [
            ("Age", str(501749 + (now // SEC) % 86400)),
            ("Cache-Control", "max-age=604800"),
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Date", http_date(now)),
            ("Etag", '"3147526947+ident"'),
            ("Expires", http_date(now + 7 * 86400 * SEC)),
            ("Last-Modified", "Thu, 17 Oct 2019 07:18:26 GMT"),
            ("Server", "ECS (nyb/1D2A)"),
            ("Vary", "Accept-Encoding"),
            ("X-Cache", "HIT"),
            ("Content-Length", str(len(body))),
        ], body

    return HttpServer(ns, 80, handler, addr=addr, nodelay=True, split_body=False, think=150 * US,
                      idle_timeout=60 * SEC).start()


# --------------------------------------------------------------------------- the client


@dataclass
class Url:
    scheme: str
    host: str
    port: int
    path: str  # with query, always starting with "/"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


def parse_url(url: str) -> Url | None:
    """``[http://]host[:port][/path]`` as curl and wget accept it; None when malformed."""
    scheme = "http"
    rest = url
    if "://" in url:
        scheme, rest = url.split("://", 1)
        scheme = scheme.lower()
    cut = len(rest)
    for ch in "/?#":
        i = rest.find(ch)
        if i >= 0:
            cut = min(cut, i)
    hostport, path = rest[:cut], rest[cut:]
    path = path.split("#", 1)[0]
    if not path.startswith("/"):
        path = "/" + path
    if "@" in hostport:
        hostport = hostport.rsplit("@", 1)[1]
    host, sep, port_s = hostport.rpartition(":")
    if not sep:
        host, port_s = hostport, ""
    if not host:
        return None
    default = 443 if scheme == "https" else 80
    if port_s and not port_s.isdigit():
        return None
    port = int(port_s) if port_s else default
    if not 0 < port < 65536:
        return None
    return Url(scheme, host, port, path)


@dataclass
class HttpResult:
    """What a client got: the response, or the error that stopped it (``error`` != "")."""

    url: Url | None
    ip: int | None = None
    local: tuple[int, int] = (0, 0)
    error: str = ""
    # "" | "BAD_URL" | "RESOLVE" | "RESOLVE_TIMEOUT" | ECONNREFUSED | EHOSTUNREACH | ENETUNREACH | ETIMEDOUT
    # | "CONNECT_TIMEOUT" | "TIMEOUT" | "ECONNRESET" | "EMPTY" | "BAD_RESPONSE" | "PARTIAL"
    version: str = ""
    status: int = 0
    reason: str = ""
    headers: Headers = field(default_factory=list)
    head: bytes = b""  # status line and fields as received, with the blank line
    body: bytes = b""
    request: bytes = b""
    received: int = 0  # body bytes received so far (also when interrupted)
    server_closed: bool = False
    t_start: int = 0
    t_connected: int = 0
    t_done: int = 0

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    @property
    def content_length(self) -> int | None:
        v = self.header("Content-Length")
        return int(v) if v is not None and v.strip().isdigit() else None


class _ResponseReader:
    """Incremental HTTP/1.x response parsing: head, then a body by length, chunks, or until EOF."""

    def __init__(self, head_only: bool) -> None:
        self.buf = bytearray()
        self.head_only = head_only
        self.head: bytes | None = None
        self.status = 0
        self.version = ""
        self.reason = ""
        self.headers: Headers = []
        self.body = bytearray()
        self.length: int | None = None
        self.chunked = False
        self.done = False
        self.bad = False

    def feed(self, data: bytes) -> None:
        self.buf += data
        self._advance()

    def _advance(self) -> None:
        while self.head is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            raw = bytes(self.buf[:end + 4])
            del self.buf[:end + 4]
            parsed = parse_head(raw[:-4])
            if parsed is None:
                self.bad = True
                self.done = True
                return
            line, headers = parsed
            parts = line.split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                self.bad = True
                self.done = True
                return
            status = int(parts[1])
            if 100 <= status < 200:
                continue  # an interim response: the real one follows
            self.head, self.version, self.status = raw, parts[0], status
            self.reason = parts[2] if len(parts) > 2 else ""
            self.headers = headers
            for k, v in headers:
                if k.lower() == "content-length" and v.strip().isdigit():
                    self.length = int(v.strip())
                elif k.lower() == "transfer-encoding" and "chunked" in v.lower():
                    self.chunked = True
            if self.head_only or status in (204, 304):
                self.done = True
                return
        if self.chunked:
            self._chunks()
            return
        if self.length is not None:
            need = self.length - len(self.body)
            self.body += self.buf[:need]
            del self.buf[:need]
            if len(self.body) >= self.length:
                self.done = True
        else:
            self.body += self.buf
            self.buf.clear()

    def _chunks(self) -> None:
        while True:
            nl = self.buf.find(b"\r\n")
            if nl < 0:
                return
            size_s = bytes(self.buf[:nl]).split(b";", 1)[0].strip()
            try:
                size = int(size_s, 16)
            except ValueError:
                self.bad = self.done = True
                return
            if size == 0:
                self.done = True
                return
            if len(self.buf) < nl + 2 + size + 2:
                return
            self.body += self.buf[nl + 2:nl + 2 + size]
            del self.buf[:nl + 2 + size + 2]

    def eof(self) -> None:
        """The server closed: an EOF-delimited body ends here."""
        if self.head is not None and self.length is None and not self.chunked:
            self.done = True


def resolve_process(sandbox: Any, host: str, style: str) -> tuple[Process, dict[str, Any]]:
    """Name resolution as a child process (so a deadline can cut it short, like curl's resolver thread)."""
    out: dict[str, Any] = {}

    def run() -> Generator[Any, Any, int]:
        addrs, err = yield from getaddrinfo(sandbox, host, style=style)
        out["addrs"], out["error"] = addrs, err
        return 0

    proc = Process(sandbox.netns.clock, run(), name="resolver")
    return proc, out


def http_get(sandbox: Any, url: str, *, method: str = "GET", headers: Headers | None = None,
             connect_timeout: int | None = None, max_time: int | None = None, style: str = "glibc",
             nodelay: bool = True, trace: Callable[..., None] | None = None, host_header: str | None = None,
             body: bytes = b"", idle_timeout: int | None = None, exit_delay: int = 100 * US,
             body_limit: int | None = None) -> Generator[Any, Any, HttpResult]:
    """Fetch ``url`` from ``sandbox`` (a process generator returning an :class:`HttpResult`).

    ``headers`` follow the ``Host`` line of the request (``host_header`` replaces
    its value), ``body`` is sent after them; ``connect_timeout`` covers resolving
    and connecting, ``max_time`` the whole exchange (curl's ``--connect-timeout``
    and ``-m``), ``idle_timeout`` a silence of the server once connected (busybox
    wget's ``-T``). ``exit_delay`` is the program's time between the end of the
    transfer and the close of its socket (curl takes about 0.1 ms to exit): it
    decides who sends the first FIN when the server closes too. ``trace(event, **info)`` is told of
    ``resolved``, ``trying``, ``connected``, ``request``, ``head`` and ``data`` as they
    happen. Interrupting the process closes the connection (the kernel does that
    when a program dies).
    """
    ns = sandbox.netns
    clock = ns.clock
    t0 = clock.now
    res = HttpResult(parse_url(url), t_start=t0)

    def note(event: str, **info: Any) -> None:
        if trace is not None:
            trace(event, **info)

    u = res.url
    if u is None:
        res.error = "BAD_URL"
        return res
    deadline = t0 + max_time if max_time else None
    connect_deadline = t0 + connect_timeout if connect_timeout else None
    if connect_deadline is not None and deadline is not None:
        connect_deadline = min(connect_deadline, deadline)
    elif deadline is not None:
        connect_deadline = deadline

    # 1. the name
    proc, out = resolve_process(sandbox, u.host, style)
    proc.start(now=True)
    if not proc.done:
        limit = connect_deadline - clock.now if connect_deadline is not None else None
        try:
            if limit is None:
                yield proc.exited
            else:
                yield sleep_or(clock, proc.exited, max(0, limit))
        finally:
            if not proc.done:
                proc.signal(9)
    if "addrs" not in out:
        res.error = "RESOLVE_TIMEOUT"
        res.t_done = clock.now
        return res
    addrs: list[int] = out["addrs"]
    if not addrs:
        res.error = "RESOLVE"
        res.t_done = clock.now
        return res
    res.ip = addrs[0]
    note("resolved", addrs=addrs)

    # 2. the connection
    note("trying", ip=res.ip, port=u.port)
    tcp = stack(ns)
    conn = tcp.connect(res.ip, u.port, nodelay=nodelay)
    if conn is None:
        res.error = tcp.last_error or "ENETUNREACH"
        res.t_done = clock.now
        return res
    res.local = (conn.laddr, conn.lport)
    wake = [Waiter()]
    state: dict[str, Any] = {"established": False, "closed": None}
    reader = _ResponseReader(method == "HEAD")

    def on_est(c: Conn) -> None:
        state["established"] = True
        wake[0].fire()

    def on_data(c: Conn, data: bytes) -> None:
        had_head = reader.head is not None
        before = len(reader.body)
        reader.feed(data)
        if reader.head is not None and not had_head:
            note("head", head=reader.head)
        if len(reader.body) > before:
            note("data", size=len(reader.body) - before)
        if reader.done or (body_limit is not None and len(reader.body) >= body_limit):
            wake[0].fire()

    def on_close(c: Conn, err: str) -> None:
        state["closed"] = err
        if not err:
            reader.eof()
        wake[0].fire()

    conn.on_established = on_est
    conn.on_data = on_data
    conn.on_close = on_close
    try:
        while not state["established"] and state["closed"] is None:
            limit = connect_deadline - clock.now if connect_deadline is not None else None
            if limit is not None and limit <= 0:
                res.error = "CONNECT_TIMEOUT"  # --connect-timeout or -m, whichever came first
                res.t_done = clock.now
                return res
            wake[0] = Waiter()
            yield wake[0] if limit is None else sleep_or(clock, wake[0], limit)
        if not state["established"]:
            res.error = state["closed"] or "ECONNREFUSED"
            res.t_done = clock.now
            return res
        res.t_connected = clock.now
        note("connected", ip=res.ip, port=u.port)

        # 3. the request and its answer
        lines = [f"{method} {u.path} HTTP/1.1", f"Host: {host_header or u.host_header}"]
        lines += [f"{k}: {v}" for k, v in (headers or [])]
        res.request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        conn.send(res.request + body)
        note("request", data=res.request)
        last_progress = clock.now
        seen = 0
        while not reader.done and state["closed"] is None:
            if body_limit is not None and len(reader.body) >= body_limit:
                break
            got = len(reader.body) + (len(reader.head) if reader.head else len(reader.buf))
            if got != seen:
                seen, last_progress = got, clock.now
            limits = []
            if deadline is not None:
                limits.append(deadline - clock.now)
            if idle_timeout:
                limits.append(last_progress + idle_timeout - clock.now)
            limit = min(limits) if limits else None
            if limit is not None and limit <= 0:
                res.error = "TIMEOUT"
                break
            wake[0] = Waiter()
            yield wake[0] if limit is None else sleep_or(clock, wake[0], limit)
        if state["closed"] is not None and not reader.done:
            reader.eof()
        if exit_delay and not res.error:
            yield exit_delay
        res.server_closed = state["closed"] is not None
        if not res.error:
            if state["closed"] and reader.head is None:
                res.error = state["closed"]
            elif reader.bad:
                res.error = "BAD_RESPONSE"
            elif reader.head is None:
                res.error = "EMPTY"
            elif not reader.done:
                res.error = "PARTIAL"
    finally:
        if reader.head is not None:
            res.head = reader.head
            res.version, res.status, res.reason = reader.version, reader.status, reader.reason
            res.headers = reader.headers
        res.body = bytes(reader.body)
        res.received = len(reader.body)
        res.t_done = clock.now
        conn.on_data = None
        conn.on_close = None
        if conn.state not in ("CLOSED", "TIME_WAIT"):
            conn.close()  # exit(), or the kernel closing the socket of a killed program
    return res
