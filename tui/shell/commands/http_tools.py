"""``curl``, busybox ``wget`` and ``nslookup``: the tools learners use to test services.

Why they live on the simulated network rather than faking answers: ``curl web``
in a Swarm lesson must really resolve ``web`` through the container's embedded
DNS, really connect through the VIP and IPVS, and print what the real tools
print, including their failures (refused, timed out, name not found) and the
packets a parallel ``tcpdump`` shows.

Wording follows the real programs: curl 7.81.0 (Ubuntu 22.04 hosts; a sandbox
attribute ``curl_version`` selects the 8.x wording, as in netshoot), busybox
1.36 ``wget`` and ``nslookup`` (checked against a real busybox run), and bind9's
``nslookup`` on GNU hosts. Like the real tools they notice whether their output
is a terminal: curl's progress meter and its ``{ [N bytes data]`` notes only
appear when stdout is not one.
"""

from __future__ import annotations

import posixpath
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from tui.engine.addr import int_to_ip
from tui.engine.apps.dns import (
    NXDOMAIN,
    RCODES,
    SERVFAIL,
    T_A,
    T_AAAA,
    T_ANY,
    T_CNAME,
    T_MX,
    T_NS,
    T_PTR,
    T_SOA,
    T_SRV,
    T_TXT,
    build_query,
    parse_message,
    read_name,
    read_resolv_conf,
    reverse_name,
    search_candidates,
    udp_exchange,
)
from tui.engine.apps.http import HttpResult, http_get, parse_url
from tui.engine.clock import MS, SEC, US
from tui.shell.registry import Ctx, command
from tui.shell.resolve import parse_ipv4
from tui.shell.terminal import TerminalSink

STRERROR = {
    "ECONNREFUSED": "Connection refused",
    "EHOSTUNREACH": "No route to host",
    "ENETUNREACH": "Network is unreachable",
    "ETIMEDOUT": "Connection timed out",
    "ECONNRESET": "Connection reset by peer",
    "EACCES": "Permission denied",
    "EPERM": "Operation not permitted",
    "EINVAL": "Invalid argument",
    "EHOSTDOWN": "Host is down",
    "ENOPROTOOPT": "Protocol not available",
}


def is_tty(ctx: Ctx, fd: int) -> bool:
    """isatty(fd) for the command: the terminal, or any sink that declares ``isatty``."""
    env = ctx.runtime
    fds = getattr(env, "fds", None)
    if fds is None:
        return True  # run outside a shell job: an interactive terminal
    sink = fds.get(fd)
    flag = getattr(sink, "isatty", None)
    if isinstance(flag, bool):
        return flag
    if callable(flag):
        return bool(flag())
    return isinstance(sink, TerminalSink)


def _for_terminal(text: str, tty: bool) -> str:
    """A terminal shows CRLF as a line end; the simulated one wants plain newlines."""
    return text.replace("\r\n", "\n") if tty else text


def _path(ctx: Ctx, name: str) -> str:
    return ctx.sandbox.fs.norm(name, ctx.cwd)


def _parent_ok(ctx: Ctx, path: str) -> bool:
    return ctx.sandbox.fs.is_dir(posixpath.dirname(path) or "/")


# =========================================================================== curl

CURL_VERSION = "7.81.0"
CURL_HINT = "curl: try 'curl --help' or 'curl --manual' for more information\n"
CURL_USAGE = """Usage: curl [options...] <url>
 -d, --data <data>          HTTP POST data
 -f, --fail                 Fail silently (no output at all) on HTTP errors
 -h, --help <category>      Get help for commands
 -i, --include              Include protocol response headers in the output
 -o, --output <file>        Write to file instead of stdout
 -O, --remote-name          Write output to a file named as the remote file
 -s, --silent               Silent mode
 -T, --upload-file <file>   Transfer local FILE to destination
 -u, --user <user:password> Server user and password
 -A, --user-agent <name>    Send User-Agent <name> to server
 -v, --verbose              Make the operation more talkative
 -V, --version              Show version number and quit

This is not the full help, this menu is stripped into categories.
Use "--help category" to get an overview of all categories.
For all options use the manual or "--help all".
"""
CURL_ARG_OPTS = {
    "-o": "output", "--output": "output", "-m": "max_time", "--max-time": "max_time",
    "--connect-timeout": "connect_timeout", "-H": "header", "--header": "header", "-A": "user_agent",
    "--user-agent": "user_agent", "-X": "request", "--request": "request", "-w": "write_out",
    "--write-out": "write_out", "-d": "data", "--data": "data", "--data-raw": "data",
    "--data-binary": "data", "-e": "referer", "--referer": "referer", "-u": "user", "--user": "user",
    "--retry": "retry", "-x": "proxy", "--proxy": "proxy", "--resolve": "resolve", "--interface": "interface",
    "--max-redirs": "max_redirs", "-b": "cookie", "--cookie": "cookie", "-r": "range", "--range": "range",
    "-T": "upload", "--upload-file": "upload", "-Y": "speed_limit", "-y": "speed_time",
}
CURL_FLAG_OPTS = {
    "-s": "silent", "--silent": "silent", "-S": "show_error", "--show-error": "show_error",
    "-v": "verbose", "--verbose": "verbose", "-I": "head", "--head": "head", "-i": "include",
    "--include": "include", "-O": "remote_name", "--remote-name": "remote_name", "-L": "location",
    "--location": "location", "-f": "fail", "--fail": "fail", "-k": "insecure", "--insecure": "insecure",
    "-V": "version", "--version": "version", "-h": "help", "--help": "help", "-4": "ipv4", "--ipv4": "ipv4",
    "-N": "no_buffer", "--no-buffer": "no_buffer", "-#": "progress_bar", "--progress-bar": "progress_bar",
    "-G": "get", "--get": "get", "--compressed": "compressed", "--http1.1": "http11", "-q": "disable",
    "--disable": "disable", "-n": "netrc", "--fail-with-body": "fail",
}


