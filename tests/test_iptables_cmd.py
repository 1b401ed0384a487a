"""The `iptables` command against the real iptables-legacy binary.

Each script runs line by line in a private network namespace with the real binary and in
the simulator (set to imitate the same release); exit status, stdout and stderr must be
identical. Skipped unless root with ``ip`` and ``iptables-legacy`` (Debian package
``iptables``) available. The simulator's default release, 1.8.4, differs from newer ones
only where tested in tests/test_netfilter.py (protocol names in ``-L -n``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.engine.netfilter import Netfilter
from tui.shell.commands.iptables import iptables, run_iptables

NETNS = f"olnf{os.getpid()}"


class FakeClock:
    now = 0


class FakeNS:
    """Listing and parsing need no datapath: the namespace members are stubs."""

    where = "host1/root"
    clock = FakeClock()

    def addr_type(self, addr: int) -> str:
        return "UNICAST"

    def masquerade_source(self, out_dev: str, dst: int) -> int | None:
        return None

    def send_icmp_error(self, pkt: object, icmp_type: int, icmp_code: int) -> None:
        return None

    def send_tcp_reset(self, pkt: object) -> None:
        return None

    def link_names(self) -> list[str]:
        return ["lo"]


class Real:
    """iptables-legacy inside a namespace of our own."""

    def __init__(self, netns: str) -> None:
        self.netns = netns
        out = subprocess.run(["iptables-legacy", "--version"], capture_output=True, text=True).stdout
        m = re.search(r"v(\d+\.\d+\.\d+)", out)
        self.version = m.group(1) if m else "1.8.9"
        probe = self.run(["-t", "nat", "-A", "OUTPUT", "-m", "ipvs", "--ipvs"])
        self.has_ipvs = probe[0] == 0
        self.reset()

    def run(self, args: list[str], stdin: str | None = None, prog: str = "iptables-legacy"
            ) -> tuple[int, str, str]:
        p = subprocess.run(["ip", "netns", "exec", self.netns, prog, *args], input=stdin,
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def reset(self) -> None:
        for table in ("filter", "nat", "mangle", "raw"):
            for cmd in ("-F", "-X", "-Z"):
                self.run(["-t", table, cmd])
        for chain in ("INPUT", "FORWARD", "OUTPUT"):
            self.run(["-P", chain, "ACCEPT"])


@pytest.fixture(scope="module")
def real() -> Iterator[Real]:
    if os.geteuid() != 0:
        pytest.skip("needs root for a network namespace")
    if not shutil.which("ip") or not shutil.which("iptables-legacy"):
        pytest.skip("needs ip and iptables-legacy (apt-get install iptables iproute2)")
    if subprocess.run(["ip", "netns", "add", NETNS], capture_output=True).returncode:
        pytest.skip("cannot create a network namespace")
    try:
        r = Real(NETNS)
        if r.run(["-L", "-n"])[0] != 0:
            pytest.skip("the kernel has no legacy iptables")
        yield r
    finally:
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True)


def sim(version: str) -> Netfilter:
    nf = Netfilter(FakeNS())
    nf.iptables_version = version
    return nf


def compare(real: Real, script: str) -> None:
    real.reset()
    nf = sim(real.version)
    problems = []
    for line in script.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if "ipvs" in line and not real.has_ipvs:
            continue
        args = shlex.split(line)
        want = real.run(args)
        got = nf.execute(args)
        if got != want:
            problems.append(f"$ iptables {line}\n  real: {want!r}\n  sim:  {got!r}")
    assert not problems, "\n".join(problems)


SCRIPTS = {
    "docker_bridge": """\
-N DOCKER
-N DOCKER-USER
-N DOCKER-ISOLATION-STAGE-1
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER-USER -j RETURN
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DROP
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A INPUT -s 10.0.0.0/8 -p udp --sport 53 -j ACCEPT
-A INPUT -p icmp --icmp-type echo-request -j ACCEPT
-A INPUT -p icmp --icmp-type 3/3 -j DROP
-A INPUT -p tcp -m multiport --dports 22,80,8000:8080 -m comment --comment "web stuff" -j REJECT --reject-with tcp-reset
-A INPUT -p udp -j REJECT
-A INPUT -m mark --mark 0x100/0xff00 -j LOG
-A INPUT -m state --state INVALID -j DROP
-A INPUT -p 47 -j ACCEPT
-A INPUT ! -s 192.168.1.1 -i eth+ -j ACCEPT
-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT -p tcp ! --dport 1000:2000 -j ACCEPT
-A OUTPUT -p tcp --tcp-flags SYN,RST SYN -j ACCEPT
-A OUTPUT -j MARK --set-mark 0x1
-A OUTPUT -j MARK --set-xmark 0x2/0xff
-A OUTPUT -p tcp --syn -j ACCEPT
-A OUTPUT -m comment --comment nospace
-P FORWARD DROP
-t nat -N DOCKER
-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-t nat -A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-t nat -A DOCKER -i docker0 -j RETURN
-t nat -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
-t nat -A DOCKER -p udp --dport 53 -j DNAT --to-destination 172.17.0.3
-t nat -A POSTROUTING -o eth0 -j SNAT --to-source 1.2.3.4
-t nat -A POSTROUTING -o eth1 -j SNAT --to-source 1.2.3.4:1000-2000
-t nat -A PREROUTING -p tcp --dport 25 -j REDIRECT --to-ports 2525
-t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 1024-2048
-t mangle -A PREROUTING -p udp --dport 4789 -j MARK --set-mark 0x100
-t mangle -A OUTPUT -d 10.0.0.2 -j MARK --set-xmark 0x101/0xffffffff
-L -n
-L -n -v
-S
-t nat -L -n
-t nat -nvL
-t nat -S
-t mangle -S
-t mangle -L -n -v -x --line-numbers
-L
-t nat -L
""",
    "matches_and_targets": """\
