# Build a VXLAN overlay by hand between the two hosts of the linux-hosts scenario,
# then capture it on the underlay of the second host while the first pings across.
# (mcast_snooping 0: no IGMP reports from the bridges, whose timing the real kernel does not fix)
ip netns add ns1
ip link add br0 type bridge mcast_snooping 0
ip link set br0 up
ip link add veth0 type veth peer name eth0 netns ns1
ip link set veth0 master br0
ip link set veth0 mtu 1450 up
ip link add vxlan0 type vxlan id 4097 dstport 4789 remote 10.0.2.253 dev eth0
ip link set vxlan0 master br0
ip link set vxlan0 up
ip netns exec ns1 ip link set lo up
ip netns exec ns1 ip link set eth0 mtu 1450 up
ip netns exec ns1 ip addr add 10.0.1.2/24 dev eth0
ssh ip-10-0-2-253
ip netns add ns1
ip link add br0 type bridge mcast_snooping 0
ip link set br0 up
ip link add veth0 type veth peer name eth0 netns ns1
ip link set veth0 master br0
ip link set veth0 mtu 1450 up
ip link add vxlan0 type vxlan id 4097 dstport 4789 remote 10.0.2.197 dev eth0
ip link set vxlan0 master br0
ip link set vxlan0 up
ip netns exec ns1 ip link set lo up
ip netns exec ns1 ip link set eth0 mtu 1450 up
ip netns exec ns1 ip addr add 10.0.1.3/24 dev eth0
exit
ssh ip-10-0-2-253 tcpdump -n -i eth0 -c 8 port 4789 &
ip netns exec ns1 ping -c 3 10.0.1.3
wait
ip netns exec ns1 ip route
ip netns exec ns1 ip neigh
ip route
ip -d link show vxlan0
bridge fdb show dev vxlan0
ssh ip-10-0-2-253 bridge fdb show dev vxlan0
ssh ip-10-0-2-253 ip netns exec ns1 ip neigh