@dataclass
class CurlOpts:
    urls: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    output: str | None = None
    max_time: float | None = None
    connect_timeout: float | None = None
    headers: list[str] = field(default_factory=list)
    user_agent: str | None = None
    request: str | None = None
    write_out: str | None = None
    data: list[str] = field(default_factory=list)


def parse_curl(argv: list[str]) -> tuple[CurlOpts, str | None]:
    """curl's command line: bundled short flags (``-sSL``, ``-so FILE``), long options, URLs anywhere."""
    o = CurlOpts()
    i = 0

    def take(name: str, value: str) -> str | None:
        if name in ("max_time", "connect_timeout"):
            try:
                v = float(value)
            except ValueError:
                return "expected a proper numerical parameter"
            if v < 0:
                return "expected a proper numerical parameter"
            setattr(o, name, v)
        elif name == "header":
            o.headers.append(value)
        elif name == "data":
            o.data.append(value)
        elif name in ("output", "user_agent", "request", "write_out"):
            setattr(o, name, value)
        return None

    while i < len(argv):
        a = argv[i]
        i += 1
        if a.startswith("--") and len(a) > 2:
            key, eq, val = a.partition("=")
            if key in CURL_FLAG_OPTS and not eq:
                o.flags.add(CURL_FLAG_OPTS[key])
                continue
            if key in CURL_ARG_OPTS:
                if not eq:
                    if i >= len(argv):
                        return o, f"curl: option {key}: requires parameter\n"
                    val = argv[i]
                    i += 1
                err = take(CURL_ARG_OPTS[key], val)
                if err:
                    return o, f"curl: option {key}: {err}\n"
                continue
            if key.startswith("--no-"):
                continue
            return o, f"curl: option {a}: is unknown\n"
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                opt = "-" + a[j]
                if opt in CURL_FLAG_OPTS:
                    o.flags.add(CURL_FLAG_OPTS[opt])
                    j += 1
                    continue
                if opt in CURL_ARG_OPTS:
                    val = a[j + 1:]
                    if not val:
                        if i >= len(argv):
                            return o, f"curl: option {opt}: requires parameter\n"
                        val = argv[i]
                        i += 1
                    err = take(CURL_ARG_OPTS[opt], val)
                    if err:
                        return o, f"curl: option {opt}: {err}\n"
                    break
                return o, f"curl: option {a}: is unknown\n"
            continue
        o.urls.append(a)
    return o, None


def _max5(v: int) -> str:
    """curl's max5data: a size or speed in at most 5 characters."""
    kb, mb, gb = 1024, 1024 * 1024, 1024 * 1024 * 1024
    if v < 100000:
        return f"{v:5d}"
    if v < 10000 * kb:
        return f"{v // kb:4d}k"
    if v < 100 * mb:
        return f"{v // mb:2d}.{(v % mb) // (mb // 10)}M"
    if v < 10000 * mb:
        return f"{v // mb:4d}M"
    if v < 100 * gb:
        return f"{v // gb:2d}.{(v % gb) // (gb // 10)}G"
    return f"{v // gb:4d}G"


def _time2str(seconds: int) -> str:
    if seconds <= 0:
        return "--:--:--"
    h, rest = divmod(seconds, 3600)
    if h <= 99:
        return f"{h:2d}:{rest // 60:02d}:{rest % 60:02d}"
    d, h = divmod(h, 24)
    return f"{d:3d}d {h:02d}h" if d <= 999 else f"{d // 365:7d}y"


CURL_METER_HEAD = ("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
                   "                                 Dload  Upload   Total   Spent    Left  Speed\n")