-N MYCHAIN
-A INPUT -s 10.0.0.0/8 -j ACCEPT -c 5 300
-A INPUT -p tcp --dport 22 -j MYCHAIN -c 99999 100000
-A INPUT -p icmp --icmp-type any -j ACCEPT -c 100499 99500
-A INPUT -p icmp ! --icmp-type echo-reply -j ACCEPT -c 9999499 9999500
-A INPUT -p icmp --icmp-type 3/4 -j ACCEPT -c 1234567890123 12345678901234567
-A INPUT -p icmp --icmp-type 11 -j ACCEPT
-A INPUT -p udp --sport 1:1023 --dport 53 -g MYCHAIN -c 1 1
-A MYCHAIN -s 1.2.3.0/255.255.0.255 -j RETURN
-A MYCHAIN -p tcp ! --syn -j DROP
-A MYCHAIN -p tcp --tcp-flags ALL NONE -j DROP
-A MYCHAIN -p tcp --sport 80 ! --dport 81 -j DROP
-A MYCHAIN -m conntrack ! --ctstate NEW,DNAT,SNAT -j DROP
-A MYCHAIN -m addrtype ! --src-type UNICAST --dst-type BROADCAST,MULTICAST -j DROP
-A MYCHAIN -m addrtype --dst-type LOCAL --limit-iface-in -j DROP
-A MYCHAIN -m mark ! --mark 0x5 -j DROP
-A MYCHAIN -p udp -m multiport ! --sports 1,2,3 -j DROP
-A MYCHAIN -p udp -m multiport --ports 1,2,3 -j DROP
-A MYCHAIN ! -p udp -j DROP
-A MYCHAIN -p all -j REJECT --reject-with icmp-host-unreachable
-A MYCHAIN -j REJECT --reject-with icmp-net-unreachable
-A MYCHAIN -j REJECT --reject-with icmp-admin-prohibited
-A MYCHAIN -j REJECT --reject-with icmp-proto-unreachable
-A MYCHAIN -j REJECT --reject-with icmp-net-prohibited
-A MYCHAIN -j REJECT --reject-with icmp-host-prohibited
-A MYCHAIN -j LOG --log-prefix "hey " --log-level 6
-A MYCHAIN -m comment --comment "a \\"q\\" b" -j ACCEPT
-A MYCHAIN -i lo -o eth0 -j ACCEPT
-A MYCHAIN -i verylongifname1 -o verylongname2 -j ACCEPT
-A MYCHAIN -f -j ACCEPT
-A MYCHAIN ! -f -j ACCEPT
-A MYCHAIN -m state --state RELATED,ESTABLISHED,UNTRACKED -j ACCEPT
-A MYCHAIN -p 253 -j ACCEPT
-A MYCHAIN -p gre -j ACCEPT
-A MYCHAIN -j MARK --set-mark 0x5/0xf
-A MYCHAIN -j MARK --and-mark 0x5
-A MYCHAIN -j MARK --or-mark 0x5
-A MYCHAIN -s 127.0.0.1 -d 127.0.0.0/8 -j ACCEPT
-A MYCHAIN -s 169.254.0.0/16 -d 0.0.0.0/8 -j ACCEPT
-L -n
-L -n -v
-L -n -v -x
-L -n --line-numbers
-L -v --line-numbers -n -x
-S
-S -v
-L MYCHAIN -n
-S MYCHAIN
-S INPUT 2
-L INPUT 2 -n
-L
-L -v
-L -v -x --line-numbers
-L -Z INPUT
-L -v INPUT
-Z INPUT 1
-L -nvx INPUT
-Z -v
-L -nvx
""",
    "errors_and_chains": """\
