"""Address helpers: the engine keeps IPv4 addresses as ints and MACs as 6-byte ``bytes``.

Ints make masks, ranges and dictionary keys cheap; bytes drop straight into frames.
These helpers are the only place where the text forms are parsed or produced.
"""

from __future__ import annotations

import struct

_U32 = struct.Struct(">I")


def ip_to_int(text: str) -> int:
    """Parse dotted-quad ``10.0.1.3`` into an int (strict: four decimal octets)."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts):
        raise ValueError(f"invalid IPv4 address: {text!r}")
    a, b, c, d = (int(p) for p in parts)
    if a > 255 or b > 255 or c > 255 or d > 255:
        raise ValueError(f"invalid IPv4 address: {text!r}")
    return (a << 24) | (b << 16) | (c << 8) | d


def int_to_ip(value: int) -> str:
    """Format an int as dotted-quad."""
    return f"{(value >> 24) & 255}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"


def ip_bytes(value: int) -> bytes:
    """The 4 network-order bytes of an IPv4 int."""
    return _U32.pack(value & 0xFFFFFFFF)


def mac_to_bytes(text: str) -> bytes:
    """Parse ``02:42:0a:00:01:03`` (``-`` separators accepted) into 6 bytes."""
    parts = text.replace("-", ":").split(":")
    if len(parts) != 6:
        raise ValueError(f"invalid MAC address: {text!r}")
    try:
        out = bytes(int(p, 16) for p in parts)
    except ValueError:
        raise ValueError(f"invalid MAC address: {text!r}") from None
    if any(len(p) not in (1, 2) for p in parts):
        raise ValueError(f"invalid MAC address: {text!r}")
    return out


def mac_str(mac: bytes) -> str:
    """Lower-case colon form, as ``ip link`` and tcpdump print MACs."""
    return mac.hex(":")


# --------------------------------------------------------------------------- netbase facts

# Debian netbase /etc/services (tcp/udp entries, first name per port): tcpdump prints
# these names without -n and capture filters accept them (``port domain``).  "port=name" is both protocols, "port/t=" tcp only, "port/u=" udp only.
_SERVICES = """
    1/t=tcpmux 7=echo 9=discard 11/t=systat 13=daytime 15/t=netstat 17/t=qotd 19=chargen
    20/t=ftp-data 21/t=ftp 21/u=fsp 22/t=ssh 23/t=telnet 25/t=smtp 37=time 43/t=whois 49=tacacs
    53=domain 67/u=bootps 68/u=bootpc 69/u=tftp 70/t=gopher 79/t=finger 80/t=http 88=kerberos
    102/t=iso-tsap 104/t=acr-nema 106/t=poppassd 110/t=pop3 111=sunrpc 113/t=auth 119/t=nntp
    123/u=ntp 135/t=epmap 137/u=netbios-ns 138/u=netbios-dgm 139/t=netbios-ssn 143/t=imap2
    161=snmp 162=snmp-trap 163=cmip-man 164=cmip-agent 174/t=mailq 177/u=xdmcp 179/t=bgp
    199/t=smux 209/t=qmtp 210/t=z3950 213/u=ipx 319/u=ptp-event 320/u=ptp-general 345/t=pawserv
    346/t=zserv 369=rpc2portmap 370=codaauth2 371/u=clearcase 389=ldap 427=svrloc 443=https
    444/t=snpp 445/t=microsoft-ds 464=kpasswd 465/t=submissions 487/t=saft 500/u=isakmp
    512/t=exec 512/u=biff 513/t=login 513/u=who 514/t=shell 514/u=syslog 515/t=printer
    517/u=talk 518/u=ntalk 520/u=route 538=gdomap 540/t=uucp 543/t=klogin 544/t=kshell
    546/u=dhcpv6-client 547/u=dhcpv6-server 548/t=afpovertcp 554=rtsp 563/t=nntps
    587/t=submission 607/t=nqs 623/u=asf-rmcp 628/t=qmqp 631/t=ipp 636=ldaps 646=ldp 655=tinc
    706/t=silc 749/t=kerberos-adm 750=kerberos4 751=kerberos-master 752/u=passwd-server
    754/t=krb-prop 775/t=moira-db 777/t=moira-update 779/u=moira-ureg 783/t=spamd 853=domain-s
    871/t=supfilesrv 873/t=rsync 989/t=ftps-data 990/t=ftps 992/t=telnets 993/t=imaps
    995/t=pop3s 1080/t=socks 1093/t=proofd 1094/t=rootd 1099/t=rmiregistry 1127/t=supfiledbg
    1178/t=skkserv 1194=openvpn 1210/u=predict 1236/t=rmtcfg 1313/t=xtel 1314/t=xtelw
    1352/t=lotusnote 1433/t=ms-sql-s 1434/u=ms-sql-m 1524/t=ingreslock 1645=datametrics
    1646=sa-msg-port 1649/t=kermit 1677/t=groupwise 1701/u=l2f 1812=radius 1813=radius-acct
    2000/t=cisco-sccp 2049=nfs 2086=gnunet 2101=rtcm-sc104 2102/u=zephyr-srv 2103/u=zephyr-clt
    2104/u=zephyr-hm 2119/t=gsigatekeeper 2121/t=iprop 2135/t=gris 2401/t=cvspserver 2430=venus
    2431=venus-se 2432=codasrv 2433=codasrv-se 2583=mon 2600/t=zebrasrv 2601/t=zebra 2602/t=ripd
    2603/t=ripngd 2604/t=ospfd 2605/t=bgpd 2606/t=ospf6d 2607/t=ospfapi 2608/t=isisd 2628/t=dict
    2792/t=f5-globalsite 2811/t=gsiftp 2947/t=gpsd 3050/t=gds-db 3130/u=icpv2 3205=isns
    3260/t=iscsi-target 3306/t=mysql 3389/t=ms-wbt-server 3493=nut 3632/t=distcc 3689/t=daap
    3690/t=svn 4031/t=suucp 4094/t=sysrqd 4190/t=sieve 4353/t=f5-iquery 4369/t=epmd
    4373/t=remctl 4460/t=ntske 4500/u=ipsec-nat-t 4557/t=fax 4559/t=hylafax 4569/u=iax
    4691/t=mtn 4899/t=radmin-port 4949/t=munin 5060=sip 5061=sip-tls 5222/t=xmpp-client
    5269/t=xmpp-server 5308/t=cfengine 5353/u=mdns 5432/t=postgresql 5555/u=rplay 5556/t=freeciv
    5666/t=nrpe 5667/t=nsca 5671/t=amqps 5672/t=amqp 5680/t=canna 6000/t=x11 6001/t=x11-1
    6002/t=x11-2 6003/t=x11-3 6004/t=x11-4 6005/t=x11-5 6006/t=x11-6 6007/t=x11-7
    6346=gnutella-svc 6347=gnutella-rtr 6379/t=redis 6444/t=sge-qmaster 6445/t=sge-execd
    6446/t=mysql-proxy 6514/t=syslog-tls 6566/t=sane-port 6667/t=ircd 6696/u=babel 6697/t=ircs-u
    7000/t=bbs 7000/u=afs3-fileserver 7001/u=afs3-callback 7002/u=afs3-prserver
    7003/u=afs3-vlserver 7004/u=afs3-kaserver 7005/u=afs3-volser 7007/u=afs3-bos
    7008/u=afs3-update 7009/u=afs3-rmtsys 7100/t=font-service 8021/t=zope-ftp 8080/t=http-alt
    8081/t=tproxy 8088/t=omniorb 8140/t=puppet 8990/t=clc-build-daemon 9098/t=xinetd
    9101/t=bacula-dir 9102/t=bacula-fd 9103/t=bacula-sd 9418/t=git 9667/t=xmms2 9673/t=zope
    10000/t=webmin 10050/t=zabbix-agent 10051/t=zabbix-trapper 10080/t=amanda 10081/t=kamanda
    10082/t=amandaidx 10083/t=amidxtape 10809/t=nbd 11112/t=dicom 11371/t=hkp 17001/u=sgi-cmsd
    17002/u=sgi-crsd 17003/u=sgi-gcd 17004/t=sgi-cad 17500/t=db-lsp 22125/t=dcap 22128/t=gsidcap
    22273/t=wnn6 24554/t=binkp 27374=asp 30865/t=csync2 57000/t=dircproxy 60177/t=tfido
    60179/t=fido
