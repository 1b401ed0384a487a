"""Docker Engine and Swarm modelled on the kernel model, the way libnetwork wires it (no UI imports)."""