-L NOPE
-D INPUT -s 1.2.3.4 -j ACCEPT
-D INPUT 99
--foo
-t bogus -L
-A
-A INPUT -s
-A NOPE -j ACCEPT
-A INPUT -j NOPE
-N DOCKER
-N DOCKER
-A INPUT -j DOCKER
-X DOCKER
-P DOCKER DROP
-P INPUT FOO
-I INPUT 99 -j ACCEPT
-R INPUT 99 -j ACCEPT
-C INPUT -s 1.1.1.1 -j ACCEPT
-A INPUT -p tcp --dport 99999 -j ACCEPT
-A INPUT -s 1.2.3.300 -j ACCEPT
-A INPUT --dport 80 -j ACCEPT
-A INPUT -m foo -j ACCEPT
-t nat -A INPUT -j DROP2
-t filter -A INPUT -j MASQUERADE
-A INPUT -j DNAT --to-destination 1.2.3.4
-L -A INPUT
-N
-F NOPE
-Z NOPE
-S NOPE
-X NOPE
-N "a b"
-N ACCEPT
-N -foo
-A INPUT -p foo
-A INPUT -m conntrack --ctstate FOO
-A INPUT -j REJECT --reject-with foo
-A INPUT -p icmp --icmp-type foo
-X INPUT
-P FOO ACCEPT
-E
-A INPUT -s 1.2.3.4 -s 1.2.3.5
-A INPUT -i
-D INPUT
-L INPUT extra
-I
-A INPUT ! -j ACCEPT
-t nat -P PREROUTING DROP
-t nat -A PREROUTING -j DROP
INPUT
-nL FOO
-Ln
-LINPUT
-N AVERYVERYLONGCHAINNAME1234567890
-N ABCDEFGHIJKLMNOPQRSTUVWXYZ12
-N ABCDEFGHIJKLMNOPQRSTUVWXYZ123
-E ABCDEFGHIJKLMNOPQRSTUVWXYZ12 X
-E X INPUT
-E X ACCEPT
-E NOPE Y
-N Y
-E X Y
-A INPUT -j X
-A INPUT -j X
-A INPUT -g X
-L -n
-N Z
-A Z -j X
-A X -j Z
-A X -p tcp -j RETURN
-A INPUT -j RETURN
-A INPUT -j DROP --foo
-A INPUT -j ACCEPT -m comment --comment late
-S INPUT
-A INPUT -s 1.2.3.4 -d
-D INPUT 1 2
-D INPUT -j X extra
-I INPUT 1 2 -j ACCEPT
-I INPUT -2 -j ACCEPT
-I INPUT x -j ACCEPT
-A INPUT -j LOG --log-prefix abc --log-level debug
-A INPUT -j LOG --log-level 7 --log-tcp-sequence
-A INPUT -j LOG --log-uid
-A INPUT -j LOG --log-prefix "a b" --log-ip-options --log-tcp-options
-L INPUT -n
-S INPUT
-L INPUT
-A INPUT -i eth0 -o eth1
-A FORWARD -i eth0 -o eth1 -m conntrack --ctstate INVALID,RELATED,ESTABLISHED,NEW,UNTRACKED,SNAT,DNAT
-A FORWARD -m conntrack --ctstate INVALID --ctproto tcp
-A FORWARD -m state ! --state NEW
-A FORWARD -m conntrack --ctorigdst 1.2.3.4
-A OUTPUT -i eth0
-t nat -A POSTROUTING -i eth0
-t mangle -A PREROUTING -o eth0
-L FORWARD -n
-S FORWARD
-F
-X
-N A
-A A -j ACCEPT
-X A
-N B
-A B -j ACCEPT
-X
-L -n
-N C
-N D
-A C -j D
-X
-L -n
-A INPUT -j D
-F
-X
-L -n
-N A1
-N A2
-A A2 -j A1
-X
-L -n
-F
-X
-N P
-A P -j ACCEPT
-A INPUT -j P
-X P
-N Q
-X
-L -n
-h
-V
""",
    "commands_and_options": """\