"""


def _load_services() -> tuple[dict[int, str], dict[int, str]]:
    tcp: dict[int, str] = {}
    udp: dict[int, str] = {}
    for item in _SERVICES.split():
        key, name = item.split("=")
        if "/" in key:
            port, proto = key.split("/")
            (tcp if proto == "t" else udp).setdefault(int(port), name)
        else:
            tcp.setdefault(int(key), name)
            udp.setdefault(int(key), name)
    return tcp, udp


TCP_SERVICES, UDP_SERVICES = _load_services()

# Their aliases (getservbyname() accepts them: ``port www``).
_SERVICE_ALIASES = """
    9/t=sink 9/t=null 9/u=sink 9/u=null 11/t=users 17/t=quote 19/t=ttytst 19/t=source
    19/u=ttytst 19/u=source 21/u=fspd 25/t=mail 37/t=timserver 37/u=timserver 43/t=nicname
    80/t=www 88/t=kerberos5 88/t=krb5 88/t=kerberos-sec 88/u=kerberos5 88/u=krb5
    88/u=kerberos-sec 102/t=tsap 104/t=dicom 110/t=pop-3 111/t=portmapper 111/u=portmapper
    113/t=authentication 113/t=tap 113/t=ident 119/t=readnews 119/t=untp 135/t=loc-srv
    143/t=imap 162/t=snmptrap 162/u=snmptrap 210/t=wais 371/u=Clearcase 465/t=ssmtp 465/t=smtps
    465/t=urd 512/u=comsat 513/u=whod 514/t=cmd 514/t=syslog 515/t=spooler 520/u=router
    520/u=routed 540/t=uucpd 544/t=krcmd 563/t=snntp 1352/t=lotusnotes 1645/t=old-radius
    1645/u=old-radius 1646/t=old-radacct 1646/u=old-radacct 1701/u=l2tp 1813/t=radacct
    1813/u=radacct 3050/t=gds_db 3130/u=icp 3690/t=subversion 5222/t=jabber-client
    5269/t=jabber-server 5432/t=postgres 5556/t=rptp 6000/t=x11-0 6444/t=sge_qmaster
    6445/t=sge_execd 7100/t=xfs 8080/t=webcache 750/u=kerberos-iv 750/u=kdc 750/t=kerberos-iv
    750/t=kdc 751/u=kerberos_master 752/u=passwd_server 754/t=krb_prop 754/t=krb5_prop
    754/t=hprop 775/t=moira_db 777/t=moira_update 779/u=moira_ureg 4949/t=lrrd 6566/t=sane
    6566/t=saned
