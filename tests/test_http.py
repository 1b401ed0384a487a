"""HTTP over the simulated TCP: the nginx and whoami images, curl on hosts, busybox wget in containers.

Expected texts follow the real programs (curl 7.81.0's wording, busybox 1.36's
wget lines as a real busybox printed them, nginx 1.25.3's page and headers,
traefik/whoami's echo of the request as Go's Request.Write writes it).
"""

from __future__ import annotations

import re

import pytest

from tests.test_embedded_dns import make_container, run
from tui.engine.apps.http import (
    EXAMPLE_COM_PAGE,
    NGINX_INDEX,
    HttpRequest,
    HttpServer,
    go_request_dump,
    http_date,
    nginx_error_body,
    nginx_server,
    parse_url,
    whoami_server,
)
from tui.engine.capture import Capture
from tui.engine.clock import MS, SEC
from tui.engine.lab import Lab
from tui.engine.scenarios import build_scenario, ip
from tui.engine.tcp import stack
from tui.shell import Shell
from tui.shell.formats.tcpdump import TcpdumpPrinter

H1, H2 = "ip-10-0-2-197", "ip-10-0-2-253"
PAGE = NGINX_INDEX.decode()
DATE = "Mon, 08 Nov 2021 04:25:00 GMT"  # the lab's clock starts at 04:25:00 on that day
NGINX_HEAD = (
    "HTTP/1.1 200 OK\nServer: nginx/1.25.3\nDate: {date}\nContent-Type: text/html\nContent-Length: 615\n"
    "Last-Modified: Tue, 24 Oct 2023 13:46:47 GMT\nConnection: keep-alive\nETag: \"6537cac7-267\"\n"
    "Accept-Ranges: bytes\n"
)


@pytest.fixture
def lab() -> Lab:
    lab = build_scenario("linux-hosts", 21)
    h2 = lab.hosts[H2].root_ns
    lab.nginx = nginx_server(h2, H2)  # type: ignore[attr-defined]
    lab.whoami = whoami_server(h2, "4f2d1c0a9b8e", 8080)  # type: ignore[attr-defined]
    return lab


@pytest.fixture
def shell(lab: Lab) -> Shell:
    return Shell(lab, H1)


def silent_server(lab: Lab, port: int = 9000) -> None:
    """Accepts connections and never answers (a hung backend)."""
    stack(lab.hosts[H2].root_ns).listen(0, port, lambda conn: None)


# --------------------------------------------------------------------------- curl on a host


def test_curl_gets_the_nginx_page(shell: Shell) -> None:
    assert run(shell, "curl http://10.0.2.253/") == PAGE
    assert shell.last_status == 0


def test_curl_verbose(shell: Shell) -> None:
    out = run(shell, "curl -v 10.0.2.253")
    assert out == (
        "*   Trying 10.0.2.253:80...\n"
        "* Connected to 10.0.2.253 (10.0.2.253) port 80 (#0)\n"
        "> GET / HTTP/1.1\n> Host: 10.0.2.253\n> User-Agent: curl/7.81.0\n> Accept: */*\n> \n"
        "* Mark bundle as not supporting multiuse\n"
        + "".join(f"< {line}\n" for line in NGINX_HEAD.format(date=DATE).splitlines()) + "< \n"
        + PAGE + "* Connection #0 to host 10.0.2.253 left intact\n"
    )


def test_curl_head(shell: Shell) -> None:
    assert run(shell, "curl -sI 10.0.2.253") == NGINX_HEAD.format(date=DATE) + "\n"
    run(shell, "curl -sI -o head.txt 10.0.2.253")  # a file keeps the CRLFs that a terminal shows as line ends
    assert shell.sandbox.fs.read("/root/head.txt") == NGINX_HEAD.format(date=DATE).replace("\n", "\r\n").encode() + b"\r\n"


def test_curl_to_a_name_via_the_host_resolver(shell: Shell) -> None:
    assert run(shell, "curl -s http://example.com/") == EXAMPLE_COM_PAGE.decode()
    assert len(EXAMPLE_COM_PAGE) == 1256
    out = run(shell, "curl -sI example.com")
    assert out.startswith("HTTP/1.1 200 OK\nAge: ") and "Server: ECS (nyb/1D2A)\n" in out
    assert "Content-Length: 1256\n" in out


