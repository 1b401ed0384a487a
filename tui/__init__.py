"""overlaylab: learn Docker Swarm networking on a simulated Linux network stack."""

__version__ = "0.1.0"