-t nat -A PREROUTING -j DROP
-X INPUT
-N X
-X X
-X
-N A
-N B
-A A -j B
-X B
-X
-D A 1
-X
-C INPUT -j ACCEPT
-A INPUT -j ACCEPT
-C INPUT -j ACCEPT
-D INPUT -j ACCEPT
-D INPUT 1
-D INPUT 0
-I INPUT 0 -j ACCEPT
-I INPUT 2 -j ACCEPT
-I INPUT 1 -j ACCEPT
-R INPUT 2 -j ACCEPT
-R INPUT 1 -j DROP
-nvL INPUT
-vnxL
-L -nv --line-numbers INPUT
-Z INPUT
-Z INPUT 1
-L -Z INPUT
-F INPUT
-L -n INPUT 1
-L -n INPUT 5
-S INPUT 5
-A INPUT -p tcp --sport 80 --sport 81
-A INPUT -p tcp --dport 80:79
-A INPUT -p tcp --dport http
-A INPUT -p tcp --dport :1000
-A INPUT -p tcp --dport 1000:
-S INPUT
-L INPUT -n
-F
-A INPUT -p udp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16
-A INPUT -m multiport --dports 1,2
-A INPUT -p tcp -m multiport --dports 1,2 -m multiport --sports 3
-A INPUT -m mark --mark 0xffffffff
-A INPUT -m mark --mark 5
-A INPUT -m mark --mark 5/7
-A INPUT -j MARK --set-mark 5
-A INPUT -j MARK
-A INPUT -m conntrack --ctstate NEW -m conntrack --ctstate ESTABLISHED
-A INPUT -m state --state NEW,NEW
-A INPUT -s 10.1.2.3/24 -d 10.1.2.3/0
-A INPUT -s 0/0
-A INPUT -s 10.1.2.3/255.255.255.255
-A INPUT -d 10.1.2.3/33
-A INPUT -s foo.invalid
-A INPUT -i eth0+
-A INPUT -i +
-A INPUT -i eth0 -i eth1
-A INPUT -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
-A INPUT -p tcp -j REJECT --reject-with tcp-rst
-A INPUT -j REJECT --reject-with icmp-port-unreachable
-A INPUT -j REJECT --reject-with port-unreach
-A INPUT -j REJECT --reject-with host-unreach
-A INPUT -m comment
-A INPUT -m comment --comment
-A INPUT -m comment --comment ""
-A INPUT -m addrtype
-A INPUT -m addrtype --src-type FOO
-A INPUT -m addrtype --dst-type local
-A INPUT -m conntrack
-A INPUT -m conntrack --ctstate new
-A INPUT -p icmp --icmp-type echo-reply
-A INPUT -p icmp --icmp-type ping
-A INPUT -p icmp --icmp-type 300
-A INPUT -p icmp --icmp-type port-unreachable
-A INPUT -p icmp --icmp-type 8/0
-S INPUT
-L INPUT -n
-L INPUT
-L -nv
-F
-X
-N A
-N B
-A A -j B
-A B -j A
-A B -j B
-A INPUT -j MARK --set-mark 1
-t raw -A PREROUTING -j MARK --set-mark 1
-t nat -A PREROUTING -j MARK --set-mark 1
-t mangle -A PREROUTING -j REJECT
-t mangle -A INPUT -j REJECT
-t raw -A PREROUTING -j REJECT
-t nat -A PREROUTING -j REJECT
-t nat -A POSTROUTING -j DNAT --to-destination 1.1.1.1
-t nat -A INPUT -j DNAT --to-destination 1.1.1.1
-t nat -A INPUT -j SNAT --to-source 1.1.1.1
-t nat -A OUTPUT -j SNAT --to-source 1.1.1.1
-t nat -A OUTPUT -j REDIRECT
-t nat -A INPUT -j MASQUERADE
-t nat -N C
-t nat -A C -j MASQUERADE
-t nat -A PREROUTING -j C
-t nat -A POSTROUTING -j C
-t nat -A C -j DNAT --to-destination 1.2.3.4
-t nat -A C -j LOG
-t nat -A C -p tcp -j DNAT --to-destination 1.2.3.4:80-90
-t nat -A C -j DNAT --to-destination 1.2.3.4:80
-t nat -A C -j DNAT
-t nat -A C -j SNAT
-t nat -A C -j DNAT --to-destination 1.2.3.4 --to-destination 1.2.3.5
-t nat -A C -j REDIRECT --to-ports 80
-t nat -A C -j MASQUERADE --to-ports 80
-t nat -S
-t nat -L -n
-t mangle -S
-A INPUT -i + -o eth+
-A INPUT -m tcp --dport 80
-A INPUT -p tcp -m udp --dport 80
-A INPUT -p udp -m tcp --dport 80
-A INPUT -p tcp -m tcp -m tcp --dport 80
-A INPUT -p tcp --dport 80 -m tcp --sport 80
-A INPUT -p tcp --dport 80 -m comment --comment x --sport 80
-A INPUT -p tcp --dport 80 -m multiport --dports 80
-A INPUT --protocol tcp --destination-port 80 --source 1.2.3.4 --destination 1.2.3.5 --in-interface eth0 --jump ACCEPT
-A INPUT -p TCP -j ACCEPT
-A INPUT -p 6 -j ACCEPT
-A INPUT -p 0 -j ACCEPT
-A INPUT -p ip -j ACCEPT
-A INPUT -p icmp --icmp-type any
-A INPUT -p icmp
-S INPUT
-nvL INPUT
-L INPUT
-A INPUT -j ACCEPT -j DROP
-A INPUT -p tcp -p udp
-A INPUT -s 1.2.3.4 ! -s 1.2.3.5
-A INPUT ! ! -s 1.2.3.4
-A INPUT ! -s ! 1.2.3.4
-A INPUT -s ! 1.2.3.4
-A INPUT --sport 3 -p tcp
-P INPUT
-P INPUT ACCEPT extra
-F INPUT extra
-A INPUT extra
-A INPUT -j
-L -S
-nL -t nat
-F -t nat
-L -t
-t
-t nat
-x
-n
-v
--line-numbers
-A INPUT -n -j ACCEPT
-A INPUT -x -j ACCEPT
-A INPUT --line-numbers -j ACCEPT
-L -s 1.2.3.4
-L -j ACCEPT
-F -v
-F -n
-D INPUT -v -j ACCEPT
-S -n
-S -x
-S --line-numbers
-Z -v
-N X -v
-P INPUT ACCEPT -v
-L -c 1 2
-A INPUT -c 1 2 -j ACCEPT
-A INPUT -c 1
-A INPUT -c x y
-S INPUT
-L INPUT 0
-L INPUT 1
-S INPUT 0
-Z INPUT 500
-L -v -Z INPUT
-L -v INPUT
-D INPUT 1 -j ACCEPT
-C INPUT
-t nat -L -n -v --line-numbers -x
""",
    "verbose_echo_nat_ranges": """\