def test_whoami_echoes_the_request(lab: Lab, shell: Shell) -> None:
    out = run(shell, "curl -s 10.0.2.253:8080/api?x=1 -H 'x-custom: yes' -A tester")
    req = lab.whoami.requests[-1]  # type: ignore[attr-defined]
    assert req.remote_addr.startswith("10.0.2.197:")
    assert out == (
        "Hostname: 4f2d1c0a9b8e\nIP: 127.0.0.1\nIP: 10.0.2.253\n"
        f"RemoteAddr: {req.remote_addr}\n"
        "GET /api?x=1 HTTP/1.1\nHost: 10.0.2.253:8080\nUser-Agent: tester\nAccept: */*\nX-Custom: yes\n\n"
    )
    run(shell, "curl -s -o who.txt 10.0.2.253:8080")
    assert (shell.sandbox.fs.read("/root/who.txt") or b"").endswith(b"User-Agent: curl/7.81.0\r\nAccept: */*\r\n\r\n")


def test_whoami_remote_addr_is_the_connection_seen_by_the_server(lab: Lab, shell: Shell) -> None:
    cap = Capture(lab.hosts[H2].root_ns, "eth0").start()
    out = run(shell, "curl -s 10.0.2.253:8080")
    port = re.search(r"RemoteAddr: 10\.0\.2\.197:(\d+)", out).group(1)  # type: ignore[union-attr]
    printer = TcpdumpPrinter()
    assert any(f"IP 10.0.2.197.{port} > 10.0.2.253.8080: Flags [S]" in printer.format(r.t_wall, r.data)
               for r in cap.records)


def test_curl_errors(lab: Lab, shell: Shell) -> None:
    assert re.fullmatch(r"curl: \(7\) Failed to connect to 10\.0\.2\.253 port 81 after [01] ms: Connection refused\n",
                        run(shell, "curl 10.0.2.253:81"))
    assert shell.last_status == 7
    assert run(shell, "curl -s 10.0.2.253:81") == "" and shell.last_status == 7
    assert run(shell, "curl -sS 10.0.2.253:81").startswith("curl: (7) Failed to connect")
    assert run(shell, "curl foo") == "curl: (6) Could not resolve host: foo\n"
    assert shell.last_status == 6
    assert run(shell, "curl --connect-timeout 2 10.0.2.99") == "curl: (28) Connection timed out after 2001 milliseconds\n"
    assert shell.last_status == 28
    # nobody answers ARP for .98: after 3 probes the kernel reports EHOSTUNREACH
    assert re.fullmatch(r"curl: \(7\) Failed to connect to 10\.0\.2\.98 port 80 after 30\d\d ms: No route to host\n",
                        run(shell, "curl --connect-timeout 10 10.0.2.98"))


def test_curl_verbose_refused_and_unresolved(shell: Shell) -> None:
    assert re.sub(r"after \d+ ms", "after N ms", run(shell, "curl -v 10.0.2.253:81")) == (
        "*   Trying 10.0.2.253:81...\n"
        "* connect to 10.0.2.253 port 81 failed: Connection refused\n"
        "* Failed to connect to 10.0.2.253 port 81 after N ms: Connection refused\n"
        "* Closing connection 0\n"
        "curl: (7) Failed to connect to 10.0.2.253 port 81 after N ms: Connection refused\n"
    )
    assert run(shell, "curl -v foo") == (
        "* Could not resolve host: foo\n* Closing connection 0\ncurl: (6) Could not resolve host: foo\n")


def test_curl_max_time_on_a_hung_server(lab: Lab, shell: Shell) -> None:
    silent_server(lab)
    assert run(shell, "curl -m 1 10.0.2.253:9000") == (
        "curl: (28) Operation timed out after 1001 milliseconds with 0 bytes received\n")
    assert shell.last_status == 28
    assert run(shell, "curl -m 20 10.0.2.253:9000") == (
        "curl: (28) Operation timed out after 20001 milliseconds with 0 bytes received\n")
    start = lab.clock.now
    assert run(shell, "curl 10.0.2.253:9000") == "^C\n" or shell.last_status == 130
    assert lab.clock.now - start < 140 * SEC


def test_curl_kernel_connect_timeout(lab: Lab, shell: Shell) -> None:
    Shell(lab, H2).run_line("iptables -A INPUT -p tcp --dport 80 -j DROP")
    out = run(shell, "curl 10.0.2.253")  # announces its worst case: the shell does not Ctrl-C it at 10 s
    ms = int(re.search(r"after (\d+) ms", out).group(1))  # type: ignore[union-attr]
    assert out == f"curl: (28) Failed to connect to 10.0.2.253 port 80 after {ms} ms: Connection timed out\n"
    assert 127_000 <= ms < 128_000


def test_curl_progress_meter_only_when_stdout_is_not_a_terminal(shell: Shell) -> None:
    assert run(shell, "curl 10.0.2.253 > /dev/null") != ""
    out = run(shell, "curl 10.0.2.253 | wc -c")
    head, line, count = out.splitlines()[:2], out.splitlines()[2], out.splitlines()[3]
    assert head == ["  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current",
                    "                                 Dload  Upload   Total   Spent    Left  Speed"]
    assert re.fullmatch(r"100   615  100   615    0     0  [ \d]{4}k      0 --:--:-- --:--:-- --:--:-- [ \d]{4}k", line)
    assert count.strip() == "615"
    assert run(shell, "curl -s 10.0.2.253 | wc -c").strip() == "615"


