"""The images lessons use: what each one runs and which userland its tools have."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Image:
    repo: str
    tag: str
    image_id: str  # sha256 hex (64)
    digest: str  # repo digest (sha256 hex)
    size: int  # bytes, as `docker images` reports
    tools: str  # "busybox" or "gnu"
    cmd: tuple[str, ...]
    entrypoint: tuple[str, ...] = ()
    exposed: tuple[str, ...] = ()
    app: str = ""  # built-in application model started as the main process ("nginx", "whoami")
    env: tuple[str, ...] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.repo}:{self.tag}"


CATALOG: dict[str, Image] = {
    "busybox": Image("busybox", "latest", "beae173ccac6ad749f76713cf4440fe3d21d1043fe616dfbe30775815d1d0f6a",
                     "5acba83a746c7608ed544dc1533b87c737a0b0fb730301639a0179f9344b1678", 1_240_000, "busybox",
                     ("sh",)),
    "alpine": Image("alpine", "latest", "c059bfaa849c4d8e4aecaeb3a10c2d9b3d85f5165c66ad3a4d937758128c4d18",
                    "21a3deaa0d32a8057914f36584b5288d2e5ecc984380bc0118285c70fa8c9300", 5_590_000, "busybox",
                    ("/bin/sh",)),
    "nginx": Image("nginx", "latest", "605c77e624ddb75e6110f997c58876baa13f8754486b461117934b24a9dc3a85",
                   "0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31", 141_500_000, "gnu",
                   ("nginx", "-g", "daemon off;"), ("/docker-entrypoint.sh",), ("80/tcp",), "nginx"),
    "nicolaka/netshoot": Image("nicolaka/netshoot", "latest",
                               "1a2f0e7c2d6a01b3d9a6b0c6ef35f8b8f3c0d8f6b4e2a7c9d1e3f5a7b9c1d3e5",
                               "7569b47e9c2a8cd2f4b1e6b7a41a3c09d8fd8ddf5e2a3d0c5c7a4f0ea1d3b5c2", 410_000_000, "gnu",
                               ("zsh",)),
    "traefik/whoami": Image("traefik/whoami", "latest",
                            "e6b3a8d8c9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829a3",
                            "24829edb0b6fbe5a1bba3dd8a3e3d8b0aad8cb2a07a53a6d7cfe02b3c4cdec7e", 6_440_000, "busybox",
                            ("/whoami",), (), ("80/tcp",), "whoami"),
}


def find_image(name: str) -> Image | None:
    """`busybox`, `busybox:latest`, `docker.io/library/busybox`, a digest ref... -> the catalog entry."""
    ref = name.split("@", 1)[0]
    for prefix in ("docker.io/library/", "docker.io/", "library/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
    repo, _, tag = ref.partition(":")
    if tag and "/" in tag:
        return None
    img = CATALOG.get(repo)
    if img is None or (tag and tag != img.tag):
        return None
    return img