-N X
-X -v
-N X
-X X -v
-N Y
-v -A INPUT -s 1.2.3.4 -p tcp --dport 80 -m comment --comment hi -j ACCEPT
-v -A INPUT -s 1.2.3.4,5.6.7.8 -i eth0 ! -p udp -j Y
-v -I INPUT 2 -g Y
-v -t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80
-v -D INPUT -s 1.2.3.4 -p tcp --dport 80 -m comment --comment hi -j ACCEPT
-v -C INPUT -s 1.2.3.4 -p tcp --dport 80 -m comment --comment hi -j ACCEPT
-v -R INPUT 1 -j ACCEPT
-v -P INPUT ACCEPT
-v -N Z
-v -E Z ZZ
-A INPUT -m comment --comment a.b
-A INPUT -m comment --comment "it's"
-A INPUT -m comment --comment "back\\slash"
-A INPUT -m comment --comment a_b-c
-A INPUT -j LOG --log-level 0
-A INPUT -j LOG --log-level 1
-A INPUT -j LOG --log-level 2
-A INPUT -j LOG --log-level 3
-A INPUT -j LOG --log-level 4
-A INPUT -j LOG --log-level 5
-A INPUT -j LOG --log-level warning
-A INPUT -j LOG --log-level panic
-A INPUT -j LOG --log-level err
-A INPUT -j LOG --log-level 8
-A INPUT -j LOG --log-macdecode
-A INPUT -j MARK --set-mark 0
-A INPUT -j MARK --xor-mark 3
-A INPUT -j MARK --set-mark 0xffffffff
-A INPUT -m state --state NEW,ESTABLISHED,RELATED,INVALID
-A INPUT -m state --state FOO
-A INPUT -i 0123456789abcdef
-A INPUT -p icmp --icmp-type echo
-A INPUT -p icmp --icmp-type ttl-exceeded
-A INPUT -p icmp --icmp-type pong
-A INPUT -p icmp --icmp-type ECHO-REQUEST
-S INPUT
-L INPUT
-L INPUT -n
-F
-A INPUT -m comment ! --comment x
-A INPUT -m mark ! --mark 1 -j MARK ! --set-mark 1
-A INPUT -j LOG ! --log-prefix x
-A INPUT !
-A INPUT -m conntrack ! --ctstate NEW ! --ctproto udp
-A INPUT -m state --state
-A INPUT -p tcp --tcp-flags SYN
-A INPUT -p tcp --tcp-flags SYN FOO
-A INPUT -p tcp --syn --tcp-flags SYN SYN
-A INPUT -p udp --dport 53 --dport 54
-A INPUT -m multiport --dports 1,2 -p tcp
-A INPUT -p tcp -m multiport --dports 1:2,3 --sports 4
-A INPUT -p tcp -m multiport --dports 1:2,3,4:5,6:7,8:9,10:11,12:13,14
-A INPUT -p tcp -m multiport --dports 1:2,3,4:5,6:7,8:9,10:11,12:13,14:15
-A INPUT -p tcp -m multiport --dports 1:2,3,4:5,6:7,8:9,10:11,12:13,14:15,16
-A INPUT -p tcp -m multiport --dports http,ssh
-A INPUT -p udp -m multiport --dports domain,53
-A INPUT -p tcp -m multiport --dports foo
-A INPUT -p tcp -m multiport --dports 70000
-A INPUT -p tcp -m multiport --dport 22
-A INPUT -p tcp -m tcp --dport ssh:http
-A INPUT -p tcp -m tcp --dport 22:22
-A INPUT -p tcp -m tcp ! --syn
-A INPUT -p tcp --tcp-flags ALL SYN,ACK
-A INPUT -p udp --sport 53 --dport 1024:65535
-L INPUT
-S INPUT
-L INPUT -n
-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4-1.2.3.6:80-90
-t nat -A PREROUTING -p tcp -j DNAT --to 1.2.3.4
-t nat -A PREROUTING -p tcp -j REDIRECT --to-port 80
-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80 --random
-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.
-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:x
-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:0
-t nat -A PREROUTING -p tcp -j REDIRECT --to-ports x
-t nat -A PREROUTING -p udp -j DNAT --to-destination :81
-t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 1024-2048 --random-fully
-t nat -A POSTROUTING -p tcp -j SNAT --to-source 1.2.3.4 --random-fully
-t nat -A POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport 38291 -j SNAT --to-source :53
-t nat -A POSTROUTING -p tcp -j SNAT --to-source 1.2.3.4:1000-2000
-t nat -A POSTROUTING -p tcp -j SNAT --to-source 1.2.3.4-1.2.3.9
-t nat -A POSTROUTING -j MASQUERADE --random
-t nat -A POSTROUTING -j SNAT --to-source 1.1.1.1 --random --persistent
-t nat -A PREROUTING -p tcp -j REDIRECT --to-ports 1000-2000
-t nat -A PREROUTING -p tcp -j REDIRECT
-t nat -A OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:45173
-t nat -S
-t nat -L -n
-t nat -L
-t nat -L -v
""",
    "goto_and_builtin_jumps": """\
-A INPUT -g NOPE
-A INPUT -g ACCEPT
-A INPUT -g LOG
-A INPUT -j INPUT
-t nat -A PREROUTING -g DNAT --to-destination 1.2.3.4
-N G
-A INPUT -g G
-t nat -A PREROUTING -j INPUT
-t nat -A PREROUTING -j OUTPUT
-A FORWARD -j INPUT
-N L
-A INPUT -j L
-A L -g L
-A L -j RETURN
-A L -g L
-A L -p tcp -j REJECT --reject-with tcp-reset
-L -n
-S
""",
    "service_names": """\
