"""Encrypted overlays as the kernel holds them: `ip xfrm`, Docker's iptables rules, and what they do.

The SAs, the policy and the rules are read back through `ip`/`iptables` and then exercised with
traffic: the mark picks the policy, the policy picks the SA, and the INPUT rules drop VXLAN of an
encrypted VNI that arrives without IPsec.
"""

from __future__ import annotations

import re

from tui.engine.docker.scenarios import swarm
from tui.shell import Shell

NODE1, NODE2 = "10.0.2.197", "10.0.2.253"
U32 = '"0x0>>0x16&0x3c@0xc&0xffffff00=0x100100"'  # VNI 4097 << 8


def out_of(shell: Shell, *lines: str) -> str:
    start = len(shell.terminal.text())
    for line in lines:
        shell.run_line(line)
    return shell.terminal.text()[start:]


def encrypted_swarm(seed: int = 0) -> Shell:
    sh = Shell(swarm(seed=seed), "ip-10-0-2-197")
    out_of(sh, "docker network create -d overlay --opt encrypted secnet",
           "docker service create --name s --replicas 2 --network secnet busybox sleep 100000")
    return sh


def peer_ip(sh: Shell) -> str:
    """The task on the other node, seen from the local task."""
    mine = re.search(r"inet (10\.0\.1\.\d+)/24", out_of(sh, "docker exec $(docker ps -q) ip a show eth0"))
    assert mine is not None
    return "10.0.1.4" if mine.group(1) == "10.0.1.3" else "10.0.1.3"


def fnv32a_spi(src: str, tag: int, dst: str) -> int:
    """libnetwork buildSPI, independently: FNV-32a over 16-byte src, big-endian tag, 16-byte dst."""
    data = b"".join([b"\0" * 10 + b"\xff\xff" + bytes(int(x) for x in src.split(".")), tag.to_bytes(4, "big"),
                     b"\0" * 10 + b"\xff\xff" + bytes(int(x) for x in dst.split("."))])
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def test_docker_programs_one_outbound_policy_and_sas_for_three_keys_per_peer() -> None:
    sh = encrypted_swarm()
    states = out_of(sh, "ip xfrm state")
    entries = [e for e in re.split(r"(?m)^(?=src )", states) if e]
    assert len(entries) == 4  # the primary key both ways, the two others inbound only
    # newest first: rSA(tag 6), rSA(tag 4), fSA(tag 5), rSA(tag 5) - the driver gets keys [5, 4, 6]
    expect = [(NODE2, NODE1, 6), (NODE2, NODE1, 4), (NODE1, NODE2, 5), (NODE2, NODE1, 5)]
    for entry, (src, dst, tag) in zip(entries, expect, strict=True):
        spi = fnv32a_spi(src, tag, dst)
        lines = entry.splitlines()
        assert lines[0] == f"src {src} dst {dst}"
        assert lines[1] == f"\tproto esp spi 0x{spi:08x} reqid 13681891 mode transport"
        assert lines[2] == "\treplay-window 0 "
        assert re.fullmatch(rf"\taead rfc4106\(gcm\(aes\)\) 0x[0-9a-f]{{32}}{spi:08x} 64", lines[3])
        assert lines[4] == "\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000"
        assert lines[5] == "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 "
    # fSA and rSA of the primary key share the key, only the salt (= SPI) differs
    assert entries[2].split("aead rfc4106(gcm(aes)) ")[1][:34] == entries[3].split("aead rfc4106(gcm(aes)) ")[1][:34]
    fwd = fnv32a_spi(NODE1, 5, NODE2)
    assert out_of(sh, "ip xfrm policy") == (
        f"src {NODE1}/32 dst {NODE2}/32 proto udp dport 4789 \n"
        "\tdir out priority 0 ptype main \n"
        "\tmark 0xd0c4e3/0xffffffff \n"
        f"\ttmpl src {NODE1} dst {NODE2}\n"
        f"\t\tproto esp spi 0x{fwd:08x} reqid 13681891 mode transport\n")
    assert out_of(sh, "ip xfrm state count", "ip xfrm policy count") == "\t SAD count 4\n\t SPD IN  0 OUT 1 FWD 0\n"
    # the peer holds the mirror image: its forward SA is our reverse one for the primary key
    node2 = out_of(sh, "ssh ip-10-0-2-253 ip xfrm policy")
    assert f"proto esp spi 0x{fnv32a_spi(NODE2, 5, NODE1):08x} reqid 13681891" in node2
    assert out_of(sh, f"ip xfrm state list src {NODE1}").count("\nsrc ") + 1 == 1
    assert out_of(sh, f"ip xfrm state list src {NODE1}").startswith(f"src {NODE1} dst {NODE2}\n")
    assert out_of(sh, "ip xfrm state list spi 0x1") == ""