def test_curl_output_file_and_write_out(lab: Lab, shell: Shell) -> None:
    out = run(shell, "curl -s -o page.html -w '%{http_code} %{size_download} %{remote_ip}:%{remote_port}\\n' "
                     "10.0.2.253")
    assert out == "200 615 10.0.2.253:80\n"
    assert lab.hosts[H1].fs.read("/root/page.html") == NGINX_INDEX
    assert run(shell, "curl -s -o /nope/x 10.0.2.253") == "Warning: Failed to create the file /nope/x: No such file or directory\n"
    assert shell.last_status == 23
    assert run(shell, "curl -s -o /dev/null -w '%{http_code}' 10.0.2.253/missing") == "404"
    assert run(shell, "curl -sf 10.0.2.253/missing") == "" and shell.last_status == 22
    assert run(shell, "curl -f 10.0.2.253/missing") == "curl: (22) The requested URL returned error: 404\n"


def test_curl_usage_errors(shell: Shell) -> None:
    assert run(shell, "curl") == ("curl: no URL specified!\n"
                                  "curl: try 'curl --help' or 'curl --manual' for more information\n")
    assert shell.last_status == 2
    assert run(shell, "curl --bogus x").startswith("curl: option --bogus: is unknown\n")
    assert run(shell, "curl -m") .startswith("curl: option -m: requires parameter\n")


def test_curl_8_wording(lab: Lab, shell: Shell) -> None:
    lab.hosts[H1].curl_version = "8.5.0"  # type: ignore[attr-defined]
    assert re.fullmatch(r"curl: \(7\) Failed to connect to 10\.0\.2\.253 port 81 after \d ms: Couldn't connect to server\n",
                        run(shell, "curl 10.0.2.253:81"))
    out = run(shell, "curl -sv 10.0.2.253 2>&1 >/dev/null | head -8")
    assert "* Connected to 10.0.2.253 (10.0.2.253) port 80\n" in out
    assert "> User-Agent: curl/8.5.0\n" in out
    assert run(shell, "curl --connect-timeout 1 10.0.2.99") == (
        "curl: (28) Failed to connect to 10.0.2.99 port 80 after 1001 ms: Timeout was reached\n")


def test_curl_keeps_alive_and_closes_first(lab: Lab, shell: Shell) -> None:
    cap = Capture(lab.hosts[H2].root_ns, "eth0").start()
    run(shell, "curl -s 10.0.2.253 > /dev/null")
    lab.clock.advance(SEC)
    printer = TcpdumpPrinter()
    fins = [printer.format(r.t_wall, r.data) for r in cap.records if r.data[23] == 6 and r.data[47] & 0x01]
    assert "10.0.2.197" in fins[0].split(" > ")[0]  # the client's FIN first, nginx's follows


# --------------------------------------------------------------------------- busybox wget in a container


@pytest.fixture
def box(lab: Lab) -> Shell:
    sandbox, _resolver, shell = make_container(lab)
    shell.enter(sandbox)
    return shell


def test_wget_to_stdout(box: Shell) -> None:
    out = run(box, "wget -O- http://web/")
    assert out == ("Connecting to web (10.0.2.253:80)\nwriting to stdout\n" + PAGE
                   + "-                    100% |********************************|   615  0:00:00 ETA\n"
                   + "written to stdout\n")
    assert box.last_status == 0
    assert run(box, "wget -qO- web") == PAGE


def test_wget_saves_index_html_once(lab: Lab, box: Shell) -> None:
    assert run(box, "wget web") == (
        "Connecting to web (10.0.2.253:80)\nsaving to 'index.html'\n"
        "index.html           100% |********************************|   615  0:00:00 ETA\n'index.html' saved\n")
    assert box.sandbox.fs.read("/index.html") == NGINX_INDEX
    assert run(box, "wget web") == "Connecting to web (10.0.2.253:80)\nwget: can't open 'index.html': File exists\n"
    assert box.last_status == 1
    assert run(box, "wget -q -O page web; echo $?") == "0\n"


def test_wget_errors(lab: Lab, box: Shell) -> None:
    assert run(box, "wget foo") == "wget: bad address 'foo'\n" and box.last_status == 1
    assert run(box, "wget web:81") == (
        "Connecting to web:81 (10.0.2.253:81)\nwget: can't connect to remote host (10.0.2.253): Connection refused\n")
    assert run(box, "wget -q web/nope") == "wget: server returned error: HTTP/1.1 404 Not Found\n"
    silent_server(lab)
    start = lab.clock.now
    assert run(box, "wget -q -T 2 web:9000") == "wget: download timed out\n"
    assert 2 * SEC <= lab.clock.now - start < 3 * SEC