def curl_meter_line(received: int, total: int | None, elapsed_ns: int) -> str:
    """One line of curl's progress meter (without the leading carriage return)."""
    us = max(elapsed_ns // US, 0)
    speed = received * 1_000_000 // us if us > 0 else received * 1_000_000
    expected = total if total is not None else received
    total_pct = 100 * received // expected if expected else 0
    dl_pct = (100 * received // total if total else 0) if total is not None else 0
    spent = elapsed_ns // SEC
    total_time = expected // speed if speed and total is not None else 0
    left = (total - received) // speed if speed and total is not None else 0
    return (f"{total_pct:3d} {_max5(expected)}  {dl_pct:3d} {_max5(received)}    0     0  "
            f"{_max5(speed)}      0 {_time2str(total_time)} {_time2str(spent)} {_time2str(left)} {_max5(speed)}")


def _curl_version_tuple(v: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in v.split("."))
    except ValueError:
        return (7, 81, 0)


class _CurlRun:
    """One curl invocation's output rules (verbose notes, meter, errors)."""

    def __init__(self, ctx: Ctx, o: CurlOpts) -> None:
        self.ctx = ctx
        self.o = o
        self.version = str(getattr(ctx.sandbox, "curl_version", CURL_VERSION))
        self.v8 = _curl_version_tuple(self.version) >= (8,)
        self.silent = "silent" in o.flags
        self.verbose = "verbose" in o.flags
        self.show_error = not self.silent or "show_error" in o.flags
        self.tty_out = is_tty(ctx, 1)
        self.tty_err = is_tty(ctx, 2)
        to_file = o.output is not None or "remote_name" in o.flags
        self.meter = not self.silent and (to_file or not self.tty_out) and "progress_bar" not in o.flags
        self.meter_started = False
        self.host = ""
        self.port = 80

    def err(self, text: str) -> None:
        self.ctx.err(text)

    def start_meter(self) -> None:
        if self.meter and not self.meter_started:
            self.meter_started = True
            self.err(CURL_METER_HEAD)
            if not self.tty_err:
                self.err("  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0")

    def end_meter(self, res: HttpResult, newline: bool = True) -> None:
        if not self.meter_started:
            return
        elapsed = res.t_done - res.t_start
        total = res.content_length if res.status else None
        line = curl_meter_line(res.received, total, elapsed) if res.status else (
            "  0     0    0     0    0     0      0      0 --:--:-- "
            f"{_time2str(elapsed // SEC)} --:--:--     0")
        self.err(("\r" if not self.tty_err else "") + line + ("\n" if newline else ""))

    def trace(self, event: str, **info: Any) -> None:
        if not self.verbose:
            return
        if event == "resolved" and self.v8:
            addrs = info["addrs"]
            self.err(f"* Host {self.host}:{self.port} was resolved.\n* IPv6: (none)\n"
                     f"* IPv4: {', '.join(int_to_ip(a) for a in addrs)}\n")
        elif event == "trying":
            self.err(f"*   Trying {int_to_ip(info['ip'])}:{info['port']}...\n")
        elif event == "connected":
            suffix = "" if self.v8 else " (#0)"
            self.err(f"* Connected to {self.host} ({int_to_ip(info['ip'])}) port {info['port']}{suffix}\n")
        elif event == "request":
            text = info["data"].decode("latin-1")
            for line in text.split("\r\n")[:-1]:
                self.err(f"> {line}\n")
            if self.v8:
                self.err("* Request completely sent off\n")
        elif event == "head":
            head = info["head"].decode("latin-1")
            lines = head.split("\r\n")
            if not self.v8:
                self.err("* Mark bundle as not supporting multiuse\n")
            if lines[0].startswith("HTTP/1.0"):
                self.err("* HTTP 1.0, assume close after body\n")
            for line in lines[:-1]:
                self.err(f"< {line}\n")
        elif event == "data" and not self.tty_out:
            self.err(f"{{ [{info['size']} bytes data]\n")


# Name lookup (two attempts of 5 s) plus the kernel's SYN retries (127 s): when a connect can end at the latest.
CONNECT_WORST = 10 * SEC + 128 * SEC


def _expect_end(ctx: Ctx, within: int) -> None:
    """Tell the shell when this command will have given up by itself, so it is not Ctrl-C'd before.

    A connect to a silent address ends with "Connection timed out" after ~127 s
    of virtual time; a transfer that stalls after connecting is still cut short
    by the shell, as a learner would press Ctrl-C.
    """
    hint = getattr(ctx.shell, "expect_until", None)
    if hint is not None:
        hint(ctx.clock.now + within)


def _write_out(fmt: str, res: HttpResult, url: str) -> str:
    values = {
        "http_code": f"{res.status:03d}", "response_code": f"{res.status:03d}",
        "remote_ip": int_to_ip(res.ip) if res.ip is not None and res.t_connected else "",
        "remote_port": str(res.url.port) if res.url and res.t_connected else "",
        "local_ip": int_to_ip(res.local[0]) if res.t_connected else "",
        "local_port": str(res.local[1]) if res.t_connected else "",
        "time_total": f"{(res.t_done - res.t_start) / SEC:.6f}",
        "time_connect": f"{((res.t_connected or res.t_start) - res.t_start) / SEC:.6f}",
        "size_download": str(res.received), "size_header": str(len(res.head)),
        "url_effective": url, "content_type": res.header("Content-Type") or "",
        "num_connects": "1" if res.t_connected else "0", "http_version": res.version[5:] if res.version else "0",
        "scheme": "HTTP", "exitcode": "0",
    }
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and fmt.startswith("%{", i):
            end = fmt.find("}", i)
            if end > 0:
                name = fmt[i + 2:end]
                out.append(values.get(name, ""))
                i = end + 1
                continue
        if c == "\\" and i + 1 < len(fmt) and fmt[i + 1] in "nrt\\":
            out.append({"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}[fmt[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


@command("curl", tools={"gnu"}, summary="transfer a URL")
def curl_cmd(ctx: Ctx) -> Generator[Any, Any, int]:
    o, error = parse_curl(ctx.argv[1:])
    if error:
        ctx.err(error + CURL_HINT)
        return 2
    if "help" in o.flags:
        ctx.out(CURL_USAGE)
        return 0
    run = _CurlRun(ctx, o)
    if "version" in o.flags:
        ctx.out(f"curl {run.version} (x86_64-pc-linux-gnu) libcurl/{run.version} OpenSSL/3.0.2 zlib/1.2.11 "
                "brotli/1.0.9 zstd/1.4.8 libidn2/2.3.2 libpsl/0.21.0 (+libidn2/2.3.2) libssh/0.9.6/openssl/zlib "
                "nghttp2/1.43.0 librtmp/2.3 OpenLDAP/2.5.11\nRelease-Date: 2022-01-05\n"
                "Protocols: dict file ftp ftps gopher gophers http https imap imaps ldap ldaps mqtt pop3 pop3s "
                "rtmp rtsp scp sftp smb smbs smtp smtps telnet tftp\n"
                "Features: alt-svc AsynchDNS brotli GSS-API HSTS HTTP2 HTTPS-proxy IDN IPv6 Kerberos Largefile "
                "libz NTLM NTLM_WB PSL SPNEGO SSL TLS-SRP UnixSockets zstd\n")
        return 0
    if not o.urls:
        ctx.err("curl: no URL specified!\n" + CURL_HINT)
        return 2
    status = 0
    for url in o.urls:
        status = yield from _curl_one(ctx, run, url)
    return status


def _curl_headers(run: _CurlRun, o: CurlOpts, body: bytes) -> tuple[list[tuple[str, str]], str | None]:
    agent = o.user_agent if o.user_agent is not None else f"curl/{run.version}"
    headers: list[tuple[str, str]] = []
    host_override: str | None = None
    custom: dict[str, str | None] = {}
    for h in o.headers:
        name, sep, value = h.partition(":")
        if not sep:
            continue
        value = value.strip()
        if name.lower() == "host":
            host_override = value or None
            continue
        custom[name.lower()] = value if value else None
        if value:
            headers.append((name.strip(), value))
    base: list[tuple[str, str]] = []
    if "user-agent" not in custom and agent:
        base.append(("User-Agent", agent))
    if "accept" not in custom:
        base.append(("Accept", "*/*"))
    if body:
        base.append(("Content-Length", str(len(body))))
        if "content-type" not in custom:
            base.append(("Content-Type", "application/x-www-form-urlencoded"))
    return base + headers, host_override


def _curl_one(ctx: Ctx, run: _CurlRun, url: str) -> Generator[Any, Any, int]:
    o = run.o
    u = parse_url(url)
    if u is None or u.scheme not in ("http", "https"):
        if u is not None:
            if run.show_error:
                ctx.err(f'curl: (1) Protocol "{u.scheme}" not supported or disabled in libcurl\n')
            return 1
        if run.show_error:
            ctx.err("curl: (3) URL using bad/illegal format or missing URL\n")
        return 3
    run.host = u.host
    run.port = u.port
    body = "&".join(o.data).encode()
    method = o.request or ("HEAD" if "head" in o.flags else "POST" if body else "GET")
    headers, host_override = _curl_headers(run, o, body)
    run.start_meter()
    # curl notices a timeout on its next poll, a millisecond or so after the deadline
    ct = int(o.connect_timeout * SEC) + MS if o.connect_timeout else None
    mt = int(o.max_time * SEC) + MS if o.max_time else None
    _expect_end(ctx, mt if mt else ct if ct else CONNECT_WORST)
    redirects = 0
    while True:
        res = yield from http_get(ctx.sandbox, url, method=method, headers=headers, connect_timeout=ct, max_time=mt,
                                  trace=run.trace, host_header=host_override, body=body)
        if (not res.error and "location" in o.flags and res.status in (301, 302, 303, 307, 308)
                and res.header("Location") and redirects < 50):
            redirects += 1
            new = res.header("Location") or ""
            if new.startswith("/") and res.url is not None:
                new = f"{res.url.scheme}://{res.url.host_header}{new}"
            if run.verbose:
                ctx.err(f"* Connection #0 to host {run.host} left intact\n* Issue another request to this URL: '{new}'\n")
            url = new
            nu = parse_url(url)
            if nu is None:
                break
            run.host, run.port = nu.host, nu.port
            if res.status == 303:
                method = "GET"
            continue
        break
    return _curl_finish(ctx, run, res, url)


def _curl_finish(ctx: Ctx, run: _CurlRun, res: HttpResult, url: str) -> int:
    o = run.o
    ms = (res.t_done - res.t_start) // MS
    host = res.url.host if res.url else ""
    port = res.url.port if res.url else 80
    code = 0
    msg = ""
    closing = "* Closing connection" if run.v8 else "* Closing connection 0"
    if res.error == "RESOLVE":
        code, msg = 6, f"Could not resolve host: {host}"
    elif res.error == "RESOLVE_TIMEOUT":
        code, msg = 28, f"Resolving timed out after {ms} milliseconds"
    elif res.error in ("ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EACCES", "EPERM", "EINVAL",
                       "EHOSTDOWN", "ENOPROTOOPT"):
        why = STRERROR.get(res.error, res.error)
        code = 28 if res.error == "ETIMEDOUT" else 7
        shown = "Couldn't connect to server" if run.v8 and code == 7 else why
        msg = f"Failed to connect to {host} port {port} after {ms} ms: {shown}"
        if run.verbose and res.ip is not None:
            ctx.err(f"* connect to {int_to_ip(res.ip)} port {port} failed: {why}\n")
    elif res.error == "CONNECT_TIMEOUT":
        code = 28
        msg = (f"Failed to connect to {host} port {port} after {ms} ms: Timeout was reached" if run.v8
               else f"Connection timed out after {ms} milliseconds")
    elif res.error == "TIMEOUT":
        code = 28
        total = res.content_length
        got = f"{res.received} out of {total}" if total is not None else f"{res.received}"
        msg = f"Operation timed out after {ms} milliseconds with {got} bytes received"
    elif res.error == "EMPTY":
        code, msg = 52, "Empty reply from server"
    elif res.error == "ECONNRESET":
        code, msg = 56, "Recv failure: Connection reset by peer"
    elif res.error == "PARTIAL":
        remaining = (res.content_length or 0) - res.received
        code, msg = 18, f"transfer closed with {remaining} bytes remaining to read"
    elif res.error == "BAD_RESPONSE":
        code, msg = 8, "Weird server reply"
    elif res.error:
        code, msg = 7, f"Failed to connect to {host} port {port} after {ms} ms: {res.error}"
    if code:
        if run.verbose:
            ctx.err(f"* {msg}\n{closing}\n")
        run.end_meter(res, newline=code != 6)
        if run.show_error:
            ctx.err(f"curl: ({code}) {msg}\n")
        if o.write_out:
            ctx.out(_write_out(o.write_out, res, url))
        return code
    if "fail" in o.flags and res.status >= 400:
        run.end_meter(res)
        if run.verbose:
            ctx.err(f"* The requested URL returned error: {res.status}\n{closing}\n")
        if run.show_error:
            ctx.err(f"curl: (22) The requested URL returned error: {res.status}\n")
        if o.write_out:
            ctx.out(_write_out(o.write_out, res, url))
        return 22
    head = res.head.decode("latin-1")
    text = res.body.decode("utf-8", "replace")
    if "head" in o.flags:
        payload = head
    elif "include" in o.flags:
        payload = head + text
    else:
        payload = text
    target = o.output
    if target is None and "remote_name" in o.flags:
        target = posixpath.basename((res.url.path if res.url else "/").split("?", 1)[0])
        if not target:
            run.end_meter(res)
            if run.show_error:
                ctx.err("curl: Remote file name has no length!\n")
            return 23
    if target is not None and target != "-":
        path = _path(ctx, target)
        if target == "/dev/null" or path == "/dev/null":
            pass
        elif ctx.sandbox.fs.is_dir(path) or not _parent_ok(ctx, path):
            run.end_meter(res)
            why = "Is a directory" if ctx.sandbox.fs.is_dir(path) else "No such file or directory"
            ctx.err(f"Warning: Failed to create the file {target}: {why}\n")
            if run.show_error:
                ctx.err("curl: (23) Failure writing output to destination\n")
            return 23
        else:
            raw = res.head + res.body if "include" in o.flags else res.head if "head" in o.flags else res.body
            ctx.sandbox.fs.write(path, raw)
    else:
        ctx.out(_for_terminal(payload, run.tty_out))
    run.end_meter(res)
    if run.verbose:
        keep = not res.server_closed and (res.header("Connection") or "").lower() != "close" \
            and res.version != "HTTP/1.0"
        ctx.err(f"* Connection #0 to host {run.host} left intact\n" if keep else f"{closing}\n")
    if o.write_out:
        ctx.out(_write_out(o.write_out, res, url))
    return 0


# =========================================================================== busybox wget

BUSYBOX_BANNER = "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary."
WGET_USAGE = f"""{BUSYBOX_BANNER}

Usage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]
\t[--post-data STR | --post-file FILE] [-Y on/off]
\t[-P DIR] [-U AGENT] [-T SEC] URL...

Retrieve files via HTTP or FTP

\t--spider\tOnly check URL existence: $? is 0 if exists
\t--header STR\tAdd STR (of form 'header: value') to headers
\t--post-data STR\tSend STR using POST method
\t--post-file FILE\tSend FILE using POST method
\t-c\t\tContinue retrieval of aborted transfer
\t-q\t\tQuiet
\t-P DIR\t\tSave to DIR (default .)
\t-S    \t\tShow server response
\t-T SEC\t\tNetwork read timeout is SEC seconds
\t-O FILE\t\tSave to FILE ('-' for stdout)
\t-o LOGFILE\tLog messages to FILE
\t-U STR\t\tUse STR for User-Agent header
\t-Y on/off\tUse proxy
"""


def wget_progress(name: str, size: int) -> str:
    """The final line of busybox's progress bar (``bb_progress_update`` at 100%)."""
    unit = 0
    while size >= 100000:
        unit += 1
        size >>= 10
    return f"{name[:20]:<20}{100:4d}% |{'*' * 32}|{size:6d}{' kMGTPEZY'[unit]} 0:00:00 ETA"


def _parse_wget(argv: list[str]) -> tuple[dict[str, Any], list[str], str | None]:
    opts: dict[str, Any] = {"headers": []}
    urls: list[str] = []
    with_arg = {"O": "output", "o": "log", "T": "timeout", "U": "agent", "P": "prefix", "Y": "proxy",
                "t": "tries"}
    long_arg = {"--output-document": "output", "--timeout": "timeout", "--user-agent": "agent",
                "--directory-prefix": "prefix", "--header": "header", "--post-data": "post_data",
                "--post-file": "post_file", "--tries": "tries", "--output-file": "log"}
    long_flag = {"--quiet": "q", "--continue": "c", "--spider": "spider", "--server-response": "S",
                 "--no-check-certificate": "nocheck", "--no-verbose": "nv"}
    i = 0
    while i < len(argv):
        a = argv[i]
        i += 1
        if a.startswith("--") and len(a) > 2:
            key, eq, val = a.partition("=")
            if key in long_flag:
                opts[long_flag[key]] = True
                continue
            if key in long_arg:
                if not eq:
                    if i >= len(argv):
                        return opts, urls, f"wget: option '{key}' requires an argument\n"
                    val = argv[i]
                    i += 1
                if long_arg[key] == "header":
                    opts["headers"].append(val)
                else:
                    opts[long_arg[key]] = val
                continue
            return opts, urls, f"wget: unrecognized option '{a}'\n"
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c in with_arg:
                    val = a[j + 1:]
                    if not val:
                        if i >= len(argv):
                            return opts, urls, f"wget: option requires an argument -- '{c}'\n"
                        val = argv[i]
                        i += 1
                    opts[with_arg[c]] = val
                    break
                if c in "cqS":
                    opts[c] = True
                    j += 1
                    continue
                if c == "n":  # -nv, -nc, -nH, -np: accepted and ignored
                    break
                return opts, urls, f"wget: invalid option -- '{c}'\n"
            continue
        urls.append(a)
    return opts, urls, None


@command("wget", tools={"busybox"}, summary="retrieve files via HTTP")
def wget_cmd(ctx: Ctx) -> Generator[Any, Any, int]:
    opts, urls, error = _parse_wget(ctx.argv[1:])
    if error:
        ctx.err(error + WGET_USAGE)
        return 1
    if not urls:
        ctx.err(WGET_USAGE)
        return 1
    quiet = bool(opts.get("q"))
    timeout = None
    if "timeout" in opts:
        t = str(opts["timeout"])
        if not t.isdigit():
            ctx.err(f"wget: invalid number '{t}'\n")
            return 1
        timeout = int(t) * SEC or None
    status = 0
    for url in urls:
        status = yield from _wget_one(ctx, opts, url, quiet, timeout)
        if status:
            return status
    return status


def _wget_one(ctx: Ctx, opts: dict[str, Any], url: str, quiet: bool, timeout: int | None) -> Generator[Any, Any, int]:
    u = parse_url(url)
    if u is None or u.scheme not in ("http", "https"):
        scheme = url.split("://", 1)[0] if "://" in url else url
        ctx.err(f"wget: not an http or ftp url: {scheme}\n")
        return 1
    output = opts.get("output")
    to_stdout = output == "-"
    if output is None:
        name = posixpath.basename(u.path.split("?", 1)[0])
        output = name or "index.html"
        if opts.get("prefix"):
            output = posixpath.join(str(opts["prefix"]), output)
    agent = str(opts.get("agent", "Wget"))
    sandbox = ctx.sandbox
    redirects = 16
    _expect_end(ctx, timeout if timeout else CONNECT_WORST)
    while True:
        # the name first: busybox resolves before it prints anything
        from tui.engine.apps.dns import getaddrinfo

        addrs, _err = yield from getaddrinfo(sandbox, u.host, style="glibc")
        if not addrs:
            ctx.err(f"wget: bad address '{u.host}'\n")
            return 1
        ip = addrs[0]
        if not quiet:
            ctx.err(f"Connecting to {u.host_header} ({int_to_ip(ip)}:{u.port})\n")
        headers = [("User-Agent", agent), ("Connection", "close")]
        for h in opts["headers"]:
            k, sep, v = str(h).partition(":")
            if sep:
                headers.append((k.strip(), v.strip()))
        body = str(opts.get("post_data", "")).encode()
        if body:
            headers += [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", str(len(body)))]
        res = yield from http_get(sandbox, f"http://{int_to_ip(ip)}:{u.port}{u.path}", method="POST" if body else "GET",
                                  headers=headers, connect_timeout=timeout, style="glibc",
                                  nodelay=False, host_header=u.host_header, body=body, idle_timeout=timeout)
        if res.error in ("ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EPERM", "EACCES"):
            ctx.err(f"wget: can't connect to remote host ({int_to_ip(ip)}): {STRERROR.get(res.error, res.error)}\n")
            return 1
        if res.error in ("CONNECT_TIMEOUT", "TIMEOUT"):
            ctx.err("wget: download timed out\n")
            return 1
        if res.error in ("EMPTY", "ECONNRESET") or (res.error and not res.status):
            ctx.err("wget: error getting response\n" if res.error == "EMPTY"
                    else "wget: error getting response: Connection reset by peer\n")
            return 1
        if opts.get("S") and not quiet:
            for line in res.head.decode("latin-1").split("\r\n"):
                if line:
                    ctx.err(f"  {line}\n")
        if res.status in (301, 302, 303, 307, 308) and res.header("Location"):
            redirects -= 1
            if redirects == 0:
                ctx.err("wget: too many redirections\n")
                return 1
            loc = res.header("Location") or ""
            nu = parse_url(loc if "://" in loc else f"http://{u.host_header}{loc if loc.startswith('/') else '/' + loc}")
            if nu is None:
                return 1
            u = nu
            continue
        if not (200 <= res.status <= 204 or res.status == 206):
            first = res.head.decode("latin-1").split("\r\n", 1)[0]
            ctx.err(f"wget: server returned error: {first}\n")
            return 1
        break
    if opts.get("spider"):
        return 0
    if not to_stdout:
        path = _path(ctx, str(output))
        fs = sandbox.fs
        if not opts.get("output") and fs.exists(path):
            ctx.err(f"wget: can't open '{output}': File exists\n")
            return 1
        if fs.is_dir(path) or not _parent_ok(ctx, path):
            why = "Is a directory" if fs.is_dir(path) else "No such file or directory"
            ctx.err(f"wget: can't open '{output}': {why}\n")
            return 1
    if not quiet:
        ctx.err("writing to stdout\n" if to_stdout else f"saving to '{output}'\n")
    if to_stdout:
        ctx.out(_for_terminal(res.body.decode("utf-8", "replace"), is_tty(ctx, 1)))
    else:
        sandbox.fs.write(_path(ctx, str(output)), res.body)
    if not quiet:
        ctx.err(wget_progress("-" if to_stdout else posixpath.basename(str(output)), res.received) + "\n")
    if res.error == "PARTIAL":
        ctx.err("wget: connection closed prematurely\n")
        return 1
    if not quiet:
        ctx.err("written to stdout\n" if to_stdout else f"'{output}' saved\n")
    return 0


# =========================================================================== nslookup

QTYPE_BY_NAME = {"SOA": T_SOA, "NS": T_NS, "A": T_A, "AAAA": T_AAAA, "CNAME": T_CNAME, "MX": T_MX, "TXT": T_TXT,
                 "SRV": T_SRV, "PTR": T_PTR, "ANY": T_ANY}
NSLOOKUP_USAGE = f"""{BUSYBOX_BANNER}

Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]

Query DNS about HOST

QUERY_TYPE: soa,ns,a,aaaa,cname,mx,txt,ptr,srv,any
"""


def _ipv6_str(b: bytes) -> str:
    import ipaddress

    return str(ipaddress.IPv6Address(b))


def format_answers(msg: bytes, *, bind_style: bool = False) -> tuple[list[str], int]:
    """The answer lines busybox (or bind) nslookup prints for one reply, and how many records."""
    m = parse_message(msg)
    if m is None:
        return [], -1
    lines = []
    for rr in m.answers:
        name = rr.name
        if rr.rtype == T_A and len(rr.rdata) == 4:
            lines.append(f"Name:\t{name}\nAddress: {int_to_ip(int.from_bytes(rr.rdata, 'big'))}")
        elif rr.rtype == T_AAAA and len(rr.rdata) == 16:
            lines.append(f"Name:\t{name}\nAddress: {_ipv6_str(rr.rdata)}")
        elif rr.rtype in (T_NS, T_CNAME, T_PTR):
            word = {T_NS: "nameserver", T_CNAME: "canonical name", T_PTR: "name"}[rr.rtype]
            target = read_name(msg, rr.rdata_at)[0]
            lines.append(f"{name}\t{word} = {target}{'.' if bind_style else ''}")
        elif rr.rtype == T_MX and len(rr.rdata) >= 2:
            pref = int.from_bytes(rr.rdata[:2], "big")
            lines.append(f"{name}\tmail exchanger = {pref} {read_name(msg, rr.rdata_at + 2)[0]}")
        elif rr.rtype == T_TXT and rr.rdata:
            n = rr.rdata[0]
            lines.append(f'{name}\ttext = "{rr.rdata[1:1 + n].decode("latin-1")}"')
        elif rr.rtype == T_SRV and len(rr.rdata) >= 6:
            p, w, port = (int.from_bytes(rr.rdata[i:i + 2], "big") for i in (0, 2, 4))
            lines.append(f"{name}\tservice = {p} {w} {port} {read_name(msg, rr.rdata_at + 6)[0]}")
    return lines, len(m.answers)


def _nslookup_args(argv: list[str]) -> tuple[dict[str, Any], list[str], bool]:
    opts: dict[str, Any] = {"types": []}
    pos: list[str] = []
    for a in argv:
        if a.startswith("-") and len(a) > 1 and not pos:
            key, _, val = a[1:].partition("=")
            key = key.lower()
            if key in ("type", "querytype", "query", "q", "ty", "qu"):
                t = QTYPE_BY_NAME.get(val.upper())
                if t is None:
                    opts["bad_type"] = val
                else:
                    opts["types"].append(t)
            elif key in ("port", "po") and val.isdigit():
                opts["port"] = int(val)
            elif key in ("timeout", "t") and val.isdigit():
                opts["timeout"] = int(val)
            elif key in ("retry", "ret") and val.isdigit():
                opts["retry"] = int(val)
            elif key in ("debug", "d2"):
                opts["debug"] = True
            else:
                return opts, pos, False
        else:
            pos.append(a)
    return opts, pos, True


@command("nslookup", tools={"busybox"}, summary="query the nameserver for the IP address of the given HOST")
def nslookup_busybox(ctx: Ctx) -> Generator[Any, Any, int]:
    opts, pos, ok = _nslookup_args(ctx.argv[1:])
    if "bad_type" in opts:
        ctx.err(f'nslookup: invalid query type "{opts["bad_type"]}"\n')
        return 1
    if not ok or not pos or len(pos) > 2:
        ctx.err(NSLOOKUP_USAGE)
        return 1
    host = pos[0]
    ns = ctx.sandbox.netns
    rng = ctx.sandbox.host.lab.rng
    conf = read_resolv_conf(ctx.sandbox.fs)
    port = int(opts.get("port", 53))
    servers: list[tuple[str, int]] = []
    if len(pos) == 2:
        sip = parse_ipv4(pos[1])
        if sip is None:
            from tui.engine.apps.dns import getaddrinfo

            addrs, _err = yield from getaddrinfo(ctx.sandbox, pos[1])
            if not addrs:
                ctx.err(f"nslookup: bad address '{pos[1]}'\n")
                return 1
            sip = addrs[0]
        servers.append((pos[1], sip))
    else:
        servers = [(int_to_ip(s), s) for s in conf.nameservers] or [("127.0.0.1", 0x7F000001)]
    # the queries: PTR for an address, else A and AAAA (search domains appended to a dotless name)
    queries: list[tuple[str, int]] = []
    target = parse_ipv4(host)
    types = opts["types"]
    if not types and target is not None:
        queries.append((reverse_name(target), T_PTR))
    else:
        names = [host]
        if host.count(".") == 0 and conf.search:
            names = [f"{host}.{d}" for d in conf.search]
        for t in (types or [T_A, T_AAAA]):
            for n in names:
                queries.append((n, t))
    base_id = rng.randrange(65536)
    packets = [build_query((base_id + i) & 0xFFFF, name, qt) for i, (name, qt) in enumerate(queries)]
    timeout = int(opts.get("timeout", 5)) * SEC
    retry = max(int(opts.get("retry", 2)), 1)
    _expect_end(ctx, timeout * len(servers))
    printed_server = False
    exitcode = 0
    done: set[int] = set()

    for sname, sip in servers:
        def on_reply(idx: int, reply: bytes, sname: str = sname, sip: int = sip) -> None:
            nonlocal printed_server, exitcode
            if not printed_server:
                printed_server = True
                ctx.out(f"Server:\t\t{sname}\nAddress:\t{int_to_ip(sip)}:{port}\n\n")
            done.add(idx)
            rcode = reply[3] & 0x0F
            qname = queries[idx][0]
            if rcode != 0:
                ctx.out(f"** server can't find {qname}: {RCODES[rcode]}\n\n")
                exitcode = 1
                return
            lines, count = format_answers(reply)
            if count < 0:
                ctx.out(f"*** Can't find {qname}: Parse error\n\n")
                exitcode = 1
                return
            aa = reply[2] & 0x04
            text = "" if aa else "Non-authoritative answer:\n"
            text += "".join(line + "\n" for line in lines)
            ctx.out(text + "\n")

        got = yield from udp_exchange(ns, sip, packets, timeout=timeout, resend_every=timeout // retry,
                                      port=port, on_reply=on_reply)
        if got:
            break
    else:
        ctx.out(";; connection timed out; no servers could be reached\n\n")
        return 1
    missing = [queries[i][0] for i in range(len(queries)) if i not in done]
    for name in missing:
        ctx.out(f"*** Can't find {name}: No answer\n")
    if missing:
        ctx.out("\n")
    return exitcode


@command("nslookup", tools={"gnu"}, summary="query Internet name servers interactively")
def nslookup_bind(ctx: Ctx) -> Generator[Any, Any, int]:
    """bind9's nslookup (non-interactive): A then AAAA, or PTR for an address."""
    args = [a for a in ctx.argv[1:] if not a.startswith("-")]
    types = [QTYPE_BY_NAME.get(a.split("=", 1)[1].upper()) for a in ctx.argv[1:]
             if a.startswith("-") and "=" in a and a[1:].split("=", 1)[0].lower() in ("type", "query", "q")]
    if not args:
        ctx.err("nslookup: interactive mode is not available here\n")
        return 1
    host = args[0]
    conf = read_resolv_conf(ctx.sandbox.fs)
    if len(args) > 1:
        sip = parse_ipv4(args[1])
        if sip is None:
            ctx.err(f"nslookup: couldn't get address for '{args[1]}': not found\n")
            return 1
        servers = [sip]
    else:
        servers = conf.nameservers or [0x7F000001]
    rng = ctx.sandbox.host.lab.rng
    ns = ctx.sandbox.netns
    server = servers[0]
    header = f"Server:\t\t{int_to_ip(server)}\nAddress:\t{int_to_ip(server)}#53\n\n"

    def ask(name: str, qtype: int) -> Generator[Any, Any, bytes | None]:
        for s in servers:
            for _ in range(2):
                got = yield from udp_exchange(ns, s, [build_query(rng.randrange(65536), name, qtype, ad=True)],
                                              timeout=5 * SEC)
                if 0 in got:
                    return got[0]
        return None

    target = parse_ipv4(host)
    if target is not None and not types:
        reply = yield from ask(reverse_name(target), T_PTR)
        if reply is None:
            ctx.out(";; connection timed out; no servers could be reached\n\n")
            return 1
        ctx.out(header)
        m = parse_message(reply)
        if m is None or m.rcode != 0:
            code = RCODES[m.rcode] if m is not None else "SERVFAIL"
            ctx.out(f"** server can't find {reverse_name(target)}: {code}\n\n")
            return 1
        lines, _n = format_answers(reply, bind_style=True)
        ctx.out(("" if m.flags & 0x0400 else "Non-authoritative answer:\n") + "".join(f"{x}\n" for x in lines)
                + "\nAuthoritative answers can be found from:\n\n")
        return 0
    wanted = [t for t in types if t is not None] or [T_A, T_AAAA]
    for cand in search_candidates(host, conf):
        reply = yield from ask(cand, wanted[0])
        if reply is None:
            ctx.out(";; connection timed out; no servers could be reached\n\n")
            return 1
        m = parse_message(reply)
        if m is None:
            continue
        if m.rcode == NXDOMAIN or (m.rcode == 0 and not m.answers and cand != search_candidates(host, conf)[-1]):
            continue
        ctx.out(header)
        if m.rcode == SERVFAIL or m.rcode not in (0, NXDOMAIN):
            ctx.out(f"** server can't find {cand}: {RCODES[m.rcode]}\n\n")
            return 1
        lines, _n = format_answers(reply)
        out = ("" if m.flags & 0x0400 else "Non-authoritative answer:\n") + "".join(f"{x}\n" for x in lines)
        for extra in wanted[1:]:
            more = yield from ask(cand, extra)
            if more is not None:
                extra_lines, _ = format_answers(more)
                out += "".join(f"{x}\n" for x in extra_lines)
        ctx.out(out + "\n")
        return 0
    ctx.out(header + f"** server can't find {host}: NXDOMAIN\n\n")
    return 1


__all__ = ["curl_cmd", "wget_cmd", "nslookup_busybox", "nslookup_bind", "is_tty", "wget_progress",
           "curl_meter_line"]