def test_esp_counters_follow_the_traffic_and_s_shows_lifetimes() -> None:
    sh = encrypted_swarm()
    other = peer_ip(sh)
    assert " 0% packet loss" in out_of(sh, f"docker exec $(docker ps -q) ping -c 3 {other}")
    out = out_of(sh, f"ip -s xfrm state list src {NODE1}")
    assert "anti-replay context: seq 0x0, oseq 0x3, bitmap 0x00000000" in out
    assert re.search(r"spi 0x[0-9a-f]{8}\(\d+\) reqid 13681891\(0x00d0c4e3\) mode transport", out)
    assert "\treplay-window 0 seq 0x00000000 flag  (0x00000000)\n" in out
    assert re.search(r"\taead rfc4106\(gcm\(aes\)\) 0x[0-9a-f]{40} \(160 bits\) 64\n", out)
    assert "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 uid 0\n" in out
    assert re.search(r"\t  \d+\(bytes\), 3\(packets\)\n\t  add \d{4}-\d\d-\d\d \d\d:\d\d:\d\d use \d{4}-", out)
    assert "\t  replay-window 0 replay 0 failed 0" in out


def test_mangle_marks_and_input_rules_as_docker_20_10_installs_them() -> None:
    sh = encrypted_swarm()
    assert out_of(sh, "iptables -t mangle -S OUTPUT") == (
        "-P OUTPUT ACCEPT\n"
        f"-A OUTPUT -p udp -m udp --dport 4789 -m u32 --u32 {U32} -j MARK --set-xmark 0xd0c4e3/0xffffffff\n")
    assert out_of(sh, "iptables -S INPUT") == (
        "-P INPUT ACCEPT\n"
        f"-A INPUT -p udp -m policy --dir in --pol ipsec -m udp --dport 4789 -m u32 --u32 {U32} -j ACCEPT\n"
        f"-A INPUT -p udp -m udp --dport 4789 -m u32 --u32 {U32} -j DROP\n")
    other = peer_ip(sh)
    out_of(sh, f"docker exec $(docker ps -q) ping -c 2 {other}")
    listing = out_of(sh, "iptables -t mangle -L OUTPUT -v -n")
    marked = re.search(r"^\s+(\d+)\s+\d+ MARK\s+udp\s+--\s+\*\s+\*\s+0\.0\.0\.0/0\s+0\.0\.0\.0/0\s+udp dpt:4789 u32 "
                       + re.escape(U32) + " MARK set 0xd0c4e3$", listing, re.M)
    assert marked is not None and int(marked.group(1)) == 2  # the two requests, each one VXLAN datagram
    accepted = re.search(r"^\s+(\d+)\s+\d+ ACCEPT .*policy match dir in pol ipsec udp dpt:4789",
                         out_of(sh, "iptables -L INPUT -v -n"), re.M)
    assert accepted is not None and int(accepted.group(1)) == 2  # the two replies, decrypted


def test_plaintext_vxlan_of_the_encrypted_vni_is_dropped_by_the_input_rule() -> None:
    sh = encrypted_swarm()
    other = peer_ip(sh)
    # node2 loses its policy: its replies still get the mark, but no SA is applied, so they leave in clear
    out_of(sh, "ssh ip-10-0-2-253 ip xfrm policy flush")
    out = out_of(sh, "tcpdump -n -i eth0 -c 2 esp or udp port 4789 &",
                 f"docker exec $(docker ps -q) ping -c 1 -W 1 {other}", "wait")
    assert "100% packet loss" in out
    assert re.search(rf"IP {NODE1} > {NODE2}: ESP\(spi=0x[0-9a-f]{{8}},seq=0x1\)", out)
    assert re.search(rf"IP {NODE2}\.\d+ > {NODE1}\.4789: VXLAN, flags \[I\] \(0x08\), vni 4097", out)
    drop = re.search(r"^\s+(\d+)\s+\d+ DROP .* udp dpt:4789 u32 ", out_of(sh, "iptables -L INPUT -v -n"), re.M)
    assert drop is not None and int(drop.group(1)) == 1
    # without Docker's DROP rule the cleartext reply is taken: the rule is what refuses it
    out_of(sh, f"iptables -D INPUT -p udp --dport 4789 -m u32 --u32 {U32} -j DROP")
    assert " 0% packet loss" in out_of(sh, f"docker exec $(docker ps -q) ping -c 1 -W 1 {other}")