"""


def _load_service_names() -> tuple[dict[str, int], dict[str, int]]:
    tcp: dict[str, int] = {}
    udp: dict[str, int] = {}
    for port, name in sorted(TCP_SERVICES.items()):
        tcp.setdefault(name, port)
    for port, name in sorted(UDP_SERVICES.items()):
        udp.setdefault(name, port)
    for item in _SERVICE_ALIASES.split():
        key, name = item.split("=")
        port, proto = key.split("/")
        (tcp if proto == "t" else udp).setdefault(name, int(port))
    return tcp, udp


_TCP_BY_NAME, _UDP_BY_NAME = _load_service_names()


def service_port(name: str, proto: str) -> int | None:
    """getservbyname(name, "tcp"|"udp") on a Debian machine."""
    return (_TCP_BY_NAME if proto == "tcp" else _UDP_BY_NAME).get(name)

# Debian netbase /etc/protocols: "number:name,aliases" (getprotobynumber/-byname).
_PROTOCOLS = """
    0:ip,IP 0:hopopt,HOPOPT 1:icmp,ICMP 2:igmp,IGMP 3:ggp,GGP 4:ipencap,IP-ENCAP 5:st,ST
    6:tcp,TCP 8:egp,EGP 9:igp,IGP 12:pup,PUP 17:udp,UDP 20:hmp,HMP 22:xns-idp,XNS-IDP 27:rdp,RDP
    29:iso-tp4,ISO-TP4 33:dccp,DCCP 36:xtp,XTP 37:ddp,DDP 38:idpr-cmtp,IDPR-CMTP 41:ipv6,IPv6
    43:ipv6-route,IPv6-Route 44:ipv6-frag,IPv6-Frag 45:idrp,IDRP 46:rsvp,RSVP 47:gre,GRE
    50:esp,IPSEC-ESP 51:ah,IPSEC-AH 57:skip,SKIP 58:ipv6-icmp,IPv6-ICMP 59:ipv6-nonxt,IPv6-NoNxt
    60:ipv6-opts,IPv6-Opts 73:rspf,RSPF,CPHB 81:vmtp,VMTP 88:eigrp,EIGRP 89:ospf,OSPFIGP
    93:ax.25,AX.25 94:ipip,IPIP 97:etherip,ETHERIP 98:encap,ENCAP 103:pim,PIM 108:ipcomp,IPCOMP
    112:vrrp,VRRP 115:l2tp,L2TP 124:isis,ISIS 132:sctp,SCTP 133:fc,FC
    135:mobility-header,Mobility-Header 136:udplite,UDPLite 137:mpls-in-ip,MPLS-in-IP 138:manet
    139:hip,HIP 140:shim6,Shim6 141:wesp,WESP 142:rohc,ROHC 143:ethernet,Ethernet
    262:mptcp,MPTCP
"""


def _load_protocols() -> tuple[dict[int, str], dict[str, int]]:
    by_num: dict[int, str] = {}
    by_name: dict[str, int] = {}
    for item in _PROTOCOLS.split():
        num, names = item.split(":")
        first, *aliases = names.split(",")
        by_num.setdefault(int(num), first)
        for n in (first, *aliases):
            by_name.setdefault(n, int(num))
    return by_num, by_name


IP_PROTOCOL_NAMES, IP_PROTOCOLS = _load_protocols()