-A INPUT -p udp --dport syslog
-A INPUT -p udp --dport bootps
-A INPUT -p udp --dport shell
-A INPUT -p tcp --dport biff
-A INPUT -p udp -m multiport --dports syslog
-A INPUT -p tcp -m multiport --dports syslog
-t nat -A PREROUTING -p udp -j DNAT --to-destination 1.1.1.1:http
-t nat -A PREROUTING -p udp -j REDIRECT --to-ports http
-t nat -A PREROUTING -p udp -j REDIRECT --to-ports http-8081
-t nat -A PREROUTING -p udp -j DNAT --to-destination 1.1.1.1:80-http
-t nat -S PREROUTING
-A INPUT -p tcp -m multiport --dports bootps
-A INPUT -p tcp -m multiport --dports ssh
-A INPUT -p udp -m multiport --dports domain
-A INPUT -p udp -m multiport --dports http
-A INPUT -p udp -m multiport --dports bootps
-A INPUT -p udp -m multiport --dports biff
-A INPUT -p tcp -m multiport --dports biff
-A INPUT -p tcp -m multiport --dports exec
-A INPUT -p udp -m multiport --dports exec
-A INPUT -p tcp --dport exec
-A INPUT -p udp --dport exec
-A INPUT -p udp --dport biff
-A INPUT -p tcp --dport syslog
-A INPUT -p tcp --dport www
-A INPUT -p udp --sport http-alt
-A INPUT -p tcp --sport ntp
-A INPUT -p tcp -m multiport --dports ntp
-A INPUT -p udp -m multiport --dports ntp
-A INPUT -p udp -m multiport --dports ssh
-A INPUT -p udp -m multiport --dports telnet
-A INPUT -p udp --dport sink:quote
-A INPUT -p tcp --dport postgres
-S INPUT
-L INPUT
""",
    "swarm_ingress_and_dns": """\
