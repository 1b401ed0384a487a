# The seed note (shared/seed/swarm-overlay-network-notes.zh.txt), command for command, on the `swarm` scenario.
docker network create -d overlay my-swarm-net
docker network ls
docker service create --name test --network my-swarm-net busybox ping 8.8.8.8
sleep 100
docker service scale test=2
sleep 13
docker service ls
docker service ps test
docker container exec d76 ip a
ssh ip-10-0-2-253
docker container exec d20 ip a
exit
docker container exec d76 ping 10.0.1.5
docker container exec d76 ip route
# Not in the note: its last ping comes from a third task container (559, 10.0.1.7) on node1.
docker service scale test=3
ssh ip-10-0-2-253 tcpdump -i eth0 port 4789 &
docker container exec 559 ping 10.0.1.5 -c 3
kill %1
docker network inspect my-swarm-net