def test_flushing_the_states_blackholes_the_encrypted_network_only() -> None:
    sh = Shell(swarm(seed=0), "ip-10-0-2-197")
    out_of(sh, "docker network create -d overlay --opt encrypted secnet",
           "docker network create -d overlay --subnet 10.0.9.0/24 plain",
           "docker service create --name s --replicas 2 --network secnet --network plain busybox sleep 100000")
    other = peer_ip(sh)
    out_of(sh, "ip xfrm state flush")
    assert out_of(sh, "ip xfrm state", "ip xfrm state count") == "\t SAD count 0\n"
    out = out_of(sh, "ssh ip-10-0-2-253 tcpdump -n -i eth0 -c 1 esp or udp port 4789 &",
                 f"docker exec $(docker ps -q) ping -c 1 -W 1 {other}")
    assert "100% packet loss" in out  # the policy still wants an SA, none is there: nothing leaves
    plain_peer = other.replace("10.0.1.", "10.0.9.")
    out = out_of(sh, f"docker exec $(docker ps -q) ping -c 1 -W 1 {plain_peer}", "wait")
    assert " 0% packet loss" in out and "vni 4098" in out and "ESP" not in out


def test_ip_xfrm_errors_are_iproute2s() -> None:
    sh = encrypted_swarm()
    assert out_of(sh, "ip xfrm") == (
        "Usage: ip xfrm XFRM-OBJECT { COMMAND | help }\nwhere  XFRM-OBJECT := state | policy | monitor\n")
    assert out_of(sh, "ip xfrm state frob") == 'Command "frob" is unknown, try "ip xfrm state help".\n'
    assert out_of(sh, "ip xfrm policy frob") == 'Command "frob" is unknown, try "ip xfrm policy help".\n'
    assert out_of(sh, "ip xfrm state list proto xyz") == 'Error: argument "xyz" is wrong: "XFRM_PROTO" is invalid\n'


def test_ip_link_show_type_and_master_filter_like_iproute2() -> None:
    sh = encrypted_swarm()
    out = out_of(sh, "ip link show type bridge")
    names = re.findall(r"^\d+: ([^:@]+)", out, re.M)
    assert names and set(names) <= {"docker0", "docker_gwbridge"}
    assert out_of(sh, "ip link show type vxlan") == ""  # vxlan0 lives in the overlay namespace
    out = out_of(sh, "ip link show type veth")
    assert re.findall(r"^\d+: (veth[0-9a-f]{7})@if\d+", out, re.M)
    slaves = re.findall(r"^\d+: ([^:@]+)", out_of(sh, "ip link show type bridge_slave"), re.M)
    masters = re.findall(r"^\d+: ([^:@]+)", out_of(sh, "ip link show master docker_gwbridge"), re.M)
    assert masters and set(masters) <= set(slaves)
    assert out_of(sh, "ip link show master nope") == 'Error: argument "nope" is wrong: Device does not exist\n\n'
    assert out_of(sh, "ip link show dev eth0 type bridge") == ""
    out = out_of(sh, "ip -d link show type bridge")
    assert "bridge forward_delay" in out


def test_ip_netns_exec_shell_stays_in_the_namespace_until_exit() -> None:
    sh = Shell(swarm(seed=0), "ip-10-0-2-197")
    out_of(sh, "ip netns add lab")
    assert out_of(sh, "ip netns exec lab bash") == ""
    assert sh.prompt.startswith("root@ip-10-0-2-197:~#")
    assert out_of(sh, "ip -br link") == "lo               DOWN           00:00:00:00:00:00 <LOOPBACK> \n"
    assert out_of(sh, "exit") == "exit\n"
    assert "eth0" in out_of(sh, "ip -br link")
    out_of(sh, "ip netns exec lab sh")
    assert "eth0" not in out_of(sh, "ip -br link")
    out_of(sh, "exit")
    assert "eth0" in out_of(sh, "ip -br link")