-t nat -N DOCKER-INGRESS
-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER-INGRESS
-t nat -A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER-INGRESS
-t nat -A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:8080
-t nat -A DOCKER-INGRESS -j RETURN
-t nat -A POSTROUTING -o docker_gwbridge -m addrtype --src-type LOCAL -j MASQUERADE
-N DOCKER-INGRESS
-A FORWARD -j DOCKER-INGRESS
-A DOCKER-INGRESS -p tcp -m tcp --dport 8080 -j ACCEPT
-A DOCKER-INGRESS -p tcp -m state --state RELATED,ESTABLISHED -m tcp --sport 8080 -j ACCEPT
-A DOCKER-INGRESS -j RETURN
-t mangle -A PREROUTING -p tcp -m tcp --dport 8080 -j MARK --set-xmark 0x100/0xffffffff
-t mangle -A OUTPUT -d 10.0.0.5/32 -j MARK --set-mark 257
-t nat -N DOCKER_OUTPUT
-t nat -N DOCKER_POSTROUTING
-t nat -A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT
-t nat -A POSTROUTING -d 127.0.0.11/32 -j DOCKER_POSTROUTING
-t nat -A DOCKER_OUTPUT -d 127.0.0.11/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 127.0.0.11:43523
-t nat -A DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT --to-destination 127.0.0.11:49306
-t nat -A DOCKER_POSTROUTING -s 127.0.0.11/32 -p tcp -m tcp --sport 43523 -j SNAT --to-source :53
-t nat -A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport 49306 -j SNAT --to-source :53
-t nat -A POSTROUTING -d 10.0.1.0/24 -m ipvs --ipvs -j SNAT --to-source 10.0.1.2
-t raw -A PREROUTING -p udp --dport 4789 -j ACCEPT
-t raw -L -n -v
-t nat -nvL --line-numbers
-t nat -S
-t mangle -S
-t mangle -nvxL
-t nat -L
-L DOCKER-INGRESS
-S -t nat DOCKER_OUTPUT
-t nat -C DOCKER-INGRESS -p tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:8080
-t nat -D DOCKER-INGRESS -p tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:8080
-t nat -C DOCKER-INGRESS -p tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:8080
-t nat -E DOCKER_OUTPUT DOCKER_OUT2
-t nat -L OUTPUT -n
-t nat -F
-t nat -X
-t nat -L -n
""",

}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_matches_real_iptables(real: Real, name: str) -> None:
    compare(real, SCRIPTS[name])


COUNTERS = """\
*filter
:INPUT ACCEPT [123456:99999]
:FORWARD DROP [100000:1234567]
:OUTPUT ACCEPT [9999999:123456789012]
:MYCHAIN - [0:0]
[5:300] -A INPUT -s 10.0.0.0/8 -j ACCEPT
[99999:100000] -A INPUT -p tcp -m tcp --dport 22 -j MYCHAIN
[100499:99500] -A INPUT -p icmp -m icmp --icmp-type any -j ACCEPT
[9999499:9999500] -A INPUT -p icmp -m icmp ! --icmp-type 0 -j ACCEPT
[1234567890123:12345678901234567] -A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT
[999500:999499] -A MYCHAIN -j RETURN
[0:0] -A MYCHAIN -p udp -m udp --sport 53 -g MYCHAIN
COMMIT
"""
LISTINGS = ["-L -n -v", "-L -v", "-L -n -v -x", "-L -n -v --line-numbers", "-L -vx --line-numbers",
            "-S -v", "-S", "-L MYCHAIN -nv", "-S INPUT 4 -v", "-L INPUT 5 -nv", "-nvL FORWARD"]


def test_counter_columns_match_real_iptables(real: Real) -> None:
    real.reset()
    assert real.run(["-c"], stdin=COUNTERS, prog="iptables-legacy-restore")[0] == 0
    nf = sim(real.version)
    for line in COUNTERS.splitlines():
        m = re.match(r":(\S+) (\S+) \[(\d+):(\d+)\]", line)
        if m and m.group(2) == "-":
            nf.run(["-N", m.group(1)])
        elif m:
            nf.run(["-P", m.group(1), m.group(2), "-c", m.group(3), m.group(4)])
        m = re.match(r"\[(\d+):(\d+)\] (.*)", line)
        if m:
            nf.run([*shlex.split(m.group(3)), "-c", m.group(1), m.group(2)])
    for listing in LISTINGS:
        args = listing.split()
        assert nf.execute(args) == real.run(args), listing


def test_help_and_version_match_real_iptables(real: Real) -> None:
    nf = sim(real.version)
    for args in (["-h"], ["-V"], ["--version"], ["--help"]):
        assert nf.execute(args) == real.run(args)


def test_icmp_type_names_match_real_iptables(real: Real) -> None:
    from tui.engine.netfilter import _ICMP_ALIASES, _ICMP_TYPES

    real.reset()
    nf = sim(real.version)
    for name, *_ in _ICMP_TYPES + _ICMP_ALIASES:
        args = ["-A", "INPUT", "-p", "icmp", "--icmp-type", name]
        assert nf.execute(args) == real.run(args), name
    for listing in (["-L", "INPUT"], ["-nL", "INPUT"], ["-S", "INPUT"]):
        assert nf.execute(listing) == real.run(listing)


def test_service_names_match_real_iptables(real: Real) -> None:
    real.reset()
    nf = sim(real.version)
    ports = [1, 7, 21, 22, 25, 53, 67, 68, 80, 123, 161, 443, 514, 853, 2049, 3306, 5353, 5432,
             6379, 8080, 2377, 4789, 7946]
    for proto in ("tcp", "udp"):
        for port in ports:
            args = ["-A", "INPUT", "-p", proto, "--dport", str(port), "--sport", str(port)]
            assert nf.execute(args) == real.run(args)
    assert nf.execute(["-L", "INPUT"]) == real.run(["-L", "INPUT"])


def test_shell_command_wrappers() -> None:
    nf = sim("1.8.4")
    out: list[str] = []
    err: list[str] = []
    assert run_iptables(nf, ["-N", "X"], out.append, err.append) == 0
    assert run_iptables(nf, ["-N", "X"], out.append, err.append) == 1
    assert err == ["iptables: Chain already exists.\n"]
    assert run_iptables(nf, ["-S", "X"], out.append, err.append) == 0
    assert out == ["-N X\n"]
    ctx = SimpleNamespace(argv=["iptables", "-t", "nat", "-L", "-n"], out=out.append,
                          err=err.append, sandbox=SimpleNamespace(netns=SimpleNamespace(netfilter=nf)))
    assert iptables(ctx) == 0  # type: ignore[arg-type]
    assert out[-1].startswith("Chain PREROUTING (policy ACCEPT)\n")
    from tui.shell.registry import lookup

    assert lookup("iptables", "gnu") is iptables


# --------------------------------------------------------------------------- generated rules

_addr = st.builds(lambda a, b, n: f"{a}.{b}.0.{n % 256}/{n % 33}", st.integers(0, 255),
                  st.integers(0, 255), st.integers(0, 300))
_port = st.one_of(st.integers(0, 65535).map(str), st.sampled_from(["http", "domain", "1000:2000",
                                                                   ":80", "22:"]))
_text = st.text(alphabet="ab _-.'\"\\", min_size=0, max_size=6)


@st.composite
def rule_specs(draw: st.DrawFn) -> list[str]:
    spec: list[str] = []
    proto = draw(st.sampled_from([None, "tcp", "udp", "icmp", "all", "47", "!tcp"]))
    if proto:
        spec += ["!", "-p", proto[1:]] if proto.startswith("!") else ["-p", proto]
    for opt in ("-s", "-d"):
        if draw(st.booleans()):
            spec += (["!"] if draw(st.booleans()) else []) + [opt, draw(_addr)]
    for opt in ("-i", "-o"):
        if draw(st.integers(0, 3)) == 0:
            spec += (["!"] if draw(st.booleans()) else []) + [opt, draw(st.sampled_from(
                ["eth0", "eth+", "docker0", "+"]))]
    if proto in ("tcp", "udp"):
        for opt in ("--sport", "--dport"):
            if draw(st.booleans()):
                spec += (["!"] if draw(st.booleans()) else []) + [opt, draw(_port)]
        if proto == "tcp" and draw(st.integers(0, 3)) == 0:
            spec += draw(st.sampled_from([["--syn"], ["!", "--syn"],
                                          ["--tcp-flags", "ALL", "SYN,ACK"]]))
        if draw(st.integers(0, 3)) == 0:
            ports = ",".join(draw(st.lists(_port.filter(lambda p: not p.startswith(":") and not p.endswith(":")),
                                           min_size=1, max_size=4)))
            spec += ["-m", "multiport", draw(st.sampled_from(["--dports", "--sports", "--ports"])), ports]
    if proto == "icmp" and draw(st.booleans()):
        spec += ["--icmp-type", draw(st.sampled_from(["echo-request", "8", "3/3", "any", "time-exceeded"]))]
    if draw(st.integers(0, 3)) == 0:
        states = draw(st.lists(st.sampled_from(["NEW", "ESTABLISHED", "RELATED", "INVALID", "DNAT"]),
                               min_size=1, max_size=3))
        spec += ["-m", "conntrack"] + (["!"] if draw(st.booleans()) else []) + ["--ctstate", ",".join(states)]
    if draw(st.integers(0, 3)) == 0:
        spec += ["-m", "mark", "--mark", draw(st.sampled_from(["0x1", "5/7", "0x100/0xff00", "256"]))]
    if draw(st.integers(0, 3)) == 0:
        spec += ["-m", "addrtype", "--dst-type", draw(st.sampled_from(["LOCAL", "UNICAST,BROADCAST"]))]
    if draw(st.integers(0, 3)) == 0:
        spec += ["-m", "comment", "--comment", draw(_text)]
    target = draw(st.sampled_from([None, "ACCEPT", "DROP", "RETURN", "LOG", "MARK", "REJECT"]))
    if target:
        spec += ["-j", target]
        if target == "LOG" and draw(st.booleans()):
            spec += ["--log-prefix", draw(_text), "--log-level", draw(st.sampled_from(["4", "debug", "0"]))]
        if target == "MARK":
            spec += draw(st.sampled_from([["--set-mark", "1"], ["--set-xmark", "0x5/0xf"],
                                          ["--or-mark", "2"], ["--and-mark", "3"]]))
        if target == "REJECT" and draw(st.booleans()):
            spec += ["--reject-with", draw(st.sampled_from(["tcp-reset", "icmp-host-prohibited"]))]
    return spec


@given(chain=st.sampled_from(["INPUT", "FORWARD", "OUTPUT"]), spec=rule_specs())
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_rules_match_real_iptables(real: Real, chain: str, spec: list[str]) -> None:
    real.reset()
    nf = sim(real.version)
    for args in (["-A", chain, *spec], ["-S", chain], ["-L", chain, "-n", "-v"], ["-L", chain],
                 ["-C", chain, *spec], ["-D", chain, *spec], ["-S", chain]):
        assert nf.execute(args) == real.run(args), args


@given(pk=st.integers(0, 2**64 - 1), by=st.integers(0, 2**64 - 1),
       ppk=st.integers(0, 2**64 - 1), pby=st.integers(0, 2**64 - 1))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_counters_match_real_iptables(real: Real, pk: int, by: int, ppk: int, pby: int) -> None:
    real.reset()
    script = f"*filter\n:INPUT DROP [{ppk}:{pby}]\n[{pk}:{by}] -A INPUT -j ACCEPT\nCOMMIT\n"
    assert real.run(["-c"], stdin=script, prog="iptables-legacy-restore")[0] == 0
    nf = sim(real.version)
    nf.run(["-P", "INPUT", "DROP", "-c", str(ppk), str(pby)])
    nf.run(["-A", "INPUT", "-j", "ACCEPT", "-c", str(pk), str(by)])
    for args in (["-nvL", "INPUT"], ["-nvxL", "INPUT"], ["-S", "INPUT", "-v"]):
        assert nf.execute(args) == real.run(args), args


@st.composite
def nat_specs(draw: st.DrawFn) -> list[str]:
    spec: list[str] = []
    proto = draw(st.sampled_from([None, "tcp", "udp", "icmp"]))
    if proto:
        spec += ["-p", proto]
    if draw(st.booleans()):
        spec += (["!"] if draw(st.booleans()) else []) + ["-d", draw(_addr)]
    if draw(st.integers(0, 2)) == 0:
        spec += (["!"] if draw(st.booleans()) else []) + [draw(st.sampled_from(["-i", "-o"])),
                                                          "docker0"]
    if proto in ("tcp", "udp") and draw(st.booleans()):
        spec += ["--dport", draw(_port)]
    if draw(st.integers(0, 2)) == 0:
        spec += ["-m", "addrtype", draw(st.sampled_from(["--dst-type", "--src-type"])), "LOCAL"]
    target = draw(st.sampled_from(["DNAT", "SNAT", "MASQUERADE", "REDIRECT", "RETURN", "ACCEPT",
                                   "DROP", "LOG"]))
    spec += ["-j", target]
    port = draw(st.sampled_from(["", ":80", ":1024-2048", ":http", ":53"]))
    addr = draw(st.sampled_from(["172.17.0.2", "10.0.0.1-10.0.0.3", "", "1.2.3."]))
    if target == "DNAT":
        spec += ["--to-destination", addr + port]
    elif target == "SNAT":
        spec += ["--to-source", addr + port]
    elif target in ("MASQUERADE", "REDIRECT") and port:
        spec += ["--to-ports", port[1:]]
    if target in ("DNAT", "SNAT", "MASQUERADE", "REDIRECT") and draw(st.integers(0, 3)) == 0:
        spec += [draw(st.sampled_from(["--random", "--persistent", "--random-fully"]))]
    return spec


@given(chain=st.sampled_from(["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]), spec=nat_specs())
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_nat_rules_match_real_iptables(real: Real, chain: str, spec: list[str]) -> None:
    real.reset()
    nf = sim(real.version)
    for args in (["-t", "nat", "-A", chain, *spec], ["-t", "nat", "-S", chain],
                 ["-t", "nat", "-L", chain, "-n", "-v"], ["-t", "nat", "-L", chain],
                 ["-t", "nat", "-C", chain, *spec], ["-t", "nat", "-D", chain, *spec]):
        assert nf.execute(args) == real.run(args), args