def test_whoami_seen_from_a_container_behind_nat(lab: Lab, box: Shell) -> None:
    out = run(box, "wget -qO- web:8080")
    req = lab.whoami.requests[-1]  # type: ignore[attr-defined]
    assert req.remote[0] == ip("10.0.2.197")  # the host masqueraded the container
    assert out == (
        "Hostname: 4f2d1c0a9b8e\nIP: 127.0.0.1\nIP: 10.0.2.253\n"
        f"RemoteAddr: {req.remote_addr}\n"
        "GET / HTTP/1.1\nHost: web:8080\nUser-Agent: Wget\nConnection: close\n\n"
    )


def test_wget_asks_to_close_and_nginx_closes_first(lab: Lab, box: Shell) -> None:
    cap = Capture(lab.hosts[H2].root_ns, "eth0").start()
    run(box, "wget -qO /dev/null web")
    lab.clock.advance(SEC)
    printer = TcpdumpPrinter()
    text = [printer.format(r.t_wall, r.data) for r in cap.records if r.data[23] == 6]
    fins = [t for t in text if "Flags [F" in t]
    assert fins[0].split(" ", 2)[2].startswith("10.0.2.253.80 >")
    assert any("HTTP: GET / HTTP/1.1" in t for t in text)


def test_wget_usage(box: Shell) -> None:
    out = run(box, "wget")
    assert out.startswith("BusyBox v1.36.1") and "Usage: wget [-cqS] [--spider]" in out


# --------------------------------------------------------------------------- the pieces


def test_parse_url() -> None:
    u = parse_url("web")
    assert u is not None and (u.scheme, u.host, u.port, u.path) == ("http", "web", 80, "/")
    u = parse_url("http://10.0.1.5:8080/a/b?c=d#frag")
    assert u is not None and (u.host, u.port, u.path, u.host_header) == ("10.0.1.5", 8080, "/a/b?c=d", "10.0.1.5:8080")
    assert parse_url("http://:80/") is None and parse_url("web:abc") is None


def test_go_request_dump() -> None:
    req = HttpRequest("GET", "/", "HTTP/1.1", [("host", "web"), ("accept", "*/*"), ("x-b", "2"), ("X-A", "1"),
                                                ("Connection", "close")])
    assert go_request_dump(req) == (
        "GET / HTTP/1.1\r\nHost: web\r\nUser-Agent: Go-http-client/1.1\r\nConnection: close\r\n"
        "Accept: */*\r\nX-A: 1\r\nX-B: 2\r\n\r\n")
    post = HttpRequest("POST", "/p", "HTTP/1.1", [("Host", "w"), ("User-Agent", "u")], b"k=v")
    assert go_request_dump(post) == "POST /p HTTP/1.1\r\nHost: w\r\nUser-Agent: u\r\nContent-Length: 3\r\n\r\nk=v"


def test_nginx_pages() -> None:
    assert len(NGINX_INDEX) == 615 and NGINX_INDEX.startswith(b"<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome")
    body = nginx_error_body(404)
    assert len(body) == 153 and body.startswith(b"<html>\r\n<head><title>404 Not Found</title></head>\r\n")
    assert b"<hr><center>nginx/1.25.3</center>\r\n" in body
    assert http_date(1698155207 * SEC) == "Tue, 24 Oct 2023 13:46:47 GMT"


def test_nginx_404_and_head(shell: Shell) -> None:
    out = run(shell, "curl -si 10.0.2.253/nope")
    assert out.startswith("HTTP/1.1 404 Not Found\nServer: nginx/1.25.3\n")
    assert "Content-Length: 153\n" in out and out.endswith("<hr><center>nginx/1.25.3</center>\n</body>\n</html>\n")
    assert run(shell, "curl -s -X POST 10.0.2.253/ -o /dev/null -w '%{http_code}'") == "405"


def test_server_handles_keep_alive_requests_in_turn(lab: Lab) -> None:
    from tui.engine.apps.http import http_get  # noqa: F401  (the client is used by the tools)

    seen: list[str] = []

    def handler(req: HttpRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        seen.append(req.target)
        return 200, [("Content-Length", "2")], b"ok"

    HttpServer(lab.hosts[H2].root_ns, 7000, handler).start()
    conn = stack(lab.hosts[H1].root_ns).connect(ip("10.0.2.253"), 7000)
    assert conn is not None
    got = bytearray()
    conn.on_established = lambda c: c.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    conn.on_data = lambda c, d: got.extend(d)
    lab.clock.advance(20 * MS)
    assert seen == ["/a", "/b"] and got.count(b"HTTP/1.1 200 OK") == 2
    assert conn.state == "ESTABLISHED"  # kept alive
